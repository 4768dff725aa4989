"""The contract every analytical store backend passes (``AnalyticalStore``, docs/store.md).

Parametrised over ``storekit.BACKENDS``: the same inputs give the same outputs on each backend.
Only the Protocol is used here (``open_store(url)`` and its operations), plus real processes for
crashes: a writer killed with SIGKILL in the middle of a commit leaves whole batches only.
Concurrent writers are in test_store_concurrency.py.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from netvigil._errors import StoreError
from netvigil.ingest import run
from netvigil.models.signals import SignalPoint
from netvigil.store import open_store
from netvigil.store.aggregation import AggregationQuery
from storekit import (
    PAUSE_POINTS,
    batch_of,
    events_of,
    keys_of,
    measurement_lines,
    wait_until,
    writer,
)


def _count(url: str) -> int:
    rows = open_store(url, writable=False).aggregate(AggregationQuery())
    return int(rows[0]["measurement_count"]) if rows else 0


def test_a_batch_is_read_back_from_every_measurement_tier(url: str) -> None:
    lines = measurement_lines(60, seed=1)
    with open_store(url) as store:
        info = store.commit(batch_of(lines))
        assert info.rows["raw"] == info.rows["verdicts"] == 60 and info.duplicates == 0
        assert info.seq > 0
    reader = open_store(url, writable=False)
    assert reader.is_stored(keys_of(lines)) == [True] * 60
    assert reader.is_stored([("2024-02-01", "IR", "not-a-uid")]) == [False]
    table = reader.verdicts(columns=["measurement_uid", "measurement_start_time", "outcome"])
    assert sorted(table.column("measurement_uid").to_pylist()) == sorted(
        k[2] for k in keys_of(lines)
    )
    times = table.column("measurement_start_time").to_pylist()
    assert times == sorted(times)
    # aggregation over the same rows, against the counts taken here from the batch itself
    expected = Counter(batch_of(lines).verdicts.column("outcome").to_pylist())
    [total] = reader.aggregate(AggregationQuery())
    assert total["measurement_count"] == 60
    for outcome in ("ok", "anomaly", "confirmed", "failure"):
        assert total[f"{outcome}_count"] == expected[outcome]
    by_cc = reader.aggregate(AggregationQuery(axis_x="probe_cc"))
    ccs = Counter(orjson.loads(line)["probe_cc"] for line in lines)
    assert {r["probe_cc"]: r["measurement_count"] for r in by_cc} == ccs
    one = min(ccs)
    only = reader.verdicts(probe_cc=one.lower(), columns=["probe_cc"])
    assert only.num_rows == ccs[one] and set(only.column("probe_cc").to_pylist()) == {one}


def test_one_measurement_by_uid_its_verdict_and_its_original_line(url: str) -> None:
    """What a measurement page reads: the verdict of one uid and its line as stored."""
    lines = measurement_lines(30, seed=7)
    with open_store(url) as store:
        store.commit(batch_of(lines))
    reader = open_store(url, writable=False)
    keys = keys_of(lines)
    for line, (_, _, uid) in list(zip(lines, keys, strict=True))[:3]:
        stored = reader.raw_measurement(uid)
        assert stored is not None
        assert orjson.loads(stored) == orjson.loads(line)  # probe_ip is already the placeholder
        [row] = reader.verdicts(measurement_uids=[uid]).to_pylist()
        assert row["measurement_uid"] == uid
    absent = "20240201000000.000000_IR_webconnectivity_0000000000000000"
    assert reader.raw_measurement(absent) is None
    assert reader.raw_measurement("not-a-uid") is None
    assert reader.verdicts(measurement_uids=["not-a-uid"]).num_rows == 0


def test_verdicts_between_two_moments(url: str) -> None:
    lines = measurement_lines(80, seed=2)
    with open_store(url) as store:
        store.commit(batch_of(lines))
    since = datetime(2024, 2, 2, 6, tzinfo=UTC)
    until = datetime(2024, 2, 3, 1, tzinfo=UTC)
    table = open_store(url, writable=False).verdicts(
        since=since, until=until, columns=["measurement_uid"]
    )
    expected = {
        uid
        for line, (_, _, uid) in zip(lines, keys_of(lines), strict=True)
        if since.replace(tzinfo=None)
        <= datetime.fromisoformat(orjson.loads(line)["measurement_start_time"])
        < until.replace(tzinfo=None)
    }
    assert expected and set(table.column("measurement_uid").to_pylist()) == expected


def test_reingesting_stores_nothing_twice(url: str) -> None:
    lines = measurement_lines(90, seed=3)
    with open_store(url) as store:
        store.commit(batch_of(lines[:60]))
        again = store.commit(batch_of(lines[30:90]))  # half of it is stored already
        assert again.duplicates == 30 and again.rows["raw"] == again.rows["verdicts"] == 30
        nothing = store.commit(batch_of(lines))
        assert nothing.duplicates == 90 and nothing.rows.get("raw", 0) == 0
    # another writer, opened later, drops the same measurements
    with open_store(url) as other:
        assert other.commit(batch_of(lines[:10])).duplicates == 10
    assert _count(url) == 90


def test_signals_replace_their_source_and_the_latest_source_wins(url: str) -> None:
    def points(code: str, value: float, n: int = 5) -> list[SignalPoint]:
        return [SignalPoint("country", code, "ping", 1700000000 + 300 * i, value) for i in range(n)]

    with open_store(url) as store:
        store.write_signals(points("IR", 1.0), source="a")
        store.write_signals(points("IR", 2.0, n=3), source="a")  # the same import, again
        store.write_signals(points("PK", 5.0), source="b")
        assert [p.value for p in store.signals(entity_type="country", entity_code="IR")] == [
            2.0
        ] * 3
        store.write_signals(points("IR", 9.0, n=2), source="c")  # another source, same times
    reader = open_store(url, writable=False)
    ir = reader.signals(entity_type="country", entity_code="IR")
    assert [(p.timestamp, p.value) for p in ir] == [
        (1700000000, 9.0),
        (1700000300, 9.0),
        (1700000600, 2.0),
    ]
    since = reader.signals(since=datetime.fromtimestamp(1700000600, tz=UTC))
    assert {(p.entity_code, p.timestamp) for p in since} == {
        ("IR", 1700000600),
        ("PK", 1700000600),
        ("PK", 1700000900),
        ("PK", 1700001200),
    }
    with open_store(url) as store:
        store.write_signals([], source="b")  # an import that now has no points
    assert {p.entity_code for p in open_store(url, writable=False).signals()} == {"IR"}


def test_events_change_feed(url: str) -> None:
    first = events_of(3, seed=7)
    with open_store(url) as store:
        assert store.events().events == () and store.events().cursor == 0
        report = store.upsert_events(first)
        assert (report.new, report.changed, report.unchanged) == (3, 0, 0)
        seen = store.events()
        assert [e.event for e in seen.events] == first and seen.cursor == report.cursor
        # a detect run that finds the same events writes nothing: nothing shows as changed
        same = store.upsert_events(first)
        assert (same.new, same.changed, same.unchanged) == (0, 0, 3)
        assert store.events(changed_since=seen.cursor).events == ()
        store.commit(batch_of(measurement_lines(5, seed=8)))  # other tiers move the cursor
        ended = events_of(3, seed=7, ended=True)[1]  # event 1 ends
        later = events_of(5, seed=7)[3:]  # two new ones
        report = store.upsert_events([first[0], ended, *later])
        assert (report.new, report.changed, report.unchanged) == (2, 1, 1)
    feed = open_store(url, writable=False).events(changed_since=seen.cursor)
    assert [e.event for e in feed.events] == [ended, *later]
    assert feed.cursor == report.cursor > seen.cursor
    revisions = [e.revision for e in feed.events]
    assert revisions == sorted(revisions) and all(r > seen.cursor for r in revisions)
    assert feed.events[0].created < feed.events[0].revision  # changed, not new
    assert all(e.created == e.revision for e in feed.events[1:])
    assert all(e.changed_at.tzinfo is not None for e in feed.events)
    everything = open_store(url, writable=False).events()
    assert len(everything.events) == 5  # one (latest) version per event
    # `since`: events in effect at or after a moment (ongoing, or ended at or after it)
    moment = ended.end
    assert moment is not None
    in_effect = open_store(url, writable=False).events(since=moment)
    assert {e.event.event_id for e in in_effect.events} == {
        e.event.event_id for e in everything.events
    }
    after_end = open_store(url, writable=False).events(since=moment + timedelta(seconds=1))
    assert ended.event_id not in {e.event.event_id for e in after_end.events}
    assert open_store(url, writable=False).events(changed_since=feed.cursor).events == ()


def test_rebuild_switches_at_once_and_keeps_what_others_commit_meanwhile(
    url: str, tmp_path: Path
) -> None:
    lines = measurement_lines(120, seed=9)
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines[:80]) + b"\n")
    with open_store(url) as store:
        assert run([str(source)], store).ingested == 80
    before = open_store(url, writable=False).verdicts(columns=["measurement_uid", "outcome"])
    with open_store(url) as rebuilding:
        sources = rebuilding.begin_rebuild()
        with open_store(url) as second, pytest.raises(StoreError, match="already being rebuilt"):
            second.begin_rebuild()
        # another writer commits during the rebuild: its rows must survive the switch
        proc = writer(url, "measurements", "--seed", "9", "--count", "40", "--lines-from", "80")
        _, err = proc.communicate()
        assert proc.returncode == 0, err
        assert _count(url) == 120  # readers see the old tiers, plus the new commit
        report = run(sources, rebuilding, mode="rebuild")
        assert report.ingested == 80
        rebuilding.finish_rebuild()
    after = open_store(url, writable=False).verdicts(columns=["measurement_uid", "outcome"])
    assert after.num_rows == 120
    old = dict(zip(*before.to_pydict().values(), strict=True))
    new = dict(zip(*after.to_pydict().values(), strict=True))
    assert {uid: new[uid] for uid in old} == old  # same rules, same verdicts
    assert open_store(url, writable=False).is_stored(keys_of(lines)) == [True] * 120


@pytest.mark.parametrize("where", PAUSE_POINTS)
def test_kill_9_in_the_middle_of_a_commit_leaves_whole_batches(
    backend: str, url: str, tmp_path: Path, where: str
) -> None:
    ready = tmp_path / "ready"
    args = ["--seed", "11", "--count", "40", "--batches", "3", "--backend", backend]
    proc = writer(url, "measurements", *args, "--pause-at", where, "--ready", str(ready))
    wait_until(ready.exists, "the writer to stop inside its third commit", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    lines = measurement_lines(120, seed=11)
    reader = open_store(url, writable=False)
    assert reader.is_stored(keys_of(lines)) == [True] * 80 + [False] * 40
    assert _count(url) == 80
    assert reader.verdicts(columns=["measurement_uid"]).num_rows == 80
    # the next writer cleans up; the lost batch then commits once, and the store goes on
    with open_store(url) as store:
        info = store.commit(batch_of(lines[80:]))
        assert info.rows["raw"] == 40 and info.duplicates == 0
        assert store.commit(batch_of(lines)).duplicates == 120
    assert _count(url) == 120


@pytest.mark.parametrize("where", PAUSE_POINTS)
def test_kill_9_of_an_events_writer_leaves_whole_versions(
    backend: str, url: str, tmp_path: Path, where: str
) -> None:
    ready = tmp_path / "ready"
    args = ["--seed", "3", "--count", "4", "--batches", "2", "--backend", backend]
    proc = writer(url, "events", *args, "--pause-at", where, "--ready", str(ready))
    wait_until(ready.exists, "the writer to stop inside its second commit", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    feed = open_store(url, writable=False).events()
    assert [e.event for e in feed.events] == events_of(4, seed=3)  # the first upsert, whole
    with open_store(url) as store:
        report = store.upsert_events(events_of(4, seed=4))  # the lost one, again
        assert report.new == 4
    assert len(open_store(url, writable=False).events().events) == 8


def test_a_rebuild_killed_mid_commit_is_discarded_and_the_store_goes_on(
    backend: str, url: str, tmp_path: Path
) -> None:
    lines = measurement_lines(60, seed=12)
    with open_store(url) as store:
        store.commit(batch_of(lines[:40]))
    before = open_store(url, writable=False).verdicts(columns=["measurement_uid", "outcome"])
    ready = tmp_path / "ready"
    command = ["--", "analyze", "--rebuild", "--store", url, "--workers", "1"]
    args = ["--pause-at", "half-line", "--ready", str(ready), "--backend", backend]
    proc = writer(url, "netvigil", *args, *command)
    wait_until(ready.exists, "the rebuild to stop inside its commit", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = open_store(url, writable=False).verdicts(columns=["measurement_uid", "outcome"])
    assert after.equals(before)  # readers never saw the half-built tiers
    with open_store(url) as store:  # writers go on, and a new rebuild may start
        assert store.commit(batch_of(lines[40:])).rows["raw"] == 20
        sources = store.begin_rebuild()
        assert run(sources, store, mode="rebuild").ingested == 60
        store.finish_rebuild()
    assert _count(url) == 60


# -- the verdict feed: what the continuous pipeline reads ----------------------------------------
def _uids(table: object) -> list[str]:
    return list(table.column("measurement_uid").to_pylist())  # type: ignore[attr-defined]


def test_verdict_feed_returns_each_commit_once_in_order(url: str) -> None:
    lines = measurement_lines(90, seed=21)
    keys = [k[2] for k in keys_of(lines)]
    with open_store(url) as store:
        empty = store.verdicts_committed()
        assert empty.rows.num_rows == 0 and empty.cursor == 0 and empty.complete
        first = store.commit(batch_of(lines[:60]))
        feed = store.verdicts_committed(columns=["measurement_uid", "measurement_start_time"])
        assert sorted(_uids(feed.rows)) == sorted(keys[:60]) and feed.cursor == first.seq
        times = feed.rows.column("measurement_start_time").to_pylist()
        assert times == sorted(times)
        store.upsert_events(events_of(2, seed=21))  # other tiers move the seq, not the feed
        second = store.commit(batch_of(lines[30:90]))  # 30 of them are stored already
        assert second.duplicates == 30
    reader = open_store(url, writable=False)
    later = reader.verdicts_committed(after=feed.cursor, generation=feed.generation)
    assert sorted(_uids(later.rows)) == sorted(keys[60:90])
    assert later.cursor == second.seq and not later.restarted
    again = reader.verdicts_committed(after=later.cursor, generation=later.generation)
    assert again.rows.num_rows == 0 and again.cursor == later.cursor


def test_verdict_feed_reads_whole_commits_up_to_max_rows(url: str) -> None:
    lines = measurement_lines(40, seed=22)
    with open_store(url) as store:
        seqs = [store.commit(batch_of(lines[i : i + 10])).seq for i in range(0, 40, 10)]
    reader = open_store(url, writable=False)
    seen: list[str] = []
    cursor, rounds = 0, 0
    while True:
        feed = reader.verdicts_committed(after=cursor, columns=["measurement_uid"], max_rows=15)
        seen += _uids(feed.rows)
        rounds += 1
        assert feed.cursor in seqs
        cursor = feed.cursor
        if feed.complete:
            break
        assert feed.rows.num_rows == 20  # two whole commits of 10: the second reaches 15
    assert rounds == 2 and sorted(seen) == sorted(k[2] for k in keys_of(lines))


def test_verdict_feed_restarts_after_a_rebuild(url: str, tmp_path: Path) -> None:
    lines = measurement_lines(30, seed=23)
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    with open_store(url) as store:
        run([str(source)], store)
    feed = open_store(url, writable=False).verdicts_committed()
    with open_store(url) as store:
        sources = store.begin_rebuild()
        run(sources, store, mode="rebuild")
        store.finish_rebuild()
    after = open_store(url, writable=False).verdicts_committed(
        after=feed.cursor, generation=feed.generation, columns=["measurement_uid"]
    )
    assert after.restarted and after.generation != feed.generation
    assert sorted(_uids(after.rows)) == sorted(k[2] for k in keys_of(lines))


def test_verdict_feed_never_shows_part_of_a_batch_of_a_writer_killed_mid_commit(
    backend: str, url: str, tmp_path: Path
) -> None:
    ready = tmp_path / "ready"
    args = ["--seed", "24", "--count", "20", "--batches", "4", "--backend", backend]
    proc = writer(url, "measurements", *args, "--pause-at", "half-line", "--ready", str(ready))
    reader = open_store(url, writable=False)
    seen: list[str] = []
    cursor = 0
    while not ready.exists():  # read the feed while the writer commits its first batches
        feed = reader.verdicts_committed(after=cursor, columns=["measurement_uid"])
        assert feed.rows.num_rows % 20 == 0  # whole batches only
        seen += _uids(feed.rows)
        cursor = feed.cursor
        assert proc.poll() is None, "the writer exited before its last commit"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    seen += _uids(reader.verdicts_committed(after=cursor, columns=["measurement_uid"]).rows)
    keys = [k[2] for k in keys_of(measurement_lines(80, seed=24))]
    assert sorted(seen) == sorted(keys[:60])  # three whole batches, each row once
