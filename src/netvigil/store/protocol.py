"""The interface every analytical store implements (DuckDB/Parquet today, ClickHouse later).

A store holds every analytical tier:

- ``raw``: the original measurement line and a few envelope columns; never rewritten, the source
  of every rebuild;
- ``observations``: one row per DNS answer / TCP connect / TLS handshake / HTTP request;
- ``verdicts``: one row per measurement (outcome, blocking type, rule id, rules version);
- ``signals``: time series points per entity, grouped by the import (source) they came from;
- ``events``: outages and blocking onsets, keyed by ``Event.event_id``, with a change cursor.

Writers hand whole :class:`Batch` objects to :meth:`AnalyticalStore.commit`; a batch is either
entirely visible after a crash or not at all. Ingest splits a commit in two so that the workers do
the heavy writing: a worker *stages* its batch (``staging_target().stage(batch)``, any process,
nothing visible yet) and the writer publishes it with :meth:`AnalyticalStore.commit_staged`, which
drops the measurements already stored (by this or any other writer) and commits the rest.

Several processes may write one store at once (a collector, a manual ingest, a detect): no row is
lost or stored twice. Readers see whole commits only. Reads return plain Python values or Arrow
tables, never a backend's connection or relation (see docs/store.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from netvigil.models.events import Event
    from netvigil.models.signals import SignalPoint
    from netvigil.store.aggregation import AggregationQuery

TIERS = ("raw", "observations", "verdicts")


@dataclass(frozen=True)
class Batch:
    """Rows of the three measurement tiers for a set of measurements, as Arrow tables.

    Every table has the columns ``measurement_uid``, ``day`` (``YYYY-MM-DD``) and ``cc`` that
    choose its partition. ``observations`` or ``verdicts`` may be None for a raw-only write.
    """

    raw: Any | None  # pyarrow.Table
    observations: Any | None  # pyarrow.Table
    verdicts: Any | None  # pyarrow.Table

    def tables(self) -> Iterator[tuple[str, Any]]:
        for name in TIERS:
            table = getattr(self, name)
            if table is not None and table.num_rows:
                yield name, table


@dataclass(frozen=True)
class Staged:
    """A batch written where readers do not look, waiting for the writer's commit.

    ``days``, ``ccs`` and ``uids`` describe the raw rows (empty for a rebuild, which writes no
    raw rows), so that the writer can drop measurements stored meanwhile.
    """

    batch_id: str
    files: tuple[str, ...]  # backend-specific handles of the staged data
    rows: dict[str, int]
    days: tuple[str, ...] = ()
    ccs: tuple[str, ...] = ()
    uids: tuple[str, ...] = ()


class StagingTarget(Protocol):
    """Picklable: what a worker process may do for the store's writer."""

    def stage(self, batch: Batch) -> Staged | None:
        """Write ``batch`` invisibly; None when it has no rows."""
        ...

    def raw_lines(self, source: str) -> Iterator[tuple[str, bytes]]:
        """(measurement_uid, original line) of one raw source (see ``raw_sources``)."""
        ...


@dataclass(frozen=True)
class CommitInfo:
    """What one commit wrote."""

    batch_id: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    duplicates: int = 0  # measurements dropped because the store already held them
    seq: int = 0  # the commit's place in the store's change order; 0 when nothing was written


@dataclass(frozen=True)
class StoredEvent:
    """One event as stored: its latest version and where it sits in the change order."""

    event: Event
    revision: int  # change cursor of this version
    created: int  # change cursor of the event's first version
    changed_at: datetime  # when this version was stored (UTC, wall clock; for people)


@dataclass(frozen=True)
class EventFeed:
    """Events read at one moment, and the cursor to poll from next time."""

    events: tuple[StoredEvent, ...]
    cursor: int  # pass as ``changed_since`` to get only what changed after this read


@dataclass(frozen=True)
class VerdictFeed:
    """Verdict rows committed after a cursor: what a continuous consumer (the pipeline) reads.

    ``generation`` names the verdict tier's live generation (it changes when ``analyze --rebuild``
    switches tiers). Pass it back with ``cursor``: when it no longer matches, the feed starts over
    from the beginning of the new generation (``restarted``), since every verdict may have changed.
    ``complete`` is False when ``max_rows`` stopped the read early (read again from ``cursor``).
    """

    rows: Any  # pyarrow.Table, ordered by measurement_start_time
    cursor: int  # the last commit included: pass as ``after`` next time
    generation: str
    complete: bool = True
    restarted: bool = False


@dataclass(frozen=True)
class EventUpsert:
    """What :meth:`AnalyticalStore.upsert_events` did."""

    new: int
    changed: int
    unchanged: int
    cursor: int  # the store's cursor after the write


class AnalyticalStore(Protocol):
    """Typed interface of the analytical tiers (see docs/store.md)."""

    # -- measurements: raw, observations, verdicts ---------------------------------------------
    def is_stored(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        """For each ``(day, cc, measurement_uid)``, whether the raw tier already holds it."""
        ...

    def commit(self, batch: Batch) -> CommitInfo:
        """Write a batch atomically, without the measurements already stored."""
        ...

    def staging_target(self) -> StagingTarget:
        """Where workers stage batches for this writer."""
        ...

    def commit_staged(self, staged: Staged) -> CommitInfo:
        """Publish a staged batch atomically, without the measurements already stored."""
        ...

    def discard_staged(self) -> None:
        """Remove this writer's staged batches that were never committed."""
        ...

    # -- rebuild ---------------------------------------------------------------------------------
    def raw_sources(self) -> list[str]:
        """Opaque handles of the raw tier's units of work, for a parallel rebuild."""
        ...

    def begin_rebuild(self) -> list[str]:
        """Start new observations/verdicts tiers beside the current ones; returns the raw
        sources to re-analyze. Measurements committed meanwhile by other writers reach the new
        tiers too. One rebuild at a time: a second one gets a StoreError."""
        ...

    def finish_rebuild(self) -> None:
        """Atomically switch readers to the rebuilt tiers and drop the old ones."""
        ...

    # -- reads -----------------------------------------------------------------------------------
    def aggregate(
        self, query: AggregationQuery, *, test_lists: Path | None = None
    ) -> list[dict[str, Any]]:
        """OONI's aggregation over the verdicts: one row per axis value (see aggregation.py)."""
        ...

    def verdicts(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        probe_cc: str | None = None,
        columns: Iterable[str] | None = None,
        measurement_uids: Iterable[str] | None = None,
    ) -> Any:
        """Verdict rows in ``[since, until)`` (by measurement_start_time) as a pyarrow.Table,
        ordered by measurement_start_time; only those of ``measurement_uids`` when given."""
        ...

    def raw_measurement(self, measurement_uid: str) -> bytes | None:
        """The original line of one measurement as stored (the probe's address scrubbed), or
        None when the store does not hold it: what a measurement page offers as a download."""

    def verdicts_committed(
        self,
        *,
        after: int = 0,
        generation: str | None = None,
        columns: Iterable[str] | None = None,
        max_rows: int | None = None,
    ) -> VerdictFeed:
        """Verdict rows of the commits after seq ``after`` (all when 0), up to the latest commit.

        Commits are read whole and in seq order: a consumer that keeps ``cursor`` misses nothing
        and reads nothing twice (a measurement is stored once, so its verdict row appears once;
        a rebuild is the exception, announced by ``restarted``). ``generation``: the feed's
        ``generation`` at the previous read; a different live generation restarts the feed.
        ``max_rows``: stop after the commit that reaches it (at least one commit is read)."""
        ...

    # -- signals and events ----------------------------------------------------------------------
    def write_signals(self, points: Sequence[SignalPoint], *, source: str) -> CommitInfo:
        """Replace the points of ``source`` (an import) with ``points``, atomically."""
        ...

    def signals(
        self,
        *,
        since: datetime | None = None,
        entity_type: str | None = None,
        entity_code: str | None = None,
    ) -> list[SignalPoint]:
        """Stored points from ``since`` on, ordered by entity, signal and time; where several
        sources give the same (entity, signal, time), the most recently written one."""
        ...

    def upsert_events(self, events: Sequence[Event]) -> EventUpsert:
        """Store new events and new versions of changed ones (same ``event_id``); an event
        identical to its stored version is not written again, so it does not show as changed."""
        ...

    def events(
        self, *, since: datetime | None = None, changed_since: int | None = None
    ) -> EventFeed:
        """The latest version of each event, ordered by revision. ``since``: only events in
        effect at or after that moment (ongoing, or ended at or after it). ``changed_since``: only
        events created or changed after that cursor (a previous feed's ``cursor``)."""
        ...

    # -- export (``netvigil store copy``) ---------------------------------------------------------
    def measurement_days(self) -> dict[str, int]:
        """``YYYY-MM-DD`` -> how many measurements of that day the raw tier holds."""
        ...

    def day_uids(self, day: str) -> list[str]:
        """The measurement_uids of one day, sorted."""
        ...

    def measurement_rows(self, tier: str, day: str, uids: Sequence[str]) -> Any:
        """Every column of ``tier``'s rows of ``uids`` (of ``day``) as a pyarrow.Table shaped as a
        :class:`Batch`'s (``day`` as text), so that another store can commit them."""
        ...

    def signal_imports(self) -> list[tuple[str, list[SignalPoint]]]:
        """Each signal source (import) with its points, oldest import first."""
        ...

    def close(self) -> None:
        """Release what the store holds (a writer's lease, readers)."""
        ...

    def __enter__(self) -> AnalyticalStore: ...

    def __exit__(self, *exc: object) -> None: ...
