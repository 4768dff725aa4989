"""Checking a row of our own ``stop-csv`` export before it is imported again (security audit M2).

The round trip (``incidents export --format stop-csv`` then ``incidents import``) lets an editor
fix records in a spreadsheet; the file comes back as untrusted text. Every column netvigil adds
to STOP's is checked here, and every STOP column against the width of its database column, so a
bad cell is one error naming the file, the row and the column (``file:row: field 'status': ...``)
instead of a traceback, a status no workflow knows (an HTTP 500 when it was changed), or a
``country_code`` that was really HTML (audit M1).
"""

from __future__ import annotations

import json
import re
from typing import Any

from netvigil._errors import InputError
from netvigil.incidents.model import STATUSES, Incident

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
FIRST_YEAR, LAST_YEAR = 1990, 2100  # STOP starts in 2016; anything outside is a typo
MAX_ROW = 10**7


def _widths() -> dict[str, int]:
    """Column name -> the width of its String(n) column in the tracker's table."""
    out = {}
    for column in Incident.__table__.columns:
        length = getattr(column.type, "length", None)
        if isinstance(length, int):
            out[column.name] = length
    return out


WIDTHS = _widths()


def check_row(record: dict[str, str], row: int, source: str | None) -> None:
    """Raise InputError (file, row, column) for the first cell of ``record`` that is not what
    the export writes."""

    def bad(column: str, expected: str) -> InputError:
        shown = (record.get(column) or "")[:60]
        return InputError(
            f"expected {expected}, got {shown!r}", path=source, line=row, field=column
        )

    if not (record.get("natural_key") or "").strip():
        raise bad("natural_key", "the record's key (e.g. 'stop:2021:ID=5')")
    status = record.get("status") or "published"
    if status not in STATUSES:
        raise bad("status", f"one of {', '.join(STATUSES)}")
    code = record.get("country_code") or ""
    if code and not _COUNTRY_CODE.fullmatch(code):
        raise bad("country_code", "a two-letter country code such as 'IN', or nothing")
    _integer(record, "report_year", FIRST_YEAR, LAST_YEAR, bad)
    _integer(record, "stop_row", 1, MAX_ROW, bad)
    _json(record, "stop_raw_json", dict, "a JSON object", bad)
    problems = _json(record, "import_problems_json", list, "a JSON list of objects", bad)
    if problems is not None and not all(isinstance(p, dict) for p in problems):
        raise bad("import_problems_json", "a JSON list of objects")
    for column, width in WIDTHS.items():
        value = record.get(column)
        if value and len(value) > width:
            raise bad(column, f"at most {width} characters")


def _integer(record: dict[str, str], column: str, low: int, high: int, bad: Any) -> None:
    text = (record.get(column) or "").strip()
    if not text:
        return
    if not text.isascii() or not text.isdigit() or len(text) > 12 or not low <= int(text) <= high:
        raise bad(column, f"a whole number from {low} to {high}")


def _json(record: dict[str, str], column: str, kind: type, expected: str, bad: Any) -> Any:
    text = record.get(column) or ""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise bad(column, expected) from None
    if not isinstance(value, kind):
        raise bad(column, expected)
    return value
