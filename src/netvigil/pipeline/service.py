"""Running the pipeline: open it on a store by URL, tick until stopped, report what happened.

Shared by ``netvigil pipeline run``, the collector (``netvigil collector --pipeline`` runs it in
a process beside the drainer) and the lab's story (``netvigil lab observe``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from netvigil._settings import Settings
from netvigil.models.catalogue import load_catalogue
from netvigil.models.events import Event, from_epoch, iso
from netvigil.pipeline.runner import Pipeline, TickReport
from netvigil.pipeline.state import StateFile
from netvigil.store import open_store, shown


@contextmanager
def open_pipeline(settings: Settings, url: str) -> Iterator[Pipeline]:
    """The pipeline of the store at ``url`` with its saved state; its lock and the store are
    released on exit."""
    state = StateFile(settings.pipeline_dir, url)
    try:
        store = open_store(url, lock_timeout=settings.store_lock_timeout)
        try:
            catalogue = load_catalogue(settings.catalogue)
            yield Pipeline(store, settings.pipeline, catalogue, state, store_label=shown(url))
        finally:
            store.close()
    finally:
        state.close()


def describe(event: Event) -> str:
    """One line about an event version, as the pipeline prints it."""
    if event.retracted:
        what = "retracted"
    elif event.end is None:
        what = f"opened   since {iso(event.start)}"
    else:
        what = f"closed   {iso(event.start)} - {iso(event.end)}"
    return f"{event.kind:<15} {what}  {event.entity}  (score {event.score:.1f})"


def run_forever(
    pipeline: Pipeline,
    poll: float,
    *,
    once: bool = False,
    quiet: bool = False,
    stop: threading.Event | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Tick every ``poll`` seconds until ``stop`` is set (or once); print events as they come."""
    stopping = stop or threading.Event()
    while True:
        report = pipeline.tick()
        _say(report, quiet, echo)
        if once or stopping.wait(poll):
            return


def _say(report: TickReport, quiet: bool, echo: Callable[[str], None]) -> None:
    for event in report.events:
        echo(describe(event))
    if not quiet and (report.stepped or report.replayed):
        late = f", {report.replayed} re-run for late data" if report.replayed else ""
        echo(
            f"read {report.read} verdicts, stepped {report.stepped} bins{late}, wrote "
            f"{report.signals} signal points; next bin {iso_of(report.next_bin)}"
        )


def iso_of(seconds: int) -> str:
    return iso(from_epoch(seconds))
