"""The ingest runner: files -> worker processes (parse + analysis) -> the parent (dedup + writes).

Workers take tasks from a queue (whole files, or line-aligned spans of a big plain JSONL file
such as the probe's spool) and send back one :class:`ChunkResult` per chunk of lines through a
bounded result queue, so memory stays bounded whatever the input size: at most ``2 x workers``
chunks in flight plus the parent's write buffer (``batch_rows`` measurements).
Only the parent touches the store, which keeps the uid index and the commit log single-writer.
With one worker everything runs in the calling process (no pickling, simpler to debug).
A rebuild (``netvigil analyze --rebuild``) uses the same runner over the raw tier's files.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from netvigil._errors import InputError
from netvigil.analysis import Fingerprints
from netvigil.ingest.chunks import ChunkResult, analyze_chunk, raw_line_records
from netvigil.ingest.sources import Damage, Line, Span, read_lines, read_span, split
from netvigil.store.parquet import ParquetStore, raw_lines
from netvigil.store.protocol import Batch

ErrorPolicy = Literal["ignore", "warn", "fail"]
Mode = Literal["ingest", "rebuild"]
CHUNK_LINES = 500  # ~9 MB of realistic measurements per message between processes
MAX_BUFFER_BYTES = 256 << 20  # the parent commits at the latest when its buffer reaches this


@dataclass
class IngestReport:
    """The final summary of a run."""

    files: int = 0
    lines: int = 0
    ingested: int = 0
    duplicates: int = 0
    bad: int = 0
    analysis_errors: int = 0
    batches: int = 0
    input_bytes: int = 0
    seconds: float = 0.0
    worker_cpu_seconds: float = 0.0  # CPU time of worker processes (0 when run inline)
    worker_peak_rss_kb: int = 0  # the largest worker's peak RSS
    problems: list[str] = field(default_factory=list)  # the first few "file:line: reason"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "problems"}


Task = str | Span  # a file (input, or raw tier for a rebuild) or a span of a big JSONL file


def _chunks(task: Task, mode: Mode, fingerprints: Fingerprints | None) -> Iterator[ChunkResult]:
    """The chunk results of one task."""
    last = True
    if isinstance(task, Span):
        lines: Iterator[Line | Damage] = read_span(task)
        last, task = task.last, str(task.path)
    elif mode == "rebuild":
        lines = iter(raw_line_records(raw_lines(task)))
    else:
        lines = read_lines(Path(task))
    name = Path(task).name
    pending: list[Line] = []
    damage: list[Damage] = []
    while True:
        for item in islice(lines, CHUNK_LINES):
            if isinstance(item, Damage):
                damage.append(item)
            else:
                pending.append(item)
        if not pending and not damage:
            break
        result = analyze_chunk(name, pending, fingerprints, keep_raw=mode == "ingest")
        result.source = task
        result.bad.extend((d.number, d.reason) for d in damage)
        yield result
        pending, damage = [], []
    yield ChunkResult(source=task, batch=Batch(None, None, None), file_done=last)


@dataclass(frozen=True)
class _WorkerDone:
    """A worker's last message: its resource usage, for the benchmark's per-core figures."""

    cpu_seconds: float
    peak_rss_kb: int


def use_reusing_allocator() -> None:
    """Make Arrow allocate from jemalloc (or the system allocator) in this process.

    Ingest allocates and frees ~100 MB of raw lines per batch; Arrow's default mimalloc pool
    hands fresh pages back each time here, and re-faulting them made the parent's sort+copy of a
    batch ~4x slower (measured with bench/analysis_throughput.py). Only buffers allocated after
    the call use the new pool; existing ones keep theirs.
    """
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.system_memory_pool())


def _load_fingerprints(source: str | None) -> Fingerprints | None:
    return Fingerprints.load(source) if source else None


def _worker(tasks: Any, results: Any, mode: Mode, fingerprints_source: str | None) -> None:
    use_reusing_allocator()
    fingerprints = _load_fingerprints(fingerprints_source)
    while True:
        task = tasks.get()
        if task is None:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            results.put(_WorkerDone(usage.ru_utime + usage.ru_stime, usage.ru_maxrss))
            return
        for result in _chunks(task, mode, fingerprints):
            results.put(result)


class _Writer:
    """The parent's side: drops duplicates, buffers rows, commits whole batches."""

    def __init__(self, store: ParquetStore, report: IngestReport, batch_rows: int) -> None:
        self.store = store
        self.report = report
        self.batch_rows = batch_rows
        self.buffer: list[Batch] = []
        self.buffered = 0
        self.buffered_bytes = 0
        self.pending: set[str] = set()  # uids buffered but not yet committed

    def add(self, batch: Batch) -> None:
        if batch.raw is not None:
            batch = self._new_only(batch)
        rows = batch.verdicts.num_rows if batch.verdicts is not None else 0
        rows = max(rows, batch.raw.num_rows if batch.raw is not None else 0)
        self.report.ingested += rows
        if rows:
            self.buffer.append(batch)
            self.buffered += rows
            self.buffered_bytes += sum(t.nbytes for _, t in batch.tables())
        if self.buffered >= self.batch_rows or self.buffered_bytes >= MAX_BUFFER_BYTES:
            self.flush()

    def _new_only(self, batch: Batch) -> Batch:
        raw: Any = batch.raw
        uids = raw.column("measurement_uid").to_pylist()
        keys = zip(raw.column("day").to_pylist(), raw.column("cc").to_pylist(), uids, strict=True)
        stored = self.store.is_stored(list(keys))
        keep = []
        for uid, known in zip(uids, stored, strict=True):
            fresh = not known and uid not in self.pending
            keep.append(fresh)
            if fresh:
                self.pending.add(uid)
        dropped = keep.count(False)
        if not dropped:
            return batch
        self.report.duplicates += dropped
        accepted = pa.array([u for u, k in zip(uids, keep, strict=True) if k], pa.string())

        def only(table: Any) -> Any:
            if table is None:
                return None
            return table.filter(pc.is_in(table.column("measurement_uid"), value_set=accepted))

        return Batch(
            raw=raw.filter(pa.array(keep)),
            observations=only(batch.observations),
            verdicts=only(batch.verdicts),
        )

    def flush(self) -> None:
        if not self.buffer:
            return
        merged = Batch(
            *(
                _concat([getattr(b, t) for b in self.buffer])
                for t in ("raw", "observations", "verdicts")
            )
        )
        self.store.commit(merged)
        self.report.batches += 1
        self.buffer, self.buffered, self.buffered_bytes = [], 0, 0
        self.pending.clear()


def _concat(tables: list[Any]) -> Any:
    present = [t for t in tables if t is not None and t.num_rows]
    if not present:
        return None
    return pa.concat_tables(present, promote_options="default")


def run(
    tasks: list[str],
    store: ParquetStore,
    *,
    mode: Mode = "ingest",
    workers: int = 1,
    fingerprints: str | None = None,
    on_error: ErrorPolicy = "warn",
    batch_rows: int = 20_000,
    on_problem: Callable[[str], None] | None = None,
    on_progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest (or re-analyze) ``tasks`` into ``store``; returns the summary.

    Bad lines go to ``on_problem`` as ``file:line: reason`` (policy ``warn``), are only counted
    (``ignore``), or stop the run with an :class:`InputError` (``fail``) after which everything
    committed so far stays committed.
    """
    use_reusing_allocator()
    report = IngestReport()
    writer = _Writer(store, report, batch_rows)
    started = time.perf_counter()

    def take(result: ChunkResult) -> None:
        report.lines += result.lines
        report.input_bytes += result.input_bytes
        report.bad += len(result.bad)
        report.analysis_errors += len(result.analysis_errors)
        for number, reason in sorted(result.bad + result.analysis_errors):
            text = f"{result.source}:{number}: {reason}"
            if len(report.problems) < 20:
                report.problems.append(text)
            if on_error == "fail":
                raise InputError(reason, path=result.source, line=number)
            if on_error == "warn" and on_problem is not None:
                on_problem(text)
        if result.file_done:
            report.files += 1
        writer.add(result.batch)
        if on_progress is not None:
            on_progress(report)

    work: list[Task] = []
    for task in tasks:
        spans = split(Path(task), workers) if mode == "ingest" and workers > 1 else None
        work.extend(spans or [task])
    if workers <= 1 or len(work) <= 1:
        loaded = _load_fingerprints(fingerprints)
        for item in work:
            for result in _chunks(item, mode, loaded):
                take(result)
    else:
        for done in _run_parallel(work, mode, workers, fingerprints, take):
            report.worker_cpu_seconds += done.cpu_seconds
            report.worker_peak_rss_kb = max(report.worker_peak_rss_kb, done.peak_rss_kb)
    writer.flush()
    report.seconds = time.perf_counter() - started
    return report


def _run_parallel(
    tasks: list[Task],
    mode: Mode,
    workers: int,
    fingerprints: str | None,
    take: Callable[[ChunkResult], None],
) -> list[_WorkerDone]:
    context = mp.get_context("forkserver")
    task_queue: Any = context.Queue()
    results: Any = context.Queue(maxsize=2 * workers)  # backpressure: bounded memory
    for task in tasks:
        task_queue.put(task)
    count = min(workers, len(tasks))
    for _ in range(count):
        task_queue.put(None)
    procs = [
        context.Process(target=_worker, args=(task_queue, results, mode, fingerprints), daemon=True)
        for _ in range(count)
    ]
    for proc in procs:
        proc.start()
    finished: list[_WorkerDone] = []
    try:
        while len(finished) < count:
            try:
                result = results.get(timeout=5)
            except queue.Empty:
                dead = [p for p in procs if not p.is_alive() and p.exitcode not in (0, None)]
                if dead:
                    raise RuntimeError(
                        f"an ingest worker died (exit code {dead[0].exitcode})"
                    ) from None
                continue
            if isinstance(result, _WorkerDone):
                finished.append(result)
            else:
                take(result)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
    return finished
