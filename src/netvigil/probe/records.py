"""OONI's measurement data format, as typed records (df-002-dnst, df-005-tcpconnect, ...).

Field names and shapes follow ooni/spec ``data-formats`` and OONI Probe 3.22's own output
(``../shared/data/ooni/probecli_minipipeline/generated/*/measurement.json``), so that OONI's tools
and our pipeline read a netvigil measurement exactly like one of OONI's.
"""

from __future__ import annotations

import base64
from typing import Any

import msgspec


class DnsAnswer(msgspec.Struct, frozen=True, omit_defaults=True, kw_only=True):
    # Always written, as OONI does (asn 0 / "" when the probe has no ASN database).
    answer_type: str  # "A" | "AAAA" | "CNAME"
    ttl: int | None
    asn: int
    as_org_name: str
    # Written only for the matching answer_type.
    ipv4: str | None = None
    ipv6: str | None = None
    hostname: str | None = None  # CNAME target


class DnsQuery(msgspec.Struct, frozen=True):
    answers: list[DnsAnswer] | None
    engine: str  # "getaddrinfo" (system resolver) | "udp"
    failure: str | None
    hostname: str
    query_type: str  # "ANY" for getaddrinfo, else "A" / "AAAA"
    resolver_hostname: str | None
    resolver_port: str | None
    resolver_address: str
    t: float
    tags: list[str]
    transaction_id: int

    def addresses(self) -> list[str]:
        return [a.ipv4 or a.ipv6 or "" for a in self.answers or [] if a.ipv4 or a.ipv6]


class TcpStatus(msgspec.Struct, frozen=True):
    failure: str | None
    success: bool


class TcpConnect(msgspec.Struct, frozen=True):
    ip: str
    port: int
    status: TcpStatus
    t: float
    tags: list[str]
    transaction_id: int


class TlsHandshake(msgspec.Struct, frozen=True):
    network: str
    address: str
    cipher_suite: str
    failure: str | None
    negotiated_protocol: str
    no_tls_verify: bool
    peer_certificates: list[dict[str, str]] | None
    server_name: str
    t: float
    tags: list[str]
    tls_version: str
    transaction_id: int


class HttpBody(msgspec.Struct, frozen=True):
    body: str
    body_is_truncated: bool
    headers_list: list[tuple[str, str]]
    headers: dict[str, str]


class HttpRequestRecord(msgspec.Struct, frozen=True):
    body: str
    body_is_truncated: bool
    headers_list: list[tuple[str, str]]
    headers: dict[str, str]
    method: str
    tor: dict[str, Any]
    x_transport: str
    url: str


class HttpResponseRecord(msgspec.Struct, frozen=True):
    # UTF-8 text as a string; anything else as OONI's {"format": "base64", "data": ...}.
    body: str | dict[str, str] | None
    body_is_truncated: bool
    code: int
    headers_list: list[tuple[str, str]]
    headers: dict[str, str]


class HttpTransaction(msgspec.Struct, frozen=True):
    network: str
    address: str
    alpn: str
    failure: str | None
    request: HttpRequestRecord
    response: HttpResponseRecord
    t: float
    tags: list[str]
    transaction_id: int


class NetworkEvent(msgspec.Struct, frozen=True, omit_defaults=True):
    operation: str  # "connect" | "tls_handshake_start" | "tls_handshake_done" | "http_..."
    failure: str | None
    t0: float
    t: float
    transaction_id: int
    address: str | None = None
    proto: str | None = None
    num_bytes: int | None = None


NO_TOR: dict[str, Any] = {"exit_ip": None, "exit_name": None, "is_tor": False}


def archival_body(raw: bytes) -> str | dict[str, str]:
    """OONI's MaybeBinaryValue: text stays text, other bytes are base64 (lengths stay exact)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"format": "base64", "data": base64.b64encode(raw).decode("ascii")}


def headers_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """OONI's ``headers`` map: the first value of each header name, names as sent."""
    out: dict[str, str] = {}
    for name, value in pairs:
        out.setdefault(name, value)
    return out
