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
from typing import Any
from urllib.parse import urlsplit

from netvigil.analysis._control import EMPTY, SEQ, Control, int_or_none

# Observation types, in the order the linear analysis sorts them (descending = most complex first).
DNS, TCP, TLS, HTTP = 0, 1, 2, 3

# netxlite.IsBogon (ooni/probe-cli internal/netxlite/bogon.go): private, reserved, documentation,
# loopback, link-local, multicast and CGNAT ranges. TEST-NET ranges are bogons too.
_BOGON_RANGES = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "::ffff:0:0/96", "100::/64", "2001:10::/28", "2001:db8::/32",
    "fc00::/7", "fe80::/10", "ff00::/8",
)  # fmt: skip
_BOGON_NETS = tuple(ipaddress.ip_network(net) for net in _BOGON_RANGES)

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
    """One linked observation (mutable while it is built, then only read); None: not seen.

    Slots, all set at creation: an endpoint gets some thirty fields one by one as its TCP, TLS,
    HTTP and control steps are linked, which a per-instance dict paid for in resizes.
    """

    type: int  # DNS, TCP, TLS or HTTP: the last step seen
    txid: int
    failure: str | None
    depth: int | None
    fetch_body: bool | None
    dns_txid: int | None
    dns_domain: str | None
    dns_engine: str | None
    dns_query_type: str | None
    dns_failure: str | None
    dns_addrs: frozenset[str] | None
    ip: str | None
    ip_asn: int | None
    ip_bogon: bool | None
    port: int | None
    endpoint: str | None
    tcp_failure: str | None
    tls_failure: str | None
    tls_server_name: str | None
    http_url: str | None
    http_failure: str | None
    http_status: int | None
    http_body_length: int | None
    http_truncated: bool | None
    http_header_keys: frozenset[str] | None
    http_title: str | None
    http_location: str | None
    http_server: str | None
    http_is_final: bool | None
    ctl_dns_domain: str | None
    ctl_dns_failure: str | None
    ctl_dns_addrs: frozenset[str] | None
    ctl_tcp_failure: str | None
    ctl_tls_failure: str | None
    ctl_http_failure: str | None
    ctl_http_status: int | None
    ctl_http_body_length: int | None
    ctl_http_header_keys: frozenset[str] | None
    ctl_http_title: str | None
    __slots__ = tuple(__annotations__)  # one slot per field declared above

    def __init__(self, type_: int, txid: int) -> None:
        self.type = type_
        self.txid = txid
        self.failure = self.depth = self.fetch_body = self.dns_txid = self.dns_domain = None
        self.dns_engine = self.dns_query_type = self.dns_failure = self.dns_addrs = self.ip = None
        self.ip_asn = self.ip_bogon = self.port = self.endpoint = self.tcp_failure = None
        self.tls_failure = self.tls_server_name = self.http_url = self.http_failure = None
        self.http_status = self.http_body_length = self.http_truncated = None
        self.http_header_keys = self.http_title = self.http_location = self.http_server = None
        self.http_is_final = self.ctl_dns_domain = self.ctl_dns_failure = self.ctl_dns_addrs = None
        self.ctl_tcp_failure = self.ctl_tls_failure = self.ctl_http_failure = None
        self.ctl_http_status = self.ctl_http_body_length = self.ctl_http_header_keys = None
        self.ctl_http_title = None

    def copy_dns_into(self, other: WebObs) -> None:
        other.dns_txid, other.dns_domain, other.dns_failure = (
            self.dns_txid,
            self.dns_domain,
            self.dns_failure,
        )
        other.dns_addrs, other.ip_asn, other.ip_bogon = self.dns_addrs, self.ip_asn, self.ip_bogon


class WebObservations:
    """DNS failures, DNS successes (one per address) and TCP endpoints of one measurement."""

    __slots__ = ("control", "dns_failures", "dns_successes", "endpoints", "input_domain")

    def __init__(self) -> None:
        self.dns_failures: list[WebObs] = []
        self.dns_successes: list[WebObs] = []
        self.endpoints: dict[int, WebObs] = {}
        self.control: Control | None = None
        self.input_domain: str | None = None


@lru_cache(maxsize=1024)
def _parsed_tags(tags: tuple[Any, ...]) -> tuple[int | None, bool | None]:
    depth: int | None = None
    fetch: bool | None = None
    for tag in tags:
        if not isinstance(tag, str):
            continue
        if tag.startswith("depth="):
            digits = tag[6:]
            depth = int(digits) if digits.isdigit() else depth
        elif tag.startswith("fetch_body="):
            fetch = tag[11:] == "true"
    return depth, fetch


def _tags(tags: Any) -> tuple[int | None, bool | None]:
    """``depth=N`` and ``fetch_body=true|false`` tags of an event (LTE >= 0.5 writes them)."""
    if not isinstance(tags, SEQ):
        return None, None
    # Cached: a measurement's events repeat a few tag lists ("classic", "depth=0", ...).
    try:
        return _parsed_tags(tuple(tags))
    except TypeError:  # an unhashable tag (odd data) is skipped like any non-string tag
        return _parsed_tags(tuple(t for t in tags if isinstance(t, str)))


# The last non-ASCII body measured, and its length: the verdict and the observation rows ask for
# the length of the same body object one after the other, and encoding a large non-ASCII body to
# count its bytes is the costliest step of either (an identity check: bodies are immutable).
_last_encoded: tuple[str, int] = ("", 0)


def body_length(body: Any) -> int:
    """Length in bytes of an archival body (plain string or ``{"format": "base64", ...}``)."""
    global _last_encoded
    if isinstance(body, str):
        if body.isascii():
            return len(body)
        last = _last_encoded
        if last[0] is body:
            return last[1]
        _last_encoded = (body, len(body.encode("utf-8", "surrogatepass")))
        return _last_encoded[1]
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

    ``system_only`` builds what the classic analysis reads: lookups by the system resolver only,
    and TLS, HTTP and control details only for the endpoints it keeps (an address those lookups
    found, fetching the page); the other endpoints keep their TCP step. Events without
    ``depth``/``fetch_body`` tags (web_connectivity 0.4 and some 0.5 events) are taken as depth 0
    / fetching the body: 0.4 only measured the initial request that way.
    """
    c = WebObservations()
    known_ips: dict[str, WebObs] = {}
    queries = tk.get("queries")
    for ev in queries if isinstance(queries, SEQ) else ():
        if not isinstance(ev, dict):
            continue
        engine = ev.get("engine")
        engine = engine if isinstance(engine, str) else None
        if system_only and engine not in SYSTEM_ENGINES:
            continue  # the classic rules never look at DoH/UDP lookups: skip building them
        txid = int_or_none(ev.get("transaction_id")) or 0
        depth = _tags(ev.get("tags"))[0]
        depth = 0 if depth is None else depth
        domain, qtype = ev.get("hostname"), ev.get("query_type")
        domain = domain if isinstance(domain, str) else None
        qtype = qtype if isinstance(qtype, str) else None
        failure = ev.get("failure")
        if failure is not None:
            obs = WebObs(DNS, txid)
            obs.dns_txid, obs.dns_domain, obs.dns_engine = txid, domain, engine
            obs.dns_query_type, obs.depth = qtype, depth
            failure = failure if isinstance(failure, str) and failure else "unknown_failure"
            obs.failure = obs.dns_failure = failure
            c.dns_failures.append(obs)
            continue
        resolved = _resolved(ev.get("answers"))
        addrs = frozenset(resolved)
        for ip, asn in resolved.items():
            obs = WebObs(DNS, txid)
            obs.dns_txid, obs.dns_domain, obs.dns_engine = txid, domain, engine
            obs.dns_query_type, obs.depth = qtype, depth
            obs.dns_failure = ""
            obs.dns_addrs = addrs
            obs.ip = ip
            obs.ip_asn = asn or None
            obs.ip_bogon = is_bogon(ip)
            c.dns_successes.append(obs)
            known_ips.setdefault(ip, obs)
    _ingest_tcp(c, tk.get("tcp_connect"), known_ips)
    linked = c.endpoints
    if system_only:
        linked = {
            txid: o for txid, o in linked.items() if o.ip in known_ips and o.fetch_body is True
        }
    _ingest_tls(linked, tk.get("tls_handshakes"))
    _ingest_http(linked, tk.get("requests"))
    _ingest_control(c, linked, tk, input_url)
    return c


def _resolved(answers: Any) -> dict[str, int]:
    """Address -> ASN (0: unknown) of the A/AAAA answers, first answer first."""
    out: dict[str, int] = {}
    for ans in answers if isinstance(answers, SEQ) else ():
        if not isinstance(ans, dict):
            continue
        kind = ans.get("answer_type")
        ip = ans.get("ipv4") if kind == "A" else ans.get("ipv6") if kind == "AAAA" else None
        if isinstance(ip, str) and ip not in out:
            asn = ans.get("asn")
            out[ip] = asn if isinstance(asn, int) else 0
    return out


def _ingest_tcp(c: WebObservations, events: Any, known_ips: dict[str, WebObs]) -> None:
    endpoints = c.endpoints
    for ev in events if isinstance(events, SEQ) else ():
        if not isinstance(ev, dict):
            continue
        ip = ev.get("ip")
        if not isinstance(ip, str):
            continue
        txid = int_or_none(ev.get("transaction_id")) or -(len(endpoints) + 1)
        obs = WebObs(TCP, txid)
        dns_obs = known_ips.get(ip)
        if dns_obs is not None:
            dns_obs.copy_dns_into(obs)
        else:
            obs.ip_bogon = is_bogon(ip)
        depth, fetch = _tags(ev.get("tags"))
        obs.depth = 0 if depth is None else depth
        obs.fetch_body = True if fetch is None and depth is None else fetch
        obs.ip = ip
        port = int_or_none(ev.get("port"))
        obs.port = port
        obs.endpoint = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        status = ev.get("status")
        failure = status.get("failure") if isinstance(status, dict) else None
        obs.failure = obs.tcp_failure = failure if isinstance(failure, str) and failure else ""
        endpoints[txid] = obs


def _endpoint_of(endpoints: dict[int, WebObs], ev: Any) -> WebObs | None:
    """The TCP endpoint an event ran over (by transaction id), if the event is an object."""
    if not isinstance(ev, dict):
        return None
    txid = ev.get("transaction_id")
    if not isinstance(txid, int) or isinstance(txid, bool):
        return None  # TCP endpoints never have txid 0 (see _ingest_tcp), so none matches
    return endpoints.get(txid)


def _ingest_tls(endpoints: dict[int, WebObs], events: Any) -> None:
    for ev in events if isinstance(events, SEQ) else ():
        obs = _endpoint_of(endpoints, ev)
        if obs is None:
            continue
        obs.type = TLS
        failure, name = ev.get("failure"), ev.get("server_name")
        obs.failure = obs.tls_failure = failure if isinstance(failure, str) and failure else ""
        obs.tls_server_name = name if isinstance(name, str) and name else ""


def _ingest_http(endpoints: dict[int, WebObs], events: Any) -> None:
    for ev in events if isinstance(events, SEQ) else ():
        obs = _endpoint_of(endpoints, ev)
        if obs is None:
            continue
        obs.type = HTTP
        req = ev.get("request")
        url = req.get("url") if isinstance(req, dict) else None
        obs.http_url = url if isinstance(url, str) else None
        failure = ev.get("failure")
        failure = failure if isinstance(failure, str) else None
        obs.failure = obs.http_failure = failure or ""
        if failure is not None:
            continue
        resp = ev.get("response")
        resp = resp if isinstance(resp, dict) else EMPTY
        code = int_or_none(resp.get("code")) or 0
        obs.http_status = code
        body = resp.get("body")
        obs.http_body_length = body_length(body)
        # minipipeline reads the *request's* body_is_truncated here; we read the response's,
        # which is the flag that matters (both are false in every OONI QA measurement).
        obs.http_truncated = bool(resp.get("body_is_truncated", False))
        headers = resp.get("headers")
        headers = headers if isinstance(headers, dict) else EMPTY
        obs.http_header_keys = frozenset(headers)
        obs.http_title = web_title(body_text(body))
        for key, value in headers.items():
            # Only "location" and "server" matter, and lower() changes a name's length only by
            # adding a combining dot (for U+0130): names of other lengths cannot be either.
            if len(key) not in (6, 8):
                continue
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


def _ingest_control(
    c: WebObservations,
    endpoints: dict[int, WebObs],
    tk: Mapping[str, Any],
    input_url: str | None,
) -> None:
    raw = tk.get("control")
    request = tk.get("x_control_request")
    if not isinstance(raw, dict) or not raw:
        return
    url = request.get("http_request") if isinstance(request, dict) else input_url
    domain = domain_of(url)
    if domain is None:
        return
    control = Control(raw)
    c.control = control
    c.input_domain = domain
    key = host_key(domain)
    ctl_failure = control.dns_failure or ""
    ctl_addrs = control.dns_addrs
    ctl_addrs_if_ok = ctl_addrs if control.dns_failure is None else None
    for obs in (*c.dns_failures, *c.dns_successes):
        name = obs.dns_domain
        # equal names need no host_key (the common case: the probe looked up the URL's host)
        if name is None or (name != domain and host_key(name) != key):
            continue
        obs.ctl_dns_domain = domain
        obs.ctl_dns_failure = ctl_failure
        if ctl_addrs_if_ok is not None:
            obs.ctl_dns_addrs = ctl_addrs_if_ok
    tcp, tls = control.tcp, control.tls
    for obs in endpoints.values():
        name = obs.dns_domain
        same = name is not None and (name == domain or host_key(name) == key)
        if same or (name is None and obs.ip in ctl_addrs):
            obs.ctl_dns_domain = domain
            obs.ctl_dns_failure = ctl_failure
            if ctl_addrs_if_ok is not None:
                obs.ctl_dns_addrs = ctl_addrs_if_ok
        endpoint = obs.endpoint
        if endpoint in tcp:
            obs.ctl_tcp_failure = tcp[endpoint]
        if obs.tls_server_name is not None and endpoint in tls:
            server_name, failure = tls[endpoint]
            if server_name == obs.tls_server_name:
                obs.ctl_tls_failure = failure
    if not control.has_http:
        return
    http_failure = control.http_failure
    for obs in (*c.dns_failures, *c.dns_successes, *endpoints.values()):
        obs.ctl_http_failure = http_failure or ""
        if http_failure is None:
            obs.ctl_http_status = control.http_status
            obs.ctl_http_body_length = control.http_body_length
            obs.ctl_http_header_keys = control.http_header_keys
            obs.ctl_http_title = control.http_title
