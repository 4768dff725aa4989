"""Speed to evidence in the lab: from the moment a network starts blocking (T0) to the first
measurement showing it, its verdict, the event, and the alert on each channel (webhook, email,
Atom feed); and a calm lab that must produce no alert at all.

    sudo python bench/speed_to_alert.py                 # all three runs below (~45 min)
    sudo python bench/speed_to_alert.py --only default  # one of: default, fast, calm

Runs (each in the lab's sandbox, real processes: censors, collector, pipeline, one probe per
network, the notifier, a webhook receiver, aiosmtpd; ``tests/notify/labalerts.py``):

- ``default``: a deployment's default settings, in real time: probes every 60 s, pipeline bins of
  60 s with 30 s grace, own volume over 300 s, the notifier's group wait 30 s. Target: the alert
  within 10 minutes of T0.
- ``fast``: what it takes to reach 3 minutes (the settings given by ``--fast``; see the printed
  breakdown for where the time goes).
- ``calm``: no censorship for ``--calm-seconds`` of wall time at lab observe's compressed time
  (probes every 5 s, bins of 5 s: each wall minute stands for 12 minutes of a deployment's data).
  Target: zero events, zero alerts.

Prints the figures; no assertion (benchmarks are not tests).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HARNESS = REPO / "tests" / "notify" / "labalerts.py"
STAGES = ("first", "verdict", "event", "webhook", "email", "atom")


def _run(name: str, extra: list[str], workdir: Path) -> dict[str, Any]:
    out = workdir / f"{name}.json"
    argv = [sys.executable, str(HARNESS), "--workdir", str(workdir / name), "--json", str(out),
            *extra]  # fmt: skip
    print(f"[{name}] {' '.join(extra)}", flush=True)
    started = time.time()
    done = subprocess.run(argv, stderr=subprocess.PIPE, text=True)
    (workdir / f"{name}.log").write_text(done.stderr)
    if done.returncode != 0:
        print(f"[{name}] failed ({done.returncode}); log: {workdir / f'{name}.log'}")
        print(done.stderr[-2000:])
        return {}
    result: dict[str, Any] = json.loads(out.read_text())
    result["wall"] = time.time() - started
    return result


def _breakdown(name: str, result: dict[str, Any], target: float) -> None:
    if not result:
        return
    timing, notify = result["timing"], result["notify"]
    print(f"\n{name}: probes every {timing['interval']:g} s, bins {timing['bin']} s "
          f"(grace {timing['grace']:g} s), group wait {notify['group_wait']:g} s; "
          f"time scale x{result['scale']:g}; run {result['wall']:.0f} s")  # fmt: skip
    for step in result["steps"]:
        t0 = step["t0"]
        cells = []
        previous = t0
        for stage in STAGES:
            at = step.get(stage)
            if at is None:
                cells.append(f"{stage} -")
                continue
            cells.append(f"{stage} {at - t0:+.0f} s (+{at - previous:.0f})")
            previous = at if stage in ("first", "verdict", "event") else previous
        print(f"  {step['step']} {step['kind']} {step['entity']}")
        print("    " + " | ".join(cells))
        alert = step.get("webhook")
        if alert is not None:
            seconds = (alert - t0) * result["scale"]
            met = "met" if seconds <= target else "NOT met"
            print(f"    alert {seconds:.0f} s after T0 at deployment scale: target "
                  f"{target / 60:g} min {met}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("default", "fast", "calm"), action="append")
    parser.add_argument("--calm-seconds", type=float, default=1200.0)
    parser.add_argument(
        "--fast",
        default="--interval 30 --bin 20 --grace 10 --window 60 --group-wait 5",
        help="the settings tried for 3 minutes",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    runs = args.only or ["default", "fast", "calm"]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="speed-to-evidence-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if "default" in runs:
        results["default"] = _run("default", ["--real", "--step", "a1", "--step-timeout", "1500"],
                                  workdir)  # fmt: skip
        _breakdown("default settings", results["default"], 600)
    if "fast" in runs:
        results["fast"] = _run("fast", ["--real", "--step", "a1", "--step-timeout", "900",
                                        *args.fast.split()], workdir)  # fmt: skip
        _breakdown("settings for 3 minutes", results["fast"], 180)
    if "calm" in runs:
        calm = _run("calm", ["--calm", str(args.calm_seconds)], workdir)
        results["calm"] = calm
        if calm:
            minutes = args.calm_seconds * calm["scale"] / 60
            alerts = [a for d in calm["deliveries"] for a in d["alerts"]]
            print(f"\ncalm lab: {args.calm_seconds / 60:g} min of wall time = {minutes:g} min of "
                  f"a deployment's data (x{calm['scale']:g}), {calm['verdicts']} verdicts: "
                  f"{len(calm['events'])} events, {len(alerts)} alerts, {calm['emails']} emails "
                  f"(target 0)")  # fmt: skip
            for event in calm["events"]:
                print(f"  event: {event}")
    (workdir / "summary.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nraw results: {workdir / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
