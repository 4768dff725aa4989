"""The observatory's pages: home (what is happening now), the country page's observatory part,
ASN and region pages. Each page is also JSON (``.json``), from the same view.

Every view reads the analytical store through this thread's reader (``_observatory``), the
tracker through ``_tracker`` and builds its charts with ``_charts`` (each with its verifiable id).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from netvigil.store.aggregation import AggregationQuery
from netvigil.web import _charts as charts
from netvigil.web import _observatory as obs
from netvigil.web import _schemas as schemas
from netvigil.web import _tracker as tracked
from netvigil.web._render import render, request_language

router = APIRouter(tags=["observatory"])
ONGOING_SHOWN = 50
LATEST_SHOWN = 10
EVENTS_ON_PAGE = 50


def strict(request: Request, allowed: Iterable[str]) -> dict[str, str]:
    """The query's parameters; a 400 naming any parameter this page does not take."""
    names = {*allowed, "lang"}
    for name in request.query_params:
        if name not in names:
            expected = ", ".join(sorted(n for n in names if n != "lang")) or "none"
            raise HTTPException(400, f"{name}: unknown parameter; this page takes {expected}")
    return {k: v for k, v in request.query_params.items() if k != "lang"}


def date_param(params: dict[str, str], name: str) -> dt.date | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None


def sources(request: Request) -> charts.Sources:
    state = request.app.state
    cached = getattr(request.state, "sources", None)
    if isinstance(cached, charts.Sources):
        return cached
    found = charts.Sources(
        store=state.stores.get(),
        tracker=state.tracker,
        policy=state.policy,
        catalogue=state.catalogue,
        test_lists=state.settings.analysis.test_lists,
        shared=state.shared_reads,
        version=(tracked.data_version(state.tracker), state.stores.version()),
    )
    request.state.sources = found
    return found


def chart(src: charts.Sources, kind: str, query: dict[str, Any]) -> dict[str, Any]:
    try:
        return charts.build(src, kind, query)
    except charts.ChartQueryError as exc:
        raise HTTPException(400, str(exc)) from None


def twin(
    path: str, name: str, summary: str, model: type[Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``path`` (HTML) and ``path.json`` (the same data, with its declared model)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(
            f"{path}.json", view, methods=["GET"], name=f"{name}.json",
            operation_id=f"{name}_json", summary=f"{summary} (JSON)", response_model=model,
        )  # fmt: skip
        router.add_api_route(
            path, view, methods=["GET"], name=name, operation_id=f"{name}_html",
            summary=f"{summary} (HTML)", response_class=Response,
        )  # fmt: skip
        return view

    return decorate


def _now() -> dt.datetime:
    """The current minute (charts of "now" are queries of one moment, so they verify later)."""
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


# --- home ----------------------------------------------------------------------------------------
def home_data(request: Request) -> dict[str, Any]:
    strict(request, ())
    src = sources(request)
    lang = "en" if request.url.path.endswith(".json") else request_language(request)
    now = _now()
    events = obs.labelled(src.once("events", lambda: obs.all_events(src.store)), lang)
    fresh = src.once(("fresh", now), lambda: obs.fresh_entities(src.store, now))
    ongoing = [e for e in events if obs.going_on(e, now, fresh)]
    stale = [e for e in events if e["ongoing"] and not obs.going_on(e, now, fresh)]
    by_kind: dict[str, int] = {}
    for e in ongoing:
        by_kind[e["kind"]] = by_kind.get(e["kind"], 0) + 1
    per_country = src.once(
        "per_country", lambda: src.store.aggregate(AggregationQuery(axis_x="probe_cc"))
    )
    counts = src.once(
        ("headline", now.date()), lambda: tracked.headline_counts(src.tracker, now.date())
    )
    incidents_now = src.once(
        ("ongoing", now.date()), lambda: tracked.ongoing_incidents(src.tracker, now.date())
    )
    world_map = chart(src, "map", {"at": now.strftime("%Y-%m-%dT%H:%MZ")})
    return {
        "now": obs.iso(now),
        "headline": {
            **counts,
            "ongoing_events": len(ongoing),
            "ongoing_events_by_kind": by_kind,
            "measurements": sum(int(r["measurement_count"]) for r in per_country),
            "measured_countries": len(per_country),
            "detected_events": len(events),
        },
        "ongoing_events": ongoing[:ONGOING_SHOWN],
        "recent_events": [e for e in events if not e["ongoing"]][:LATEST_SHOWN],
        "open_without_data": stale[:ONGOING_SHOWN],
        "ongoing_incidents": incidents_now[:ONGOING_SHOWN],
        "latest_incidents": src.once(
            "latest", lambda: tracked.latest_incidents(src.tracker, LATEST_SHOWN)
        ),
        "map": world_map,
        "json_url": "/index.json",
    }


@router.get(
    "/index.json", name="home.json", operation_id="home_json", response_model=schemas.Home,
    summary="What is happening now: ongoing events and incidents, the map, headline figures",
)  # fmt: skip
def home_json(request: Request) -> Response:
    return render(request, "home.html", home_data(request))


@router.get("/", name="home", include_in_schema=False)
def home(request: Request) -> Response:
    """The start page: what is happening now."""
    return render(request, "home.html", home_data(request))


# --- the observatory part of a country page -------------------------------------------------------
def country_observatory(request: Request, cc: str) -> dict[str, Any]:
    """Charts on one time axis (verdicts, signals with events, incidents and laws), blocked
    domains and services, coverage, the country's events, and the impact totals."""
    params = strict(request, ("since", "until"))
    src = sources(request)
    lang = "en" if request.url.path.endswith(".json") else request_language(request)
    today = dt.date.today()
    days = src.once(("days", cc, None), lambda: obs.verdict_days(src.store, cc=cc))
    dates = [dt.date.fromisoformat(r["measurement_start_day"]) for r in days[:1] + days[-1:]]
    dates += src.once(("signal_dates", cc), lambda: obs.signal_dates(src.store, "country", cc))
    if not dates:
        dates = tracked.incident_dates(src.tracker, cc)
    window = obs.window_of(dates, date_param(params, "since"), date_param(params, "until"), today)
    span = {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "grain": window.grain,
    }
    everything = src.once("events", lambda: obs.all_events(src.store))
    events = obs.labelled([e for e in everything if e["country_code"] == cc], lang)
    return {
        "window": span,
        "charts": {
            "verdicts": chart(src, "verdicts", {"cc": cc, **span}),
            "signals": chart(src, "signals", {"entity": f"country:{cc}", **span}),
            "timeline": chart(src, "timeline", {"cc": cc, **span}),
        },
        "blocked_domains": src.once(
            ("domains", cc, window), lambda: obs.blocked_domains(src.store, cc, window)
        ),
        "services": src.once(
            ("services", cc, window),
            lambda: obs.services_measured(src.store, src.catalogue, cc, window),
        ),
        "coverage": src.once(("coverage", cc, window), lambda: obs.coverage(src.store, cc, window)),
        "events": events[:EVENTS_ON_PAGE],
        "event_count": len(events),
        "impact": impact_totals(request, cc, today),
    }


_impact_lock = threading.Lock()


def impact_totals(request: Request, cc: str, today: dt.date) -> dict[str, Any]:
    """The country's impact totals, kept while the tracker is unchanged (summing every
    incident's estimate costs a few ms per incident)."""
    state = request.app.state
    key = (tracked.data_version(state.tracker), cc, today)
    with _impact_lock:
        cached: dict[Any, dict[str, Any]] = state.impact_cache
        if key in cached:
            return cached[key]
    totals = tracked.impact_totals(state.tracker, cc, today)
    with _impact_lock:
        if len(cached) > 512:
            cached.clear()
        cached[key] = totals
    return totals


# --- ASN and region pages ------------------------------------------------------------------------
@twin(
    "/asn/{asn}",
    "asn",
    "One network (ASN): verdicts, blocked domains, signals, events",
    schemas.Network,
)
def network(request: Request, asn: str) -> Response:
    params = strict(request, ("since", "until"))
    try:
        number = charts.asn_number(asn.removesuffix(".json"))
    except Exception:
        raise HTTPException(404, f"unknown network {asn!r}: expected AS12345") from None
    code = f"AS{number}"
    src = sources(request)
    lang = "en" if request.url.path.endswith(".json") else request_language(request)
    days = obs.verdict_days(src.store, asn=code)
    countries = src.store.aggregate(AggregationQuery(probe_asn=code, axis_x="probe_cc"))
    events = [e for e in obs.all_events(src.store, lang) if f"asn:{code}" in e["entity"].split("/")]
    signal_span = obs.signal_dates(src.store, "asn", code)
    if not days and not events and not signal_span:
        raise HTTPException(404, f"no measurements, signals or events for {code}")
    dates = [dt.date.fromisoformat(r["measurement_start_day"]) for r in days[:1] + days[-1:]]
    window = obs.window_of(
        dates + signal_span,
        date_param(params, "since"),
        date_param(params, "until"),
        dt.date.today(),
    )
    span = {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "grain": window.grain,
    }
    cc = countries[0]["probe_cc"] if len(countries) == 1 else None
    data = {
        "asn": code,
        "countries": [
            {"cc": r["probe_cc"], "measurement_count": r["measurement_count"]} for r in countries
        ],
        "window": span,
        "charts": {
            "verdicts": chart(src, "verdicts", {"asn": code, **span}),
            "signals": chart(src, "signals", {"entity": f"asn:{code}", **span}),
        },
        "blocked_domains": obs.blocked_domains(src.store, cc, window, asn=code) if cc else [],
        "events": events[:EVENTS_ON_PAGE],
        "json_url": f"/asn/{code}.json",
    }
    return render(request, "network.html", data)


@twin("/regions/{code}", "region", "One region: signals and detected events", schemas.Region)
def region(request: Request, code: str) -> Response:
    params = strict(request, ("since", "until"))
    code = code.removesuffix(".json")
    src = sources(request)
    lang = "en" if request.url.path.endswith(".json") else request_language(request)
    entity = f"region:{code}"
    span_dates = obs.signal_dates(src.store, "region", code)
    events = [e for e in obs.all_events(src.store, lang) if entity in e["entity"].split("/")]
    if not span_dates and not events:
        raise HTTPException(404, f"no signals or events for region {code!r}")
    window = obs.window_of(
        span_dates, date_param(params, "since"), date_param(params, "until"), dt.date.today()
    )
    span = {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "grain": window.grain,
    }
    data = {
        "region": code,
        "name": obs.entity_label(entity, lang),
        "country_code": obs.entity_country(entity),
        "window": span,
        "charts": {"signals": chart(src, "signals", {"entity": entity, **span})},
        "events": events[:EVENTS_ON_PAGE],
        "json_url": f"/regions/{code}.json",
    }
    return render(request, "region.html", data)
