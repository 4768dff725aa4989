"""Fetching a URL the way OONI's Web Connectivity does: every redirect hop re-does DNS, TCP, TLS.

Shared by the probe (system resolver + an extra UDP resolver) and the control test helper (its own
resolver, from an open network), so both sides of the comparison measure with the same code.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import msgspec

from netvigil.probe.destinations import DestinationPolicy
from netvigil.probe.steps import Connection, Trace, connect, http_get, lookup_system, lookup_udp
from netvigil.probe.steps import tls_handshake as do_tls

MAX_REDIRECTS = 10  # OONI (and Go's net/http) stop after 10 redirects
TOO_MANY_REDIRECTS = "unknown_failure: stopped after too many redirects"  # OONI's exact string
# A redirect whose Location names no host (``http://``): OONI fails the hop with this string
# (webconnectivitylte httpValidateRedirect, ooni/probe#2628) instead of following it.
INVALID_REDIRECT_HOST = "http_invalid_redirect_location_host"
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# OONI's title rule (measurexlite GetWebPageTitle): the first <title> of at most 128 characters.
TITLE_RE = re.compile(r"(?i)<title>([^<]{1,128})</title>")
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.3"
)
# The request headers OONI Probe sends (and forwards to the helper).
REQUEST_HEADERS: list[tuple[str, str]] = [
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("User-Agent", USER_AGENT),
]


@dataclass(frozen=True)
class Network:
    """How one side reaches the network: resolvers, trusted CAs, timeouts, body cap."""

    tls: ssl.SSLContext
    udp_resolver: tuple[str, int] | None
    use_system_resolver: bool = True
    dns_timeout: float = 4.0
    tcp_timeout: float = 10.0
    tls_timeout: float = 10.0
    http_timeout: float = 15.0
    max_body: int = 1 << 22
    # Off, as OONI's probe and helper: a loopback answer is never connected to (for the helper
    # also a guard against being used to reach its own host's services). The probe and the
    # helper turn it on from ``probe.connect_loopback`` / ``helper.connect_loopback``.
    connect_loopback: bool = False
    # Which addresses may be connected to at all (netvigil.probe.destinations, audit H2);
    # None: every non-public address is refused, loopback as ``connect_loopback`` says.
    destinations: DestinationPolicy | None = None

    @property
    def policy(self) -> DestinationPolicy:
        if self.destinations is not None:
            return self.destinations
        return DestinationPolicy(loopback=self.connect_loopback)


@dataclass
class FetchResult:
    """Outcome of the whole redirect chain (the records themselves are in the Trace)."""

    failure: str | None = None
    dns_failure: str | None = None  # the system resolver's failure at depth 0
    addresses: list[str] = field(default_factory=list)  # depth-0 addresses (system, then UDP)
    status: int = 0
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    final_url: str = ""

    @property
    def title(self) -> str:
        match = TITLE_RE.search(self.body.decode("utf-8", errors="replace"))
        return match.group(1) if match else ""


def split_target(url: str) -> tuple[str, str, int, str, str]:
    """(scheme, host, port, host header, request target) of an http(s) URL; ValueError if bad."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme must be http or https, not {parts.scheme or 'missing'!r}")
    host = parts.hostname
    if not host:
        raise ValueError("no host name")
    host = host.encode("idna").decode("ascii") if not _is_ip(host) else host
    port = parts.port if parts.port is not None else (443 if scheme == "https" else 80)
    if port == 0:  # was measured on 80 ("0 or 80"): port 0 is no port (security audit L9)
        raise ValueError("port 0 is not a port")
    default = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if default else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, host_header, target


def redirect_target(url: str, location: str) -> str | None:
    """The URL a redirect from ``url`` to ``location`` leads to; None if it names no host.

    Resolved as Go's ``URL.ResolveReference`` (what OONI uses): a Location with a scheme or a
    ``//`` authority is taken as it is, so ``http://`` has an empty host (Python's urljoin would
    quietly reuse the current host for it when the scheme is the same, and loop).
    """
    parts = urlsplit(location)
    if parts.scheme or location.startswith("//"):
        return urljoin(url, location) if parts.hostname else None
    return urljoin(url, location)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def resolve(
    trace: Trace, net: Network, host: str, tags: list[str]
) -> tuple[list[str], str | None]:
    """(addresses to connect to, failure of the resolver that gave them)."""
    if _is_ip(host):
        if not net.use_system_resolver:
            return [host], None
        # getaddrinfo answers an address literal without any packet; recording it as OONI's
        # 0.4 did gives the analysis the DNS observation its classic filter starts from.
        return await lookup_system(trace, host, net.dns_timeout, tags), None
    udp: asyncio.Task[list[str]] | None = None
    if net.udp_resolver is not None:
        # The probe only connects to what the system resolver says (OONI's classic flow), so
        # the extra UDP lookup runs beside it and nothing waits for a slow or censored resolver.
        udp = asyncio.create_task(lookup_udp(trace, host, net.udp_resolver, net.dns_timeout, tags))
        trace.background.append(udp)
    if net.use_system_resolver:
        usable = await lookup_system(trace, host, net.dns_timeout, tags)
        engine = "getaddrinfo"
    else:
        usable = await udp if udp is not None else []
        engine = "udp"
    failure = None
    if not usable:
        failure = next(
            (
                q.failure
                for q in trace.queries
                if q.engine == engine and q.hostname == host and q.failure
            ),
            "dns_no_answer",
        )
    return usable, failure


async def fetch(
    trace: Trace,
    net: Network,
    url: str,
    on_addresses: asyncio.Future[list[str]] | None = None,
) -> FetchResult:
    """GET ``url`` following up to 10 redirects; ``on_addresses`` gets the depth-0 addresses
    as soon as they are known (the probe starts its control request then)."""
    result = FetchResult(final_url=url)
    try:
        for depth in range(MAX_REDIRECTS + 1):
            tags = ["classic", f"depth={depth}", "fetch_body=true"]
            scheme, host, port, host_header, target = split_target(url)
            usable, dns_failure = await resolve(trace, net, host, tags[:2])
            if depth == 0:
                result.dns_failure, result.addresses = dns_failure, usable
                if on_addresses is not None and not on_addresses.done():
                    on_addresses.set_result(usable)
            if dns_failure is not None:
                result.failure = dns_failure
                return result
            # OONI's probe refuses to connect to loopback (webconnectivitylte allowedToConnect);
            # netvigil also to every other internal address (audit H2: 0.0.0.0 and
            # ::ffff:127.0.0.1 reached local services). The answer stays in the DNS records,
            # nothing is fetched and no failure is recorded (localhostWithHTTP). The check is
            # made on the addresses connected to, on every hop: no DNS-rebinding window.
            usable = net.policy.allowed(usable)
            if not usable:
                return result
            conn, failure = await _open(trace, net, usable, port, scheme, host, tags)
            if conn is None:
                result.failure = failure
                return result
            try:
                got = await http_get(
                    trace,
                    conn,
                    url,
                    host_header,
                    target,
                    REQUEST_HEADERS,
                    net.max_body,
                    net.http_timeout,
                    tags,
                )
            finally:
                conn.close()
            result.status, result.body, result.final_url = got.status, got.body, url
            result.headers = list(trace.requests[-1].response.headers_list)
            if got.failure is not None:
                result.failure = got.failure
                return result
            if got.status not in REDIRECT_CODES or not got.location:
                return result
            next_url = redirect_target(url, got.location)
            if next_url is None:
                # OONI records the failure on the 302 itself (its response is kept).
                last = trace.requests[-1]
                trace.requests[-1] = msgspec.structs.replace(last, failure=INVALID_REDIRECT_HOST)
                result.failure = INVALID_REDIRECT_HOST
                return result
            url = next_url
        result.failure = TOO_MANY_REDIRECTS
        return result
    except ValueError as exc:  # a redirect to something that is not an http(s) URL
        result.failure = f"unknown_failure: {exc}"
        return result
    finally:
        if on_addresses is not None and not on_addresses.done():
            on_addresses.set_result(result.addresses)
        await trace.settle()


async def _open(
    trace: Trace,
    net: Network,
    addrs: list[str],
    port: int,
    scheme: str,
    host: str,
    tags: list[str],
) -> tuple[Connection | None, str | None]:
    """Connect (and TLS) to every address at once, as OONI does; keep the first that works."""
    conns = await asyncio.gather(*(connect(trace, ip, port, net.tcp_timeout, tags) for ip in addrs))
    opened = [c for c in conns if c is not None]
    if not opened:
        failed = [r.status.failure for r in trace.tcp_connect[-len(addrs) :]]
        return None, next((f for f in failed if f), "generic_timeout_error")
    if scheme == "https":
        oks = await asyncio.gather(
            *(do_tls(trace, c, host, net.tls, net.tls_timeout, tags) for c in opened)
        )
        good = [c for c, ok in zip(opened, oks, strict=True) if ok]
        for c, ok in zip(opened, oks, strict=True):
            if not ok:
                c.close()
        if not good:
            first = trace.tls_handshakes[-len(opened)].failure
            return None, first
        opened = good
    for extra in opened[1:]:
        extra.close()
    return opened[0], None
