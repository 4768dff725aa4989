"""`netvigil store copy`: embedded -> ClickHouse and back, resumable, verified per tier."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.ingest import run
from netvigil.models.signals import SignalPoint
from netvigil.store import open_store
from netvigil.store.aggregation import AggregationQuery
from storekit import REPO, env, events_of, keys_of, measurement_lines, wait_until


def _filled(url: str, tmp_path: Path) -> list[bytes]:
    lines = measurement_lines(150, seed=31)
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(line + b"\n" for line in lines))
    with open_store(url) as store:
        run([str(source)], store)
        points = [SignalPoint("country", "IR", "ping", 1706745600 + 300 * i, 1.0) for i in range(9)]
        store.write_signals(points, source="old")
        store.write_signals(points[:4], source="old")  # the same import again: replaces
        store.write_signals([SignalPoint("asn", "AS1", "ping", 1706745600, 2.5)], source="b")
        store.upsert_events(events_of(3, seed=5))
        store.upsert_events(events_of(3, seed=5, ended=True)[:1])  # a second version
    return lines


def _copy(source: str, target: str, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["store", "copy", source, target, "--json", *extra])
    assert result.exit_code == 0, result.output
    report: dict[str, object] = orjson.loads(result.stdout)
    return report


def _same(left: str, right: str, lines: list[bytes]) -> None:
    a, b = open_store(left, writable=False), open_store(right, writable=False)
    for query in (
        AggregationQuery(axis_x="probe_cc", axis_y="measurement_start_day"),
        AggregationQuery(axis_x="blocking_type"),
    ):
        assert a.aggregate(query) == b.aggregate(query)
    assert b.is_stored(keys_of(lines)) == [True] * len(lines)
    assert a.signals() == b.signals() and len(b.signals()) == 5
    # the same latest versions (their revisions are each store's own change order)
    assert _events_by_id(left) == _events_by_id(right)


def _events_by_id(url: str) -> list[tuple[str, object]]:
    return sorted(
        (e.event.event_id, e.event) for e in open_store(url, writable=False).events().events
    )


def test_embedded_to_clickhouse_and_back(tmp_path: Path) -> None:
    embedded, clickhouse, back = str(tmp_path / "e"), f"chdb:{tmp_path / 'c'}", str(tmp_path / "b")
    lines = _filled(embedded, tmp_path)
    there = _copy(embedded, clickhouse)
    assert there["verified"] is True and there["measurements_copied"] == 150
    tiers = there["tiers"]
    assert isinstance(tiers, dict)
    assert tiers["raw"]["target_rows"] == tiers["verdicts"]["target_rows"] == 150
    assert tiers["observations"]["source_rows"] == tiers["observations"]["target_rows"] > 150
    assert tiers["signals"]["target_rows"] == 5 and tiers["events"]["target_rows"] == 3
    _same(embedded, clickhouse, lines)
    again = _copy(embedded, clickhouse)  # nothing left to copy
    assert again["measurements_copied"] == 0 and again["days_already_copied"] == again["days"]
    home = _copy(clickhouse, back, "--chunk", "7")
    assert home["verified"] is True and home["measurements_copied"] == 150
    _same(embedded, back, lines)


def test_a_copy_killed_midway_is_resumed(tmp_path: Path) -> None:
    embedded, clickhouse = str(tmp_path / "e"), f"chdb:{tmp_path / 'c'}"
    lines = _filled(embedded, tmp_path)
    ready = tmp_path / "ready"
    # a copy that stops (and is killed) inside its second commit into the target
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "storekit.py"), clickhouse, "netvigil",
         "--pause-at", "before-line", "--ready", str(ready), "--pause-after", "1", "--",
         "store", "copy", embedded, clickhouse, "--chunk", "20"],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    wait_until(ready.exists, "the copy to stop in its second commit", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = open_store(clickhouse, writable=False).aggregate(AggregationQuery())
    assert partial[0]["measurement_count"] == 20  # its first commit only
    resumed = _copy(embedded, clickhouse, "--chunk", "20")
    assert resumed["verified"] is True
    assert resumed["measurements_copied"] == 130 and resumed["already_in_target"] == 20
    _same(embedded, clickhouse, lines)


def test_a_copy_that_differs_is_reported(tmp_path: Path) -> None:
    from netvigil.store.copy import verify

    embedded, clickhouse = str(tmp_path / "e"), f"chdb:{tmp_path / 'c'}"
    _filled(embedded, tmp_path)
    _copy(embedded, clickhouse)
    with open_store(clickhouse) as store:  # the target gets one measurement more
        run([str(_one_more(tmp_path))], store)
        checks = verify(open_store(embedded, writable=False), store)
    assert {t for t, c in checks.items() if not c.ok} == {"raw", "observations", "verdicts"}
    assert checks["raw"].target_rows == checks["raw"].source_rows + 1


def _one_more(tmp_path: Path) -> Path:
    path = tmp_path / "more.jsonl"
    path.write_bytes(measurement_lines(1, seed=99)[0] + b"\n")
    return path
