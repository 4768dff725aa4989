"""Atom feeds (per country, per entity, per subscription) parsed back with a feed reader; the
disruption notice in English and Traditional Chinese; and a privacy crawl of every feed, notice
and notification these tests produce: no private incident field, no draft, no reporter contact."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from notifykit import (
    Inbox,
    ManualClock,
    WebhookReceiver,
    blocking,
    free_port,
    measurement,
    notifier,
    notify_settings,
    outage,
    platform_outage,
    run,
    store_with,
    subscribe,
    tick_and_settle,
)

from netvigil.incidents import Actor, IncidentFilter, Tracker, private_dict
from netvigil.notify import Subscriptions

PRIVATE = "PRIVMARK"
BASE = "https://observatory.example.org"


@dataclass
class World:
    client: TestClient
    tracker: Tracker
    published: int
    draft: int
    subscriptions: list[Any]
    webhook: WebhookReceiver
    inbox: Inbox
    event_drafts: list[int]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Events in the store (an outage, a blocking, a platform outage), a published incident
    with private sources, notes and a reporter, a hand-made draft, drafts opened by the events,
    and subscriptions of every channel that have received their notifications."""
    from aiosmtpd.controller import Controller

    from netvigil.web import create_app

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(hours=3)
    lines = [
        measurement(
            "dnsBlockingNXDOMAIN",
            cc="HK",
            asn="AS4760",
            url="https://lihkg.com/",
            when=start + dt.timedelta(minutes=m),
        )
        for m in (5, 15)
    ]
    events = [
        outage("HK", start=start, end=start + dt.timedelta(hours=1)),
        blocking(start=start),
        platform_outage("telegram", start=start),
        outage("IR", start=start),
    ]
    url, _ = store_with(tmp_path / "store", lines, events)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    webhook = WebhookReceiver().start()
    settings = notify_settings(
        tmp_path, group_wait=0, smtp={"host": "127.0.0.1", "port": port, "starttls": False}
    )
    settings.store = url
    try:
        with Tracker(settings.tracker_url) as tracker:
            editor = tracker.create_user(
                f"ed-{PRIVATE}@example.org", "editor-password", role="editor"
            )
            admin = tracker.create_user(
                f"admin-{PRIVATE}@example.org", "admin-password", role="admin"
            )
            inc = tracker.create_incident(
                {
                    "title": "Hong Kong: LIHKG blocked in one network",
                    "country": "Hong Kong",
                    "start_date": start.date().isoformat(),
                    "summary": "LIHKG unreachable from AS4760 while reachable elsewhere.",
                    "info_source_link": "https://www.hkcnews.com/article/1",
                    "internal_notes": f"{PRIVATE}-notes",
                    "asns": "AS4760",
                },
                editor,
            )
            tracker.add_source(
                inc.id,
                editor,
                description=f"{PRIVATE}-source",
                url=f"https://signal.example/{PRIVATE}",
                reporter_name=f"{PRIVATE}-name",
                reporter_contact=f"+852-{PRIVATE}-contact",
            )
            law = tracker.add_legal_instrument(
                {"name": "Telecommunications Ordinance", "kind": "law", "jurisdiction": "HK"},
                Actor("cli:test", "admin"),
            )
            tracker.link_legal_basis(inc.id, law.id, editor, articles="s. 13")
            tracker.attach_evidence(inc.id, "url", "https://www.hkcnews.com/article/2", editor)
            tracker.set_status(inc.id, "corroborated", editor)
            tracker.set_status(inc.id, "verified", editor)
            tracker.set_status(inc.id, "published", admin)
            draft = tracker.create_incident(
                {
                    "title": f"{PRIVATE}-draft title",
                    "country": "Hong Kong",
                    "start_date": start.date().isoformat(),
                },
                editor,
            )
            subs = [
                subscribe(tracker, settings.notify, entities="country:HK", channel="atom"),
                subscribe(
                    tracker,
                    settings.notify,
                    entities="country:HK service:telegram",
                    channel="webhook",
                    url=webhook.url,
                ),
                subscribe(
                    tracker,
                    settings.notify,
                    entities="country:HK asn:AS4760",
                    channel="email",
                    email="desk@newsroom.example",
                ),
            ]
            n = notifier(settings, tracker, url, ManualClock(now))
            for _ in range(2):  # a receiver gets its notifications one at a time, in order
                run(tick_and_settle(n))
            event_drafts = [
                r.id
                for r in tracker.list_incidents(IncidentFilter(limit=None), public=False)
                if r.event_entity
            ]
            client = TestClient(create_app(settings, tracker=tracker))
            yield World(client, tracker, inc.id, draft.id, subs, webhook, inbox, event_drafts)
    finally:
        controller.stop()
        webhook.stop()


def _feed(client: TestClient, path: str) -> Any:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def test_country_entity_and_subscription_feeds(world: World) -> None:
    hk = _feed(world.client, "/feeds/countries/HK.atom")
    titles = [e.title for e in hk.entries]
    links = {e.link for e in hk.entries}
    assert f"{BASE}/incidents/{world.published}" in links  # the published incident
    assert any(t.startswith("Blocking of lihkg.com in Hong Kong") for t in titles)
    assert any(t.startswith("Outage ended: Hong Kong") for t in titles)
    assert not any("Iran" in t for t in titles)  # another country's event
    assert not any("telegram" in t for t in titles)  # a platform outage names no country
    assert hk.feed.title == "netvigil: Hong Kong"
    assert all(e.link.startswith(BASE) for e in hk.entries)
    # Newest first, and events link to their pages.
    assert any("/events/cusum" in link for link in links)

    telegram = _feed(world.client, "/feeds/entities/service:telegram.atom")
    [entry] = telegram.entries
    assert entry.title == "Platform outage: telegram down for everyone (not censorship)"
    assert [t.term for t in entry.tags] == ["platform_outage"]
    network = _feed(world.client, "/feeds/entities/asn:AS4760.atom")
    assert {e.link for e in network.entries} >= {f"{BASE}/incidents/{world.published}"}
    assert world.client.get("/feeds/entities/planet:earth.atom").status_code == 404
    assert world.client.get("/feeds/countries/JJ.atom").status_code == 404

    atom_sub = world.subscriptions[0]
    own = _feed(world.client, f"/feeds/subscriptions/{atom_sub.feed_token}.atom")
    assert {e.link for e in own.entries} == {e.link for e in hk.entries}
    assert world.client.get("/feeds/subscriptions/nope.atom").status_code == 404
    Subscriptions(world.tracker).unsubscribe(atom_sub.id, by="test")
    assert world.client.get(f"/feeds/subscriptions/{atom_sub.feed_token}.atom").status_code == 404


def test_notice_in_english_and_traditional_chinese(world: World) -> None:
    data = world.client.get(f"/incidents/{world.published}/notice.json").json()
    from netvigil.web._schemas import Notice

    Notice.model_validate(data)  # the shape /docs declares
    en, zh = data["languages"]["en"], data["languages"]["zh_Hant"]
    assert en["what"].startswith("Hong Kong: LIHKG") and en["where"].startswith("Hong Kong")
    assert zh["where"].startswith("香港") and zh["heading"] == "網路中斷通告"
    assert en["since"] and "年" in zh["since"]
    assert en["legal"] == ["Telecommunications Ordinance (HK), s. 13"]
    assert "https://www.hkcnews.com/article/1" in data["sources"]
    assert "https://www.hkcnews.com/article/2" in data["sources"]
    assert en["impact"]  # an estimate, or why there is none
    text = world.client.get(f"/incidents/{world.published}/notice.txt").text
    assert "Disruption notice" in text and "網路中斷通告" in text and "How it was measured" in text
    page = world.client.get(f"/incidents/{world.published}/notice").text
    assert 'lang="zh-Hant"' in page and "Telecommunications Ordinance" in page
    # A draft has no notice.
    assert world.client.get(f"/incidents/{world.draft}/notice.json").status_code == 404


def test_notifications_went_out_on_every_channel(world: World) -> None:
    payloads = world.webhook.payloads()
    alertnames = {a["labels"]["alertname"] for p in payloads for a in p["alerts"]}
    # country:HK and service:telegram: the blocking, the HK outage (ended before anyone was
    # told: dropped, as Alertmanager drops it) and the platform outage.
    assert alertnames == {"NetvigilBlocking", "NetvigilPlatformOutage"}
    assert len(world.inbox.messages) == 1  # asn:AS4760 and country:HK: the blocking
    assert len(world.event_drafts) == 4


def test_privacy_crawl_finds_no_private_field_draft_or_contact(world: World) -> None:
    client, tracker = world.client, world.tracker
    forbidden = [PRIVATE, "Draft opened by netvigil", "+852-"]
    for draft_id in [world.draft, *world.event_drafts]:
        record = private_dict(tracker.get_incident(draft_id, public=False))
        forbidden.append(f'/incidents/{draft_id}"')
        forbidden.append(f"/incidents/{draft_id}<")
        if record["summary"]:
            forbidden.append(record["summary"])
    documents: dict[str, str] = {}
    entities = ["country:HK", "country:IR", "asn:AS4760", "service:telegram", "domain:lihkg.com"]
    paths = [f"/feeds/entities/{e}.atom" for e in entities] + [
        "/feeds/countries/HK.atom",
        "/feeds/countries/IR.atom",
        *(f"/feeds/subscriptions/{s.feed_token}.atom" for s in world.subscriptions),
        f"/incidents/{world.published}/notice",
        f"/incidents/{world.published}/notice.json",
        f"/incidents/{world.published}/notice.txt",
    ]
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, path
        documents[path] = answer.text
    for i, received in enumerate(world.webhook.received):
        documents[f"webhook {i}"] = received.body.decode()
    for i, message in enumerate(world.inbox.messages):
        documents[f"email {i}"] = message.as_string()
    assert len(documents) >= len(paths) + 2
    for name, text in documents.items():
        for needle in forbidden:
            assert needle not in text, f"{needle!r} leaked into {name}"
