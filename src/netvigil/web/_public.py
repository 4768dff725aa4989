"""Public pages: incident list, incident, countries; each also ``.json`` (policy records:
``_policy``).

Every view builds one dict from the tracker's *public* serialisers and hands it to
:func:`render`; the HTML template and the JSON twin therefore show the same data. Only published
incidents exist here: a draft's id answers 404 exactly like an id that was never used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from netvigil.incidents import vocab
from netvigil.web import _schemas as schemas
from netvigil.web import _tracker as tracker_api
from netvigil.web._i18n import N_
from netvigil.web._render import render, request_language
from netvigil.web._timeline import timeline
from netvigil.web._tracker import CSV_COLUMNS, ListQuery

router = APIRouter(tags=["public"])

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# The incident list's parameters: any other is a 400 naming it (a typo must not silently widen
# a search).
LIST_PARAMS = (
    "country", "year", "type", "platform", "service", "asn", "status", "scope", "network",
    "cause", "q", "since", "until", "limit", "offset",
)  # fmt: skip

# Fact labels on the incident page, in the STOP codebook's order of importance.
FACT_LABELS: tuple[tuple[str, str], ...] = (
    ("country", N_("Country")),
    ("report_year", N_("Report year")),
    ("start_date_type", N_("Start date type")),
    ("start_date", N_("Start date")),
    ("end_date", N_("End date")),
    ("duration", N_("Duration")),
    ("shutdown_status", N_("Shutdown status")),
    ("geo_scope", N_("Geographic scope")),
    ("area_name", N_("Area")),
    ("shutdown_type", N_("Shutdown type")),
    ("shutdown_extent", N_("Extent")),
    ("affected_network", N_("Affected network")),
    ("facebook_affected", N_("Facebook affected")),
    ("twitter_affected", N_("Twitter affected")),
    ("whatsapp_affected", N_("WhatsApp affected")),
    ("instagram_affected", N_("Instagram affected")),
    ("telegram_affected", N_("Telegram affected")),
    ("other_affected", N_("Other services affected")),
    ("sms_affected", N_("SMS affected")),
    ("phonecall_affected", N_("Phone calls affected")),
    ("ordered_by", N_("Ordered by")),
    ("decision_maker", N_("Decision maker")),
    ("actual_cause", N_("Actual cause")),
    ("actual_cause_details", N_("Details of the cause")),
    ("gov_justification", N_("Government justification")),
    ("gov_just_details", N_("Details of the justification")),
    ("gov_ack", N_("Government acknowledged")),
    ("gov_ack_quote", N_("Government statement")),
    ("legal_just", N_("Legal justification")),
    ("legal_method", N_("Legal method")),
    ("telcos_involved", N_("Telecom operators involved")),
    ("telco_ack", N_("Operator acknowledged")),
    ("telco_ack_quote", N_("Operator statement")),
    ("election", N_("Election")),
    ("violence", N_("Violence")),
    ("hr_abuse_reported", N_("Human rights abuses reported")),
    ("users_targeted", N_("Users targeted")),
    ("users_notified", N_("Users notified")),
    ("econ_impact", N_("Economic impact")),
    ("event", N_("Event")),
    ("info_source", N_("Information source")),
    ("info_source_link", N_("Source link")),
    ("an_link", N_("Access Now link")),
)


def _twin(
    path: str, name: str, summary: str, model: type[Any]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register one view under ``path`` (HTML) and ``path.json`` (the same data as JSON, with the
    model its shape follows, which /docs shows)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(
            path + ".json",
            view,
            methods=["GET"],
            name=f"{name}.json",
            operation_id=f"{name}_json",
            summary=f"{summary} (JSON)",
            response_model=model,
        )
        router.add_api_route(
            path,
            view,
            methods=["GET"],
            name=name,
            operation_id=f"{name}_html",
            summary=f"{summary} (HTML)",
            response_class=Response,
        )
        return view

    return decorate


def _list_query(params: dict[str, Any], limit: int, offset: int) -> ListQuery:
    from netvigil.models import countries

    status, country = params["status"], params["country"]
    platform = params["platform"] or params["service"]
    asn = params["asn"]
    if asn:
        digits = asn[2:] if asn.upper().startswith("AS") else asn
        if not digits.isdigit():
            raise HTTPException(400, f"asn: expected AS12345, got {asn!r}")
        asn = f"AS{int(digits)}"
    if status and status not in tracker_api.PUBLIC_STATUSES:
        raise HTTPException(404, f"no public incidents have status {status!r}")
    if platform and platform not in tracker_api.PLATFORMS:
        raise HTTPException(
            400, f"platform: unknown platform {platform!r}; one of {sorted(tracker_api.PLATFORMS)}"
        )
    if country:
        code = countries.code_for(country)
        if code is None:
            hint = ", ".join(countries.suggestions(country)) or "an ISO code such as IN"
            raise HTTPException(400, f"country: unknown country {country!r}; did you mean {hint}")
        country = code
    for name, vocabulary in (
        ("type", vocab.TYPE),
        ("scope", vocab.SCOPE),
        ("network", vocab.NETWORK),
        ("cause", vocab.CAUSE),
    ):
        value = params[name]
        if (
            value
            and value not in vocabulary.codes()
            and not any(vocab.value_key(value) in table for table in vocabulary.values.values())
        ):
            raise HTTPException(400, f"{name}: expected one of {', '.join(vocabulary.codes())}")
    since, until = params["since"], params["until"]
    return ListQuery(
        country=country or None,
        year=params["year"],
        type=params["type"] or None,
        platform=platform or None,
        status=status or None,
        scope=params["scope"] or None,
        network=params["network"] or None,
        cause=params["cause"] or None,
        q=(params["q"] or "").strip() or None,
        asn=asn or None,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )


def _page_language(request: Request) -> str:
    """Names in the reader's language on pages; JSON twins are language-neutral (English)."""
    return "en" if request.url.path.endswith(".json") else request_language(request)


def _page_url(base: str, params: dict[str, Any], offset: int) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "") and k != "offset"}
    if offset:
        kept["offset"] = offset
    return f"{base}?{urlencode(kept)}" if kept else base


def incidents(
    request: Request,
    country: str | None = Query(None, description="ISO code or country name, e.g. IN or Iran"),
    year: int | None = Query(None, ge=1990, le=2100, description="report year as STOP counts"),
    type: str | None = Query(None, description="shutdown type code, e.g. throttling"),
    platform: str | None = Query(None, description="affected platform, e.g. whatsapp"),
    service: str | None = Query(None, description="the same as platform"),
    asn: str | None = Query(None, description="an affected network, e.g. AS197207"),
    status: str | None = Query(None, description="public status (published)"),
    scope: str | None = Query(None, description="geographic scope code, e.g. national"),
    network: str | None = Query(None, description="affected network code, e.g. mobile"),
    cause: str | None = Query(None, description="actual cause code, e.g. protests"),
    q: str | None = Query(
        None,
        max_length=200,
        description="words in the title, description, area, services, operators or event",
    ),
    since: dt.date | None = Query(None, description="started on or after (YYYY-MM-DD)"),
    until: dt.date | None = Query(None, description="started on or before (YYYY-MM-DD)"),
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0),
) -> Response:
    """Published incidents (one per shutdown), newest first, filtered; also ``.json`` and
    ``.csv`` (all rows)."""
    from netvigil.web._site import strict

    strict(request, LIST_PARAMS)
    csv_wanted = request.url.path.endswith(".csv")
    raw = {
        "country": country,
        "year": year,
        "type": type,
        "platform": platform,
        "service": service,
        "asn": asn,
        "status": status,
        "scope": scope,
        "network": network,
        "cause": cause,
        "q": q,
        "since": since,
        "until": until,
    }
    query = _list_query(raw, limit, offset)
    if csv_wanted:
        rows = tracker_api.iter_public_rows(request.app.state.tracker, query)
        return render(request, "incidents.html", {}, csv_rows=rows, csv_columns=CSV_COLUMNS)
    items, total = tracker_api.list_public(request.app.state.tracker, query)
    params = {**raw, "country": query.country, "limit": limit if limit != PAGE_SIZE else None}
    base = request.url.path
    data: dict[str, Any] = {
        "filters": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in raw.items()}
        | {"country": query.country},
        "total": total,
        "offset": offset,
        "limit": limit,
        "incidents": items,
        "next_url": _page_url(base, params, offset + limit) if offset + limit < total else None,
        "prev_url": _page_url(base, params, max(0, offset - limit)) if offset else None,
        "json_url": _page_url("/incidents.json", params, offset),
        "csv_url": _page_url("/incidents.csv", params, 0),
    }
    if not request.url.path.endswith(".json"):
        lang = request_language(request)
        data["choices"] = tracker_api.filter_choices(request.app.state.tracker, lang)
    return render(request, "incidents.html", data)


router.add_api_route(
    "/incidents.csv",
    incidents,
    methods=["GET"],
    name="incidents.csv",
    operation_id="incidents_csv",
    summary="Published incidents, filtered (CSV, all rows)",
    response_class=Response,
)
_twin("/incidents", "incidents", "Published incidents, filtered", schemas.IncidentList)(incidents)


@_twin("/incidents/{incident_id:int}", "incident", "One published incident", schemas.IncidentPage)
def incident(request: Request, incident_id: int) -> Response:
    """One published incident: facts, timeline of episodes, evidence, legal basis, impact, and
    each yearly report of the shutdown. A later report of a shutdown redirects to it."""
    tracker = request.app.state.tracker
    record = tracker_api.get_public(tracker, incident_id)
    if record["same_as"] is not None:
        suffix = ".json" if request.url.path.endswith(".json") else ""
        return RedirectResponse(f"/incidents/{record['same_as']}{suffix}", status_code=301)
    today = dt.date.today()
    impact, impact_note = tracker_api.impact_of(tracker, record, today)
    data: dict[str, Any] = {
        "incident": record,
        "reports": tracker_api.reports(tracker, record),
        "impact": impact,
        "impact_note": impact_note,
        "json_url": f"/incidents/{incident_id}.json",
    }
    if not request.url.path.endswith(".json"):
        data["fact_labels"] = FACT_LABELS
        as_of = dt.date.fromisoformat(
            (impact or {}).get("incident_basis", {}).get("as_of") or today.isoformat()
        )
        data["timeline"] = timeline(record, as_of)
    return render(request, "incident.html", data)


@router.get(
    "/incidents/{incident_id:int}/impact.json",
    name="incident_impact",
    operation_id="incident_impact_json",
    summary="Impact estimate of a published incident",
    response_model=schemas.IncidentImpact,
)
def incident_impact(request: Request, incident_id: int) -> Response:
    """People affected and economic cost, with method and range (netvigil.impact)."""
    tracker = request.app.state.tracker
    record = tracker_api.get_public(tracker, incident_id)
    impact, note = tracker_api.impact_of(tracker, record)
    if impact is None:
        raise HTTPException(404, note or "no impact estimate for this incident")
    return render(request, "incident.html", {"incident_id": incident_id, "impact": impact})


@_twin("/countries", "countries", "Countries with published incidents", schemas.CountryList)
def countries(request: Request) -> Response:
    """Every country with at least one published incident, with its count."""
    data = {
        "countries": tracker_api.countries(request.app.state.tracker, _page_language(request)),
        "json_url": "/countries.json",
    }
    return render(request, "countries.html", data)


@_twin("/countries/{code}", "country", "One country", schemas.CountryPage)
def country(request: Request, code: str) -> Response:
    """A country's published incidents per year, latest incidents, and its policy records:
    legal instruments, platform responses and statements (netvigil.policy)."""
    from netvigil.web._policy import country_section
    from netvigil.web._site import country_observatory

    data = tracker_api.country(request.app.state.tracker, code, _page_language(request))
    data["policy"] = country_section(request.app.state.policy, data["country"]["code"])
    data["observatory"] = country_observatory(request, data["country"]["code"])
    data["json_url"] = f"/countries/{data['country']['code']}.json"
    return render(request, "country.html", data)
