"""Detection throughput: 10,000 active-probing series x 30 days of 5-minute bins (8,640 bins each).

The series come from the synthetic benchmark (``netvigil.detect.benchmark``, kind "active", seed
7), are generated once into a temporary file, and every detector runs in its own child process on
that same file (so that peak RSS, from ru_maxrss, belongs to that detector alone; generation is
not counted). ``--before DIR`` also runs the detectors of another checkout's ``src`` on the same
file (e.g. the code before a change: ``git archive <commit> src | tar -x -C /tmp/before``). Wall
and CPU seconds are both printed because the machine may be shared; series per CPU-second is the
figure to compare.

    python bench/detection.py --series 10000 --before /tmp/before/src
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUTAGES = Path("../shared/data/outages/ioda_investigated_outages_cleaned_phase1+2.csv")


def write_series(args: argparse.Namespace, path: Path) -> int:
    from netvigil.detect.benchmark import generate
    from netvigil.detect.ground_truth import read_outage_list

    labels, _ = read_outage_list(args.outages)
    rng = np.random.default_rng(args.seed)
    bins = args.days * 86400 // 300
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(args.series, bins))
    done = 0
    while done < args.series:
        n = min(args.chunk, args.series - done)
        part = generate(rng, labels, n, days=args.days, kind="active", step=300)
        out[done : done + n] = np.stack([s.values for s in part])
        done += n
    out.flush()
    return bins


def run_one(args: argparse.Namespace) -> dict[str, float]:
    from netvigil.detect import registry

    mapped = np.load(args.data, mmap_mode="r")
    (series, bins), offset = mapped.shape, mapped.offset
    del mapped  # read chunks with plain reads: mapped pages would count in every child's RSS
    wall = cpu = 0.0
    events = 0
    for lo in range(0, series, args.chunk):
        n = min(args.chunk, series - lo)
        raw = np.fromfile(args.data, np.float32, n * bins, offset=offset + lo * bins * 4)
        values = raw.reshape(n, bins).astype(np.float64)
        t0, c0 = time.perf_counter(), time.process_time()
        found = registry.run(args.worker, values, 300, "ping-slash24")
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        events += sum(len(f) for f in found)
        del values, found
    return {
        "wall": wall,
        "cpu": cpu,
        "events": events,
        "version": registry.version(args.worker),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--outages", type=Path, default=OUTAGES)
    ap.add_argument("--detector", action="append", default=None, help="default: netvigil, ioda")
    ap.add_argument("--before", type=Path, help="another checkout's src directory to compare")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--make-data", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(run_one(args)))
        return
    if args.make_data:
        print(write_series(args, args.data))
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "series.npy"
        # Generated in a child too: a child forked from a parent that holds the series would
        # start with the parent's RSS in its ru_maxrss.
        make = [sys.executable, __file__, "--make-data", "--data", str(data),
                "--series", str(args.series), "--days", str(args.days), "--seed", str(args.seed),
                "--chunk", str(args.chunk), "--outages", str(args.outages)]  # fmt: skip
        made = subprocess.run(make, check=True, capture_output=True, text=True)
        bins = int(made.stdout.split()[-1])
        print(f"{args.series} series x {bins} bins ({args.days} days, 5-min), seed {args.seed}")
        runs = [(name, None) for name in args.detector or ["netvigil", "ioda"]]
        if args.before:
            runs += [(name, args.before) for name in args.detector or ["netvigil"]]
        for name, src in runs:
            cmd = [sys.executable, __file__, "--worker", name, "--data", str(data),
                   "--chunk", str(args.chunk)]  # fmt: skip
            env = dict(os.environ)
            if src is not None:
                env["PYTHONPATH"] = str(src.resolve())
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            label = f"{name} {r['version']}" + (" (--before)" if src else "")
            print(
                f"{label:>22}: {args.series / r['cpu']:,.1f} series per CPU-second"
                f" ({r['cpu']:.1f} s CPU, {r['wall']:.1f} s wall,"
                f" {args.series / r['wall']:,.1f} series/s wall), {r['events']} events,"
                f" peak RSS {r['peak_rss_mb']:,.0f} MB"
            )


if __name__ == "__main__":
    main()
