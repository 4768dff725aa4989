"""The control: our helper speaks OONI's TH protocol; an unreachable helper is data, not a crash."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from probe_servers import PAGE, World, closed_port, ooni_measurement
from typer.testing import CliRunner

from netvigil.cli.main import app


def ask(world: World, body: object) -> httpx.Response:
    return httpx.post(world.helper_url, content=json.dumps(body), timeout=20)


def test_helper_answers_oonis_protocol_from_its_own_vantage(world: World) -> None:
    port = world.http.rsplit(":", 1)[1]
    refused = closed_port()
    answer = ask(
        world,
        {
            "http_request": f"http://site.test:{port}/",
            "http_request_headers": {"User-Agent": ["x"]},
            "tcp_connect": [f"127.0.0.1:{port}", f"127.0.0.1:{refused}"],
        },
    )
    assert answer.status_code == 200
    control = answer.json()
    assert set(control) >= {"tcp_connect", "tls_handshake", "http_request", "dns", "ip_info"}
    assert control["dns"] == {"failure": None, "addrs": ["127.0.0.1"]}  # from its resolver
    assert control["tcp_connect"][f"127.0.0.1:{port}"] == {"status": True, "failure": None}
    assert control["tcp_connect"][f"127.0.0.1:{refused}"] == {
        "status": False,
        "failure": "connection_refused",
    }
    http = control["http_request"]
    assert http["status_code"] == 200
    assert http["body_length"] == len(PAGE)
    assert http["title"] == "Netvigil test page"
    assert http["failure"] is None
    assert http["headers"]["X-Test-Server"] == "netvigil"
    # probe-resolved (1) + TH-resolved (2) + bogon (4: loopback is a bogon in netxlite)
    assert control["ip_info"]["127.0.0.1"]["flags"] == 1 | 2 | 4


def test_helper_does_tls_for_https_endpoints(world: World) -> None:
    port = world.https.rsplit(":", 1)[1]
    control = ask(
        world, {"http_request": f"{world.https}/", "tcp_connect": [f"127.0.0.1:{port}"]}
    ).json()
    assert control["tls_handshake"][f"127.0.0.1:{port}"] == {
        "server_name": "localhost",
        "status": True,
        "failure": None,
    }
    assert control["ip_info"]["127.0.0.1"]["flags"] & 8  # valid for the domain


def test_helper_reports_its_dns_failure(world: World) -> None:
    control = ask(world, {"http_request": "http://blocked.test/", "tcp_connect": []}).json()
    # OONI's helper's strings (oohelperd dnsMapFailure): NXDOMAIN is dns_name_error ...
    assert control["dns"] == {"failure": "dns_name_error", "addrs": []}
    assert control["http_request"]["failure"] == "dns_nxdomain_error"
    assert control["http_request"]["status_code"] == -1
    assert control["http_request"]["body_length"] == -1


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "not JSON"),
        (b'{"http_request": "ftp://x/"}', "http_request"),
        (b'{"http_request": "http://x/", "tcp_connect": ["nonsense"]}', "nonsense"),
        (b"[1, 2]", "JSON object"),
    ],
)
def test_helper_refuses_bad_requests_with_a_clear_400(
    world: World, body: bytes, needle: str
) -> None:
    answer = httpx.post(world.helper_url, content=body, timeout=10)
    assert answer.status_code == 400
    assert needle in answer.json()["error"]


def test_unreachable_helper_gives_control_failure_and_null_blocking(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "m.jsonl"
    env = world.env(NETVIGIL_PROBE__HELPER_URL=f"http://127.0.0.1:{closed_port()}/")
    result = CliRunner().invoke(app, ["probe", "--yes", "-o", str(out), f"{world.http}/"], env=env)
    assert result.exit_code == 0, result.output
    tk = json.loads(out.read_text())["test_keys"]
    assert tk["control_failure"] == "connection_refused"
    assert tk["control"] is None
    assert (tk["blocking"], tk["accessible"]) == (None, None)
    # the measurement itself is complete: the page was fetched
    assert tk["requests"][0]["response"]["code"] == 200


def test_a_helper_answering_garbage_is_a_control_failure(world: World, tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    # the test web server is not a helper: POST / returns its HTML page
    env = world.env(NETVIGIL_PROBE__HELPER_URL=f"{world.http}/")
    result = CliRunner().invoke(app, ["probe", "--yes", "-o", str(out), f"{world.http}/"], env=env)
    assert result.exit_code == 0, result.output
    tk = json.loads(out.read_text())["test_keys"]
    assert tk["control_failure"].startswith("unknown_failure")
    assert tk["blocking"] is None


def test_the_helper_command_serves_with_settings_from_the_environment(
    world: World, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys
    import time

    port = closed_port()
    table = tmp_path / "asn.csv"  # what OONI's helper takes from its GeoIP database
    table.write_text("network,asn,country\n127.0.0.0/8,AS64500,ZZ\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(
        NETVIGIL_HELPER__PORT=str(port),
        NETVIGIL_HELPER__RESOLVER=world.dns,
        NETVIGIL_HELPER__IP_TABLE=str(table),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "netvigil", "helper", "--host", "127.0.0.1"],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.post(url, json={"http_request": "http://site.test/"}, timeout=10)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the helper did not start"
                time.sleep(0.1)
        assert answer.status_code == 200
        assert answer.json()["dns"] == {"failure": None, "addrs": ["127.0.0.1"]}
        assert answer.json()["ip_info"]["127.0.0.1"]["asn"] == 64500
        assert httpx.get(url, timeout=5).json()["service"] == "netvigil test helper"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_helper_reports_a_name_without_addresses_as_an_empty_list(world: World) -> None:
    # ... and "no answer" is an empty list with no failure, as in OONI's websiteDownNoAddrs.
    control = ask(world, {"http_request": "http://nodata.test/", "tcp_connect": []}).json()
    ooni = ooni_measurement("websiteDownNoAddrs")["test_keys"]["control"]
    assert control["dns"] == ooni["dns"] == {"failure": None, "addrs": []}
