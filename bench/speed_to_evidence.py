"""Speed to evidence: seconds from a change in a network (T0) to its first verdict and its event.

Runs the lab's story (``netvigil lab observe``) at a deployment's settings instead of the story's
compressed time: probes every 60 s (``--every 1m``), the pipeline at its defaults (bins of 60 s,
30 s of grace, a 300 s volume window), the collector at its defaults. The lab keeps its short
network timeouts (as ``lab run``): they only matter for steps whose connections time out. Then
it splits each step's delay into stages, read from the store the run leaves:

1. schedule: T0 -> the first measurement showing the change starts (the probe's next run);
2. submit: -> its verdict is in the store (measure, upload, journal, drain, commit);
3. evidence: -> the measurement that completes the detector's evidence starts (the event's
   bin: blocking needs three blocked measurements in a row, one a minute from one probe);
4. bin close: -> that bin has ended and its grace has passed;
5. pipeline: -> the event is in the store (the pipeline's next round).

Target (issue 20): the event within 5 minutes of T0 at a 1-minute probe interval.

    python bench/speed_to_evidence.py                 # steps a1 and b (about 12 minutes)
    python bench/speed_to_evidence.py --step a1 --step c
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from netvigil.lab.story import STEPS  # noqa: E402
from netvigil.store import open_store  # noqa: E402

DEFAULTS = {"interval": 60, "bin": 60, "grace": 30.0, "window": 300}
COLUMNS = ["measurement_start_time", "probe_cc", "probe_asn", "test_name", "domain", "outcome",
           "blocking", "accessible", "rule_id"]  # fmt: skip


def _epoch(moment: Any) -> float:
    return float(moment.replace(tzinfo=UTC).timestamp())


def stages(step: dict[str, Any], store: Any) -> dict[str, float | None]:
    """The delay of each stage of one step, in seconds (None where it does not apply)."""
    spec = next(s for s in STEPS if s.key == step["step"])
    t0, first, verdict, seen = step["t0"], step["first_measurement"], step["verdict"], step["event"]
    feed = [e.event for e in store.events().events]
    event = next(e for e in feed if e.kind == spec.kind and e.entity == spec.entity)
    detected = event.detected_at.timestamp()
    rows = store.verdicts(columns=COLUMNS).to_pylist()
    starts = [_epoch(r["measurement_start_time"]) for r in rows if spec.shows(r)]
    last = [s for s in starts if detected <= s < detected + DEFAULTS["bin"]]
    completing = max(last) if last else None
    closed = detected + DEFAULTS["bin"] + DEFAULTS["grace"]
    return {
        "schedule": None if first is None else first - t0,
        "submit": None if first is None or verdict is None else verdict - first,
        "evidence": None if completing is None or first is None else completing - first,
        "bin_close": None if completing is None else closed - completing,
        "pipeline": seen - closed,
        "first_verdict": None if verdict is None else verdict - t0,
        "event": seen - t0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", action="append", default=None, help="a1, a2, b, c")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    steps = args.step or ["a1", "b"]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="speed-")) / "run"
    command = [
        sys.executable, "-m", "netvigil", "lab", "observe", "--workdir", str(work), "--json",
        "--interval", str(DEFAULTS["interval"]), "--bin", str(DEFAULTS["bin"]),
        "--grace", str(DEFAULTS["grace"]), "--window", str(DEFAULTS["window"]),
        "--warm-bins", "0" if "c" not in steps else "4", "--step-timeout", "900",
        *(a for s in steps for a in ("--step", s)),
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"lab observe failed ({done.returncode}): {done.stderr[-2000:]}")
    timeline = json.loads(done.stdout)
    store = open_store(work / "store", writable=False)
    print(f"speed to evidence in the lab: probes every {DEFAULTS['interval']} s, pipeline bins of "
          f"{DEFAULTS['bin']} s + {DEFAULTS['grace']:g} s grace (defaults); run took "
          f"{time.monotonic() - started:.0f} s; data in {work}")  # fmt: skip
    names = ("schedule", "submit", "evidence", "bin_close", "pipeline", "first_verdict", "event")
    print(f"{'step':<5}" + "".join(f"{n:>14}" for n in names))
    for step in timeline:
        found = stages(step, store)
        cells = "".join(f"{'-' if v is None else f'{v:.1f} s':>14}" for v in found.values())
        print(f"{step['step']:<5}{cells}")
    print("target: the event within 300 s of T0")


if __name__ == "__main__":
    main()
