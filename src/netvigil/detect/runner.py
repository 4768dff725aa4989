"""Detection over the store: load signals, run detectors, fuse per entity (``fusion``), store
events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING

from netvigil.detect.blocking import blocking_events
from netvigil.detect.fusion import entity_events
from netvigil.detect.series import Series, grid
from netvigil.detect.verdict_rows import verdict_rows
from netvigil.models.catalogue import Catalogue
from netvigil.models.events import Event, iso
from netvigil.models.signals import SignalPoint

if TYPE_CHECKING:
    from netvigil.store.protocol import AnalyticalStore


def series_of(points: Iterable[SignalPoint]) -> list[Series]:
    """One regular series per (entity, signal) of points ordered by entity, signal and time."""

    def key(p: SignalPoint) -> tuple[str, str, str]:
        return p.entity_type, p.entity_code, p.signal

    out: list[Series] = []
    for (etype, code, signal), group in groupby(points, key=key):
        chosen = list(group)
        out.append(
            grid(
                [p.timestamp for p in chosen],
                [p.value for p in chosen],
                entity=f"{etype}:{code}",
                signal=signal,
            )
        )
    return out


def detect_store(
    store: AnalyticalStore,
    *,
    detectors: Sequence[str],
    since: datetime | None = None,
    entity: str | None = None,
    catalogue: Catalogue | None = None,
) -> list[Event]:
    """Events of every stored (entity, signal) series, fused across signals, and stored."""
    all_events: list[Event] = []
    kind, _, code = entity.partition(":") if entity is not None else ("", "", "")
    points = store.signals(since=since, entity_type=kind or None, entity_code=code or None)
    series_list = series_of(points)
    for name in detectors:
        all_events.extend(entity_events(name, series_list))
    all_events.extend(
        blocking_from_verdicts(store, since=since, entity=entity, catalogue=catalogue)
    )
    store.upsert_events(all_events)
    return all_events


def blocking_from_verdicts(
    store: AnalyticalStore,
    *,
    since: datetime | None = None,
    entity: str | None = None,
    catalogue: Catalogue | None = None,
) -> list[Event]:
    """CUSUM blocking events over the verdicts tier."""
    cc = entity.split(":", 1)[1] if entity and entity.startswith("country:") else None
    events = blocking_events(verdict_rows(store, since=since, probe_cc=cc), catalogue)
    if entity and not entity.startswith("country:"):
        events = [ev for ev in events if f"/{entity}/" in f"/{ev.entity}/"]
    return events


def print_table(events: Sequence[Event]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(events)} events")
    for col in ("entity", "start", "end", "score", "signals", "detector"):
        table.add_column(col)
    for ev in events:
        table.add_row(
            ev.entity,
            iso(ev.start),
            "ongoing" if ev.end is None else iso(ev.end),
            f"{ev.score:.0f}",
            ",".join(ev.signals),
            f"{ev.detector} {ev.detector_version}",
        )
    Console().print(table)
