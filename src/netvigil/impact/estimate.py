"""One impact estimate: inputs checked, indicators looked up, every method run, a range stated.

``estimate()`` is the public entry point (the CLI and the web app call it). It is pure apart from
reading the packaged indicator table and service catalogue, which can be passed in.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from netvigil._errors import InputError, UnknownEntityError
from netvigil.impact import methods as m
from netvigil.impact.blocked import known_blocks
from netvigil.impact.indicators import (
    ATTRIBUTION,
    Country,
    Indicator,
    Table,
    latest_year,
    load_table,
    require,
    resolve_country,
)
from netvigil.models.catalogue import Catalogue, load_catalogue

Scope = Literal["national", "regional"]
ShutdownType = Literal["full", "mobile", "service"]


@dataclass(frozen=True)
class Uncertainty:
    """Assumptions behind netvigil's low/high bounds (see docs/impact.md)."""

    # How far the observed share of traffic/measurements lost may be off, either way.
    severity_margin: float = 0.1
    # An internet-economy share *estimated* from penetration may be off by this factor either
    # way (BCG's published shares for similar penetration differ by about 2x, e.g. IN vs US).
    estimated_share_factor: float = 2.0


@dataclass(frozen=True)
class MethodEstimate:
    name: str
    cost_usd: float
    cost_per_day_usd: float
    basis: dict[str, Any] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "cost_usd": round(self.cost_usd),
            "cost_per_day_usd": round(self.cost_per_day_usd),
            **self.basis,
        }


@dataclass(frozen=True)
class CostRange:
    low: float
    central: float
    high: float

    def to_json_dict(self) -> dict[str, int]:
        return {"low": round(self.low), "central": round(self.central), "high": round(self.high)}


@dataclass(frozen=True)
class ImpactEstimate:
    country: Country
    year: int
    hours: float
    scope: Scope
    region_share: float
    shutdown_type: ShutdownType
    services: tuple[str, ...]
    severity: float | None
    people_affected: int
    methods: tuple[MethodEstimate, ...]
    range: CostRange
    indicators: tuple[Indicator, ...]
    derived: dict[str, Any]
    assumptions: tuple[str, ...]

    def method(self, name: str) -> MethodEstimate:
        return next(item for item in self.methods if item.name == name)

    def to_json_dict(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {
            "country": self.country.alpha_2,
            "year": self.year,
            "hours": self.hours,
            "scope": self.scope,
            "region_share": self.region_share,
            "type": self.shutdown_type,
            "services": list(self.services),
            "severity": self.severity,
        }
        inputs.update({item.name: item.to_json_dict() for item in self.indicators})
        inputs.update(self.derived)
        return {
            "country": {
                "alpha_2": self.country.alpha_2,
                "alpha_3": self.country.alpha_3,
                "name": self.country.name,
            },
            "people_affected": self.people_affected,
            "methods": {item.name: item.to_json_dict() for item in self.methods},
            "range": self.range.to_json_dict(),
            "currency": "USD",
            "inputs": inputs,
            "assumptions": list(self.assumptions),
            "attribution": ATTRIBUTION,
        }


def _unit_interval(value: float, name: str) -> float:
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InputError(f"must be between 0 and 1, got {value}", field=name)
    return value


def _check_services(services: tuple[str, ...], catalogue: Catalogue) -> tuple[str, ...]:
    """The services' names in the estimate (any spelling of the catalogue is accepted)."""
    import difflib

    known = catalogue.impact_names()
    cleaned: list[str] = []
    for name in dict.fromkeys(s.strip().lower() for s in services if s.strip()):
        service = catalogue.find(name)
        if service is None or service.impact_name is None:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            raise UnknownEntityError("service", name, close or list(known))
        cleaned.append(service.impact_name)
    return tuple(dict.fromkeys(cleaned))


# Plausible durations: the longest documented shutdowns (Tigray, Rakhine) lasted about two
# years; a single minute is the shortest anyone reports.
MIN_HOURS = 1 / 60
MAX_HOURS = 10 * 365 * 24.0
FIRST_YEAR = 1990  # before it, no indicator of any country is near


def _check(
    hours: float,
    scope: str,
    share: float | None,
    shutdown_type: str,
    services: tuple[str, ...],
    catalogue: Catalogue,
) -> tuple[float, Scope, ShutdownType, tuple[str, ...]]:
    if not math.isfinite(hours) or hours <= 0:
        raise InputError(f"duration must be a positive number of hours, got {hours}", field="hours")
    if not MIN_HOURS <= hours <= MAX_HOURS:  # security audit L8: 10^11 hours gave US$ 10^17
        raise InputError(
            f"duration must be from one minute to {MAX_HOURS:,.0f} hours (ten years),"
            f" got {hours:g}",
            field="hours",
        )
    if scope not in get_args(Scope):
        raise InputError(f"scope must be national or regional, got {scope!r}", field="scope")
    if shutdown_type not in get_args(ShutdownType):
        raise InputError(
            f"type must be full, mobile or service, got {shutdown_type!r}", field="type"
        )
    if scope == "regional":
        if share is None:
            raise InputError(
                "a regional shutdown needs the affected share of the population",
                field="share",
                hint="e.g. --share 0.05 for a region holding 5% of the population",
            )
        region_share = _unit_interval(share, "share")
    else:
        if share is not None and share != 1.0:
            raise InputError("--share applies only with --scope regional", field="share")
        region_share = 1.0
    checked = _check_services(services, catalogue)
    if shutdown_type == "service" and not checked:
        raise InputError("a service shutdown needs the blocked services", field="services")
    if shutdown_type != "service" and checked:
        raise InputError("services apply only with --type service", field="services")
    return region_share, cast(Scope, scope), cast(ShutdownType, shutdown_type), checked


def estimate(
    country: str,
    hours: float,
    *,
    scope: str = "national",
    share: float | None = None,
    shutdown_type: str = "full",
    services: tuple[str, ...] | list[str] = (),
    year: int | None = None,
    severity: float | None = None,
    uncertainty: Uncertainty | None = None,
    deloitte_thresholds: m.DeloitteThresholds | None = None,
    table: Table | None = None,
    catalogue: Catalogue | None = None,
    on: dt.date | None = None,
) -> ImpactEstimate:
    """Estimate people affected and economic cost of one shutdown.

    ``severity`` is the observed share of measurements/traffic lost (0..1, from the detector);
    throttling is a partial loss. Without it the shutdown is assumed total within its scope.
    ``on``: the shutdown's date; services already blocked in the country by then
    (``data/blocked_services.csv``) are not counted, since blocking them cuts off no one.
    """
    region_share, scope_v, type_v, services_v = _check(
        hours, scope, share, shutdown_type, tuple(services), catalogue or load_catalogue()
    )
    where = resolve_country(country)
    excluded: list[str] = []
    if on is not None and services_v:
        blocked = {
            b.service: b
            for b in known_blocks().get(where.alpha_2, ())
            if b.since <= on and b.service in services_v
        }
        excluded = [f"{b.service} (blocked since {b.since}: {b.source})" for b in blocked.values()]
        services_v = tuple(s for s in services_v if s not in blocked)
        if not services_v:
            raise InputError(
                f"{', '.join(blocked)} {'was' if len(blocked) == 1 else 'were'} already blocked "
                f"in {where.name} before {on}: blocking again cuts off no one "
                f"({'; '.join(excluded)})",
                field="services",
                hint="give --on the date of the block, or services not blocked then",
            )
    if severity is not None:
        _unit_interval(severity, "severity")
    unc = uncertainty or Uncertainty()
    data = load_table() if table is None else table
    if year is not None and not FIRST_YEAR <= year <= dt.date.today().year + 1:
        # audit L8: --year -1 or 1800 silently used 2000's indicators
        raise InputError(f"year must be from {FIRST_YEAR} to next year, got {year}", field="year")
    asked = latest_year(data, where) if year is None else year

    gdp = require(data, where, "gdp_usd", asked)
    population = require(data, where, "population", asked)
    internet = require(data, where, "internet_pct", asked)
    used = [gdp, population, internet]
    derived: dict[str, Any] = {}
    assumptions: list[str] = []

    access_share = 1.0
    if type_v == "mobile":
        mobile = require(data, where, "mobile_per_100", asked)
        broadband = require(data, where, "broadband_per_100", asked)
        used += [mobile, broadband]
        access_share = m.mobile_access_share(mobile.value, broadband.value)
        derived["mobile_access_share"] = {
            "value": round(access_share, 4),
            "rule": "mobile_per_100 / (mobile_per_100 + broadband_per_100)",
        }
        assumptions.append(
            "mobile-only: cost and people scale with mobile's share of subscriptions "
            "(cellular SIMs include voice-only and multi-SIM use, so this is an upper bound)"
        )
    lost_share = 1.0
    if type_v == "service":
        lost_share = m.service_share(services_v)
        derived["service_share"] = {
            "value": round(lost_share, 4),
            "weight_per_service": m.DEFAULT_SERVICE_WEIGHT,
            "rule": "1 - prod(1 - weight) over the blocked services",
        }
        assumptions.append(
            "service block: each platform carries 10% of the internet economy (calibrated on "
            "Brookings' Brazil WhatsApp day); every internet user counts as affected"
        )

    if excluded:
        assumptions.append(
            "not counted, already blocked in the country before the shutdown: "
            + "; ".join(excluded)
        )
    ie_share, ie_source = m.internet_economy_share(where.alpha_2, internet.value)
    derived["internet_economy_share"] = {
        "value": round(ie_share, 5),
        "source": ie_source,
        "citation": m.PUBLISHED_SHARE_SOURCE
        if ie_source == "published"
        else "estimated from internet users %: 5.3% x pct / 50.2, within 1.4%..12.4% (BCG range)",
    }
    tier = m.deloitte_tier(internet.value, deloitte_thresholds)
    derived["deloitte_tier"] = {"value": tier, "internet_pct": internet.value}

    days = hours / m.HOURS_PER_DAY
    scaling = {"region_share": region_share, "access_share": access_share}
    brookings = m.brookings_cost(
        gdp_usd=gdp.value,
        hours=hours,
        internet_economy_share=ie_share,
        service_share=lost_share,
        **scaling,
    )
    deloitte = m.deloitte_cost(
        gdp_usd=gdp.value, hours=hours, tier=tier, service_share=lost_share, **scaling
    )
    per_capita = m.deloitte_per_capita_cost(population=population.value, hours=hours, tier=tier)

    s = 1.0 if severity is None else severity
    if severity is None:
        s_low = s_high = 1.0
        assumptions.append("no observed severity: the shutdown is assumed total within its scope")
    else:
        s_low = max(0.0, s - unc.severity_margin)
        s_high = min(1.0, s + unc.severity_margin)
        assumptions.append(
            f"observed severity {s:g} (share lost) +/- {unc.severity_margin:g} scales the cost"
        )
    factor = unc.estimated_share_factor if ie_source == "estimated" else 1.0
    central = math.sqrt(brookings * deloitte) * s
    cost_range = CostRange(
        low=min(brookings / factor, deloitte) * s_low,
        central=central,
        high=max(brookings * factor, deloitte) * s_high,
    )
    assumptions.append(
        "central = geometric mean of Brookings and Deloitte x severity; low/high = the lower/"
        "higher method at the low/high severity"
        + (f", Brookings' estimated share divided/multiplied by {factor:g}" if factor > 1 else "")
    )
    results = (
        MethodEstimate(
            "brookings",
            brookings,
            brookings / days,
            {"internet_economy_share": round(ie_share, 5), "share_source": ie_source},
        ),
        MethodEstimate(
            "deloitte",
            deloitte,
            deloitte / days,
            {
                "tier": tier,
                "gdp_share_per_day": m.DELOITTE_GDP_SHARE[tier],
                "per_10m_people_form_usd": round(
                    per_capita * region_share * access_share * lost_share
                ),
            },
        ),
        MethodEstimate("netvigil", central, central / days, {"severity": s}),
    )
    people = m.people_affected(
        population=population.value,
        internet_pct=internet.value,
        region_share=region_share,
        access_share=access_share,
    )
    if any(item.fallback for item in used):
        assumptions.append("some indicators come from the nearest year with data (see inputs)")
    return ImpactEstimate(
        country=where,
        year=asked,
        hours=hours,
        scope=scope_v,
        region_share=region_share,
        shutdown_type=type_v,
        services=services_v,
        severity=severity,
        people_affected=people,
        methods=results,
        range=cost_range,
        indicators=tuple(used),
        derived=derived,
        assumptions=tuple(assumptions),
    )
