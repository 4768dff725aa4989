"""web_connectivity written by the Python ooniprobe (1.x-2.x, 2016-2019): its own rules.

Our implementation of ooni-probe's ``ooni/nettests/blocking/web_connectivity.py``
(``determine_blocking`` and the comparisons it calls), which differ from Measurement Kit's and
probe-cli's 0.4 rules (``legacy.py``): a private or loopback answer makes DNS inconsistent
outright; only the first word of 5+ letters of the titles is compared; the status code is not
compared when the control got a 5xx; and blocking is decided by DNS consistency, then TCP, then
the page. ASNs come from the answers' ``asn``, the control's ``ip_info`` and, when configured,
the IP table (the Python probe looked both sides up in its GeoIP database).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from netvigil.analysis import _webobs as wo
from netvigil.analysis.legacy import LegacyResult, header_names, wo_dns_detail
from netvigil.analysis.rules import Rule
from netvigil.analysis.thresholds import (
    BODY_PROPORTION_MIN,
    COMMON_HEADERS,
    PARSER_HEADERS,
    TITLE_MIN_WORD_LEN,
)

_SOURCE = "ooni/probe-legacy ooni/nettests/blocking/web_connectivity.py determine_blocking"
# ipaddr's is_private (what the Python probe used): RFC 1918 only; plus loopback.
_PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                      "127.0.0.0/8")
)  # fmt: skip
_HTTP_DETAIL = {
    "connection_refused_error": "tcp.refused",
    "connection_refused": "tcp.refused",
    "connection_reset": "http.reset",
    "connection_lost_error": "http.eof",
    "response_never_received": "http.timeout",
    "generic_timeout_error": "http.timeout",
    "tcp_timed_out_error": "tcp.timeout",
    "dns_lookup_error": "dns.failure",
}


class PyRule:
    CONTROL_MISSING = "wcpy.control.missing.v1"
    TCP = "wcpy.tcp.blocked.v1"
    HTTP_DIFF = "wcpy.http.diff.v1"
    HTTP_FAILURE = "wcpy.http.failure.v1"
    DNS = "wcpy.dns.inconsistent.v1"
    OK = "wcpy.ok.v1"


AsnOf = Callable[[str], int | None]


def analyze_python(
    tk: Mapping[str, Any], input_url: str | None, asn_of: AsnOf | None = None
) -> LegacyResult:
    out = LegacyResult()
    out.rule_id = PyRule.CONTROL_MISSING
    addrs, asns, dns_failure = _answers(tk)
    out.dns_failure = dns_failure
    http_failure = _first_word(tk.get("http_experiment_failure"))
    requests = [r for r in _list(tk.get("requests")) if isinstance(r, dict)]
    if http_failure is None and requests and isinstance(requests[0].get("failure"), str):
        http_failure = _first_word(requests[0]["failure"])
    control = tk.get("control")
    if tk.get("control_failure") is not None or not isinstance(control, dict) or not control:
        out.accessible = http_failure is None and dns_failure is None
        return out
    ctl_http = _d(control.get("http_request"))
    ctl_http_failure = _first_word(ctl_http.get("failure"))
    consistent = _dns_consistent(control, addrs, asns, dns_failure, asn_of)
    out.consistency = "consistent" if consistent else "inconsistent"
    tcp_ok = _tcp_ok(tk, control)
    expected_page: bool | None = None
    if http_failure is None and ctl_http_failure is None and requests:
        expected_page = _expected_page(_d(requests[0].get("response")), ctl_http)
    blocking: bool | str = False
    if consistent and not tcp_ok and http_failure is not None:
        blocking, out.rule_id = "tcp_ip", PyRule.TCP
        out.detail = _tcp_detail(tk)
    elif consistent and tcp_ok and expected_page is False:
        blocking, out.rule_id, out.detail = "http-diff", PyRule.HTTP_DIFF, "http.diff"
    elif consistent and tcp_ok and http_failure is not None and ctl_http_failure is None:
        blocking = "dns" if http_failure == "dns_lookup_error" else "http-failure"
        out.rule_id = PyRule.HTTP_FAILURE
        out.detail = _HTTP_DETAIL.get(http_failure, "http.failure")
    elif not consistent and (expected_page is False or http_failure is not None):
        blocking, out.rule_id = "dns", PyRule.DNS
        out.detail = wo_dns_detail(dns_failure, addrs)
    else:
        out.rule_id = PyRule.OK
    out.blocking = blocking
    out.accessible = http_failure is None and dns_failure is None and blocking is False
    return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _d(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_word(value: Any) -> str | None:
    return value.split(" ")[0] if isinstance(value, str) else None


def _answers(tk: Mapping[str, Any]) -> tuple[list[str], dict[str, int], str | None]:
    addrs: list[str] = []
    asns: dict[str, int] = {}
    for q in _list(tk.get("queries")):
        for a in _list(_d(q).get("answers")):
            ip = _d(a).get("ipv4")
            if isinstance(ip, str) and ip not in asns:
                addrs.append(ip)
                asn = _d(a).get("asn")
                asns[ip] = asn if isinstance(asn, int) else 0
    failure = tk.get("dns_experiment_failure")
    return addrs, asns, failure if isinstance(failure, str) else None


def _control_addrs(dns: Mapping[str, Any]) -> set[str]:
    addrs = dns.get("addrs")
    if not isinstance(addrs, list):
        addrs = dns.get("ips")  # the 2016 helper's name for the same list
    return {a for a in addrs if isinstance(a, str)} if isinstance(addrs, list) else set()


def _dns_consistent(
    control: Mapping[str, Any],
    addrs: list[str],
    asns: dict[str, int],
    dns_failure: str | None,
    asn_of: AsnOf | None,
) -> bool:
    dns = _d(control.get("dns"))
    ctl_failure = dns.get("failure")
    if ctl_failure is not None and ctl_failure == dns_failure:
        return True
    theirs, ours = _control_addrs(dns), set(addrs)
    if theirs == ours:
        return True
    if any(_private(a) for a in ours):
        return False
    if theirs & ours:
        return True
    ip_info = _d(control.get("ip_info"))

    def asn(ip: str, recorded: int | None) -> int | None:
        return recorded or _d(ip_info.get(ip)).get("asn") or (asn_of(ip) if asn_of else None)

    our_asns = {asn(a, asns.get(a)) for a in ours} - {None, 0}
    their_asns = {asn(a, None) for a in theirs} - {None, 0}
    return bool(our_asns & their_asns)


def _private(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return addr.version == 4 and any(addr in net for net in _PRIVATE)


def _tcp_ok(tk: Mapping[str, Any], control: Mapping[str, Any]) -> bool:
    """False when a connect failed that the control made (the Python probe's ``blocked``)."""
    ctl_tcp = _d(control.get("tcp_connect"))
    for entry in _list(tk.get("tcp_connect")):
        entry = _d(entry)
        endpoint = f"{entry.get('ip')}:{entry.get('port')}"
        if _d(entry.get("status")).get("success") is False and (
            _d(ctl_tcp.get(endpoint)).get("status") is True
        ):
            return False
    return True


# The Python probe's (Twisted's) connect failures, in our vocabulary.
_TCP_DETAIL = {
    "connection_refused_error": "tcp.refused",
    "connection_refused": "tcp.refused",
    "tcp_timed_out_error": "tcp.timeout",
    "generic_timeout_error": "tcp.timeout",
    "connection_reset": "tcp.reset",
    "connection_lost_error": "tcp.reset",
    "address_family_not_supported_error": "tcp.unreachable",
    "network_unreachable": "tcp.unreachable",
    "host_unreachable": "tcp.unreachable",
}


def _tcp_detail(tk: Mapping[str, Any]) -> str:
    for entry in _list(tk.get("tcp_connect")):
        failure = _first_word(_d(_d(entry).get("status")).get("failure"))
        if failure is not None:
            return _TCP_DETAIL.get(failure, "tcp.failure")
    return "tcp.failure"


def _expected_page(response: Mapping[str, Any], ctl: Mapping[str, Any]) -> bool:
    """Body length, headers or title match, and the status code does not differ."""
    ours = wo.body_length(response.get("body"))
    theirs = ctl.get("body_length")
    theirs = theirs if isinstance(theirs, int) and not isinstance(theirs, bool) else 0
    if ours == theirs:
        proportion = 1.0
    elif ours <= 0 or theirs <= 0:
        proportion = 0.0
    else:
        proportion = min(ours, theirs) / max(ours, theirs)
    body_match = proportion > BODY_PROPORTION_MIN
    mine = header_names(response.get("headers")) - PARSER_HEADERS
    yours = header_names(ctl.get("headers")) - PARSER_HEADERS
    headers_match = mine == yours or bool((mine - COMMON_HEADERS) & (yours - COMMON_HEADERS))
    code, ctl_code = response.get("code"), ctl.get("status_code")
    status_match = None if str(ctl_code).startswith("5") else code == ctl_code
    title_match = _title_match(wo.web_title(wo.body_text(response.get("body"))), ctl.get("title"))
    return (body_match or headers_match or title_match is True) and status_match is not False


def _title_match(ours: str, theirs: Any) -> bool | None:
    """The Python probe's comparison: the first of our title's words of 5+ characters against
    the control's word at the same position."""
    control_words = theirs.strip().split(" ") if isinstance(theirs, str) else [""]
    for index, word in enumerate(ours.strip().split(" ")):
        if len(word) < TITLE_MIN_WORD_LEN:
            continue
        if index >= len(control_words):
            return False
        return control_words[index].lower() == word.lower()
    return None


RULES: tuple[Rule, ...] = (
    Rule(PyRule.CONTROL_MISSING, "Python ooniprobe (1.x/2.x): control_failure set or no "
         "control: blocking=null, dns_consistency=null", _SOURCE),
    Rule(PyRule.TCP, "Python ooniprobe: DNS consistent, a TCP connect failed that the control "
         "made, and the request failed: blocking=tcp_ip", _SOURCE),
    Rule(PyRule.HTTP_DIFF, "Python ooniprobe: DNS consistent, TCP fine, and the page is not the "
         "expected one (none of body proportion > 0.7, same or shared uncommon headers, same "
         "first long title word; or a different status code): blocking=http-diff", _SOURCE),
    Rule(PyRule.HTTP_FAILURE, "Python ooniprobe: DNS consistent, TCP fine, the request failed "
         "while the control's did not: blocking=http-failure (dns for dns_lookup_error)",
         _SOURCE),
    Rule(PyRule.DNS, "Python ooniprobe: DNS inconsistent (a private or loopback answer, or no "
         "shared address nor ASN with the control) and the page unexpected or the request "
         "failed: blocking=dns", _SOURCE),
    Rule(PyRule.OK, "Python ooniprobe: none of the above: blocking=false", _SOURCE),
)  # fmt: skip
