"""What a STOP import does beyond copying cells, inside the import's transaction: episodes and
daily windows read from the rows' own words, and the links that make one incident per shutdown.

Both are recomputed from the stored rows, so importing twice (or in another order) ends in the
same state; only differences are written, and the import's audit entry lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netvigil.incidents.hours import EpisodeHours, read_hours
from netvigil.incidents.linking import RowFacts, link_rows
from netvigil.incidents.model import DailyWindow, Episode, Incident
from netvigil.incidents.stop import StopRow

STOP_ORIGIN = "stop"
NOT_LINKED_SHEETS = frozenset({"need more details"})  # drafts, not Access Now's counted rows


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _shape(items: Iterable[Any]) -> list[tuple[Any, ...]]:
    """A comparable form of episodes (stored Episode or read EpisodeHours)."""
    out = []
    for e in items:
        windows = [
            (w.day, getattr(w, "start_time", getattr(w, "start", None)),
             getattr(w, "end_time", getattr(w, "end", None)))
            for w in e.windows
        ]  # fmt: skip
        out.append((_utc(e.start_at), _utc(e.end_at), tuple(windows)))
    return out


def episodes_from_hours(incident: Incident, found: list[EpisodeHours]) -> list[Episode]:
    episodes = []
    for item in found:
        episode = Episode(
            area_name=incident.area_name,
            shutdown_type=incident.type_code,
            start_at=item.start_at,
            end_at=item.end_at,
            notes=f"Read from STOP's {item.source}: “{item.text}”",
            origin=STOP_ORIGIN,
        )
        episode.windows = [
            DailyWindow(day=w.day, start_time=w.start, end_time=w.end, timezone=item.timezone)
            for w in item.windows
        ]
        episodes.append(episode)
    return episodes


def sync_episodes(incident: Incident, row: StopRow) -> bool:
    """Replace the incident's STOP-read episodes when the row's hours changed; editors' own
    episodes are never touched. True when anything changed."""
    found = read_hours(row.fields, row.country_code)
    current = [e for e in incident.episodes if e.origin == STOP_ORIGIN]
    if _shape(current) == _shape(found):
        return False
    for episode in current:
        incident.episodes.remove(episode)
    incident.episodes.extend(episodes_from_hours(incident, found))
    return True


def relink(s: Session) -> list[dict[str, Any]]:
    """Recompute links between every imported STOP row; write and return the changes."""
    columns = (
        Incident.id,
        Incident.stop_sheet,
        Incident.stop_row,
        Incident.stop_schema,
        Incident.report_year,
        Incident.country_code,
        Incident.start_date,
        Incident.end_date,
        Incident.area_name,
        Incident.info_source_link,
        Incident.natural_key,
        Incident.same_as_id,
        Incident.link_kind,
        Incident.link_reason,
    )
    rows = list(
        s.execute(
            select(*columns).where(
                Incident.natural_key.like("stop:%"), Incident.stop_sheet.is_not(None)
            )
        )
    )
    facts = [
        RowFacts(r.id, r.stop_sheet, r.stop_row, r.stop_schema, r.report_year, r.country_code,
                 r.start_date, r.end_date, r.area_name, r.info_source_link, r.natural_key)
        for r in rows
        if " ".join(str(r.stop_sheet).split()).lower() not in NOT_LINKED_SHEETS
    ]  # fmt: skip
    wanted = link_rows(facts)
    changes: list[dict[str, Any]] = []
    for r in rows:
        link = wanted.get(r.id)
        target = (None, None, None) if link is None else (link.same_as_id, link.kind, link.reason)
        if (r.same_as_id, r.link_kind, r.link_reason) == target:
            continue
        incident = s.get(Incident, r.id)
        assert incident is not None
        incident.same_as_id, incident.link_kind, incident.link_reason = target
        changes.append(
            {"id": r.id, "sheet": r.stop_sheet, "row": r.stop_row, "same_as": target[0],
             "kind": target[1], "reason": target[2]}
        )  # fmt: skip
    return changes
