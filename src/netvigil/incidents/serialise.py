"""The ONLY serialisers of tracker records. Every page, JSON response and export uses these.

``public_dict`` refuses anything not published and never reads a private field (sources, reporter
contacts, internal notes, who created/edited/added evidence, import problems): it builds its
output from an allow-list, so a new column stays private until someone adds it here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from netvigil._errors import PermissionDeniedError
from netvigil.incidents.model import (
    STOP_COLUMNS,
    Episode,
    Evidence,
    Incident,
    IncidentSource,
    LegalBasis,
)

if TYPE_CHECKING:
    from netvigil.policy.model import Instrument

OUTAGE_FIELDS = (
    "locations",
    "asns",
    "outage_scope",
    "outage_cause",
    "outage_type",
    "start_at",
    "end_at",
    "linked_url",
)


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite gives naive datetimes back; they were stored as UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def stop_dict(incident: Incident) -> dict[str, Any]:
    """The 45 STOP columns, dates as ISO strings."""
    return {col: _iso(getattr(incident, col)) for col in STOP_COLUMNS}


def episode_dict(episode: Episode) -> dict[str, Any]:
    return {
        "id": episode.id,
        "area_name": episode.area_name,
        "region_code": episode.region_code,
        "asns": list(episode.asns or []),
        "shutdown_type": episode.shutdown_type,
        "start_at": _iso(episode.start_at),
        "end_at": _iso(episode.end_at),
        "notes": episode.notes,
        "windows": [
            {
                "day": _iso(w.day),
                "start_time": _iso(w.start_time),
                "end_time": _iso(w.end_time),
                "timezone": w.timezone,
            }
            for w in episode.windows
        ],
    }


def evidence_dict(item: Evidence, *, public: bool) -> dict[str, Any]:
    out = {
        "id": item.id,
        "kind": item.kind,
        "value": item.value,
        "sha256": item.sha256,
        "description": item.description,
        "added_at": _iso(item.added_at),
    }
    if not public:
        out["added_by"] = item.added_by
    return out


def instrument_dict(law: Instrument) -> dict[str, Any]:
    """A legal instrument as incidents cite it (the full record: netvigil.policy.serialise)."""
    from netvigil.policy.serialise import instrument_ref

    return instrument_ref(law)


def basis_dict(link: LegalBasis) -> dict[str, Any]:
    return {
        "instrument": instrument_dict(link.instrument),
        "articles": link.articles,
        "note": link.note,
    }


def source_dict(src: IncidentSource) -> dict[str, Any]:
    return {
        "id": src.id,
        "description": src.description,
        "url": src.url,
        "reporter_name": src.reporter_name,
        "reporter_contact": src.reporter_contact,
        "added_by": src.added_by,
        "added_at": _iso(src.added_at),
    }


def public_dict(incident: Incident) -> dict[str, Any]:
    """What anyone may see. Raises PermissionDeniedError for drafts and withdrawn incidents."""
    if incident.status != "published":
        raise PermissionDeniedError(f"incident {incident.id} is not published")
    return {
        "id": incident.id,
        "status": incident.status,
        "title": incident.title,
        "summary": incident.summary,
        "country_code": incident.country_code,
        "report_year": incident.report_year,
        "stop": stop_dict(incident),
        "outage": {f: _iso(getattr(incident, f)) for f in OUTAGE_FIELDS},
        "episodes": [episode_dict(e) for e in incident.episodes],
        "evidence": [evidence_dict(e, public=True) for e in incident.evidence],
        # A draft instrument (a policy record not yet published) is not shown.
        "legal_basis": [
            basis_dict(b) for b in incident.legal_basis if b.instrument.status == "published"
        ],
        "stop_source": {"sheet": incident.stop_sheet, "row": incident.stop_row},
        "published_at": _iso(incident.published_at),
        "updated_at": _iso(incident.updated_at),
    }


def private_dict(incident: Incident) -> dict[str, Any]:
    """Everything, for editors (any status). Sources must have been loaded (public=False)."""
    out = {
        "id": incident.id,
        "natural_key": incident.natural_key,
        "status": incident.status,
        "title": incident.title,
        "summary": incident.summary,
        "country_code": incident.country_code,
        "report_year": incident.report_year,
        "stop": stop_dict(incident),
        "outage": {f: _iso(getattr(incident, f)) for f in OUTAGE_FIELDS},
        "episodes": [episode_dict(e) for e in incident.episodes],
        "evidence": [evidence_dict(e, public=False) for e in incident.evidence],
        "legal_basis": [basis_dict(b) for b in incident.legal_basis],
        "stop_source": {"sheet": incident.stop_sheet, "row": incident.stop_row},
        "stop_raw": dict(incident.stop_raw or {}),
        "import_problems": list(incident.import_problems or []),
        "sources": [source_dict(s) for s in incident.sources],
        "internal_notes": incident.internal_notes,
        "created_by": incident.created_by,
        "updated_by": incident.updated_by,
        "created_at": _iso(incident.created_at),
        "updated_at": _iso(incident.updated_at),
        "published_at": _iso(incident.published_at),
    }
    return out
