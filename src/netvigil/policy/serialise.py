"""Stored rows back to records (exports) and to public dicts (pages and their JSON twins).

Public dicts are the export records plus ``id`` and ``url``, with incidents reduced to the
published ones (id and title): nothing here reads a private field of an incident.
"""

from __future__ import annotations

from typing import Any

from netvigil.policy import records as rec
from netvigil.policy.model import (
    Instrument,
    InstrumentEvent,
    PlatformResponse,
    Provision,
    Statement,
    TransparencyFigure,
)


def _texts(row: Any, stem: str) -> dict[str, Any]:
    return {
        f"{stem}_{lang}": getattr(row, f"{stem}_{lang}") for lang in ("en", "zh_hant", "zh_hans")
    }


def event_record(row: InstrumentEvent) -> rec.EventRecord:
    return rec.EventRecord(
        kind=row.kind,
        date=row.date,
        date_precision=row.date_precision,
        end_date=row.end_date,
        **_texts(row, "title"),
        place=row.place,
        votes_for=row.votes_for,
        votes_against=row.votes_against,
        abstentions=row.abstentions,
        source_url=row.source_url,
    )


def provision_record(row: Provision) -> rec.ProvisionRecord:
    return rec.ProvisionRecord(
        concern=row.concern, article=row.article, **_texts(row, "note"), source_url=row.source_url
    )


def instrument_record(row: Instrument) -> rec.InstrumentRecord:
    return rec.InstrumentRecord(
        slug=row.slug,
        kind=row.kind,
        jurisdiction=row.jurisdiction,
        name_en=row.name_en,
        status=row.status,
        short_name_en=row.short_name_en,
        name_zh_hant=row.name_zh_hant,
        short_name_zh_hant=row.short_name_zh_hant,
        name_zh_hans=row.name_zh_hans,
        short_name_zh_hans=row.short_name_zh_hans,
        **_texts(row, "summary"),
        source_url=row.source_url,
        links=tuple(row.links or ()),
        history=tuple(event_record(e) for e in row.events),
        provisions=tuple(provision_record(p) for p in row.provisions),
    )


def response_record(row: PlatformResponse) -> rec.ResponseRecord:
    return rec.ResponseRecord(
        slug=row.slug,
        company=row.company,
        jurisdiction=row.jurisdiction,
        demand_kind=row.demand_kind,
        response=row.response,
        announced_on=row.announced_on,
        source_url=row.source_url,
        status=row.status,
        announced_precision=row.announced_precision,
        effective_from=row.effective_from,
        ended_on=row.ended_on,
        **_texts(row, "summary"),
        links=tuple(row.links or ()),
        instruments=tuple(i.slug for i in row.instruments),
    )


def figure_record(row: TransparencyFigure) -> rec.FigureRecord:
    return rec.FigureRecord(
        company=row.company,
        jurisdiction=row.jurisdiction,
        demand_kind=row.demand_kind,
        period_start=row.period_start,
        period_end=row.period_end,
        source_url=row.source_url,
        requests=row.requests,
        accounts_specified=row.accounts_specified,
        complied_share=row.complied_share,
        note=row.note,
    )


def statement_record(row: Statement) -> rec.StatementRecord:
    return rec.StatementRecord(
        slug=row.slug,
        kind=row.kind,
        title_en=row.title_en,
        date=row.date,
        source_url=row.source_url,
        status=row.status,
        title_zh_hant=row.title_zh_hant,
        title_zh_hans=row.title_zh_hans,
        date_precision=row.date_precision,
        addressees=tuple(row.addressees or ()),
        authors=tuple(row.authors or ()),
        jurisdictions=tuple(row.jurisdictions or ()),
        **_texts(row, "summary"),
        **_texts(row, "outcome"),
        response_received=row.response_received,
        links=tuple(row.links or ()),
        instruments=tuple(i.slug for i in row.instruments),
        incidents=tuple(i.natural_key for i in row.incidents),
        demands=tuple(
            rec.DemandRecord(
                text_en=d.text_en,
                text_zh_hant=d.text_zh_hant,
                text_zh_hans=d.text_zh_hans,
                outcome=d.outcome,
            )
            for d in row.demands
        ),
        signatories=tuple(
            rec.SignatoryRecord(
                name=s.name,
                kind=s.kind,
                country=s.country,
                affiliation=s.affiliation,
                group=s.group_label,
            )
            for s in row.signatories
        ),
    )


# --- public dicts ---


def instrument_ref(row: Instrument) -> dict[str, Any]:
    """A short public reference to an instrument (lists, links from other records)."""
    return {
        "id": row.id,
        "slug": row.slug,
        "kind": row.kind,
        "jurisdiction": row.jurisdiction,
        "name": row.short_name_en or row.name_en,
        "name_en": row.name_en,
        "short_name_en": row.short_name_en,
        "name_zh_hant": row.name_zh_hant,
        "short_name_zh_hant": row.short_name_zh_hant,
        "name_zh_hans": row.name_zh_hans,
        "short_name_zh_hans": row.short_name_zh_hans,
        "source_url": row.source_url,
        "links": list(row.links or ()),
        "url": f"/legal/{row.id}",
    }


def public_instrument(row: Instrument) -> dict[str, Any]:
    out = rec.to_dict(instrument_record(row))
    out.update(id=row.id, url=f"/legal/{row.id}")
    del out["status"]  # public records are all published
    return out


def public_response(row: PlatformResponse, *, public: bool = True) -> dict[str, Any]:
    out = rec.to_dict(response_record(row))
    out.update(id=row.id, url=f"/responses/{row.id}")
    out["instruments"] = [
        instrument_ref(i) for i in row.instruments if not public or i.status == "published"
    ]
    if public:
        del out["status"]
    return out


def public_figure(row: TransparencyFigure) -> dict[str, Any]:
    return rec.to_dict(figure_record(row))


def public_statement(row: Statement, *, public: bool = True) -> dict[str, Any]:
    out = rec.to_dict(statement_record(row))
    out.update(id=row.id, url=f"/statements/{row.id}")
    out["instruments"] = [
        instrument_ref(i) for i in row.instruments if not public or i.status == "published"
    ]
    # Only published incidents, and only their public face: id and title.
    out["incidents"] = [
        {"id": i.id, "title": i.title, "country_code": i.country_code, "url": f"/incidents/{i.id}"}
        for i in row.incidents
        if not public or i.status == "published"
    ]
    out["signatory_count"] = len(row.signatories)
    if public:
        del out["status"]
    return out
