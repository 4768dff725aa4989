"""Real failures on loopback map to OONI's failure strings (the table in docs/probe.md)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
from pathlib import Path
from typing import Any

import pytest
from probe_servers import World, blackhole, closed_port

from netvigil.probe.fetch import Network, fetch
from netvigil.probe.runner import resolver_address, tls_context
from netvigil.probe.steps import Trace, lookup_udp


def network(world: World, *, ca: Path | None = None, timeout: float = 1.5) -> Network:
    return Network(
        tls=tls_context(ca),
        udp_resolver=resolver_address(world.dns),
        dns_timeout=timeout,
        tcp_timeout=timeout,
        tls_timeout=timeout,
        http_timeout=timeout,
        connect_loopback=True,
    )


def fetched(net: Network, url: str) -> tuple[Any, Trace]:
    trace = Trace()
    result = asyncio.run(fetch(trace, net, url))
    return result, trace


def test_closed_port_is_connection_refused(world: World) -> None:
    result, trace = fetched(network(world), f"http://127.0.0.1:{closed_port()}/")
    assert result.failure == "connection_refused"
    assert trace.tcp_connect[0].status.failure == "connection_refused"
    assert trace.tcp_connect[0].status.success is False
    assert trace.requests == []


def test_a_dropped_syn_is_generic_timeout_error(world: World) -> None:
    listener, keep = blackhole()
    try:
        port = listener.getsockname()[1]
        result, trace = fetched(network(world, timeout=0.5), f"http://127.0.0.1:{port}/")
    finally:
        for s in (listener, *keep):
            s.close()
    assert result.failure == "generic_timeout_error"
    assert trace.tcp_connect[0].status.failure == "generic_timeout_error"


def test_rst_after_the_request_is_connection_reset(world: World) -> None:
    result, trace = fetched(network(world), f"{world.http}/reset")
    assert trace.tcp_connect[0].status.success is True
    assert result.failure == "connection_reset"
    assert trace.requests[0].failure == "connection_reset"
    assert trace.requests[0].response.code == 0


def test_close_before_any_response_is_eof_error(world: World) -> None:
    result, trace = fetched(network(world), f"{world.http}/eof")
    assert result.failure == "eof_error"
    assert trace.requests[0].failure == "eof_error"


def test_a_server_that_never_answers_is_generic_timeout_error(world: World) -> None:
    result, trace = fetched(network(world, timeout=0.5), f"{world.http}/hang")
    assert result.failure == "generic_timeout_error"
    assert trace.requests[0].failure == "generic_timeout_error"


def test_nxdomain_and_no_answer_from_a_real_dns_server(world: World) -> None:
    trace = Trace()
    server = resolver_address(world.dns)

    async def both() -> tuple[list[str], list[str], list[str]]:
        return (
            await lookup_udp(trace, "blocked.test", server, 2, []),
            await lookup_udp(trace, "nodata.test", server, 2, []),
            await lookup_udp(trace, "site.test", server, 2, []),
        )

    nx, nodata, ok = asyncio.run(both())
    assert (nx, nodata, ok) == ([], [], ["127.0.0.1"])
    failures = {(q.hostname, q.query_type): q.failure for q in trace.queries}
    assert failures[("blocked.test", "A")] == "dns_nxdomain_error"
    assert failures[("nodata.test", "A")] == "dns_no_answer"
    assert failures[("site.test", "A")] is None
    assert failures[("site.test", "AAAA")] == "dns_no_answer"


def test_a_silent_dns_server_is_generic_timeout_error() -> None:
    trace = Trace()
    port = closed_port()  # UDP to a closed port on loopback: ICMP refused or silence
    asyncio.run(lookup_udp(trace, "site.test", ("127.0.0.1", port), 0.5, []))
    assert {q.failure for q in trace.queries} <= {"generic_timeout_error", "connection_refused"}
    assert all(q.failure for q in trace.queries)


@pytest.mark.parametrize(
    ("which", "trusted", "failure"),
    [
        ("https", False, "ssl_unknown_authority"),  # our CA is not in the system store
        ("wrong_name", True, "ssl_invalid_hostname"),
        ("expired", True, "ssl_invalid_certificate"),
    ],
)
def test_tls_verification_failures(world: World, which: str, trusted: bool, failure: str) -> None:
    net = network(world, ca=world.ca_bundle if trusted else None)
    result, trace = fetched(net, f"{getattr(world, which)}/")
    assert result.failure == failure
    assert trace.tls_handshakes[0].failure == failure
    assert trace.tls_handshakes[0].server_name == "localhost"
    assert trace.requests == []


def test_tls_is_verified_with_the_extra_ca_bundle(world: World) -> None:
    result, trace = fetched(network(world, ca=world.ca_bundle), f"{world.https}/")
    assert result.failure is None and result.status == 200
    hs = trace.tls_handshakes[0]
    assert hs.failure is None and hs.negotiated_protocol == "http/1.1"
    assert hs.peer_certificates and hs.peer_certificates[0]["format"] == "base64"


def test_tls_context_rejects_an_unreadable_ca_bundle(tmp_path: Path) -> None:
    from netvigil._errors import ConfigError

    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError, match=r"ca\.pem"):
        tls_context(bad)
    assert isinstance(tls_context(None), ssl.SSLContext)


def _hang_up_server(rst: bool) -> tuple[socket.socket, threading.Thread]:
    """A TCP server that reads the ClientHello, then closes: FIN, or RST when ``rst``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        conn.recv(4096)
        if rst:  # SO_LINGER 0: close() sends a RST instead of a FIN
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


@pytest.mark.parametrize(("rst", "failure"), [(False, "eof_error"), (True, "connection_reset")])
def test_a_hang_up_during_the_tls_handshake(world: World, rst: bool, failure: str) -> None:
    # OONI's redirectWithConsistentDNSAndThenEOFForHTTPS: a middlebox reads the ClientHello and
    # closes cleanly -> eof_error; one that resets -> connection_reset.
    listener, thread = _hang_up_server(rst)
    try:
        port = listener.getsockname()[1]
        result, trace = fetched(network(world), f"https://127.0.0.1:{port}/")
    finally:
        thread.join(timeout=5)
        listener.close()
    assert trace.tcp_connect[0].status.success is True
    assert trace.tls_handshakes[0].failure == failure
    assert result.failure == failure
    assert trace.requests == []
