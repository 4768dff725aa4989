"""Running the pipeline: open it on a store by URL, tick until stopped, report what happened.

Shared by ``netvigil pipeline run``, the collector (``netvigil collector --pipeline`` runs it in
a process beside the drainer) and the lab's story (``netvigil lab observe``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from netvigil._settings import Settings
from netvigil.models.catalogue import load_catalogue
from netvigil.models.events import Event, from_epoch, iso
from netvigil.pipeline.runner import Pipeline, TickReport
from netvigil.pipeline.state import StateFile
from netvigil.store import open_store, shown


class Stopper(Protocol):
    """What ends :func:`run_forever`: ``wait(timeout)`` is True once it is time to stop."""

    def wait(self, timeout: float) -> bool: ...


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
    stop: Stopper | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Tick every ``poll`` seconds until ``stop`` is set (or once); print events as they come."""
    stopping: Stopper = stop or threading.Event()
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


class _Stop:
    """Stop when asked, or when the parent process is gone (a collector killed with -9)."""

    def __init__(self, event: Any, parent: int) -> None:
        self.event, self.parent = event, parent

    def wait(self, timeout: float) -> bool:
        return bool(self.event.wait(timeout)) or os.getppid() != self.parent

    def is_set(self) -> bool:
        return bool(self.event.is_set()) or os.getppid() != self.parent


def _child(settings: Settings, url: str, event: Any, parent: int) -> None:
    os.nice(5)  # below the collector's event loop, as its drainer
    with open_pipeline(settings, url) as pipeline:
        stop = _Stop(event, parent)
        run_forever(pipeline, settings.pipeline.poll_seconds, quiet=True, stop=stop)


class PipelineProcess:
    """The pipeline in a process of its own (``netvigil collector --pipeline``): it stops when
    :meth:`stop` is called or its parent dies; its state makes any stop safe."""

    def __init__(self, settings: Settings, url: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._event = context.Event()
        self._process = context.Process(
            target=_child, args=(settings, url, self._event, os.getpid()), daemon=True
        )
        self._process.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._event.set()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
