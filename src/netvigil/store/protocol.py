"""The interface every analytical store implements (DuckDB/Parquet today, ClickHouse later).

A store holds three tiers, each keyed by ``measurement_uid`` and partitioned by measurement day
and probe country:

- ``raw``: the original measurement line (zstd-compressed bytes) and a few envelope columns; never
  rewritten, the source of every rebuild;
- ``observations``: one row per DNS answer / TCP connect / TLS handshake / HTTP request;
- ``verdicts``: one row per measurement (outcome, blocking type, rule id, rules version).

Writers hand whole :class:`Batch` objects to :meth:`AnalyticalStore.commit`; a batch is either
entirely visible after a crash or not at all. Ingest splits a commit in two so that the workers do
the heavy writing: a worker *stages* its batch (``staging_target().stage(batch)``, any process,
no lock: files nobody sees yet) and the single writer publishes it with
:meth:`AnalyticalStore.commit_staged` after dropping what is already stored. Readers use
:meth:`AnalyticalStore.connect`, a DuckDB connection with the views ``raw``, ``observations`` and
``verdicts`` (a ClickHouse backend would return a connection with tables of the same names and
columns).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

TIERS = ("raw", "observations", "verdicts")


@dataclass(frozen=True)
class Batch:
    """Rows of the three tiers for a set of measurements, as Arrow tables.

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
    """A batch written where readers do not look yet, waiting for the writer's commit.

    ``days``, ``ccs`` and ``uids`` describe the raw rows (empty for a rebuild, which writes no
    raw rows), so that the writer can drop measurements stored meanwhile.
    """

    batch_id: str
    files: tuple[str, ...]  # store-relative paths of the staged files (backend-specific)
    rows: dict[str, int]
    days: tuple[str, ...] = ()
    ccs: tuple[str, ...] = ()
    uids: tuple[str, ...] = ()


class StagingTarget(Protocol):
    """Picklable: lets a worker process stage batches for the store's writer."""

    def stage(self, batch: Batch) -> Staged | None:
        """Write ``batch`` invisibly; None when it has no rows."""
        ...


@dataclass(frozen=True)
class CommitInfo:
    """What one commit wrote."""

    batch_id: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0


class AnalyticalStore(Protocol):
    """Typed interface of the analytical tiers (see docs/store.md)."""

    def is_stored(self, keys: Sequence[tuple[str, str, str]]) -> list[bool]:
        """For each ``(day, cc, measurement_uid)``, whether the raw tier already holds it."""
        ...

    def commit(self, batch: Batch) -> CommitInfo:
        """Write a batch atomically; its uids become known to :meth:`is_stored`."""
        ...

    def staging_target(self) -> StagingTarget:
        """Where workers stage batches for this writer (the current tier generation)."""
        ...

    def commit_staged(self, staged: Staged, keep: Collection[str] | None = None) -> CommitInfo:
        """Publish a staged batch atomically, only the rows whose uid is in ``keep`` if given."""
        ...

    def discard_staged(self) -> None:
        """Remove staged batches that were never committed (after a failed or stopped run)."""
        ...

    def raw_sources(self) -> list[str]:
        """Opaque handles of the raw tier's units of work (files), for a parallel rebuild."""
        ...

    def begin_rebuild(self) -> None:
        """Start writing new observations/verdicts tiers beside the current ones."""
        ...

    def finish_rebuild(self) -> None:
        """Atomically switch readers to the rebuilt tiers and drop the old ones."""
        ...

    def connect(self) -> Any:
        """A read connection (DuckDB) with views ``raw``, ``observations``, ``verdicts``."""
        ...

    def verdicts(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        probe_cc: str | None = None,
        columns: Iterable[str] | None = None,
    ) -> Any:
        """Verdict rows in ``[since, until)`` (by measurement_start_time) as a pyarrow.Table."""
        ...

    def close(self) -> None: ...
