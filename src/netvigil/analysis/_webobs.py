"""web_connectivity test_keys -> linked web observations (the input of the classic analysis).

Our own re-implementation of the data model of OONI probe-cli's ``internal/minipipeline``
(observation.go, classic.go): one record per DNS lookup answer, and one per TCP endpoint that
accumulates the TLS handshake and HTTP round trip made over it, each with the control's view.
``None`` means "no information"; ``""`` means "success" (minipipeline's optional strings).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TypeGuard
from urllib.parse import urlsplit

# Observation types, in the order the linear analysis sorts them (descending = most complex first).
DNS, TCP, TLS, HTTP = 0, 1, 2, 3

# netxlite.IsBogon (ooni/probe-cli internal/netxlite/bogon.go): private, reserved, documentation,
# loopback, link-local, multicast and CGNAT ranges. TEST-NET ranges are bogons too.
_BOGON_NETS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "100::/64",
        "2001:10::/28",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)

# getaddrinfo-like engines: the "classic" analysis (v0.4 compatible) only trusts these.
SYSTEM_ENGINES = frozenset({"getaddrinfo", "golang_net_resolver", "system"})


@lru_cache(maxsize=65536)
def is_bogon(ip: str) -> bool:
    """Whether ``ip`` is in a range that can never be a public web server's address."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    return any(addr.version == net.version and addr in net for net in _BOGON_NETS)


class WebObs:
    """One linked observation (mutable while it is built, then only read).

    Fields default to None at class level: an instance only stores what it saw, which keeps
    building thousands of them per second cheap.
    """

    failure: str | None = None
    depth: int | None = None
    fetch_body: bool | None = None
    dns_txid: int | None = None
    dns_domain: str | None = None
    dns_engine: str | None = None
    dns_query_type: str | None = None
    dns_failure: str | None = None
    dns_addrs: frozenset[str] | None = None
    ip: str | None = None
    ip_asn: int | None = None
    ip_bogon: bool | None = None
    port: int | None = None
    endpoint: str | None = None
    tcp_failure: str | None = None
    tls_failure: str | None = None
    tls_server_name: str | None = None
    http_url: str | None = None
    http_failure: str | None = None
    http_status: int | None = None
    http_body_length: int | None = None
    http_truncated: bool | None = None
    http_header_keys: frozenset[str] | None = None
    http_title: str | None = None
    http_location: str | None = None
    http_server: str | None = None
    http_is_final: bool | None = None
    ctl_dns_domain: str | None = None
    ctl_dns_failure: str | None = None
    ctl_dns_addrs: frozenset[str] | None = None
    ctl_tcp_failure: str | None = None
    ctl_tls_failure: str | None = None
    ctl_http_failure: str | None = None
    ctl_http_status: int | None = None
    ctl_http_body_length: int | None = None
    ctl_http_header_keys: frozenset[str] | None = None
    ctl_http_title: str | None = None

    def __init__(self, type_: int, txid: int) -> None:
        self.type = type_
        self.txid = txid

    def copy_dns_into(self, other: WebObs) -> None:
        for name in ("dns_txid", "dns_domain", "dns_failure", "dns_addrs", "ip_asn", "ip_bogon"):
            setattr(other, name, getattr(self, name))


class WebObservations:
    """DNS failures, DNS successes (one per address) and TCP endpoints of one measurement."""

    __slots__ = ("control", "dns_failures", "dns_successes", "endpoints", "input_domain")

    def __init__(self) -> None:
        self.dns_failures: list[WebObs] = []
        self.dns_successes: list[WebObs] = []
        self.endpoints: dict[int, WebObs] = {}
        self.control: Control | None = None
        self.input_domain: str | None = None


class Control:
    """The test helper's answer, flattened (webconnectivity THResponse)."""

    __slots__ = (
        "asns",
        "dns_addrs",
        "dns_failure",
        "has_http",
        "http_body_length",
        "http_failure",
        "http_header_keys",
        "http_status",
        "http_title",
        "tcp",
        "tls",
    )  # fmt: skip

    def __init__(self, raw: Mapping[str, Any]) -> None:
        dns = _mapping(raw.get("dns"))
        self.dns_failure: str | None = _str_or_none(dns.get("failure"))
        addrs = dns.get("addrs")
        self.dns_addrs = (
            frozenset(a for a in addrs if isinstance(a, str)) if _seq(addrs) else (frozenset())
        )
        self.tcp: dict[str, str] = {}
        for endpoint, value in _mapping(raw.get("tcp_connect")).items():
            self.tcp[endpoint] = _str_or_none(_mapping(value).get("failure")) or ""
        self.tls: dict[str, tuple[str | None, str]] = {}
        for endpoint, value in _mapping(raw.get("tls_handshake")).items():
            value = _mapping(value)
            self.tls[endpoint] = (
                _str_or_none(value.get("server_name")),
                _str_or_none(value.get("failure")) or "",
            )
        http = raw.get("http_request")
        self.has_http = isinstance(http, dict)
        http = _mapping(http)
        self.http_failure: str | None = _str_or_none(http.get("failure"))
        self.http_status = _int_or_none(http.get("status_code"))
        self.http_body_length = _int_or_none(http.get("body_length"))
        self.http_header_keys = frozenset(_mapping(http.get("headers")).keys())
        self.http_title: str = _str_or_none(http.get("title")) or ""
        self.asns: dict[str, int] = {}
        for ip, info in _mapping(raw.get("ip_info")).items():
            asn = _int_or_none(_mapping(info).get("asn"))
            if asn:
                self.asns[ip] = asn


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _seq(value: Any) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    return isinstance(value, list | tuple)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tags(ev: Mapping[str, Any]) -> tuple[int | None, bool | None]:
    """``depth=N`` and ``fetch_body=true|false`` tags of an event (LTE >= 0.5 writes them)."""
    depth: int | None = None
    fetch: bool | None = None
    tags = ev.get("tags")
    if _seq(tags):
        for tag in tags:
            if not isinstance(tag, str):
                continue
            if tag.startswith("depth="):
                digits = tag[6:]
                depth = int(digits) if digits.isdigit() else depth
            elif tag.startswith("fetch_body="):
                fetch = tag[11:] == "true"
    return depth, fetch


def body_length(body: Any) -> int:
    """Length in bytes of an archival body (plain string or ``{"format": "base64", ...}``)."""
    if isinstance(body, str):
        return len(body) if body.isascii() else len(body.encode("utf-8", "surrogatepass"))
    if isinstance(body, dict) and isinstance(body.get("data"), str):
        data: str = body["data"]
        # base64: 4 chars -> 3 bytes, minus padding; no need to decode to know the length.
        return len(data) * 3 // 4 - data[-2:].count("=")
    return 0


def body_text(body: Any) -> str:
    """The body as text for title extraction and fingerprint matching."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict) and isinstance(body.get("data"), str):
        import base64

        try:
            return base64.b64decode(body["data"]).decode("utf-8", "replace")
        except ValueError:
            return ""
    return ""


def _resolved(answers: Any) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    if not _seq(answers):
        return out
    seen: set[str] = set()
    for ans in answers:
        if not isinstance(ans, dict):
            continue
        kind = ans.get("answer_type")
        ip = ans.get("ipv4") if kind == "A" else ans.get("ipv6") if kind == "AAAA" else None
        if isinstance(ip, str) and ip not in seen:
            seen.add(ip)
            asn = ans.get("asn")
            out.append((ip, asn if isinstance(asn, int) else 0))
    return out


@lru_cache(maxsize=65536)
def host_key(host: str) -> str:
    """A host name as DNS compares it: lower case, IDNA (punycode) for non-ASCII names, so that
    ``http://Яндекс.рф/`` in the control request matches lookups of ``xn--d1acpjx3f.xn--p1ai``."""
    host = host.rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def domain_of(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    return _host_of(url)


@lru_cache(maxsize=8192)
def _host_of(url: str) -> str | None:
    # Cached: a measurement asks for the host of the same few URLs several times (input,
    # requests, control), and test lists repeat URLs across measurements.
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host or None


def build(
    tk: Mapping[str, Any], input_url: str | None = None, *, system_only: bool = False
) -> WebObservations:
    """Link the events of a web_connectivity measurement into observations.

    ``system_only`` skips lookups by other engines than the system resolver (what the classic
    analysis needs). Events without ``depth``/``fetch_body`` tags (web_connectivity 0.4 and
    some 0.5 events) are taken as depth 0 / fetching the body: 0.4 only measured the initial
    request that way.
    """
    c = WebObservations()
    known_ips: dict[str, WebObs] = {}
    queries = tk.get("queries")
    for ev in queries if _seq(queries) else ():
        if not isinstance(ev, dict):
            continue
        engine = _str_or_none(ev.get("engine"))
        if system_only and engine not in SYSTEM_ENGINES:
            continue  # the classic rules never look at DoH/UDP lookups: skip building them
        txid = _int_or_none(ev.get("transaction_id")) or 0
        depth, _ = _tags(ev)
        failure = _str_or_none(ev.get("failure"))
        base: dict[str, Any] = {
            "dns_txid": txid,
            "dns_domain": _str_or_none(ev.get("hostname")),
            "dns_engine": engine,
            "dns_query_type": _str_or_none(ev.get("query_type")),
            "depth": 0 if depth is None else depth,
        }
        if ev.get("failure") is not None:
            obs = WebObs(DNS, txid)
            for k, v in base.items():
                setattr(obs, k, v)
            obs.failure = obs.dns_failure = failure or "unknown_failure"
            c.dns_failures.append(obs)
            continue
        resolved = _resolved(ev.get("answers"))
        addrs = frozenset(ip for ip, _ in resolved)
        for ip, asn in resolved:
            obs = WebObs(DNS, txid)
            for k, v in base.items():
                setattr(obs, k, v)
            obs.dns_failure = ""
            obs.dns_addrs = addrs
            obs.ip = ip
            obs.ip_asn = asn or None
            obs.ip_bogon = is_bogon(ip)
            c.dns_successes.append(obs)
            known_ips.setdefault(ip, obs)
    tcps = tk.get("tcp_connect")
    for ev in tcps if _seq(tcps) else ():
        if not isinstance(ev, dict) or not isinstance(ev.get("ip"), str):
            continue
        ip = ev["ip"]
        txid = _int_or_none(ev.get("transaction_id")) or -(len(c.endpoints) + 1)
        obs = WebObs(TCP, txid)
        dns_obs = known_ips.get(ip)
        if dns_obs is not None:
            dns_obs.copy_dns_into(obs)
        else:
            obs.ip_bogon = is_bogon(ip)
        depth, fetch = _tags(ev)
        obs.depth = 0 if depth is None else depth
        obs.fetch_body = True if fetch is None and depth is None else fetch
        obs.ip = ip
        port = _int_or_none(ev.get("port"))
        obs.port = port
        obs.endpoint = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        status = _mapping(ev.get("status"))
        obs.failure = obs.tcp_failure = _str_or_none(status.get("failure")) or ""
        c.endpoints[txid] = obs
    _ingest_tls(c, tk.get("tls_handshakes"))
    _ingest_http(c, tk.get("requests"))
    _ingest_control(c, tk, input_url)
    return c


def _ingest_tls(c: WebObservations, events: Any) -> None:
    for ev in events if _seq(events) else ():
        if not isinstance(ev, dict):
            continue
        obs = c.endpoints.get(_int_or_none(ev.get("transaction_id")) or 0)
        if obs is None:
            continue
        obs.type = TLS
        obs.failure = obs.tls_failure = _str_or_none(ev.get("failure")) or ""
        obs.tls_server_name = _str_or_none(ev.get("server_name")) or ""


def _ingest_http(c: WebObservations, events: Any) -> None:
    for ev in events if _seq(events) else ():
        if not isinstance(ev, dict):
            continue
        obs = c.endpoints.get(_int_or_none(ev.get("transaction_id")) or 0)
        if obs is None:
            continue
        obs.type = HTTP
        req = _mapping(ev.get("request"))
        obs.http_url = _str_or_none(req.get("url"))
        failure = _str_or_none(ev.get("failure"))
        obs.failure = obs.http_failure = failure or ""
        if failure is not None:
            continue
        resp = _mapping(ev.get("response"))
        code = _int_or_none(resp.get("code")) or 0
        obs.http_status = code
        body = resp.get("body")
        obs.http_body_length = body_length(body)
        # minipipeline reads the *request's* body_is_truncated here; we read the response's,
        # which is the flag that matters (both are false in every OONI QA measurement).
        obs.http_truncated = bool(resp.get("body_is_truncated", False))
        headers = _mapping(resp.get("headers"))
        obs.http_header_keys = frozenset(headers.keys())
        obs.http_title = web_title(body_text(body))
        for key, value in headers.items():
            low = key.lower()
            if low == "location" and isinstance(value, str):
                obs.http_location = value
            elif low == "server" and isinstance(value, str):
                obs.http_server = value
        obs.http_is_final = code // 100 in (2, 4, 5)


# measurexlite.WebGetTitle: the first <title> of at most 128 characters, case-insensitive.
# A regex, not body.lower(): lowering a 40 KB body per request was the hot spot of the analysis.
_TITLE = re.compile(r"<[tT][iI][tT][lL][eE]>([^<]{1,128})</[tT][iI][tT][lL][eE]>")


def web_title(body: str) -> str:
    """The page title as OONI extracts it, or ""."""
    found = _TITLE.search(body)
    return found.group(1) if found else ""


def _ingest_control(c: WebObservations, tk: Mapping[str, Any], input_url: str | None) -> None:
    raw = tk.get("control")
    request = tk.get("x_control_request")
    if not isinstance(raw, dict) or not raw:
        return
    url = _mapping(request).get("http_request") if isinstance(request, dict) else input_url
    domain = domain_of(url)
    if domain is None:
        return
    control = Control(raw)
    c.control = control
    c.input_domain = domain
    key = host_key(domain)
    ctl_addrs = control.dns_addrs
    for obs in (*c.dns_failures, *c.dns_successes):
        if obs.dns_domain is None or host_key(obs.dns_domain) != key:
            continue
        obs.ctl_dns_domain = domain
        obs.ctl_dns_failure = control.dns_failure or ""
        if control.dns_failure is None:
            obs.ctl_dns_addrs = ctl_addrs
    for obs in c.endpoints.values():
        same = obs.dns_domain is not None and host_key(obs.dns_domain) == key
        if same or (obs.dns_domain is None and obs.ip in ctl_addrs):
            obs.ctl_dns_domain = domain
            obs.ctl_dns_failure = control.dns_failure or ""
            if control.dns_failure is None:
                obs.ctl_dns_addrs = ctl_addrs
        if obs.endpoint in control.tcp:
            obs.ctl_tcp_failure = control.tcp[obs.endpoint]
        if obs.tls_server_name is not None and obs.endpoint in control.tls:
            name, failure = control.tls[obs.endpoint]
            if name == obs.tls_server_name:
                obs.ctl_tls_failure = failure
    if not control.has_http:
        return
    for obs in (*c.dns_failures, *c.dns_successes, *c.endpoints.values()):
        obs.ctl_http_failure = control.http_failure or ""
        if control.http_failure is None:
            obs.ctl_http_status = control.http_status
            obs.ctl_http_body_length = control.http_body_length
            obs.ctl_http_header_keys = control.http_header_keys
            obs.ctl_http_title = control.http_title
