"""How long `netvigil lab run` takes to exit after Ctrl-C, on a busy machine (issue 17).

Starts a full lab run, waits until probes are running inside the lab's client namespace (the
state the CI test interrupts), sends SIGINT and times the exit, then checks nothing of the lab
is left. ``--load N`` runs N busy loops beside it, as a busy laptop (or CI) would have.

Run as root: sudo .venv/bin/python bench/lab_interrupt.py --trials 5 --load 2
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _namespaces(prefix: str) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]


def _probes_running(prefix: str) -> bool:
    for ns in _namespaces(prefix):
        if ns.endswith("-client"):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
            if pids.stdout.split():
                return True
    return False


def trial(n: int, output: Path) -> tuple[float, float, bool]:
    """(seconds until probes ran, seconds from SIGINT to exit, nothing left behind)."""
    prefix = f"nvb{os.getpid() % 1000}{n}"
    cmd = [sys.executable, "-m", "netvigil", "lab", "run", "--yes", "--prefix", prefix,
           "--output", str(output)]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not _probes_running(prefix):
        if proc.poll() is not None or time.monotonic() - started > 300:
            raise SystemExit(f"trial {n}: the probes never started (exit {proc.poll()})")
        time.sleep(0.1)
    ready = time.monotonic() - started
    interrupted = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=600)
    took = time.monotonic() - interrupted
    return ready, took, not _namespaces(prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--load", type=int, default=2, help="busy loops beside the run")
    args = parser.parse_args()
    busy = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(args.load)]
    try:
        times = []
        for n in range(args.trials):
            ready, took, clean = trial(n, Path(f"/tmp/netvigil-bench-interrupt-{n}.jsonl"))
            times.append(took)
            print(f"trial {n + 1}: probes running after {ready:.1f} s; "
                  f"exit {took:.2f} s after Ctrl-C; lab removed: {clean}")  # fmt: skip
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    print(f"Ctrl-C to exit, {args.trials} trials with {args.load} busy loops on "
          f"{os.cpu_count()} CPUs: median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
