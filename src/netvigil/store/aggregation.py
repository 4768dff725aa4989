"""Aggregations over the verdict tier, with OONI's ``/api/v1/aggregation`` semantics.

Filters ``probe_cc, probe_asn, test_name, domain, input, category_code, since, until``
(``since <= measurement_start_time < until``); up to two axes among :data:`AXES`; a time grain for
``measurement_start_day``; counts ``measurement_count, ok_count, anomaly_count, confirmed_count,
failure_count``. The buckets do not overlap: each verdict has exactly one ``outcome`` (decided in
OONI's order: confirmed, then failure, then anomaly, else ok), so the four counts sum to
``measurement_count``. ``category_code`` comes from Citizen Lab test lists joined on the input URL
at query time: the country list of the measurement's country first, else ``global.csv``.
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


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as measurement_start_time is stored (OONI's times are UTC)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


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


def _asn_number(text: str) -> int:
    digits = text[2:] if text.upper().startswith("AS") else text
    if not digits.isdigit():
        raise InputError(f"--probe-asn: expected 'AS12345' or 12345, got {text!r}")
    return int(digits)


def _test_lists_table(con: Any, directory: Path) -> None:
    """A table ``test_lists(url, cc, category_code)`` from the Citizen Lab CSVs in ``directory``."""
    files = sorted(p for p in directory.glob("*.csv") if not p.name.startswith("00-"))
    if not files:
        raise InputError("no Citizen Lab test lists (*.csv) found", path=directory)
    rows: list[tuple[str, str, str]] = []
    for path in files:
        cc = "ZZ" if path.stem == "global" else path.stem.upper()
        with open(path, encoding="utf-8", newline="") as fh:
            for record in csv.DictReader(fh):
                if record.get("url") and record.get("category_code"):
                    rows.append((record["url"], cc, record["category_code"]))
    import pyarrow as pa

    names = ("url", "cc", "category_code")
    loaded = pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})
    con.register("_test_lists_loaded", loaded)
    # One category per (url, list), so that the join never multiplies a measurement.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE test_lists AS SELECT url, cc, min(category_code)"
        " AS category_code FROM _test_lists_loaded GROUP BY url, cc"
    )


def _time_key(grain: TimeGrain) -> str:
    # Group on native values (the day partition column when it suffices) and format the few
    # groups afterwards: formatting 10^7 timestamps before grouping costs most of the query.
    if grain == "hour":
        return "date_trunc('hour', v.measurement_start_time)"
    if grain == "day":
        return "v.day"
    return f"date_trunc('{grain}', v.day)"


def _time_format(grain: TimeGrain) -> str:
    pattern = "%Y-%m-%dT%H:00:00Z" if grain == "hour" else "%Y-%m-%d"
    return f"strftime(measurement_start_day, '{pattern}') AS measurement_start_day"


def aggregate(con: Any, query: AggregationQuery, test_lists: Path | None) -> list[dict[str, Any]]:
    """The aggregation rows: one per combination of axis values (one row without axes)."""
    query.check()
    needs_category = query.category_code is not None or "category_code" in query.axes()
    source = "verdicts v"
    if needs_category:
        if test_lists is None:
            raise InputError(
                "category_code needs Citizen Lab test lists", hint="pass --test-lists DIR"
            )
        _test_lists_table(con, test_lists)
        source = (
            "verdicts v LEFT JOIN test_lists tc ON tc.url = v.input AND tc.cc = v.cc"
            " LEFT JOIN test_lists tg ON tg.url = v.input AND tg.cc = 'ZZ'"
        )
    columns = {
        "measurement_start_day": _time_key(query.time_grain),
        "probe_cc": "v.cc",
        "probe_asn": "TRY_CAST(substr(v.probe_asn, 3) AS BIGINT)",
        "domain": "v.domain",
        "category_code": "COALESCE(tc.category_code, tg.category_code)",
        "test_name": "v.test_name",
        "blocking_type": "v.blocking_type",
    }
    where: list[str] = ["TRUE"]
    params: list[object] = []
    for column, value in (
        ("v.cc", query.probe_cc.upper() if query.probe_cc else None),
        ("v.test_name", query.test_name),
        ("v.domain", query.domain),
        ("v.input", query.input),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if query.probe_asn is not None:
        where.append("v.probe_asn = ?")
        params.append(f"AS{_asn_number(query.probe_asn)}")
    if query.category_code is not None:
        where.append(f"{columns['category_code']} = ?")
        params.append(query.category_code)
    if query.since is not None:
        # The day condition lets DuckDB skip whole partitions before reading them.
        where.append("v.day >= ? AND v.measurement_start_time >= ?")
        params += [_utc(query.since).date(), _utc(query.since)]
    if query.until is not None:
        where.append("v.day <= ? AND v.measurement_start_time < ?")
        params += [_utc(query.until).date(), _utc(query.until)]
    axes = query.axes()
    select = [f"{columns[a]} AS {a}" for a in axes] + [
        "count(*) FILTER (WHERE v.outcome = 'anomaly') AS anomaly_count",
        "count(*) FILTER (WHERE v.outcome = 'confirmed') AS confirmed_count",
        "count(*) FILTER (WHERE v.outcome = 'failure') AS failure_count",
        "count(*) AS measurement_count",
        "count(*) FILTER (WHERE v.outcome = 'ok') AS ok_count",
    ]
    sql = f"SELECT {', '.join(select)} FROM {source} WHERE {' AND '.join(where)}"
    if axes:
        positions = ", ".join(str(i + 1) for i in range(len(axes)))
        sql += f" GROUP BY {positions}"
        if "measurement_start_day" in axes:
            outer = [
                _time_format(query.time_grain) if a == "measurement_start_day" else a for a in axes
            ]
            sql = f"SELECT {', '.join(outer)}, {', '.join(COUNTS)} FROM ({sql}) AS grouped"
        sql += f" ORDER BY {positions} NULLS LAST"
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


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
        writer.writerow(["" if row.get(h) is None else row.get(h) for h in header])
    return out.getvalue()
