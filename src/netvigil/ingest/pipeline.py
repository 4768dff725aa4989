"""The ingest runner: files -> worker processes (parse, analysis, staged writes) -> the parent.

Workers take tasks from a queue (whole files, or line-aligned spans of a big plain JSONL file
such as the probe's spool), analyze them chunk by chunk, buffer the rows and *stage* them in the
store themselves (files nobody reads yet) when the buffer is full. The parent only counts,
reports problems and commits the staged batches (the store drops what it already holds, from
this run or from any other writer), and the ~18 KB lines never cross a pipe (compressing them
for the pipe, or copying them through it, cost more CPU than writing them).
Memory stays bounded whatever the input size: a worker holds at most its buffer
(``batch_rows`` measurements or ``MAX_BUFFER_BYTES``) plus one chunk.
With one worker everything runs in the calling process (no pickling, simpler to debug).
A rebuild (``netvigil analyze --rebuild``) uses the same runner over the raw tier's files.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing as mp
import queue
import resource
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from netvigil._errors import InputError
from netvigil.ingest.chunks import ChunkResult, Rules, analyze_chunk, raw_line_records
from netvigil.ingest.sources import Damage, Line, Span, read_lines, read_span, split
from netvigil.store.protocol import TIERS, AnalyticalStore, Batch, Staged, StagingTarget

ErrorPolicy = Literal["ignore", "warn", "fail"]
Mode = Literal["ingest", "rebuild"]
CHUNK_LINES = 500  # ~9 MB of realistic measurements, analyzed and sorted together
MAX_BUFFER_BYTES = 256 << 20  # a worker stages its buffer at the latest when it reaches this


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


def _chunks(task: Task, mode: Mode, rules: Rules, target: StagingTarget) -> Iterator[ChunkResult]:
    """The chunk results of one task."""
    last = True
    if isinstance(task, Span):
        lines: Iterator[Line | Damage] = read_span(task)
        last, task = task.last, str(task.path)
    elif mode == "rebuild":
        lines = iter(raw_line_records(target.raw_lines(task)))
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
        result = analyze_chunk(name, pending, rules, keep_raw=mode == "ingest")
        result.source = task
        result.bad.extend((d.number, d.reason) for d in damage)
        yield result
        pending, damage = [], []
    yield ChunkResult(source=task, batch=None, file_done=last)


@dataclass(frozen=True)
class _WorkerDone:
    """A worker's last message: its resource usage, for the benchmark's per-core figures."""

    cpu_seconds: float
    peak_rss_kb: int


def use_reusing_allocator() -> None:
    """Make this process reuse freed memory instead of giving it back to the kernel.

    Ingest allocates and frees ~100 MB of lines per batch, and a page faulted in again costs a
    lot on the virtual machines we measured on. Arrow allocates from jemalloc (or the system
    allocator): its default mimalloc pool handed fresh pages back each time, which made sorting
    and copying a batch ~4x slower. glibc's malloc (Python's large objects: lines, joined
    columns) keeps up to 512 MB of freed memory and serves blocks up to 32 MB from its heap
    instead of fresh mappings: ~5% less CPU per measurement in bench/analysis_throughput.py.
    Only buffers allocated after the call use the new Arrow pool; existing ones keep theirs.
    """
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.system_memory_pool())
    _keep_freed_memory()


def _keep_freed_memory() -> None:
    """glibc's mallopt (what MALLOC_TRIM_THRESHOLD_ etc. set at start-up); a no-op elsewhere."""
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    if mallopt is None:
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_trim_threshold, 512 << 20)
    mallopt(m_top_pad, 64 << 20)
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's maximum on 64-bit


class _Buffer:
    """A worker's analyzed rows, staged as one batch when full.

    A measurement met twice by the same worker (the same line in two files) is dropped here;
    across workers and runs the parent drops it against the store's index before committing.
    """

    def __init__(self, target: StagingTarget, rows: int, max_bytes: int) -> None:
        self.target = target
        self.limit_rows = rows
        self.limit_bytes = max_bytes
        self.batches: list[Batch] = []
        self.rows = 0
        self.bytes = 0
        self.uids: set[str] = set()

    def add(self, batch: Batch) -> int:
        """Keep ``batch``'s rows; returns how many measurements were already buffered.

        A chunk holds each uid once (``analyze_chunk`` drops repeats inside it).
        """
        dropped = 0
        if batch.raw is not None and batch.raw.num_rows:
            uids = batch.raw.column("measurement_uid").to_pylist()
            if not self.uids.isdisjoint(uids):
                batch, dropped = _without(batch, uids, self.uids)
            self.uids.update(uids)
        rows = batch.verdicts.num_rows if batch.verdicts is not None else 0
        rows = max(rows, batch.raw.num_rows if batch.raw is not None else 0)
        if rows:
            self.batches.append(batch)
            self.rows += rows
            self.bytes += sum(t.nbytes for _, t in batch.tables())
        return dropped

    def full(self) -> bool:
        return self.rows >= self.limit_rows or self.bytes >= self.limit_bytes

    def stage(self) -> Staged | None:
        if not self.batches:
            return None
        merged = Batch(
            *(_concat([getattr(b, t) for b in self.batches]) for t in TIERS),
        )
        self.batches, self.rows, self.bytes = [], 0, 0
        self.uids.clear()
        return self.target.stage(merged)


def _without(batch: Batch, uids: list[str], seen: set[str]) -> tuple[Batch, int]:
    """``batch`` without the measurements whose uid is in ``seen``."""
    keep = [uid not in seen for uid in uids]
    accepted = pa.array([uid for uid, fresh in zip(uids, keep, strict=True) if fresh], pa.string())

    def only(table: Any) -> Any:
        if table is None:
            return None
        return table.filter(pc.is_in(table.column("measurement_uid"), value_set=accepted))

    raw: Any = batch.raw
    filtered = Batch(raw.filter(pa.array(keep)), only(batch.observations), only(batch.verdicts))
    return filtered, keep.count(False)


def _analyze_tasks(
    tasks: Iterable[Task],
    mode: Mode,
    rules: Rules,
    buffer: _Buffer,
    emit: Callable[[ChunkResult], None],
) -> None:
    """Analyze ``tasks``, stage the rows whenever the buffer is full, emit every chunk's result
    (without its rows) and finally the last staged batch."""
    for task in tasks:
        for result in _chunks(task, mode, rules, buffer.target):
            if result.batch is not None:
                result.duplicates += buffer.add(result.batch)
                result.batch = None
            if buffer.full():
                result.staged = buffer.stage()
            emit(result)
    last = buffer.stage()
    if last is not None:
        emit(ChunkResult(source="", batch=None, staged=last))


def _worker(
    tasks: Any,
    results: Any,
    mode: Mode,
    fingerprints: str | None,
    ip_table: str | None,
    target: StagingTarget,
    buffer_rows: int,
    buffer_bytes: int,
) -> None:
    use_reusing_allocator()
    rules = Rules.load(fingerprints, ip_table)
    buffer = _Buffer(target, buffer_rows, buffer_bytes)
    parent = mp.parent_process()

    def emit(result: ChunkResult) -> None:
        # A parent killed with SIGKILL cannot stop its workers: each stops at its next result
        # instead of analyzing (and staging files for) a run nobody will commit.
        while True:
            if parent is not None and not parent.is_alive():
                raise SystemExit(1)
            try:
                results.put(result, timeout=1)
                return
            except queue.Full:
                continue

    _analyze_tasks(iter(tasks.get, None), mode, rules, buffer, emit)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put(_WorkerDone(usage.ru_utime + usage.ru_stime, usage.ru_maxrss))


def _concat(tables: list[Any]) -> Any:
    present = [t for t in tables if t is not None and t.num_rows]
    if not present:
        return None
    return pa.concat_tables(present, promote_options="default")


def run(
    tasks: list[str],
    store: AnalyticalStore,
    *,
    mode: Mode = "ingest",
    workers: int = 1,
    fingerprints: str | None = None,
    ip_table: str | Path | None = None,
    on_error: ErrorPolicy = "warn",
    batch_rows: int = 20_000,
    on_problem: Callable[[str], None] | None = None,
    on_progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest (or re-analyze) ``tasks`` into ``store``; returns the summary.

    Bad lines go to ``on_problem`` as ``file:line: reason`` (policy ``warn``), are only counted
    (``ignore``), or stop the run with an :class:`InputError` (``fail``) after which everything
    committed so far stays committed. Each worker commits its rows in batches of up to
    ``batch_rows`` measurements.
    """
    use_reusing_allocator()
    report = IngestReport()
    started = time.perf_counter()
    table = str(ip_table) if ip_table is not None else None
    rules = Rules.load(fingerprints, table)  # here too, so that a bad file fails before any work

    def take(result: ChunkResult) -> None:
        report.lines += result.lines
        report.input_bytes += result.input_bytes
        report.bad += len(result.bad)
        report.analysis_errors += len(result.analysis_errors)
        report.duplicates += result.duplicates
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
        if result.staged is not None:
            _commit(store, result.staged, report)
        if on_progress is not None:
            on_progress(report)

    work: list[Task] = []
    for task in tasks:
        spans = split(Path(task), workers) if mode == "ingest" and workers > 1 else None
        work.extend(spans or [task])
    count = max(1, min(workers, len(work)))
    target = store.staging_target()
    # Each worker commits its own batches: a batch of all its rows of a day makes one file per
    # tier and day, whose fixed cost (a compressor per column chunk) is paid per file.
    rows, max_bytes = batch_rows, MAX_BUFFER_BYTES
    try:
        if count == 1:
            buffer = _Buffer(target, rows, max_bytes)
            _analyze_tasks(work, mode, rules, buffer, take)
        else:
            options = (mode, fingerprints, table, target, rows, max_bytes)
            for done in _run_parallel(work, count, options, take):
                report.worker_cpu_seconds += done.cpu_seconds
                report.worker_peak_rss_kb = max(report.worker_peak_rss_kb, done.peak_rss_kb)
    finally:
        store.discard_staged()  # a stopped run leaves no staged files behind
    report.seconds = time.perf_counter() - started
    return report


def _commit(store: AnalyticalStore, staged: Staged, report: IngestReport) -> None:
    """Commit what a worker staged; the store drops the measurements it already holds (stored
    by an earlier run, another worker, or another process meanwhile)."""
    info = store.commit_staged(staged)
    report.duplicates += info.duplicates
    report.ingested += max(info.rows.get("raw", 0), info.rows.get("verdicts", 0))
    if info.files:
        report.batches += 1


def _run_parallel(
    tasks: list[Task],
    count: int,
    options: tuple[Any, ...],
    take: Callable[[ChunkResult], None],
) -> list[_WorkerDone]:
    # forkserver, not fork: the parent may run threads (Rich's progress refresh) whose locks a
    # forked child would inherit held. The server imports the analysis once and forks the
    # workers from it, instead of each worker importing it again (~0.5 CPU s each); pandas too
    # (when installed), which pyarrow imports on its first conversion of a Python list (another
    # ~0.5 CPU s per worker). A module missing from the preload list is skipped by the server.
    context = mp.get_context("forkserver")
    context.set_forkserver_preload([__name__, "pandas"])
    task_queue: Any = context.Queue()
    results: Any = context.Queue(maxsize=4 * count)  # backpressure: workers never run far ahead
    for task in tasks:
        task_queue.put(task)
    for _ in range(count):
        task_queue.put(None)
    procs = [
        context.Process(target=_worker, args=(task_queue, results, *options), daemon=True)
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
