"""The editor area: login/logout, the incident list and the incident form (HTML forms).

Every POST needs this session's CSRF token and the right role; the repository checks the role
again (an editor cannot publish even if this layer had a bug). Private fields (sources, reporter
contacts, internal notes, editor emails) appear only here, behind a login. The form's controlled
fields are the codebook's (incidents/vocab.py): an editor picks a code, the STOP column gets the
codebook's text for it. Episodes, evidence and legal basis: ``_editor_parts``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from netvigil._errors import InputError
from netvigil.incidents import ADMIN_ONLY_STATUSES, Actor, IncidentFilter, vocab
from netvigil.incidents.model import STATUSES
from netvigil.incidents.serialise import private_dict, titles_dict
from netvigil.models import countries
from netvigil.web._auth import (
    check_csrf,
    client_ip,
    end_session,
    require_editor,
    require_viewer,
    safe_next,
    start_session,
)
from netvigil.web._editor_parts import incident_view
from netvigil.web._i18n import N_
from netvigil.web._render import render, request_language
from netvigil.web._security import LOGIN_WAIT_S

# A login form's fields are bounded before anything is hashed (audit M3, M4).
MAX_EMAIL = 320  # RFC 5321's longest address
MAX_PASSWORD = 1024
BUSY = "The server is busy checking other logins; try again in a few seconds."

router = APIRouter(include_in_schema=False)
EDITOR_PAGE_SIZE = 50

# The incident form: (field, label, widget). Field names are the tracker's (STOP codebook);
# "vocab:<name>" fields are codebook codes, "country_code" a country select.
INCIDENT_FORM: tuple[tuple[str, str, str], ...] = (
    ("title", N_("Title (English; leave empty to generate it)"), "text"),
    ("title_zh", N_("Title (Traditional Chinese; leave empty to generate it)"), "text"),
    ("summary", N_("Summary"), "textarea"),
    ("country_code", N_("Country"), "country"),
    ("start_date", N_("Start date"), "date"),
    ("start_date_type", N_("Start date type"), "choice:Actual|Estimated"),
    ("end_date", N_("End date"), "date"),
    ("shutdown_status", N_("Shutdown status"), "choice:Ongoing|Ended|Unknown"),
    ("vocab:scope", N_("Geographic scope"), "vocab"),
    ("area_name", N_("Area"), "text"),
    ("vocab:type", N_("Shutdown type"), "vocab"),
    ("vocab:extent", N_("Extent"), "vocab"),
    ("vocab:network", N_("Affected network"), "vocab"),
    ("facebook_affected", N_("Facebook affected"), "yesno"),
    ("twitter_affected", N_("Twitter affected"), "yesno"),
    ("whatsapp_affected", N_("WhatsApp affected"), "yesno"),
    ("instagram_affected", N_("Instagram affected"), "yesno"),
    ("telegram_affected", N_("Telegram affected"), "yesno"),
    ("sms_affected", N_("SMS affected"), "yesno"),
    ("phonecall_affected", N_("Phone calls affected"), "yesno"),
    ("other_affected", N_("Other services affected"), "text"),
    ("vocab:ordered_by", N_("Ordered by"), "vocab"),
    ("decision_maker", N_("Decision maker"), "text"),
    ("vocab:cause", N_("Actual cause"), "vocab"),
    ("vocab:justification", N_("Government justification"), "vocab"),
    ("gov_just_details", N_("Details of the justification"), "textarea"),
    ("event", N_("What happened"), "textarea"),
    ("info_source_link", N_("Source link"), "text"),
    ("internal_notes", N_("Internal notes (never published)"), "textarea"),
)
SOURCE_FORM: tuple[tuple[str, str], ...] = (
    ("source_description", N_("Source")),
    ("source_url", N_("Source URL")),
    ("reporter_name", N_("Reporter name")),
    ("reporter_contact", N_("Reporter contact")),
)


def _throttle_keys(request: Request, email: str) -> list[str]:
    return [f"ip:{client_ip(request)}", f"user:{email.strip().lower()}"]


@router.get("/login")
def login_page(request: Request, next: str | None = Query(None)) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "username": "", "error": None})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: str = Form(..., max_length=MAX_EMAIL),
    password: str = Form(..., max_length=MAX_PASSWORD),
    next: str | None = Form(None, max_length=2000),
) -> Response:
    throttle = request.app.state.throttle
    keys = _throttle_keys(request, username)
    # Counted before hashing, atomically: concurrent guesses cannot pass the limit (audit M3).
    wait = throttle.reserve(keys)
    context = {"next": safe_next(next), "username": username}
    if wait > 0:
        message = f"Too many failed logins; try again in {int(wait) + 1} s."
        response = render(request, "login.html", {**context, "error": message}, status_code=429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    actor = None
    if "@" in username:  # not an email address: no account, and nothing to hash
        # At most LOGIN_HASH_SLOTS argon2 computations at once (64 MiB each): audit M3.
        slots = request.app.state.login_slots
        if not slots.acquire(timeout=LOGIN_WAIT_S):
            throttle.succeeded([k for k in keys if not k.startswith("user:")], reserved=True)
            response = render(request, "login.html", {**context, "error": BUSY}, status_code=503)
            response.headers["Retry-After"] = "5"
            return response
        try:
            actor = request.app.state.tracker.authenticate(username, password)
        finally:
            slots.release()
    if actor is None:
        error = "Wrong email or password."
        return render(request, "login.html", {**context, "error": error}, status_code=401)
    throttle.succeeded(keys, reserved=True)
    start_session(request, actor)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    end_session(request)
    return RedirectResponse("/", status_code=303)


@router.get("/editor")
def editor_home(
    request: Request,
    status: str | None = Query(None),
    q: str | None = Query(None, max_length=200),
    country: str | None = Query(None),
    year: int | None = Query(None, ge=1990, le=2100),
    type: str | None = Query(None),
    view: str = Query("incidents", pattern="^(incidents|reports)$"),
    offset: int = Query(0, ge=0),
    user: Actor = Depends(require_viewer),
) -> Response:
    """Every incident whatever its status, newest first: paged, searchable, filtered.
    ``view=reports`` also lists the rows that report a shutdown another row stands for."""
    if status and status not in STATUSES:
        raise HTTPException(422, f"status: expected one of {', '.join(STATUSES)}")
    if type and type not in vocab.TYPE.codes():
        raise HTTPException(422, f"type: expected one of {', '.join(vocab.TYPE.codes())}")
    tracker = request.app.state.tracker
    filters = IncidentFilter(
        status=status or None,
        q=(q or "").strip() or None,
        country=country or None,
        year=year,
        shutdown_type=type or None,
        canonical=view == "incidents",
        limit=EDITOR_PAGE_SIZE,
        offset=offset,
    )
    rows = tracker.list_incidents(filters, public=False)
    total = tracker.count_incidents(filters, public=False)
    lang = request_language(request)
    params = {"status": status, "q": q, "country": country, "year": year, "type": type,
              "view": view if view != "incidents" else None}  # fmt: skip
    kept = {k: v for k, v in params.items() if v not in (None, "")}

    def page(at: int) -> str:
        return "/editor?" + urlencode({**kept, **({"offset": at} if at else {})})

    data = {
        "incidents": [
            {
                "id": r.id,
                "title": titles_dict(r)["title_zh_hant" if lang == "zh_Hant" else "title"],
                "country_code": r.country_code,
                "start_date": r.start_date,
                "status": r.status,
                "link_kind": r.link_kind,
                "report_year": r.report_year,
            }
            for r in rows
        ],
        "total": total,
        "offset": offset,
        "next_url": page(offset + EDITOR_PAGE_SIZE) if offset + EDITOR_PAGE_SIZE < total else None,
        "prev_url": page(max(0, offset - EDITOR_PAGE_SIZE)) if offset else None,
        "filters": {**params, "view": view},
        "statuses": STATUSES,
        "status": status,
        "types": [(t.code, t.label) for t in vocab.TYPE.terms],
        "countries": countries.all_countries(lang),
        "can_edit": user.can("editor"),
    }
    return render(request, "editor_list.html", data)


def _form_page(
    request: Request,
    *,
    heading: str,
    action: str,
    values: dict[str, Any],
    with_source: bool,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = request_language(request)
    data = {
        "heading": heading,
        "action": action,
        "values": values,
        "fields": INCIDENT_FORM,
        "vocabularies": {v.name: [(t.code, t.label) for t in v.terms] for v in vocab.VOCABULARIES},
        "countries": countries.all_countries(lang),
        "with_source": with_source,
        "source_fields": SOURCE_FORM,
        "error": error,
    }
    return render(request, "editor_form.html", data, status_code=status_code)


async def _incident_form(request: Request) -> dict[str, str]:
    form = await request.form()
    names = [name for name, _, _ in INCIDENT_FORM] + [name for name, _ in SOURCE_FORM]
    return {name: str(form.get(name) or "").strip() for name in names}


def _fields(values: dict[str, str], *, keep_empty: bool) -> dict[str, Any]:
    """Tracker fields from the form: codes become the codebook's STOP text, the country code
    its display name (the resolver's) beside the code."""
    out: dict[str, Any] = {}
    for name, _, widget in INCIDENT_FORM:
        value = values.get(name, "")
        if widget == "vocab":
            vocabulary = vocab.BY_NAME[name.removeprefix("vocab:")]
            term = vocabulary.term(value)
            if value and term is None:
                raise InputError(f"expected one of {', '.join(vocabulary.codes())}", field=name)
            if term is not None or keep_empty:
                out[vocabulary.columns[0]] = term.stop if term else None
        elif name == "country_code":
            found = countries.lookup(value) if value else None
            if value and found is None:
                raise InputError("unknown country", field="country_code")
            if found is not None or keep_empty:
                out["country_code"] = found.alpha_2 if found else None
                out["country"] = found.name if found else None
        elif value or keep_empty:
            out[name] = value
    return out


def _form_values(record: dict[str, Any]) -> dict[str, Any]:
    """The form's values for a record: codes for the controlled fields."""
    values: dict[str, Any] = {**record.get("stop", {}), **record}
    values["title"] = record.get("editor_title") or ""
    values["title_zh"] = record.get("editor_title_zh") or ""
    for name, code in (record.get("codes") or {}).items():
        values[f"vocab:{name}"] = code or ""
    return values


@router.get("/editor/incidents/new")
def new_incident_page(request: Request, user: Actor = Depends(require_editor)) -> Response:
    return _form_page(
        request,
        heading="New incident",
        action="/editor/incidents/new",
        values={},
        with_source=True,
    )


@router.post("/editor/incidents/new", dependencies=[Depends(check_csrf)])
async def create_incident(request: Request, user: Actor = Depends(require_editor)) -> Response:
    values = await _incident_form(request)
    source = {name: values[name] for name, _ in SOURCE_FORM if values[name]}
    tracker = request.app.state.tracker
    try:
        incident = tracker.create_incident(_fields(values, keep_empty=False), user)
        if source:
            tracker.add_source(
                incident.id,
                user,
                description=source.get("source_description"),
                url=source.get("source_url"),
                reporter_name=source.get("reporter_name"),
                reporter_contact=source.get("reporter_contact"),
            )
    except InputError as exc:
        return _form_page(
            request,
            heading="New incident",
            action="/editor/incidents/new",
            values=values,
            with_source=True,
            error=exc.render(),
            status_code=400,
        )
    return RedirectResponse(f"/editor/incidents/{incident.id}", status_code=303)


@router.get("/editor/incidents/{incident_id:int}")
def incident_page(
    request: Request,
    incident_id: int,
    notice: str | None = Query(None, max_length=300),
    user: Actor = Depends(require_viewer),
) -> Response:
    return incident_view(request, incident_id, user, notice=notice)


@router.get("/editor/incidents/{incident_id:int}/edit")
def edit_incident_page(
    request: Request, incident_id: int, user: Actor = Depends(require_editor)
) -> Response:
    record = private_dict(request.app.state.tracker.get_incident(incident_id, public=False))
    return _form_page(
        request,
        heading=f"Edit incident #{incident_id}",
        action=f"/editor/incidents/{incident_id}/edit",
        values=_form_values(record),
        with_source=False,
    )


@router.post("/editor/incidents/{incident_id:int}/edit", dependencies=[Depends(check_csrf)])
async def edit_incident(
    request: Request, incident_id: int, user: Actor = Depends(require_editor)
) -> Response:
    values = await _incident_form(request)
    try:
        request.app.state.tracker.update_incident(
            incident_id, _fields(values, keep_empty=True), user
        )
    except InputError as exc:
        return _form_page(
            request,
            heading=f"Edit incident #{incident_id}",
            action=f"/editor/incidents/{incident_id}/edit",
            values=values,
            with_source=False,
            error=exc.render(),
            status_code=400,
        )
    return RedirectResponse(f"/editor/incidents/{incident_id}", status_code=303)


@router.post("/editor/incidents/{incident_id:int}/status", dependencies=[Depends(check_csrf)])
def change_status(
    request: Request,
    incident_id: int,
    status: str = Form(...),
    reason: str | None = Form(None),
    user: Actor = Depends(require_editor),
) -> Response:
    if status in ADMIN_ONLY_STATUSES and not user.can("admin"):
        raise HTTPException(403, f"only admins may move an incident to {status}")
    request.app.state.tracker.set_status(incident_id, status, user, note=reason or None)
    return RedirectResponse(f"/editor/incidents/{incident_id}", status_code=303)
