"""Draft incidents opened by detected events, and what an editor does with a draft.

A detected event (outage, blocking, platform outage) opens a **draft** (status ``reported``, never
public until verified and published) with its evidence: the event itself (its snapshot: entity,
span, score, signals and their values, the impact so far) and the measurements behind it, each
with its verdict from the store. Later versions of the event update that draft:

1. a draft that already cites the event is updated while it is still open (reported or
   corroborated); once an editor dismissed, verified or published it, the event no longer
   touches it;
2. otherwise an open draft about the same entity whose span overlaps the event's takes the event
   as more evidence (its span grows to cover both): one draft per disruption, not one per event;
3. otherwise a new draft is created.

An editor can **merge** two drafts (the evidence of one moves to the other, which keeps the wider
span; the emptied one is dismissed), **dismiss** one with a reason (audited; it can be reopened),
or take it forward (corroborate, verify; :meth:`Tracker.set_status`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from netvigil._errors import InputError
from netvigil.incidents import audit
from netvigil.incidents._base import TrackerBase, incident_row
from netvigil.incidents.fields import coerce_incident_fields
from netvigil.incidents.model import OPEN_DRAFT_STATUSES, Evidence, Incident
from netvigil.incidents.normalise import refresh
from netvigil.incidents.roles import Actor, require

# The fields a later version of the event may change on its draft (an editor's edits of the
# others are kept).
SPAN_FIELDS = ("start_at", "end_at", "start_date", "end_date", "shutdown_status")


@dataclass(frozen=True)
class EventDraft:
    """What a detected event brings to the tracker (built by netvigil.notify.drafts)."""

    event_id: str
    entity: str  # the event's entity or scope
    start: dt.datetime
    end: dt.datetime | None
    fields: dict[str, Any]  # incident fields (coerce_incident_fields names)
    snapshot: dict[str, Any]  # the event, its signal values, the impact so far (public data)
    measurements: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _overlaps(incident: Incident, start: dt.datetime, end: dt.datetime | None) -> bool:
    begin, finish = _aware(incident.start_at), _aware(incident.end_at)
    if begin is None:
        return False
    return (end is None or begin <= end) and (finish is None or finish >= start)


def _parse(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return _aware(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))


def _set_span(incident: Incident, start: dt.datetime, end: dt.datetime | None) -> bool:
    before = tuple(getattr(incident, name) for name in SPAN_FIELDS)
    incident.start_at, incident.start_date = start, start.date()
    incident.end_at, incident.end_date = end, None if end is None else end.date()
    incident.shutdown_status = "Ongoing" if end is None else "Ended"
    after = tuple(getattr(incident, name) for name in SPAN_FIELDS)
    return tuple(map(_comparable, before)) != tuple(map(_comparable, after))


def _comparable(value: Any) -> Any:
    return _aware(value) if isinstance(value, dt.datetime) else value


def _natural_key(event_id: str) -> str:
    return "event:" + hashlib.sha256(event_id.encode()).hexdigest()[:40]


class TrackerDrafts(TrackerBase):
    def upsert_event_draft(self, draft: EventDraft, actor: Actor) -> tuple[int | None, str]:
        """Open or update the draft of a detected event: ``(incident id, what happened)``, one of
        ``created``, ``updated``, ``unchanged``, ``skipped`` (an editor has decided on it)."""
        require(actor, "editor", "open draft incidents")
        values = coerce_incident_fields(draft.fields)

        def work(s: Session) -> tuple[int | None, str]:
            cited = s.scalar(
                select(Incident)
                .join(Evidence)
                .where(Evidence.kind == "event", Evidence.value == draft.event_id)
                .order_by(Incident.id)
                .limit(1)
            )
            if cited is not None and cited.status not in OPEN_DRAFT_STATUSES:
                return cited.id, "skipped"
            target = cited or self._open_draft(s, draft)
            if target is None:
                incident = Incident(
                    natural_key=_natural_key(draft.event_id),
                    status="reported",
                    event_entity=draft.entity,
                    created_by=actor.name,
                    updated_by=actor.name,
                    **values,
                )
                refresh(incident)
                s.add(incident)
                s.flush()
                self._cite(s, incident, draft, actor)
                audit.append(s, actor=actor.name, action="draft", entity="incident",
                             entity_id=incident.id,
                             detail={"event_id": draft.event_id, "result": "created"})  # fmt: skip
                return incident.id, "created"
            changed = self._cite(s, target, draft, actor)
            changed = self._follow_events(target) or changed
            if not changed:
                return target.id, "unchanged"
            target.updated_by = actor.name
            refresh(target)
            audit.append(s, actor=actor.name, action="draft", entity="incident",
                         entity_id=target.id,
                         detail={"event_id": draft.event_id, "result": "updated"})  # fmt: skip
            return target.id, "updated"

        result: tuple[int | None, str] = self._write(work)
        return result

    def _open_draft(self, s: Session, draft: EventDraft) -> Incident | None:
        candidates = s.scalars(
            select(Incident)
            .where(
                Incident.event_entity == draft.entity,
                Incident.status.in_(OPEN_DRAFT_STATUSES),
                or_(Incident.end_at.is_(None), Incident.end_at >= draft.start),
            )
            .order_by(Incident.id)
        )
        return next((i for i in candidates if _overlaps(i, draft.start, draft.end)), None)

    @staticmethod
    def _follow_events(incident: Incident) -> bool:
        """The span of every event the draft cites: the earliest start, and the latest end once
        all of them ended (open while one is ongoing). True when something changed."""
        spans: list[tuple[dt.datetime, dt.datetime | None]] = []
        for item in incident.evidence:
            begin = _parse((item.verdict or {}).get("start")) if item.kind == "event" else None
            if begin is not None:
                spans.append((begin, _parse(item.verdict.get("end"))))
        if not spans:
            return False
        start = min(begin for begin, _ in spans)
        ends = [finish for _, finish in spans]
        end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
        return _set_span(incident, start, end)

    @staticmethod
    @staticmethod
    def _cite(s: Session, incident: Incident, draft: EventDraft, actor: Actor) -> bool:
        """Attach (or refresh) the event's evidence and its measurements; True if it changed."""
        existing = {(e.kind, e.value): e for e in incident.evidence}
        changed = False
        event = existing.get(("event", draft.event_id))
        snapshot = dict(draft.snapshot)
        if event is None:
            incident.evidence.append(
                Evidence(
                    kind="event",
                    value=draft.event_id,
                    verdict=snapshot,
                    description="detected event",
                    added_by=actor.name,
                )
            )
            changed = True
        elif event.verdict != snapshot:
            event.verdict = snapshot
            changed = True
        for uid, verdict in draft.measurements:
            if ("measurement", uid) not in existing:
                incident.evidence.append(
                    Evidence(
                        kind="measurement",
                        value=uid,
                        verdict=dict(verdict),
                        description=f"behind event {draft.event_id}",
                        added_by=actor.name,
                    )
                )
                changed = True
        s.flush()
        return changed

    def merge_drafts(self, keep_id: int, other_id: int, actor: Actor) -> Incident:
        """Move ``other_id``'s evidence (and its span) into ``keep_id``; dismiss ``other_id``."""
        require(actor, "editor", "merge drafts")
        if keep_id == other_id:
            raise InputError("a draft cannot be merged into itself", field="other")

        def work(s: Session) -> None:
            keep, other = incident_row(s, keep_id), incident_row(s, other_id)
            for incident in (keep, other):
                if incident.status not in OPEN_DRAFT_STATUSES:
                    raise InputError(
                        f"incident {incident.id} is {incident.status!r}: only open drafts "
                        f"({', '.join(OPEN_DRAFT_STATUSES)}) can be merged",
                        field="other",
                    )
            have = {(e.kind, e.value) for e in keep.evidence}
            moved = 0
            for item in list(other.evidence):
                if (item.kind, item.value) not in have:
                    item.incident_id = keep.id
                    moved += 1
            s.flush()
            s.refresh(keep)
            starts = [m for m in (_aware(keep.start_at), _aware(other.start_at)) if m is not None]
            if starts:
                ends = [e for e in (_aware(keep.end_at), _aware(other.end_at)) if e is not None]
                _set_span(keep, min(starts), max(ends) if len(ends) == 2 else None)
            keep.updated_by = other.updated_by = actor.name
            other.status = "dismissed"
            other.dismissed_reason = f"merged into #{keep.id}"
            refresh(keep)
            audit.append(s, actor=actor.name, action="merge", entity="incident",
                         entity_id=keep.id,
                         detail={"merged": other.id, "evidence_moved": moved})  # fmt: skip
            audit.append(s, actor=actor.name, action="status", entity="incident",
                         entity_id=other.id,
                         detail={"from": "reported", "to": "dismissed",
                                 "note": f"merged into #{keep.id}"})  # fmt: skip

        self._write(work)
        return self.get_incident(keep_id, public=False)  # type: ignore[attr-defined,no-any-return]

    def dismiss(self, incident_id: int, reason: str, actor: Actor) -> Incident:
        """Dismiss a draft (a detection that was not an incident); the reason is required."""
        require(actor, "editor", "dismiss drafts")
        reason = (reason or "").strip()
        if not reason:
            raise InputError("say why the draft is dismissed", field="reason")

        def work(s: Session) -> None:
            incident = incident_row(s, incident_id)
            if incident.status not in OPEN_DRAFT_STATUSES:
                raise InputError(
                    f"incident {incident_id} is {incident.status!r}: only drafts "
                    f"({', '.join(OPEN_DRAFT_STATUSES)}) can be dismissed",
                    field="status",
                )
            old = incident.status
            incident.status, incident.dismissed_reason = "dismissed", reason[:2000]
            incident.updated_by = actor.name
            audit.append(s, actor=actor.name, action="status", entity="incident",
                         entity_id=incident_id,
                         detail={"from": old, "to": "dismissed", "note": reason})  # fmt: skip

        self._write(work)
        return self.get_incident(incident_id, public=False)  # type: ignore[attr-defined,no-any-return]
