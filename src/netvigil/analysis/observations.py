"""raw measurement -> observation rows: one per DNS answer / TCP connect / TLS handshake / HTTP.

Flat rows for the store (``models/observations.py``), with the control's view of the same step
beside the probe's. Pure and lenient: an event that is not an object is skipped, a field of the
wrong type becomes None; nothing here raises on measurement data.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def observations_of(m: Mapping[str, Any], *, uid: str | None = None) -> list[Observation]:
    """One row per network step of ``m`` (web_connectivity and any test using OONI's events)."""
    tk = m.get("test_keys")
    if not isinstance(tk, dict):
        return []
    inp = _s(m.get("input"))
    base: dict[str, Any] = {
        "measurement_uid": uid if uid is not None else measurement_uid(m),
        "test_name": _s(m.get("test_name")) or "",
        "input": inp,
        "probe_cc": _s(m.get("probe_cc")) or "ZZ",
        "probe_asn": _s(m.get("probe_asn")) or "AS0",
        "measurement_start_time": _s(m.get("measurement_start_time")) or "",
    }
    control = _m(tk.get("control"))
    ctl_dns = _m(control.get("dns"))
    ctl_addrs = {a for a in ctl_dns.get("addrs") or () if isinstance(a, str)}
    ctl_tcp = _m(control.get("tcp_connect"))
    ctl_tls = _m(control.get("tls_handshake"))
    ctl_http = _m(control.get("http_request"))
    have_control = bool(control)
    input_domain = domain_of(inp)
    rows: list[Observation] = []

    def add(**fields: Any) -> None:
        rows.append(Observation(**base, observation_idx=len(rows), **fields))

    for q in _events(tk, "queries"):
        host = _s(q.get("hostname"))
        failure = _s(q.get("failure"))
        same = have_control and host == input_domain
        dns: dict[str, Any] = {
            "hostname": host,
            "transaction_id": _i(q.get("transaction_id")),
            "failure": failure,
            "ok": failure is None,
            "dns_engine": _s(q.get("engine")),
            "dns_query_type": _s(q.get("query_type")),
            "dns_resolver_address": _s(q.get("resolver_address")),
            "control_dns_failure": _s(ctl_dns.get("failure")) if same else None,
        }
        answers = [a for a in q.get("answers") or () if isinstance(a, dict)]
        if failure is not None or not answers:
            add(kind="dns", **dns)
            continue
        for a in answers:
            ip = _s(a.get("ipv4")) or _s(a.get("ipv6"))
            add(
                kind="dns",
                **dns,
                dns_answer_type=_s(a.get("answer_type")),
                dns_answer=ip or _s(a.get("hostname")),
                dns_answer_asn=_i(a.get("asn")),
                dns_answer_is_bogon=is_bogon(ip) if ip else None,
                ip=ip,
                control_dns_answer_match=(ip in ctl_addrs) if same and ip else None,
            )
    for t in _events(tk, "tcp_connect"):
        ip, port = _s(t.get("ip")), _i(t.get("port"))
        endpoint = f"[{ip}]:{port}" if ip and ":" in ip else f"{ip}:{port}"
        status = _m(t.get("status"))
        failure = _s(status.get("failure"))
        ctl = _m(ctl_tcp.get(endpoint)) if endpoint in ctl_tcp else None
        add(
            kind="tcp",
            transaction_id=_i(t.get("transaction_id")),
            ip=ip,
            port=port,
            failure=failure,
            ok=failure is None,
            control_tcp_failure=_s(ctl.get("failure")) if ctl is not None else None,
            control_tcp_ok=(ctl.get("failure") is None) if ctl is not None else None,
        )
    for h in _events(tk, "tls_handshakes"):
        address = _s(h.get("address")) or ""
        host, _, port_text = address.rpartition(":")
        failure = _s(h.get("failure"))
        ctl = _m(ctl_tls.get(address)) if address in ctl_tls else None
        add(
            kind="tls",
            transaction_id=_i(h.get("transaction_id")),
            hostname=_s(h.get("server_name")),
            ip=host.strip("[]") or None,
            port=int(port_text) if port_text.isdigit() else None,
            failure=failure,
            ok=failure is None,
            tls_server_name=_s(h.get("server_name")),
            tls_version=_s(h.get("tls_version")),
            tls_cipher_suite=_s(h.get("cipher_suite")),
            control_tls_failure=_s(ctl.get("failure")) if ctl is not None else None,
            control_tls_ok=(ctl.get("failure") is None) if ctl is not None else None,
        )
    for r in _events(tk, "requests"):
        req, resp = _m(r.get("request")), _m(r.get("response"))
        url = _s(req.get("url"))
        failure = _s(r.get("failure"))
        headers = _m(resp.get("headers"))
        lower = {k.lower(): v for k, v in headers.items()} if headers else {}
        body = resp.get("body")
        add(
            kind="http",
            transaction_id=_i(r.get("transaction_id")),
            hostname=domain_of(url),
            failure=failure,
            ok=failure is None,
            http_request_url=url,
            http_response_status_code=_i(resp.get("code")) if failure is None else None,
            http_response_body_length=body_length(body) if failure is None else None,
            http_response_body_is_truncated=(
                bool(resp.get("body_is_truncated")) if failure is None else None
            ),
            http_response_title=web_title(body_text(body)) or None if failure is None else None,
            http_response_header_location=_s(lower.get("location")),
            http_response_header_server=_s(lower.get("server")),
            control_http_failure=_s(ctl_http.get("failure")) if ctl_http else None,
            control_http_response_status_code=_i(ctl_http.get("status_code")),
            control_http_response_body_length=_i(ctl_http.get("body_length")),
            control_http_response_title=_s(ctl_http.get("title")),
        )
    return rows
