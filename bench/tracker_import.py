"""Tracker storage figures: STOP import/re-import/export rates and repository read latency.

Reads the STOP workbook (baseline: parsing alone), imports it into a fresh tracker, pads it to
``--incidents`` with copies of its rows under new natural keys (same importer path), re-imports
(nothing changes: the idempotence path), exports stop-csv, then times the repository calls the
web app makes: a public list page of 50 with random filters, and public get by id.

    python bench/tracker_import.py                      # SQLite in a temp dir, 3,000 incidents
    python bench/tracker_import.py --db postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from netvigil.incidents import Actor, IncidentFilter, Tracker
from netvigil.incidents.stop_io import read_stop, write_stop_csv

REPO = Path(__file__).resolve().parent.parent
WORKBOOK = REPO.parent / "shared" / "data" / "stop" / "Keepiton_raw_dataset_2016-2022.xlsx"


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="tracker URL (default: SQLite in a temp dir)")
    parser.add_argument("--incidents", type=int, default=3000)
    parser.add_argument("--reads", type=int, default=2000, help="list pages and gets each")
    args = parser.parse_args()
    if not WORKBOOK.is_file():
        raise SystemExit(f"the STOP workbook is absent: {WORKBOOK}")
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='nv-bench-')}/incidents.sqlite"
    rng = random.Random(5)
    admin = Actor("bench", "admin")

    t = time.perf_counter()
    rows, _ = read_stop(WORKBOOK)
    parse_s = time.perf_counter() - t
    published = [r for r in rows if r.status == "published"]
    copies = [
        replace(
            published[i % len(published)],
            natural_key=f"{published[i % len(published)].natural_key}:copy{i}",
        )
        for i in range(max(0, args.incidents - len(rows)))
    ]
    all_rows = rows + copies

    with Tracker(url) as tracker:
        t = time.perf_counter()
        first = tracker.import_stop_rows(all_rows, admin, source="bench")
        import_s = time.perf_counter() - t
        t = time.perf_counter()
        again = tracker.import_stop_rows(all_rows, admin, source="bench")
        reimport_s = time.perf_counter() - t
        t = time.perf_counter()
        exported = write_stop_csv(tracker.iter_incidents(public=False), io.StringIO())
        export_s = time.perf_counter() - t

        ids = [i.id for i in tracker.list_incidents(IncidentFilter(limit=None), public=True)]
        countries = sorted({c for c in tracker.stats("country")})
        list_ms: list[float] = []
        get_ms: list[float] = []
        for _ in range(args.reads):
            f = IncidentFilter(
                country=rng.choice([None, *countries[:20]]),
                year=rng.choice([None, 2019, 2020, 2021, 2022]),
                limit=50,
                offset=rng.choice([0, 0, 50, 100]),
            )
            t = time.perf_counter()
            tracker.list_incidents(f, public=True)
            tracker.count_incidents(f, public=True)
            list_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            tracker.get_incident(rng.choice(ids), public=True)
            get_ms.append((time.perf_counter() - t) * 1000)
        audit_ok = tracker.verify_audit().ok

    n = len(all_rows)
    print(f"database: {url.split('://')[0]}, {n} incidents ({len(copies)} padded copies)")
    print(f"parse workbook (baseline): {len(rows) / parse_s:8.0f} rows/s  ({parse_s:.2f} s)")
    print(
        f"import (create):           {n / import_s:8.0f} rows/s  ({import_s:.2f} s, "
        f"created {first.created}; {parse_s / len(rows) * n / import_s:.2f}x parse rate)"
    )
    print(
        f"re-import (no change):     {n / reimport_s:8.0f} rows/s  ({reimport_s:.2f} s, "
        f"created {again.created}, updated {again.updated})"
    )
    print(f"export stop-csv:           {exported / export_s:8.0f} rows/s  ({export_s:.2f} s)")
    print(
        f"list page (50) + count:    p50 {pct(list_ms, 50):6.2f} ms  p99 {pct(list_ms, 99):6.2f} ms"
    )
    print(
        f"get by id:                 p50 {pct(get_ms, 50):6.2f} ms  p99 {pct(get_ms, 99):6.2f} ms"
    )
    print(f"audit chain intact: {audit_ok}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
