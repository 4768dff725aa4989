"""Real servers on loopback for the probe's tests: web (HTTP/HTTPS), DNS, test helper, blackhole.

The web server is hand-written on asyncio streams on purpose: it must misbehave the way censors
and broken sites do (reset, close early, never answer), which no web framework will do. The DNS
server answers real queries with dnspython; the test helper is netvigil's own, under uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PAGE = (
    b"<!doctype html><html><head><title>Netvigil test page</title></head>"
    b"<body><p>The page the probe should see when nothing is blocked.</p></body></html>"
)


class LoopThread:
    """An asyncio loop in a daemon thread, so servers run while a test drives the probe."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@dataclass
class World:
    """Addresses of the running servers and the CA the probe must trust."""

    http: str  # http://127.0.0.1:PORT
    https: str  # https://localhost:PORT (certificate for localhost)
    wrong_name: str  # https://localhost:PORT serving a certificate for another name
    expired: str  # https://localhost:PORT serving an expired certificate
    dns: str  # 127.0.0.1:PORT, answers the zone below, NXDOMAIN otherwise
    helper_url: str
    ca_bundle: Path
    behaviour: WebBehaviour

    def env(self, **extra: str) -> dict[str, str]:
        """The probe's settings for this world, as the environment B's lab also uses."""
        return {
            "NETVIGIL_PROBE__HELPER_URL": self.helper_url,
            "NETVIGIL_PROBE__RESOLVER": self.dns,
            "NETVIGIL_PROBE__CA_BUNDLE": str(self.ca_bundle),
            "NETVIGIL_PROBE__TCP_TIMEOUT": "5",
            "NETVIGIL_PROBE__TLS_TIMEOUT": "5",
            "NETVIGIL_PROBE__HTTP_TIMEOUT": "5",
            "NETVIGIL_PROBE__DNS_TIMEOUT": "5",
            "NETVIGIL_PROBE__CONTROL_TIMEOUT": "20",
            "NETVIGIL_PROBE__CONNECT_LOOPBACK": "true",  # every server here is on 127.0.0.1
            **extra,
        }


# --- a test CA -------------------------------------------------------------------------------


@dataclass
class CertAuthority:
    directory: Path
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    cert: x509.Certificate | None = None

    def __post_init__(self) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netvigil test CA")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    @property
    def bundle(self) -> Path:
        return self.directory / "test-ca.pem"

    def issue(self, *names: str, expired: bool = False) -> ssl.SSLContext:
        """A server TLS context with a certificate for ``names`` signed by this CA."""
        assert self.cert is not None
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        start, end = (
            (now - dt.timedelta(days=10), now - dt.timedelta(days=1))
            if expired
            else (now - dt.timedelta(days=1), now + dt.timedelta(days=10))
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        stem = self.directory / f"{names[0]}{'-expired' if expired else ''}"
        cert_path, key_path = stem.with_suffix(".crt"), stem.with_suffix(".key")
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        context.set_alpn_protocols(["http/1.1"])
        return context


# --- the web server --------------------------------------------------------------------------


@dataclass
class WebBehaviour:
    """What the web server does; ``public_ip`` is what it echoes as the client's public address."""

    public_ip: str = ""
    public_ip6: str = "2001:db8::77"  # the public IPv6 address /echo-v6 shows, in odd spellings
    slow_seconds: float = 0.0
    requests: list[str] = field(default_factory=list)
    in_flight: int = 0  # /slow requests being served now
    most_in_flight: int = 0  # the highest in_flight seen since the last reset
    # /hold requests wait until a test opens the gate: a run that is provably still measuring
    # (no timing), e.g. when a test interrupts it. ``held`` counts those waiting now.
    gate: threading.Event = field(default_factory=threading.Event)
    held: int = 0


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, how: WebBehaviour
) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        writer.close()
        return
    target = head.split(b" ", 2)[1].decode()
    how.requests.append(target)
    path = target.split("?", 1)[0]
    peer = writer.get_extra_info("peername")[0]
    if path == "/hang":
        await asyncio.sleep(3600)
        return
    if path == "/hold":
        how.held += 1
        try:
            await asyncio.get_running_loop().run_in_executor(None, how.gate.wait, 120)
        finally:
            how.held -= 1
    if path == "/eof":
        writer.close()  # a graceful FIN before any response
        return
    if path == "/reset":
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()  # close with SO_LINGER 0: the kernel sends a RST
        return
    headers: list[tuple[str, str]] = [("Content-Type", "text/html"), ("X-Test-Server", "netvigil")]
    status, body = "200 OK", PAGE
    if path.startswith("/redirect/"):
        left = int(path.rsplit("/", 1)[1])
        if left > 0:
            status, body = "302 Found", b""
            headers.append(("Location", f"/redirect/{left - 1}"))
    elif path in ("/broken-redirect-http", "/broken-redirect-https"):
        # OONI's QA httpbin: a 302 whose Location is a scheme and no host.
        status, body = "302 Found", b""
        headers.append(("Location", path.rsplit("-", 1)[1] + "://"))
    elif path == "/echo":
        # Like "what is my IP" pages: the client's address shows up in body, headers and links.
        body = (
            f"<html><head><title>Your address</title></head><body>You are {peer}; "
            f"public {how.public_ip}. <a href='/?from={peer}'>again</a></body></html>"
        ).encode()
        headers += [("X-Client-Ip", peer), ("X-Public-Ip", how.public_ip)]
    elif path.startswith("/echo-"):
        status, body, extra = _echo_variant(path.removeprefix("/echo-"), how)
        headers += extra
    elif path == "/whoami":
        # A lookup service behind which the probe is NATed: it sees the public address.
        body = json.dumps({"ip": how.public_ip}).encode()
        headers = [("Content-Type", "application/json")]
    elif path == "/slow":
        how.in_flight += 1
        how.most_in_flight = max(how.most_in_flight, how.in_flight)
        await asyncio.sleep(how.slow_seconds)
        how.in_flight -= 1
    elif path == "/binary":
        body = bytes(range(256)) * 4  # not UTF-8: must be archived as base64
    elif path == "/blockpage":
        body = b"<html><head><title>Blocked</title></head><body>Access denied</body></html>"
    elif path != "/":
        status, body = "404 Not Found", b"not here"
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    writer.write("\r\n".join(lines).encode() + body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


def _echo_variant(kind: str, how: WebBehaviour) -> tuple[str, bytes, list[tuple[str, str]]]:
    """Pages that show the client's public address in each form and encoding a server may use
    (security audit H1): what the probe stores must hold none of them."""
    ip, ip6 = how.public_ip, ipaddress.IPv6Address(how.public_ip6)
    page = f"<html><head><title>Your address</title></head><body>Your IP is {ip}</body></html>"
    if kind == "latin1":  # not UTF-8: OONI stores it as base64
        return "200 OK", f"<p>\xe9t\xe9: votre adresse est {ip}</p>".encode("latin-1"), []
    if kind == "utf16":
        return "200 OK", page.encode("utf-16"), [("Content-Type", "text/html; charset=utf-16")]
    if kind in ("gzip", "deflate"):
        data = gzip.compress(page.encode()) if kind == "gzip" else zlib.compress(page.encode())
        return "200 OK", data, [("Content-Encoding", kind)]
    if kind == "gzip-latin1":
        data = gzip.compress(f"\xe9t\xe9 {ip}".encode("latin-1"))
        return "200 OK", data, [("Content-Encoding", "gzip")]
    if kind == "br":  # a coding the probe cannot decode: the body cannot be checked
        return "200 OK", b"\x1b\x03\x00\xf8" + ip.encode(), [("Content-Encoding", "br")]
    if kind == "mapped":
        mapped = f"::ffff:{ip}"
        return "200 OK", f"client {mapped} connected".encode(), [("X-Forwarded-For", mapped)]
    if kind == "v6":
        forms = [str(ip6).upper(), ip6.exploded, ip6.exploded.upper().replace("0000", "0")]
        return "200 OK", " | ".join(forms).encode(), [("X-Client", ip6.exploded)]
    if kind == "dashed":
        return "200 OK", f"host {ip.replace('.', '-')}.dyn.isp.example".encode(), []
    return "404 Not Found", b"no such variant", []


async def start_web(
    host: str, port: int, how: WebBehaviour, tls: ssl.SSLContext | None = None
) -> asyncio.Server:
    return await asyncio.start_server(
        lambda r, w: _handle(r, w, how), host, port, ssl=tls, reuse_address=True
    )


# --- DNS -------------------------------------------------------------------------------------


class _Dns(asyncio.DatagramProtocol):
    def __init__(self, zone: dict[str, list[str]]) -> None:
        self.zone = zone
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        # A recursive resolver's answer: glibc takes an empty NOERROR without RA (and without
        # AA) for a lame server and reports EAI_AGAIN instead of "no address".
        reply.flags |= dns.flags.RA
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        qtype = dns.rdatatype.to_text(question.rdtype)
        if name not in self.zone:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        else:
            wanted = [ip for ip in self.zone[name] if (":" in ip) == (qtype == "AAAA")]
            if wanted and qtype in ("A", "AAAA"):
                reply.answer.append(
                    dns.rrset.from_text_list(question.name, 60, "IN", qtype, wanted)
                )
        assert self.transport is not None
        self.transport.sendto(reply.to_wire(), addr)


async def start_dns(host: str, port: int, zone: dict[str, list[str]]) -> Any:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Dns(zone), local_addr=(host, port)
    )
    return transport


# --- helper, blackhole, closed port ----------------------------------------------------------


def start_helper(host: str, port: int, resolver: str | None, ca_bundle: Path | None) -> Any:
    """netvigil's own test helper under uvicorn, in a thread; returns the uvicorn server."""
    import uvicorn

    from netvigil.helper.server import HelperApp
    from netvigil.probe.fetch import Network
    from netvigil.probe.runner import resolver_address, tls_context

    net = Network(
        tls=tls_context(ca_bundle),
        udp_resolver=resolver_address(resolver) if resolver else None,
        use_system_resolver=resolver is None,
        dns_timeout=5,
        tcp_timeout=5,
        tls_timeout=5,
        http_timeout=5,
        connect_loopback=True,  # the tests' servers are on 127.0.0.0/8
    )
    server = uvicorn.Server(
        uvicorn.Config(HelperApp(net), host=host, port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test helper did not start")
        time.sleep(0.02)
    return server


def blackhole(host: str = "127.0.0.1") -> tuple[socket.socket, list[socket.socket]]:
    """A port whose SYNs are dropped: backlog 0, already full, so connect() times out."""
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=2)
    return listener, [filler]


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (connect is refused)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def ooni_measurement(scenario: str) -> dict[str, Any]:
    """OONI Probe's own measurement of a QA scenario, from ../shared/data (skip when absent)."""
    import json

    from nvtest import shared_path

    path = shared_path("ooni", "probecli_minipipeline", "generated", scenario, "measurement.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return data
