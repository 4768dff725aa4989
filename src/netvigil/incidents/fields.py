"""Checking and converting the values a person (CLI, web form, JSON) gives for a record.

Pure functions: strings from forms become dates, ints and lists; unknown fields and bad values
raise :class:`InputError` naming the field and what was expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from netvigil._errors import InputError
from netvigil.incidents.model import STATUSES, STOP_COLUMNS, STOP_DATE_COLUMNS
from netvigil.models import countries

TEXT_FIELDS = frozenset(
    (set(STOP_COLUMNS) - STOP_DATE_COLUMNS)
    | {
        "title",
        "title_zh",
        "summary",
        "outage_scope",
        "outage_cause",
        "outage_type",
        "linked_url",
        "internal_notes",
    }
)
DATE_FIELDS = STOP_DATE_COLUMNS
DATETIME_FIELDS = frozenset({"start_at", "end_at"})
LIST_FIELDS = frozenset({"locations", "asns"})
EDITABLE_FIELDS = (
    TEXT_FIELDS
    | DATE_FIELDS
    | DATETIME_FIELDS
    | LIST_FIELDS
    | {"country_code", "report_year", "status"}
)


def country_code_for(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a country name as STOP (or anyone) writes it, None when unknown."""
    return countries.code_for(name)


def _date(value: Any, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {value!r}", field=field) from None


def _datetime(value: Any, field: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(
                f"expected an ISO 8601 time such as 2024-01-31T08:00Z, got {value!r}", field=field
            ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _list(value: Any, field: str) -> list[Any]:
    if value is None or value == "":
        return []
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    items = [v for v in items if v != ""]
    if field == "asns":
        try:
            numbers = [int(str(v).upper().removeprefix("AS")) for v in items]
        except ValueError:
            raise InputError(
                f"expected AS numbers like AS12880, got {value!r}", field=field
            ) from None
        if any(not 0 <= n <= MAX_ASN for n in numbers):  # AS numbers are 32 bits (audit L5)
            raise InputError(f"AS numbers go from 0 to {MAX_ASN}, got {value!r}", field=field)
        return numbers
    return [_text(str(v), field) for v in items]


MAX_ASN = 2**32 - 1
YEARS = (1990, 2100)  # the tracker's years: STOP starts in 2016; anything else is a typo


def _text(value: str, field: str) -> str:
    """Text that can be stored: valid Unicode (a command-line argument with bytes that are
    not UTF-8 arrives with surrogates, which no database encodes; audit L5)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("expected UTF-8 text (it holds bytes that are not)", field=field) from None
    return value


def coerce_incident_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated column values for an Incident from user-given ``data``."""
    out: dict[str, Any] = {}
    for field, value in data.items():
        if field not in EDITABLE_FIELDS:
            raise InputError(
                "not an incident field",
                field=field,
                hint="see netvigil.incidents.fields.EDITABLE_FIELDS",
            )
        if field in TEXT_FIELDS:
            text = None if value is None else _text(str(value).strip(), field)
            out[field] = text or None
        elif field in DATE_FIELDS:
            out[field] = _date(value, field)
        elif field in DATETIME_FIELDS:
            out[field] = _datetime(value, field)
        elif field in LIST_FIELDS:
            out[field] = _list(value, field)
        elif field == "report_year":
            try:
                year = None if value in (None, "") else int(value)
            except (TypeError, ValueError):
                raise InputError(f"expected a year, got {value!r}", field=field) from None
            if year is not None and not YEARS[0] <= year <= YEARS[1]:
                raise InputError(
                    f"expected a year from {YEARS[0]} to {YEARS[1]}, got {value!r}", field=field
                )
            out[field] = year
        elif field == "country_code":
            code = None if value in (None, "") else str(value).strip().upper()
            if code is not None and (len(code) != 2 or not code.isalpha()):
                raise InputError(f"expected a two-letter code, got {value!r}", field=field)
            out[field] = code
        elif field == "status":
            if value not in STATUSES:
                raise InputError(f"expected one of {', '.join(STATUSES)}", field=field)
            out[field] = value
    if out.get("country") and "country_code" not in out:
        out["country_code"] = country_code_for(out["country"])
    if out.get("start_date") and "report_year" not in out:
        out["report_year"] = out["start_date"].year
    return out
