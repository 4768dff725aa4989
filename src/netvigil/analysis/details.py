"""``blocking_detail`` of a failed step: OONI's failure string -> netvigil's finer vocabulary.

Shared by the current web_connectivity rules (``webconnectivity``) and the 0.4 ones (``legacy``);
the vocabulary is docs/outcomes.md.
"""

from __future__ import annotations

from netvigil.analysis import _webobs as wo

_DNS_DETAIL = {
    "dns_nxdomain_error": "dns.nxdomain",
    "dns_no_answer": "dns.no_answer",
    "android_dns_cache_no_data": "dns.no_answer",
    "generic_timeout_error": "dns.timeout",
    "dns_refused_error": "dns.refused",
    "dns_server_misbehaving": "dns.servfail",
}
_STEP_NAME = {wo.TCP: "tcp", wo.TLS: "tls", wo.HTTP: "http"}
_STEP_DETAIL = {
    "generic_timeout_error": "timeout",
    "connection_refused": "refused",
    "connection_reset": "reset",
    "eof_error": "eof",
    "host_unreachable": "unreachable",
    "network_unreachable": "unreachable",
}


def dns_failure_detail(failure: str) -> str:
    return _DNS_DETAIL.get(failure, "dns.failure")


def step_failure_detail(kind: int, failure: str) -> str:
    """blocking_detail for a failed TCP/TLS/HTTP step: ``<step>.<what happened>``."""
    step = _STEP_NAME.get(kind, "dns")
    if step == "dns":
        return dns_failure_detail(failure)
    if failure.startswith("ssl_"):
        return f"{step}.invalid_certificate"
    return f"{step}.{_STEP_DETAIL.get(failure, 'failure')}"
