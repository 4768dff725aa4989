"""The webhook channel against a real HTTP receiver on loopback: Alertmanager's v4 payload with
the evidence, the HMAC signature, grouping by Alertmanager's timers, a resolved notice after the
close, and a receiver that is down, then back (time driven by a manual clock, no sleeps)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest
from notifykit import (
    T0,
    ManualClock,
    WebhookReceiver,
    blocking,
    measurement,
    notifier,
    notify_settings,
    outage,
    run,
    store_with,
    subscribe,
    tick_and_settle,
    upsert,
)

from netvigil.incidents import Tracker
from netvigil.incidents.notify_tables import Delivery
from netvigil.models.events import iso

SECRET = "a-shared-secret-of-some-length"
AM_FIELDS = {
    "version",
    "groupKey",
    "truncatedAlerts",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "alerts",
}
ALERT_FIELDS = {
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "fingerprint",
}


@pytest.fixture
def receiver() -> Any:
    r = WebhookReceiver().start()
    yield r
    r.stop()


def _lines() -> list[bytes]:
    """Three blocked measurements of lihkg.com in AS4760 after T0, one ok before, and one of
    another domain (not evidence of this event)."""
    at = [T0 + dt.timedelta(minutes=m) for m in (2, 7, 12)]
    url = "https://lihkg.com/"
    return [
        measurement(
            "successWithHTTPS", cc="HK", asn="AS4760", url=url, when=T0 - dt.timedelta(minutes=30)
        ),
        *(measurement("dnsBlockingNXDOMAIN", cc="HK", asn="AS4760", url=url, when=w) for w in at),
        measurement(
            "dnsBlockingNXDOMAIN", cc="HK", asn="AS4760", url="https://other.example/", when=at[0]
        ),
    ]


def test_payload_is_alertmanager_v4_with_evidence_and_signature(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    event = blocking(start=T0)
    url, verdicts = store_with(tmp_path / "store", _lines(), [event])
    blocked = {
        v["measurement_uid"]
        for v in verdicts
        if v["domain"] == "lihkg.com" and v["outcome"] in ("anomaly", "confirmed")
    }
    assert len(blocked) == 3, verdicts  # the fixtures' verdicts, read back from the store
    settings = notify_settings(tmp_path)
    clock = ManualClock(T0 + dt.timedelta(minutes=15))
    with Tracker(settings.tracker_url) as tracker:
        sub = subscribe(
            tracker,
            settings.notify,
            entities="country:HK",
            channel="webhook",
            url=receiver.url,
            secret=SECRET,
        )
        n = notifier(settings, tracker, url, clock)
        report = run(tick_and_settle(n))
        assert report.events == 1 and report.alerts == 1
        assert receiver.received == []  # group_wait (30 s) not over yet
        clock.advance(30)
        run(tick_and_settle(n))
    [got] = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-netvigil-signature-256"] == expected
    body = got.json()
    assert set(body) >= AM_FIELDS and body["version"] == "4" and body["status"] == "firing"
    assert body["receiver"] == f"netvigil-subscription-{sub.id}"
    assert body["groupLabels"] == {"alertname": "NetvigilBlocking", "country": "HK"}
    [alert] = body["alerts"]
    assert set(alert) >= ALERT_FIELDS
    assert alert["endsAt"] == "0001-01-01T00:00:00Z" and alert["startsAt"] == iso(T0)
    assert alert["labels"]["event_id"] == event.event_id
    scope = {"country": "HK", "asn": "AS4760", "domain": "lihkg.com"}
    assert alert["labels"].items() >= scope.items()
    assert alert["generatorURL"].startswith("https://observatory.example.org/events/cusum")
    evidence = alert["evidence"]
    assert {m["measurement_uid"] for m in evidence["measurements"]} == blocked
    assert all(m["outcome"] in ("anomaly", "confirmed") for m in evidence["measurements"])
    # Counted: this domain, this network, since the onset (the ok one before it is not).
    assert sum(evidence["measurement_counts"].values()) == 3
    assert evidence["event"]["signals"] == ["verdicts"] and evidence["event"]["detector"] == "cusum"
    # A domain has no cost model: the alert says so rather than inventing a figure.
    assert "No estimate" in evidence["impact"]["reason"]
    assert body["netvigil"]["unsubscribe_url"].startswith(
        "https://observatory.example.org/unsubscribe/"
    )
    assert got.headers["x-netvigil-delivery"] == body["netvigil"]["delivery"]


def test_outage_alert_carries_people_affected_and_cost_so_far(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    url, _ = store_with(tmp_path / "store", (), [outage("HK", start=T0)])
    settings = notify_settings(tmp_path, group_wait=0)
    clock = ManualClock(T0 + dt.timedelta(hours=2))
    with Tracker(settings.tracker_url) as tracker:
        subscribe(
            tracker,
            settings.notify,
            entities="country:HK",
            kinds="outage",
            channel="webhook",
            url=receiver.url,
        )
        run(tick_and_settle(notifier(settings, tracker, url, clock)))
    [alert] = receiver.payloads()[0]["alerts"]
    impact = alert["evidence"]["impact"]
    assert impact["hours"] == 2.0 and impact["people_affected"] > 1_000_000
    assert impact["cost_usd"]["low"] <= impact["cost_usd"]["central"] <= impact["cost_usd"]["high"]
    assert "Brookings" in impact["method"]
    assert alert["annotations"]["people_affected"] == str(impact["people_affected"])


def test_grouping_and_resolved_notice_follow_alertmanager_timers(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """Two blockings in one country within group_wait: one notification; a third later waits for
    group_interval; the close of one is a resolved notice at the next interval; nothing repeats
    until repeat_interval, then the firing ones repeat."""
    a = blocking("lihkg.com", start=T0)
    b = blocking("hkcnews.com", start=T0)
    url, _ = store_with(tmp_path / "store", (), [a])
    settings = notify_settings(tmp_path)  # 30 s / 5 min / 4 h: the defaults
    clock = ManualClock(T0)
    with Tracker(settings.tracker_url) as tracker:
        subscribe(
            tracker, settings.notify, entities="country:HK", channel="webhook", url=receiver.url
        )
        n = notifier(settings, tracker, url, clock)
        run(tick_and_settle(n))
        clock.advance(10)
        upsert(url, [b])
        run(tick_and_settle(n))
        clock.advance(20)  # 30 s after the first alert
        run(tick_and_settle(n))
        assert len(receiver.received) == 1
        assert {x["labels"]["domain"] for x in receiver.payloads()[0]["alerts"]} == {
            "lihkg.com",
            "hkcnews.com",
        }
        c = blocking("standnews.com", start=T0 + dt.timedelta(minutes=1))
        clock.advance(30)
        upsert(url, [c])
        run(tick_and_settle(n))
        clock.advance(200)  # 230 s after the first notification: group_interval not over
        run(tick_and_settle(n))
        assert len(receiver.received) == 1
        clock.advance(70)  # 300 s
        run(tick_and_settle(n))
        assert len(receiver.received) == 2
        assert len(receiver.payloads()[1]["alerts"]) == 3
        # The lihkg.com blocking ends.
        clock.advance(60)
        upsert(url, [blocking("lihkg.com", start=T0, end=clock.now())])
        run(tick_and_settle(n))
        assert len(receiver.received) == 2  # waits for the group interval
        clock.advance(240)
        run(tick_and_settle(n))
        third = receiver.payloads()[2]
        statuses = {x["labels"]["domain"]: x["status"] for x in third["alerts"]}
        assert statuses == {
            "lihkg.com": "resolved",
            "hkcnews.com": "firing",
            "standnews.com": "firing",
        }
        resolved = next(x for x in third["alerts"] if x["status"] == "resolved")
        assert resolved["endsAt"] == iso(clock.now() - dt.timedelta(seconds=240))
        # Nothing changed: no notification until the repeat interval; then the firing ones.
        clock.advance(3 * 3600)
        run(tick_and_settle(n))
        assert len(receiver.received) == 3
        clock.advance(3600)
        run(tick_and_settle(n))
        assert len(receiver.received) == 4
        repeat = receiver.payloads()[3]
        assert {x["labels"]["domain"] for x in repeat["alerts"]} == {"hkcnews.com", "standnews.com"}
        # Everything ends: one resolved notice, then the group is over and stays silent.
        clock.advance(60)
        upsert(
            url,
            [
                blocking("hkcnews.com", start=T0, end=clock.now()),
                blocking("standnews.com", start=c.start, end=clock.now()),
            ],
        )
        for _ in range(3):
            clock.advance(300)
            run(tick_and_settle(n))
        assert len(receiver.received) == 5 and receiver.payloads()[4]["status"] == "resolved"
        clock.advance(5 * 3600)
        run(tick_and_settle(n))
        assert len(receiver.received) == 5


def test_receiver_down_then_back_gets_each_notification_once_in_order(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    event = blocking(start=T0)
    url, _ = store_with(tmp_path / "store", (), [event])
    settings = notify_settings(tmp_path, retry_initial=30, retry_max=600)
    clock = ManualClock(T0)
    receiver.stop()  # connection refused from the start
    with Tracker(settings.tracker_url) as tracker:
        subscribe(
            tracker, settings.notify, entities="asn:AS4760", channel="webhook", url=receiver.url
        )
        n = notifier(settings, tracker, url, clock)
        waits = []
        for _ in range(6):  # 30 s group wait, then failures with growing back-off
            clock.advance(30)
            run(tick_and_settle(n))
        [delivery] = n.ledger.deliveries()
        assert delivery.status == "pending" and delivery.attempts >= 2
        assert "ConnectError" in (delivery.last_error or "")
        # The event closes while the receiver is down: the resolved notice waits its turn.
        upsert(url, [blocking(start=T0, end=clock.now())])
        for _ in range(10):
            clock.advance(120)
            run(tick_and_settle(n))
            waits.append(n.ledger.deliveries()[0].attempts)
        assert len(n.ledger.deliveries()) == 1  # the group plans nothing while undelivered
        assert waits == sorted(waits) and waits[-1] < 10  # back-off: fewer attempts than ticks
        receiver.start()  # back, on the same port
        for _ in range(6):
            clock.advance(600)
            run(tick_and_settle(n))
        rows = n.ledger.deliveries()
    assert [r.status for r in rows] == ["sent", "sent"]
    assert [p["status"] for p in receiver.payloads()] == ["firing", "resolved"]
    assert len({r.headers["x-netvigil-delivery"] for r in receiver.received}) == 2


def test_restart_neither_loses_nor_repeats(tmp_path: Path, receiver: WebhookReceiver) -> None:
    """A notifier that stops after planning (the delivery is in the log, not sent) and one that
    stops after delivering: the next process sends the first once and never the second again."""
    url, _ = store_with(tmp_path / "store", (), [blocking(start=T0)])
    settings = notify_settings(tmp_path)
    clock = ManualClock(T0)
    receiver.status = 503  # the first process's attempt fails: planned, not delivered
    with Tracker(settings.tracker_url) as tracker:
        subscribe(
            tracker,
            settings.notify,
            entities="domain:lihkg.com",
            channel="webhook",
            url=receiver.url,
        )
        first = notifier(settings, tracker, url, clock)
        run(tick_and_settle(first))
        clock.advance(30)
        run(tick_and_settle(first))
        assert [d.status for d in first.ledger.deliveries()] == ["pending"]
    receiver.status = 200
    clock.advance(60)
    with Tracker(settings.tracker_url) as tracker:  # a new process: new tracker, new notifier
        second = notifier(settings, tracker, url, clock)
        report = run(tick_and_settle(second))
        assert report.events == 0  # the cursor was kept: the event is not read again
        assert [d.status for d in second.ledger.deliveries()] == ["sent"]
    with Tracker(settings.tracker_url) as tracker:
        third = notifier(settings, tracker, url, clock)
        for _ in range(3):
            clock.advance(300)
            run(tick_and_settle(third))
        with tracker.session() as s:
            assert s.query(Delivery).count() == 1
    assert len(receiver.received) == 1


def test_a_hung_receiver_delays_no_one_else(tmp_path: Path) -> None:
    import threading

    slow = WebhookReceiver(hold=threading.Event()).start()
    fast = WebhookReceiver().start()
    try:
        url, _ = store_with(tmp_path / "store", (), [blocking(start=T0)])
        settings = notify_settings(tmp_path, group_wait=0, webhook_timeout=60)
        clock = ManualClock(T0)
        with Tracker(settings.tracker_url) as tracker:
            for r in (slow, fast):
                subscribe(
                    tracker, settings.notify, entities="country:HK", channel="webhook", url=r.url
                )
            n = notifier(settings, tracker, url, clock)

            async def scenario() -> None:
                import asyncio

                report = await n.tick()
                assert report.started == 2
                while not fast.received:  # the fast one is served while the slow one hangs
                    await asyncio.sleep(0.01)
                assert n.in_flight() >= 1 and not slow.received
                assert slow.arrived.is_set()
                slow.hold.set()  # type: ignore[union-attr]
                await n.settle()

            run(scenario())
            assert [d.status for d in n.ledger.deliveries()] == ["sent", "sent"]
    finally:
        slow.stop()
        fast.stop()


def test_a_new_subscriber_hears_of_what_is_going_on(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """Subscribing during a shutdown: the ongoing event is notified (not the ended ones)."""
    url, _ = store_with(
        tmp_path / "store",
        (),
        [outage("HK", start=T0), blocking(start=T0 - dt.timedelta(days=1), end=T0)],
    )
    settings = notify_settings(tmp_path, group_wait=0)
    clock = ManualClock(T0 + dt.timedelta(hours=1))
    with Tracker(settings.tracker_url) as tracker:
        n = notifier(settings, tracker, url, clock)
        run(tick_and_settle(n))  # the cursor passes both events before anyone subscribed
        subscribe(
            tracker, settings.notify, entities="country:HK", channel="webhook", url=receiver.url
        )
        clock.advance(10)
        run(tick_and_settle(n))
        run(tick_and_settle(n))  # caught up once, not twice
    [body] = receiver.payloads()
    assert [a["labels"]["alertname"] for a in body["alerts"]] == ["NetvigilOutage"]
