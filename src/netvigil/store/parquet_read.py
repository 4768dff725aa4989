"""Reads of the embedded store: DuckDB over the Parquet files one commit-log snapshot names.

A reader connection has one view per tier (``raw``, ``observations``, ``verdicts``, ``signals``,
``events``) over exactly the committed files of the live generation, so a batch appears all at
once and a connection keeps reading the snapshot it was built on. Nothing here returns a DuckDB
object to callers of the store: rows, Arrow tables and records only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from netvigil.models.events import Event
from netvigil.models.signals import SignalPoint
from netvigil.models.tables import EVENT_SCHEMA, SIGNAL_SCHEMA, empty_table
from netvigil.store.aggregation import COUNTS, AggregationQuery, TimeGrain, asn_number, utc
from netvigil.store.partitions import readable
from netvigil.store.protocol import StoredEvent

_MEASUREMENT_OPTIONS = "hive_partitioning=true, union_by_name=true, hive_types={'day': DATE}"


def _listed(files: Iterable[Path]) -> str:
    # DDL takes no parameters: each path quoted as a SQL string literal.
    return ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)


def open_reader(root: Path, files: dict[str, dict[str, int]], at: dict[int, float]) -> Any:
    """A DuckDB connection with a view per tier over ``files`` (tier -> store-relative file ->
    seq of its commit); ``at`` gives each commit's time."""
    import duckdb

    from netvigil.models.observations import Observation
    from netvigil.models.verdicts import Verdict

    con = duckdb.connect()
    con.execute("SET parquet_metadata_cache = true")  # repeated queries skip footer reads
    con.execute("SET TimeZone = 'UTC'")
    for tier, cls in (("raw", None), ("observations", Observation), ("verdicts", Verdict)):
        # A file under a day that is not a date would fail every query (audit H3): skipped
        # here, moved aside by `netvigil analyze --rebuild` (store.partitions).
        paths = [root / f for f in sorted(files.get(tier, {})) if readable(f)]
        if paths:
            con.execute(
                f"CREATE VIEW {tier} AS SELECT * FROM read_parquet([{_listed(paths)}],"
                f" {_MEASUREMENT_OPTIONS})"
            )
        else:
            con.register(f"_{tier}_empty", empty_table(cls))
            con.execute(f"CREATE VIEW {tier} AS SELECT * FROM _{tier}_empty")
    # Signals and events carry the seq (and time) of the commit that wrote them: "the latest
    # import wins" and the events' change cursor both come from the commit order.
    order = [
        (str(root / f), seq) for t in ("signals", "events") for f, seq in files.get(t, {}).items()
    ]
    con.register(
        "_files",
        pa.table(
            {
                "file": pa.array([f for f, _ in order], pa.string()),
                "seq": pa.array([s for _, s in order], pa.int64()),
                "at": pa.array([at.get(s, 0.0) for _, s in order], pa.float64()),
            }
        ),
    )
    for tier, schema in (("signals", SIGNAL_SCHEMA), ("events", EVENT_SCHEMA)):
        paths = [root / f for f in sorted(files.get(tier, {}))]
        if paths:
            source = f"read_parquet([{_listed(paths)}], filename = true)"
        else:
            con.register(
                f"_{tier}_empty", schema.append(pa.field("filename", pa.string())).empty_table()
            )
            source = f"_{tier}_empty"
        con.execute(
            f"CREATE VIEW {tier} AS SELECT t.* EXCLUDE (filename), f.seq AS _seq, f.at AS _at"
            f" FROM {source} t JOIN _files f ON f.file = t.filename"
        )
    return con


# -- verdicts ------------------------------------------------------------------------------------
def verdict_table(
    con: Any,
    *,
    since: datetime | None,
    until: datetime | None,
    probe_cc: str | None,
    columns: Iterable[str] | None,
    measurement_uids: Sequence[str] | None = None,
) -> Any:
    where: list[str] = ["TRUE"]
    params: list[object] = []
    if measurement_uids is not None:
        where.append("list_contains(?, measurement_uid)")
        params.append(list(measurement_uids))
    # The day conditions let DuckDB skip whole day partitions before reading them.
    if since is not None:
        where.append("day >= ? AND measurement_start_time >= ?")
        params += [utc(since).date(), utc(since)]
    if until is not None:
        where.append("day <= ? AND measurement_start_time < ?")
        params += [utc(until).date(), utc(until)]
    if probe_cc is not None:
        where.append("cc = ?")
        params.append(probe_cc.upper())
    select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    sql = f"SELECT {select} FROM verdicts WHERE {' AND '.join(where)}"
    return con.sql(sql + " ORDER BY measurement_start_time", params=params).to_arrow_table()


def raw_line(con: Any, measurement_uid: str) -> bytes | None:
    """One measurement's stored line. The uid's leading timestamp (OONI's: reception time;
    netvigil's: start time) is within a day of the partition's day, which lets DuckDB read only
    those days' files; a uid without one is looked for everywhere."""
    where = "measurement_uid = ?"
    params: list[object] = [measurement_uid]
    stamp = measurement_uid[:8]
    if stamp.isdigit():
        try:
            day = datetime.strptime(stamp, "%Y%m%d").date()
        except ValueError:
            day = None
        if day is not None:
            where += " AND day BETWEEN ? - INTERVAL 1 DAY AND ? + INTERVAL 1 DAY"
            params += [day, day]
    rows = con.execute(f"SELECT line FROM raw WHERE {where} LIMIT 1", params).fetchall()
    return bytes(rows[0][0]) if rows else None


def verdicts_of_files(paths: Sequence[Path], columns: Sequence[str] | None) -> Any:
    """The verdict rows of these committed files (the verdict feed), ordered by time.

    Read with pyarrow, not DuckDB: the feed is read every few seconds and a few small files at a
    time, where a DuckDB connection's set-up (~0.1 s here) would cost more than the read.
    """
    import pyarrow.parquet as pq

    from netvigil.models.verdicts import Verdict

    empty = empty_table(Verdict)
    wanted = list(columns) if columns else empty.column_names
    stored = [c for c in wanted if c != "day"]
    tables = []
    for path in paths:
        table = pq.read_table(path, columns=stored)
        if "day" in wanted:  # the partition column lives in the path (day=YYYY-MM-DD)
            day = date.fromisoformat(path.parent.name.removeprefix("day="))
            table = table.append_column("day", pa.array([day] * table.num_rows, pa.date32()))
        tables.append(table.select(wanted))
    if not tables:
        return empty.select(wanted)
    rows = pa.concat_tables(tables, promote_options="default")
    keys = [k for k in ("measurement_start_time", "measurement_uid") if k in wanted]
    return rows.sort_by([(k, "ascending") for k in keys]) if keys else rows


# -- aggregation ---------------------------------------------------------------------------------
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


def aggregate(
    con: Any, query: AggregationQuery, categories: Sequence[tuple[str, str, str]]
) -> list[dict[str, Any]]:
    """The aggregation rows: one per combination of axis values (one row without axes)."""
    query.check()
    source = "verdicts v"
    if categories:
        header = ("url", "cc", "category_code")
        loaded = pa.table(
            {n: pa.array([r[i] for r in categories], pa.string()) for i, n in enumerate(header)}
        )
        con.register("test_lists", loaded)
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
        params.append(f"AS{asn_number(query.probe_asn)}")
    if query.category_code is not None:
        where.append(f"{columns['category_code']} = ?")
        params.append(query.category_code)
    if query.since is not None:
        # The day condition lets DuckDB skip whole partitions before reading them.
        where.append("v.day >= ? AND v.measurement_start_time >= ?")
        params += [utc(query.since).date(), utc(query.since)]
    if query.until is not None:
        where.append("v.day <= ? AND v.measurement_start_time < ?")
        params += [utc(query.until).date(), utc(query.until)]
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
    try:
        cursor = con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        if categories:
            con.unregister("test_lists")


# -- signals -------------------------------------------------------------------------------------
def signal_points(
    con: Any,
    *,
    since: datetime | None,
    entity_type: str | None,
    entity_code: str | None,
) -> list[SignalPoint]:
    where = ["TRUE"]
    params: list[object] = []
    if since is not None:
        where.append("timestamp >= ?")
        params.append(int(since.timestamp()))
    if entity_type is not None:
        where.append("entity_type = ?")
        params.append(entity_type)
    if entity_code is not None:
        where.append("entity_code = ?")
        params.append(entity_code)
    rows = con.execute(
        f"""SELECT entity_type, entity_code, signal, timestamp, arg_max(value, _seq) AS value
        FROM signals WHERE {" AND ".join(where)}
        GROUP BY ALL ORDER BY entity_type, entity_code, signal, timestamp""",
        params,
    ).fetchall()
    return [
        SignalPoint(t, c, s, int(ts), float("nan") if v is None else float(v))
        for t, c, s, ts, v in rows
    ]


# -- events --------------------------------------------------------------------------------------
_LATEST = """SELECT * EXCLUDE (_rn) FROM (
    SELECT *, min(_seq) OVER (PARTITION BY event_id) AS _created,
        row_number() OVER (PARTITION BY event_id ORDER BY _seq DESC) AS _rn
    FROM events {where}) WHERE _rn = 1"""


def latest_event_rows(con: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored columns of the latest version of each event in ``ids`` (those stored)."""
    if not ids:
        return {}
    con.register("_wanted", pa.table({"event_id": pa.array(list(ids), pa.string())}))
    try:
        sql = _LATEST.format(where="WHERE event_id IN (SELECT event_id FROM _wanted)")
        rows = con.sql(sql).to_arrow_table().drop_columns(["_seq", "_at", "_created"])
    finally:
        con.unregister("_wanted")
    return {row["event_id"]: row for row in rows.to_pylist()}


def stored_events(
    con: Any, *, since: datetime | None, changed_since: int | None
) -> list[StoredEvent]:
    sql = _LATEST.format(where="")
    params: list[object] = []
    if changed_since is not None:
        sql += " AND _seq > ?"
        params.append(changed_since)
    if since is not None:
        sql += ' AND ("end" IS NULL OR "end" >= ?)'
        params.append(since if since.tzinfo else since.replace(tzinfo=UTC))
    table = con.sql(sql + " ORDER BY _seq, event_id", params=params).to_arrow_table()
    return [_stored(row) for row in table.to_pylist()]


def _stored(row: dict[str, Any]) -> StoredEvent:
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
        event=event,
        revision=int(row["_seq"]),
        created=int(row["_created"]),
        changed_at=datetime.fromtimestamp(row["_at"], tz=UTC),
    )


# -- export (`netvigil store copy`) --------------------------------------------------------------
def measurement_days(con: Any) -> dict[str, int]:
    rows = con.execute("SELECT strftime(day, '%Y-%m-%d'), count(*) FROM raw GROUP BY 1").fetchall()
    return {str(day): int(n) for day, n in rows}


def day_uids(con: Any, day: str) -> list[str]:
    sql = "SELECT measurement_uid FROM raw WHERE day = ?::DATE ORDER BY 1"
    return [str(r[0]) for r in con.execute(sql, [day]).fetchall()]


def measurement_rows(con: Any, tier: str, day: str, uids: Sequence[str]) -> Any:
    """Every column of ``tier``'s rows of ``uids`` as a Batch's table (``day`` as text)."""
    con.register("_wanted", pa.table({"uid": pa.array(list(uids), pa.string())}))
    try:
        return con.sql(
            f"SELECT * EXCLUDE (day), strftime(day, '%Y-%m-%d') AS day FROM {tier}"
            " WHERE day = ?::DATE AND measurement_uid IN (SELECT uid FROM _wanted)"
            " ORDER BY measurement_uid",
            params=[day],
        ).to_arrow_table()
    finally:
        con.unregister("_wanted")
