"""The commit order of a ClickHouse store: what a writer sees of it, and how it takes a seq.

See ``clickhouse.py`` for the protocol: rows are inserted tagged with their ``batch`` (nobody
reads them), then the batch claims ``seq = max(seq) + 1`` with one insert whose deduplication
token is the seq, so that exactly one claim per seq lands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from netvigil._errors import StoreError
from netvigil.store.clickhouse_read import Snapshot
from netvigil.store.clickhouse_schema import FIRST_GENERATION
from netvigil.store.partitions import valid_day

REBUILD_KINDS = ("rebuild", "switch", "abort")
KEY_CHUNK = 5000  # (day, cc, uid) keys per lookup: query parameters travel in the URL
MAX_PARTS = 48  # chdb: parts of one partition past which a commit merges them (see compact)
SERVER_LEASE = 900.0  # a server rebuild whose owner committed nothing for this long is abandoned


@dataclass(frozen=True)
class State:
    """The commit order as a writer sees it: the snapshot, and the rebuilds in progress."""

    snap: Snapshot
    rebuilds: tuple[str, ...]  # generations being rebuilt by live owners


def read_state(client: Any, database: str, alive: Callable[[str], bool]) -> State:
    """The latest seq, the live generation and the rebuilds whose owner is ``alive``."""
    rows = client.query(
        f"SELECT seq, writer, kind, source FROM `{database}`.commits"
        " WHERE kind IN {kinds:Array(String)} ORDER BY seq",
        parameters={"kinds": list(REBUILD_KINDS)},
    ).result_rows
    cursor = int(client.command(f"SELECT max(seq) FROM `{database}`.commits"))
    live = FIRST_GENERATION
    open_: dict[str, str] = {}
    for _seq, owner, kind, source in rows:
        if kind == "rebuild":
            open_[source] = owner
        else:
            open_.pop(source, None)
            if kind == "switch":
                live = source
    rebuilds = tuple(g for g, owner in open_.items() if alive(owner))
    return State(Snapshot(database, cursor, live), rebuilds)


def committed_recently(client: Any, database: str, writer: str) -> bool:
    """A server writer's liveness: it committed within ``SERVER_LEASE`` seconds."""
    last = client.command(
        f"SELECT toFloat64(max(at)) FROM `{database}`.commits WHERE writer = {{w:String}}",
        parameters={"w": writer},
    )
    return time.time() - float(last) < SERVER_LEASE


def claim(
    client: Any,
    database: str,
    writer: str,
    seq: int,
    batch: str,
    kind: str,
    source: str,
    rows: dict[str, int],
) -> bool:
    """Try to make ``batch`` commit number ``seq``; whether it did. The WHERE keeps a stale
    writer from taking a seq whose token left the deduplication window long ago."""
    client.command(
        f"INSERT INTO `{database}`.commits (seq, batch, writer, kind, source, rows)"
        " SELECT {seq:UInt64}, {batch:String}, {writer:String}, {kind:String},"
        " {source:String}, {rows:String}"
        f" WHERE (SELECT count() FROM `{database}`.commits WHERE seq >= {{seq:UInt64}}) = 0",
        parameters={
            "seq": seq,
            "batch": batch,
            "writer": writer,
            "kind": kind,
            "source": source,
            "rows": orjson.dumps(rows).decode(),
        },
        settings={"insert_deduplication_token": f"netvigil-seq-{seq}"},
    )
    owner = client.query(
        f"SELECT batch FROM `{database}`.commits WHERE seq = {{seq:UInt64}}",
        parameters={"seq": seq},
    ).result_rows
    return bool(owner) and owner[0][0] == batch


def insert(client: Any, database: str, table: str, rows: Any, batch: str) -> None:
    """Insert ``rows`` (Arrow) into ``table`` tagged with ``batch`` (invisible until its
    commit); ``day`` given as text (a Batch's) becomes a date."""
    if "day" in rows.column_names and pa.types.is_string(rows.schema.field("day").type):
        for day in pc.unique(rows.column("day")).to_pylist():
            if day is None or not valid_day(day):  # as the embedded store's staging (audit H3)
                raise StoreError(f"day partition {day!r} is not a date (YYYY-MM-DD)")
        days = pc.cast(pc.strptime(rows.column("day"), format="%Y-%m-%d", unit="s"), pa.date32())
        rows = rows.set_column(rows.schema.get_field_index("day"), "day", days)
    rows = rows.append_column("batch", pa.array([batch] * rows.num_rows, pa.string()))
    client.insert_arrow(table, rows, database=database)


def stored_keys(
    client: Any, snap: Snapshot, keys: Sequence[tuple[str, str, str]]
) -> set[tuple[str, str, str]]:
    """The ``(day, cc, uid)`` of ``keys`` that committed batches of ``snap`` hold: a lookup of
    the primary key (day, cc, measurement_uid)."""
    found: set[tuple[str, str, str]] = set()
    if snap.cursor == 0 or not keys:
        return found
    unique = sorted(set(keys))
    for start in range(0, len(unique), KEY_CHUNK):
        rows = client.query(
            f"SELECT toString(day), cc, measurement_uid FROM `{snap.database}`.raw"
            " WHERE (day, cc, measurement_uid) IN {keys:Array(Tuple(Date, String, String))}"
            f" AND {snap.visible()}",
            parameters={"keys": unique[start : start + KEY_CHUNK]},
        ).result_rows
        found.update((str(d), str(c), str(u)) for d, c, u in rows)
    return found


def compact(client: Any, database: str, tables: Iterable[str]) -> None:
    """Merge parts now where a partition of ``tables`` (and ``commits``) has many: for chdb,
    whose engine lives for one operation (clickhouse_conn), too short for its background merges;
    each commit adds a part per tier and month (past 3,000 ClickHouse refuses inserts)."""
    crowded = client.query(
        "SELECT table, partition_id FROM system.parts WHERE active AND database = {db:String}"
        " AND table IN {tables:Array(String)} GROUP BY table, partition_id"
        " HAVING count() > {limit:UInt32}",
        parameters={"db": database, "tables": sorted({*tables, "commits"}), "limit": MAX_PARTS},
    ).result_rows
    for table, partition in crowded:
        client.command(
            f"OPTIMIZE TABLE `{database}`.`{table}` PARTITION ID {{p:String}}",
            parameters={"p": partition},
        )


def without(tables: dict[str, Any], uids: set[str]) -> dict[str, Any]:
    """``tables`` without the rows of ``uids`` (and without tables left empty)."""
    if not uids:
        return {t: rows for t, rows in tables.items() if rows.num_rows}
    dropped = pa.array(sorted(uids), pa.string())
    out = {}
    for tier, rows in tables.items():
        kept = rows.filter(pc.invert(pc.is_in(rows.column("measurement_uid"), value_set=dropped)))
        if kept.num_rows:
            out[tier] = kept
    return out
