"""One target of an app test, measured as OONI's ``urlgetter`` does: a lookup, a connect, a fetch.

The messaging tests (telegram, whatsapp, signal, facebook_messenger) and tor measure a list of
targets (``dnslookup://host``, ``tcpconnect://host:port``, ``https://host/path``), each on its own:
resolve with the system resolver, connect to the addresses one after another until one answers,
TLS when the URL is https, then one HTTP request. What it saw goes into the shared ``Trace`` in
OONI's records, every record of one target under one ``transaction_id``; unlike web_connectivity,
a fetch that fails before HTTP still gets its ``requests`` entry with the failure (as urlgetter
writes it), so a reader finds every target's outcome in ``requests``. Redirects are not followed:
any HTTP answer is a success for these tests (OONI: ``FailOnHTTPError: false``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from netvigil.probe.failures import failure_of
from netvigil.probe.fetch import REQUEST_HEADERS, Network, split_target
from netvigil.probe.records import (
    NO_TOR,
    DnsAnswer,
    DnsQuery,
    HttpRequestRecord,
    HttpResponseRecord,
    HttpTransaction,
    NetworkEvent,
)
from netvigil.probe.steps import Connection, Trace, connect, http_get, tls_handshake

# OONI's names of the operation a target failed in (netxlite: ResolveOperation, ...).
RESOLVE, CONNECT, TLS_HANDSHAKE, HTTP = "resolve", "connect", "tls_handshake", "http_round_trip"

AsnOf = Callable[[str], int | None]


@dataclass
class Outcome:
    """How one target went: its failure (OONI string) and the operation that failed."""

    failure: str | None = None
    failed_operation: str | None = None
    addresses: list[str] = field(default_factory=list)  # what the lookup answered
    connected: str | None = None  # ip:port of the connection that worked
    status: int = 0  # HTTP status (0: no response)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _answer(ip: str, asn_of: AsnOf | None) -> DnsAnswer:
    asn = (asn_of(ip) if asn_of is not None else None) or 0
    if ipaddress.ip_address(ip).version == 6:
        return DnsAnswer(answer_type="AAAA", ttl=None, asn=asn, as_org_name="", ipv6=ip)
    return DnsAnswer(answer_type="A", ttl=None, asn=asn, as_org_name="", ipv4=ip)


async def lookup(
    trace: Trace, net: Network, host: str, tid: int, asn_of: AsnOf | None
) -> tuple[list[str], str | None]:
    """The system resolver (getaddrinfo), recorded as OONI's ``system`` engine: one query for A
    and one for AAAA when it answered some. An address literal needs no lookup and records none."""
    if _is_ip(host):
        return [host], None
    t0 = trace.now()
    trace.network_events.append(NetworkEvent("resolve_start", None, t0, t0, tid))
    addrs: list[str] = []
    failure: str | None = None
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            ),
            net.dns_timeout,
        )
        for info in infos:
            ip = str(info[4][0])
            if ip not in addrs:
                addrs.append(ip)
        if not addrs:
            failure = "dns_no_answer"
    except Exception as exc:
        failure = failure_of(exc)
    t = trace.now()
    trace.network_events.append(NetworkEvent("resolve_done", failure, t0, t, tid))
    v4 = [a for a in addrs if ipaddress.ip_address(a).version == 4]
    v6 = [a for a in addrs if ipaddress.ip_address(a).version == 6]
    for qtype, found in (("A", v4), ("AAAA", v6)):
        if qtype == "AAAA" and not found:
            continue  # as OONI's system resolver records it: AAAA only when it answered
        trace.queries.append(
            DnsQuery(
                answers=[_answer(ip, asn_of) for ip in found] or None,
                engine="system",
                failure=failure,
                hostname=host,
                query_type=qtype,
                resolver_hostname=None,
                resolver_port=None,
                resolver_address="",
                t=t,
                tags=[],
                transaction_id=tid,
            )
        )
    return addrs, failure


async def _dial(
    trace: Trace, net: Network, addrs: list[str], port: int, tid: int
) -> tuple[Connection | None, str | None]:
    """Connect to each address in turn until one answers (netxlite's dialer)."""
    failure: str | None = "generic_timeout_error"
    for ip in addrs:
        if not net.connect_loopback and ipaddress.ip_address(ip).is_loopback:
            continue  # never connect to a loopback answer (a censor's, or a mistake)
        conn = await connect(trace, ip, port, net.tcp_timeout, [])
        if conn is not None:
            _relabel(trace, conn.transaction_id, tid)
            conn.transaction_id = tid
            return conn, None
        _relabel(trace, trace.tcp_connect[-1].transaction_id, tid)
        failure = trace.tcp_connect[-1].status.failure
    return None, failure


def _relabel(trace: Trace, old: int, new: int) -> None:
    """Give the records ``connect`` made under its own id the target's id."""
    import msgspec

    if trace.tcp_connect and trace.tcp_connect[-1].transaction_id == old:
        trace.tcp_connect[-1] = msgspec.structs.replace(trace.tcp_connect[-1], transaction_id=new)
    for i in range(len(trace.network_events) - 1, -1, -1):
        event = trace.network_events[i]
        if event.transaction_id == old:
            trace.network_events[i] = msgspec.structs.replace(event, transaction_id=new)
            break


async def dns_target(trace: Trace, net: Network, host: str, asn_of: AsnOf | None) -> Outcome:
    """``dnslookup://host``."""
    addrs, failure = await lookup(trace, net, host, trace.new_id(), asn_of)
    return Outcome(failure, RESOLVE if failure else None, addrs)


async def tcp_target(
    trace: Trace, net: Network, host: str, port: int, asn_of: AsnOf | None
) -> Outcome:
    """``tcpconnect://host:port``: the lookup, then a connect (closed at once)."""
    tid = trace.new_id()
    addrs, failure = await lookup(trace, net, host, tid, asn_of)
    if failure is not None:
        return Outcome(failure, RESOLVE)
    conn, failure = await _dial(trace, net, addrs, port, tid)
    if conn is None:
        return Outcome(failure, CONNECT, addrs)
    conn.close()
    return Outcome(None, None, addrs, conn.address)


async def tls_target(
    trace: Trace, net: Network, host: str, port: int, context: ssl.SSLContext, sni: str | None
) -> Outcome:
    """``tlshandshake://host:port``: a connect and a TLS handshake (Tor's OR ports)."""
    tid = trace.new_id()
    addrs, failure = await lookup(trace, net, host, tid, None)
    if failure is not None:
        return Outcome(failure, RESOLVE)
    conn, failure = await _dial(trace, net, addrs, port, tid)
    if conn is None:
        return Outcome(failure, CONNECT, addrs)
    try:
        ok = await tls_handshake(trace, conn, sni or "", context, net.tls_timeout, [])
    finally:
        conn.close()
    if not ok:
        return Outcome(trace.tls_handshakes[-1].failure, TLS_HANDSHAKE, addrs, conn.address)
    return Outcome(None, None, addrs, conn.address)


async def http_target(
    trace: Trace,
    net: Network,
    url: str,
    *,
    method: str = "GET",
    context: ssl.SSLContext | None = None,
    asn_of: AsnOf | None = None,
) -> Outcome:
    """One HTTP(S) request to ``url`` (no redirect followed), recorded whatever step fails."""
    scheme, host, port, host_header, path = split_target(url)
    tid = trace.new_id()
    t0 = trace.now()
    trace.network_events.append(NetworkEvent("http_transaction_start", None, t0, t0, tid))
    out = Outcome()
    addrs, failure = await lookup(trace, net, host, tid, asn_of)
    out.addresses = addrs
    if failure is not None:
        return _failed_request(trace, url, method, host_header, tid, t0, failure, RESOLVE)
    conn, failure = await _dial(trace, net, addrs, port, tid)
    if conn is None:
        return _failed_request(trace, url, method, host_header, tid, t0, failure, CONNECT, addrs)
    try:
        if scheme == "https":
            ok = await tls_handshake(trace, conn, host, context or net.tls, net.tls_timeout, [])
            if not ok:
                failure = trace.tls_handshakes[-1].failure
                return _failed_request(
                    trace, url, method, host_header, tid, t0, failure, TLS_HANDSHAKE, addrs
                )
        got = await http_get(
            trace, conn, url, host_header, path, REQUEST_HEADERS, net.max_body,
            net.http_timeout, [], method=method,
        )  # fmt: skip
    finally:
        conn.close()
    # http_get already wrote the request and its start/done events under the connection's id
    trace.network_events[:] = [
        e
        for e in trace.network_events
        if not (e.transaction_id == tid and e.operation == "http_transaction_start" and e.t0 != t0)
    ]
    return Outcome(got.failure, HTTP if got.failure else None, addrs, conn.address, got.status)


def _failed_request(
    trace: Trace,
    url: str,
    method: str,
    host_header: str,
    tid: int,
    t0: float,
    failure: str | None,
    operation: str,
    addrs: list[str] | None = None,
) -> Outcome:
    """urlgetter's record of a fetch that failed before any HTTP: code 0, no headers."""
    t = trace.now()
    sent = [("Host", host_header), *REQUEST_HEADERS]
    trace.network_events.append(NetworkEvent("http_transaction_done", failure, t0, t, tid))
    trace.requests.append(
        HttpTransaction(
            network="tcp",
            address="",
            alpn="",
            failure=failure,
            request=HttpRequestRecord(
                body="",
                body_is_truncated=False,
                headers_list=sent,
                headers=dict(sent),
                method=method,
                tor=NO_TOR,
                x_transport="tcp",
                url=url,
            ),
            response=HttpResponseRecord(
                body="", body_is_truncated=False, code=0, headers_list=[], headers={}
            ),
            t=t,
            tags=[],
            transaction_id=tid,
        )
    )
    return Outcome(failure, operation, addrs or [])
