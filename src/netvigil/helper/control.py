"""The helper's answer to one control request (OONI's ``oohelperd`` protocol).

Request ``{http_request, http_request_headers, tcp_connect:["ip:port",...]}``; answer
``{tcp_connect:{"ip:port":{status,failure}}, tls_handshake:{"ip:port":{server_name,status,
failure}}, http_request:{body_length,title,headers,status_code,failure}, dns:{failure,addrs},
ip_info:{ip:{asn,flags}}}``. The steps are the probe's own (``netvigil.probe.fetch``/``steps``),
run with the helper's resolver and CAs, so both sides of the comparison measure the same way.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# One copy of netxlite's bogon list (private, loopback, TEST-NET ... ranges): the analysis's.
from netvigil.analysis import is_bogon
from netvigil.probe.fetch import Network, fetch, resolve, split_target
from netvigil.probe.records import headers_dict
from netvigil.probe.steps import Trace, connect, endpoint, tls_handshake

MAX_ENDPOINTS = 32  # a request naming more endpoints is refused (cheap amplification guard)

# ip_info flags, as oohelperd's ``ControlIPInfoFlag*`` bits.
FLAG_RESOLVED_BY_PROBE = 1
FLAG_RESOLVED_BY_TH = 2
FLAG_BOGON = 4
FLAG_VALID_FOR_DOMAIN = 8  # a TLS handshake for the domain succeeded on this address


class BadControlRequest(ValueError):
    """The request is not OONI's TH request shape (the server answers 400)."""


@dataclass(frozen=True)
class ControlRequest:
    url: str
    endpoints: tuple[tuple[str, int], ...]


def parse_request(body: Any) -> ControlRequest:
    if not isinstance(body, dict):
        raise BadControlRequest("the body must be a JSON object")
    url = body.get("http_request")
    if not isinstance(url, str):
        raise BadControlRequest("http_request must be a URL string")
    try:
        split_target(url)
    except ValueError as exc:
        raise BadControlRequest(f"http_request: {exc}") from exc
    raw = body.get("tcp_connect") or []
    if not isinstance(raw, list) or len(raw) > MAX_ENDPOINTS:
        raise BadControlRequest(f"tcp_connect must be a list of at most {MAX_ENDPOINTS} ip:port")
    endpoints = []
    for item in raw:
        if not isinstance(item, str):
            raise BadControlRequest("tcp_connect entries must be 'ip:port' strings")
        endpoints.append(parse_endpoint(item))
    return ControlRequest(url, tuple(dict.fromkeys(endpoints)))


def parse_endpoint(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    try:
        if not sep:
            raise ValueError(text)
        ip = ipaddress.ip_address(host.strip("[]"))
        number = int(port)
        if not 0 < number < 65536:
            raise ValueError(port)
    except ValueError as exc:
        raise BadControlRequest(f"tcp_connect entry {text!r} is not ip:port") from exc
    return str(ip), number


AsnLookup = Callable[[str], int | None]  # an address -> its ASN, None when unknown


async def answer(
    request: ControlRequest, net: Network, asn_of: AsnLookup | None = None
) -> dict[str, Any]:
    """Measure ``request`` from here and build the TH answer (``asn_of``: ip_info's ASNs)."""
    scheme, host, port, _, _ = split_target(request.url)
    dns_trace = Trace()
    addrs, dns_failure = await resolve(dns_trace, net, host, ["th"])
    await dns_trace.settle()
    own = [(ip, port) for ip in addrs]
    endpoints = list(dict.fromkeys([*request.endpoints, *own]))[:MAX_ENDPOINTS]
    # OONI's helper measures no loopback endpoint (its tcp_connect for localhost is {}); ours no
    # internal one either (audit H2: a port scan of its own network through 0.0.0.0:port).
    policy = net.policy
    endpoints = [(ip, p) for ip, p in endpoints if policy.refusal(ip) is None]
    http_trace = Trace()
    checks, fetched = await asyncio.gather(
        asyncio.gather(*(_check(net, ip, p, host, scheme, port) for ip, p in endpoints)),
        fetch(http_trace, net, request.url),
    )
    tcp: dict[str, Any] = {}
    tls: dict[str, Any] = {}
    valid: set[str] = set()
    for (ip, p), (tcp_failure, tls_result) in zip(endpoints, checks, strict=True):
        tcp[endpoint(ip, p)] = {"status": tcp_failure is None, "failure": tcp_failure}
        if tls_result is not None:
            tls[endpoint(ip, p)] = {"server_name": host, **tls_result}
            if tls_result["status"]:
                valid.add(ip)
    failure = fetched.failure
    if failure is None and fetched.status == 0:
        # Nothing was fetched without a failure: every address was loopback, which the helper
        # does not connect to; OONI's helper reports this as unknown_error (localhostWithHTTP).
        failure = "unknown_error"
    ok = failure is None
    probe_ips = {ip for ip, _ in request.endpoints}
    ip_info = {
        ip: {
            "asn": (asn_of(ip) or 0) if asn_of is not None else 0,
            "flags": _flags(ip, probe_ips, set(addrs), valid),
        }
        for ip in dict.fromkeys([*addrs, *probe_ips])
    }
    return {
        "tcp_connect": tcp,
        "tls_handshake": tls,
        "quic_handshake": {},
        "http_request": {
            "body_length": len(fetched.body) if ok else -1,
            "discovered_h3_endpoint": "",
            "failure": failure,
            "title": fetched.title if ok else "",
            "headers": headers_dict(fetched.headers) if ok else {},
            "status_code": fetched.status if ok else -1,
        },
        "http3_request": None,
        "dns": {"failure": th_dns_failure(dns_failure), "addrs": addrs},
        "ip_info": ip_info,
    }


async def _check(
    net: Network, ip: str, port: int, host: str, scheme: str, url_port: int
) -> tuple[str | None, dict[str, Any] | None]:
    """(TCP failure, TLS result or None) for one endpoint; TLS where the URL would use it."""
    trace = Trace()
    conn = await connect(trace, ip, port, net.tcp_timeout, ["th"])
    if conn is None:
        return trace.tcp_connect[-1].status.failure, None
    try:
        if port == 443 or (scheme == "https" and port == url_port):
            ok = await tls_handshake(trace, conn, host, net.tls, net.tls_timeout, ["th"])
            failure = trace.tls_handshakes[-1].failure
            return None, {"status": ok, "failure": failure}
        return None, None
    finally:
        conn.close()


# The DNS failure strings of OONI's test helper (oohelperd dnsMapFailure, inherited from the
# legacy Python TH): NXDOMAIN has its own name, "no answer" is an empty list without a failure.
TH_DNS_FAILURES: dict[str, str | None] = {
    "dns_nxdomain_error": "dns_name_error",
    "dns_no_answer": None,
    "dns_non_recoverable_failure": "dns_server_failure",
    "dns_refused_error": "dns_server_failure",
    "dns_server_misbehaving": "dns_server_failure",
    "dns_temporary_failure": "dns_server_failure",
}


def th_dns_failure(failure: str | None) -> str | None:
    """The probe-side failure string of the helper's lookup, as OONI's helper reports it."""
    if failure is None:
        return None
    return TH_DNS_FAILURES.get(failure, "unknown_error")


def _flags(ip: str, probe: set[str], th: set[str], valid: set[str]) -> int:
    flags = FLAG_RESOLVED_BY_PROBE if ip in probe else 0
    flags |= FLAG_RESOLVED_BY_TH if ip in th else 0
    flags |= FLAG_BOGON if is_bogon(ip) else 0
    flags |= FLAG_VALID_FOR_DOMAIN if ip in valid else 0
    return flags
