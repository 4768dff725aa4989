"""The story's timeline as people read it: per step, T0, the first measurement showing it, its
verdict, the event, and the delay of each from T0; then how to open the data it made."""

from __future__ import annotations

import time
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from netvigil.lab.observe import ObserveSettings, Story, StepResult, censorship_events


def _at(epoch: float | None, t0: float) -> str:
    if epoch is None:
        return "-"
    return f"{time.strftime('%H:%M:%S', time.gmtime(epoch))} ({epoch - t0:+.0f} s)"


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


def print_story(story: Story, conf: ObserveSettings, *, as_json: bool) -> None:
    console = Console()
    table = Table(title="the story's timeline (UTC; delays from each step's T0)")
    for column in ("step", "what happened (T0)", "first measurement", "verdict stored",
                   "event", "event"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for r in story.results:
        table.add_row(
            r.step.key,
            f"{r.step.title}\n{_at(r.t0, r.t0)}",
            _at(r.first, r.t0),
            _at(r.verdict, r.t0),
            _at(r.event, r.t0),
            f"{r.step.kind}\n{r.step.entity}",
        )
    console.print(table)
    for r in story.results:
        if r.stopped is not None:
            end = "-" if r.ended is None else f"{r.ended - r.stopped:+.0f} s"
            extra = ""
            if r.step.key == "c":
                extra = f"; {r.gap} measurements made during the shutdown arrived after it"
            console.print(
                f"{r.step.key}: undone at {_at(r.stopped, r.t0)}; the event ended {end} after"
                f"{extra}",
                highlight=False,
            )
    if any(r.step.key == "b" for r in story.results):
        wrong = censorship_events(story, "telegram")
        verdict = "none (as it must be)" if not wrong else f"{len(wrong)}: WRONG"
        console.print(f"blocking events about Telegram in any network: {verdict}", highlight=False)
    console.print(
        f"compressed time: probes every {conf.interval:g} s and pipeline bins of {conf.bin} s "
        f"(a deployment: probes every 1-15 min, bins of 60 s); {story.verdicts} verdicts in all",
        highlight=False,
    )
    store, data = conf.workdir / "store", conf.workdir / "data"
    console.print(
        f"\nThe data it made is in {conf.workdir}. The events:\n"
        f"  netvigil pipeline events --store {store}\n"
        f"Open the site on it:\n"
        f"  NETVIGIL_STORE={store} NETVIGIL_DATA_DIR={data} netvigil serve --insecure-cookies\n"
        "  (then http://127.0.0.1:8000/)",
        highlight=False,
        soft_wrap=True,
    )
    if as_json:
        console.print_json(orjson.dumps(rows(story)).decode())
