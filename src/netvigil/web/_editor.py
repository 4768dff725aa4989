"""The editor area: login/logout, drafts, evidence, status changes (HTML forms).

Every POST needs this session's CSRF token and the right role; the repository checks the role
again (an editor cannot publish even if this layer had a bug). Private fields (sources, reporter
contacts, internal notes, editor emails) appear only here, behind a login.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from netvigil._errors import InputError
from netvigil.incidents import ADMIN_ONLY_STATUSES, TRANSITIONS, Actor, IncidentFilter
from netvigil.incidents.model import EVIDENCE_KINDS, STATUSES
from netvigil.incidents.serialise import private_dict
from netvigil.web._auth import (
    check_csrf,
    client_ip,
    require_editor,
    require_viewer,
    safe_next,
)
from netvigil.web._i18n import N_
from netvigil.web._render import render

router = APIRouter(include_in_schema=False)
EDITOR_PAGE_SIZE = 200

# The incident form: (field, label, widget). Field names are the tracker's (STOP codebook).
INCIDENT_FORM: tuple[tuple[str, str, str], ...] = (
    ("title", N_("Title"), "text"),
    ("summary", N_("Summary"), "textarea"),
    ("country", N_("Country"), "text"),
    ("start_date", N_("Start date"), "date"),
    ("end_date", N_("End date"), "date"),
    ("geo_scope", N_("Geographic scope"), "text"),
    ("area_name", N_("Area"), "text"),
    ("shutdown_type", N_("Shutdown type"), "text"),
    ("shutdown_extent", N_("Extent"), "text"),
    ("affected_network", N_("Affected network"), "text"),
    ("ordered_by", N_("Ordered by"), "text"),
    ("decision_maker", N_("Decision maker"), "text"),
    ("gov_justification", N_("Government justification"), "text"),
    ("legal_just", N_("Legal justification"), "text"),
    ("facebook_affected", N_("Facebook affected"), "yesno"),
    ("whatsapp_affected", N_("WhatsApp affected"), "yesno"),
    ("twitter_affected", N_("Twitter affected"), "yesno"),
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
    username: str = Form(...),
    password: str = Form(...),
    next: str | None = Form(None),
) -> Response:
    throttle = request.app.state.throttle
    keys = _throttle_keys(request, username)
    wait = throttle.retry_after(keys)
    context = {"next": safe_next(next), "username": username}
    if wait > 0:
        message = f"Too many failed logins; try again in {int(wait) + 1} s."
        response = render(request, "login.html", {**context, "error": message}, status_code=429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    actor = request.app.state.tracker.authenticate(username, password)
    if actor is None:
        throttle.failed(keys)
        error = "Wrong email or password."
        return render(request, "login.html", {**context, "error": error}, status_code=401)
    throttle.succeeded(keys)
    # A fresh session on login (no session fixation): drop everything, then set the user.
    request.session.clear()
    request.session["user_id"] = actor.user_id
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/editor")
def editor_home(
    request: Request,
    status: str | None = Query(None),
    user: Actor = Depends(require_viewer),
) -> Response:
    if status and status not in STATUSES:
        raise HTTPException(422, f"status: expected one of {', '.join(STATUSES)}")
    tracker = request.app.state.tracker
    rows = tracker.list_incidents(
        IncidentFilter(status=status or None, limit=EDITOR_PAGE_SIZE), public=False
    )
    data = {
        "incidents": [
            {
                "id": r.id,
                "title": r.title,
                "country_code": r.country_code,
                "start_date": r.start_date,
                "status": r.status,
            }
            for r in rows
        ],
        "statuses": STATUSES,
        "status": status,
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
    data = {
        "heading": heading,
        "action": action,
        "values": values,
        "fields": INCIDENT_FORM,
        "with_source": with_source,
        "source_fields": SOURCE_FORM,
        "error": error,
    }
    return render(request, "editor_form.html", data, status_code=status_code)


async def _incident_form(request: Request) -> dict[str, str]:
    form = await request.form()
    names = [name for name, _, _ in INCIDENT_FORM] + [name for name, _ in SOURCE_FORM]
    return {name: str(form.get(name) or "").strip() for name in names}


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
    fields = {name: values[name] for name, _, _ in INCIDENT_FORM if values[name]}
    source = {name: values[name] for name, _ in SOURCE_FORM if values[name]}
    tracker = request.app.state.tracker
    try:
        incident = tracker.create_incident(fields, user)
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


def _next_statuses(user: Actor, current: str) -> list[str]:
    allowed = sorted(TRANSITIONS.get(current, frozenset()))
    if user.can("admin"):
        return allowed
    if not user.can("editor") or current == "published":
        return []
    return [s for s in allowed if s not in ADMIN_ONLY_STATUSES]


@router.get("/editor/incidents/{incident_id:int}")
def incident_page(
    request: Request,
    incident_id: int,
    notice: str | None = Query(None),
    user: Actor = Depends(require_viewer),
) -> Response:
    record = private_dict(request.app.state.tracker.get_incident(incident_id, public=False))
    can_edit = user.can("editor") and (record["status"] != "published" or user.can("admin"))
    data = {
        "incident": record,
        "can_edit": can_edit,
        "next_statuses": _next_statuses(user, record["status"]),
        "evidence_kinds": EVIDENCE_KINDS,
        "notice": notice,
    }
    return render(request, "editor_incident.html", data)


@router.get("/editor/incidents/{incident_id:int}/edit")
def edit_incident_page(
    request: Request, incident_id: int, user: Actor = Depends(require_editor)
) -> Response:
    record = private_dict(request.app.state.tracker.get_incident(incident_id, public=False))
    values = {**record.get("stop", {}), **record}
    return _form_page(
        request,
        heading=f"Edit incident #{incident_id}",
        action=f"/editor/incidents/{incident_id}/edit",
        values=values,
        with_source=False,
    )


@router.post("/editor/incidents/{incident_id:int}/edit", dependencies=[Depends(check_csrf)])
async def edit_incident(
    request: Request, incident_id: int, user: Actor = Depends(require_editor)
) -> Response:
    values = await _incident_form(request)
    fields = {name: values[name] for name, _, _ in INCIDENT_FORM}
    try:
        request.app.state.tracker.update_incident(incident_id, fields, user)
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


@router.post("/editor/incidents/{incident_id:int}/evidence", dependencies=[Depends(check_csrf)])
def attach_evidence(
    request: Request,
    incident_id: int,
    kind: str = Form(...),
    value: str = Form(...),
    sha256: str | None = Form(None),
    description: str | None = Form(None),
    user: Actor = Depends(require_editor),
) -> Response:
    request.app.state.tracker.attach_evidence(
        incident_id, kind, value, user, sha256=sha256 or None, description=description or None
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
