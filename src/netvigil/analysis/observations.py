"""raw measurement -> observation rows: one per DNS answer / TCP connect / TLS handshake / HTTP.

Flat rows for the store (``models/observations.py``), with the control's view of the same step
beside the probe's. Pure and lenient: an event that is not an object is skipped, a field of the
wrong type becomes None; nothing here raises on measurement data.

One definition of the rows, :func:`_steps`, feeds two shapes: records or value lists for one
measurement (:func:`observations_of`, :func:`observation_rows`) and Arrow columns for many
(:class:`ObservationColumns`, what ingest stores).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from netvigil.analysis._uid import measurement_uid
from netvigil.analysis._webobs import body_length, body_text, domain_of, is_bogon, web_title
from netvigil.models.observations import Observation


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) else None


_INT64 = range(-(2**63), 2**63)


def _i(v: Any) -> int | None:
    # The store's integer columns are int64: a larger value (orjson reads up to 2**64 - 1) in odd
    # data must not fail the Arrow conversion of a whole chunk of measurements.
    return v if isinstance(v, int) and not isinstance(v, bool) and v in _INT64 else None


def _m(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, dict) else {}


def _events(tk: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = tk.get(key)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


# A step is a tuple of the fields its kind can set, in these orders; every other field of its
# row is None. The measurement's own fields (uid, test, input, probe, start time) are kept once
# per measurement, not per step: ~11 steps share them.
ENVELOPE_FIELDS = (
    "measurement_uid",
    "test_name",
    "input",
    "probe_cc",
    "probe_asn",
    "measurement_start_time",
)
KINDS = ("dns", "tcp", "tls", "http")
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "dns": (
        "observation_idx",
        "hostname",
        "transaction_id",
        "failure",
        "ok",
        "dns_engine",
        "dns_query_type",
        "dns_resolver_address",
        "control_dns_failure",
        "dns_answer_type",
        "dns_answer",
        "dns_answer_asn",
        "dns_answer_is_bogon",
        "ip",
        "control_dns_answer_match",
    ),
    "tcp": (
        "observation_idx",
        "transaction_id",
        "ip",
        "port",
        "failure",
        "ok",
        "control_tcp_failure",
        "control_tcp_ok",
    ),
    "tls": (
        "observation_idx",
        "transaction_id",
        "hostname",
        "ip",
        "port",
        "failure",
        "ok",
        "tls_server_name",
        "tls_version",
        "tls_cipher_suite",
        "control_tls_failure",
        "control_tls_ok",
    ),
    "http": (
        "observation_idx",
        "transaction_id",
        "hostname",
        "failure",
        "ok",
        "http_request_url",
        "http_response_status_code",
        "http_response_body_length",
        "http_response_body_is_truncated",
        "http_response_title",
        "http_response_header_location",
        "http_response_header_server",
        "control_http_failure",
        "control_http_response_status_code",
        "control_http_response_body_length",
        "control_http_response_title",
    ),
}
_DNS_NO_ANSWER = (None,) * 6  # dns_answer_type .. control_dns_answer_match of a failed lookup
_NO_CONTROL = (None, None)
_NO_HTTP_RESPONSE = (None,) * 4  # status, body length, truncated, title of a failed request
_NO_HTTP_CONTROL = (None,) * 4


def envelope(m: Mapping[str, Any], uid: str | None) -> tuple[Any, ...]:
    """The values of :data:`ENVELOPE_FIELDS` for ``m``."""
    return (
        uid if uid is not None else measurement_uid(m),
        _s(m.get("test_name")) or "",
        _s(m.get("input")),
        _s(m.get("probe_cc")) or "ZZ",
        _s(m.get("probe_asn")) or "AS0",
        _s(m.get("measurement_start_time")) or "",
    )


def _steps(
    m: Mapping[str, Any],
    dns: list[tuple[Any, ...]],
    tcp: list[tuple[Any, ...]],
    tls: list[tuple[Any, ...]],
    http: list[tuple[Any, ...]],
) -> int:
    """Append the steps of ``m`` to the list of their kind; the number of steps.

    Steps are numbered (``observation_idx``) in this order: DNS, TCP, TLS, HTTP.
    """
    tk = m.get("test_keys")
    if not isinstance(tk, dict):
        return 0
    control = _m(tk.get("control"))
    ctl_dns = _m(control.get("dns"))
    raw_addrs = ctl_dns.get("addrs")
    if raw_addrs is None:
        raw_addrs = ctl_dns.get("ips")  # web_connectivity 0.1's helper (2016)
    ctl_addrs = (
        {a for a in raw_addrs if isinstance(a, str)} if isinstance(raw_addrs, list) else set()
    )
    ctl_dns_failure = _s(ctl_dns.get("failure"))
    ctl_tcp = _m(control.get("tcp_connect"))
    ctl_tls = _m(control.get("tls_handshake"))
    ctl_http = _m(control.get("http_request"))
    have_control = bool(control)
    input_domain = domain_of(_s(m.get("input")))
    n = 0
    for q in _events(tk, "queries"):
        host = _s(q.get("hostname"))
        failure = _s(q.get("failure"))
        same = have_control and host == input_domain
        query = (
            host,
            _i(q.get("transaction_id")),
            failure,
            failure is None,
            _s(q.get("engine")),
            _s(q.get("query_type")),
            _s(q.get("resolver_address")),
            ctl_dns_failure if same else None,
        )
        answers = q.get("answers")
        answers = [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
        if failure is not None or not answers:
            dns.append((n, *query, *_DNS_NO_ANSWER))
            n += 1
            continue
        for a in answers:
            ip = _s(a.get("ipv4")) or _s(a.get("ipv6"))
            dns.append(
                (
                    n,
                    *query,
                    _s(a.get("answer_type")),
                    ip or _s(a.get("hostname")),
                    _i(a.get("asn")),
                    is_bogon(ip) if ip else None,
                    ip,
                    (ip in ctl_addrs) if same and ip else None,
                )
            )
            n += 1
    for t in _events(tk, "tcp_connect"):
        ip, port = _s(t.get("ip")), _i(t.get("port"))
        endpoint = f"[{ip}]:{port}" if ip and ":" in ip else f"{ip}:{port}"
        failure = _s(_m(t.get("status")).get("failure"))
        ctl = ctl_tcp.get(endpoint)
        tcp.append(
            (
                n,
                _i(t.get("transaction_id")),
                ip,
                port,
                failure,
                failure is None,
                *(
                    (_s(ctl.get("failure")), ctl.get("failure") is None)
                    if isinstance(ctl, dict)
                    else _NO_CONTROL
                ),
            )
        )
        n += 1
    for h in _events(tk, "tls_handshakes"):
        address = _s(h.get("address")) or ""
        host, _, port_text = address.rpartition(":")
        failure = _s(h.get("failure"))
        ctl = ctl_tls.get(address)
        sni = _s(h.get("server_name"))
        tls.append(
            (
                n,
                _i(h.get("transaction_id")),
                sni,
                host.strip("[]") or None,
                int(port_text) if port_text.isascii() and port_text.isdigit() else None,
                failure,
                failure is None,
                sni,
                _s(h.get("tls_version")),
                _s(h.get("cipher_suite")),
                *(
                    (_s(ctl.get("failure")), ctl.get("failure") is None)
                    if isinstance(ctl, dict)
                    else _NO_CONTROL
                ),
            )
        )
        n += 1
    http_control = (
        (
            _s(ctl_http.get("failure")),
            _i(ctl_http.get("status_code")),
            _i(ctl_http.get("body_length")),
            _s(ctl_http.get("title")),
        )
        if ctl_http
        else _NO_HTTP_CONTROL
    )
    for r in _events(tk, "requests"):
        req, resp = _m(r.get("request")), _m(r.get("response"))
        url = _s(req.get("url"))
        failure = _s(r.get("failure"))
        headers = _m(resp.get("headers"))
        lower = {k.lower(): val for k, val in headers.items()} if headers else {}
        if failure is None:
            body = resp.get("body")
            response: tuple[Any, ...] = (
                _i(resp.get("code")),
                body_length(body),
                bool(resp.get("body_is_truncated")),
                web_title(body_text(body)) or None,
            )
        else:
            response = _NO_HTTP_RESPONSE
        http.append(
            (
                n,
                _i(r.get("transaction_id")),
                domain_of(url),
                failure,
                failure is None,
                url,
                *response,
                _s(lower.get("location")),
                _s(lower.get("server")),
                *http_control,
            )
        )
        n += 1
    return n


def _row_getter(kind: str) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Picks a full row out of ``step + envelope + (kind, None)`` in ``Observation``'s order."""
    fields = STEP_FIELDS[kind]
    source = {name: i for i, name in enumerate((*fields, *ENVELOPE_FIELDS, "kind"))}
    unset = len(source)
    return itemgetter(*(source.get(name, unset) for name in Observation.__struct_fields__))


_ROW_OF = {kind: _row_getter(kind) for kind in KINDS}


def observations_of(m: Mapping[str, Any], *, uid: str | None = None) -> list[Observation]:
    """One row per network step of ``m`` (web_connectivity and any test using OONI's events)."""
    return [Observation(*v) for v in observation_rows(m, uid=uid)]


def observation_rows(m: Mapping[str, Any], *, uid: str | None = None) -> list[list[Any]]:
    """The rows of :func:`observations_of` as lists of values in ``Observation``'s field order.

    Built positionally: a 47-field Struct built from ~20 keywords costs 3-4x more.
    """
    dns: list[tuple[Any, ...]] = []
    tcp: list[tuple[Any, ...]] = []
    tls: list[tuple[Any, ...]] = []
    http: list[tuple[Any, ...]] = []
    if not _steps(m, dns, tcp, tls, http):
        return []
    head = envelope(m, uid)
    rows: list[list[Any]] = []
    for kind, steps in zip(KINDS, (dns, tcp, tls, http), strict=True):
        row_of, tail = _ROW_OF[kind], (*head, kind, None)
        rows += [list(row_of(step + tail)) for step in steps]
    return rows


class ObservationColumns:
    """Observation rows of many measurements, accumulated column by column.

    ``table()`` equals ``rows_table`` (models/tables.py) of the same measurements'
    :func:`observation_rows` with their ``day``/``cc``, for about half the CPU: the steps of each
    kind stay tuples of only the fields that kind sets, the envelope is kept once per
    measurement, and Arrow puts the values in row order with ``take``.
    """

    def __init__(self) -> None:
        self._dns: list[tuple[Any, ...]] = []
        self._tcp: list[tuple[Any, ...]] = []
        self._tls: list[tuple[Any, ...]] = []
        self._http: list[tuple[Any, ...]] = []
        # per measurement: ENVELOPE_FIELDS, day, cc, then the length of each kind's list after it
        self._measurements: list[tuple[Any, ...]] = []

    def __len__(self) -> int:
        """The number of measurements added (those without rows included)."""
        return len(self._measurements)

    def add(self, m: Mapping[str, Any], uid: str, day: str, cc: str) -> int:
        """Add measurement number ``len(self)``, stored under ``day``/``cc``; its number of rows.

        All or nothing: if the analysis raises, no row of ``m`` is kept and nothing is added.
        """
        lists = dns, tcp, tls, http = self._dns, self._tcp, self._tls, self._http
        before = (len(dns), len(tcp), len(tls), len(http))
        try:
            added = _steps(m, dns, tcp, tls, http)
        except BaseException:
            for steps, size in zip(lists, before, strict=True):
                del steps[size:]
            raise
        self._measurements.append(
            (*envelope(m, uid), day, cc, len(dns), len(tcp), len(tls), len(http))
        )
        return added

    def table(self, measurements: Sequence[int] | None = None) -> Any:
        """The observation tier's table (its columns + day, cc) of the measurements added.

        ``measurements``: which ones, by number (order of ``add``), in the order their rows come;
        all, in the order added, by default. Ingest adds each measurement as soon as it is parsed
        (while it is in the CPU's caches) and asks for them sorted by day, country and time.
        """
        # Imported here: the probe imports this package and never builds a table.
        import numpy as np
        import pyarrow as pa

        from netvigil.models.tables import TIME_COLUMNS, layout_of, rows_table, time_array

        names = (*ENVELOPE_FIELDS, "day", "cc")
        by_field = list(zip(*self._measurements, strict=True)) or [()] * (len(names) + 4)
        ends = np.array(by_field[len(names) :], dtype=np.int64).reshape(4, -1).T
        counts = np.diff(ends, axis=0, prepend=0)  # (measurement, kind)
        per_kind = ends[-1] if len(ends) else np.zeros(4, np.int64)
        kind_start = np.cumsum(per_kind) - per_kind  # in the steps concatenated kind after kind
        picked = np.arange(len(ends)) if measurements is None else np.array(measurements, np.int64)
        if len(picked) and (picked.min() < 0 or picked.max() >= len(ends)):
            raise IndexError(f"measurements: numbers from 0 to {len(ends) - 1} expected")
        if not counts[picked].any():
            return rows_table([], Observation, [], [])
        schema = layout_of(Observation).schema
        # Rows come in segments (measurement, kind) whose steps are contiguous in their kind's
        # list: row r of the table is step order[r] of the concatenation.
        lengths = counts[picked].ravel()
        source = (ends - counts + kind_start)[picked].ravel()
        order = np.repeat(source - (np.cumsum(lengths) - lengths), lengths)
        order += np.arange(len(order))
        kind_of_row = np.repeat(np.tile(np.arange(len(KINDS)), len(picked)), lengths)
        measurement = pa.array(np.repeat(picked, counts[picked].sum(axis=1)))

        columns: dict[str, Any] = {"kind": pa.array(KINDS).take(pa.array(kind_of_row))}
        for name, values in zip(names, by_field, strict=False):
            if name in TIME_COLUMNS:
                array = time_array(list(values))
            else:
                array = pa.array(values, pa.string())
            columns[name] = array.take(measurement)
        steps = {
            kind: (list(zip(*rows, strict=True)), size)
            for kind, rows, size in zip(
                KINDS, (self._dns, self._tcp, self._tls, self._http), per_kind.tolist(), strict=True
            )
            if size
        }
        # A field that one kind sets is its values taken at that kind's rows (null elsewhere).
        at_rows_of = {
            kind: pa.array(order - kind_start[i], mask=kind_of_row != i)
            for i, kind in enumerate(KINDS)
        }
        for field in schema:
            if field.name in columns:
                continue
            given = {
                kind: pa.array(values[STEP_FIELDS[kind].index(field.name)], field.type)
                for kind, (values, _size) in steps.items()
                if field.name in STEP_FIELDS[kind]
            }
            if not given:
                columns[field.name] = pa.nulls(len(order), field.type)
            elif len(given) == 1:
                [(kind, array)] = given.items()
                columns[field.name] = array.take(at_rows_of[kind])
            else:
                parts = [
                    given.get(kind, pa.nulls(size, field.type)) for kind, (_, size) in steps.items()
                ]
                columns[field.name] = pa.concat_arrays(parts).take(pa.array(order))
        return pa.Table.from_arrays(
            [columns[f.name] for f in schema] + [columns["day"], columns["cc"]],
            names=[*schema.names, "day", "cc"],
        )
