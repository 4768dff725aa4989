"""The probe and a real collector: check-in, upload byte for byte, outages, crashes, schedules.

The collector runs as its own process (uvicorn on 127.0.0.1); the probe measures the loopback
servers of the ``world`` fixture. Every wait is on state (the spool, the upload state, the
store), bounded only by a generous timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from probe_servers import World
from typer.testing import CliRunner

from collectorkit import CollectorProcess, fixture_measurement, free_port, wait_for
from netvigil.analysis import measurement_uid
from netvigil.cli.main import app
from nvtest import shared_path


@pytest.fixture
def collector(tmp_path: Path, world: World) -> Iterator[CollectorProcess]:
    shared_path("ooni", "test-lists", "global.csv")
    lists = tmp_path / "lists"  # a Citizen Lab list of the world's own (loopback) sites
    lists.mkdir()
    (lists / "global.csv").write_text(
        "url,category_code,category_description,date_added,source,notes\n"
        f"{world.http}/checkin-a,NEWS,News Media,2024-01-01,test,\n"
        f"{world.http}/checkin-b,HUMR,Human Rights Issues,2024-01-01,test,\n"
    )
    running = CollectorProcess(
        tmp_path / "collector",
        env={
            "NETVIGIL_COLLECTOR__TEST_LISTS": str(lists),
            "NETVIGIL_COLLECTOR__RATE_LIMIT_SUBMIT": "",
        },
    ).start()
    try:
        yield running
    finally:
        running.stop()


def spool_offsets(path: Path) -> list[tuple[int, bytes]]:
    out, offset = [], 0
    for raw in path.read_bytes().split(b"\n")[:-1]:
        out.append((offset, raw))
        offset += len(raw) + 1
    return out


def spool_lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line]


def test_probe_upload_is_byte_identical_in_the_raw_tier(
    world: World, collector: CollectorProcess, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "probe",
            "--yes",
            "--no-progress",
            "--upload",
            collector.url,
            "-o",
            str(spool),
            f"{world.http}/upload-me",
        ],
        env=world.env(),
    )
    assert result.exit_code == 0, result.output
    assert "uploaded 1" in result.output and "0 left" in result.output
    [line] = spool_lines(spool)
    m = orjson.loads(line)
    assert m["report_id"].split("_")[4] == "n1" and len(m["report_id"].split("_")[5]) == 96
    uid = measurement_uid(m)
    collector.wait_stored({uid})
    assert collector.raw_lines()[uid] == line  # the spool's bytes, exactly


def test_check_in_decides_the_urls_when_none_are_given(
    world: World, collector: CollectorProcess, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    result = CliRunner().invoke(
        app,
        ["probe", "--yes", "--no-progress", "--upload", collector.url, "-o", str(spool)],
        env=world.env(),
    )
    assert result.exit_code == 0, result.output
    measured = sorted(orjson.loads(line)["input"] for line in spool_lines(spool))
    assert measured == [f"{world.http}/checkin-a", f"{world.http}/checkin-b"]
    collector.wait_stored({measurement_uid(orjson.loads(line)) for line in spool_lines(spool)})


def offline_spool(path: Path, count: int) -> list[bytes]:
    """Measurements made without a collector: report ids of the probe's own making."""
    lines = []
    for i in range(count):
        m = fixture_measurement("dnsBlockingNXDOMAIN" if i % 2 else "httpBlockingConnectionReset")
        m["report_id"] = (
            f"20240212T100000Z_webconnectivity_{m['probe_cc']}_{m['probe_asn'][2:]}_n1_{i % 3:016x}"
        )
        m["measurement_start_time"] = f"2024-02-12 10:{i // 60 % 60:02d}:{i % 60:02d}"
        lines.append(orjson.dumps(m))
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return lines


def upload(spool: Path, url: str, *extra: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["upload", "--no-progress", str(spool), "--collector", url, *extra], env=env
    )
    return result.exit_code, " ".join(result.output.split())


def test_the_spool_drains_after_an_outage_and_duplicates_are_stored_once(
    collector: CollectorProcess, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    lines = offline_spool(spool, 40)
    with open(spool, "ab") as fh:  # the same measurement twice in the spool
        fh.write(lines[0] + b"\n")
    down = f"http://127.0.0.1:{free_port()}"
    code, output = upload(spool, down, "--once")
    assert code == 5, output
    assert "uploaded 0" in output and "41 left" in output and "next attempt" in output
    backoff = orjson.loads((tmp_path / "spool.jsonl.upload" / "backoff.json").read_bytes())
    assert backoff["failures"] == 1
    code, output = upload(spool, down, "--once")
    backoff2 = orjson.loads((tmp_path / "spool.jsonl.upload" / "backoff.json").read_bytes())
    assert backoff2["failures"] == 2  # OONI's rule: at least 15 minutes, doubling
    assert backoff2["next_attempt"] - backoff["next_attempt"] >= 15 * 60

    code, output = upload(spool, collector.url, "--once")
    assert code == 0, output
    assert "uploaded 41" in output and "0 left" in output
    assert "3 report(s) opened again" in output  # one per report id of the probe's own
    uids = {measurement_uid(orjson.loads(line)) for line in lines}
    stored = Counter(collector.stored_uids())
    wait_for(lambda: len(Counter(collector.stored_uids())) == 40, "40 measurements stored")
    stored = Counter(collector.stored_uids())
    assert len(stored) == 40 and max(stored.values()) == 1
    assert not uids & set(stored)  # their report ids were replaced: new ids, new uids
    raw = collector.raw_lines()
    for line in lines:  # only the report id differs from the spool's line
        m = orjson.loads(line)
        new = [
            r
            for r in raw.values()
            if orjson.loads(r)["measurement_start_time"] == m["measurement_start_time"]
        ]
        assert len(new) == 1
        assert {**orjson.loads(new[0]), "report_id": m["report_id"]} == m

    code, output = upload(spool, collector.url, "--once")  # nothing left: nothing sent
    assert code == 0 and "uploaded 0" in output and "0 left" in output
    # Forgetting what was acknowledged (a lost state directory) sends everything again:
    # the uids are those of the first time (same report ids, kept in acked.log's R lines),
    # so the store does not grow.
    log = tmp_path / "spool.jsonl.upload" / "acked.log"
    log.write_bytes(b"".join(x + b"\n" for x in log.read_bytes().split(b"\n") if x[:1] == b"R"))
    code, output = upload(spool, collector.url, "--once")
    assert code == 0 and "uploaded 41" in output
    collector.wait_stored(set(stored))
    again = Counter(collector.stored_uids())
    assert again == stored


def test_an_upload_killed_mid_way_resumes_and_stores_each_measurement_once(
    collector: CollectorProcess, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    lines = offline_spool(spool, 300)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env["NETVIGIL_DATA_DIR"] = str(tmp_path / "probe-data")
    env["NETVIGIL_PROBE__UPLOAD_CONCURRENCY"] = "1"
    env["NETVIGIL_PROBE__SPOOL"] = str(spool)  # --spool: the probe's spool
    command = [
        sys.executable,
        "-m",
        "netvigil",
        "upload",
        "--no-progress",
        "--once",
        "--spool",
        "--collector",
        collector.url,
    ]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    log = tmp_path / "spool.jsonl.upload" / "acked.log"

    def acked() -> int:
        return log.read_bytes().count(b"\nA ") if log.exists() else 0

    wait_for(lambda: acked() >= 60 or proc.poll() is not None, "60 acknowledgements")
    assert proc.poll() is None, "the upload ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = acked()
    assert before < 300
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    sent = int(resumed.stderr.split("uploaded ")[1].split(";")[0])
    assert sent <= 300 - before + 1  # resumed: what was acknowledged is not sent again
    wait_for(lambda: len(set(collector.stored_uids())) == 300, "300 measurements stored")
    counts = Counter(collector.stored_uids())
    assert len(counts) == 300 and max(counts.values()) == 1
    assert len(lines) == 300


def test_every_keeps_measuring_through_an_outage_and_uploads_when_it_ends(
    world: World, tmp_path: Path
) -> None:
    shared_path("ooni", "test-lists", "global.csv")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    spool = tmp_path / "spool.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(world.env(), NETVIGIL_DATA_DIR=str(tmp_path / "probe-data"))
    env["NETVIGIL_PROBE__UPLOAD_BACKOFF"] = "0.2"  # tests only: OONI's rule says 15 minutes
    command = [
        sys.executable,
        "-m",
        "netvigil",
        "probe",
        "--yes",
        "--no-progress",
        "--every",
        "0.5s",
        "--jitter",
        "--upload",
        url,
        "-o",
        str(spool),
        f"{world.http}/every",
    ]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    collector = CollectorProcess(tmp_path / "collector", port=port)
    try:
        state = tmp_path / "spool.jsonl.upload" / "backoff.json"
        # The collector is down: runs go on, and their measurements wait in the spool.
        wait_for(
            lambda: spool.exists() and len(spool_lines(spool)) >= 3 and state.exists(),
            "three runs spooled while the collector is down",
        )
        assert orjson.loads(state.read_bytes())["failures"] >= 1
        collector.start()
        # Back: the spool drains, and runs made after go straight up too.
        target = len(spool_lines(spool)) + 2
        wait_for(lambda: len(spool_lines(spool)) >= target, "two more runs")
        size = spool.stat().st_size
        offsets = [i for i, _ in spool_offsets(spool) if i < size]
        log = tmp_path / "spool.jsonl.upload" / "acked.log"

        def acknowledged() -> set[int]:
            found = log.read_bytes().split(b"\n") if log.exists() else []
            return {int(x.split()[1]) for x in found if x.startswith(b"A ")}

        wait_for(lambda: set(offsets) <= acknowledged(), "everything spooled so far uploaded")
        lines = [line for i, line in spool_offsets(spool) if i < size]
        issued = [line for line in lines if len(orjson.loads(line)["report_id"]) > 100]
        early = len(lines) - len(issued)
        assert early >= 3 and issued  # made during the outage, and after it
        collector.wait_stored({measurement_uid(orjson.loads(line)) for line in issued})
        wait_for(lambda: len(set(collector.stored_uids())) >= len(lines), "all of them stored")
        counts = Counter(collector.stored_uids())
        assert max(counts.values()) == 1
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        collector.stop()
