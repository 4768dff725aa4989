"""The story's timeline as people read it: per step, T0, the first measurement showing it, its
verdict, the event, and the delay of each from T0; then how to open the data it made."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from netvigil.lab.observe import ObserveSettings, StepResult, Story, censorship_events


def rows(story: Story) -> list[dict[str, Any]]:
    """The timeline as plain values (the JSON the command prints with --json)."""
    out = []
    for r in story.results:
        out.append(
            {
                "step": r.step.key,
                "what": r.step.title,
                "t0": r.t0,
                "first_measurement": r.first,
                "verdict": r.verdict,
                "event": r.event,
                "event_kind": r.step.kind,
                "event_entity": r.step.entity,
                "undone": r.stopped,
                "event_end": r.ended,
                "gap_measurements": r.gap,
                "delays": {
                    "first_measurement": _delay(r.first, r),
                    "verdict": _delay(r.verdict, r),
                    "event": _delay(r.event, r),
                    "event_end_after_undone": None
                    if r.ended is None or r.stopped is None
                    else round(r.ended - r.stopped, 1),
                },
            }
        )
    return out


def _delay(epoch: float | None, r: StepResult) -> float | None:
    return None if epoch is None else round(epoch - r.t0, 1)


def _plus(epoch: float | None, t0: float) -> str:
    # Rounded to whole seconds before the sign is written: 0.3 s early reads "+0 s", not "-0 s".
    return "-" if epoch is None else f"{round(epoch - t0):+d} s"


def print_story(story: Story, conf: ObserveSettings, *, as_json: bool) -> None:
    """The timeline for people (on stderr when ``as_json``: stdout then holds the JSON only)."""
    console = Console(highlight=False, soft_wrap=True, stderr=as_json)
    say = console.print
    say("\nThe story's timeline (UTC; each delay from the step's T0):")
    for r in story.results:
        say(f"\n{r.step.key:<3} {r.step.title}")
        say(
            f"    T0 {time.strftime('%H:%M:%S', time.gmtime(r.t0))}"
            f" | first measurement showing it {_plus(r.first, r.t0)}"
            f" | its verdict stored {_plus(r.verdict, r.t0)}"
            f" | event {_plus(r.event, r.t0)}"
        )
        say(f"    event: {r.step.kind} {r.step.entity}")
        if r.stopped is not None:
            end = _plus(r.ended, r.stopped)
            say(f"    undone {_plus(r.stopped, r.t0)}; the event ended {end} after that")
        if r.step.key == "c":
            say(
                f"    {r.gap} measurements made during the shutdown reached the store after "
                "it, in the bins they were made in (the detection came first, from the "
                "missing volume)"
            )
    say("")
    if any(r.step.key == "b" for r in story.results):
        wrong = censorship_events(story, "telegram")
        verdict = "none, as it must be" if not wrong else f"{len(wrong)}: WRONG"
        say(f"Blocking events about Telegram in any network during its outage: {verdict}.")
    say(
        f"Compressed time: probes every {conf.interval:g} s and pipeline bins of {conf.bin} s "
        f"stand for a deployment's probes every 1-15 minutes and bins of 60 s; "
        f"{story.verdicts} verdicts in all."
    )
    store, data = conf.workdir / "store", conf.workdir / "data"
    beside = Path(sys.executable).parent / "netvigil"  # the netvigil of this installation
    netvigil = str(beside) if beside.exists() else "netvigil"
    say(f"\nThe data it made is in {conf.workdir}. Its events:")
    say(f"  {netvigil} pipeline events --store {store}")
    say("Open the site on it (then http://127.0.0.1:8000/):")
    say(f"  NETVIGIL_STORE={store} NETVIGIL_DATA_DIR={data} {netvigil} serve --insecure-cookies")
    if as_json:
        sys.stdout.write(orjson.dumps(rows(story)).decode() + "\n")
