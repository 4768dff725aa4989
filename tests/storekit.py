"""Store test kit: the backends under contract, realistic batches, and a writer process.

Imported by the store tests (``from storekit import ...``) and run as a separate writer process
(``python tests/storekit.py URL measurements --seed 5 --count 40 --batches 3``, or a real command:
``python tests/storekit.py URL netvigil --pause-at before-line --ready F -- detect --store URL``)
by the crash and concurrency tests. A writer process can stop inside its last commit
(``--pause-at``) and wait to be killed; where it stops is backend-specific (``pause_in_commit``).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
if str(REPO / "src") not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO / "src"))

from netvigil.analysis import measurement_uid  # noqa: E402
from netvigil.ingest import synthetic  # noqa: E402
from netvigil.ingest.chunks import analyze_chunk  # noqa: E402
from netvigil.ingest.sources import Line  # noqa: E402
from netvigil.models.events import Event  # noqa: E402
from netvigil.store import Batch, open_store  # noqa: E402

# Every backend the contract tests run on (each has its branch in store_url() and
# pause_in_commit()): the embedded DuckDB/Parquet store, and ClickHouse in process (chdb), which
# runs the same SQL, engines and client code as a ClickHouse server.
BACKENDS = ("embedded", "chdb")
PAUSE_POINTS = ("before-line", "half-line")
START = datetime(2024, 2, 1)


def store_url(backend: str, directory: Path) -> str:
    """A fresh, empty store of ``backend`` under ``directory``."""
    if backend == "embedded":
        return str(directory / "store")
    if backend == "chdb":
        return f"chdb:{directory / 'chstore'}"
    raise ValueError(f"unknown backend {backend!r}")


def backend_of(url: str) -> str:
    """The backend a store URL names (the inverse of store_url)."""
    return "chdb" if url.startswith("chdb:") else "embedded"


@functools.cache
def _templates() -> list[synthetic.Template]:
    base = SHARED_DATA / "ooni" / "probecli_minipipeline"
    found = sorted(base.glob("generated/*/measurement.json"))
    if not found:
        raise FileNotFoundError(f"reference data {base} is absent")
    return synthetic.templates_of([json.loads(p.read_bytes()) for p in found])


def measurement_lines(count: int, *, seed: int) -> list[bytes]:
    """``count`` distinct measurements (OONI JSON lines) over three days, from real fixtures.

    Line ``i`` of a seed is the same whatever ``count``: writers that take different slices of
    one seed's lines overlap exactly where their slices do.
    """
    urls = [f"https://site{i}.example/" for i in range(40)]
    out = []
    for i in range(count):
        [line] = synthetic.lines(
            _templates(), urls, 1, seed=seed * 1_000_003 + i, start=START, days=3, mean_bytes=3000
        )
        out.append(line)
    return out


def batch_of(lines: Sequence[bytes]) -> Batch:
    """The three tiers of ``lines`` exactly as ingest builds them."""
    result = analyze_chunk(
        "storekit.jsonl", [Line(i + 1, d, True) for i, d in enumerate(lines)], None
    )
    assert result.batch is not None and not result.bad
    return result.batch


def keys_of(lines: Sequence[bytes]) -> list[tuple[str, str, str]]:
    """``(day, cc, measurement_uid)`` of each line, as ``AnalyticalStore.is_stored`` takes."""
    out = []
    for line in lines:
        m = orjson.loads(line)
        out.append((m["measurement_start_time"][:10], m["probe_cc"], measurement_uid(m)))
    return out


def events_of(count: int, *, seed: int, ended: bool = False) -> list[Event]:
    """``count`` distinct blocking events; ``ended``: the same events with an end."""
    start = datetime(2024, 2, 1, tzinfo=UTC)
    return [
        Event(
            entity=f"country:IR/asn:AS{seed}{i:03d}/domain:site{i}.example",
            kind="blocking",
            start=start + timedelta(hours=i),
            end=start + timedelta(hours=i + 30) if ended else None,
            score=7.0 + i,
            signals=("verdicts",),
            detector="cusum",
            detector_version="1.0",
            detected_at=start + timedelta(hours=i + 10),
        )
        for i in range(count)
    ]


def wait_until(check: Callable[[], bool], what: str, proc: Any = None, limit: float = 180) -> None:
    """Wait for observable state (never for time); ``limit`` only stops a hung test."""
    deadline = time.monotonic() + limit
    while not check():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def env() -> dict[str, str]:
    """Environment of a netvigil or writer subprocess (this checkout's code)."""
    paths = [str(REPO / "src"), str(REPO / "tests")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def writer(url: str, *args: str, stderr: Any = subprocess.PIPE) -> subprocess.Popen[bytes]:
    """Start this module as a writer process on the store at ``url``."""
    return subprocess.Popen(
        [sys.executable, __file__, url, *args], env=env(), stdout=subprocess.PIPE, stderr=stderr
    )


def pause_in_commit(backend: str, where: str, ready: Path, after: int = 0) -> None:
    """Make this process's next commit stop at ``where`` (just before its commit point, or
    half-way through writing it), say so in ``ready``, and wait to be killed. ``after``: let
    that many commits through first (ClickHouse only).

    ClickHouse's commit point is one row claimed in ``commits``: ``before-line`` stops with every
    row of the batch inserted, just before the claim; ``half-line`` (a row cannot be half
    written) stops half-way through inserting the batch's tables, the first one written.
    """
    if backend == "chdb":
        _pause_clickhouse(where, ready, after)
        return
    if backend != "embedded":
        raise ValueError(f"no pause point for backend {backend!r}")
    from netvigil.store import commitlog

    def append(self: commitlog.LogState, record: dict[str, Any]) -> commitlog.Commit:
        if where == "half-line":
            line = orjson.dumps({"seq": self.seq + 1, **record}) + b"\n"
            with open(self.path, "ab") as fh:
                fh.write(line[: len(line) // 2])
                fh.flush()
                os.fsync(fh.fileno())
        ready.write_text(where)
        while True:
            time.sleep(3600)

    commitlog.LogState.append = append  # type: ignore[method-assign]


def _pause_clickhouse(where: str, ready: Path, after: int) -> None:
    from netvigil.store.clickhouse import ClickHouseStore

    passed = [0]

    def stop() -> None:
        passed[0] += 1
        if passed[0] <= after:
            return
        _let_go_of_chdb()
        ready.write_text(where)
        while True:
            time.sleep(3600)

    if where == "before-line":
        claim = ClickHouseStore._claim

        def paused_claim(self: ClickHouseStore, client: Any, seq: int, batch: str, kind: str,
                         *args: Any) -> bool:  # fmt: skip
            if kind in ("measurements", "events", "signals"):
                stop()
            return claim(self, client, seq, batch, kind, *args)

        ClickHouseStore._claim = paused_claim  # type: ignore[method-assign]
    else:
        insert = ClickHouseStore._insert

        def paused_insert(self: ClickHouseStore, client: Any, *args: Any) -> None:
            insert(self, client, *args)
            stop()

        ClickHouseStore._insert = paused_insert  # type: ignore[method-assign]


def _let_go_of_chdb() -> None:
    """A chdb writer stopped in its commit lets go of the engine and of the store's lock, as its
    death would, so that readers can look at what it left while it waits to be killed (with
    chdb a data directory belongs to one process at a time: clickhouse_conn)."""
    import fcntl

    from netvigil.store import clickhouse_conn, commitlog

    shared = clickhouse_conn._Shared
    if shared.client is None or shared.path is None:
        return
    shared.client.close()
    lock = str((shared.path / commitlog.LOCK_FILE).resolve())
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == lock:
                fcntl.flock(int(fd), fcntl.LOCK_UN)
        except OSError:
            continue


def main() -> None:
    parser = argparse.ArgumentParser(description="a store writer process for the store tests")
    parser.add_argument("url")
    parser.add_argument("what", choices=("measurements", "events", "signals", "netvigil"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=40, help="per batch")
    parser.add_argument("--batches", type=int, default=1)
    parser.add_argument("--lines-from", type=int, default=0, help="skip this many lines first")
    parser.add_argument("--pause-at", choices=PAUSE_POINTS, default=None)
    parser.add_argument("--ready", type=Path, default=None)
    parser.add_argument("--pause-after", type=int, default=0, help="commits to let through")
    parser.add_argument("--backend", default=None, help="default: the one the URL names")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.backend = args.backend or backend_of(args.url)
    if args.what == "netvigil":  # a real command (after --), stopped inside its first commit
        from netvigil.cli.main import app

        if args.pause_at is not None:
            pause_in_commit(args.backend, args.pause_at, args.ready, args.pause_after)
        app(args=argv[cut + 1 :], prog_name="netvigil")
        return
    if args.what == "measurements":
        lines = measurement_lines(args.lines_from + args.count * args.batches, seed=args.seed)
    with open_store(args.url) as store:
        for number in range(args.batches):
            if args.pause_at is not None and number == args.batches - 1:
                pause_in_commit(args.backend, args.pause_at, args.ready)
            if args.what == "measurements":
                first = args.lines_from + number * args.count
                info = store.commit(batch_of(lines[first : first + args.count]))
                done: dict[str, Any] = {"rows": info.rows, "duplicates": info.duplicates}
            elif args.what == "events":
                report = store.upsert_events(events_of(args.count, seed=args.seed + number))
                done = {"new": report.new, "changed": report.changed}
            else:
                points = _points(args.count, seed=args.seed)
                done = {"rows": store.write_signals(points, source=f"kit{args.seed}").rows}
            print(orjson.dumps(done).decode(), flush=True)


def _points(count: int, *, seed: int) -> list[Any]:
    from netvigil.models.signals import SignalPoint

    return [
        SignalPoint("country", "IR", "kit", 1706745600 + 300 * i, float(seed)) for i in range(count)
    ]


if __name__ == "__main__":
    main()
