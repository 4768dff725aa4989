"""The tracker's data checked against its audit log (security audit M7).

The hash chain proves the log was not edited; it said nothing of the tables it describes, so a
direct ``UPDATE incidents SET status='published'`` (publishing a draft), a changed reporter
contact, a deleted incident or a viewer made admin left ``audit verify`` saying "intact". Now each
audited write also records, inside the entry's hashed ``detail``, a digest of the protected state
of what it wrote:

- an incident: status, publication time, title, country, dates, and its private sources
  (reporter names and contacts), under ``detail["state"]``; an import records every incident
  it created or updated under ``detail["states"]``;
- a user: email, role, active, password hash (not the session version, which logout moves).

:func:`reconcile` replays those digests in log order and compares the last one of each row with
the row as it is now: a difference is a change made outside netvigil, a row the log knows and the
database lacks was deleted. What it does not cover: other incident fields, episodes, evidence and
policy records (the chain still covers their audit entries), and rows written before netvigil
recorded digests, which it counts as "not yet sealed" until ``netvigil incidents audit seal``
records the present state (an audited act an operator takes once, after checking it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netvigil.incidents.model import Incident, IncidentSource, User

SHOWN_PROBLEMS = 20


def _time(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # SQLite gives back naive UTC, PostgreSQL aware
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    return value.isoformat()


def _digest(values: list[Any]) -> str:
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def incident_digest(incident: Incident, sources: Iterable[IncidentSource]) -> str:
    rows = sorted(
        [s.id, s.description, s.url, s.reporter_name, s.reporter_contact] for s in sources
    )
    return _digest(
        [
            incident.id, incident.natural_key, incident.status, _time(incident.published_at),
            incident.title, incident.country_code, _time(incident.start_date),
            _time(incident.end_date), rows,
        ]
    )  # fmt: skip


def user_digest(user: User) -> str:
    return _digest([user.id, user.email, user.role, bool(user.active), user.password_hash])


def incident_states(session: Session, ids: Iterable[int]) -> dict[str, str]:
    """Digests of the incidents ``ids`` as the session holds them (str id -> digest)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    sources: dict[int, list[IncidentSource]] = {}
    for chunk in range(0, len(wanted), 500):
        part = wanted[chunk : chunk + 500]
        query = select(IncidentSource).where(IncidentSource.incident_id.in_(part))
        for src in session.scalars(query):
            sources.setdefault(src.incident_id, []).append(src)
    out = {}
    for incident_id in wanted:
        incident = session.get(Incident, incident_id)
        if incident is not None:
            out[str(incident_id)] = incident_digest(incident, sources.get(incident_id, []))
    return out


def state_for(
    session: Session, entity: str, entity_id: str | None, detail: dict[str, Any]
) -> dict[str, Any]:
    """What :func:`netvigil.incidents.audit.append` adds to an entry's detail."""
    if entity == "incident" and entity_id is not None and entity_id.isdigit():
        return {"state": incident_states(session, [int(entity_id)]).get(entity_id)}
    if entity == "user" and entity_id is not None and entity_id.isdigit():
        user = session.get(User, int(entity_id))
        return {"state": None if user is None else user_digest(user)}
    if entity == "file":  # an import: every incident it created or updated
        ids = [item[2] for key in ("created", "updated") for item in detail.get(key, [])]
        return {"states": incident_states(session, ids)}
    return {}


def seal_states(session: Session) -> dict[str, dict[str, str]]:
    """Every incident's and user's digest now (``audit seal``)."""
    incidents = incident_states(session, session.scalars(select(Incident.id)))
    users = {str(u.id): user_digest(u) for u in session.scalars(select(User))}
    return {"incident": incidents, "user": users}


@dataclass
class DataReport:
    """What :func:`reconcile` found."""

    checked: int = 0
    unsealed: int = 0  # rows with no digest in the log (written before digests existed)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def expected_states(
    entries: Iterable[tuple[str, str | None, dict[str, Any]]],
) -> dict[tuple[str, str], str]:
    """(kind, id) -> the last digest the log recorded, from (entity, entity_id, detail)."""
    expected: dict[tuple[str, str], str] = {}
    for entity, entity_id, detail in entries:
        state = detail.get("state")
        if entity in ("incident", "user") and entity_id is not None and isinstance(state, str):
            expected[(entity, entity_id)] = state
        states = detail.get("states")
        if entity == "file" and isinstance(states, dict):
            expected.update((("incident", str(k)), str(v)) for k, v in states.items())
        if entity == "tracker" and isinstance(states, dict):  # audit seal
            for kind in ("incident", "user"):
                rows = states.get(kind) or {}
                expected.update(((kind, str(k)), str(v)) for k, v in rows.items())
    return expected


def reconcile(session: Session, expected: dict[tuple[str, str], str]) -> DataReport:
    """The database against the digests the log recorded (see the module docstring)."""
    report = DataReport()
    actual: dict[tuple[str, str], str] = {
        ("incident", k): v
        for k, v in incident_states(session, session.scalars(select(Incident.id))).items()
    }
    actual.update((("user", str(u.id)), user_digest(u)) for u in session.scalars(select(User)))
    for key, digest in sorted(actual.items(), key=lambda kv: (kv[0][0], int(kv[0][1]))):
        recorded = expected.get(key)
        if recorded is None:
            report.unsealed += 1
            continue
        report.checked += 1
        if recorded != digest:
            report.problems.append(
                f"{key[0]} {key[1]} differs from its last audit entry"
                " (status, publication, title, sources or role changed outside netvigil?)"
            )
    for key in sorted(set(expected) - set(actual), key=lambda k: (k[0], int(k[1]))):
        report.problems.append(f"{key[0]} {key[1]} is in the audit log but not in the database")
    return report
