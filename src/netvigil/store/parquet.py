"""The embedded analytical store: Parquet files read by DuckDB, written by several processes.

Layout under the store root::

    raw/day=2024-02-12/part-<batch>.parquet       original lines (Parquet zstd), never rewritten
    observations/day=.../part-<batch>.parquet
    verdicts/day=.../part-<batch>.parquet
    signals/source=<import>/part-<batch>.parquet  signal points of one import
    events/part-<batch>.parquet                   event versions
    _commits.jsonl     commit log: one line per commit (the commit point), with a growing seq
    _tiers.json        which directories are the live observations/verdicts generation
    _rebuild.json      the rebuild in progress, if any (its owner and new generation)
    .lock              the commit lock (flock), held only during a commit
    _writers/<id>.lock one lease per live writer (flock held for the writer's life)
    _staging/<id>/     what that writer (and its workers) staged and has not committed yet

Partitioning: by day in the directory (hive style); inside each file the rows are sorted by
country (``cc``) and then by time (raw tier: within each worker chunk only, see
``_partitions_in_place``), so Parquet's page statistics and DuckDB's zone maps skip the
other countries. Why not ``day=/cc=/`` directories (or one row group per country): a batch of
measurements from 50 countries over 14 days would write 700 files (or row groups) per tier, a few
rows each; we measured ~3 ms of fixed cost for each on write (a compressor per column chunk) and
more on every query, which made per-country partitions the bottleneck of ingest and aggregation.

Commits (why a kill -9 loses nothing committed and shows no half batch, and why writers do not
block each other): a batch is staged, fsynced, in the writer's own ``_staging/<id>/`` without any
lock. The commit takes ``.lock`` (waiting at most ``lock_timeout``), reads the log lines other
writers appended since it last looked (their measurements join its uid index), drops the
measurements already stored, renames the files into the tiers, and appends one line naming them:
the commit point. Readers only read files the log names, so a batch appears all at once. A writer
opening the store removes, under the lock, the staging areas of writers whose lease nobody holds,
files renamed by a commit that never wrote its line, and the generation of an abandoned rebuild.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from netvigil._errors import InputError, StoreError
from netvigil._files import private_dir
from netvigil.models.signals import SOURCE_ID
from netvigil.models.tables import EVENT_SCHEMA, event_rows, signals_table
from netvigil.store import parquet_read
from netvigil.store.commitlog import (
    DEFAULT_LOCK_TIMEOUT,
    Commit,
    LogState,
    WriterLease,
    commit_lock,
    dead_writers,
    fsync_dir,
    writer_alive,
)
from netvigil.store.parquet_files import (
    RAW_WRITE,
    STAGING,
    TIER_WRITE,
    ParquetStaging,
    batch_id_of,
    raw_lines,
    write_synced,
)
from netvigil.store.partitions import bad_partition_files, quarantine
from netvigil.store.protocol import (
    Batch,
    CommitInfo,
    EventFeed,
    EventUpsert,
    Staged,
    VerdictFeed,
)

if TYPE_CHECKING:
    from netvigil.models.events import Event
    from netvigil.models.signals import SignalPoint
    from netvigil.store.aggregation import AggregationQuery

TIERS_FILE = "_tiers.json"
REBUILD_FILE = "_rebuild.json"
DEFAULT_TIERS = {"raw": "raw", "observations": "observations", "verdicts": "verdicts"}
ALL_TIERS = ("raw", "observations", "verdicts", "signals", "events")
REBUILT = ("observations", "verdicts")
_T = TypeVar("_T")


class ParquetStore:
    """DuckDB over Parquet at ``root``; implements :class:`netvigil.store.AnalyticalStore`."""

    def __init__(
        self, root: Path, *, writable: bool = True, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> None:
        self.root = root
        self.writable = writable
        self.lock_timeout = lock_timeout
        self._log = LogState(root)
        self._uids: dict[str, set[str]] = {}
        self._rebuild: dict[str, str] | None = None
        self._reader: tuple[tuple[Any, ...], Any] | None = None
        self._lease: WriterLease | None = None
        self.quarantined: list[str] = []  # files moved aside by the last begin_rebuild
        if writable:
            try:
                private_dir(root)  # owner-only when created here (audit M8)
                self._lease = WriterLease(root)
                (root / STAGING / self._lease.id).mkdir(parents=True)
                with self._locked():
                    self._clean_up()
            except OSError as exc:
                self.close()
                raise StoreError(f"cannot write to store {root}: {exc}") from exc
            except StoreError:
                self.close()
                raise

    @property
    def writer(self) -> str:
        if self._lease is None:
            raise StoreError(f"store {self.root} was opened read-only")
        return self._lease.id

    # -- layout -------------------------------------------------------------------------------
    def tiers(self) -> dict[str, str]:
        path = self.root / TIERS_FILE
        if not path.exists():
            return dict(DEFAULT_TIERS)
        return {**DEFAULT_TIERS, **orjson.loads(path.read_bytes())}

    def _write_json(self, name: str, value: dict[str, Any]) -> None:
        tmp = self.root / (name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(orjson.dumps(value))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / name)
        fsync_dir(self.root)

    def _rebuild_marker(self) -> dict[str, Any] | None:
        """The rebuild in progress, if its owner is alive."""
        try:
            marker: dict[str, Any] = orjson.loads((self.root / REBUILD_FILE).read_bytes())
        except FileNotFoundError:
            return None
        return marker if writer_alive(self.root, str(marker["owner"])) else None

    def _live(self, tier: str, tiers: dict[str, str] | None = None) -> dict[str, int]:
        """Committed files of ``tier``'s live generation that exist -> seq of their commit."""
        directory = (tiers or self.tiers()).get(tier, tier)
        found = self._log.live(directory + "/")
        return {f: s for f, s in found.items() if (self.root / f).exists()}

    def _refresh(self) -> None:
        """Read what other writers committed since we last looked (and index their uids)."""
        for commit in self._log.refresh():
            for name in commit.files:
                parts = name.split("/")
                if parts[0] == "raw" and len(parts) == 3:
                    known = self._uids.get(parts[1].removeprefix("day="))
                    if known is not None and (self.root / name).exists():
                        column = pq.read_table(self.root / name, columns=["measurement_uid"])
                        known.update(column.column(0).to_pylist())

    def _locked(self) -> Any:
        return commit_lock(self.root, self.lock_timeout)

    def _clean_up(self) -> None:
        """Remove what dead writers left (caller holds the commit lock)."""
        root = self.root
        self._refresh()
        self._log.repair()
        for staging in sorted((root / STAGING).iterdir()):
            if not writer_alive(root, staging.name):
                shutil.rmtree(staging, ignore_errors=True)
        for _ in dead_writers(root):
            pass  # their staging went above; dead_writers removes their leases
        marker = self._rebuild_marker()
        if marker is None:
            (root / REBUILD_FILE).unlink(missing_ok=True)
        keep = {*self.tiers().values(), *(marker or {}).get("tiers", {}).values()}
        committed = set(self._log.files)
        for entry in sorted(root.iterdir()):
            base = entry.name.split(".")[0]
            if not entry.is_dir() or base not in ALL_TIERS:
                continue
            if base in REBUILT and entry.name not in keep:
                shutil.rmtree(entry)  # an abandoned rebuild, or an old generation left behind
                continue
            for tmp in entry.rglob("*.parquet.tmp"):  # staged in place by netvigil <= 0.1
                if str(tmp.with_suffix("").relative_to(root)) in committed:
                    os.replace(tmp, tmp.with_suffix(""))  # its order: log line, then rename
                else:
                    tmp.unlink()
            for final in entry.rglob("part-*.parquet"):
                name = str(final.relative_to(root))
                if name not in committed or name in self._log.dropped:
                    final.unlink()  # renamed by a commit that died before its line, or dropped
        self._adopt_legacy_detection()

    def _adopt_legacy_detection(self) -> None:
        """Commit the signals and events files netvigil <= 0.1's detect kept beside the store."""
        moves: list[tuple[Path, str]] = []
        batch_id = batch_id_of(self.writer)
        folder = self.root / "signals"
        if folder.is_dir():
            for old in sorted(folder.glob("*.parquet")):
                if SOURCE_ID.fullmatch(old.stem):
                    moves.append((old, f"signals/source={old.stem}/part-{batch_id}.parquet"))
        events = self.root / "events" / "events.parquet"
        if events.is_file():
            moves.append((events, f"events/part-{batch_id}.parquet"))
        if moves:
            self._publish(moves, batch_id=batch_id, rows={"adopted": len(moves)})

    # -- writes -------------------------------------------------------------------------------
    def _check_writable(self) -> None:
        if self._lease is None:
            raise StoreError(f"store {self.root} was opened read-only")

    def _raw_uids(self, day: str) -> set[str]:
        # A measurement's day comes from its content, as its uid does: a duplicate always
        # falls in the same day, so the index is loaded (and held) only for the days touched.
        known = self._uids.get(day)
        if known is None:
            known = set()
            for name in sorted(self._log.live(f"raw/day={day}/")):
                if (self.root / name).exists():
                    column = pq.read_table(self.root / name, columns=["measurement_uid"])
                    known.update(column.column(0).to_pylist())
            self._uids[day] = known
        return known

    def is_stored(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        self._refresh()
        return [uid in self._raw_uids(day) for day, _cc, uid in keys]

    def staging_target(self) -> ParquetStaging:
        return ParquetStaging(str(self.root), self.writer)

    def commit(self, batch: Batch) -> CommitInfo:
        self._check_writable()
        staged = self.staging_target().stage(batch, presorted=False)
        if staged is None:
            return CommitInfo(batch_id="", rows={}, files=0)
        try:
            return self.commit_staged(staged)
        except StoreError:
            for name in staged.files:  # not committed (e.g. the lock wait timed out)
                (self.root / name).unlink(missing_ok=True)
            raise

    def commit_staged(self, staged: Staged) -> CommitInfo:
        self._check_writable()
        days = set(staged.days)
        if staged.uids:  # the index of the days touched, loaded before taking the lock
            self._refresh()
            for day in days:
                self._raw_uids(day)
        with self._locked():
            self._refresh()  # what others committed meanwhile joins the index
            keep: set[str] | None = None
            duplicates = 0
            if staged.uids:
                fresh = [
                    uid not in self._raw_uids(day)
                    for day, uid in zip(staged.days, staged.uids, strict=True)
                ]
                if not all(fresh):
                    keep = {uid for uid, new in zip(staged.uids, fresh, strict=True) if new}
                    duplicates = len(staged.uids) - len(keep)
            files = [self.root / name for name in staged.files]
            rows = dict(staged.rows)
            if keep is not None:
                rows, files = self._keep_only(files, keep)
            if not files:
                return CommitInfo(staged.batch_id, rows, 0, duplicates)
            tiers = self.tiers()
            moves = [(path, self._final_name(path, tiers)) for path in files]
            commit = self._publish(moves, batch_id=staged.batch_id, rows=rows, link=True)
        for day, uid in zip(staged.days, staged.uids, strict=True):
            if keep is None or uid in keep:
                self._raw_uids(day).add(uid)
        return CommitInfo(staged.batch_id, rows, len(moves), duplicates, commit.seq)

    def _final_name(self, staged: Path, tiers: dict[str, str]) -> str:
        """Where a staged file goes: its tier's live generation (or this rebuild's)."""
        tier, *rest = staged.relative_to(self.root / STAGING / self.writer).parts
        if self._rebuild is not None and tier in self._rebuild:
            directory = self._rebuild[tier]
        else:
            directory = tiers.get(tier, tier)
        return "/".join([directory, *rest])

    def _publish(
        self,
        moves: Sequence[tuple[Path, str]],
        *,
        batch_id: str,
        rows: dict[str, int],
        drops: Sequence[str] = (),
        link: bool = False,
    ) -> Commit:
        """Rename staged files to their final names and append the commit line (the caller
        holds the lock and has refreshed). ``link``: also give observations/verdicts files to
        a rebuild in progress (another writer's), so that they survive its switch."""
        rebuilding = self._rebuild_marker() if link and self._rebuild is None else None
        finals: list[str] = []
        try:
            for staged, final in moves:
                target = self.root / final
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target)
                finals.append(final)
                tier, rest = final.split("/", 1)
                if rebuilding is not None and tier.split(".")[0] in rebuilding["tiers"]:
                    copy = f"{rebuilding['tiers'][tier.split('.')[0]]}/{rest}"
                    (self.root / copy).parent.mkdir(parents=True, exist_ok=True)
                    os.link(target, self.root / copy)
                    finals.append(copy)
            for directory in {(self.root / f).parent for f in finals}:
                fsync_dir(directory)
            record: dict[str, Any] = {"batch": batch_id, "files": finals, "rows": rows}
            if drops:
                record["drops"] = list(drops)
            commit = self._log.append({**record, "at": time.time()})
        except OSError as exc:
            for name in finals:
                (self.root / name).unlink(missing_ok=True)
            raise StoreError(f"cannot write to store {self.root}: {exc}") from exc
        for name in drops:  # no longer named by the log: a reader that still lists it retries
            (self.root / name).unlink(missing_ok=True)
        return commit

    def _keep_only(
        self, files: list[Path], keep: Iterable[str]
    ) -> tuple[dict[str, int], list[Path]]:
        """Rewrite staged files with only the rows of ``keep`` (the rare path: duplicates)."""
        accepted = pa.array(list(keep), pa.string())
        base = self.root / STAGING / self.writer
        rows: dict[str, int] = {}
        kept: list[Path] = []
        for path in files:
            tier = path.relative_to(base).parts[0]
            table = pq.read_table(path)
            table = table.filter(pc.is_in(table.column("measurement_uid"), value_set=accepted))
            if not table.num_rows:
                path.unlink()
                continue
            write_synced(table, path, RAW_WRITE if tier == "raw" else TIER_WRITE)
            rows[tier] = rows.get(tier, 0) + table.num_rows
            kept.append(path)
        return rows, kept

    def discard_staged(self) -> None:
        staging = self.root / STAGING / self.writer
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True, exist_ok=True)

    # -- rebuild ------------------------------------------------------------------------------
    def raw_sources(self) -> list[str]:
        self._refresh()
        return [str(self.root / f) for f in sorted(self._live("raw"))]

    def begin_rebuild(self) -> list[str]:
        self._check_writable()
        with self._locked():
            self._refresh()
            marker = self._rebuild_marker()
            if marker is not None:
                raise StoreError(
                    f"store {self.root} is already being rebuilt by another process",
                    hint="wait for that `netvigil analyze --rebuild` to finish",
                )
            self._quarantine_bad_days()
            suffix = f"{time.time_ns():x}"
            self._rebuild = {tier: f"{tier}.{suffix}" for tier in REBUILT}
            for directory in self._rebuild.values():
                (self.root / directory).mkdir()
            self._write_json(REBUILD_FILE, {"owner": self.writer, "tiers": self._rebuild})
            return self.raw_sources()  # the same snapshot: later commits are linked instead

    def _quarantine_bad_days(self) -> None:
        """Move the files of day partitions that are not dates out of the tiers (the caller
        holds the lock and has refreshed): written by netvigil <= 0.2 from an impossible
        ``measurement_start_time`` (audit H3), they are skipped by readers and kept aside."""
        tiers = self.tiers()
        live = [f for tier in ("raw", *REBUILT) for f in self._live(tier, tiers)]
        bad = bad_partition_files(live)
        if bad:
            self.quarantined = quarantine(self.root, bad)
            self._publish([], batch_id=batch_id_of(self.writer), rows={}, drops=bad)

    def finish_rebuild(self) -> None:
        if self._rebuild is None:
            raise StoreError("finish_rebuild without begin_rebuild")
        with self._locked():
            old = self.tiers()
            self._write_json(TIERS_FILE, {**old, **self._rebuild})
            (self.root / REBUILD_FILE).unlink(missing_ok=True)
            for tier in self._rebuild:
                if (self.root / old[tier]).is_dir():
                    shutil.rmtree(self.root / old[tier])
            self._rebuild = None

    # -- signals and events -------------------------------------------------------------------
    def write_signals(self, points: Sequence[SignalPoint], *, source: str) -> CommitInfo:
        self._check_writable()
        if not SOURCE_ID.fullmatch(source):
            raise InputError(f"signal source {source!r}: expected letters, digits, '_', '.', '-'")
        batch_id = batch_id_of(self.writer)
        moves: list[tuple[Path, str]] = []
        if points:
            staged = self.root / STAGING / self.writer / f"signals-{batch_id}.parquet"
            try:
                write_synced(signals_table(points), staged, TIER_WRITE)
            except OSError as exc:
                raise StoreError(f"cannot write to store {self.root}: {exc}") from exc
            moves.append((staged, f"signals/source={source}/part-{batch_id}.parquet"))
        with self._locked():
            self._refresh()
            drops = sorted(self._log.live(f"signals/source={source}/"))
            if not moves and not drops:
                return CommitInfo(batch_id)
            rows = {"signals": len(points)}
            commit = self._publish(moves, batch_id=batch_id, rows=rows, drops=drops)
        return CommitInfo(batch_id, rows, len(moves), 0, commit.seq)

    def upsert_events(self, events: Sequence[Event]) -> EventUpsert:
        self._check_writable()
        rows = event_rows(events)
        with self._locked():
            self._refresh()
            ids = [row["event_id"] for row in rows]
            current = self._read(lambda con: parquet_read.latest_event_rows(con, ids))[0]
            changed = [row for row in rows if current.get(row["event_id"]) != row]
            new = sum(1 for row in changed if row["event_id"] not in current)
            if changed:
                batch_id = batch_id_of(self.writer)
                staged = self.root / STAGING / self.writer / f"events-{batch_id}.parquet"
                table = pa.Table.from_pylist(changed, schema=EVENT_SCHEMA)
                try:
                    write_synced(table, staged, TIER_WRITE)
                except OSError as exc:
                    raise StoreError(f"cannot write to store {self.root}: {exc}") from exc
                final = f"events/part-{batch_id}.parquet"
                self._publish([(staged, final)], batch_id=batch_id, rows={"events": len(changed)})
            return EventUpsert(new, len(changed) - new, len(rows) - len(changed), self._log.seq)

    # -- reads --------------------------------------------------------------------------------
    def _snapshot(self) -> dict[str, dict[str, int]]:
        tiers = self.tiers()
        return {tier: self._live(tier, tiers) for tier in ALL_TIERS}

    def connect(self) -> Any:
        """A new DuckDB connection with a view per tier, over the commits made so far.

        The embedded backend's own door for SQL (tests, benchmarks, ad-hoc analysis); not part
        of :class:`AnalyticalStore`. The caller closes it.
        """
        self._refresh()
        return parquet_read.open_reader(self.root, self._snapshot(), self._log.at)

    def _read(self, query: Callable[[Any], _T]) -> tuple[_T, int]:
        """``query`` on a reader over the latest commits, and the seq of that snapshot.

        The reader is kept while nothing new is committed (DuckDB caches the files' metadata
        on it). A file deleted under a reader (a finished rebuild, replaced signals) makes the
        query fail, or the reader's views when it is being opened: both are run again on a
        fresh snapshot.
        """
        import duckdb

        attempts = 5
        for attempt in range(attempts):
            self._refresh()
            key = (self._log.seq, self._log.offset, tuple(sorted(self.tiers().items())))
            try:
                if self._reader is None or self._reader[0] != key:
                    self._close_reader()
                    files = self._snapshot()
                    reader = parquet_read.open_reader(self.root, files, self._log.at)
                    self._reader = (key, reader)
                return query(self._reader[1]), int(key[0])
            except duckdb.IOException as exc:
                self._close_reader()
                if attempt == attempts - 1:
                    raise StoreError(f"cannot read store {self.root}: {exc}") from exc
        raise AssertionError("unreachable")

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader[1].close()
            self._reader = None

    def aggregate(
        self, query: AggregationQuery, *, test_lists: Path | None = None
    ) -> list[dict[str, Any]]:
        from netvigil.store.aggregation import categories_for

        categories = categories_for(query, test_lists)
        return self._read(lambda con: parquet_read.aggregate(con, query, categories))[0]

    def verdicts(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        probe_cc: str | None = None,
        columns: Iterable[str] | None = None,
        measurement_uids: Iterable[str] | None = None,
    ) -> Any:
        chosen = None if columns is None else list(columns)
        uids = None if measurement_uids is None else list(measurement_uids)
        return self._read(
            lambda con: parquet_read.verdict_table(
                con,
                since=since,
                until=until,
                probe_cc=probe_cc,
                columns=chosen,
                measurement_uids=uids,
            )
        )[0]

    def raw_measurement(self, measurement_uid: str) -> bytes | None:
        return self._read(lambda con: parquet_read.raw_line(con, measurement_uid))[0]

    def verdicts_committed(
        self,
        *,
        after: int = 0,
        generation: str | None = None,
        columns: Iterable[str] | None = None,
        max_rows: int | None = None,
    ) -> VerdictFeed:
        import duckdb

        chosen = None if columns is None else list(columns)
        for attempt in range(3):
            self._refresh()
            live = self.tiers()["verdicts"]
            restarted = generation is not None and generation != live
            start = 0 if restarted else after
            by_seq: dict[int, list[str]] = {}
            for name, seq in self._live("verdicts").items():
                if seq > start:
                    by_seq.setdefault(seq, []).append(name)
            cursor, complete, files, rows = self._log.seq, True, [], 0
            seqs = sorted(by_seq)
            for i, seq in enumerate(seqs):
                files += by_seq[seq]
                rows += self._log.rows.get(seq, {}).get("verdicts", 0)
                if max_rows is not None and rows >= max_rows and i + 1 < len(seqs):
                    cursor, complete = seq, False
                    break
            try:
                table = parquet_read.verdicts_of_files(
                    [self.root / f for f in sorted(files)], chosen
                )
            except duckdb.IOException as exc:  # a rebuild finished under us: read again
                if attempt == 2:
                    raise StoreError(f"cannot read store {self.root}: {exc}") from exc
                continue
            return VerdictFeed(table, cursor, live, complete, restarted)
        raise AssertionError("unreachable")

    def signals(
        self,
        *,
        since: datetime | None = None,
        entity_type: str | None = None,
        entity_code: str | None = None,
    ) -> list[SignalPoint]:
        return self._read(
            lambda con: parquet_read.signal_points(
                con, since=since, entity_type=entity_type, entity_code=entity_code
            )
        )[0]

    def events(
        self, *, since: datetime | None = None, changed_since: int | None = None
    ) -> EventFeed:
        found, seq = self._read(
            lambda con: parquet_read.stored_events(con, since=since, changed_since=changed_since)
        )
        return EventFeed(tuple(found), seq)

    # -- export -------------------------------------------------------------------------------
    def measurement_days(self) -> dict[str, int]:
        return self._read(parquet_read.measurement_days)[0]

    def day_uids(self, day: str) -> list[str]:
        return self._read(lambda con: parquet_read.day_uids(con, day))[0]

    def measurement_rows(self, tier: str, day: str, uids: Sequence[str]) -> Any:
        if tier not in ("raw", "observations", "verdicts"):
            raise ValueError(f"not a measurement tier: {tier!r}")
        return self._read(lambda con: parquet_read.measurement_rows(con, tier, day, uids))[0]

    def signal_imports(self) -> list[tuple[str, list[SignalPoint]]]:
        from netvigil.models.signals import SignalPoint

        self._refresh()
        by_source: dict[str, list[tuple[int, str]]] = {}
        for name, seq in self._live("signals").items():
            source = name.split("/")[1].removeprefix("source=")
            by_source.setdefault(source, []).append((seq, name))
        out = []
        for source, files in sorted(by_source.items(), key=lambda kv: max(kv[1])):
            points = []
            for _, name in sorted(files):
                for row in pq.read_table(self.root / name).to_pylist():
                    points.append(SignalPoint(**row))
            out.append((source, points))
        return out

    def close(self) -> None:
        self._close_reader()
        if self._lease is not None:
            # An unfinished rebuild is abandoned with the lease: writers ignore its marker,
            # and the next writer to open the store removes its generation.
            shutil.rmtree(self.root / STAGING / self._lease.id, ignore_errors=True)
            self._lease.release(self.root)
            self._lease = None

    def __enter__(self) -> ParquetStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if TYPE_CHECKING:  # mypy proves the class implements the backend Protocol
    from netvigil.store.protocol import AnalyticalStore

    _implements: Callable[..., AnalyticalStore] = ParquetStore

__all__ = ["ParquetStaging", "ParquetStore", "raw_lines"]
