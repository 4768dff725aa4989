"""Detection over the store: load signals, run detectors, fuse per entity (``fusion``), store
events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from netvigil.detect.blocking import blocking_events
from netvigil.detect.fusion import entity_events
from netvigil.detect.storage import load_series, save_events
from netvigil.models.events import Event, iso


def detect_store(
    store: Path,
    *,
    detectors: Sequence[str],
    since: datetime | None = None,
    entity: str | None = None,
) -> list[Event]:
    """Events of every stored (entity, signal) series, fused across signals, and stored."""
    all_events: list[Event] = []
    series_list = load_series(store, since=since, entity=entity)
    for name in detectors:
        all_events.extend(entity_events(name, series_list))
    all_events.extend(blocking_from_verdicts(store, since=since, entity=entity))
    save_events(store, all_events)
    return all_events


def blocking_from_verdicts(
    store: Path, *, since: datetime | None = None, entity: str | None = None
) -> list[Event]:
    """CUSUM blocking events over the verdicts tier, when the store has one."""
    from netvigil.store import open_store

    if not (store / "verdicts").exists():
        return []
    cc = entity.split(":", 1)[1] if entity and entity.startswith("country:") else None
    with open_store(store, writable=False) as st:
        table = st.verdicts(
            since=since,
            probe_cc=cc,
            columns=[
                "measurement_start_time",
                "probe_cc",
                "probe_asn",
                "test_name",
                "outcome",
                "domain",
            ],
        )
    events = blocking_events(table.to_pylist())
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
