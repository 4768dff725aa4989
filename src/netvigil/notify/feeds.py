"""Atom feeds (RFC 4287, written with feedgen): per country, per entity and per subscription.

A feed lists **public** things only: detected events from the store (what the observatory's event
pages show) and **published** incidents (verified by one person and published by another, or
marked otherwise), read through the tracker's public serialiser. Drafts, dismissed or withdrawn
incidents, sources, reporter contacts and editors never reach a feed: the incidents come from
``public_dict``, which refuses anything unpublished and is built from an allow-list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netvigil.models.entities import Entity
from netvigil.notify.alerts import Filter, description, event_url, matches, scope_of, summary

if TYPE_CHECKING:
    from netvigil.incidents import Tracker
    from netvigil.store.protocol import StoredEvent

MAX_ENTRIES = 50
WINDOW = dt.timedelta(days=90)  # events in effect within this window are listed


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    updated: dt.datetime
    published: dt.datetime
    summary: str
    category: str


def event_entries(stored: Iterable[StoredEvent], base_url: str) -> list[Entry]:
    out = []
    for item in stored:
        event = item.event
        url = event_url(base_url, event.event_id)
        out.append(
            Entry(
                id=url,
                title=summary(event),
                link=url,
                updated=_aware(item.changed_at),
                published=event.detected_at,
                summary=description(event, {}),
                category=event.kind,
            )
        )
    return out


def incident_entries(records: Iterable[Mapping[str, Any]], base_url: str) -> list[Entry]:
    out = []
    for record in records:
        url = f"{base_url.rstrip('/')}/incidents/{record['id']}"
        published = _parse(record.get("published_at")) or _parse(record.get("updated_at"))
        updated = _parse(record.get("updated_at")) or published
        assert published is not None and updated is not None
        out.append(
            Entry(
                id=url,
                title=str(record.get("title") or f"Incident {record['id']}"),
                link=url,
                updated=updated,
                published=published,
                summary=str(record.get("summary") or (record.get("stop") or {}).get("event") or ""),
                category="incident",
            )
        )
    return out


def render(
    *, feed_id: str, title: str, self_url: str, site_url: str, entries: Sequence[Entry]
) -> bytes:
    from feedgen.feed import FeedGenerator

    chosen = sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)[:MAX_ENTRIES]
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.author({"name": "netvigil"})
    fg.link(href=site_url, rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.language("en")
    fg.updated(max((e.updated for e in chosen), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    for item in reversed(chosen):  # feedgen prepends: add oldest first, newest ends on top
        fe = fg.add_entry()
        fe.id(item.id)
        fe.title(item.title)
        fe.link(href=item.link, rel="alternate")
        fe.updated(item.updated)
        fe.published(item.published)
        fe.summary(item.summary)
        fe.category(term=item.category)
    data: bytes = fg.atom_str(pretty=True)
    return data


def events_about(stored: Iterable[StoredEvent], wanted: Filter | set[str]) -> list[StoredEvent]:
    """The events of one entity (a set of entity strings) or that one subscription asks for."""
    out = []
    for item in stored:
        if isinstance(wanted, Filter):
            if any(matches(wanted, item.event)):
                out.append(item)
        elif {str(p) for p in scope_of(item.event)} & wanted:
            out.append(item)
    return out


def incidents_about(tracker: Tracker, entities: Iterable[str]) -> list[dict[str, Any]]:
    """Published incidents about any of ``entities`` (public records only)."""
    from netvigil.incidents import IncidentFilter, public_dict

    found: dict[int, dict[str, Any]] = {}
    for text in entities:
        entity = Entity.parse(text)
        if entity.kind == "country":
            rows = tracker.list_incidents(
                IncidentFilter(country=entity.code, limit=MAX_ENTRIES), public=True
            )
        elif entity.kind == "service":
            rows = [
                r
                for r in tracker.list_incidents(IncidentFilter(limit=500), public=True)
                if entity.code in (r.services or ())
            ]
        elif entity.kind == "asn":
            number = int(entity.code.removeprefix("AS"))
            rows = [
                r
                for r in tracker.list_incidents(IncidentFilter(limit=500), public=True)
                if number in (r.asns or ())
            ]
        else:
            rows = []
        for row in rows:
            found.setdefault(row.id, public_dict(row))
    return list(found.values())


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _parse(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return _aware(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
