"""Redirects: followed up to 10, each hop re-doing DNS/TCP, the 11th is OONI's failure."""

from __future__ import annotations

import asyncio

from probe_servers import World, ooni_measurement

from netvigil.probe.fetch import TOO_MANY_REDIRECTS, Network, fetch, redirect_target
from netvigil.probe.runner import resolver_address, tls_context
from netvigil.probe.steps import Trace


def run(world: World, url: str) -> tuple[object, Trace]:
    net = Network(
        tls=tls_context(world.ca_bundle),
        udp_resolver=resolver_address(world.dns),
        connect_loopback=True,
    )
    trace = Trace()
    return asyncio.run(fetch(trace, net, url)), trace


def test_ten_redirects_are_followed_to_the_page(world: World) -> None:
    result, trace = run(world, f"{world.http}/redirect/10")
    assert result.failure is None
    assert result.status == 200
    assert len(trace.requests) == 11
    assert [r.response.code for r in trace.requests] == [302] * 10 + [200]
    assert trace.requests[-1].request.url == f"{world.http}/redirect/0"
    # every hop is a fresh connection and a fresh lookup, tagged with its depth
    assert len(trace.tcp_connect) == 11
    assert {q.tags[-1] for q in trace.queries} == {f"depth={d}" for d in range(11)}


def test_the_eleventh_redirect_is_oonis_too_many_redirects(world: World) -> None:
    result, trace = run(world, f"{world.http}/redirect/11")
    assert result.failure == TOO_MANY_REDIRECTS
    assert TOO_MANY_REDIRECTS == "unknown_failure: stopped after too many redirects"
    assert len(trace.requests) == 11
    assert all(r.response.code == 302 for r in trace.requests)


def test_requests_are_recorded_newest_first_like_ooni(world: World, tmp_path: object) -> None:
    import json
    from pathlib import Path

    from typer.testing import CliRunner

    from netvigil.cli.main import app

    out = Path(str(tmp_path)) / "m.jsonl"
    env = world.env()
    result = CliRunner().invoke(
        app, ["probe", "--yes", "-o", str(out), f"{world.http}/redirect/2"], env=env
    )
    assert result.exit_code == 0, result.output
    tk = json.loads(out.read_text())["test_keys"]
    assert [r["request"]["url"].rsplit("/", 1)[1] for r in tk["requests"]] == ["0", "1", "2"]
    assert (tk["blocking"], tk["accessible"]) == (False, True)


def test_a_location_without_a_host_is_oonis_invalid_redirect(world: World) -> None:
    # OONI's redirectWithBrokenLocationFor{HTTP,HTTPS}: Location "http://" / "https://" is not
    # followed (Python's urljoin would turn "http://" back into the same URL and loop).
    for base, path in (
        (world.http, "/broken-redirect-http"),
        (world.https, "/broken-redirect-https"),
    ):
        result, trace = run(world, base + path)
        assert result.failure == "http_invalid_redirect_location_host", base
        assert len(trace.requests) == 1  # no second hop
        request = trace.requests[0]
        assert request.failure == "http_invalid_redirect_location_host"
        assert request.response.code == 302  # the 302 itself stays recorded, as in OONI's
        assert request.response.headers["Location"] == path.rsplit("-", 1)[1] + "://"
    ooni = ooni_measurement("redirectWithBrokenLocationForHTTP")["test_keys"]
    assert ooni["requests"][0]["failure"] == result.failure


def test_a_relative_or_scheme_relative_location_is_resolved() -> None:
    base = "https://site.test/a/b"
    assert redirect_target(base, "/c") == "https://site.test/c"
    assert redirect_target(base, "c?x=1") == "https://site.test/a/c?x=1"
    assert redirect_target(base, "//other.test/d") == "https://other.test/d"
    assert redirect_target(base, "http://other.test/") == "http://other.test/"
    assert redirect_target(base, "https://") is None
    assert redirect_target(base, "http://") is None
    assert redirect_target(base, "//") is None


def test_the_helper_reports_the_invalid_redirect_too(world: World) -> None:
    import httpx

    body = {"http_request": f"{world.http}/broken-redirect-http", "tcp_connect": []}
    answer = httpx.post(world.helper_url, json=body, timeout=20).json()
    assert answer["http_request"]["failure"] == "http_invalid_redirect_location_host"
    assert answer["http_request"]["status_code"] == -1
