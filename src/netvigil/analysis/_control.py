"""The test helper's answer (webconnectivity THResponse), flattened for linking with the probe's
observations (``_webobs``) and for the 0.4 rules (``legacy``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Read-only stand-in for a missing or malformed object: ``.get`` answers None for every key.
EMPTY: Mapping[str, Any] = {}
SEQ = (list, tuple)


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
        # Type checks are inlined here and in build(): this runs for every measurement, and a
        # helper call per field cost more than the checks themselves.
        dns = raw.get("dns")
        dns = dns if isinstance(dns, dict) else EMPTY
        failure = dns.get("failure")
        self.dns_failure: str | None = failure if isinstance(failure, str) else None
        addrs = dns.get("addrs")
        if addrs is None:
            addrs = dns.get("ips")  # the name web_connectivity 0.1's helper (2016) used
        self.dns_addrs = (
            frozenset(a for a in addrs if isinstance(a, str))
            if isinstance(addrs, SEQ)
            else frozenset()
        )
        self.tcp: dict[str, str] = {}
        section = raw.get("tcp_connect")
        for endpoint, value in section.items() if isinstance(section, dict) else ():
            failure = value.get("failure") if isinstance(value, dict) else None
            self.tcp[endpoint] = failure if isinstance(failure, str) and failure else ""
        self.tls: dict[str, tuple[str | None, str]] = {}
        section = raw.get("tls_handshake")
        for endpoint, value in section.items() if isinstance(section, dict) else ():
            value = value if isinstance(value, dict) else EMPTY
            name, failure = value.get("server_name"), value.get("failure")
            self.tls[endpoint] = (
                name if isinstance(name, str) else None,
                failure if isinstance(failure, str) and failure else "",
            )
        http = raw.get("http_request")
        self.has_http = isinstance(http, dict)
        http = http if isinstance(http, dict) else EMPTY
        failure = http.get("failure")
        self.http_failure: str | None = failure if isinstance(failure, str) else None
        self.http_status = int_or_none(http.get("status_code"))
        self.http_body_length = int_or_none(http.get("body_length"))
        headers = http.get("headers")
        self.http_header_keys = frozenset(headers if isinstance(headers, dict) else ())
        title = http.get("title")
        self.http_title: str = title if isinstance(title, str) and title else ""
        self.asns: dict[str, int] = {}
        section = raw.get("ip_info")
        for ip, info in section.items() if isinstance(section, dict) else ():
            asn = int_or_none(info.get("asn")) if isinstance(info, dict) else None
            if asn:
                self.asns[ip] = asn
