"""Ingest into the store end to end: idempotence, policies, workers, rebuild, crash safety."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.ingest import synthetic
from netvigil.store import open_store
from nvtest import REPO, shared_path

runner = CliRunner()


def _fixture_files() -> list[Path]:
    base = shared_path("ooni", "probecli_minipipeline")
    return sorted(base.glob("generated/*/measurement.json")) + sorted(
        base.glob("manual/*/measurement.json")
    )


def _ingest(monkeypatch: pytest.MonkeyPatch, store: Path, *args: str) -> dict[str, int]:
    monkeypatch.setenv("NETVIGIL_STORE", str(store))
    result = runner.invoke(app, ["ingest", "--json", *args])
    assert result.exit_code == 0, result.output
    summary: dict[str, int] = orjson.loads(result.output.strip().splitlines()[-1])
    return summary


def _count(store: Path, sql: str) -> int:
    con = open_store(store, writable=False).connect()
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_reingesting_the_same_files_adds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _fixture_files()
    jsonl = tmp_path / "same.jsonl.gz"  # the same measurements again, as one gz JSONL file
    jsonl.write_bytes(
        gzip.compress(b"".join(orjson.dumps(json.loads(f.read_bytes())) + b"\n" for f in files))
    )
    store = tmp_path / "store"
    first = _ingest(monkeypatch, store, *map(str, files), "--workers", "1")
    assert first["ingested"] == len(files) == 56
    assert first["bad"] == 0 and first["analysis_errors"] == 0
    raw = _count(store, "SELECT count(*) FROM raw")
    verdicts = _count(store, "SELECT count(*) FROM verdicts")
    observations = _count(store, "SELECT count(*) FROM observations")
    assert raw == verdicts == len(files) and observations > len(files)
    again = _ingest(monkeypatch, store, str(jsonl), *map(str, files), "--workers", "2")
    assert again["ingested"] == 0 and again["duplicates"] == 2 * len(files)
    assert _count(store, "SELECT count(*) FROM raw") == raw
    assert _count(store, "SELECT count(*) FROM verdicts") == verdicts
    assert _count(store, "SELECT count(*) FROM observations") == observations
    assert _count(store, "SELECT count(DISTINCT measurement_uid) FROM verdicts") == verdicts


def test_unknown_test_and_bare_test_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = json.loads(_fixture_files()[0].read_bytes())
    m["test_name"] = "quantum_entanglement"  # a test netvigil has no rules for
    path = tmp_path / "odd.jsonl"
    path.write_bytes(orjson.dumps(m) + b"\n")
    pk = shared_path(
        "ooni",
        "probecli_minipipeline",
        "20230706183840.201925_PK_webconnectivity_19f5e0d803cbaea7.jsonc",
    )
    store = tmp_path / "store"
    summary = _ingest(monkeypatch, store, str(path), str(pk))
    # the unknown test is stored (raw is replayable once rules exist); the .jsonc file holds only
    # test_keys, no envelope: not a measurement file, skipped (one summary line), not fatal
    assert summary["ingested"] == 1 and summary["bad"] == 0 and summary["files"] == 1
    con = open_store(store, writable=False).connect()
    assert con.execute("SELECT test_name FROM raw").fetchall() == [("quantum_entanglement",)]
    outcomes = con.execute("SELECT test_name, outcome FROM verdicts").fetchall()
    assert len(outcomes) == 1 and outcomes[0][0] == "quantum_entanglement"
    assert outcomes[0][1] in ("ok", "anomaly", "confirmed", "failure")


def test_on_error_fail_stops_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = orjson.dumps(json.loads(_fixture_files()[0].read_bytes()))
    path = tmp_path / "bad.jsonl"
    path.write_bytes(good + b"\n" + b'{"test_name": 3}\n')
    monkeypatch.setenv("NETVIGIL_STORE", str(tmp_path / "store"))
    result = runner.invoke(app, ["ingest", str(path), "--on-error", "fail"])
    assert result.exit_code == 2
    assert f"{path}:2: " in result.output and "test_name" in result.output
    warned = runner.invoke(app, ["ingest", str(path), "--on-error", "warn"])
    assert warned.exit_code == 0 and f"{path}:2: " in warned.output


def test_rebuild_rederives_from_raw_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _fixture_files()
    store = tmp_path / "store"
    for f in files[:20]:  # the rebuild must not need the source files: ingest copies
        (tmp_path / f.parent.name).mkdir()
        (tmp_path / f.parent.name / f.name).write_bytes(f.read_bytes())
    _ingest(monkeypatch, store, str(tmp_path))
    for f in files[:20]:
        (tmp_path / f.parent.name / f.name).unlink()
    query = "SELECT measurement_uid, outcome, blocking FROM verdicts ORDER BY 1"
    before = open_store(store, writable=False).connect().execute(query).fetchall()
    raw_files = sorted(p.name for p in (store / "raw").rglob("*.parquet"))
    result = runner.invoke(app, ["analyze", "--rebuild", "--json", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output.strip().splitlines()[-1])["ingested"] == 20
    after = open_store(store, writable=False).connect().execute(query).fetchall()
    assert after == before
    assert sorted(p.name for p in (store / "raw").rglob("*.parquet")) == raw_files
    # ingesting after a rebuild writes into the new generation, which readers see
    summary = _ingest(monkeypatch, store, str(files[20]))
    assert summary["ingested"] == 1
    assert _count(store, "SELECT count(*) FROM verdicts") == 21


def test_store_recovers_from_an_interrupted_commit(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    files = _fixture_files()[:5]
    with open_store(store_dir):
        pass
    # a batch whose temp files exist but whose commit line never made it: must vanish
    orphan = store_dir / "verdicts" / "day=2024-01-01" / "part-dead.parquet.tmp"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"PAR1 half written")
    (store_dir / "_commits.jsonl").write_bytes(b'{"batch": "torn", "files": ["verd')
    with open_store(store_dir) as store:
        assert not orphan.exists()
        assert (store_dir / "_commits.jsonl").read_bytes() == b""
        con = store.connect()
        assert con.execute("SELECT count(*) FROM verdicts").fetchone() == (0,)
    assert files  # the store is usable: a real ingest follows in the other tests


def test_writers_share_the_store_and_wait_for_a_commit_with_a_clear_timeout(
    tmp_path: Path,
) -> None:
    import fcntl

    from netvigil._errors import StoreError
    from storekit import batch_of, measurement_lines

    lines = measurement_lines(30, seed=4)
    with (
        open_store(tmp_path / "s") as first,
        open_store(tmp_path / "s", lock_timeout=0.2) as second,
    ):
        assert first.commit(batch_of(lines[:10])).rows["raw"] == 10
        assert second.commit(batch_of(lines[10:20])).rows["raw"] == 10
        holder = os.open(tmp_path / "s" / ".lock", os.O_RDWR)  # someone else's long commit
        fcntl.flock(holder, fcntl.LOCK_EX)
        os.pwrite(holder, b"4242\n", 0)
        with pytest.raises(StoreError, match=r"another writer \(pid 4242\) has held"):
            second.commit(batch_of(lines[20:]))
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
        assert second.commit(batch_of(lines[20:])).rows["raw"] == 10  # nothing was lost
    assert _count(tmp_path / "s", "SELECT count(DISTINCT measurement_uid) FROM raw") == 30
    assert _count(tmp_path / "s", "SELECT count(*) FROM raw") == 30


def test_signals_and_events_of_netvigil_0_1_are_adopted(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from netvigil.models.signals import SignalPoint
    from netvigil.models.tables import EVENT_SCHEMA, SIGNAL_SCHEMA, event_rows
    from storekit import events_of

    store = tmp_path / "store"  # detect's own files, as netvigil 0.1 wrote them beside the tiers
    (store / "signals").mkdir(parents=True)
    (store / "events").mkdir()
    points = [SignalPoint("country", "IR", "ping", 1700000000 + 300 * i, 1.0) for i in range(4)]
    rows = [dataclasses.asdict(p) for p in points]
    legacy = store / "signals" / "0123456789abcdef.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SIGNAL_SCHEMA), legacy)
    events = events_of(2, seed=1)
    table = pa.Table.from_pylist(event_rows(events), schema=EVENT_SCHEMA)
    pq.write_table(table, store / "events" / "events.parquet")
    with open_store(store) as opened:  # a writer's open adopts them
        assert opened.signals() == points
        assert [e.event for e in opened.events().events] == events
        opened.write_signals(points[:1], source="0123456789abcdef")  # the same import again
        assert opened.signals() == points[:1]


def test_kill_9_during_ingest_keeps_whole_batches(tmp_path: Path) -> None:
    measurements = [json.loads(f.read_bytes()) for f in _fixture_files()[:50]]
    templates = synthetic.templates_of(measurements)
    urls = [f"https://site{i}.example/" for i in range(300)]
    lines = synthetic.lines(templates, urls, 4000, seed=3, mean_bytes=8000)
    synthetic.write_files(tmp_path / "in", lines, per_file=500)
    store = tmp_path / "store"
    env = {**os.environ, "NETVIGIL_STORE": str(store), "PYTHONPATH": str(REPO / "src")}
    cmd = [sys.executable, "-m", "netvigil", "ingest", str(tmp_path / "in"), "--workers", "1"]
    proc = subprocess.Popen([*cmd, "--batch-rows", "300"], env=env, stderr=subprocess.DEVNULL)
    log = store / "_commits.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "ingest finished before it could be killed; use more input"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with open_store(store) as opened:  # a writer's open runs the recovery
        assert not list(store.rglob("*.tmp"))
        committed = [orjson.loads(x) for x in log.read_bytes().splitlines()]
        con = opened.connect()
        raw = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        assert raw == sum(c["rows"]["raw"] for c in committed) > 0
        assert all(c["rows"]["raw"] == c["rows"]["verdicts"] for c in committed)
        orphans = "SELECT count(*) FROM raw ANTI JOIN verdicts USING (measurement_uid)"
        assert con.execute(orphans).fetchone()[0] == 0
    # finishing the job afterwards stores each measurement exactly once
    done = subprocess.run([*cmd, "--json"], env=env, capture_output=True, check=True)
    summary = orjson.loads(done.stdout.strip().splitlines()[-1])
    assert summary["duplicates"] == raw and summary["ingested"] == 4000 - raw
    con = open_store(store, writable=False).connect()
    assert con.execute("SELECT count(*), count(DISTINCT measurement_uid) FROM raw").fetchone() == (
        4000,
        4000,
    )


def test_odd_numbers_in_one_measurement_do_not_fail_its_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, odd = (json.loads(f.read_bytes()) for f in _fixture_files()[:2])
    tk = odd["test_keys"]
    tk["tcp_connect"][0]["transaction_id"] = 2**64 - 1  # valid JSON, beyond the int64 columns
    tk["tcp_connect"][0]["port"] = 2**63
    for handshake in tk.get("tls_handshakes") or []:
        handshake["address"] = "10.0.0.1:\u00b2"  # a "digit" int() refuses
    path = tmp_path / "odd.jsonl"
    path.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(odd) + b"\n")
    store = tmp_path / "store"
    summary = _ingest(monkeypatch, store, str(path))
    assert summary["ingested"] == 2 and summary["analysis_errors"] == 0
    con = open_store(store, writable=False).connect()
    assert con.execute("SELECT count(*) FROM verdicts").fetchone() == (2,)
    ports = con.execute(
        "SELECT count(*) FROM observations WHERE kind = 'tcp' AND port IS NULL"
    ).fetchone()
    assert ports == (1,)  # the out-of-range port is stored as unknown, the rest as read


def _processes_with(env_entry: bytes) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if env_entry in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_workers_stop_when_the_ingest_is_killed(tmp_path: Path) -> None:
    measurements = [json.loads(f.read_bytes()) for f in _fixture_files()[:50]]
    urls = [f"https://site{i}.example/" for i in range(300)]
    lines = synthetic.lines(synthetic.templates_of(measurements), urls, 6000, seed=4)
    synthetic.write_files(tmp_path / "in", lines, per_file=500)
    store = tmp_path / "store"
    env = {**os.environ, "NETVIGIL_STORE": str(store), "PYTHONPATH": str(REPO / "src")}
    cmd = [sys.executable, "-m", "netvigil", "ingest", str(tmp_path / "in"), "--workers", "2"]
    proc = subprocess.Popen([*cmd, "--batch-rows", "200"], env=env, stderr=subprocess.DEVNULL)
    mine = f"NETVIGIL_STORE={store}".encode()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        log = store / "_commits.jsonl"
        if log.exists() and log.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; use more input"
    assert len(_processes_with(mine)) >= 3  # the ingest, the fork server, the workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while _processes_with(mine) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(mine) == []
    with open_store(store):  # what they staged and nobody committed is cleaned up
        assert not list(store.rglob("*.tmp"))


def test_the_same_line_twice_in_one_file_is_stored_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = (orjson.dumps(json.loads(f.read_bytes())) for f in _fixture_files()[:2])
    path = tmp_path / "twice.jsonl"
    path.write_bytes(b"\n".join([first, second, first]) + b"\n")
    store = tmp_path / "store"
    summary = _ingest(monkeypatch, store, str(path), "--workers", "1")
    assert summary["ingested"] == 2 and summary["duplicates"] == 1
    for tier in ("raw", "verdicts"):
        assert _count(store, f"SELECT count(*) FROM {tier}") == 2
        assert _count(store, f"SELECT count(DISTINCT measurement_uid) FROM {tier}") == 2
    steps = "SELECT count(*) AS n FROM observations GROUP BY measurement_uid, observation_idx"
    assert _count(store, f"SELECT max(n) FROM ({steps})") == 1  # no step stored twice


def test_readers_see_whole_batches_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    _ingest(monkeypatch, store, *map(str, _fixture_files()[:3]), "--workers", "1")
    committed = sorted((store / "verdicts").rglob("*.parquet"))
    assert committed
    # a batch renamed into place whose commit line was never written (a crash in between, or a
    # commit in progress): it holds real rows, yet no reader may count them
    stray = committed[0].with_name("part-uncommitted.parquet")
    stray.write_bytes(committed[0].read_bytes())
    # other producers' files beside the tiers (detection's signals) are not the store's to clean
    neighbour = store / "signals" / "day=2024-01-01" / "imported.parquet"
    neighbour.parent.mkdir(parents=True)
    neighbour.write_bytes(committed[0].read_bytes())
    assert _count(store, "SELECT count(*) FROM verdicts") == 3
    con = open_store(store, writable=False).connect()
    before = _count(store, "SELECT count(*) FROM raw")
    _ingest(monkeypatch, store, *map(str, _fixture_files()[3:5]), "--workers", "1")
    # a connection reads the batches committed when it was opened
    assert con.execute("SELECT count(*) FROM raw").fetchone() == (before,)
    assert _count(store, "SELECT count(*) FROM raw") == before + 2
    assert not stray.exists()  # the writer's recovery removed it
    assert neighbour.exists()
