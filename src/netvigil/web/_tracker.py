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

from netvigil._errors import NetvigilError, UnknownEntityError
from netvigil.incidents import IncidentFilter, Tracker, public_dict
from netvigil.incidents.model import PLATFORMS, STOP_COLUMNS, AuditEntry, Incident
from netvigil.incidents.serialise import OUTAGE_FIELDS
from netvigil.web._i18n import N_

# Only published incidents are public; drafts and withdrawn ones never are.
PUBLIC_STATUSES: tuple[str, ...] = ("published",)
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "summary",
    "country_code",
    "report_year",
    *STOP_COLUMNS,
    *OUTAGE_FIELDS,
    "published_at",
    "url",
)
CSV_BATCH = 500
LATEST_ON_COUNTRY_PAGE = 20

__all__ = ["PLATFORMS", "PUBLIC_STATUSES", "ListQuery", "Tracker"]


@dataclass(frozen=True)
class ListQuery:
    country: str | None = None
    year: int | None = None
    type: str | None = None
    platform: str | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0

    def to_filter(self, *, limit: int | None = None, offset: int | None = None) -> IncidentFilter:
        return IncidentFilter(
            country=self.country,
            year=self.year,
            shutdown_type=self.type,
            platform=self.platform,
            status=self.status,
            limit=self.limit if limit is None else limit,
            offset=self.offset if offset is None else offset,
        )


def open_tracker(url: str) -> Tracker:
    return Tracker(url)


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
    flat: dict[str, Any] = {k: record.get(k) for k in ("id", "title", "summary")}
    flat["country_code"] = record.get("country_code")
    flat["report_year"] = record.get("report_year")
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
    """A published incident; unpublished ones are UnknownEntityError (404) like missing ones."""
    return public_dict(tracker.get_incident(incident_id, public=True))


def filter_choices(tracker: Tracker) -> dict[str, Any]:
    types = sorted(k for k in tracker.stats("type", public=True) if k != "unknown")
    return {"types": types, "platforms": sorted(PLATFORMS), "statuses": list(PUBLIC_STATUSES)}


def country_name(code: str, fallback: str | None = None) -> str:
    import pycountry

    record = pycountry.countries.get(alpha_2=code)
    if record is None:
        return fallback or code
    return str(getattr(record, "common_name", None) or record.name)


def countries(tracker: Tracker) -> list[dict[str, Any]]:
    """Countries with published incidents: code, name, count (most incidents first)."""
    query = (
        select(Incident.country_code, func.max(Incident.country), func.count(Incident.id))
        .where(Incident.status == "published", Incident.country_code.is_not(None))
        .group_by(Incident.country_code)
    )
    with tracker.session() as s:
        rows = list(s.execute(query))
    out = [
        {"code": code, "name": country_name(str(code), stop_name), "incident_count": int(n)}
        for code, stop_name, n in rows
    ]
    return sorted(out, key=lambda c: (-c["incident_count"], c["name"]))


def country(tracker: Tracker, code: str) -> dict[str, Any]:
    """A country's public page data; 404 for a code that is not ISO 3166-1 alpha-2."""
    import pycountry

    code = code.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise UnknownEntityError("country", code)
    per_year = (
        select(Incident.report_year, func.count(Incident.id))
        .where(Incident.status == "published", Incident.country_code == code)
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
        "country": {"code": code, "name": country_name(code), "incident_count": total},
        "by_year": by_year,
        "incidents": [public_dict(inc) for inc in latest],
    }


# --- impact (netvigil.impact) ---

NATIONAL_SCOPES = ("national", "nationwide", "whole country", "entire country")


def _hours(record: dict[str, Any]) -> float | None:
    outage = record.get("outage") or {}
    if outage.get("start_at") and outage.get("end_at"):
        start = dt.datetime.fromisoformat(outage["start_at"])
        end = dt.datetime.fromisoformat(outage["end_at"])
        return (end - start).total_seconds() / 3600 or None
    stop = record.get("stop") or {}
    if stop.get("start_date") and stop.get("end_date"):
        days = dt.date.fromisoformat(stop["end_date"]) - dt.date.fromisoformat(stop["start_date"])
        # STOP counts both the first and the last day (its duration column is DAYS(end,start)+1).
        return (days.days + 1) * 24.0 if days.days >= 0 else None
    return None


def impact_inputs(record: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The arguments of ``netvigil.impact.estimate`` for a public record, or why there are none."""
    from netvigil.impact.methods import KNOWN_SERVICES

    stop = record.get("stop") or {}
    if not record.get("country_code"):
        return None, N_("No estimate: the country is not known.")
    hours = _hours(record)
    if hours is None:
        return None, N_("No estimate: the incident has no known end.")
    scope = " ".join(
        str(v or "")
        for v in (stop.get("geo_scope"), (record.get("outage") or {}).get("outage_type"))
    ).lower()
    if not any(word in scope for word in NATIONAL_SCOPES):
        # A regional estimate needs the affected share of the population, which STOP does not
        # record; estimating it from the area's name would be a guess presented as a figure.
        return None, N_("No estimate: the affected share of the population is not recorded.")
    extent = str(stop.get("shutdown_extent") or "").lower()
    args: dict[str, Any] = {"country": record["country_code"], "hours": hours, "scope": "national"}
    if record.get("report_year"):
        args["year"] = record["report_year"]
    if "service" in extent and "full" not in extent:
        services = [
            p
            for p, col in PLATFORMS.items()
            if p in KNOWN_SERVICES and str(stop.get(col) or "").lower() == "yes"
        ]
        if not services:
            return None, N_("No estimate: the blocked services are not recorded.")
        args.update(shutdown_type="service", services=services)
    elif str(stop.get("affected_network") or "").strip().lower() == "mobile":
        args["shutdown_type"] = "mobile"
    else:
        args["shutdown_type"] = "full"
    return args, None


def impact_of(record: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The impact estimate as JSON (with its inputs and method), or a note saying why not."""
    args, note = impact_inputs(record)
    if args is None:
        return None, note
    from netvigil.impact import estimate

    try:
        return estimate(**args).to_json_dict(), None
    except NetvigilError as exc:
        return None, f"No estimate: {exc.message}"
