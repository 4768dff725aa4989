"""The measurement steps on real sockets: DNS (system + UDP), TCP connect, TLS handshake, HTTP GET.

Each step records what it saw in a :class:`Trace` as OONI records and never raises for a network
failure: the failure is data (an OONI string). Steps are asyncio-native (no blocking call on the
event loop: getaddrinfo runs in the loop's executor, dnspython uses its async API) and HTTP speaks
HTTP/1.1 through h11 on the very connection the TCP/TLS steps opened, so what is measured is what
the request used.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import urlsplit

import dns.asyncquery
import dns.message
import dns.rcode
import dns.rdatatype
import h11

from netvigil.probe.failures import dns_rcode_failure, failure_of
from netvigil.probe.records import (
    NO_TOR,
    DnsAnswer,
    DnsQuery,
    HttpRequestRecord,
    HttpResponseRecord,
    HttpTransaction,
    NetworkEvent,
    TcpConnect,
    TcpStatus,
    TlsHandshake,
    archival_body,
    headers_dict,
)

READ_CHUNK = 65536


@dataclass
class Trace:
    """Everything one measurement observed, in OONI's records, with times relative to its start."""

    started: float = field(default_factory=time.monotonic)
    queries: list[DnsQuery] = field(default_factory=list)
    tcp_connect: list[TcpConnect] = field(default_factory=list)
    tls_handshakes: list[TlsHandshake] = field(default_factory=list)
    requests: list[HttpTransaction] = field(default_factory=list)
    network_events: list[NetworkEvent] = field(default_factory=list)
    # Local addresses our sockets used: the probe's own addresses, scrubbed before storing.
    own_addresses: set[str] = field(default_factory=set)
    # Steps whose records are wanted but whose result nothing waits for (the extra UDP lookup).
    background: list[asyncio.Task[list[str]]] = field(default_factory=list)
    _ids: count[int] = field(default_factory=lambda: count(1))

    async def settle(self) -> None:
        """Wait for the background steps, so their records are complete."""
        await asyncio.gather(*self.background, return_exceptions=True)

    def now(self) -> float:
        return round(time.monotonic() - self.started, 6)

    def new_id(self) -> int:
        return next(self._ids)


@dataclass
class Connection:
    """An open TCP (maybe TLS) connection to one endpoint, ready for HTTP."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    ip: str
    port: int
    transaction_id: int
    alpn: str = ""

    @property
    def address(self) -> str:
        return endpoint(self.ip, self.port)

    def close(self) -> None:
        self.writer.transport.abort()  # no graceful close: never wait on a censored peer


def endpoint(ip: str, port: int) -> str:
    """``ip:port`` as OONI writes it (``[v6]:port`` for IPv6)."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def split_endpoint(text: str) -> tuple[str, int]:
    """(host, port) of ``HOST:PORT`` or ``[v6]:PORT``; ValueError if it is not one."""
    parts = urlsplit("//" + text)
    port = parts.port  # ValueError when out of range or not a number
    if not parts.hostname or port is None:
        raise ValueError("expected HOST:PORT such as 198.51.100.7:443 or [2001:db8::1]:443")
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError("expected HOST:PORT alone, without path, query or user")
    return parts.hostname, port


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _answer(ip: str) -> DnsAnswer:
    if ipaddress.ip_address(ip).version == 6:
        return DnsAnswer(answer_type="AAAA", ttl=None, asn=0, as_org_name="", ipv6=ip)
    return DnsAnswer(answer_type="A", ttl=None, asn=0, as_org_name="", ipv4=ip)


async def lookup_system(trace: Trace, host: str, timeout: float, tags: list[str]) -> list[str]:
    """getaddrinfo through the system resolver (honours /etc/resolv.conf), as OONI's ``ANY``."""
    t0 = trace.now()
    loop = asyncio.get_running_loop()
    addrs: list[str] = []
    failure: str | None = None
    try:
        if _is_address(host):
            # A literal never touches the network: answer it here, not via a thread hop.
            infos = socket.getaddrinfo(
                host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
            )
        else:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, None, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP),
                timeout,
            )
        for info in infos:
            ip = str(info[4][0])
            if ip not in addrs:
                addrs.append(ip)
    except Exception as exc:
        failure = failure_of(exc)
    trace.queries.append(
        DnsQuery(
            answers=[_answer(ip) for ip in addrs] or None,
            engine="getaddrinfo",
            failure=failure,
            hostname=host,
            query_type="ANY",
            resolver_hostname=None,
            resolver_port=None,
            resolver_address="",
            t=t0,
            tags=tags,
            transaction_id=trace.new_id(),
        )
    )
    return addrs


async def lookup_udp(
    trace: Trace, host: str, server: tuple[str, int], timeout: float, tags: list[str]
) -> list[str]:
    """A and AAAA queries over UDP to ``server`` (dnspython), one OONI query record each."""
    tid = trace.new_id()
    results = await asyncio.gather(
        *(_udp_query(trace, host, server, qtype, timeout, tags, tid) for qtype in ("A", "AAAA"))
    )
    return [ip for ips in results for ip in ips]


async def _udp_query(
    trace: Trace,
    host: str,
    server: tuple[str, int],
    qtype: str,
    timeout: float,
    tags: list[str],
    tid: int,
) -> list[str]:
    t0 = trace.now()
    answers: list[DnsAnswer] = []
    failure: str | None = None
    try:
        query = dns.message.make_query(host, qtype)
        reply = await dns.asyncquery.udp(query, server[0], timeout=timeout, port=server[1])
        rcode = reply.rcode()
        if rcode != dns.rcode.NOERROR:
            failure = dns_rcode_failure(dns.rcode.to_text(rcode))
        for rrset in reply.answer:
            for rdata in rrset:
                kind = dns.rdatatype.to_text(rrset.rdtype)
                if kind not in ("A", "AAAA", "CNAME"):
                    continue
                answers.append(
                    DnsAnswer(
                        answer_type=kind,
                        ttl=rrset.ttl,
                        asn=0,
                        as_org_name="",
                        ipv4=rdata.address if kind == "A" else None,
                        ipv6=rdata.address if kind == "AAAA" else None,
                        hostname=str(rdata.target) if kind == "CNAME" else None,
                    )
                )
        if failure is None and not any(a.answer_type == qtype for a in answers):
            failure = "dns_no_answer"
    except Exception as exc:
        failure = failure_of(exc)
    record = DnsQuery(
        answers=answers or None,
        engine="udp",
        failure=failure,
        hostname=host,
        query_type=qtype,
        resolver_hostname=None,
        resolver_port=None,
        resolver_address=endpoint(*server),
        t=t0,
        tags=tags,
        transaction_id=tid,
    )
    trace.queries.append(record)
    return [] if failure else record.addresses()


async def connect(
    trace: Trace, ip: str, port: int, timeout: float, tags: list[str]
) -> Connection | None:
    """TCP connect to ``ip:port``; the connection, or None after recording the failure."""
    tid = trace.new_id()
    t0 = trace.now()
    failure: str | None = None
    conn: Connection | None = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(ip, port, limit=READ_CHUNK * 4), timeout
        )
        conn = Connection(reader, writer, ip, port, tid)
        sockname = writer.get_extra_info("sockname")
        if sockname:
            trace.own_addresses.add(str(sockname[0]))
    except Exception as exc:
        failure = failure_of(exc)
    t = trace.now()
    trace.network_events.append(
        NetworkEvent("connect", failure, t0, t, tid, address=endpoint(ip, port), proto="tcp")
    )
    trace.tcp_connect.append(
        TcpConnect(ip, port, TcpStatus(failure, failure is None), t, tags, tid)
    )
    return conn


async def tls_handshake(
    trace: Trace,
    conn: Connection,
    server_name: str,
    context: ssl.SSLContext,
    timeout: float,
    tags: list[str],
) -> bool:
    """TLS over ``conn`` with SNI ``server_name``, verifying the chain and the name."""
    t0 = trace.now()
    trace.network_events.append(
        NetworkEvent("tls_handshake_start", None, t0, t0, conn.transaction_id)
    )
    failure: str | None = None
    version = cipher = alpn = ""
    certs: list[dict[str, str]] | None = None
    try:
        await asyncio.wait_for(conn.writer.start_tls(context, server_hostname=server_name), timeout)
        tls = conn.writer.get_extra_info("ssl_object")
        if isinstance(tls, ssl.SSLObject):
            version = tls.version() or ""
            cipher = (tls.cipher() or ("",))[0]
            alpn = tls.selected_alpn_protocol() or ""
            der = tls.getpeercert(binary_form=True)
            if der:
                certs = [{"data": base64.b64encode(der).decode(), "format": "base64"}]
        conn.alpn = alpn
    except Exception as exc:
        failure = failure_of(exc)
    t = trace.now()
    trace.network_events.append(
        NetworkEvent("tls_handshake_done", failure, t0, t, conn.transaction_id)
    )
    trace.tls_handshakes.append(
        TlsHandshake(
            network="tcp",
            address=conn.address,
            cipher_suite=cipher,
            failure=failure,
            negotiated_protocol=alpn,
            no_tls_verify=False,
            peer_certificates=certs,
            server_name=server_name,
            t=t,
            tags=tags,
            tls_version=version,
            transaction_id=conn.transaction_id,
        )
    )
    return failure is None


@dataclass(frozen=True)
class HttpResult:
    """What the probe needs from one GET besides the record: the status and the redirect."""

    failure: str | None
    status: int
    location: str | None
    body: bytes


async def http_get(
    trace: Trace,
    conn: Connection,
    url: str,
    host_header: str,
    target: str,
    headers: list[tuple[str, str]],
    max_body: int,
    timeout: float,
    tags: list[str],
    method: str = "GET",
) -> HttpResult:
    """One HTTP/1.1 request (a GET unless ``method``) over ``conn`` with h11; the body is capped
    at ``max_body`` bytes."""
    sent = [("Host", host_header), *headers]
    t0 = trace.now()
    trace.network_events.append(
        NetworkEvent("http_transaction_start", None, t0, t0, conn.transaction_id)
    )
    status, body, truncated = 0, bytearray(), False
    resp_headers: list[tuple[str, str]] = []
    failure: str | None = None
    try:
        status, resp_headers, truncated = await asyncio.wait_for(
            _exchange(conn, target, sent, body, max_body, method), timeout
        )
    except Exception as exc:
        failure = failure_of(exc)
    t = trace.now()
    trace.network_events.append(
        NetworkEvent("http_transaction_done", failure, t0, t, conn.transaction_id)
    )
    trace.requests.append(
        HttpTransaction(
            network="tcp",
            address=conn.address,
            alpn=conn.alpn,
            failure=failure,
            request=HttpRequestRecord(
                body="",
                body_is_truncated=False,
                headers_list=sent,
                headers=headers_dict(sent),
                method=method,
                tor=NO_TOR,
                x_transport="tcp",
                url=url,
            ),
            response=HttpResponseRecord(
                body=archival_body(bytes(body)) if status else None,
                body_is_truncated=truncated,
                code=status,
                headers_list=resp_headers,
                headers=headers_dict(resp_headers),
            ),
            t=t,
            tags=tags,
            transaction_id=conn.transaction_id,
        )
    )
    location = headers_dict(resp_headers).get("Location") if failure is None else None
    if location is None and failure is None:
        location = next((v for k, v in resp_headers if k.lower() == "location"), None)
    return HttpResult(failure, status, location, bytes(body))


async def _exchange(
    conn: Connection,
    target: str,
    headers: list[tuple[str, str]],
    body: bytearray,
    max_body: int,
    method: str = "GET",
) -> tuple[int, list[tuple[str, str]], bool]:
    h = h11.Connection(our_role=h11.CLIENT)
    if method != "GET":  # an empty body, said explicitly (OONI's POSTs carry none)
        headers = [*headers, ("Content-Length", "0")]
    conn.writer.write(h.send(h11.Request(method=method, target=target, headers=headers)))
    conn.writer.write(h.send(h11.EndOfMessage()))
    await conn.writer.drain()
    status, truncated = 0, False
    resp_headers: list[tuple[str, str]] = []
    while True:
        event = h.next_event()
        if event is h11.NEED_DATA:
            data = await conn.reader.read(READ_CHUNK)
            if not data and status == 0:
                raise EOFError("the peer closed the connection before any response")
            h.receive_data(data)  # b"" marks EOF; h11 then raises if the body was incomplete
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            raw = event.headers.raw_items()
            # As Go's net/http, which OONI's probe and helper parse with: Transfer-Encoding is
            # framing, not a header of the page, and a chunked body's Trailer goes with it.
            # Recorded, a chunked block page and a chunked real site would "share" them.
            chunked = any(n.lower() == b"transfer-encoding" for n, _ in raw)
            dropped = (b"transfer-encoding", b"trailer") if chunked else (b"transfer-encoding",)
            resp_headers = [
                (name.decode("latin-1").title(), value.decode("latin-1"))
                for name, value in raw
                if name.lower() not in dropped
            ]
        elif isinstance(event, h11.Data):
            room = max_body - len(body)
            body.extend(event.data[:room])
            if len(event.data) > room:
                truncated = True  # OONI keeps the first max_body bytes and flags the rest
                return status, resp_headers, truncated
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return status, resp_headers, truncated
