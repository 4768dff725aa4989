"""OONI's probe-services calls against a running collector (uvicorn on 127.0.0.1, httpx).

Each bad request must get a 4xx with a JSON error naming the field, and leave nothing stored:
the last test sends every kind of bad submission, then one good one, waits until the good one
is in the store (the journal is drained in order), and finds nothing else there.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import zstandard

from collectorkit import CollectorProcess, fixture_measurement, open_report, submission
from netvigil.analysis import measurement_uid
from nvtest import shared_path

REPORT_ID = re.compile(r"\d{8}T\d{6}Z_([a-z0-9]+)_([A-Z]{2})_(\d+)_n1_([0-9a-f]+)")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    shared_path("ooni", "test-lists", "global.csv")
    collector = CollectorProcess(tmp_path_factory.mktemp("collector")).start()
    try:
        yield collector
    finally:
        collector.stop()


@pytest.fixture
def client(running: CollectorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.url, timeout=30) as http:
        yield http


def opened(client: httpx.Client, m: dict[str, Any]) -> dict[str, Any]:
    answer = open_report(client, m)
    assert answer.status_code == 200, answer.text
    m = dict(m, report_id=answer.json()["report_id"])
    return m


def error_of(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = answer.json()["error"]
    assert error["status"] == status
    return error


def test_open_report_answers_ooni_fields_and_a_report_id_of_ooni_shape(
    client: httpx.Client,
) -> None:
    m = fixture_measurement()
    answer = open_report(client, m)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"report_id", "backend_version", "supported_formats"}
    assert body["supported_formats"] == ["json"]
    assert re.fullmatch(r"[0-9A-Za-z_.+-]+", body["backend_version"])
    match = REPORT_ID.fullmatch(body["report_id"])
    assert match is not None, body["report_id"]
    assert match.groups()[:3] == ("webconnectivity", m["probe_cc"], m["probe_asn"][2:])
    # 256 random bits (64 hex digits) before the 128-bit signature, as OONI's spec asks
    assert len(match.group(4)) == 64 + 32
    # OONI's deployed parser splits on "_" into exactly six parts
    assert len(body["report_id"].split("_")) == 6
    again = open_report(client, m).json()["report_id"]
    assert again != body["report_id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"probe_cc": "it"}, "probe_cc"),
        ({"probe_cc": "ITA"}, "probe_cc"),
        ({"probe_asn": "30722"}, "probe_asn"),
        ({"probe_asn": "AS30722x"}, "probe_asn"),
        ({"test_name": "../../etc"}, "test_name"),
        ({"test_name": None}, "test_name"),
        ({"software_name": "ooni probe"}, "software_name"),
        ({"software_version": ""}, "software_version"),
        ({"format": "yaml"}, "format"),
    ],
)
def test_open_report_refuses_bad_fields_naming_them(
    client: httpx.Client, change: dict[str, Any], field: str
) -> None:
    error = error_of(open_report(client, fixture_measurement(), **change), 400)
    assert error["field"] == field


def test_submit_answers_the_uid_the_store_will_hold_in_oonis_format(
    client: httpx.Client, running: CollectorProcess
) -> None:
    m = opened(client, fixture_measurement())
    answer = client.post(f"/report/{m['report_id']}", content=submission(m))
    assert answer.status_code == 200, answer.text
    uid = answer.json()["measurement_uid"]
    assert uid == measurement_uid(m)
    assert re.fullmatch(r"\d{14}\.\d{6}_IT_webconnectivity_[0-9a-f]{16}", uid)
    running.wait_stored({uid})
    assert running.raw_lines()[uid] == orjson.dumps(m)  # byte for byte
    close = client.post(f"/report/{m['report_id']}/close")
    assert close.status_code == 200 and close.json() == {"status": "success"}


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_compressed_submissions_are_accepted(
    client: httpx.Client, running: CollectorProcess, encoding: str
) -> None:
    m = opened(client, fixture_measurement("httpBlockingConnectionReset"))
    body = submission(m)
    packed = gzip.compress(body) if encoding == "gzip" else zstandard.compress(body)
    answer = client.post(
        f"/report/{m['report_id']}", content=packed, headers={"Content-Encoding": encoding}
    )
    assert answer.status_code == 200, answer.text
    running.wait_stored({answer.json()["measurement_uid"]})


def test_a_probe_ip_is_replaced_before_anything_is_written(
    client: httpx.Client, running: CollectorProcess
) -> None:
    m = opened(client, fixture_measurement("dnsBlockingBOGON"))
    m["probe_ip"] = "198.51.100.23"
    uid = client.post(f"/report/{m['report_id']}", content=submission(m)).json()["measurement_uid"]
    running.wait_stored({uid})
    line = running.raw_lines()[uid]
    assert b"198.51.100.23" not in line and orjson.loads(line)["probe_ip"] == "127.0.0.1"
    for path in running.data_dir.rglob("*"):
        if path.is_file():
            assert b"198.51.100.23" not in path.read_bytes(), path


def test_check_in_gives_urls_of_the_country_and_global_lists_with_oonis_limits(
    client: httpx.Client,
) -> None:
    hk = {u.split(",")[0] for u in shared_path("ooni", "test-lists", "hk.csv").read_text().split()}
    body = {"probe_cc": "HK", "probe_asn": "AS4760", "run_type": "timed", "charging": True}
    answer = client.post("/api/v1/check-in", json=body)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["probe_cc"], found["probe_asn"], found["v"]) == ("HK", "AS4760", 1)
    urls = found["tests"]["web_connectivity"]["urls"]
    assert len(urls) == 100  # OONI: a timed run on a charging device or computer
    assert {u["country_code"] for u in urls} <= {"HK", "XX"}
    more = [client.post("/api/v1/check-in", json=body).json() for _ in range(9)]
    drawn = urls + [u for f in more for u in f["tests"]["web_connectivity"]["urls"]]
    assert sum(u["url"] in hk for u in drawn) > len(drawn) / 2  # the country's list weighs more
    assert len({u["url"] for u in drawn}) > 300  # successive runs cover different URLs
    helpers = found["conf"]["test_helpers"]["web-connectivity"]
    assert helpers == [{"address": "https://th.example.org", "type": "https"}]
    for name, test in found["tests"].items():
        match = REPORT_ID.fullmatch(test["report_id"])
        assert match and match.groups()[:3] == (name.replace("_", ""), "HK", "4760")
    battery = client.post("/api/v1/check-in", json={**body, "charging": False}).json()
    assert len(battery["tests"]["web_connectivity"]["urls"]) == 20
    manual = client.post("/api/v1/check-in", json={**body, "run_type": "manual"}).json()
    assert len(manual["tests"]["web_connectivity"]["urls"]) > 1000  # the whole lists
    news = {
        **body,
        "web_connectivity": {"category_codes": ["NEWS"]},
    }
    chosen = client.post("/api/v1/check-in", json=news).json()["tests"]["web_connectivity"]
    assert chosen["urls"] and {u["category_code"] for u in chosen["urls"]} == {"NEWS"}


def test_check_in_report_ids_take_submissions(
    client: httpx.Client, running: CollectorProcess
) -> None:
    m = fixture_measurement("tlsBlockingConnectionResetWithConsistentDNS")
    body = {"probe_cc": m["probe_cc"], "probe_asn": m["probe_asn"]}
    tests = client.post("/api/v1/check-in", json=body).json()["tests"]
    m["report_id"] = tests["web_connectivity"]["report_id"]
    answer = client.post(f"/report/{m['report_id']}", content=submission(m))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"probe_cc": "hk"}, "probe_cc"),
        ({"probe_asn": "4760"}, "probe_asn"),
        ({"run_type": "sometimes"}, "run_type"),
        ({"charging": "yes"}, "charging"),
        ({"web_connectivity": {"category_codes": ["NE WS"]}}, "web_connectivity.category_codes"),
    ],
)
def test_check_in_refuses_bad_fields_naming_them(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    assert error_of(client.post("/api/v1/check-in", json=body), 400)["field"] == field


def test_test_helpers(client: httpx.Client) -> None:
    answer = client.get("/api/v1/test-helpers")
    assert answer.status_code == 200
    assert answer.json() == {
        "web-connectivity": [{"address": "https://th.example.org", "type": "https"}]
    }


def bad_submissions(client: httpx.Client) -> list[tuple[str, httpx.Response, int, str]]:
    """(what, answer, expected status, expected field) for every kind of bad submission."""
    m = opened(client, fixture_measurement("dnsBlockingAndroidDNSCacheNoData"))
    url = f"/report/{m['report_id']}"
    out = []

    def post(what: str, status: int, field: str, body: bytes, **headers: str) -> None:
        out.append((what, client.post(url, content=body, headers=headers), status, field))

    post("wrong country", 400, "content.probe_cc", submission({**m, "probe_cc": "FR"}))
    post("wrong network", 400, "content.probe_asn", submission({**m, "probe_asn": "AS3215"}))
    post("wrong test", 400, "content.test_name", submission({**m, "test_name": "telegram"}))
    post("other report", 400, "content.report_id", submission({**m, "report_id": "x"}))
    post("invalid JSON", 400, "body", submission(m)[:-1])
    post("not an object", 400, "content", b'{"format":"json","content":[1,2]}')
    post("no content", 400, "content", b'{"format":"json"}')
    post("yaml", 400, "format", b'{"format":"yaml","content":{}}')
    post(
        "impossible date",
        400,
        "content.measurement_start_time",
        submission({**m, "measurement_start_time": "2024-02-30 12:00:00"}),
    )
    post(
        "no test_keys",
        400,
        "content.test_keys",
        submission({k: v for k, v in m.items() if k != "test_keys"}),
    )
    post("oversize", 413, "body", b" " * (16 * 1024 * 1024 + 1))
    post(
        "gzip bomb",
        413,
        "body",
        gzip.compress(b" " * (20 * 1024 * 1024)),
        **{"Content-Encoding": "gzip"},
    )
    post("brotli", 415, "Content-Encoding", submission(m), **{"Content-Encoding": "br"})
    post("not gzip", 400, "Content-Encoding", submission(m), **{"Content-Encoding": "gzip"})
    forged = m["report_id"][:-1] + ("0" if m["report_id"][-1] != "0" else "1")
    out.append(
        ("forged id", client.post(f"/report/{forged}", content=submission(m)), 404, "report_id")
    )
    other_cc = m["report_id"].replace(f"_{m['probe_cc']}_", "_FR_")
    fr = submission({**m, "probe_cc": "FR", "report_id": other_cc})
    out.append(("id edited", client.post(f"/report/{other_cc}", content=fr), 404, "report_id"))
    out.append(("close unknown", client.post(f"/report/{forged}/close"), 404, "report_id"))
    return out


def test_bad_submissions_get_a_4xx_naming_the_field_and_store_nothing(tmp_path: Path) -> None:
    shared_path("ooni", "test-lists", "global.csv")
    collector = CollectorProcess(tmp_path / "c").start()
    try:
        with httpx.Client(base_url=collector.url, timeout=60) as client:
            for what, answer, status, field in bad_submissions(client):
                error = error_of(answer, status)
                assert error["field"] == field, (what, error)
                assert error["message"], what
            good = opened(client, fixture_measurement("dnsBlockingNXDOMAIN"))
            answer = client.post(f"/report/{good['report_id']}", content=submission(good))
            uid = answer.json()["measurement_uid"]
        collector.wait_stored({uid})
        assert collector.stored_uids() == [uid]
    finally:
        collector.stop()


def test_rate_limit_exceeded_is_a_429_naming_the_limit(tmp_path: Path) -> None:
    shared_path("ooni", "test-lists", "global.csv")
    collector = CollectorProcess(
        tmp_path / "c", env={"NETVIGIL_COLLECTOR__RATE_LIMIT_SUBMIT": "3/hour"}
    ).start()
    try:
        here = httpx.HTTPTransport(local_address="127.0.0.8")
        with httpx.Client(base_url=collector.url, transport=here, timeout=30) as client:
            m = opened(client, fixture_measurement())
            answers = [
                client.post(f"/report/{m['report_id']}", content=submission(m)) for _ in range(3)
            ]
        assert [a.status_code for a in answers] == [200, 200, 429]
        error = error_of(answers[-1], 429)
        assert error["field"] == "collector.rate_limit_submit"
        assert int(answers[-1].headers["retry-after"]) > 0
        # another client (another loopback address) has its own allowance
        transport = httpx.HTTPTransport(local_address="127.0.0.9")
        with httpx.Client(base_url=collector.url, transport=transport, timeout=30) as other:
            assert open_report(other, fixture_measurement()).status_code == 200
        collector.wait_stored({answers[0].json()["measurement_uid"]})
        assert len(collector.stored_uids()) == 1  # the same measurement twice: stored once
        log = collector.log.read_bytes() if collector.log else b""
        assert b"127.0.0.8" not in log and b"127.0.0.9" not in log
        for path in collector.data_dir.rglob("*"):  # journal, store, keys: no client address
            if path.is_file():
                assert b"127.0.0.8" not in path.read_bytes(), path
                assert b"127.0.0.9" not in path.read_bytes(), path
    finally:
        collector.stop()
