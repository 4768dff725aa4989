"""Public pages of policy records, each also ``.json`` (and ``.csv`` where it is a table).

``/legal`` (laws and treaties, with a drawn timeline on each instrument's page), ``/responses``
(platform responses and transparency figures), ``/statements`` (joint statements and open
letters with their signatories). Views build one dict from :mod:`netvigil.policy.serialise`
(published records only) and :func:`render` shows it; the HTML adds only layout (the timeline).
:func:`install` mounts these routes and the editor's, and the template helpers that pick the
reader's language for names, dates and places.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import Response

from netvigil.policy import serialise, vocab
from netvigil.policy.repository import Policy
from netvigil.policy.timeline import layout
from netvigil.web import _schemas as schemas
from netvigil.web._render import render

router = APIRouter(tags=["policy"])

INSTRUMENT_CSV = (
    "id", "slug", "kind", "jurisdiction", "name_en", "short_name_en", "name_zh_hant",
    "name_zh_hans", "adopted", "in_force", "concerns", "source_url", "url",
)  # fmt: skip
HISTORY_CSV = (
    "date", "date_precision", "end_date", "kind", "title_en", "title_zh_hant", "title_zh_hans",
    "place", "votes_for", "votes_against", "abstentions", "source_url",
)  # fmt: skip
RESPONSE_CSV = (
    "id", "slug", "company", "jurisdiction", "demand_kind", "response", "announced_on",
    "effective_from", "ended_on", "summary_en", "instruments", "source_url", "url",
)  # fmt: skip
FIGURE_CSV = (
    "company", "jurisdiction", "demand_kind", "period_start", "period_end", "requests",
    "accounts_specified", "complied_share", "source_url", "note",
)  # fmt: skip
STATEMENT_CSV = (
    "id", "slug", "kind", "date", "title_en", "title_zh_hant", "title_zh_hans", "addressees",
    "authors", "jurisdictions", "signatory_count", "response_received", "source_url", "url",
)  # fmt: skip
SIGNATORY_CSV = ("name", "kind", "country", "affiliation", "group")


def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


def _route(
    path: str, name: str, summary: str, *, csv: bool = False, model: type[Any] = schemas.PolicyList
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view under ``path`` (HTML), ``path.json`` (with the model /docs shows) and,
    for tables, ``path.csv``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(
            f"{path}.json", view, methods=["GET"], name=f"{name}.json",
            operation_id=f"{name}_json", summary=f"{summary} (JSON)", response_model=model,
        )  # fmt: skip
        if csv:
            router.add_api_route(
                f"{path}.csv", view, methods=["GET"], name=f"{name}.csv",
                operation_id=f"{name}_csv", summary=f"{summary} (CSV)", response_class=Response,
            )  # fmt: skip
        router.add_api_route(
            path, view, methods=["GET"], name=name, operation_id=f"{name}_html",
            summary=f"{summary} (HTML)", response_class=Response,
        )  # fmt: skip
        return view

    return decorate


def _first(history: Iterable[dict[str, Any]], kind: str) -> str | None:
    return next((e["date"] for e in history if e["kind"] == kind), None)


def _first_precision(history: Iterable[dict[str, Any]], kind: str) -> str:
    return next((e["date_precision"] for e in history if e["kind"] == kind), "day")


def _instrument_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **item,
        "adopted": _first(item["history"], "adoption"),
        "adopted_precision": _first_precision(item["history"], "adoption"),
        "in_force": _first(item["history"], "entry_into_force"),
        "concerns": sorted({p["concern"] for p in item["provisions"]}),
    }


def _check(value: str | None, choices: Iterable[str], name: str) -> str | None:
    if value and value not in set(choices):
        raise HTTPException(422, f"{name}: {value!r} is not one of {', '.join(choices)}")
    return value or None


@_route("/legal", "legal_instruments", "Laws and treaties", csv=True)
def instruments(
    request: Request,
    jurisdiction: str | None = Query(None, description="ISO code or body, e.g. HK, CN, UN"),
    kind: str | None = Query(None, description="law, regulation, emergency_power, treaty..."),
    concern: str | None = Query(None, description="a provision of concern, e.g. data_localisation"),
) -> Response:
    """Legal instruments (laws, emergency powers, treaties...) with their dates and concerns."""
    _check(kind, vocab.INSTRUMENT_KINDS, "kind")
    _check(concern, vocab.CONCERNS, "concern")
    rows = _policy(request).list_instruments(
        public=True, jurisdiction=jurisdiction, kind=kind, concern=concern
    )
    items = [_instrument_row(serialise.public_instrument(r)) for r in rows]
    query = str(request.url.query)
    data = {
        "filters": {"jurisdiction": jurisdiction, "kind": kind, "concern": concern},
        "instruments": items,
        "json_url": "/legal.json" + (f"?{query}" if query else ""),
        "csv_url": "/legal.csv" + (f"?{query}" if query else ""),
    }
    if not request.url.path.endswith((".json", ".csv")):
        data["choices"] = {"kinds": vocab.INSTRUMENT_KINDS, "concerns": vocab.CONCERNS[:-1]}
    return render(request, "policy_instruments.html", data, csv_rows=items,
                  csv_columns=INSTRUMENT_CSV, csv_bom=True)  # fmt: skip


@_route(
    "/legal/{instrument_id:int}", "legal_instrument", "One legal instrument", csv=True,
    model=schemas.InstrumentPage,
)  # fmt: skip
def instrument(request: Request, instrument_id: int) -> Response:
    """An instrument: names, history (drawn as a timeline), provisions of concern, and the
    incidents, platform responses and statements that cite it. CSV: its history."""
    policy = _policy(request)
    row = policy.get_instrument(instrument_id, public=True)
    bases, responses, statements = policy.instrument_links(instrument_id, public=True)
    item = serialise.public_instrument(row)
    data: dict[str, Any] = {
        "instrument": item,
        "incidents": [
            {
                "id": b.incident.id,
                "title": b.incident.title,
                "articles": b.articles,
                "country_code": b.incident.country_code,
                "url": f"/incidents/{b.incident.id}",
                "start_date": b.incident.start_date.isoformat() if b.incident.start_date else None,
            }
            for b in bases
        ],
        "responses": [serialise.public_response(r) for r in responses],
        "statements": [serialise.public_statement(s) for s in statements],
        "json_url": f"/legal/{instrument_id}.json",
        "csv_url": f"/legal/{instrument_id}.csv",
    }
    if output_is_html(request):
        data["timeline"] = layout(item["history"])
    return render(request, "policy_instrument.html", data, csv_rows=item["history"],
                  csv_columns=HISTORY_CSV, csv_bom=True)  # fmt: skip


def output_is_html(request: Request) -> bool:
    return not request.url.path.endswith((".json", ".csv"))


@_route("/responses", "platform_responses", "Platform responses to government demands", csv=True)
def responses(
    request: Request,
    jurisdiction: str | None = Query(None, description="ISO code, e.g. HK"),
    company: str | None = Query(None, description="e.g. Google"),
) -> Response:
    """Companies' responses to governments' demands (comply, pause, refuse, challenge, publish)
    and their transparency-report figures."""
    policy = _policy(request)
    rows = policy.list_responses(public=True, jurisdiction=jurisdiction, company=company)
    items = [serialise.public_response(r) for r in rows]
    figures = [serialise.public_figure(f) for f in policy.list_figures(
        jurisdiction=jurisdiction, company=company)]  # fmt: skip
    data = {
        "filters": {"jurisdiction": jurisdiction, "company": company},
        "responses": items,
        "figures": figures,
        "json_url": "/responses.json",
        "csv_url": "/responses.csv",
    }
    csv_rows = [{**r, "instruments": [i["slug"] for i in r["instruments"]]} for r in items]
    return render(request, "policy_responses.html", data, csv_rows=csv_rows,
                  csv_columns=RESPONSE_CSV, csv_bom=True)  # fmt: skip


@router.get(
    "/responses/figures.csv",
    name="transparency_figures.csv",
    operation_id="transparency_figures_csv",
    summary="Transparency-report figures (CSV)",
    response_class=Response,
)
def figures_csv(request: Request, jurisdiction: str | None = None) -> Response:
    """Every transparency-report figure: requests, accounts specified, share complied with."""
    rows = [serialise.public_figure(f) for f in _policy(request).list_figures(
        jurisdiction=jurisdiction)]  # fmt: skip
    return render(request, "policy_responses.html", {}, csv_rows=rows, csv_columns=FIGURE_CSV,
                  csv_bom=True)  # fmt: skip


@_route(
    "/responses/{response_id:int}", "platform_response", "One platform response",
    model=schemas.ResponsePage,
)  # fmt: skip
def response(request: Request, response_id: int) -> Response:
    """A response, the instruments it answers, and the company's figures for that place."""
    policy = _policy(request)
    item = serialise.public_response(policy.get_response(response_id, public=True))
    figures = [
        serialise.public_figure(f)
        for f in policy.list_figures(jurisdiction=item["jurisdiction"], company=item["company"])
    ]
    data = {"response": item, "figures": figures, "json_url": f"/responses/{response_id}.json"}
    return render(request, "policy_response.html", data)


@_route("/statements", "statements", "Joint statements and open letters", csv=True)
def statements(
    request: Request,
    jurisdiction: str | None = Query(None, description="ISO code or body, e.g. HK, UN"),
) -> Response:
    """Joint statements and open letters, newest first, with their signatory counts."""
    rows = _policy(request).list_statements(public=True, jurisdiction=jurisdiction)
    items = [serialise.public_statement(r) for r in rows]
    for item in items:
        del item["signatories"]  # on each statement's page (and its .csv)
    data = {
        "filters": {"jurisdiction": jurisdiction},
        "statements": items,
        "json_url": "/statements.json",
        "csv_url": "/statements.csv",
    }
    return render(request, "policy_statements.html", data, csv_rows=items,
                  csv_columns=STATEMENT_CSV, csv_bom=True)  # fmt: skip


@_route(
    "/statements/{statement_id:int}", "statement", "One statement", csv=True,
    model=schemas.StatementPage,
)  # fmt: skip
def statement(request: Request, statement_id: int) -> Response:
    """A statement: addressees, authors, demands and what became of them, what happened next,
    signatories (organisations with their country, individuals). CSV: its signatories."""
    item = serialise.public_statement(_policy(request).get_statement(statement_id, public=True))
    data = {
        "statement": item,
        "json_url": f"/statements/{statement_id}.json",
        "csv_url": f"/statements/{statement_id}.csv",
    }
    return render(request, "policy_statement.html", data, csv_rows=item["signatories"],
                  csv_columns=SIGNATORY_CSV, csv_bom=True)  # fmt: skip


def country_section(policy: Policy, code: str) -> dict[str, Any]:
    """A country page's policy records: instruments, platform responses, statements."""
    instruments_ = policy.list_instruments(public=True, jurisdiction=code)
    return {
        "instruments": [_instrument_row(serialise.public_instrument(r)) for r in instruments_],
        "responses": [
            serialise.public_response(r)
            for r in policy.list_responses(public=True, jurisdiction=code)
        ],
        "statements": [
            {k: v for k, v in serialise.public_statement(r).items() if k != "signatories"}
            for r in policy.list_statements(public=True, jurisdiction=code)
        ],
    }


# --- template helpers: the reader's language for names, dates and places ---


def install(app: FastAPI) -> None:
    """Mount the policy pages and editor, and the helpers their templates use."""
    from netvigil.web._policy_editor import router as editor_router

    app.state.policy = Policy(app.state.tracker)
    app.include_router(router)
    app.include_router(editor_router)
    catalogues = app.state.catalogues
    env = app.state.templates.env

    @pass_context
    def loc(ctx: Context, item: dict[str, Any], stem: str) -> Any:
        """``item[stem_<lang>]``, else the English text."""
        suffix = vocab.LANG_SUFFIX.get(ctx.get("lang", "en"), "en")
        return item.get(f"{stem}_{suffix}") or item.get(f"{stem}_en")

    @pass_context
    def name_of(ctx: Context, item: dict[str, Any], short: bool = True) -> Any:
        full = loc(ctx, item, "name")
        return (loc(ctx, item, "short_name") or full) if short else full

    @pass_context
    def place(ctx: Context, code: str | None) -> str:
        """A jurisdiction's name: a body, a subdivision, or a country (CLDR, in ``lang``)."""
        lang = ctx.get("lang", "en")
        if not code:
            return catalogues.get(lang).gettext("international")  # type: ignore[no-any-return]
        if code in vocab.INTERNATIONAL_BODIES:
            return catalogues.get(lang).gettext(vocab.INTERNATIONAL_BODIES[code])  # type: ignore[no-any-return]
        if "-" in code:
            import pycountry

            subdivisions: Any = pycountry.subdivisions
            sub = subdivisions.get(code=code)
            parent = vocab.territory_name(code.split("-")[0], lang)
            return f"{sub.name}, {parent}" if sub is not None else code
        return vocab.territory_name(code, lang)

    @pass_context
    def when(ctx: Context, iso: str | None, precision: str = "day") -> str:
        """A date as the reader writes it, no more precise than the record knows it."""
        from babel.dates import format_skeleton

        if not iso:
            return ""
        day = dt.date.fromisoformat(iso)
        skeleton = {"year": "y", "month": "yMMMM"}.get(precision, "yMMMd")
        return str(format_skeleton(skeleton, day, locale=ctx.get("lang", "en")))

    @pass_context
    def label(ctx: Context, key: str | None) -> str:
        """A vocabulary value as readers say it, in their language."""
        text = vocab.LABELS.get(key or "", key or "")
        return catalogues.get(ctx.get("lang", "en")).gettext(text)  # type: ignore[no-any-return]

    env.globals.update(
        loc=loc,
        name_of=name_of,
        place=place,
        when=when,
        label=label,
        status_labels=vocab.STATUS_LABELS,
    )
