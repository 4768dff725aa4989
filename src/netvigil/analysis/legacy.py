"""web_connectivity 0.4 measurements: OONI's 0.4 rules, re-derived from the events.

Measurements written before web_connectivity 0.5 (most of OONI's archive up to 2022) have no
transaction ids linking requests to connections and no ``depth=``/``fetch_body=`` tags, so the
classic (0.5) walk cannot apply. Our implementation of the 0.4 rules (ooni/probe-cli
``internal/experiment/webconnectivity`` summary.go and dnsanalysis.go, which port Measurement
Kit's): DNS is consistent when probe and control share an ASN or an address, or both failed with
NXDOMAIN; then HTTPS success, control failure, NXDOMAIN, DNS, TCP, HTTP failure and HTTP diff are
checked in that order.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from netvigil.analysis import _webobs as wo
from netvigil.analysis._control import Control
from netvigil.analysis.details import dns_failure_detail, step_failure_detail
from netvigil.analysis.rules import LEGACY
from netvigil.analysis.thresholds import (
    BODY_PROPORTION_MIN,
    COMMON_HEADERS,
    PARSER_HEADERS,
    TITLE_MIN_WORD_LEN,
)

# Request failures 0.4 attributes to a step (summary.go), and the blocking value it reports.
_HTTP_FAILURES = {
    "connection_refused": ("http-failure", "tcp.refused"),
    "connection_reset": ("http-failure", "http.reset"),
    "dns_nxdomain_error": ("dns", "dns.nxdomain"),
    "eof_error": ("http-failure", "http.eof"),
    "generic_timeout_error": ("http-failure", "http.timeout"),
    "ssl_invalid_hostname": ("http-failure", "tls.invalid_certificate"),
    "ssl_invalid_certificate": ("http-failure", "tls.invalid_certificate"),
    "ssl_unknown_authority": ("http-failure", "tls.invalid_certificate"),
}


def is_legacy(tk: Mapping[str, Any]) -> bool:
    """0.4 data: no control request echo and no event tagged with its redirect depth."""
    if "x_control_request" in tk:
        return False
    for key in ("tcp_connect", "requests", "queries"):
        events = tk.get(key)
        for ev in events if isinstance(events, list) else ():
            tags = ev.get("tags") if isinstance(ev, dict) else None
            if isinstance(tags, list) and any(
                isinstance(t, str) and t.startswith("depth=") for t in tags
            ):
                return False
    return True


class LegacyResult:
    __slots__ = ("accessible", "blocking", "consistency", "detail", "dns_failure", "rule_id")

    def __init__(self) -> None:
        self.blocking: bool | str | None = None
        self.accessible: bool | None = None
        self.consistency: str | None = None
        self.detail: str | None = None
        self.rule_id = LEGACY.CONTROL_UNREACHABLE
        self.dns_failure: str | None = None

    def set(self, blocking: bool | str | None, accessible: bool | None, rule: str) -> None:
        self.blocking, self.accessible, self.rule_id = blocking, accessible, rule


def analyze_legacy(
    tk: Mapping[str, Any],
    input_url: str | None,
    asn_of: Callable[[str], int | None] | None = None,
) -> LegacyResult:
    """``asn_of``: the configured IP table's lookup, for addresses the measurement has no ASN
    for (OONI's probe looked both sides up in its GeoIP database)."""
    out = LegacyResult()
    addrs, asns, dns_failure = _probe_dns(tk)
    out.dns_failure = dns_failure
    control = _d(tk.get("control"))
    # A failed control leaves an empty answer behind (probe-cli 0.4 writes its zero value):
    # OONI then has no DNS verdict (dns_consistency null), not an inconsistent one.
    ctl = Control(control) if control and tk.get("control_failure") is None else None
    out.consistency = _dns_consistency(input_url, addrs, asns, dns_failure, ctl, asn_of)
    requests = _objects(tk.get("requests"))
    first = requests[0] if requests else None
    url = _d(first.get("request")).get("url") if first else None
    if first is not None and first.get("failure") is None and str(url).startswith("https://"):
        out.set(False, True, LEGACY.HTTPS_OK)
        return out
    if tk.get("control_failure") is not None or ctl is None:
        return out  # blocking null: the control is unreachable
    if dns_failure in ("dns_nxdomain_error", "android_dns_cache_no_data") and (
        out.consistency == "consistent"
    ):
        out.set(False, True, LEGACY.NXDOMAIN_BOTH)
        return out
    if out.consistency == "inconsistent":
        out.set("dns", False, LEGACY.DNS_INCONSISTENT)
        out.detail = wo_dns_detail(dns_failure, addrs)
        return out
    tcp = _objects(tk.get("tcp_connect"))
    if tcp and not any(_d(t.get("status")).get("success") for t in tcp):
        if out.consistency == "consistent":
            out.set("tcp_ip", False, LEGACY.TCP)
            failures = [_d(t.get("status")).get("failure") for t in tcp]
            out.detail = _tcp_detail(next((f for f in failures if isinstance(f, str)), ""))
        return out
    if ctl.http_failure is not None or first is None:
        out.rule_id = LEGACY.NOTHING_TO_COMPARE
        return out
    failure = first.get("failure")
    if isinstance(failure, str):
        blocking, detail = _HTTP_FAILURES.get(failure, (None, None))
        out.rule_id = LEGACY.HTTP_FAILURE if blocking else LEGACY.HTTP_UNCLASSIFIED
        if blocking is not None:
            out.set(blocking, False, out.rule_id)
            out.detail = detail
            if len(requests) == 1 and out.consistency == "inconsistent":
                out.blocking = "dns"
        return out
    if not _http_diff(first, ctl):
        out.set(False, True, LEGACY.HTTP_MATCH)
        return out
    out.set("http-diff", False, LEGACY.HTTP_DIFF)
    out.detail = "http.diff"
    return out


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects among a list's items; none when the value is not iterable (odd data)."""
    try:
        return [v for v in value or () if isinstance(v, dict)]
    except TypeError:  # e.g. a number where OONI writes a list: never an error (verdict.py)
        return []


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def wo_dns_detail(dns_failure: str | None, addrs: list[str]) -> str:
    if dns_failure:
        return dns_failure_detail(dns_failure)
    return "dns.bogon" if any(wo.is_bogon(a) for a in addrs) else "dns.hijack"


def _tcp_detail(failure: str) -> str:
    return step_failure_detail(wo.TCP, failure)


def _probe_dns(tk: Mapping[str, Any]) -> tuple[list[str], dict[str, int], str | None]:
    addrs: list[str] = []
    asns: dict[str, int] = {}
    failure: str | None = None
    for q in _objects(tk.get("queries")):
        if isinstance(q.get("failure"), str):
            failure = failure or q["failure"]
            continue
        for a in _objects(q.get("answers")):
            ip = a.get("ipv4") or a.get("ipv6")
            if isinstance(ip, str) and ip not in asns:
                addrs.append(ip)
                asn = a.get("asn")
                asns[ip] = asn if isinstance(asn, int) else 0
    if addrs:
        failure = None  # 0.4 resolves once (getaddrinfo): any address means success
    return addrs, asns, failure


def _dns_consistency(
    url: str | None,
    addrs: list[str],
    asns: dict[str, int],
    failure: str | None,
    ctl: Control | None,
    asn_of: Callable[[str], int | None] | None = None,
) -> str | None:
    if ctl is None:
        return None
    host = wo.domain_of(url)
    if host is not None:
        try:
            ipaddress.ip_address(host)
            return "consistent"  # the control answers dns_name_error for an IP address
        except ValueError:
            pass
    if failure is not None and ctl.dns_failure is not None:
        ok = ctl.dns_failure == "dns_name_error" and failure in (
            "dns_nxdomain_error",
            "android_dns_cache_no_data",
        )
        return "consistent" if ok else "inconsistent"
    if set(addrs) & ctl.dns_addrs:
        return "consistent"
    ours = {asns[a] for a in addrs if asns.get(a)}
    theirs = {ctl.asns[a] for a in ctl.dns_addrs if ctl.asns.get(a)}
    if asn_of is not None:
        ours |= {x for a in addrs if not asns.get(a) and (x := asn_of(a))}
        theirs |= {x for a in ctl.dns_addrs if not ctl.asns.get(a) and (x := asn_of(a))}
    return "consistent" if ours & theirs else "inconsistent"


def header_names(headers: Any) -> set[str]:
    """Lower-case header names of a response: an object, or the ``[name, value(s)]`` pairs of
    reports converted from YAML."""
    if isinstance(headers, dict):
        return {k.lower() for k in headers if isinstance(k, str)}
    if isinstance(headers, list):
        return {
            h[0].lower() for h in headers if isinstance(h, list) and h and isinstance(h[0], str)
        }
    return set()


def _http_diff(req: Mapping[str, Any], ctl: Control) -> bool:
    """0.4's comparison: a diff unless status codes match and one of body/headers/title does."""
    resp = _d(req.get("response"))
    raw_code = resp.get("code")
    code = raw_code if isinstance(raw_code, int) else 0
    ctl_code = ctl.http_status or 0
    status_match: bool | None = None
    if code > 0 and ctl_code > 0 and (code == ctl_code or ctl_code // 100 == 2):
        status_match = code == ctl_code
    if not status_match:
        return True
    truncated = bool(resp.get("body_is_truncated"))
    ours = wo.body_length(resp.get("body"))
    theirs = ctl.http_body_length or 0
    if (
        not truncated
        and ours > 0
        and theirs > 0
        and min(ours, theirs) / max(ours, theirs) > BODY_PROPORTION_MIN
    ):
        return False
    mine = header_names(resp.get("headers")) - PARSER_HEADERS
    yours = {k.lower() for k in ctl.http_header_keys} - PARSER_HEADERS
    if mine and yours and (mine == yours or (mine - COMMON_HEADERS) & (yours - COMMON_HEADERS)):
        return False
    title = wo.web_title(wo.body_text(resp.get("body"))) if not truncated else ""
    if title and ctl.http_title:
        words = {w.lower() for w in title.split(" ") if len(w.encode()) >= TITLE_MIN_WORD_LEN}
        other = {
            w.lower() for w in ctl.http_title.split(" ") if len(w.encode()) >= TITLE_MIN_WORD_LEN
        }
        if not words ^ other:
            return False
    return True
