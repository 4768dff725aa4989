"""Loopback answers are recorded but never connected to, as OONI's probe does (ooni/probe#2397).

The servers of these tests are on 127.0.0.1, so the world's settings turn
``probe.connect_loopback`` on; here it is back at its default (off) and the web server must see
no request at all.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from probe_servers import World, closed_port, ooni_measurement
from typer.testing import CliRunner

from netvigil._settings import Settings
from netvigil.cli.main import app


def probe(world: World, tmp_path: Path, *urls: str) -> list[dict[str, Any]]:
    out = tmp_path / "m.jsonl"
    # No helper (it would fetch the page itself): whatever reaches the web server is the probe.
    helper = f"http://127.0.0.1:{closed_port()}/"
    env = world.env(NETVIGIL_PROBE__CONNECT_LOOPBACK="false", NETVIGIL_PROBE__HELPER_URL=helper)
    result = CliRunner().invoke(
        app, ["probe", "--yes", "--no-progress", "-o", str(out), *urls], env=env
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_loopback_is_off_by_default() -> None:
    assert Settings().probe.connect_loopback is False


def test_a_loopback_answer_is_looked_up_but_not_connected_to(world: World, tmp_path: Path) -> None:
    https_port = world.https.rsplit(":", 1)[1]
    urls = [f"{world.http}/?loopback-literal", f"https://localhost:{https_port}/?loopback-name"]
    seen_before = list(world.behaviour.requests)
    measurements = probe(world, tmp_path, *urls)
    assert len(measurements) == 2
    # OONI's localhostWithHTTP(S): no TCP connect, no TLS, no request, no failure recorded
    ooni = ooni_measurement("localhostWithHTTP")["test_keys"]
    assert ooni["tcp_connect"] == [] and ooni["requests"] == []
    for m in measurements:
        tk = m["test_keys"]
        assert tk["tcp_connect"] == []
        assert tk["tls_handshakes"] == []
        assert tk["requests"] == []
        assert tk["http_experiment_failure"] is ooni["http_experiment_failure"] is None
        assert tk["dns_experiment_failure"] is ooni["dns_experiment_failure"] is None
        gai = [q for q in tk["queries"] if q["engine"] == "getaddrinfo"]
        answered = {a.get("ipv4") or a.get("ipv6") for q in gai for a in q["answers"] or []}
        assert answered and all(ip in ("127.0.0.1", "::1") for ip in answered)
    # the web server really was not reached (it logs every request it gets)
    assert [r for r in world.behaviour.requests if "loopback" in r] == [
        r for r in seen_before if "loopback" in r
    ]


def test_with_connect_loopback_the_same_url_is_fetched(world: World, tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    result = CliRunner().invoke(
        app,
        ["probe", "--yes", "--no-progress", "-o", str(out), f"{world.http}/?loopback-on"],
        env=world.env(),
    )
    assert result.exit_code == 0, result.output
    tk = json.loads(out.read_text())["test_keys"]
    assert tk["tcp_connect"][0]["ip"] == "127.0.0.1"
    assert tk["requests"][0]["response"]["code"] == 200
    assert "/?loopback-on" in world.behaviour.requests


def test_the_helper_does_not_connect_to_loopback_either(world: World) -> None:
    # OONI's helper answers localhostWithHTTP with no tcp_connect and an unknown_error fetch;
    # connecting would let anyone make the helper reach its own host's services.
    from netvigil.helper.control import answer, parse_request
    from netvigil.probe.fetch import Network
    from netvigil.probe.runner import tls_context

    assert Settings().helper.connect_loopback is False
    port = world.http.rsplit(":", 1)[1]
    request = parse_request(
        {"http_request": f"{world.http}/?helper-loopback", "tcp_connect": [f"127.0.0.1:{port}"]}
    )
    net = Network(tls=tls_context(None), udp_resolver=None, tcp_timeout=2, http_timeout=2)
    control = asyncio.run(answer(request, net))
    ooni = ooni_measurement("localhostWithHTTP")["test_keys"]["control"]
    assert control["tcp_connect"] == ooni["tcp_connect"] == {}
    assert control["http_request"]["failure"] == ooni["http_request"]["failure"] == "unknown_error"
    assert control["http_request"]["status_code"] == -1
    assert control["dns"]["addrs"] == ["127.0.0.1"]
    assert control["ip_info"]["127.0.0.1"]["flags"] & 4  # still flagged as a bogon
    assert "/?helper-loopback" not in world.behaviour.requests
