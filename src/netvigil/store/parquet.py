"""The embedded analytical store: Parquet files partitioned by day and country, read by DuckDB.

Layout under the store root::

    raw/day=2024-02-12/part-<batch>.parquet       original lines (Parquet zstd), never rewritten
    observations/day=.../part-<batch>.parquet
    verdicts/day=.../part-<batch>.parquet
    _commits.jsonl                                       commit log: one line per batch
    _tiers.json                                          which directory is the live generation
    .lock                                         one writer at a time (flock)

Partitioning: by day in the directory (hive style); inside each file the rows are sorted by
country (``cc``) and then by time (raw tier: within each worker chunk only, see
``_partitions_in_place``), so Parquet's page statistics and DuckDB's zone maps skip the
other countries. Why not ``day=/cc=/`` directories (or one row group per country): a batch of
measurements from 50 countries over 14 days would write 700 files (or row groups) per tier, a few
rows each; we measured ~3 ms of fixed cost for each on write (a compressor per column chunk) and
more on every query, which made per-country partitions the bottleneck of ingest and aggregation.

Crash safety (why a kill -9 loses nothing committed and shows no half batch): every file of a
batch is written (staged) as ``*.parquet.tmp`` and fsynced, then renamed to its final name; then
one line naming the files is appended to ``_commits.jsonl`` and fsynced: the commit point. Readers
only read files the log names (``_live_files``), so a batch appears to them all at once, and a
connection reads the batches committed when it was opened. On open, a writer deletes temp files
and renamed files that no log line names. A rebuild writes new tier directories and switches
``_tiers.json`` by an atomic rename.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from netvigil._errors import StoreError
from netvigil.models.tables import empty_table
from netvigil.store.protocol import Batch, CommitInfo, Staged

COMMIT_LOG = "_commits.jsonl"
TIERS_FILE = "_tiers.json"
DEFAULT_TIERS = {"raw": "raw", "observations": "observations", "verdicts": "verdicts"}
# Parquet options per tier. The raw line is compressed by Parquet (zstd over ~1 MB pages, which
# also finds what consecutive measurements share): no per-line compression in the workers, and
# neither a dictionary nor min/max statistics for the unique, large line values.
_RAW_WRITE: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": ["measurement_uid", "test_name", "probe_asn", "input", "source", "cc"],
    "write_statistics": ["measurement_uid", "measurement_start_time", "test_name", "cc"],
}
# Snappy for the derived tiers: they are a small part of the store and can be rebuilt, and zstd's
# per-column-chunk setup made each of their files ~2x dearer to write (49 observation columns).
_TIER_WRITE: dict[str, Any] = {"compression": "snappy"}


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as measurement_start_time is stored (OONI's times are UTC)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def _write_synced(table: Any, path: Path, options: dict[str, Any]) -> None:
    with open(path, "wb") as fh:
        pq.write_table(table, fh, **options)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class ParquetStaging:
    """Writes batches as ``*.parquet.tmp`` files under a store, from any process.

    Ingest workers stage their own batches (the Parquet encoding and compression of ~18 KB raw
    lines is most of a write: sending the rows to the parent instead cost more CPU than writing
    them, in compression for the pipe or in copies), and the writer only commits. Files are
    fsynced here; readers ignore them until a commit line names them.
    """

    root: str
    tiers: dict[str, str]

    def stage(self, batch: Batch, *, presorted: bool = True) -> Staged | None:
        """Write ``batch``; ``presorted``: its rows come in runs sorted by day, country, time
        (ingest's chunks), so a day's rows are taken as zero-copy slices instead of sorted."""
        root = Path(self.root)
        batch_id = f"{time.time_ns():x}-{os.getpid()}"
        written: list[Path] = []
        rows: dict[str, int] = {}
        try:
            for tier, table in batch.tables():
                rows[tier] = table.num_rows
                base = root / self.tiers[tier]
                options = _RAW_WRITE if tier == "raw" else _TIER_WRITE
                in_place = presorted or tier == "raw"
                for day, part in (_partitions_in_place if in_place else _partitions)(table):
                    directory = base / f"day={day}"
                    directory.mkdir(parents=True, exist_ok=True)
                    tmp = directory / f"part-{batch_id}.parquet.tmp"
                    _write_synced(part, tmp, options)
                    written.append(tmp)
        except OSError as exc:
            for tmp in written:
                tmp.unlink(missing_ok=True)
            raise StoreError(f"cannot write to store {root}: {exc}") from exc
        if not written:
            return None
        raw = batch.raw
        keys: list[tuple[str, ...]] = [(), (), ()]
        if raw is not None and raw.num_rows:
            keys = [tuple(raw.column(c).to_pylist()) for c in ("day", "cc", "measurement_uid")]
        return Staged(
            batch_id=batch_id,
            files=tuple(str(p.with_suffix("").relative_to(root)) for p in written),
            rows=rows,
            days=keys[0],
            ccs=keys[1],
            uids=keys[2],
        )


class ParquetStore:
    """DuckDB over Parquet at ``root``; implements :class:`netvigil.store.AnalyticalStore`."""

    def __init__(self, root: Path, *, writable: bool = True) -> None:
        self.root = root
        self.writable = writable
        self._lock_fd: int | None = None
        self._uids: dict[str, set[str]] = {}
        self._raw_by_day: dict[str, list[Path]] | None = None
        self._rebuild: dict[str, str] | None = None
        if writable:
            root.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                os.close(self._lock_fd)
                self._lock_fd = None
                raise StoreError(
                    f"store {root} is being written by another netvigil process",
                    hint="wait for the other ingest/analyze to finish",
                ) from exc
            self._recover()

    # -- layout -------------------------------------------------------------------------------
    def tiers(self) -> dict[str, str]:
        path = self.root / TIERS_FILE
        if not path.exists():
            return dict(DEFAULT_TIERS)
        return {**DEFAULT_TIERS, **orjson.loads(path.read_bytes())}

    def _write_tiers(self, tiers: dict[str, str]) -> None:
        tmp = self.root / (TIERS_FILE + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(orjson.dumps(tiers))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / TIERS_FILE)
        _fsync_dir(self.root)

    def _committed_files(self, *, repair: bool = False) -> set[str]:
        """Store-relative paths of every committed file (of any generation).

        A torn last line (a crash during the append) never reached its commit point: it is
        ignored, and cut off the log when ``repair`` (the writer's recovery).
        """
        path = self.root / COMMIT_LOG
        if not path.exists():
            return set()
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            if repair:
                with open(path, "r+b") as fh:
                    fh.truncate(len(data))
                    fh.flush()
                    os.fsync(fh.fileno())
        files: set[str] = set()
        for line in data.splitlines():
            files.update(orjson.loads(line)["files"])
        return files

    def _live_files(self, tier: str, committed: set[str] | None = None) -> list[Path]:
        """The committed files of ``tier``'s live generation, in path order.

        Readers take the commit log's word rather than a directory listing: a batch's files
        appear there all at once, at its commit point, so a reader never sees part of a batch
        (nor the files of a batch being committed or abandoned).
        """
        prefix = self.tiers()[tier] + os.sep
        committed = self._committed_files() if committed is None else committed
        ours = sorted(f for f in committed if f.startswith(prefix))
        return [self.root / f for f in ours if (self.root / f).exists()]

    def _tier_files(self, pattern: str) -> Iterator[Path]:
        """Files matching ``pattern`` in the tiers' day directories (every generation), and
        nowhere else under the root (detection keeps its signals and events beside them)."""
        for entry in self.root.iterdir():
            if entry.is_dir() and entry.name.split(".")[0] in DEFAULT_TIERS:
                yield from entry.glob(f"day=*/{pattern}")

    def _recover(self) -> None:
        committed = self._committed_files(repair=True)
        live = set(self.tiers().values())
        for entry in self.root.iterdir():
            generation = entry.name.split(".")[0] in ("observations", "verdicts")
            if entry.is_dir() and generation and "." in entry.name and entry.name not in live:
                shutil.rmtree(entry)  # an abandoned rebuild generation
        for tmp in self._tier_files("*.parquet.tmp"):
            final = tmp.with_suffix("")
            if str(final.relative_to(self.root)) in committed:
                os.replace(tmp, final)  # committed by netvigil <= 0.1's order (log, then rename)
            else:
                tmp.unlink()  # never committed: as if it was never written
        for final in self._tier_files("*.parquet"):
            if str(final.relative_to(self.root)) not in committed:
                final.unlink()  # renamed, but the crash came before its commit line

    # -- writes -------------------------------------------------------------------------------
    def _tier_dir(self, tier: str) -> str:
        if self._rebuild is not None and tier in self._rebuild:
            return self._rebuild[tier]
        return self.tiers()[tier]

    def _raw_uids(self, day: str) -> set[str]:
        # A measurement's day comes from its content, as its uid does: a duplicate always
        # falls in the same day, so the index is loaded (and held) only for the days touched.
        known = self._uids.get(day)
        if known is None:
            if self._raw_by_day is None:  # what was committed before this run, read once
                self._raw_by_day = {}
                for f in self._live_files("raw"):
                    self._raw_by_day.setdefault(f.parent.name, []).append(f)
            known = set()
            for f in self._raw_by_day.get(f"day={day}", []):
                column = pq.read_table(f, columns=["measurement_uid"]).column(0)
                known.update(column.to_pylist())
            self._uids[day] = known
        return known

    def is_stored(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        return [uid in self._raw_uids(day) for day, _cc, uid in keys]

    def staging_target(self) -> ParquetStaging:
        tiers = {tier: self._tier_dir(tier) for tier in ("raw", "observations", "verdicts")}
        return ParquetStaging(str(self.root), tiers)

    def commit(self, batch: Batch) -> CommitInfo:
        if not self.writable:
            raise StoreError(f"store {self.root} was opened read-only")
        staged = self.staging_target().stage(batch, presorted=False)
        if staged is None:
            return CommitInfo(batch_id="", rows={}, files=0)
        return self.commit_staged(staged)

    def commit_staged(self, staged: Staged, keep: Collection[str] | None = None) -> CommitInfo:
        if not self.writable:
            raise StoreError(f"store {self.root} was opened read-only")
        rows = dict(staged.rows)
        files = [self.root / (name + ".tmp") for name in staged.files]
        try:
            if keep is not None:
                rows, files = self._keep_only(files, keep)
            if not files:
                return CommitInfo(batch_id=staged.batch_id, rows=rows, files=0)
            # Renamed before the commit line: readers only take files the log names, and the
            # recovery deletes renamed files no line names.
            finals = [tmp.with_suffix("") for tmp in files]
            for tmp, final in zip(files, finals, strict=True):
                os.replace(tmp, final)
            files = finals
            for directory in {p.parent for p in files}:
                _fsync_dir(directory)
            relative = [str(p.relative_to(self.root)) for p in files]
            record = {"batch": staged.batch_id, "files": relative, "rows": rows, "at": time.time()}
            with open(self.root / COMMIT_LOG, "ab") as log:
                log.write(orjson.dumps(record) + b"\n")
                log.flush()
                os.fsync(log.fileno())
        except OSError as exc:
            for path in files:
                path.unlink(missing_ok=True)
            raise StoreError(f"cannot write to store {self.root}: {exc}") from exc
        for day, uid in zip(staged.days, staged.uids, strict=True):
            if keep is None or uid in keep:
                self._raw_uids(day).add(uid)
        return CommitInfo(batch_id=staged.batch_id, rows=rows, files=len(files))

    def _keep_only(
        self, files: list[Path], keep: Collection[str]
    ) -> tuple[dict[str, int], list[Path]]:
        """Rewrite staged files with only the rows of ``keep`` (the rare path: duplicates)."""
        accepted = pa.array(list(keep), pa.string())
        rows: dict[str, int] = {}
        kept: list[Path] = []
        for tmp in files:
            tier = tmp.relative_to(self.root).parts[0].split(".")[0]
            table = pq.read_table(tmp)
            table = table.filter(pc.is_in(table.column("measurement_uid"), value_set=accepted))
            if not table.num_rows:
                tmp.unlink()
                continue
            options = _RAW_WRITE if tier == "raw" else _TIER_WRITE
            _write_synced(table, tmp, options)
            rows[tier] = rows.get(tier, 0) + table.num_rows
            kept.append(tmp)
        return rows, kept

    def discard_staged(self) -> None:
        committed = self._committed_files()
        for tmp in self._tier_files("*.parquet.tmp"):
            if str(tmp.with_suffix("").relative_to(self.root)) not in committed:
                tmp.unlink(missing_ok=True)

    def raw_sources(self) -> list[str]:
        return [str(p) for p in self._live_files("raw")]

    def begin_rebuild(self) -> None:
        suffix = f"{time.time_ns():x}"
        self._rebuild = {t: f"{t}.{suffix}" for t in ("observations", "verdicts")}
        for directory in self._rebuild.values():
            (self.root / directory).mkdir()

    def finish_rebuild(self) -> None:
        if self._rebuild is None:
            raise StoreError("finish_rebuild without begin_rebuild")
        old = self.tiers()
        self._write_tiers({**old, **self._rebuild})
        for tier in self._rebuild:
            if (self.root / old[tier]).is_dir():
                shutil.rmtree(self.root / old[tier])
        self._rebuild = None

    # -- reads --------------------------------------------------------------------------------
    def connect(self) -> Any:
        import duckdb

        from netvigil.models.observations import Observation
        from netvigil.models.verdicts import Verdict

        con = duckdb.connect()
        con.execute("SET parquet_metadata_cache = true")  # repeated queries skip footer reads
        committed = self._committed_files()  # one snapshot for the three views
        for tier, cls in (("raw", None), ("observations", Observation), ("verdicts", Verdict)):
            files = self._live_files(tier, committed)
            if files:
                # DDL takes no parameters: each path quoted as a SQL string literal.
                listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
                con.execute(
                    f"CREATE VIEW {tier} AS SELECT * FROM read_parquet([{listed}],"
                    " hive_partitioning=true, union_by_name=true,"
                    " hive_types={'day': DATE})"
                )
            else:
                con.register(f"_{tier}_empty", empty_table(cls))
                con.execute(f"CREATE VIEW {tier} AS SELECT * FROM _{tier}_empty")
        return con

    def verdicts(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        probe_cc: str | None = None,
        columns: Iterable[str] | None = None,
    ) -> Any:
        where: list[str] = ["TRUE"]
        params: list[object] = []
        if since is not None:
            where.append("measurement_start_time >= ?")
            params.append(_utc(since))
        if until is not None:
            where.append("measurement_start_time < ?")
            params.append(_utc(until))
        if probe_cc is not None:
            where.append("cc = ?")
            params.append(probe_cc.upper())
        select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
        con = self.connect()
        try:
            sql = f"SELECT {select} FROM verdicts WHERE {' AND '.join(where)}"
            return con.sql(sql + " ORDER BY measurement_start_time", params=params).to_arrow_table()
        finally:
            con.close()

    def close(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> ParquetStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if TYPE_CHECKING:  # mypy proves the class implements the backend Protocol
    from collections.abc import Callable

    from netvigil.store.protocol import AnalyticalStore

    _implements: Callable[..., AnalyticalStore] = ParquetStore

__all__ = ["ParquetStaging", "ParquetStore", "raw_lines"]
