"""Aggregations over the verdict tier, with OONI's ``/api/v1/aggregation`` semantics.

Filters ``probe_cc, probe_asn, test_name, domain, input, category_code, since, until``
(``since <= measurement_start_time < until``); up to two axes among :data:`AXES`; a time grain for
``measurement_start_day``; counts ``measurement_count, ok_count, anomaly_count, confirmed_count,
failure_count``. The buckets do not overlap: each verdict has exactly one ``outcome`` (decided in
OONI's order: confirmed, then failure, then anomaly, else ok), so the four counts sum to
``measurement_count``. ``category_code`` comes from Citizen Lab test lists joined on the input URL
at query time: the country list of the measurement's country first, else ``global.csv``.

This module is the backend-neutral part (the query, its checks, the test lists, the output
formats); each store backend runs the query with its own SQL (``AnalyticalStore.aggregate``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from netvigil._errors import InputError

TimeGrain = Literal["hour", "day", "week", "month"]
AXES = (
    "measurement_start_day",
    "probe_cc",
    "probe_asn",
    "domain",
    "category_code",
    "test_name",
    "blocking_type",
)
COUNTS = ("anomaly_count", "confirmed_count", "failure_count", "measurement_count", "ok_count")
TIME_GRAINS = ("hour", "day", "week", "month")


@dataclass(frozen=True)
class AggregationQuery:
    probe_cc: str | None = None
    probe_asn: str | None = None
    test_name: str | None = None
    domain: str | None = None
    input: str | None = None
    category_code: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    axis_x: str | None = None
    axis_y: str | None = None
    time_grain: TimeGrain = "day"

    def axes(self) -> list[str]:
        return [a for a in (self.axis_x, self.axis_y) if a]

    def check(self) -> None:
        for flag, axis in (("--axis-x", self.axis_x), ("--axis-y", self.axis_y)):
            if axis is not None and axis not in AXES:
                raise InputError(
                    f"{flag}: unknown axis {axis!r}; expected one of {', '.join(AXES)}"
                )
        if self.axis_x is not None and self.axis_x == self.axis_y:
            raise InputError("--axis-x and --axis-y must differ")
        if self.time_grain not in TIME_GRAINS:
            raise InputError(f"--time-grain: expected one of {', '.join(TIME_GRAINS)}")


def asn_number(text: str) -> int:
    """12345 from ``AS12345`` or ``12345``; an InputError naming --probe-asn otherwise."""
    digits = text[2:] if text.upper().startswith("AS") else text
    if not digits.isdigit():
        raise InputError(f"--probe-asn: expected 'AS12345' or 12345, got {text!r}")
    return int(digits)


def test_list_categories(directory: Path) -> list[tuple[str, str, str]]:
    """``(url, cc, category_code)`` of the Citizen Lab CSVs in ``directory`` (``ZZ``: global),
    one category per (url, list) so that a join never multiplies a measurement."""
    files = sorted(p for p in directory.glob("*.csv") if not p.name.startswith("00-"))
    if not files:
        raise InputError("no Citizen Lab test lists (*.csv) found", path=directory)
    chosen: dict[tuple[str, str], str] = {}
    for path in files:
        cc = "ZZ" if path.stem == "global" else path.stem.upper()
        with open(path, encoding="utf-8", newline="") as fh:
            for record in csv.DictReader(fh):
                url, category = record.get("url"), record.get("category_code")
                if url and category:
                    key = (url, cc)
                    chosen[key] = min(category, chosen.get(key, category))
    return [(url, cc, category) for (url, cc), category in chosen.items()]


def categories_for(query: AggregationQuery, test_lists: Path | None) -> list[tuple[str, str, str]]:
    """The test-list rows the query needs (none when it does not use category_code)."""
    query.check()
    if query.category_code is None and "category_code" not in query.axes():
        return []
    if test_lists is None:
        raise InputError("category_code needs Citizen Lab test lists", hint="pass --test-lists DIR")
    return test_list_categories(test_lists)


def utc(moment: datetime) -> datetime:
    """Naive UTC, as measurement_start_time is stored (OONI's times are UTC)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def as_ooni_json(rows: Sequence[dict[str, Any]], query: AggregationQuery) -> dict[str, Any]:
    """The body OONI's API returns: ``{"dimension_count": n, "result": ...}``."""
    axes = query.axes()
    if not axes:
        result: Any = rows[0] if rows else dict.fromkeys(COUNTS, 0)
    else:
        result = list(rows)
    return {"dimension_count": len(axes), "result": result, "v": 0}


def as_csv(rows: Sequence[dict[str, Any]], query: AggregationQuery) -> str:
    """CSV as OONI's download: the axis columns, then the counts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [*query.axes(), *COUNTS]
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(h)) for h in header])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ (or a tab or CR) would
    run as a formula (OWASP "CSV injection"), and ``domain`` comes from untrusted input URLs
    (security audit L7). Prefixed with an apostrophe, as the web export does; numbers stay."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value
