"""``netvigil store copy FROM TO``: every tier of one store into another, resumable, verified.

Works between any two backends (embedded -> ClickHouse, and back) through the store interface
only. Measurements go day by day in chunks of ``chunk`` uids, each chunk one commit of all three
tiers into the target, which drops what it already holds: a copy stopped at any point (Ctrl-C,
kill -9) is resumed by running it again, and a day the target already holds whole (same count)
is not read again. Signals are copied import by import, oldest first, so "the latest import
wins" keeps its meaning; events as their latest versions (the target's change cursor is its own:
a notifier moved to the new store starts from its cursor 0).

Verification, per tier: the count of rows, and a checksum that does not depend on row order or
backend: the sum modulo 2**64 of a BLAKE2b-64 of each row's values (all columns, as the store
interface returns them), computed the same way on both sides.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from netvigil.store.protocol import TIERS, AnalyticalStore, Batch

MASK = (1 << 64) - 1


@dataclass
class TierCheck:
    """Count and checksum of one tier in the source and in the target."""

    source_rows: int = 0
    target_rows: int = 0
    source_sum: int = 0
    target_sum: int = 0

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_sum) == (self.target_rows, self.target_sum)


@dataclass
class CopyReport:
    days: int = 0
    days_skipped: int = 0  # already whole in the target (a resumed copy)
    measurements: int = 0  # committed by this run
    duplicates: int = 0  # already in the target
    signal_imports: int = 0
    events: int = 0
    tiers: dict[str, TierCheck] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return all(check.ok for check in self.tiers.values())


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and value != value:
        return "NaN"
    return value


def row_digest(row: dict[str, Any]) -> int:
    """A 64-bit digest of one row's values (column order and backend do not matter)."""
    canonical = orjson.dumps({k: _plain(v) for k, v in row.items()}, option=orjson.OPT_SORT_KEYS)
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "big")


def table_sum(table: Any) -> tuple[int, int]:
    """(rows, checksum) of an Arrow table."""
    total = 0
    for row in table.to_pylist():
        total = (total + row_digest(row)) & MASK
    return table.num_rows, total


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def copy_store(
    source: AnalyticalStore,
    target: AnalyticalStore,
    *,
    chunk: int = 10_000,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> CopyReport:
    """Copy every tier of ``source`` into ``target``, then verify; ``on_progress(stage, done,
    total)`` is called as days (then checks) complete."""
    report = CopyReport()
    days = source.measurement_days()
    held = target.measurement_days()
    for number, day in enumerate(sorted(days), 1):
        report.days += 1
        if held.get(day) == days[day]:
            report.days_skipped += 1
        else:
            for uids in _chunks(source.day_uids(day), chunk):
                tables = [source.measurement_rows(tier, day, uids) for tier in TIERS]
                info = target.commit(Batch(*tables))
                report.measurements += info.rows.get("raw", 0)
                report.duplicates += info.duplicates
        if on_progress is not None:
            on_progress("measurements", number, len(days))
    for name, points in source.signal_imports():
        target.write_signals(points, source=name)
        report.signal_imports += 1
    events = [stored.event for stored in source.events().events]
    target.upsert_events(events)
    report.events = len(events)
    report.tiers = verify(source, target, on_progress=on_progress)
    return report


def verify(
    source: AnalyticalStore,
    target: AnalyticalStore,
    *,
    chunk: int = 10_000,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, TierCheck]:
    """Counts and checksums of every tier on both sides."""
    checks = {tier: TierCheck() for tier in (*TIERS, "signals", "events")}
    days = sorted(set(source.measurement_days()) | set(target.measurement_days()))
    for number, day in enumerate(days, 1):
        for side, store in (("source", source), ("target", target)):
            for uids in _chunks(store.day_uids(day), chunk):
                for tier in TIERS:
                    rows, digest = table_sum(store.measurement_rows(tier, day, uids))
                    _add(checks[tier], side, rows, digest)
        if on_progress is not None:
            on_progress("verify", number, len(days))
    for side, store in (("source", source), ("target", target)):
        for name, points in store.signal_imports():
            for point in points:
                digest = row_digest({"source": name, **dataclasses.asdict(point)})
                _add(checks["signals"], side, 1, digest)
        for stored in store.events().events:
            _add(checks["events"], side, 1, row_digest(stored.event.to_json()))
    return checks


def _add(check: TierCheck, side: str, rows: int, digest: int) -> None:
    if side == "source":
        check.source_rows += rows
        check.source_sum = (check.source_sum + digest) & MASK
    else:
        check.target_rows += rows
        check.target_sum = (check.target_sum + digest) & MASK
