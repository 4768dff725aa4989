"""kill -9 of the collector (and its drainer) in the middle of submissions.

Every measurement that got a 200 must be in the store after a restart, without being sent
again; the client then sends again what got no answer (and some that did), and everything is
stored exactly once. The kill happens when a given number of 200s has been counted (state),
while other submissions are in flight.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from collectorkit import CollectorProcess, fixture_measurement, open_report, submission, wait_for
from netvigil.analysis import measurement_uid

SCENARIOS = (
    "dnsBlockingNXDOMAIN",
    "httpBlockingConnectionReset",
    "tlsBlockingConnectionResetWithConsistentDNS",
    "websiteDownNXDOMAIN",
)


def measurements(client: httpx.Client, count: int) -> list[dict[str, Any]]:
    """``count`` distinct measurements (real fixtures, one report per fixture's network)."""
    bases = []
    for name in SCENARIOS:
        m = fixture_measurement(name)
        answer = open_report(client, m)
        assert answer.status_code == 200, answer.text
        bases.append(dict(m, report_id=answer.json()["report_id"]))
    out = []
    for i in range(count):
        m = dict(bases[i % len(bases)])
        m["measurement_start_time"] = (
            f"2024-02-12 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
        )
        out.append(m)
    assert len({measurement_uid(m) for m in out}) == count
    return out


def test_kill9_mid_submission_loses_no_acknowledged_measurement_and_doubles_none(
    tmp_path: Path,
) -> None:
    data = tmp_path / "collector"
    unlimited = {"NETVIGIL_COLLECTOR__RATE_LIMIT_SUBMIT": ""}
    first = CollectorProcess(data, env=unlimited).start()
    with httpx.Client(base_url=first.url, timeout=30) as client:
        batch = measurements(client, 600)
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()
    kill_after = 150

    local = threading.local()

    def send(i: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=first.url, timeout=30)
        try:
            m = batch[i]
            answer = local.client.post(f"/report/{m['report_id']}", content=submission(m))
        except httpx.TransportError:
            return  # the collector died under this request: no answer, not acknowledged
        if answer.status_code == 200:
            with lock:
                acknowledged[i] = answer.json()["measurement_uid"]

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(send, i) for i in range(len(batch))]
        wait_for(lambda: len(acknowledged) >= kill_after, f"{kill_after} acknowledgements")
        first.kill9()
        for future in futures:
            future.result()
    acked = dict(acknowledged)
    assert kill_after <= len(acked) < len(batch), "the kill must fall in the middle"

    second = CollectorProcess(data, env=unlimited).start()  # same data dir: journal, key, store
    try:
        # Nothing sent again yet: every acknowledged measurement comes from the journal.
        second.wait_stored(set(acked.values()))
        again = [i for i in range(len(batch)) if i not in acked] + sorted(acked)[:50]
        retry = threading.local()

        def resend(i: int) -> None:
            if not hasattr(retry, "client"):
                retry.client = httpx.Client(base_url=second.url, timeout=30)
            m = batch[i]
            answer = retry.client.post(f"/report/{m['report_id']}", content=submission(m))
            assert answer.status_code == 200, answer.text
            assert answer.json()["measurement_uid"] == measurement_uid(m)

        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(resend, again))
        everything = {measurement_uid(m) for m in batch}
        second.wait_stored(everything)
        counts = Counter(second.stored_uids())
        assert set(counts) == everything
        assert max(counts.values()) == 1, counts.most_common(3)
    finally:
        second.stop()


def test_several_server_processes_share_one_drainer_and_store_everything_once(
    tmp_path: Path,
) -> None:
    collector = CollectorProcess(
        tmp_path / "c", env={"NETVIGIL_COLLECTOR__RATE_LIMIT_SUBMIT": ""}, args=["--workers", "2"]
    ).start()
    try:
        with httpx.Client(base_url=collector.url, timeout=30) as client:
            batch = measurements(client, 200)
        local = threading.local()

        def send(m: dict[str, Any]) -> str:
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=collector.url, timeout=30)
            answer = local.client.post(f"/report/{m['report_id']}", content=submission(m))
            assert answer.status_code == 200, answer.text
            uid: str = answer.json()["measurement_uid"]
            return uid

        with ThreadPoolExecutor(max_workers=8) as pool:
            uids = set(pool.map(send, batch + batch[:20]))  # 20 sent twice
        assert len(uids) == 200
        collector.wait_stored(uids)
        assert sorted(collector.stored_uids()) == sorted(uids)
    finally:
        collector.stop()


def test_a_dead_drainer_is_started_again_and_drains_what_waited(tmp_path: Path) -> None:
    collector = CollectorProcess(tmp_path / "c").start()
    try:
        with httpx.Client(base_url=collector.url, timeout=30) as client:
            first, second = measurements(client, 2)
            answer = client.post(f"/report/{first['report_id']}", content=submission(first))
            collector.wait_stored({answer.json()["measurement_uid"]})
            lock = collector.journal / "drain.lock"
            old = int(lock.read_text())
            os.kill(old, signal.SIGKILL)
            answer = client.post(f"/report/{second['report_id']}", content=submission(second))
            assert answer.status_code == 200  # journaled while no drainer runs
        collector.wait_stored({answer.json()["measurement_uid"]})
        assert int(lock.read_text()) != old
    finally:
        collector.stop()
