"""A chunked block page against a chunked real site: the http-diff must not be hidden.

Dynamic pages and nginx block pages are usually sent with ``Transfer-Encoding: chunked``. Go's
net/http (OONI's probe and helper) drops that header, and a chunked body's ``Trailer``, while it
parses a response; a reader that records them makes a block page and the real site "share" an
uncommon header, so ``headers_match`` turns true and the page passes for the real one.

Real servers on loopback: the probe's resolver sends ``localhost`` to a block page on 127.0.0.1,
the helper's resolver to the real site on 127.0.0.3 (same port); an IP table puts both in one
network, so DNS is consistent and the page comparison decides. The probe and the helper read
both pages with the probe's own HTTP reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from probe_servers import LoopThread, closed_port, start_dns, start_helper
from typer.testing import CliRunner

from netvigil.analysis import verdict_of
from netvigil.analysis.iptable import IpTable
from netvigil.analysis.webconnectivity import analyze_web_connectivity
from netvigil.cli.main import app

BLOCK_PAGE = (
    b"<html><head><title>Access restricted</title></head><body><center><h1>This site is "
    b"blocked by order of the authority</h1></center><hr><center>nginx</center></body></html>"
)
REAL_PAGE = (
    b"<!doctype html><html><head><title>Daily Chronicle front page</title></head><body>"
    + b"<article><h2>Today's stories</h2><p>Council meets on the budget; the river is high; "
    + b"the market opens late.</p></article>" * 40
    + b"</body></html>"
)


def _chunked(body: bytes) -> bytes:
    """The body as chunks of 100 bytes, then the trailer the Trailer header announced."""
    out = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 100]), body[i : i + 100])
        for i in range(0, len(body), 100)
    )
    return out + b"0\r\nX-Render-Time: 12\r\n\r\n"


def _page_server(body: bytes) -> Any:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await reader.readuntil(b"\r\n\r\n")
            head = (
                "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\n"
                "Transfer-Encoding: chunked\r\nTrailer: X-Render-Time\r\n\r\n"
            )
            writer.write(head.encode() + _chunked(body))
            await writer.drain()
        writer.close()

    return handle


def _free_port_on(*hosts: str) -> int:
    """A port free on every one of ``hosts`` (the URL names one port for both servers)."""
    for _ in range(50):
        port = closed_port(hosts[0])
        try:
            for host in hosts[1:]:
                with socket.socket() as s:
                    s.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no common free port")


@pytest.fixture(scope="module")
def chunked_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    loop = LoopThread()
    port = _free_port_on("127.0.0.1", "127.0.0.3")
    servers = [
        loop.run(asyncio.start_server(_page_server(BLOCK_PAGE), "127.0.0.1", port)),
        loop.run(asyncio.start_server(_page_server(REAL_PAGE), "127.0.0.3", port)),
    ]
    with contextlib.suppress(OSError):  # where localhost also resolves to ::1
        servers.append(loop.run(asyncio.start_server(_page_server(BLOCK_PAGE), "::1", port)))
    probe_dns, helper_dns = closed_port(), closed_port()
    loop.run(start_dns("127.0.0.1", probe_dns, {"localhost": ["127.0.0.1"]}))
    loop.run(start_dns("127.0.0.1", helper_dns, {"localhost": ["127.0.0.3"]}))
    helper_port = closed_port()
    helper = start_helper("127.0.0.1", helper_port, f"127.0.0.1:{helper_dns}", None)
    table = tmp_path_factory.mktemp("iptable") / "asn.csv"
    table.write_text("network,asn,country\n127.0.0.0/8,64500,XX\n::1/128,64500,XX\n")
    yield {
        "url": f"http://localhost:{port}/",
        "table": table,
        "env": {
            "NETVIGIL_PROBE__HELPER_URL": f"http://127.0.0.1:{helper_port}/",
            "NETVIGIL_PROBE__RESOLVER": f"127.0.0.1:{probe_dns}",
            "NETVIGIL_PROBE__CONNECT_LOOPBACK": "true",
            "NETVIGIL_PROBE__CONTROL_TIMEOUT": "20",
        },
    }
    helper.should_exit = True
    for server in servers:
        server.close()
    loop.stop()


@pytest.fixture(scope="module")
def measurement(
    chunked_world: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("probe") / "out.jsonl"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in chunked_world["env"].items():
            mp.setenv(key, value)
        result = CliRunner().invoke(
            app, ["probe", "--yes", "--no-progress", "-o", str(out), chunked_world["url"]]
        )
    assert result.exit_code == 0, result.output
    [line] = out.read_text().splitlines()
    m: dict[str, Any] = json.loads(line)
    return m


def test_probe_and_helper_record_no_framing_headers(measurement: dict[str, Any]) -> None:
    tk = measurement["test_keys"]
    response = tk["requests"][0]["response"]
    assert "Access restricted" in response["body"]  # the probe got the block page
    assert tk["control"]["http_request"]["title"] == "Daily Chronicle front page"
    for headers in (response["headers"], tk["control"]["http_request"]["headers"]):
        names = {name.lower() for name in headers}
        assert "server" in names  # the other headers are kept
        assert not names & {"transfer-encoding", "trailer"}
    assert not {n.lower() for n, _ in response["headers_list"]} & {"transfer-encoding", "trailer"}


def test_chunked_block_page_is_an_http_diff(
    measurement: dict[str, Any], chunked_world: Any
) -> None:
    table = IpTable.load(chunked_world["table"])
    v = verdict_of(measurement, ip_table=table)
    assert (v.dns_consistency, v.blocking, v.outcome) == ("consistent", "http-diff", "anomaly")
    assert v.blocking_detail == "http.diff"


def test_old_measurements_recording_the_framing_headers_are_compared_without_them(
    measurement: dict[str, Any], chunked_world: Any
) -> None:
    """Probes and helpers that kept Transfer-Encoding and Trailer (as ours did): the analysis
    leaves them out of the comparison, so the block page still differs."""
    old = copy.deepcopy(measurement)
    tk = old["test_keys"]
    for headers in (
        tk["requests"][0]["response"]["headers"],
        tk["control"]["http_request"]["headers"],
    ):
        headers["Transfer-Encoding"] = "chunked"
        headers["Trailer"] = "X-Render-Time"
    table = IpTable.load(chunked_world["table"])
    analysis = analyze_web_connectivity(tk, asn_of=table.asn_of)
    assert analysis.headers_match is False
    assert (analysis.blocking, analysis.dns_consistency) == ("http-diff", "consistent")
    assert verdict_of(old, ip_table=table).blocking == "http-diff"


def test_without_an_ip_table_the_two_addresses_look_inconsistent(measurement: Any) -> None:
    """What `netvigil verdict` gave before it used the configured IP table."""
    v = verdict_of(measurement)
    assert (v.dns_consistency, v.blocking) == ("inconsistent", "dns")


def test_the_verdict_command_uses_the_ip_table_and_says_when_there_is_none(
    measurement: dict[str, Any], chunked_world: Any, tmp_path: Path
) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(measurement) + "\n")
    plain = CliRunner().invoke(app, ["verdict", str(path)])
    assert "no IP table configured" in plain.stderr
    assert json.loads(plain.stdout)["blocking"] == "dns"
    config = tmp_path / "netvigil.toml"
    config.write_text(f'[analysis]\nip_table = "{chunked_world["table"]}"\n')
    configured = CliRunner().invoke(app, ["--config", str(config), "verdict", str(path)])
    assert "no IP table" not in configured.stderr
    assert json.loads(configured.stdout)["blocking"] == "http-diff"
