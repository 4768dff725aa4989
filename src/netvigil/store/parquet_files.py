"""The embedded store's files: Parquet options per tier, partitioning by day, and staging.

Everything a worker process needs to write a batch for the store's writer (``ParquetStaging``),
and to read the raw tier back for a rebuild (``raw_lines``). Staged files go to the writer's own
``_staging/<writer>/`` directory; ``parquet.ParquetStore`` commits them (see its docstring).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from netvigil._errors import StoreError
from netvigil.store.partitions import valid_day
from netvigil.store.protocol import Batch, Staged

STAGING = "_staging"
# Parquet options per tier. The raw line is compressed by Parquet (zstd over ~1 MB pages, which
# also finds what consecutive measurements share): no per-line compression in the workers, and
# neither a dictionary nor min/max statistics for the unique, large line values.
RAW_WRITE: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": ["measurement_uid", "test_name", "probe_asn", "input", "source", "cc"],
    "write_statistics": ["measurement_uid", "measurement_start_time", "test_name", "cc"],
}
# Snappy for the derived tiers: they are a small part of the store and can be rebuilt, and zstd's
# per-column-chunk setup made each of their files ~2x dearer to write (49 observation columns).
TIER_WRITE: dict[str, Any] = {"compression": "snappy"}


def raw_lines(path: str | Path) -> Iterator[tuple[str, bytes]]:
    """(measurement_uid, original line) of one raw-tier file, streamed by row group."""
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(columns=["measurement_uid", "line"], batch_size=1024):
        yield from zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True)


def _runs(values: list[str]) -> Iterator[tuple[str, int, int]]:
    """(value, start, length) of each run of equal values in a list."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            yield values[start], start, i - start
            start = i


def _partitions(table: Any) -> Iterator[tuple[str, Any]]:
    """(day, rows of that day sorted by country, without the day column) for each day."""
    order = [("day", "ascending"), ("cc", "ascending")]
    if "measurement_start_time" in table.column_names:
        order.append(("measurement_start_time", "ascending"))
    indices = pc.sort_indices(table, sort_keys=order)
    table = table.combine_chunks().take(indices)
    days = table.column("day").to_pylist()
    body = table.drop_columns(["day"])
    for day, start, length in _runs(days):
        yield day, body.slice(start, length)


def _partitions_in_place(table: Any) -> Iterator[tuple[str, Any]]:
    """(day, rows of that day) for each day, without copying a row: zero-copy slices of runs.

    For the raw tier, whose ~18 KB lines made the sort+copy of :func:`_partitions` two thirds of
    the parent's CPU (page faults on ~100 MB per batch). The workers send each chunk sorted by
    day, country and time, so a day's rows are a few long runs; a file is sorted by country
    within each chunk of lines only.
    """
    per_day: dict[str, list[Any]] = {}
    for batch in table.to_batches():
        days = batch.column(batch.schema.get_field_index("day")).to_pylist()
        for day, start, length in _runs(days):
            per_day.setdefault(day, []).append(batch.slice(start, length))
    for day in sorted(per_day):
        yield day, pa.Table.from_batches(per_day[day]).drop_columns(["day"])


def write_synced(table: Any, path: Path, options: dict[str, Any]) -> None:
    with open(path, "wb") as fh:
        pq.write_table(table, fh, **options)
        fh.flush()
        os.fsync(fh.fileno())


def batch_id_of(writer: str) -> str:
    return f"{writer}-{time.time_ns():x}-{os.getpid()}"


@dataclass(frozen=True)
class ParquetStaging:
    """Writes batches into a writer's staging area, from any process (a worker).

    Ingest workers stage their own batches (the Parquet encoding and compression of ~18 KB raw
    lines is most of a write: sending the rows to the parent instead cost more CPU than writing
    them, in compression for the pipe or in copies), and the writer only commits. Files are
    fsynced here; nobody reads them until a commit renames them into a tier.
    """

    root: str
    writer: str

    def stage(self, batch: Batch, *, presorted: bool = True) -> Staged | None:
        """Write ``batch``; ``presorted``: its rows come in runs sorted by day, country, time
        (ingest's chunks), so a day's rows are taken as zero-copy slices instead of sorted."""
        root = Path(self.root)
        batch_id = batch_id_of(self.writer)
        written: list[Path] = []
        rows: dict[str, int] = {}
        try:
            for tier, table in batch.tables():
                rows[tier] = table.num_rows
                base = root / STAGING / self.writer / tier
                options = RAW_WRITE if tier == "raw" else TIER_WRITE
                in_place = presorted or tier == "raw"
                for day, part in (_partitions_in_place if in_place else _partitions)(table):
                    if not valid_day(day):  # a directory no query could read (audit H3)
                        raise StoreError(f"day partition {day!r} is not a date (YYYY-MM-DD)")
                    directory = base / f"day={day}"
                    directory.mkdir(parents=True, exist_ok=True)
                    path = directory / f"part-{batch_id}.parquet"
                    write_synced(part, path, options)
                    written.append(path)
        except (OSError, StoreError) as exc:
            for path in written:
                path.unlink(missing_ok=True)
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot write to store {root}: {exc}") from exc
        if not written:
            return None
        raw = batch.raw
        keys: list[tuple[str, ...]] = [(), (), ()]
        if raw is not None and raw.num_rows:
            keys = [tuple(raw.column(c).to_pylist()) for c in ("day", "cc", "measurement_uid")]
        return Staged(
            batch_id=batch_id,
            files=tuple(str(p.relative_to(root)) for p in written),
            rows=rows,
            days=keys[0],
            ccs=keys[1],
            uids=keys[2],
        )

    def raw_lines(self, source: str) -> Iterator[tuple[str, bytes]]:
        return raw_lines(source)
