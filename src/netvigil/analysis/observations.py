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
    # Every row repeats these; passed as plain keywords (a ``**dict`` merge per row costs more
    # than building the row itself on the ingest hot path).
    uid_ = uid if uid is not None else measurement_uid(m)
    test = _s(m.get("test_name")) or ""
    cc = _s(m.get("probe_cc")) or "ZZ"
    asn = _s(m.get("probe_asn")) or "AS0"
    start = _s(m.get("measurement_start_time")) or ""
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
    rows: list[Observation] = []
    for q in _events(tk, "queries"):
        host = _s(q.get("hostname"))
        failure = _s(q.get("failure"))
        same = have_control and host == input_domain
        txid = _i(q.get("transaction_id"))
        engine = _s(q.get("engine"))
        qtype = _s(q.get("query_type"))
        resolver = _s(q.get("resolver_address"))
        ctl_failure = ctl_dns_failure if same else None
        answers = q.get("answers")
        answers = [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
        if failure is not None or not answers:
            answers = [None]
        for a in answers:
            ip = (_s(a.get("ipv4")) or _s(a.get("ipv6"))) if a is not None else None
            rows.append(
                Observation(
                    measurement_uid=uid_,
                    observation_idx=len(rows),
                    kind="dns",
                    test_name=test,
                    input=inp,
                    probe_cc=cc,
                    probe_asn=asn,
                    measurement_start_time=start,
                    hostname=host,
                    transaction_id=txid,
                    failure=failure,
                    ok=failure is None,
                    dns_engine=engine,
                    dns_query_type=qtype,
                    dns_resolver_address=resolver,
                    dns_answer_type=_s(a.get("answer_type")) if a is not None else None,
                    dns_answer=(ip or _s(a.get("hostname"))) if a is not None else None,
                    dns_answer_asn=_i(a.get("asn")) if a is not None else None,
                    dns_answer_is_bogon=is_bogon(ip) if ip else None,
                    ip=ip,
                    control_dns_failure=ctl_failure,
                    control_dns_answer_match=(ip in ctl_addrs) if same and ip else None,
                )
            )
    for t in _events(tk, "tcp_connect"):
        ip, port = _s(t.get("ip")), _i(t.get("port"))
        endpoint = f"[{ip}]:{port}" if ip and ":" in ip else f"{ip}:{port}"
        failure = _s(_m(t.get("status")).get("failure"))
        ctl = ctl_tcp.get(endpoint)
        ctl = ctl if isinstance(ctl, dict) else None
        rows.append(
            Observation(
                measurement_uid=uid_,
                observation_idx=len(rows),
                kind="tcp",
                test_name=test,
                input=inp,
                probe_cc=cc,
                probe_asn=asn,
                measurement_start_time=start,
                transaction_id=_i(t.get("transaction_id")),
                ip=ip,
                port=port,
                failure=failure,
                ok=failure is None,
                control_tcp_failure=_s(ctl.get("failure")) if ctl is not None else None,
                control_tcp_ok=(ctl.get("failure") is None) if ctl is not None else None,
            )
        )
    for h in _events(tk, "tls_handshakes"):
        address = _s(h.get("address")) or ""
        host, _, port_text = address.rpartition(":")
        failure = _s(h.get("failure"))
        ctl = ctl_tls.get(address)
        ctl = ctl if isinstance(ctl, dict) else None
        sni = _s(h.get("server_name"))
        rows.append(
            Observation(
                measurement_uid=uid_,
                observation_idx=len(rows),
                kind="tls",
                test_name=test,
                input=inp,
                probe_cc=cc,
                probe_asn=asn,
                measurement_start_time=start,
                transaction_id=_i(h.get("transaction_id")),
                hostname=sni,
                ip=host.strip("[]") or None,
                port=int(port_text) if port_text.isdigit() else None,
                failure=failure,
                ok=failure is None,
                tls_server_name=sni,
                tls_version=_s(h.get("tls_version")),
                tls_cipher_suite=_s(h.get("cipher_suite")),
                control_tls_failure=_s(ctl.get("failure")) if ctl is not None else None,
                control_tls_ok=(ctl.get("failure") is None) if ctl is not None else None,
            )
        )
    for r in _events(tk, "requests"):
        req, resp = _m(r.get("request")), _m(r.get("response"))
        url = _s(req.get("url"))
        failure = _s(r.get("failure"))
        headers = _m(resp.get("headers"))
        lower = {k.lower(): v for k, v in headers.items()} if headers else {}
        body = resp.get("body")
        ok = failure is None
        rows.append(
            Observation(
                measurement_uid=uid_,
                observation_idx=len(rows),
                kind="http",
                test_name=test,
                input=inp,
                probe_cc=cc,
                probe_asn=asn,
                measurement_start_time=start,
                transaction_id=_i(r.get("transaction_id")),
                hostname=domain_of(url),
                failure=failure,
                ok=ok,
                http_request_url=url,
                http_response_status_code=_i(resp.get("code")) if ok else None,
                http_response_body_length=body_length(body) if ok else None,
                http_response_body_is_truncated=bool(resp.get("body_is_truncated")) if ok else None,
                http_response_title=(web_title(body_text(body)) or None) if ok else None,
                http_response_header_location=_s(lower.get("location")),
                http_response_header_server=_s(lower.get("server")),
                control_http_failure=_s(ctl_http.get("failure")) if ctl_http else None,
                control_http_response_status_code=_i(ctl_http.get("status_code")),
                control_http_response_body_length=_i(ctl_http.get("body_length")),
                control_http_response_title=_s(ctl_http.get("title")),
            )
        )
    return rows
