"""Impact of an incident as the tracker holds it: its later yearly reports (is it still going
on?) and earlier service blocks in the same country (already blocked, not counted again)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from netvigil.impact.blocked import Block
from netvigil.impact.incident import (
    IncidentImpact,
    NoEstimate,
    facts_from_record,
    incident_impact,
)

if TYPE_CHECKING:
    from netvigil.incidents import Tracker


def tracker_blocks(tracker: Tracker, record: dict[str, Any]) -> list[Block]:
    """Services of earlier published service blocks in the country still on when this began."""
    from netvigil.incidents.model import Incident

    start = (record.get("stop") or {}).get("start_date")
    cc = record.get("country_code")
    if not start or not cc:
        return []
    begin = dt.date.fromisoformat(start)
    query = select(
        Incident.id, Incident.start_date, Incident.end_date, Incident.shutdown_status,
        Incident.services,
    ).where(
        Incident.status == "published",
        Incident.link_kind.is_(None),
        Incident.country_code == cc,
        Incident.extent_code == "service_based",
        Incident.start_date < begin,
        Incident.id != record.get("id"),
    )  # fmt: skip
    blocks: list[Block] = []
    with tracker.session() as s:
        for row in s.execute(query):
            ongoing = row.end_date is None and (row.shutdown_status or "").lower() == "ongoing"
            if ongoing or (row.end_date is not None and row.end_date >= begin):
                blocks.extend(
                    Block(service, row.start_date, f"netvigil incident #{row.id}")
                    for service in row.services or ()
                )
    return blocks


def impact_of_incident(
    tracker: Tracker, record: dict[str, Any], *, today: dt.date | None = None
) -> IncidentImpact | NoEstimate:
    """The estimate for a public record of ``tracker`` (or why there is none)."""
    from netvigil.incidents import public_dict

    reports = [public_dict(r) for r in tracker.linked_reports(record["id"], public=True)]
    facts = facts_from_record(record, reports)
    return incident_impact(
        facts, today=today or dt.date.today(), tracker_blocks=tracker_blocks(tracker, record)
    )
