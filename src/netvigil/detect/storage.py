"""Signals and events in the analytical store directory (Parquet), beside C2's tiers.

Layout under ``settings.store_path``: ``signals/<source-id>.parquet`` (one file per import, named
by a hash of the input so re-importing the same file replaces it instead of duplicating rows) and
``events/events.parquet`` (rewritten atomically, keyed by :attr:`Event.event_id`). Rows are
``entity_type, entity_code, signal, timestamp (epoch s), value``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from netvigil.detect.series import Series, grid
from netvigil.models.events import Event


@dataclass(frozen=True, slots=True)
class SignalPoint:
    entity_type: str
    entity_code: str
    signal: str
    timestamp: int
    value: float


def source_id(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:16]


def save_signals(store: Path, points: Sequence[SignalPoint], *, source: str) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = store / "signals"
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "entity_type": [p.entity_type for p in points],
            "entity_code": [p.entity_code for p in points],
            "signal": [p.signal for p in points],
            "timestamp": pa.array([p.timestamp for p in points], type=pa.int64()),
            "value": pa.array([p.value for p in points], type=pa.float64()),
        }
    )
    final = folder / f"{source}.parquet"
    tmp = folder / f".{source}.parquet.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, final)  # readers never see half a file
    return final


def load_series(
    store: Path, *, since: datetime | None = None, entity: str | None = None
) -> list[Series]:
    """Every stored (entity, signal) as a regular series; the last import wins on duplicates."""
    import duckdb

    folder = store / "signals"
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return []
    where = ["TRUE"]
    params: list[object] = []
    if since is not None:
        where.append("timestamp >= ?")
        params.append(int(since.timestamp()))
    if entity is not None:
        kind, _, code = entity.partition(":")
        where += ["entity_type = ?", "entity_code = ?"]
        params += [kind, code]
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"""SELECT entity_type, entity_code, signal, timestamp, arg_max(value, fn) AS value
            FROM read_parquet('{folder}/*.parquet', filename = fn)
            WHERE {" AND ".join(where)}
            GROUP BY ALL ORDER BY entity_type, entity_code, signal, timestamp""",
            params,
        ).fetchall()
    finally:
        con.close()
    out: list[Series] = []
    key: tuple[str, str, str] | None = None
    times: list[int] = []
    values: list[float] = []
    for etype, code, signal, ts, value in [*rows, (None, None, None, 0, 0.0)]:
        if (etype, code, signal) != key:
            if key is not None and times:
                out.append(grid(times, values, entity=f"{key[0]}:{key[1]}", signal=key[2]))
            key, times, values = (etype, code, signal), [], []
        times.append(int(ts))
        values.append(float(value) if value is not None else float(np.nan))
    return out


def save_events(store: Path, events: Sequence[Event]) -> Path:
    """Merge ``events`` into events.parquet; a rerun replaces events with the same id."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = store / "events"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "events.parquet"
    rows: dict[str, dict[str, object]] = {}
    if path.exists():
        for row in pq.read_table(path).to_pylist():
            rows[str(row["event_id"])] = row
    for ev in events:
        rows[ev.event_id] = {
            "event_id": ev.event_id,
            "entity": ev.entity,
            "kind": ev.kind,
            "start": ev.start,
            "end": ev.end,
            "score": ev.score,
            "signals": list(ev.signals),
            "detector": ev.detector,
            "detector_version": ev.detector_version,
            "detected_at": ev.detected_at,
        }
    schema = pa.schema(
        [
            ("event_id", pa.string()),
            ("entity", pa.string()),
            ("kind", pa.string()),
            ("start", pa.timestamp("s", tz="UTC")),
            ("end", pa.timestamp("s", tz="UTC")),
            ("score", pa.float64()),
            ("signals", pa.list_(pa.string())),
            ("detector", pa.string()),
            ("detector_version", pa.string()),
            ("detected_at", pa.timestamp("s", tz="UTC")),
        ]
    )
    table = pa.Table.from_pylist(list(rows.values()), schema=schema)
    tmp = folder / ".events.parquet.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return path
