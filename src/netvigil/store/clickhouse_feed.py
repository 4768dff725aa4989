"""The verdict feed of a ClickHouse store, and one measurement's original line.

The feed (``AnalyticalStore.verdicts_committed``) reads the verdict rows of the commits after a
cursor, whole and in seq order. Which commits hold rows in the live generation's table follows
from the commit protocol (``clickhouse.py``):

- a rebuild's own commits write only its new generation: they are tagged with it (``source``);
- every other measurement commit (``source`` empty) writes the generations that existed when it
  claimed its seq: the live one, and any being rebuilt. So the live generation ``G`` holds the
  untagged commits after the ``rebuild`` row that began ``G`` (all of them for the first one).

The rows themselves are then read by those commits' batches, so what a reader sees is exact
whatever the tagging; the tagging only lets ``max_rows`` count rows from the commits table
without scanning the verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from netvigil.models.tables import empty_table
from netvigil.store.clickhouse_read import Snapshot, conform
from netvigil.store.clickhouse_schema import FIRST_GENERATION
from netvigil.store.protocol import VerdictFeed


def _began(client: Any, snap: Snapshot) -> int:
    """The seq of the ``rebuild`` row that began the live generation (0 for the first)."""
    if snap.generation == FIRST_GENERATION:
        return 0
    found = client.command(
        f"SELECT max(seq) FROM `{snap.database}`.commits"
        " WHERE kind = 'rebuild' AND source = {g:String}",
        parameters={"g": snap.generation},
    )
    return int(found)


def _commits(began: int) -> str:
    """The condition on ``commits`` that a commit wrote the live generation's derived rows
    (with ``{start:UInt64}`` and ``{last:UInt64}`` bounding its seq)."""
    return (
        "kind = 'measurements' AND seq > {start:UInt64} AND seq <= {last:UInt64}"
        f" AND (source = {{g:String}} OR (source = '' AND seq > {int(began)}))"
    )


def verdict_feed(
    client: Any,
    snap: Snapshot,
    *,
    after: int,
    generation: str | None,
    columns: Sequence[str] | None,
    max_rows: int | None,
) -> VerdictFeed:
    """What ``verdicts_committed`` returns, read at ``snap`` (see the module's docstring)."""
    from netvigil.models.verdicts import Verdict

    schema = empty_table(Verdict).schema
    chosen = list(columns) if columns else [f.name for f in schema]
    for name in chosen:
        if schema.get_field_index(name) < 0:
            raise KeyError(f"verdicts have no column {name!r}")
    live = snap.generation
    restarted = generation is not None and generation != live
    start = 0 if restarted else max(0, int(after))
    began = _began(client, snap)
    params: dict[str, Any] = {"start": start, "last": snap.cursor, "g": live}
    cursor, complete = snap.cursor, True
    if max_rows is not None and start < snap.cursor:
        listed = client.query(
            f"SELECT seq, rows FROM `{snap.database}`.commits WHERE {_commits(began)} ORDER BY seq",
            parameters=params,
        ).result_rows
        counts = [(int(seq), int(orjson.loads(rows).get("verdicts", 0))) for seq, rows in listed]
        counts = [(seq, n) for seq, n in counts if n]  # raw-only commits hold no verdicts
        total = 0
        for i, (seq, n) in enumerate(counts):
            total += n
            if total >= max_rows and i + 1 < len(counts):
                cursor, complete = seq, False
                params["last"] = seq
                break
    if start >= cursor:
        return VerdictFeed(schema.empty_table().select(chosen), cursor, live, complete, restarted)
    select = ", ".join(f"`{c}`" for c in chosen)
    sql = (
        f"SELECT {select} FROM {snap.table('verdicts')} WHERE batch IN ("
        f"SELECT batch FROM `{snap.database}`.commits WHERE {_commits(began)})"
        " ORDER BY measurement_start_time, measurement_uid"
    )
    table = client.query_arrow(sql, parameters=params)
    if table.num_rows == 0 and not table.column_names:
        table = schema.empty_table().select(chosen)
    return VerdictFeed(conform(table, schema), cursor, live, complete, restarted)


def raw_line(client: Any, snap: Snapshot, measurement_uid: str) -> bytes | None:
    """One measurement's stored line, or None. As the embedded store: the uid's leading
    timestamp (OONI's reception time, netvigil's start time) is within a day of the stored
    ``day``, which narrows the primary-key lookup to three days; a uid without one is looked
    for everywhere."""
    where = ["measurement_uid = {uid:String}", snap.visible()]
    params: dict[str, Any] = {"uid": measurement_uid}
    stamp = measurement_uid[:8]
    if stamp.isdigit():
        try:
            day = datetime.strptime(stamp, "%Y%m%d").date()
        except ValueError:
            day = None
        if day is not None:
            where.append("day BETWEEN {d:Date} - 1 AND {d:Date} + 1")
            params["d"] = day.isoformat()
    table = client.query_arrow(
        f"SELECT line FROM `{snap.database}`.raw WHERE {' AND '.join(where)} LIMIT 1",
        parameters=params,
        use_strings=False,
    )
    if table.num_rows == 0:
        return None
    value = table.column(0)[0].as_py()
    return value if isinstance(value, bytes) else str(value).encode()
