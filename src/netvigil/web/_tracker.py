"""The web layer's one doorway into the tracker (:mod:`netvigil.incidents`).

Every record that reaches a page goes through the tracker's own serialisers (``public_dict`` for
public pages, ``private_dict`` for the editor area); this module only picks which records, adds
read-only aggregates the repository does not offer (incidents per country and per year) and joins
in the impact estimate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from netvigil._errors import UnknownEntityError
from netvigil.incidents import IncidentFilter, Tracker, public_dict, vocab
from netvigil.incidents.model import STOP_COLUMNS, AuditEntry, Incident
from netvigil.incidents.repository import COUNTED
from netvigil.incidents.serialise import OUTAGE_FIELDS
from netvigil.incidents.titles import SERVICE_NAMES
from netvigil.models import countries as world

# Only published incidents are public; drafts and withdrawn ones never are.
PUBLIC_STATUSES: tuple[str, ...] = ("published",)
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "title_zh_hant",
    "summary",
    "country_code",
    "country_name",
    "report_year",
    *(f"{v.name}_code" for v in vocab.VOCABULARIES),
    "services",
    "duration_days",
    *STOP_COLUMNS,
    *OUTAGE_FIELDS,
    "published_at",
    "url",
)
CSV_BATCH = 500
LATEST_ON_COUNTRY_PAGE = 20

PLATFORMS = vocab.SERVICE_PATTERNS
__all__ = ["PLATFORMS", "PUBLIC_STATUSES", "ListQuery", "Tracker"]


@dataclass(frozen=True)
class ListQuery:
    country: str | None = None
    year: int | None = None
    type: str | None = None
    platform: str | None = None
    status: str | None = None
    scope: str | None = None
    network: str | None = None
    cause: str | None = None
    q: str | None = None
    asn: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = 50
    offset: int = 0

    def to_filter(self, *, limit: int | None = None, offset: int | None = None) -> IncidentFilter:
        return IncidentFilter(
            country=self.country,
            year=self.year,
            shutdown_type=self.type,
            platform=self.platform,
            status=self.status,
            scope=self.scope,
            network=self.network,
            cause=self.cause,
            q=self.q,
            asn=self.asn,
            since=self.since,
            until=self.until,
            limit=self.limit if limit is None else limit,
            offset=self.offset if offset is None else offset,
        )


def open_tracker(url: str, *, single_person_publication: bool = False) -> Tracker:
    return Tracker(url, single_person_publication=single_person_publication)


_VERSION_QUERY = select(func.max(AuditEntry.seq))


def data_version(tracker: Tracker) -> int:
    """The newest audit log entry's seq: it changes with every write to the tracker.

    A Core query on a pooled connection (no ORM session): it runs before every public request.
    """
    with tracker.engine.connect() as conn:
        return int(conn.scalar(_VERSION_QUERY) or 0)


def list_public(tracker: Tracker, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
    """One page of published incidents (public serialiser) and the total matching."""
    rows = tracker.list_incidents(query.to_filter(), public=True)
    total = tracker.count_incidents(query.to_filter(), public=True)
    return [public_dict(inc) for inc in rows], total


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A flat CSV row built from a *public* dict (never from the model)."""
    flat: dict[str, Any] = {k: record.get(k) for k in ("id", "title", "title_zh_hant", "summary")}
    flat["country_code"] = record.get("country_code")
    flat["country_name"] = (record.get("country_names") or {}).get("en")
    flat["report_year"] = record.get("report_year")
    flat.update({f"{k}_code": v for k, v in (record.get("codes") or {}).items()})
    flat["services"] = record.get("services")
    flat["duration_days"] = record.get("duration_days")
    flat.update(record.get("stop") or {})
    flat.update(record.get("outage") or {})
    flat["published_at"] = record.get("published_at")
    flat["url"] = f"/incidents/{record['id']}"
    return flat


def iter_public_rows(tracker: Tracker, query: ListQuery) -> Iterator[dict[str, Any]]:
    """Every published incident matching ``query`` (ignoring its page) as flat CSV rows."""
    offset = 0
    while True:
        batch = tracker.list_incidents(query.to_filter(limit=CSV_BATCH, offset=offset), public=True)
        for inc in batch:
            yield csv_row(public_dict(inc))
        if len(batch) < CSV_BATCH:
            return
        offset += CSV_BATCH


def get_public(tracker: Tracker, incident_id: int) -> dict[str, Any]:
    """A published incident; unpublished ones are UnknownEntityError (404) like missing ones.
    A row that reports a shutdown another row stands for carries ``same_as`` (the view
    redirects there); a row only in a superseded edition is 404 on the public site."""
    record = public_dict(tracker.get_incident(incident_id, public=True))
    if record["link_kind"] == "superseded":
        raise UnknownEntityError("incident", str(incident_id))
    return record


def filter_choices(tracker: Tracker, lang: str = "en") -> dict[str, Any]:
    """The filters' options: each vocabulary's codes with one label each (translated in the
    template), the platforms, and the countries that have published incidents."""
    return {
        "types": [(t.code, t.label) for t in vocab.TYPE.terms],
        "scopes": [(t.code, t.label) for t in vocab.SCOPE.terms],
        "networks": [(t.code, t.label) for t in vocab.NETWORK.terms],
        "causes": [(t.code, t.label) for t in vocab.CAUSE.terms],
        "platforms": [(name, SERVICE_NAMES.get(name, name)) for name in vocab.SERVICE_PATTERNS],
        "statuses": list(PUBLIC_STATUSES),
        "countries": [(c["code"], c["name"]) for c in countries(tracker, lang)],
    }


def country_name(code: str, lang: str = "en") -> str:
    """The display name of a country for this audience (netvigil.models.countries)."""
    return world.display_name(code, lang)


def countries(tracker: Tracker, lang: str = "en") -> list[dict[str, Any]]:
    """Countries with published incidents: code, name, count (most incidents first)."""
    query = (
        select(Incident.country_code, func.count(Incident.id))
        .where(
            Incident.status == "published",
            Incident.country_code.is_not(None),
            Incident.link_kind.is_(None),
        )
        .group_by(Incident.country_code)
    )
    with tracker.session() as s:
        rows = list(s.execute(query))
    out = [
        {"code": code, "name": country_name(str(code), lang), "incident_count": int(n)}
        for code, n in rows
    ]
    return sorted(out, key=lambda c: (-c["incident_count"], c["name"]))


def country(tracker: Tracker, code: str, lang: str = "en") -> dict[str, Any]:
    """A country's public page data; 404 for a code or name no resolver knows."""
    found = world.lookup(code)
    if found is None:
        raise UnknownEntityError("country", code, world.suggestions(code))
    code = found.alpha_2
    per_year = (
        select(Incident.report_year, func.count(Incident.id))
        .where(Incident.status == "published", Incident.country_code == code, COUNTED)
        .group_by(Incident.report_year)
        .order_by(Incident.report_year.desc())
    )
    with tracker.session() as s:
        by_year = [
            {"year": year, "count": int(n)} for year, n in s.execute(per_year) if year is not None
        ]
    latest = tracker.list_incidents(
        IncidentFilter(country=code, limit=LATEST_ON_COUNTRY_PAGE), public=True
    )
    total = tracker.count_incidents(IncidentFilter(country=code), public=True)
    return {
        "country": {"code": code, "name": country_name(code, lang), "incident_count": total},
        "by_year": by_year,
        "incidents": [public_dict(inc) for inc in latest],
    }


# --- one incident per shutdown, and its impact (netvigil.impact) ---


def reports(tracker: Tracker, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Access Now's yearly reports of this shutdown: this row, then the later ones."""

    def summary(r: dict[str, Any]) -> dict[str, Any]:
        stop = r.get("stop") or {}
        source = r.get("stop_source") or {}
        return {
            "id": r["id"],
            "report_year": r.get("report_year"),
            "sheet": source.get("sheet"),
            "row": source.get("row"),
            "end_date": stop.get("end_date"),
            "shutdown_status": stop.get("shutdown_status"),
            "reason": r.get("link_reason"),
        }

    later = [public_dict(i) for i in tracker.linked_reports(record["id"], public=True)]
    return [summary(record), *(summary(r) for r in later)] if later else []


def impact_of(
    tracker: Tracker, record: dict[str, Any], today: dt.date | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """The impact estimate as JSON (with its inputs, method and basis), or why there is none."""
    from netvigil.impact.incident import NoEstimate
    from netvigil.impact.tracked import impact_of_incident

    result = impact_of_incident(tracker, record, today=today)
    if isinstance(result, NoEstimate):
        return None, result.message
    return result.to_json_dict(), None


# --- the observatory's reads (home, country timeline, map, evidence links) ---


def _brief(inc: Incident) -> dict[str, Any]:
    """What a chart mark or a home-page row needs of a *published* incident (public fields
    only: its titles, country and dates)."""
    from netvigil.incidents.serialise import titles_dict

    if inc.status != "published":  # pragma: no cover - every query here selects published ones
        raise UnknownEntityError("incident", str(inc.id))
    titles = titles_dict(inc)
    return {
        "id": inc.id,
        "country_code": inc.country_code,
        "date": None if inc.start_date is None else inc.start_date.isoformat(),
        "end": None if inc.end_date is None else inc.end_date.isoformat(),
        "title": titles["title"],
        "title_zh_hant": titles["title_zh_hant"],
        "title_zh_hans": titles["title_zh_hans"],
        "url": f"/incidents/{inc.id}",
    }


def _with_episodes() -> Any:
    """Load what generated titles read (episodes and their windows) with the incidents."""
    from sqlalchemy.orm import selectinload

    from netvigil.incidents.model import Episode

    return selectinload(Incident.episodes).selectinload(Episode.windows)


def _ongoing(today: dt.date) -> Any:
    """Published, started by ``today``, and not ended before it (STOP's "ongoing" rows have no
    end date; an end date in the future is still going on)."""
    from sqlalchemy import and_, or_

    return and_(
        Incident.status == "published",
        Incident.link_kind.is_(None),
        Incident.start_date <= today,
        or_(
            and_(Incident.end_date.is_(None), func.lower(Incident.shutdown_status) == "ongoing"),
            Incident.end_date >= today,
        ),
    )


def ongoing_incidents(tracker: Tracker, today: dt.date) -> list[dict[str, Any]]:
    """Published incidents going on at ``today``, newest first."""
    query = (
        select(Incident)
        .where(_ongoing(today))
        .options(_with_episodes())
        .order_by(Incident.start_date.desc(), Incident.id.desc())
    )
    with tracker.session() as s:
        return [_brief(inc) for inc in s.scalars(query)]


def incidents_between(
    tracker: Tracker, cc: str, since: dt.date, until: dt.date
) -> list[dict[str, Any]]:
    """A country's published incidents (one per shutdown) that started in [since, until]."""
    rows = tracker.list_incidents(
        IncidentFilter(country=cc, since=since, until=until, limit=None), public=True
    )
    return sorted((_brief(i) for i in rows), key=lambda b: (b["date"] or "", b["id"]))


def incident_dates(tracker: Tracker, cc: str) -> list[dt.date]:
    """The first and last start dates of a country's published incidents."""
    query = select(func.min(Incident.start_date), func.max(Incident.start_date)).where(
        Incident.status == "published", Incident.country_code == cc, COUNTED
    )
    with tracker.session() as s:
        first, last = s.execute(query).one()
    return [d for d in (first, last) if d is not None]


def latest_incidents(tracker: Tracker, limit: int = 10) -> list[dict[str, Any]]:
    """The newest published incidents (by start date), with their readable titles."""
    rows = tracker.list_incidents(IncidentFilter(limit=limit), public=True)
    return [_brief(i) for i in rows]


def headline_counts(tracker: Tracker, today: dt.date) -> dict[str, int]:
    """Published incidents, countries with one, and incidents going on today."""
    with tracker.session() as s:
        incidents, countries_ = s.execute(
            select(func.count(Incident.id), func.count(func.distinct(Incident.country_code))).where(
                Incident.status == "published", Incident.link_kind.is_(None)
            )
        ).one()
        ongoing = s.scalar(select(func.count(Incident.id)).where(_ongoing(today)))
    return {
        "published_incidents": int(incidents),
        "countries_with_incidents": int(countries_),
        "ongoing_incidents": int(ongoing or 0),
    }


def incidents_citing(tracker: Tracker, kind: str, value: str) -> list[dict[str, Any]]:
    """Published incidents that cite ``value`` as evidence of ``kind`` (a measurement, an event)."""
    from netvigil.incidents.model import Evidence

    query = (
        select(Incident)
        .join(Evidence, Evidence.incident_id == Incident.id)
        .where(Incident.status == "published", Evidence.kind == kind, Evidence.value == value)
        .options(_with_episodes())
        .order_by(Incident.id)
    )
    with tracker.session() as s:
        return [_brief(inc) for inc in s.scalars(query).unique()]


def impact_totals(tracker: Tracker, cc: str, today: dt.date) -> dict[str, Any]:
    """People affected and cost summed over a country's published incidents, with the method
    and how many incidents have no estimate (and why)."""
    rows = tracker.list_incidents(IncidentFilter(country=cc, limit=None), public=True)
    people = 0
    cost = {"low": 0, "central": 0, "high": 0}
    estimated = 0
    reasons: dict[str, int] = {}
    for inc in rows:
        impact, note = impact_of(tracker, public_dict(inc), today)
        if impact is None:
            reasons[note or "no estimate"] = reasons.get(note or "no estimate", 0) + 1
            continue
        estimated += 1
        people += int(impact.get("people_affected") or 0)
        for key in cost:
            cost[key] += int((impact.get("range") or {}).get(key) or 0)
    return {
        "incidents": len(rows),
        "estimated": estimated,
        "people_affected": people,
        "cost_usd": cost,
        "currency": "USD",
        "method": (
            "the sum over the country's published incidents of netvigil.impact's estimate for"
            " each (people online in the affected area; cost: Brookings, Deloitte and netvigil's"
            " own method, low-central-high; docs/impact.md). People are counted once per"
            " incident, so a person affected by two shutdowns counts twice."
        ),
        "without_estimate": [
            {"reason": reason, "incidents": n}
            for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])
        ],
    }
