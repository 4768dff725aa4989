"""Several writers on one store at once, as real processes (part of the backend contract).

A long-running ingest is a real ``netvigil ingest`` reading a named pipe: the test decides when
each of its batches arrives (one chunk of lines = one commit), so the writers' commits interleave
in a chosen order without any timing assumption, while both processes stay alive. Every wait is
on state the store shows (``is_stored``), never on time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from netvigil.ingest.pipeline import CHUNK_LINES
from netvigil.store import open_store
from storekit import env, keys_of, measurement_lines, wait_until, writer

C = CHUNK_LINES  # lines an ingest analyzes (and, with --batch-rows C, commits) together
DAY0 = 1_700_000_000 - 1_700_000_000 % 86400


class PipedIngest:
    """``netvigil ingest`` of a named pipe that the test feeds chunk by chunk."""

    def __init__(self, url: str, pipe: Path) -> None:
        os.mkfifo(pipe)
        self.pipe = pipe
        self.fd = -1
        args = ["ingest", "--store", url, "--workers", "1", "--batch-rows", str(C), "--json"]
        self.proc = _netvigil(*args, str(pipe))

    def send(self, lines: list[bytes]) -> None:
        assert len(lines) % C == 0, "whole chunks only: each one is committed on arrival"
        if self.fd < 0:
            wait_until(self._open, "the ingest to open its pipe", self.proc)
        os.write(self.fd, b"".join(line + b"\n" for line in lines))

    def _open(self) -> bool:
        try:
            self.fd = os.open(self.pipe, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: nobody reads the pipe yet
            return False
        os.set_blocking(self.fd, True)
        return True

    def close(self) -> dict[str, Any]:
        """End the input; the ingest's summary once it has finished."""
        if self.fd >= 0:
            os.close(self.fd)
        out, err = self.proc.communicate()
        assert self.proc.returncode == 0, err.decode()
        summary: dict[str, Any] = orjson.loads(out.strip().splitlines()[-1])
        return summary


def _netvigil(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "netvigil", *args],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _run(*args: str) -> str:
    proc = _netvigil(*args)
    out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


def _stored(url: str, lines: list[bytes]) -> bool:
    return all(open_store(url, writable=False).is_stored(keys_of(lines)))


def _raw_uids(url: str) -> list[str]:
    """Every measurement_uid of the raw tier, read back through the interface (as a rebuild)."""
    with open_store(url) as store:
        target = store.staging_target()
        return [uid for source in store.raw_sources() for uid, _ in target.raw_lines(source)]


def _verdict_uids(url: str) -> list[str]:
    table = open_store(url, writable=False).verdicts(columns=["measurement_uid"])
    uids: list[str] = table.column("measurement_uid").to_pylist()
    return uids


def test_two_ingests_at_once_lose_nothing_and_store_nothing_twice(url: str, tmp_path: Path) -> None:
    lines = measurement_lines(4 * C, seed=21)
    common, a_only, b_only, b_more = (lines[k * C : (k + 1) * C] for k in range(4))
    a = PipedIngest(url, tmp_path / "a.jsonl")
    b = PipedIngest(url, tmp_path / "b.jsonl")
    b.send(b_only)  # b loads its index of these days now...
    wait_until(lambda: _stored(url, b_only), "b's first batch", b.proc)
    a.send(common)
    wait_until(lambda: _stored(url, common), "a's first batch", a.proc)
    b.send(common + b_more)  # ...so it must learn of a's commit to drop `common`
    wait_until(lambda: _stored(url, b_more), "b's third batch", b.proc)
    a.send(a_only + b_only)
    wait_until(lambda: _stored(url, a_only), "a's second batch", a.proc)
    first, second = a.close(), b.close()
    assert (first["ingested"], first["duplicates"]) == (2 * C, C)
    assert (second["ingested"], second["duplicates"]) == (2 * C, C)
    expected = sorted(k[2] for k in keys_of(lines))
    assert sorted(_raw_uids(url)) == expected
    assert sorted(_verdict_uids(url)) == expected


def _outage_csv(path: Path) -> int:
    i = np.arange(6 * 288)
    x = 1000 + 200 * np.sin(2 * np.pi * i / 288)
    x[5 * 288 : 5 * 288 + 24] = 30.0  # two hours at 3% on day 5
    body = "".join(f"country,IR,ping-slash24,{DAY0 + 300 * k},{v:.2f}\n" for k, v in enumerate(x))
    path.write_text("entity_type,entity_code,signal,timestamp,value\n" + body)
    return len(x)


def _event_ids(output: str) -> dict[str, dict[str, Any]]:
    events = [orjson.loads(line) for line in output.splitlines() if line.strip()]
    return {f"{e['detector']}:{e['entity']}:{e['kind']}:{e['start']}": e for e in events}


def test_detect_while_an_ingest_runs(url: str, tmp_path: Path) -> None:
    lines = measurement_lines(2 * C, seed=22)
    ingest = PipedIngest(url, tmp_path / "in.jsonl")
    ingest.send(lines[:C])
    wait_until(lambda: _stored(url, lines[:C]), "the first batch", ingest.proc)
    points = _outage_csv(tmp_path / "ir.csv")
    _run("signals", "import", "--store", url, str(tmp_path / "ir.csv"))
    _run("signals", "import", "--store", url, "--format", "verdicts")
    own = len(open_store(url, writable=False).signals()) - points
    assert own > 0  # signals of the verdicts committed so far
    first = _event_ids(_run("detect", "--store", url, "--json"))
    assert any(e["entity"] == "country:IR" for e in first.values())
    ingest.send(lines[C:])
    wait_until(lambda: _stored(url, lines[C:]), "the second batch", ingest.proc)
    second = _event_ids(_run("detect", "--store", url, "--json"))
    summary = ingest.close()
    assert (summary["ingested"], summary["duplicates"]) == (2 * C, 0)
    expected = sorted(k[2] for k in keys_of(lines))
    assert sorted(_raw_uids(url)) == expected and sorted(_verdict_uids(url)) == expected
    stored = open_store(url, writable=False)
    assert len(stored.signals()) == points + own
    feed = stored.events()
    ids = [e.event.event_id for e in feed.events]
    assert len(ids) == len(set(ids))  # one (latest) version per event
    found = {**first, **second}
    as_json = {
        f"{e.event.detector}:{e.event.entity}:{e.event.kind}:{e.event.to_json()['start']}": (
            e.event.to_json()
        )
        for e in feed.events
    }
    assert as_json == found  # every event either run printed, as the last run printed it


def test_a_detect_and_an_ingest_killed_mid_commit_beside_a_live_ingest(
    url: str, tmp_path: Path
) -> None:
    lines = measurement_lines(2 * C, seed=23)
    lost = measurement_lines(30, seed=24)
    (tmp_path / "lost.jsonl").write_bytes(b"".join(line + b"\n" for line in lost))
    _outage_csv(tmp_path / "ir.csv")
    ingest = PipedIngest(url, tmp_path / "in.jsonl")
    ingest.send(lines[:C])
    wait_until(lambda: _stored(url, lines[:C]), "the first batch", ingest.proc)
    _run("signals", "import", "--store", url, str(tmp_path / "ir.csv"))
    # a real detect and a real ingest die inside their commits (before the commit line, and
    # half-way through writing it) while the first ingest is alive
    detect = ["detect", "--store", url, "--json"]
    other = ["ingest", "--store", url, "--workers", "1", str(tmp_path / "lost.jsonl")]
    for command, where in ((detect, "before-line"), (other, "half-line")):
        ready = tmp_path / f"{command[0]}.ready"
        proc = writer(url, "netvigil", "--pause-at", where, "--ready", str(ready), "--", *command)
        wait_until(ready.exists, f"{command[0]} to stop in its commit", proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    reader = open_store(url, writable=False)
    assert reader.events().events == ()
    assert not any(reader.is_stored(keys_of(lost)))
    # the live ingest's next commit goes through after them, and so do the reruns
    ingest.send(lines[C:])
    wait_until(lambda: _stored(url, lines[C:]), "the second batch", ingest.proc)
    assert ingest.close()["ingested"] == 2 * C
    printed = _event_ids(_run(*detect))
    assert printed
    rerun = orjson.loads(_run(*other[:-1], "--json", other[-1]).splitlines()[-1])
    assert (rerun["ingested"], rerun["duplicates"]) == (30, 0)
    expected = sorted(k[2] for k in keys_of(lines + lost))
    assert sorted(_raw_uids(url)) == expected and sorted(_verdict_uids(url)) == expected
    feed = open_store(url, writable=False).events()
    assert sorted(e.event.event_id for e in feed.events) == sorted(
        f"{e['detector']}:{e['entity']}:{e['kind']}:{_epoch(e['start'])}" for e in printed.values()
    )


def _epoch(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _batch(lines: list[bytes]) -> Any:
    from storekit import batch_of

    return batch_of(lines)


def test_many_writers_at_full_speed_store_the_union_once(url: str) -> None:
    # Four processes commit overlapping slices of one pool at the same time, in whatever order
    # the machine runs them: whatever the interleaving, the union is stored once.
    procs = [
        writer(url, "measurements", "--seed", "25", "--count", "30", "--batches", "4",
               "--lines-from", str(60 * k))
        for k in range(4)
    ]  # fmt: skip
    reports = []
    for proc in procs:
        out, err = proc.communicate()
        assert proc.returncode == 0, err.decode()
        reports += [orjson.loads(line) for line in out.splitlines()]
    pool = measurement_lines(60 * 3 + 120, seed=25)
    assert sum(r["rows"].get("raw", 0) for r in reports) == len(pool)
    assert sum(r["duplicates"] for r in reports) == 4 * 120 - len(pool)
    expected = sorted(k[2] for k in keys_of(pool))
    assert sorted(_raw_uids(url)) == expected and sorted(_verdict_uids(url)) == expected


def test_a_starting_writer_leaves_a_live_writers_staged_batch_alone(url: str) -> None:
    lines = measurement_lines(40, seed=26)
    with open_store(url) as store:
        staged = store.staging_target().stage(_batch(lines[:20]))
        assert staged is not None
        # another process opens the store for writing (and cleans up) and commits meanwhile
        proc = writer(url, "measurements", "--seed", "26", "--count", "20", "--lines-from", "20")
        _, err = proc.communicate()
        assert proc.returncode == 0, err.decode()
        info = store.commit_staged(staged)
        assert info.rows["raw"] == 20 and info.duplicates == 0
    assert sorted(_verdict_uids(url)) == sorted(k[2] for k in keys_of(lines))
