"""The drainer: journal -> ingest's analysis -> the store, in batches, restart-safe.

One drainer per journal directory (``drain.lock``, flock): it reads the records after its
checkpoint, analyzes them with ingest's ``analyze_lines`` (the same parse, envelope check, scrub,
uid, observations and verdict as ``netvigil ingest``), commits the batch to the store, and only
then writes the checkpoint (``drained.json``: segment -> offset, replaced atomically). A kill -9
between the commit and the checkpoint re-reads those records next time, and the store drops the
measurements it already holds (by ``measurement_uid``): nothing is lost, nothing is doubled. A
finished segment (no writer holds it) that is drained completely is deleted.

A measurement waits at most ``drain_delay`` seconds for a fuller batch (fewer, larger Parquet
files), and a batch holds at most ``drain_batch`` measurements.
"""

from __future__ import annotations

import fcntl
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from netvigil._errors import StoreError
from netvigil._settings import Settings
from netvigil.collector.journal import Record, finished, fsync_dir, scan, segments
from netvigil.ingest import Line, Rules, analyze_lines
from netvigil.store import AnalyticalStore, open_store

CHECKPOINT = "drained.json"
LOCK = "drain.lock"
SOURCE = "collector"  # the raw tier's ``source`` of what the collector received
log = logging.getLogger("netvigil.collector")


@dataclass
class DrainStats:
    batches: int = 0
    stored: int = 0
    duplicates: int = 0
    bad: int = 0
    skipped_bytes: int = 0
    problems: list[str] = field(default_factory=list)


class Drainer:
    """Moves one journal directory into one store (see the module doc)."""

    def __init__(
        self,
        directory: Path,
        store: AnalyticalStore,
        rules: Rules | None = None,
        *,
        batch: int = 2000,
        delay: float = 1.0,
    ) -> None:
        self.directory = directory
        self.store = store
        self.rules = rules
        self.batch = batch
        self.delay = delay
        self.stats = DrainStats()
        self._offsets: dict[str, int] = self._load()  # committed: the checkpoint
        self._read: dict[str, int] = {}  # read into the buffer (not yet committed)
        self._buffer: list[Record] = []
        self._waiting_since: float | None = None

    def _load(self) -> dict[str, int]:
        try:
            found: dict[str, int] = orjson.loads((self.directory / CHECKPOINT).read_bytes())
        except FileNotFoundError:
            return {}
        return {k: int(v) for k, v in found.items()}

    def _save(self) -> None:
        tmp = self.directory / (CHECKPOINT + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(orjson.dumps(self._offsets))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.directory / CHECKPOINT)
        fsync_dir(self.directory)

    def _read_more(self) -> list[str]:
        """Add the records after what was read to the buffer (up to a batch); returns the
        finished segments read to their end."""
        done: list[str] = []
        for name in segments(self.directory):
            room = self.batch - len(self._buffer)
            if room <= 0:
                break
            path = self.directory / name
            final = finished(path)  # checked before reading: a finished file does not grow
            start = self._read.get(name, self._offsets.get(name, 0))
            found = scan(path, start, room, final)
            if found.skipped:
                self.stats.skipped_bytes += found.skipped
                log.warning("journal %s: %d damaged bytes skipped", name, found.skipped)
            self._buffer += found.records
            self._read[name] = found.end
            if final and found.end >= path.stat().st_size:
                done.append(name)
        return done

    def step(self, *, force: bool = False) -> int:
        """Read what is new; commit the buffer when it is full or has waited ``delay``.
        Returns the number of records committed."""
        done = self._read_more()
        now = time.monotonic()
        if self._buffer and self._waiting_since is None:
            self._waiting_since = now
        due = (
            force
            or len(self._buffer) >= self.batch
            or (self._waiting_since is not None and now - self._waiting_since >= self.delay)
        )
        if not due:
            return 0
        committed = len(self._buffer)
        if self._buffer:
            self._commit(self._buffer)
        self._buffer, self._waiting_since = [], None
        changed = {k: v for k, v in self._read.items() if self._offsets.get(k) != v}
        self._offsets.update(changed)
        for name in done:  # whole, committed, and no writer will add to it
            (self.directory / name).unlink(missing_ok=True)
            self._offsets.pop(name, None)
            self._read.pop(name, None)
        if changed or done:
            self._save()
        return committed

    def _commit(self, records: list[Record]) -> None:
        lines = (Line(n, r.payload, True) for n, r in enumerate(records, start=1))
        result = analyze_lines(SOURCE, lines, self.rules)
        for number, reason in result.bad + result.analysis_errors:
            text = f"journal record {number} ({records[number - 1].segment}): {reason}"
            self.stats.problems = [*self.stats.problems, text][-20:]
            log.warning("%s", text)
        self.stats.bad += len(result.bad)
        self.stats.duplicates += result.duplicates
        if result.batch is not None:
            info = self.store.commit(result.batch)
            self.stats.duplicates += info.duplicates
            self.stats.stored += info.rows.get("raw", 0)
        self.stats.batches += 1

    def drain_all(self) -> None:
        """Everything journaled so far, now (tests, and a collector shutting down)."""
        while self.step(force=True):
            pass


def hold_lock(directory: Path, stop: Callable[[], bool]) -> int:
    """Take ``drain.lock`` (one drainer per journal), waiting while another holds it."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())  # who drains (for people and the bench)
            return fd
        except BlockingIOError:
            if stop():
                os.close(fd)
                raise SystemExit(0) from None
            time.sleep(0.2)


def run_drainer(options: dict[str, Any], stop_event: Any = None, poll: float = 0.05) -> None:
    """A drainer process's main loop, until ``stop_event`` is set or its parent dies.

    ``options``: journal_dir, store_url, lock_timeout, fingerprints, ip_table, batch, delay.
    """
    parent = os.getppid()
    # Background work: the event loop answering probes comes first; the drainer catches up
    # between bursts (what keeps the p99 of submissions low on a machine with few cores).
    os.nice(10)

    def stop() -> bool:
        return os.getppid() != parent or (stop_event is not None and stop_event.is_set())

    directory = Path(options["journal_dir"])
    lock = hold_lock(directory, stop)
    store = open_store(options["store_url"], lock_timeout=options["lock_timeout"])
    rules = Rules.load(options.get("fingerprints"), options.get("ip_table"))
    drainer = Drainer(directory, store, rules, batch=options["batch"], delay=options["delay"])
    pause = poll
    try:
        while not stop():
            try:
                committed = drainer.step()
                pause = poll
            except (StoreError, OSError) as exc:
                # The store's lock held too long by another writer, a full disk: what was read
                # stays in the buffer and is committed on a later try; the journal keeps it all.
                log.error("drainer: %s; trying again in %.0f s", exc, min(pause * 2, 30.0))
                pause = min(pause * 2, 30.0)
                committed = 0
            if not committed:
                time.sleep(pause)
        if stop_event is not None and stop_event.is_set():
            drainer.drain_all()  # a clean stop leaves nothing behind
    finally:
        store.close()
        os.close(lock)


def drainer_options(settings: Settings) -> dict[str, Any]:
    """What :func:`run_drainer` needs, as picklable values."""
    return {
        "journal_dir": str(settings.journal_dir),
        "store_url": settings.store_url,
        "lock_timeout": settings.store_lock_timeout,
        "fingerprints": settings.analysis.fingerprints,
        "ip_table": str(settings.analysis.ip_table) if settings.analysis.ip_table else None,
        "batch": settings.collector.drain_batch,
        "delay": settings.collector.drain_delay,
    }


class DrainerProcess:
    """The drainer in a process of its own (a fresh interpreter: no copy of the event loop)."""

    def __init__(self, settings: Settings) -> None:
        self._context = mp.get_context("spawn")
        self._options = drainer_options(settings)
        self._stop = self._context.Event()
        self.start()

    def start(self) -> None:
        self.process = self._context.Process(
            target=run_drainer,
            args=(self._options, self._stop),
            name="netvigil-drainer",
            daemon=True,
        )
        self.process.start()

    def stop(self) -> None:
        """Let it drain what is journaled, then end."""
        self._stop.set()
        self.process.join(timeout=120)

    def alive(self) -> bool:
        return self.process.is_alive()


def start_drainer(settings: Settings) -> DrainerProcess:
    return DrainerProcess(settings)
