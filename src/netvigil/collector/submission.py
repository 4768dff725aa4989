"""A submission's body -> the measurement's exact bytes and its uid, or a reason naming the field.

Pure (no I/O): the web layer hands over the body bytes and the Content-Encoding header. Rules,
from OONI's collector spec (bk-003, "Update a report") and what netvigil's store needs:

- ``Content-Encoding`` ``identity``, ``gzip`` or ``zstd``; anything else is a 415 (the spec's
  status for an encoding the collector does not support, after which OONI's probes retry
  without compression). The size cap applies to the *decoded* body too (a 16 MiB gzip bomb
  expands to gigabytes): decoding stops one byte past the cap.
- The body is ``{"format": "json", "content": {...}}``; ``content`` is kept as the exact bytes
  the client sent (msgspec's ``Raw``), so the raw tier holds the measurement byte for byte. Only
  a content spread over several lines is re-serialised to one (the raw tier and OONI's JSONL
  hold one measurement a line; a JSON value has no newline except as whitespace).
- ``content`` is an OONI measurement (df-000-base) whose ``report_id`` is the one in the URL and
  whose ``test_name``, ``probe_cc`` and ``probe_asn`` are those the report was opened for;
  ``measurement_start_time`` is a real UTC time ``YYYY-MM-DD HH:MM:SS`` (an impossible date would
  poison the store's day partitions).
- A ``probe_ip`` other than OONI's placeholder is replaced before anything is written: the
  collector never keeps a probe's address.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import orjson
import zstandard

from netvigil.analysis import measurement_uid
from netvigil.collector.reports import PROBE_ASN, PROBE_CC, ReportId, id_test_name

SCRUBBED_IP = "127.0.0.1"  # OONI's placeholder for probe_ip
ENCODINGS = ("identity", "gzip", "zstd")


class Rejected(Exception):
    """Why a request is refused: HTTP status, the field at fault and a message for people."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(f"{status} {field}: {message}")
        self.status, self.field, self.message = status, field, message


@dataclass(frozen=True)
class Accepted:
    content: bytes  # the measurement as it will be stored
    uid: str
    measurement: dict[str, Any]


class _Body(msgspec.Struct):
    format: str
    content: msgspec.Raw


def decode_body(body: bytes, encoding: str | None, cap: int) -> bytes:
    """The body after Content-Encoding, at most ``cap`` bytes; Rejected otherwise."""
    kind = (encoding or "identity").strip().lower()
    if kind == "identity":
        data = body
    elif kind in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(wbits=31)
        try:
            data = inflater.decompress(body, cap + 1)
        except zlib.error as exc:
            raise Rejected(400, "Content-Encoding", f"body is not valid gzip: {exc}") from exc
        if len(data) <= cap and not inflater.eof:
            raise Rejected(400, "Content-Encoding", "gzip body is truncated")
    elif kind == "zstd":
        try:
            with zstandard.ZstdDecompressor().stream_reader(body) as reader:
                data = reader.read(cap + 1)
        except zstandard.ZstdError as exc:
            raise Rejected(400, "Content-Encoding", f"body is not valid zstd: {exc}") from exc
    else:
        raise Rejected(
            415,
            "Content-Encoding",
            f"unsupported content encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}",
        )
    if len(data) > cap:
        raise Rejected(413, "body", f"body larger than {cap} bytes once decoded")
    return data


def parse_submission(body: bytes, report: ReportId) -> Accepted:
    """Check a decoded ``POST /report/{id}`` body against its report (see the module doc)."""
    try:
        parsed = msgspec.json.decode(body, type=_Body)
    except msgspec.ValidationError as exc:
        raise Rejected(400, _field_of(str(exc)), f"body: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise Rejected(400, "body", f"invalid JSON: {exc}") from exc
    if parsed.format != "json":
        raise Rejected(400, "format", f"format {parsed.format!r} is not supported; use 'json'")
    content = bytes(parsed.content)
    try:
        m = orjson.loads(content)
    except orjson.JSONDecodeError as exc:  # msgspec accepted it: only odd numbers get here
        raise Rejected(400, "content", f"invalid JSON: {exc}") from exc
    if not isinstance(m, dict):
        raise Rejected(400, "content", f"expected a JSON object, got {type(m).__name__}")
    check_envelope(m, report)
    if m.get("probe_ip") not in (None, SCRUBBED_IP):
        m["probe_ip"] = SCRUBBED_IP
        content = orjson.dumps(m)
    elif b"\n" in content:
        content = orjson.dumps(m)
    return Accepted(content, measurement_uid(m), m)


def check_envelope(m: dict[str, Any], report: ReportId) -> None:
    """The OONI envelope of ``m`` and its agreement with ``report``; Rejected otherwise."""
    for name in ("test_name", "probe_cc", "probe_asn", "measurement_start_time", "report_id"):
        value = m.get(name)
        if not isinstance(value, str):
            got = "missing" if value is None else f"a {type(value).__name__}"
            raise Rejected(400, f"content.{name}", f"expected a string, got {got}")
    if m["report_id"] != report.text:
        raise Rejected(400, "content.report_id", "differs from the report id in the URL")
    if not PROBE_CC.fullmatch(m["probe_cc"]):
        raise Rejected(400, "content.probe_cc", f"expected ^[A-Z]{{2}}$, got {m['probe_cc']!r}")
    if not PROBE_ASN.fullmatch(m["probe_asn"]):
        raise Rejected(400, "content.probe_asn", f"expected ^AS[0-9]+$, got {m['probe_asn']!r}")
    for name, expected in (
        ("probe_cc", report.probe_cc),
        ("probe_asn", report.probe_asn),
    ):
        if m[name] != expected:
            raise Rejected(
                400,
                f"content.{name}",
                f"{m[name]!r} disagrees with the report id, opened for {expected!r}",
            )
    if id_test_name(m["test_name"]) != report.test:
        raise Rejected(
            400,
            "content.test_name",
            f"{m['test_name']!r} disagrees with the report id, opened for {report.test!r}",
        )
    start = m["measurement_start_time"]
    try:  # fromisoformat (C) checks the calendar; the shape is checked first, as it is lenient
        if len(start) != 19 or start[10] != " " or start[4] != "-":
            raise ValueError(start)
        datetime.fromisoformat(start)
    except ValueError:
        raise Rejected(
            400,
            "content.measurement_start_time",
            f"expected a UTC time 'YYYY-MM-DD HH:MM:SS', got {start[:40]!r}",
        ) from None
    keys = m.get("test_keys", ...)
    if keys is ...:
        raise Rejected(400, "content.test_keys", "missing")
    if keys is not None and not isinstance(keys, dict):
        raise Rejected(400, "content.test_keys", f"expected an object, got {type(keys).__name__}")
    inp = m.get("input")
    if inp is not None and not isinstance(inp, str):
        raise Rejected(400, "content.input", f"expected a string or null, got {type(inp).__name__}")


def _field_of(message: str) -> str:
    """The field msgspec names in its message (``... at `$.format```, ``missing ... `content```)."""
    if "`$." in message:
        return message.split("`$.", 1)[1].split("`", 1)[0].split("[", 1)[0].split(".", 1)[0]
    if "field `" in message:
        return message.split("field `", 1)[1].split("`", 1)[0]
    return "body"
