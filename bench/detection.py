"""Detection throughput: 10,000 series x 30 days of 5-minute bins (8,640 bins each) per detector.

Each detector runs in its own child process (so that peak RSS, from resource.getrusage's
ru_maxrss, belongs to that detector alone) on the same generated series: same seed, generated in
chunks of 500 series, generation time not counted. Each child also times, on the same chunks, a
baseline: one numpy nanmedian over the last 7 days of every series, the least a median-based
detector must do; the ratio to it is printed. Wall and CPU seconds are both printed because the
machine may be shared.

    python bench/detection.py --series 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OUTAGES = Path("../shared/data/outages/ioda_investigated_outages_cleaned_phase1+2.csv")


def run_one(args: argparse.Namespace) -> dict[str, float]:
    from netvigil.detect import registry
    from netvigil.detect.benchmark import generate
    from netvigil.detect.ground_truth import read_outage_list

    labels, _ = read_outage_list(args.outages)
    rng = np.random.default_rng(args.seed)
    wall = cpu = base = 0.0
    events = done = 0
    while done < args.series:
        n = min(args.chunk, args.series - done)
        values, _, _ = generate(rng, labels, n, days=args.days, step=300)
        t0 = time.perf_counter()
        np.nanmedian(values[:, -7 * 288 :], axis=1)
        base += time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        found = registry.run(args.worker, values, 300)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        events += sum(len(f) for f in found)
        done += n
        del values, found
    return {
        "wall": wall,
        "cpu": cpu,
        "baseline": base,
        "events": events,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--outages", type=Path, default=OUTAGES)
    ap.add_argument("--detector", action="append", default=None, help="default: netvigil, ioda")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(run_one(args)))
        return
    bins = args.days * 86400 // 300
    print(f"{args.series} series x {bins} bins ({args.days} days, 5-min bins), seed {args.seed}")
    for name in args.detector or ["netvigil", "ioda"]:
        cmd = [sys.executable, __file__, "--worker", name, "--series", str(args.series),
               "--days", str(args.days), "--chunk", str(args.chunk), "--seed", str(args.seed),
               "--outages", str(args.outages)]  # fmt: skip
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{name:>9}: {args.series / r['wall']:,.1f} series/s wall"
            f" ({r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU; {args.series / r['cpu']:,.1f}"
            f" series/CPU-s), {r['wall'] / r['baseline']:.0f}x the 7-day-median baseline,"
            f" {r['events']} events, peak RSS {r['peak_rss_mb']:,.0f} MB"
        )


if __name__ == "__main__":
    main()
