"""kill -9 of `netvigil pipeline run` at any point of a round loses nothing and doubles nothing:
the next run ends with exactly the signals and events of a run that was never interrupted."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netvigil.store import open_store
from pipelinekit import World, story_rows, world
from storekit import env, wait_until

KIT = Path(__file__).resolve().parent.parent / "pipelinekit.py"


def _command(w: World, *extra: str) -> list[str]:
    return ["pipeline", "run", "--store", w.url, "--bin", "10", "--grace", "0", "--window", "10",
            "--once", *extra]  # fmt: skip


def _environment(w: World) -> dict[str, str]:
    return {**env(), "NETVIGIL_PIPELINE__STATE_DIR": str(w.state_dir)}


def _run(w: World, now: int) -> None:
    done = subprocess.run(
        [sys.executable, str(KIT), "--now", str(now), "--", *_command(w)],
        env=_environment(w),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def _outcome(url: str) -> tuple[list[tuple[str, ...]], list[tuple[object, ...]]]:
    reader = open_store(url, writable=False)
    events = sorted(
        (e.event.kind, e.event.event_id, str(e.event.end), e.event.signals[0])
        for e in reader.events().events
    )
    points = sorted(
        (p.entity_type, p.entity_code, p.signal, p.timestamp, p.value) for p in reader.signals()
    )
    return events, points


@pytest.mark.parametrize("where", ["signals", "events", "state"])
def test_kill_9_mid_round_then_restart_equals_an_uninterrupted_run(
    tmp_path: Path, where: str
) -> None:
    base = int(time.time()) // 10 * 10 - 600  # five minutes of data, within the horizon
    now = base + 300  # the clock of every run: the 30 bins have closed
    killed = world(tmp_path / "killed")
    killed.commit(story_rows(base))
    reference = world(tmp_path / "reference")
    shutil.copytree(killed.url, reference.url)
    _run(reference, now)
    expected = _outcome(reference.url)
    assert sorted((e[0], e[3]) for e in expected[0]) == [
        ("blocking", "verdicts"),
        ("outage", "usable_measurements"),
        ("outage", "usable_measurements"),
        ("platform_outage", "down_share"),
    ]

    ready = tmp_path / "ready"
    pause = ["--now", str(now), "--pause-at", where, "--ready", str(ready)]
    proc = subprocess.Popen(
        [sys.executable, str(KIT), *pause, "--", *_command(killed)],
        env=_environment(killed),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_until(ready.exists, f"the pipeline to stop at {where}", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _run(killed, now)  # the next run goes on from the last saved state
    assert _outcome(killed.url) == expected
    _run(killed, now)  # and a run with nothing new changes nothing
    assert _outcome(killed.url) == expected
    versions = open_store(killed.url, writable=False).events().events
    assert len({v.event.event_id for v in versions}) == len(versions)


def test_a_second_pipeline_on_the_same_store_is_refused(tmp_path: Path) -> None:
    from netvigil._errors import StoreError
    from netvigil.pipeline import StateFile

    w = world(tmp_path)
    first = StateFile(w.state_dir, w.url)
    try:
        with pytest.raises(StoreError, match=r"another pipeline \(pid \d+\) is already running"):
            StateFile(w.state_dir, w.url)
    finally:
        first.close()
    StateFile(w.state_dir, w.url).close()  # free again once the first has stopped
