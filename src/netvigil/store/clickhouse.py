"""The analytical store on ClickHouse (a server, or chdb in process): every tier, one interface.

**Commits without a writer lock.** Rows are inserted first, each tagged with its writer's
``batch``; nobody reads them yet (every read keeps only rows of committed batches). The commit
point is one row in ``commits``: ``(seq, batch, ...)``, claimed as ``seq = the highest seq seen +
1`` by an insert whose deduplication token is the seq itself. ClickHouse keeps one insert per
token (checked and published together), so of two writers claiming the same seq one wins and
the other sees someone else's batch under it; the loser looks at what was committed meanwhile
(measurements it now duplicates, a rebuild that began) and claims the next seq. Consequences:

- the seqs are 1, 2, 3... with no gap, and seq ``n`` is claimed only once every lower seq is
  visible: a reader that saw seq ``n`` has seen everything up to it, so the events' change cursor
  (a notifier's ``changed_since``) never skips a commit, whichever writer (or server of a
  cluster, where the token is checked in ClickHouse Keeper) made it;
- a measurement is stored once: a writer drops, before claiming, the measurements committed up
  to the seq it claims (a primary-key lookup of ``(day, cc, measurement_uid)``), so no two
  committed batches share one and reads need neither FINAL nor argMax;
- a writer killed at any point leaves only rows of a batch that never committed: invisible.

With chdb the engine belongs to one process at a time (``clickhouse_conn``): each operation runs
under the directory's lock, so the claims of chdb writers never race, but they take the same
path. Several collectors on one server run it lock-free.

**Rebuild.** Observations and verdicts live in one table per generation (``verdicts_g0``...). A
rebuild commits a ``rebuild`` row naming its new generation, re-analyzes the raw batches
committed before it into the new tables, and commits a ``switch`` row: readers then read the
new generation. Writers committing meanwhile insert their derived rows into both generations
(a writer that learns of the rebuild from a lost claim does so before claiming again).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from netvigil._errors import InputError, StoreError
from netvigil.models.signals import SOURCE_ID
from netvigil.models.tables import EVENT_SCHEMA, event_rows, signals_table
from netvigil.store import clickhouse_feed as feed
from netvigil.store import clickhouse_order as order
from netvigil.store import clickhouse_read as read
from netvigil.store import clickhouse_schema as schema
from netvigil.store.clickhouse_conn import Connection, parse_target
from netvigil.store.clickhouse_order import State
from netvigil.store.clickhouse_read import Snapshot
from netvigil.store.clickhouse_staging import ClickHouseStaging, batch_id_of, read_arrow
from netvigil.store.commitlog import (
    DEFAULT_LOCK_TIMEOUT,
    WriterLease,
    dead_writers,
    writer_alive,
)
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

STAGING = "_staging"


class ClickHouseStore:
    """Implements :class:`netvigil.store.AnalyticalStore` on ClickHouse (see the docstring)."""

    def __init__(
        self, url: str, *, writable: bool = True, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> None:
        from netvigil.store import shown

        self.url = url
        self.target = parse_target(url, shown(url))
        self.database = self.target.database
        self.writable = writable
        self.lock_timeout = lock_timeout
        self._rebuild: str | None = None
        self._lease: WriterLease | None = None
        self._writer = secrets.token_hex(6)
        self._staging: Path | None = None
        self._ready = False  # whether the store's tables exist
        self.conn = Connection(self.target, lock_timeout=lock_timeout, create=writable)
        try:
            if writable:
                self._open_writer()
            else:
                self._tables_exist()
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------------
    def _open_writer(self) -> None:
        path = self.target.path
        if path is not None:
            self._lease = WriterLease(path)
            self._writer = self._lease.id
            self._staging = path / STAGING / self._writer
        else:
            self._staging = Path(tempfile.mkdtemp(prefix="netvigil-clickhouse-"))
        self._staging.mkdir(parents=True, exist_ok=True)
        self.conn.run(self._migrate)
        self._ready = True
        if path is not None:
            self._clean_up(path)

    def _schema_version(self, client: Any) -> int:
        exists = client.command(f"EXISTS TABLE `{self.database}`.schema_version")
        if not int(exists):
            return 0
        return int(client.command(f"SELECT max(version) FROM `{self.database}`.schema_version"))

    def _refuse_newer(self, version: int) -> None:
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"store {self.target.url} has schema version {version}, written by a newer"
                f" netvigil; this one knows versions up to {schema.SCHEMA_VERSION}",
                hint="upgrade netvigil to open this store",
            )

    def _check_schema(self, client: Any) -> bool:
        """For a reader: whether the store's tables exist (a newer schema is refused)."""
        if not int(client.command(f"EXISTS DATABASE `{self.database}`")):
            return False
        version = self._schema_version(client)
        self._refuse_newer(version)
        if 0 < version < schema.SCHEMA_VERSION:
            raise StoreError(
                f"store {self.target.url} has schema version {version}; this netvigil needs"
                f" {schema.SCHEMA_VERSION}",
                hint="open it once for writing (e.g. `netvigil analyze --store URL`) to migrate",
            )
        return version > 0

    def _migrate(self, client: Any) -> None:
        """Create the tables of every version this netvigil knows and the store lacks."""
        for statement in schema.bootstrap(self.database):
            client.command(statement)
        current = self._schema_version(client)
        self._refuse_newer(current)
        from importlib.metadata import version as installed

        software = f"netvigil {installed('netvigil')}"
        for version in schema.pending(current):
            for statement in schema.MIGRATIONS[version](self.database):
                client.command(statement)
            client.command(
                f"INSERT INTO `{self.database}`.schema_version (version, software)"
                " VALUES ({v:UInt32}, {s:String})",
                parameters={"v": version, "s": software},
                settings={"insert_deduplication_token": f"schema-{version}"},
            )

    def _clean_up(self, path: Path) -> None:
        """Remove the staging areas of dead chdb writers (their lease is free)."""
        staging = path / STAGING
        for entry in sorted(staging.iterdir()) if staging.is_dir() else ():
            if not writer_alive(path, entry.name):
                shutil.rmtree(entry, ignore_errors=True)
        for _ in dead_writers(path):
            pass

    def _tables_exist(self) -> bool:
        """Whether the store's tables exist; a reader opened before the first writer created
        them looks again (a pipeline or a site may start before anything is ingested)."""
        if not self._ready and self.conn.exists:
            self._ready = self.conn.run(self._check_schema)
        return self._ready

    @property
    def writer(self) -> str:
        return self._writer

    def _check_writable(self) -> None:
        if not self.writable:
            raise StoreError(f"store {self.target.url} was opened read-only")

    # -- the commit order ---------------------------------------------------------------------
    def _state(self, client: Any) -> State:
        return order.read_state(client, self.database, lambda owner: self._alive(client, owner))

    def _alive(self, client: Any, owner: str) -> bool:
        if owner == self._writer:
            return True
        if self.target.path is not None:
            return writer_alive(self.target.path, owner)
        return order.committed_recently(client, self.database, owner)

    def _snapshot(self, client: Any) -> Snapshot:
        return self._state(client).snap

    # _claim and _insert are methods so that the tests can stop a writer inside its commit
    def _claim(
        self, client: Any, seq: int, batch: str, kind: str, source: str, rows: dict[str, int]
    ) -> bool:
        return order.claim(client, self.database, self._writer, seq, batch, kind, source, rows)

    def _insert(self, client: Any, table: str, rows: Any, batch: str) -> None:
        order.insert(client, self.database, table, rows, batch)

    def _compact(self, client: Any, tables: Iterable[str]) -> None:
        if self.target.path is not None:  # a server merges in the background
            order.compact(client, self.database, tables)

    # -- measurements -------------------------------------------------------------------------
    def is_stored(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        if not self._tables_exist():
            return [False] * len(keys)

        def op(client: Any) -> list[bool]:
            # By (day, uid), as the embedded store: a caller's country code is not trusted to
            # match the stored one (the writers' own lookups use their rows' exact keys).
            snap = self._snapshot(client)
            found: set[tuple[str, str]] = set()
            unique = sorted({(d, u) for d, _, u in keys})
            for start in range(0, len(unique) if snap.cursor else 0, order.KEY_CHUNK):
                rows = client.query(
                    f"SELECT toString(day), measurement_uid FROM `{self.database}`.raw"
                    " WHERE (day, measurement_uid) IN {keys:Array(Tuple(Date, String))}"
                    f" AND {snap.visible()}",
                    parameters={"keys": unique[start : start + order.KEY_CHUNK]},
                ).result_rows
                found.update((str(d), str(u)) for d, u in rows)
            return [(d, u) in found for d, _, u in keys]

        return self.conn.run(op)

    def staging_target(self) -> ClickHouseStaging:
        self._check_writable()
        assert self._staging is not None
        return ClickHouseStaging(str(self._staging), self._writer, self.url, self.lock_timeout)

    def commit(self, batch: Batch) -> CommitInfo:
        self._check_writable()
        tables = dict(batch.tables())
        if not tables:
            return CommitInfo(batch_id="", rows={}, files=0)
        return self._commit_measurements(tables)

    def commit_staged(self, staged: Staged) -> CommitInfo:
        self._check_writable()
        tables = {Path(name).suffixes[-2].lstrip("."): read_arrow(name) for name in staged.files}
        try:
            return self._commit_measurements(tables)
        finally:
            for name in staged.files:
                Path(name).unlink(missing_ok=True)

    def _targets(self, state: State, tier: str) -> list[str]:
        """The tables a batch's rows of ``tier`` go to."""
        if tier not in schema.DERIVED:
            return [tier]
        if self._rebuild is not None:  # this writer's rebuild: only its new generation
            return [schema.table_name(tier, self._rebuild)]
        generations = [state.snap.generation, *state.rebuilds]
        return [schema.table_name(tier, g) for g in dict.fromkeys(generations)]

    def _commit_measurements(self, tables: dict[str, Any]) -> CommitInfo:
        raw = tables.get("raw")
        keys: list[tuple[str, str, str]] = []
        if raw is not None:
            columns = [raw.column(c).to_pylist() for c in ("day", "cc", "measurement_uid")]
            keys = list(zip(*columns, strict=True))

        def op(client: Any) -> CommitInfo:
            state = self._state(client)
            current = dict(tables)
            batch = ""
            inserted: set[str] = set()
            dropped: set[str] | None = None
            while True:
                stored = {k[2] for k in order.stored_keys(client, state.snap, keys)}
                if stored != dropped:  # (re)write the batch without what is stored
                    current, dropped = order.without(tables, stored), stored
                    if not current:
                        return CommitInfo("", {}, 0, len(stored))
                    batch, inserted = batch_id_of(self._writer), set()
                for tier, rows in current.items():
                    for table in self._targets(state, tier):
                        if table not in inserted:
                            self._insert(client, table, rows, batch)
                            inserted.add(table)
                counts = {tier: rows.num_rows for tier, rows in current.items()}
                # a rebuild's commits name its generation: the only one they wrote (the feed)
                tag = self._rebuild or ""
                if self._claim(client, state.snap.cursor + 1, batch, "measurements", tag, counts):
                    seq = state.snap.cursor + 1
                    self._compact(client, inserted)
                    return CommitInfo(batch, counts, len(inserted), len(stored), seq)
                state = self._state(client)  # lost the seq: look at what was committed meanwhile

        return self.conn.run(op)

    def discard_staged(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging.mkdir(parents=True, exist_ok=True)

    # -- rebuild ------------------------------------------------------------------------------
    def _raw_batches(self, client: Any, snap: Snapshot) -> list[str]:
        rows = client.query(
            f"SELECT DISTINCT batch FROM `{self.database}`.raw WHERE {snap.visible()}"
            " ORDER BY batch"
        ).result_rows
        return [str(r[0]) for r in rows]

    def raw_sources(self) -> list[str]:
        if not self._tables_exist():
            return []
        return self.conn.run(lambda client: self._raw_batches(client, self._snapshot(client)))

    def raw_batch(self, batch: str) -> Any:
        """``measurement_uid`` and ``line`` of one committed raw batch (a rebuild's source)."""
        return self.conn.run(lambda client: read.raw_batch(client, self.database, batch))

    def begin_rebuild(self) -> list[str]:
        self._check_writable()

        def op(client: Any) -> list[str]:
            state = self._state(client)
            if state.rebuilds:
                raise StoreError(
                    f"store {self.target.url} is already being rebuilt by another process",
                    hint="wait for that `netvigil analyze --rebuild` to finish",
                )
            self._drop_old_generations(client, state.snap.generation)
            generation = f"{time.time_ns():x}"
            for tier in schema.DERIVED:
                client.command(schema.measurement_table(self.database, tier, generation))
            while True:
                if self._claim(
                    client, state.snap.cursor + 1, generation, "rebuild", generation, {}
                ):
                    break
                state = self._state(client)
                if state.rebuilds:
                    raise StoreError(
                        f"store {self.target.url} is already being rebuilt by another process"
                    )
            self._rebuild = generation
            return self._raw_batches(client, Snapshot(self.database, state.snap.cursor + 1, ""))

        return self.conn.run(op)

    def _drop_old_generations(self, client: Any, live: str) -> None:
        """Drop the tables of generations that are not live (old, or abandoned rebuilds)."""
        names = client.query(
            "SELECT name FROM system.tables WHERE database = {db:String}",
            parameters={"db": self.database},
        ).result_rows
        keep = {schema.table_name(tier, live) for tier in schema.DERIVED}
        for (name,) in names:
            if name.split("_g")[0] in schema.DERIVED and "_g" in name and name not in keep:
                client.command(f"DROP TABLE IF EXISTS `{self.database}`.`{name}`")

    def finish_rebuild(self) -> None:
        generation = self._rebuild
        if generation is None:
            raise StoreError("finish_rebuild without begin_rebuild")

        def op(client: Any) -> None:
            while not self._claim(
                client, self._state(client).snap.cursor + 1, f"switch-{generation}", "switch",
                generation, {},
            ):  # fmt: skip
                pass

        self.conn.run(op)
        self._rebuild = None

    # -- signals and events -------------------------------------------------------------------
    def _commit_rows(
        self, kind: str, source: str, table: Any, rows: dict[str, int], state: State | None = None
    ) -> tuple[str, int]:
        """Insert ``table`` (may be None) into ``kind``'s table and commit it; (batch, seq)."""

        def op(client: Any) -> tuple[str, int]:
            batch = batch_id_of(self._writer)
            if table is not None and table.num_rows:
                self._insert(client, kind, table, batch)
            current = state or self._state(client)
            while not self._claim(client, current.snap.cursor + 1, batch, kind, source, rows):
                current = self._state(client)
            self._compact(client, [kind] if kind in ("signals", "events") else [])
            return batch, current.snap.cursor + 1

        return self.conn.run(op)

    def write_signals(self, points: Sequence[SignalPoint], *, source: str) -> CommitInfo:
        self._check_writable()
        if not SOURCE_ID.fullmatch(source):
            raise InputError(f"signal source {source!r}: expected letters, digits, '_', '.', '-'")
        rows = {"signals": len(points)}
        batch, seq = self._commit_rows("signals", source, signals_table(points), rows)
        return CommitInfo(batch, rows, 1 if points else 0, 0, seq)

    def upsert_events(self, events: Sequence[Event]) -> EventUpsert:
        self._check_writable()
        rows = event_rows(events)
        ids = [row["event_id"] for row in rows]

        def op(client: Any) -> EventUpsert:
            state = self._state(client)
            while True:
                current = read.latest_rows(read.event_versions(client, state.snap, ids))
                changed = [
                    r
                    for r in rows
                    if r["event_id"] not in current or current[r["event_id"]][0] != r
                ]
                new = sum(1 for r in changed if r["event_id"] not in current)
                if not changed:
                    return EventUpsert(0, 0, len(rows), state.snap.cursor)
                batch = batch_id_of(self._writer)
                self._insert(
                    client, "events", pa.Table.from_pylist(changed, schema=EVENT_SCHEMA), batch
                )
                counts = {"events": len(changed)}
                if self._claim(client, state.snap.cursor + 1, batch, "events", "", counts):
                    self._compact(client, ["events"])
                    return EventUpsert(
                        new, len(changed) - new, len(rows) - len(changed), state.snap.cursor + 1
                    )
                state = self._state(client)  # another writer committed: compare again

        return self.conn.run(op)

    # -- reads --------------------------------------------------------------------------------
    def _read(self, query: Callable[[Any, Snapshot], Any], empty: Any) -> Any:
        if not self._tables_exist():
            return empty
        return self.conn.run(lambda client: query(client, self._snapshot(client)))

    def aggregate(
        self, query: AggregationQuery, *, test_lists: Path | None = None
    ) -> list[dict[str, Any]]:
        from netvigil.store.aggregation import COUNTS, categories_for

        categories = categories_for(query, test_lists)
        empty = [] if query.axes() else [dict.fromkeys(COUNTS, 0)]
        return list(self._read(lambda c, s: read.aggregate(c, s, query, categories), empty))

    def verdicts(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        probe_cc: str | None = None,
        columns: Iterable[str] | None = None,
        measurement_uids: Iterable[str] | None = None,
    ) -> Any:
        from netvigil.models.tables import empty_table
        from netvigil.models.verdicts import Verdict

        chosen = None if columns is None else list(columns)
        uids = None if measurement_uids is None else list(measurement_uids)
        empty = empty_table(Verdict)
        if chosen:
            empty = empty.select(chosen)
        return self._read(
            lambda client, snap: read.verdict_table(
                client,
                snap,
                since=since,
                until=until,
                probe_cc=probe_cc,
                columns=chosen,
                measurement_uids=uids,
            ),
            empty,
        )

    def raw_measurement(self, measurement_uid: str) -> bytes | None:
        found: bytes | None = self._read(lambda c, s: feed.raw_line(c, s, measurement_uid), None)
        return found

    def verdicts_committed(
        self,
        *,
        after: int = 0,
        generation: str | None = None,
        columns: Iterable[str] | None = None,
        max_rows: int | None = None,
    ) -> VerdictFeed:
        from netvigil.models.tables import empty_table
        from netvigil.models.verdicts import Verdict

        chosen = None if columns is None else list(columns)
        empty = empty_table(Verdict).select(chosen) if chosen else empty_table(Verdict)
        restarted = generation is not None and generation != schema.FIRST_GENERATION
        nothing = VerdictFeed(empty, 0, schema.FIRST_GENERATION, True, restarted)
        found: VerdictFeed = self._read(
            lambda c, s: feed.verdict_feed(
                c, s, after=after, generation=generation, columns=chosen, max_rows=max_rows
            ),
            nothing,
        )
        return found

    def signals(
        self,
        *,
        since: datetime | None = None,
        entity_type: str | None = None,
        entity_code: str | None = None,
    ) -> list[SignalPoint]:
        return list(
            self._read(
                lambda client, snap: read.signal_points(
                    client, snap, since=since, entity_type=entity_type, entity_code=entity_code
                ),
                [],
            )
        )

    def events(
        self, *, since: datetime | None = None, changed_since: int | None = None
    ) -> EventFeed:
        def query(client: Any, snap: Snapshot) -> EventFeed:
            versions = read.event_versions(client, snap)
            found = read.stored_events(versions, since=since, changed_since=changed_since)
            return EventFeed(tuple(found), snap.cursor)

        result: EventFeed = self._read(query, EventFeed((), 0))
        return result

    # -- export (clickhouse_read) ---------------------------------------------------------------
    def measurement_days(self) -> dict[str, int]:
        found: dict[str, int] = self._read(read.measurement_days, {})
        return found

    def day_uids(self, day: str) -> list[str]:
        found: list[str] = self._read(lambda client, snap: read.day_uids(client, snap, day), [])
        return found

    def measurement_rows(self, tier: str, day: str, uids: Sequence[str]) -> Any:
        if tier not in schema.MEASUREMENT_TIERS:
            raise ValueError(f"not a measurement tier: {tier!r}")
        empty = schema.tier_schema(tier).empty_table()
        return self._read(
            lambda client, snap: read.measurement_rows(client, snap, tier, day, uids), empty
        )

    def signal_imports(self) -> list[tuple[str, list[SignalPoint]]]:
        found: list[tuple[str, list[SignalPoint]]] = self._read(read.signal_imports, [])
        return found

    def close(self) -> None:
        if self._rebuild is not None and self._ready:
            # An unfinished rebuild is abandoned: say so, so that another may start at once.
            generation = self._rebuild
            self._rebuild = None
            with contextlib.suppress(StoreError):
                self._commit_rows("abort", generation, None, {})
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._lease is not None and self.target.path is not None:
            self._lease.release(self.target.path)
            self._lease = None
        self.conn.close()

    def __enter__(self) -> ClickHouseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if TYPE_CHECKING:  # mypy proves the class implements the backend Protocol
    from netvigil.store.protocol import AnalyticalStore

    _implements: Callable[..., AnalyticalStore] = ClickHouseStore
