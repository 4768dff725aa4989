"""The intake journal and its drainer, in process: framing, torn writes, restart idempotence."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from collectorkit import fixture_measurement
from netvigil.analysis import measurement_uid
from netvigil.collector.drain import CHECKPOINT, Drainer
from netvigil.collector.journal import Journal, finished, frame, scan, segments
from netvigil.store import open_store


def stamp(i: int) -> str:
    return f"2024-02-12 10:{i // 60:02d}:{i % 60:02d}"


def lines(count: int) -> list[bytes]:
    base = fixture_measurement()
    return [
        orjson.dumps(
            {**base, "measurement_start_time": f"2024-02-12 10:{i // 60:02d}:{i % 60:02d}"}
        )
        for i in range(count)
    ]


def journal_of(directory: Path, payloads: list[bytes]) -> None:
    async def write() -> None:
        journal = Journal(directory, segment_bytes=1 << 16)  # small: several segments
        await asyncio.gather(*(journal.append(p) for p in payloads))
        assert journal.records == len(payloads)
        assert journal.syncs < len(payloads)  # group commit: syncs shared by requests
        journal.close()

    asyncio.run(write())


def test_concurrent_appends_share_syncs_and_rotate_segments(tmp_path: Path) -> None:
    payloads = lines(60)
    journal_of(tmp_path, payloads)
    names = segments(tmp_path)
    assert len(names) > 1
    assert all(finished(tmp_path / n) for n in names)  # closed: no writer holds them
    found = [r.payload for n in names for r in scan(tmp_path / n, 0, 10**6, final=True).records]
    assert sorted(found) == sorted(payloads)


def test_a_torn_last_frame_waits_while_written_and_is_dropped_once_finished(
    tmp_path: Path,
) -> None:
    path = tmp_path / "0001-1-x.seg"
    whole, torn = frame(b'{"a":1}'), frame(b'{"b":2}')[:-3]
    path.write_bytes(whole + torn)
    live = scan(path, 0, 100, final=False)
    assert [r.payload for r in live.records] == [b'{"a":1}'] and live.end == len(whole)
    done = scan(path, 0, 100, final=True)
    assert [r.payload for r in done.records] == [b'{"a":1}'] and done.end == len(whole + torn)


def test_a_damaged_frame_is_skipped_and_the_next_one_read(tmp_path: Path) -> None:
    path = tmp_path / "0001-1-x.seg"
    first, second = frame(b'{"a":1}'), frame(b'{"c":3}')
    damaged = bytearray(frame(b'{"b":2}'))
    damaged[-2] ^= 0xFF  # the payload no longer matches its CRC
    path.write_bytes(first + bytes(damaged) + second)
    found = scan(path, 0, 100, final=True)
    assert [r.payload for r in found.records] == [b'{"a":1}', b'{"c":3}']
    assert found.skipped == len(damaged)


def test_draining_again_after_losing_the_checkpoint_stores_nothing_twice(tmp_path: Path) -> None:
    payloads = lines(120)
    journal = tmp_path / "journal"
    journal_of(journal, payloads)
    store = open_store(tmp_path / "store")
    try:
        drainer = Drainer(journal, store, batch=50, delay=0)
        drainer.drain_all()
        assert drainer.stats.stored == 120
        assert segments(journal) == []  # finished and drained: deleted
        # A crash between a commit and its checkpoint: the same records come back.
        journal_of(journal, payloads[:40])
        (journal / CHECKPOINT).unlink()
        again = Drainer(journal, store, batch=50, delay=0)
        again.drain_all()
        assert again.stats.stored == 0 and again.stats.duplicates == 40
        con = store.connect()  # type: ignore[attr-defined]
        counts = Counter(r[0] for r in con.execute("select measurement_uid from raw").fetchall())
        verdicts = con.execute("select count(*) from verdicts").fetchone()[0]
        con.close()
        assert set(counts) == {measurement_uid(orjson.loads(p)) for p in payloads}
        assert max(counts.values()) == 1 and verdicts == 120
    finally:
        store.close()


def test_a_segment_still_written_is_read_but_never_deleted(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    payloads = lines(5)

    async def run() -> None:
        writer = Journal(journal)
        for p in payloads:
            await writer.append(p)
        store = open_store(tmp_path / "store")
        try:
            drainer = Drainer(journal, store, batch=100, delay=0)
            drainer.drain_all()
            assert drainer.stats.stored == 5
            assert len(segments(journal)) == 1  # its writer still holds it
        finally:
            store.close()
        writer.close()

    asyncio.run(run())
    assert oct(os.stat(journal).st_mode)[-3:] == "700"


def test_bodies_held_at_once_are_bounded_and_the_excess_gets_a_503(tmp_path: Path) -> None:
    """Two clients trickling bodies at once: the second passes the in-flight budget."""
    from netvigil._settings import load_settings
    from netvigil.collector.intake import Submissions
    from netvigil.collector.service import Collector

    settings = load_settings(
        data_dir=tmp_path, collector={"max_inflight_bytes": 100_000, "rate_limit_submit": ""}
    )
    collector = Collector.build(settings)
    report = collector.keys.issue("web_connectivity", "IT", "AS137", datetime.now(UTC))
    intake = Submissions(app=None, collector=collector)  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/report/{report}",
        "headers": [],
        "client": ("127.0.0.1", 1),
    }

    async def run() -> list[int]:
        first_held = asyncio.Event()
        release = asyncio.Event()
        statuses: list[int] = []

        def receiver(hold: bool) -> Any:
            sent = 0

            async def receive() -> dict[str, Any]:
                nonlocal sent
                sent += 1
                if sent == 1:
                    return {"type": "http.request", "body": b" " * 60_000, "more_body": True}
                if hold:
                    first_held.set()
                    await release.wait()
                return {"type": "http.request", "body": b"{}", "more_body": False}

            return receive

        async def sender(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        first = asyncio.create_task(intake(scope, receiver(True), sender))
        await first_held.wait()  # 60 kB held by the first request
        await intake(scope, receiver(False), sender)  # would hold 120 kB: refused
        assert intake.inflight == 60_000
        release.set()
        await first
        assert intake.inflight == 0
        return statuses

    statuses = asyncio.run(run())
    assert statuses == [503, 400]  # the second refused as busy; the first read whole (bad JSON)
