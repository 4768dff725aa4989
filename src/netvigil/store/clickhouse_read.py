"""Reads of the ClickHouse store: the same answers as the embedded store's, in ClickHouse SQL.

Every read sees one snapshot of the commit order: the commits with ``seq <= cursor`` (a prefix:
a commit's seq is claimed only after every lower one is visible, see clickhouse.py), and a row
only when its ``batch`` is one of them. Nothing here returns a ClickHouse object: rows, Arrow
tables and records only, shaped like the embedded store's (same column types).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from netvigil.models.events import Event
from netvigil.models.signals import SignalPoint
from netvigil.models.tables import EVENT_SCHEMA, empty_table
from netvigil.store.aggregation import COUNTS, AggregationQuery, TimeGrain, asn_number, utc
from netvigil.store.clickhouse_schema import table_name
from netvigil.store.protocol import StoredEvent


@dataclass(frozen=True)
class Snapshot:
    """What a read may see: commits up to ``cursor``, and the live generation of the derived
    tiers at that point."""

    database: str
    cursor: int
    generation: str

    def table(self, tier: str) -> str:
        return f"`{self.database}`.`{table_name(tier, self.generation)}`"

    def visible(self, alias: str = "") -> str:
        """The condition that a row belongs to a committed batch of this snapshot."""
        column = f"{alias}.batch" if alias else "batch"
        return (
            f"{column} IN (SELECT batch FROM `{self.database}`.commits"
            f" WHERE seq <= {int(self.cursor)})"
        )


def conform(table: Any, schema: Any) -> Any:
    """``table`` with the column types of ``schema`` (the embedded store's), same order."""
    arrays = []
    fields = []
    for name in table.column_names:
        index = schema.get_field_index(name)
        column = table.column(name)
        if index < 0:
            continue
        target = schema.field(index).type
        if pa.types.is_integer(column.type):  # ClickHouse's Arrow: DateTime as UInt32, Date UInt16
            if pa.types.is_timestamp(target):
                column = column.cast(pa.int64()).cast(pa.timestamp("s"))
            elif pa.types.is_date(target):
                column = column.cast(pa.int32()).cast(pa.date32())
        if column.type != target:
            column = column.cast(target)
        arrays.append(column)
        fields.append(pa.field(name, target))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _epoch(moment: datetime) -> int:
    return int(utc(moment).replace(tzinfo=UTC).timestamp())


def raw_batch(client: Any, database: str, batch: str) -> Any:
    """``measurement_uid`` and ``line`` (bytes, as stored) of one raw batch."""
    table = client.query_arrow(
        f"SELECT measurement_uid, line FROM `{database}`.raw WHERE batch = {{batch:String}}",
        parameters={"batch": batch},
        use_strings=False,
    )
    return table.set_column(0, "measurement_uid", table.column(0).cast(pa.string()))


# -- verdicts ------------------------------------------------------------------------------------
def verdict_table(
    client: Any,
    snap: Snapshot,
    *,
    since: datetime | None,
    until: datetime | None,
    probe_cc: str | None,
    columns: Sequence[str] | None,
    measurement_uids: Sequence[str] | None,
) -> Any:
    from netvigil.models.verdicts import Verdict

    schema = empty_table(Verdict).schema
    where = [snap.visible()]
    params: dict[str, Any] = {}
    if measurement_uids is not None:
        where.append("measurement_uid IN {uids:Array(String)}")
        params["uids"] = list(measurement_uids)
    if since is not None:
        where.append("day >= toDate({since:Int64}, 'UTC')")
        where.append("measurement_start_time >= toDateTime({since:Int64}, 'UTC')")
        params["since"] = _epoch(since)
    if until is not None:
        where.append("day <= toDate({until:Int64}, 'UTC')")
        where.append("measurement_start_time < toDateTime({until:Int64}, 'UTC')")
        params["until"] = _epoch(until)
    if probe_cc is not None:
        where.append("cc = {cc:String}")
        params["cc"] = probe_cc.upper()
    chosen = list(columns) if columns else [f.name for f in schema]
    for name in chosen:
        if schema.get_field_index(name) < 0:
            raise KeyError(f"verdicts have no column {name!r}")
    select = ", ".join(f"`{c}`" for c in chosen)
    sql = (
        f"SELECT {select} FROM {snap.table('verdicts')} WHERE {' AND '.join(where)}"
        " ORDER BY measurement_start_time"
    )
    table = client.query_arrow(sql, parameters=params)
    if table.num_rows == 0 and not table.column_names:
        table = schema.empty_table().select(chosen)
    return conform(table, schema)


# -- aggregation ---------------------------------------------------------------------------------
def _time_key(grain: TimeGrain) -> str:
    # As the embedded store: group on native values, format the few groups afterwards.
    return {
        "hour": "toStartOfHour(v.measurement_start_time)",
        "day": "v.day",
        "week": "toMonday(v.day)",
        "month": "toStartOfMonth(v.day)",
    }[grain]


def _time_format(grain: TimeGrain) -> str:
    pattern = "%Y-%m-%dT%H:00:00Z" if grain == "hour" else "%Y-%m-%d"
    return f"formatDateTime(measurement_start_day, '{pattern}') AS measurement_start_day"


_LISTS = (
    "(SELECT t.1 AS url, t.2 AS list_cc, t.3 AS category_code FROM (SELECT arrayJoin("
    "arrayZip({tl_url:Array(String)}, {tl_cc:Array(String)}, {tl_cat:Array(String)})) AS t)"
    " WHERE {where})"
)


def aggregate(
    client: Any,
    snap: Snapshot,
    query: AggregationQuery,
    categories: Sequence[tuple[str, str, str]],
) -> list[dict[str, Any]]:
    """OONI's aggregation rows, exactly as the embedded store's ``parquet_read.aggregate``."""
    query.check()
    params: dict[str, Any] = {}
    source = f"{snap.table('verdicts')} AS v"
    if categories:
        params["tl_url"] = [r[0] for r in categories]
        params["tl_cc"] = [r[1] for r in categories]
        params["tl_cat"] = [r[2] for r in categories]
        country = _LISTS.replace("{where}", "list_cc != 'ZZ'")
        world = _LISTS.replace("{where}", "list_cc = 'ZZ'")
        source += (
            f" LEFT JOIN {country} AS tc ON tc.url = v.input AND tc.list_cc = v.cc"
            f" LEFT JOIN {world} AS tg ON tg.url = v.input"
        )
    columns = {
        "measurement_start_day": _time_key(query.time_grain),
        "probe_cc": "v.cc",
        "probe_asn": "toInt64OrNull(substring(v.probe_asn, 3))",
        "domain": "v.domain",
        "category_code": "coalesce(tc.category_code, tg.category_code)",
        "test_name": "v.test_name",
        "blocking_type": "v.blocking_type",
    }
    where = [snap.visible("v")]
    for column, name, value in (
        ("v.cc", "f_cc", query.probe_cc.upper() if query.probe_cc else None),
        ("v.test_name", "f_test", query.test_name),
        ("v.domain", "f_domain", query.domain),
        ("v.input", "f_input", query.input),
    ):
        if value is not None:
            where.append(f"{column} = {{{name}:String}}")
            params[name] = value
    if query.probe_asn is not None:
        where.append("v.probe_asn = {f_asn:String}")
        params["f_asn"] = f"AS{asn_number(query.probe_asn)}"
    if query.category_code is not None:
        where.append(f"{columns['category_code']} = {{f_cat:String}}")
        params["f_cat"] = query.category_code
    if query.since is not None:
        where.append("v.day >= toDate({since:Int64}, 'UTC')")
        where.append("v.measurement_start_time >= toDateTime({since:Int64}, 'UTC')")
        params["since"] = _epoch(query.since)
    if query.until is not None:
        where.append("v.day <= toDate({until:Int64}, 'UTC')")
        where.append("v.measurement_start_time < toDateTime({until:Int64}, 'UTC')")
        params["until"] = _epoch(query.until)
    axes = query.axes()
    select = [f"{columns[a]} AS {a}" for a in axes] + [
        "countIf(v.outcome = 'anomaly') AS anomaly_count",
        "countIf(v.outcome = 'confirmed') AS confirmed_count",
        "countIf(v.outcome = 'failure') AS failure_count",
        "count() AS measurement_count",
        "countIf(v.outcome = 'ok') AS ok_count",
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
        sql += " ORDER BY " + ", ".join(f"{i + 1} ASC NULLS LAST" for i in range(len(axes)))
    settings = {
        "join_use_nulls": 1,
        "enable_positional_arguments": 1,
        # Groups that start with the tables' ORDER BY (day, cc, ...) are aggregated while the
        # parts are read in key order, without a hash table: probe_cc x day over 100 million
        # rows goes from ~1.5 s to ~0.4 s (bench/store_scale.py). Other groups are unaffected.
        "optimize_aggregation_in_order": 1,
    }
    result = client.query(sql, parameters=params, settings=settings)
    names = list(result.column_names)
    return [dict(zip(names, row, strict=True)) for row in result.result_rows]


# -- signals -------------------------------------------------------------------------------------
def signal_points(
    client: Any,
    snap: Snapshot,
    *,
    since: datetime | None,
    entity_type: str | None,
    entity_code: str | None,
) -> list[SignalPoint]:
    where = ["1"]
    params: dict[str, Any] = {}
    if since is not None:
        where.append("s.timestamp >= {since:Int64}")
        params["since"] = int(since.timestamp())
    if entity_type is not None:
        where.append("s.entity_type = {et:String}")
        params["et"] = entity_type
    if entity_code is not None:
        where.append("s.entity_code = {ec:String}")
        params["ec"] = entity_code
    # Each source's points are those of its latest import; across sources the latest wins.
    sql = f"""SELECT s.entity_type, s.entity_code, s.signal, s.timestamp, argMax(s.value, c.last)
    FROM `{snap.database}`.signals AS s INNER JOIN (
        SELECT argMax(batch, seq) AS latest, max(seq) AS last FROM `{snap.database}`.commits
        WHERE kind = 'signals' AND seq <= {int(snap.cursor)} GROUP BY source
    ) AS c ON s.batch = c.latest
    WHERE {" AND ".join(where)}
    GROUP BY s.entity_type, s.entity_code, s.signal, s.timestamp
    ORDER BY s.entity_type, s.entity_code, s.signal, s.timestamp"""
    rows = client.query(sql, parameters=params).result_rows
    return [SignalPoint(str(t), str(c), str(s), int(ts), float(v)) for t, c, s, ts, v in rows]


# -- events --------------------------------------------------------------------------------------
def event_versions(client: Any, snap: Snapshot, ids: Sequence[str] | None = None) -> Any:
    """Every committed version of the events (of ``ids``), with ``_seq`` and ``_at``, by seq."""
    where = ""
    params: dict[str, Any] = {}
    if ids is not None:
        where = "WHERE e.event_id IN {ids:Array(String)}"
        params["ids"] = list(ids)
    columns = ", ".join(f"e.`{f.name}` AS `{f.name}`" for f in EVENT_SCHEMA)
    sql = f"""SELECT {columns}, c.seq AS _seq, toFloat64(c.at) AS _at
    FROM `{snap.database}`.events AS e INNER JOIN (
        SELECT batch, seq, at FROM `{snap.database}`.commits
        WHERE kind = 'events' AND seq <= {int(snap.cursor)}
    ) AS c ON e.batch = c.batch {where} ORDER BY _seq, e.event_id"""
    table = client.query_arrow(sql, parameters=params)
    schema = EVENT_SCHEMA.append(pa.field("_seq", pa.int64())).append(pa.field("_at", pa.float64()))
    if not table.column_names:
        return schema.empty_table()
    return conform(table, schema)


def latest_rows(versions: Any) -> dict[str, tuple[dict[str, Any], int, int, float]]:
    """event_id -> (stored columns of its latest version, its seq, first seq, time)."""
    out: dict[str, tuple[dict[str, Any], int, int, float]] = {}
    for row in versions.to_pylist():
        seq, at = int(row.pop("_seq")), float(row.pop("_at"))
        first = out[row["event_id"]][2] if row["event_id"] in out else seq
        out[row["event_id"]] = (row, seq, first, at)
    return out


def stored_events(
    versions: Any, *, since: datetime | None, changed_since: int | None
) -> list[StoredEvent]:
    found = []
    moment = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC))
    for row, seq, first, at in latest_rows(versions).values():
        if changed_since is not None and seq <= changed_since:
            continue
        if moment is not None and row["end"] is not None and row["end"] < moment:
            continue
        found.append((seq, row["event_id"], _stored(row, seq, first, at)))
    return [stored for _, _, stored in sorted(found, key=lambda item: (item[0], item[1]))]


def _stored(row: dict[str, Any], seq: int, first: int, at: float) -> StoredEvent:
    def when(value: Any) -> Any:
        return None if value is None else value.astimezone(UTC)

    event = Event(
        entity=row["entity"],
        kind=row["kind"],
        start=when(row["start"]),
        end=when(row["end"]),
        score=row["score"],
        signals=tuple(row["signals"] or ()),
        detector=row["detector"],
        detector_version=row["detector_version"],
        detected_at=when(row["detected_at"]),
    )
    return StoredEvent(
        event=event, revision=seq, created=first, changed_at=datetime.fromtimestamp(at, tz=UTC)
    )


# -- export (`netvigil store copy`) --------------------------------------------------------------
KEY_CHUNK = 5000  # uids per query: query parameters travel in the URL


def measurement_days(client: Any, snap: Snapshot) -> dict[str, int]:
    rows = client.query(
        f"SELECT toString(day), count() FROM `{snap.database}`.raw"
        f" WHERE {snap.visible()} GROUP BY day"
    ).result_rows
    return {str(day): int(n) for day, n in rows}


def day_uids(client: Any, snap: Snapshot, day: str) -> list[str]:
    rows = client.query(
        f"SELECT measurement_uid FROM `{snap.database}`.raw WHERE day = {{d:Date}}"
        f" AND {snap.visible()} ORDER BY measurement_uid",
        parameters={"d": day},
    ).result_rows
    return [str(r[0]) for r in rows]


def measurement_rows(client: Any, snap: Snapshot, tier: str, day: str, uids: Sequence[str]) -> Any:
    """Every column of ``tier``'s rows of ``uids`` as a Batch's table (``day`` as text)."""
    from netvigil.store.clickhouse_schema import tier_schema

    target = tier_schema(tier)
    parts = []
    unique = sorted(set(uids))
    for start in range(0, len(unique), KEY_CHUNK):
        parts.append(
            client.query_arrow(
                f"SELECT * EXCEPT (batch) FROM {snap.table(tier)} WHERE day = {{d:Date}}"
                " AND measurement_uid IN {uids:Array(String)}"
                f" AND {snap.visible()} ORDER BY measurement_uid",
                parameters={"d": day, "uids": unique[start : start + KEY_CHUNK]},
                use_strings=False,  # raw lines stay bytes; conform() decodes the rest
            )
        )
    table = pa.concat_tables(
        [conform(p, target) for p in parts if p.num_rows] or [target.empty_table()]
    )
    day_text = pc.strftime(table.column("day").cast(pa.timestamp("s")), format="%Y-%m-%d")
    return table.set_column(table.schema.get_field_index("day"), "day", day_text)


def signal_imports(client: Any, snap: Snapshot) -> list[tuple[str, list[SignalPoint]]]:
    """Each signal source's latest import, oldest first."""
    latest = client.query(
        "SELECT source, argMax(batch, seq), max(seq) AS last"
        f" FROM `{snap.database}`.commits WHERE kind = 'signals'"
        f" AND seq <= {int(snap.cursor)} GROUP BY source ORDER BY last"
    ).result_rows
    out = []
    for source, batch, _ in latest:
        rows = client.query(
            "SELECT entity_type, entity_code, signal, timestamp, value"
            f" FROM `{snap.database}`.signals WHERE batch = {{b:String}}",
            parameters={"b": batch},
        ).result_rows
        out.append((str(source), [SignalPoint(*row) for row in rows]))
    return out
