"""raw measurement -> observation rows: one per DNS answer / TCP connect / TLS handshake / HTTP.

Flat rows for the store (``models/observations.py``), with the control's view of the same step
beside the probe's. Pure and lenient: an event that is not an object is skipped, a field of the
wrong type becomes None; nothing here raises on measurement data.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from netvigil.analysis._uid import measurement_uid
from netvigil.analysis._webobs import body_length, body_text, domain_of, is_bogon, web_title
from netvigil.models.observations import Observation


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _i(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _m(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, dict) else {}


def _events(tk: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = tk.get(key)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


# Rows are built positionally from a per-measurement template list: a 47-field Struct built
# from ~20 keywords costs 3-4x more, and this runs for every step of every ingested measurement.
F = SimpleNamespace(**{name: i for i, name in enumerate(Observation.__struct_fields__)})
_WIDTH = len(Observation.__struct_fields__)


def observations_of(m: Mapping[str, Any], *, uid: str | None = None) -> list[Observation]:
    """One row per network step of ``m`` (web_connectivity and any test using OONI's events)."""
    return [Observation(*v) for v in observation_rows(m, uid=uid)]


def observation_rows(m: Mapping[str, Any], *, uid: str | None = None) -> list[list[Any]]:
    """The rows of :func:`observations_of` as lists of values in ``Observation``'s field order.

    For ingest, which turns them into Arrow columns directly: building a Struct per row and
    reading it back costs more than the rest of the conversion.
    """
    tk = m.get("test_keys")
    if not isinstance(tk, dict):
        return []
    inp = _s(m.get("input"))
    base: list[Any] = [None] * _WIDTH
    base[F.measurement_uid] = uid if uid is not None else measurement_uid(m)
    base[F.test_name] = _s(m.get("test_name")) or ""
    base[F.input] = inp
    base[F.probe_cc] = _s(m.get("probe_cc")) or "ZZ"
    base[F.probe_asn] = _s(m.get("probe_asn")) or "AS0"
    base[F.measurement_start_time] = _s(m.get("measurement_start_time")) or ""
    control = _m(tk.get("control"))
    ctl_dns = _m(control.get("dns"))
    raw_addrs = ctl_dns.get("addrs")
    ctl_addrs = (
        {a for a in raw_addrs if isinstance(a, str)} if isinstance(raw_addrs, list) else set()
    )
    ctl_dns_failure = _s(ctl_dns.get("failure"))
    ctl_tcp = _m(control.get("tcp_connect"))
    ctl_tls = _m(control.get("tls_handshake"))
    ctl_http = _m(control.get("http_request"))
    have_control = bool(control)
    input_domain = domain_of(inp)
    rows: list[list[Any]] = []
    for q in _events(tk, "queries"):
        host = _s(q.get("hostname"))
        failure = _s(q.get("failure"))
        same = have_control and host == input_domain
        v = base.copy()
        v[F.kind] = "dns"
        v[F.hostname] = host
        v[F.transaction_id] = _i(q.get("transaction_id"))
        v[F.failure] = failure
        v[F.ok] = failure is None
        v[F.dns_engine] = _s(q.get("engine"))
        v[F.dns_query_type] = _s(q.get("query_type"))
        v[F.dns_resolver_address] = _s(q.get("resolver_address"))
        v[F.control_dns_failure] = ctl_dns_failure if same else None
        answers = q.get("answers")
        answers = [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
        if failure is not None or not answers:
            v[F.observation_idx] = len(rows)
            rows.append(v)
            continue
        for a in answers:
            ip = _s(a.get("ipv4")) or _s(a.get("ipv6"))
            row = v.copy()
            row[F.observation_idx] = len(rows)
            row[F.dns_answer_type] = _s(a.get("answer_type"))
            row[F.dns_answer] = ip or _s(a.get("hostname"))
            row[F.dns_answer_asn] = _i(a.get("asn"))
            row[F.dns_answer_is_bogon] = is_bogon(ip) if ip else None
            row[F.ip] = ip
            row[F.control_dns_answer_match] = (ip in ctl_addrs) if same and ip else None
            rows.append(row)
    for t in _events(tk, "tcp_connect"):
        ip, port = _s(t.get("ip")), _i(t.get("port"))
        endpoint = f"[{ip}]:{port}" if ip and ":" in ip else f"{ip}:{port}"
        failure = _s(_m(t.get("status")).get("failure"))
        ctl = ctl_tcp.get(endpoint)
        v = base.copy()
        v[F.observation_idx] = len(rows)
        v[F.kind] = "tcp"
        v[F.transaction_id] = _i(t.get("transaction_id"))
        v[F.ip] = ip
        v[F.port] = port
        v[F.failure] = failure
        v[F.ok] = failure is None
        if isinstance(ctl, dict):
            v[F.control_tcp_failure] = _s(ctl.get("failure"))
            v[F.control_tcp_ok] = ctl.get("failure") is None
        rows.append(v)
    for h in _events(tk, "tls_handshakes"):
        address = _s(h.get("address")) or ""
        host, _, port_text = address.rpartition(":")
        failure = _s(h.get("failure"))
        ctl = ctl_tls.get(address)
        sni = _s(h.get("server_name"))
        v = base.copy()
        v[F.observation_idx] = len(rows)
        v[F.kind] = "tls"
        v[F.transaction_id] = _i(h.get("transaction_id"))
        v[F.hostname] = sni
        v[F.ip] = host.strip("[]") or None
        v[F.port] = int(port_text) if port_text.isdigit() else None
        v[F.failure] = failure
        v[F.ok] = failure is None
        v[F.tls_server_name] = sni
        v[F.tls_version] = _s(h.get("tls_version"))
        v[F.tls_cipher_suite] = _s(h.get("cipher_suite"))
        if isinstance(ctl, dict):
            v[F.control_tls_failure] = _s(ctl.get("failure"))
            v[F.control_tls_ok] = ctl.get("failure") is None
        rows.append(v)
    for r in _events(tk, "requests"):
        req, resp = _m(r.get("request")), _m(r.get("response"))
        url = _s(req.get("url"))
        failure = _s(r.get("failure"))
        headers = _m(resp.get("headers"))
        lower = {k.lower(): val for k, val in headers.items()} if headers else {}
        v = base.copy()
        v[F.observation_idx] = len(rows)
        v[F.kind] = "http"
        v[F.transaction_id] = _i(r.get("transaction_id"))
        v[F.hostname] = domain_of(url)
        v[F.failure] = failure
        v[F.ok] = failure is None
        v[F.http_request_url] = url
        if failure is None:
            body = resp.get("body")
            v[F.http_response_status_code] = _i(resp.get("code"))
            v[F.http_response_body_length] = body_length(body)
            v[F.http_response_body_is_truncated] = bool(resp.get("body_is_truncated"))
            v[F.http_response_title] = web_title(body_text(body)) or None
        v[F.http_response_header_location] = _s(lower.get("location"))
        v[F.http_response_header_server] = _s(lower.get("server"))
        if ctl_http:
            v[F.control_http_failure] = _s(ctl_http.get("failure"))
            v[F.control_http_response_status_code] = _i(ctl_http.get("status_code"))
            v[F.control_http_response_body_length] = _i(ctl_http.get("body_length"))
            v[F.control_http_response_title] = _s(ctl_http.get("title"))
        rows.append(v)
    return rows
