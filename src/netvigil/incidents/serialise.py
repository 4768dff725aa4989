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
from netvigil.incidents.normalise import WITHHELD_FLAGS, publishable_duration
from netvigil.incidents.titles import TitleFacts, generate
from netvigil.incidents.vocab import VOCABULARIES
from netvigil.models.countries import LANGUAGES, display_name

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


def stop_dict(incident: Incident, *, public: bool = False) -> dict[str, Any]:
    """The 45 STOP columns, dates as ISO strings. Public: a duration that cannot be true
    (negative, or an end before the start) is withheld; editors see the cell as imported."""
    out = {col: _iso(getattr(incident, col)) for col in STOP_COLUMNS}
    if public:
        out["duration"] = publishable_duration(out["duration"], incident.quality_flags)
    return out


def codes_dict(incident: Incident) -> dict[str, str | None]:
    """The codebook codes (incidents/vocab.py) by vocabulary name."""
    return {v.name: getattr(incident, v.column) for v in VOCABULARIES}


def title_facts(incident: Incident) -> TitleFacts:
    windows = sum(len(e.windows) for e in incident.episodes)
    return TitleFacts(
        country_code=incident.country_code,
        country=incident.country,
        area_name=incident.area_name,
        scope_code=incident.scope_code,
        type_code=incident.type_code,
        extent_code=incident.extent_code,
        network_code=incident.network_code,
        services=tuple(incident.services or ()),
        start_date=incident.start_date,
        end_date=incident.end_date,
        ongoing=(incident.shutdown_status or "").strip().lower() == "ongoing",
        report_year=incident.report_year,
        recurring=windows > 1 or len(incident.episodes) > 1,
    )


def titles_dict(incident: Incident) -> dict[str, Any]:
    """The title in each site language: the editor's, else generated from the facts."""
    facts = title_facts(incident)
    return {
        "title": incident.title or generate(facts, "en"),
        "title_zh_hant": incident.title_zh or generate(facts, "zh_Hant"),
        # An editor writes one Chinese title (Traditional); Simplified readers get it as written.
        "title_zh_hans": incident.title_zh or generate(facts, "zh_Hans"),
        "title_generated": {"en": not incident.title, "zh_Hant": not incident.title_zh},
    }


def derived_dict(incident: Incident, *, public: bool) -> dict[str, Any]:
    """What netvigil derives from the STOP cells, and how the row relates to other reports."""
    return {
        **titles_dict(incident),
        "country_names": {
            lang: (display_name(incident.country_code, lang) if incident.country_code else None)
            for lang in LANGUAGES
        },
        "codes": codes_dict(incident),
        "services": list(incident.services or ()),
        "duration_days": None
        if WITHHELD_FLAGS & set(incident.quality_flags or ())
        else incident.duration_days,
        "quality_flags": list(incident.quality_flags or ()),
        "same_as": incident.same_as_id,
        "link_kind": incident.link_kind,
        "link_reason": incident.link_reason,
    }


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
        "origin": episode.origin,
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
        "media_type": item.media_type,
        "size_bytes": item.size_bytes,
        "verdict": dict(item.verdict or {}),
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
        "summary": incident.summary,
        "country_code": incident.country_code,
        "report_year": incident.report_year,
        **derived_dict(incident, public=True),
        "stop": stop_dict(incident, public=True),
        "outage": {f: _iso(getattr(incident, f)) for f in OUTAGE_FIELDS},
        "episodes": [episode_dict(e) for e in incident.episodes],
        "evidence": [evidence_dict(e, public=True) for e in incident.evidence],
        # A draft instrument (a policy record not yet published) is not shown.
        "legal_basis": [
            basis_dict(b) for b in incident.legal_basis if b.instrument.status == "published"
        ],
        "stop_source": {"sheet": incident.stop_sheet, "row": incident.stop_row},
        "published_at": _iso(incident.published_at),
        # Four eyes: False when the person who verified it also published it (allowed only on
        # a one-person deployment, and then said on the page).
        "four_eyes": not incident.self_published,
        "updated_at": _iso(incident.updated_at),
    }


def private_dict(incident: Incident) -> dict[str, Any]:
    """Everything, for editors (any status). Sources must have been loaded (public=False)."""
    out = {
        "id": incident.id,
        "natural_key": incident.natural_key,
        "status": incident.status,
        "summary": incident.summary,
        "country_code": incident.country_code,
        "report_year": incident.report_year,
        **derived_dict(incident, public=False),
        "editor_title": incident.title,
        "editor_title_zh": incident.title_zh,
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
        "four_eyes": not incident.self_published,
        "verified_by": incident.verified_by,
        "event_entity": incident.event_entity,
        "dismissed_reason": incident.dismissed_reason,
    }
    return out
