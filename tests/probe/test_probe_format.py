"""The probe's measurements have OONI's shape, so OONI's tools and our pipeline read them alike."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from probe_servers import World, ooni_measurement
from typer.testing import CliRunner

from netvigil.cli.main import app

TEST_KEYS = (
    "queries", "tcp_connect", "tls_handshakes", "requests", "network_events", "control",
    "control_failure", "dns_experiment_failure", "http_experiment_failure", "body_length_match",
    "body_proportion", "status_code_match", "headers_match", "title_match", "dns_consistency",
    "blocking", "accessible",
)  # fmt: skip


def run_probe(tmp_path: Path, *args: str) -> tuple[Any, list[dict[str, Any]]]:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["probe", "--yes", "--no-progress", "-o", str(out), *args])
    lines = out.read_text().splitlines() if out.exists() else []
    return result, [json.loads(line) for line in lines]


def test_envelope_and_records_have_the_keys_of_oonis_own_measurement(
    probe_env: World, tmp_path: Path
) -> None:
    ooni = ooni_measurement("successWithHTTPS")
    result, [m] = run_probe(tmp_path, f"{probe_env.https}/")
    assert result.exit_code == 0, result.output
    missing = set(ooni) - set(m)
    assert not missing, f"envelope lacks OONI's {missing}"
    assert not [k for k in TEST_KEYS if k not in m["test_keys"]]
    for section in ("queries", "tcp_connect", "tls_handshakes", "requests"):
        theirs, ours = ooni["test_keys"][section][0], m["test_keys"][section][0]
        assert set(theirs) <= set(ours), f"{section} lacks {set(theirs) - set(ours)}"
    ooni_req, our_req = ooni["test_keys"]["requests"][0], m["test_keys"]["requests"][0]
    for part in ("request", "response"):
        assert set(ooni_req[part]) <= set(our_req[part]), part
    theirs_answer = ooni["test_keys"]["queries"][0]["answers"][0]
    ours_answer = m["test_keys"]["queries"][0]["answers"][0]
    assert set(theirs_answer) <= set(ours_answer)


def test_envelope_values_follow_oonis_conventions(probe_env: World, tmp_path: Path) -> None:
    result, [m] = run_probe(
        tmp_path, f"{probe_env.http}/", "--annotation", "lab_scenario=successWithHTTP"
    )
    assert result.exit_code == 0, result.output
    assert m["data_format_version"] == "0.2.0"
    assert (m["test_name"], m["test_version"]) == ("web_connectivity", "0.5.28")
    assert m["software_name"] == "netvigil"
    assert m["probe_ip"] == "127.0.0.1"
    assert (m["probe_cc"], m["probe_asn"]) == ("ZZ", "AS0")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", m["measurement_start_time"])
    assert re.fullmatch(r"\d{8}T\d{6}Z_webconnectivity_ZZ_0_n1_[0-9a-f]{16}", m["report_id"])
    assert m["annotations"]["lab_scenario"] == "successWithHTTP"
    assert m["test_helpers"]["backend"]["address"] == probe_env.helper_url
    assert m["input"] == f"{probe_env.http}/"
    tk = m["test_keys"]
    assert tk["requests"][0]["response"]["code"] == 200
    assert "Netvigil test page" in tk["requests"][0]["response"]["body"]
    assert tk["x_control_request"]["tcp_connect"] == [probe_env.http.removeprefix("http://")]


def test_a_reachable_site_is_accessible_and_not_blocked(probe_env: World, tmp_path: Path) -> None:
    result, measurements = run_probe(tmp_path, f"{probe_env.http}/", f"{probe_env.https}/")
    assert result.exit_code == 0, result.output
    for m in measurements:
        tk = m["test_keys"]
        assert tk["control_failure"] is None, m["input"]
        assert tk["control"]["http_request"]["title"] == "Netvigil test page"
        assert (tk["blocking"], tk["accessible"]) == (False, True), m["input"]
        assert tk["dns_consistency"] == "consistent"
        assert tk["body_length_match"] is True and tk["status_code_match"] is True
    https = next(m for m in measurements if m["input"].startswith("https"))
    tls = https["test_keys"]["tls_handshakes"][0]
    assert tls["failure"] is None and tls["server_name"] == "localhost"
    assert tls["tls_version"].startswith("TLSv1.")


def test_settings_come_from_the_environment_names_the_lab_uses(
    probe_env: World, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("NETVIGIL_PROBE__PROBE_CC", "IR")
    monkeypatch.setenv("NETVIGIL_PROBE__PROBE_ASN", "AS58224")
    result, [m] = run_probe(tmp_path, f"{probe_env.http}/")
    assert result.exit_code == 0, result.output
    assert (m["probe_cc"], m["probe_asn"]) == ("IR", "AS58224")
    udp = [q for q in m["test_keys"]["queries"] if q["engine"] == "udp"]
    assert udp == [] or all(q["resolver_address"] == probe_env.dns for q in udp)


def test_bodies_are_capped_and_binary_ones_kept_exactly_as_base64(world: World) -> None:
    import asyncio
    import base64

    from netvigil.probe.fetch import Network, fetch
    from netvigil.probe.runner import tls_context
    from netvigil.probe.steps import Trace

    def get(path: str, cap: int) -> Any:
        trace = Trace()
        net = Network(tls=tls_context(None), udp_resolver=None, max_body=cap, connect_loopback=True)
        asyncio.run(fetch(trace, net, f"{world.http}{path}"))
        return trace.requests[0].response

    small = get("/", 16)
    assert small.body_is_truncated is True and small.body == "<!doctype html><"
    whole = get("/", 1 << 20)
    assert whole.body_is_truncated is False and "</html>" in whole.body
    binary = get("/binary", 1 << 20)
    assert binary.body["format"] == "base64"
    assert base64.b64decode(binary.body["data"]) == bytes(range(256)) * 4


def test_json_flag_prints_one_verdict_line_per_url(world: World, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "probe",
            "--yes",
            "--json",
            "-o",
            str(tmp_path / "m.jsonl"),
            f"{world.http}/",
            f"{world.http}/eof",
        ],
        env=world.env(),
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    by_url = {line["input"]: line for line in lines}
    assert set(by_url) == {f"{world.http}/", f"{world.http}/eof"}
    assert by_url[f"{world.http}/"]["blocking"] is False
    assert by_url[f"{world.http}/"]["accessible"] is True
    assert by_url[f"{world.http}/eof"]["accessible"] is False
