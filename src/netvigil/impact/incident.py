"""Impact of one tracker incident: its inputs read from the record, or the reason there are none.

``incident_impact(facts, today=...)`` turns what the tracker knows into the arguments of
:func:`netvigil.impact.estimate` and runs it:

* **scope**: nationwide (every STOP generation's national scope, see incidents/vocab.py), or the
  share of people in the places the area names (:mod:`netvigil.impact.places`);
* **hours**: daily windows and exact episode spans count their hours; otherwise the dates count
  whole days, both ends included as STOP counts; an ongoing shutdown is costed from its start to
  the end of the last year Access Now reported it ongoing (or today, if sooner) with its daily
  rate; a shutdown with no end recorded and not ongoing counts one day, STOP's minimum;
* **services**: a service block costs only the services not already blocked in the country when
  it began (``data/blocked_services.csv`` and earlier incidents in the tracker);
* otherwise a :class:`NoEstimate` with a reason code and a sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netvigil._errors import NetvigilError
from netvigil.impact.blocked import Block, known_blocks
from netvigil.impact.estimate import MAX_HOURS, MIN_HOURS
from netvigil.impact.places import SOURCE as PLACES_SOURCE
from netvigil.impact.places import area_share
from netvigil.models.catalogue import load_catalogue

# Reasons an estimate is impossible (code -> sentence); scripts/impact_coverage.py counts them.
REASONS: dict[str, str] = {
    "no_country": "No estimate: the country is not known.",
    "no_indicators": "No estimate: the World Bank publishes no GDP or population for this country.",
    "no_start": "No estimate: the start date is not known.",
    "impossible_dates": "No estimate: the recorded end is before the start.",
    "area_not_recorded": "No estimate: the incident is not nationwide and its area is not "
    "recorded.",
    "area_unresolved": "No estimate: the area names no place with a known population.",
    "services_not_recorded": "No estimate: the blocked services are not recorded.",
    "services_not_costed": "No estimate: the blocked services have no cost weight "
    "(only major platforms are costed).",
    "services_already_blocked": "No estimate: every service it blocked was already blocked in "
    "the country before it began.",
    "implausible_duration": "No estimate: the recorded dates give a duration of more than ten "
    "years (or under a minute), which no shutdown has lasted.",
}


@dataclass(frozen=True)
class IncidentFacts:
    country_code: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    ongoing: bool
    last_report_year: int | None  # the latest report year of this shutdown (carry-overs)
    scope_code: str | None
    area_name: str | None
    extent_code: str | None
    type_code: str | None
    network_code: str | None
    services: tuple[str, ...]
    episode_hours: float | None  # from daily windows and exact spans, when every episode has them
    windows: int = 0
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoEstimate:
    reason: str
    message: str

    def to_json_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message}


@dataclass(frozen=True)
class IncidentImpact:
    estimate: dict[str, Any]  # ImpactEstimate.to_json_dict()
    basis: dict[str, Any] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return {**self.estimate, "incident_basis": self.basis}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value) if value else None


def _episode_hours(episodes: Sequence[Mapping[str, Any]]) -> tuple[float | None, int]:
    total, windows = 0.0, 0
    if not episodes:
        return None, 0
    for ep in episodes:
        if ep.get("windows"):
            for w in ep["windows"]:
                start = dt.time.fromisoformat(w["start_time"]) if w.get("start_time") else dt.time()
                if w.get("end_time"):
                    end = dt.time.fromisoformat(w["end_time"])
                    span = (end.hour - start.hour) + (end.minute - start.minute) / 60
                    total += span if span > 0 else span + 24
                else:
                    total += 24 - start.hour - start.minute / 60
                windows += 1
        elif ep.get("start_at") and ep.get("end_at"):
            begin = dt.datetime.fromisoformat(ep["start_at"])
            total += (dt.datetime.fromisoformat(ep["end_at"]) - begin).total_seconds() / 3600
        else:
            return None, 0  # one episode without hours: fall back to the dates
    return (total if total > 0 else None), windows


def facts_from_record(
    record: Mapping[str, Any], reports: Sequence[Mapping[str, Any]] = ()
) -> IncidentFacts:
    """From a public_dict/private_dict record and its later yearly reports (carry-overs)."""
    stop = record.get("stop") or {}
    codes = record.get("codes") or {}
    last = max([record, *reports], key=lambda r: r.get("report_year") or 0)
    last_stop = last.get("stop") or stop
    end = _date(last_stop.get("end_date")) or _date(stop.get("end_date"))
    status = str(last_stop.get("shutdown_status") or "").strip().lower()
    hours, windows = _episode_hours(record.get("episodes") or [])
    return IncidentFacts(
        country_code=record.get("country_code"),
        start_date=_date(stop.get("start_date")),
        end_date=end,
        ongoing=end is None and status == "ongoing",
        last_report_year=last.get("report_year"),
        scope_code=codes.get("scope"),
        area_name=stop.get("area_name"),
        extent_code=codes.get("extent"),
        type_code=codes.get("type"),
        network_code=codes.get("network"),
        services=tuple(record.get("services") or ()),
        episode_hours=hours,
        windows=windows,
        flags=tuple(record.get("quality_flags") or ()),
    )


def _no(reason: str) -> NoEstimate:
    return NoEstimate(reason, REASONS[reason])


def _hours(f: IncidentFacts, today: dt.date) -> tuple[float, dict[str, Any]] | NoEstimate:
    assert f.start_date is not None
    if f.episode_hours is not None:
        rule = (
            f"daily windows: {f.windows} windows, {f.episode_hours:g} h"
            if f.windows
            else f"episode spans: {f.episode_hours:g} h"
        )
        return f.episode_hours, {"hours_rule": rule, "ongoing": False}
    if f.end_date is not None:
        if f.end_date < f.start_date:
            return _no("impossible_dates")
        days = (f.end_date - f.start_date).days + 1
        return days * 24.0, {"hours_rule": f"dates: {days} days x 24 h (both ends counted)",
                             "ongoing": False}  # fmt: skip
    if f.ongoing:
        year_end = dt.date(f.last_report_year, 12, 31) if f.last_report_year else today
        as_of = min(today, max(year_end, f.start_date))
        days = (as_of - f.start_date).days + 1
        return days * 24.0, {
            "hours_rule": f"ongoing: {days} days from the start to {as_of.isoformat()}, the end "
            "of the last year Access Now reported it ongoing",
            "ongoing": True,
            "as_of": as_of.isoformat(),
        }
    return 24.0, {
        "hours_rule": "end not recorded: one day, STOP's shortest duration (a lower bound)",
        "ongoing": False,
    }


def incident_impact(
    f: IncidentFacts,
    *,
    today: dt.date,
    tracker_blocks: Sequence[Block] = (),
    table: Any = None,
) -> IncidentImpact | NoEstimate:
    """The estimate for one incident, or why there is none (see the module docstring)."""
    from netvigil.impact import estimate

    if not f.country_code:
        return _no("no_country")
    if f.start_date is None:
        return _no("no_start")
    args: dict[str, Any] = {"country": f.country_code, "year": f.start_date.year}
    basis: dict[str, Any] = {}
    if f.scope_code == "national":
        args["scope"] = "national"
        basis["area"] = {"rule": "nationwide (STOP scope)"}
    else:
        if not f.area_name or not f.area_name.strip():
            return _no("area_not_recorded")
        share = area_share(f.country_code, f.area_name)
        if share is None:
            return _no("area_unresolved")
        args.update(scope="regional", share=share.share)
        basis["area"] = {
            "share": round(share.share, 6),
            "places": list(share.places),
            "people_in_places": share.people_in_places,
            "people_in_country_towns": share.people_in_towns,
            "rule": "people in the towns named / people in all the country's towns of 15,000+",
            "source": PLACES_SOURCE,
        }
    if f.extent_code == "service_based":
        catalogue = load_catalogue()
        costed = {
            name: service.impact_name
            for name in f.services
            if (service := catalogue.find(name)) is not None and service.impact_name
        }
        named = [costed[s] for s in f.services if s in costed]
        if not f.services:
            return _no("services_not_recorded")
        if not named:
            return _no("services_not_costed")
        blocks = [*known_blocks().get(f.country_code, ()), *tracker_blocks]

        # The table and the tracker name services in any of the catalogue's spellings.
        def impact_name(name: str) -> str:
            service = catalogue.find(name)
            return service.impact_name if service and service.impact_name else name

        already = {
            impact_name(b.service): b
            for b in blocks
            if b.since <= f.start_date and impact_name(b.service) in named
        }
        left = [s for s in named if s not in already]
        basis["services_already_blocked"] = [
            {"service": b.service, "since": b.since.isoformat(), "source": b.source}
            for b in already.values()
        ]
        basis["services_not_costed"] = [s for s in f.services if s not in costed]
        if not left:
            return _no("services_already_blocked")
        args.update(shutdown_type="service", services=left)
    elif f.network_code == "mobile":
        args["shutdown_type"] = "mobile"
    else:
        args["shutdown_type"] = "full"
    hours = _hours(f, today)
    if isinstance(hours, NoEstimate):
        return hours
    if not MIN_HOURS <= hours[0] <= MAX_HOURS:  # 0001-01-01 to 9999-12-31 (audit L8)
        return _no("implausible_duration")
    args["hours"], extra = hours
    basis.update(extra, hours=args["hours"])
    if f.type_code == "throttling":
        basis["throttling"] = (
            "throttled, not cut: costed as a full loss within its scope (no measured severity), "
            "an upper bound"
        )
    try:
        result = estimate(**args, table=table)
    except NetvigilError as exc:
        if "World Bank" in exc.message or getattr(exc, "field", None) == "year":
            return _no("no_indicators")  # no indicators for that year (before 1990) either
        raise
    data = result.to_json_dict()
    days = args["hours"] / 24.0
    basis["daily_rate_usd"] = {k: round(v / days) for k, v in result.range.__dict__.items()}
    return IncidentImpact(data, basis)
