"""The editor's incident page and what hangs off an incident: episodes with daily windows,
evidence (links, measurements checked against the analytical store, uploaded documents) and the
legal basis. Documents are served to editors, and to the public once a published incident cites
them (``/files/<sha256>``).

Bad input re-renders the incident page with the message (status 400), nothing stored.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from netvigil._errors import InputError
from netvigil.incidents import ADMIN_ONLY_STATUSES, TRANSITIONS, Actor
from netvigil.incidents.evidence import (
    EvidenceFiles,
    event_snapshot,
    is_sha256,
    measurement_verdict,
)
from netvigil.incidents.hours import timezone_of
from netvigil.incidents.model import Evidence, Incident
from netvigil.incidents.serialise import instrument_dict, private_dict
from netvigil.policy.vocab import INSTRUMENT_KINDS
from netvigil.web._auth import check_csrf, require_editor, require_viewer
from netvigil.web._render import render

router = APIRouter(include_in_schema=False)
UPLOAD_CHUNK = 1 << 20
_WINDOW_LINE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*(?:-|–|to)\s*(\d{1,2}:\d{2})\s*$"
)


def _next_statuses(user: Actor, current: str) -> list[str]:
    allowed = sorted(TRANSITIONS.get(current, frozenset()))
    if user.can("admin"):
        return allowed
    if not user.can("editor") or current == "published":
        return []
    return [s for s in allowed if s not in ADMIN_ONLY_STATUSES]


def incident_view(
    request: Request,
    incident_id: int,
    user: Actor,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    tracker = request.app.state.tracker
    record = private_dict(tracker.get_incident(incident_id, public=False))
    linked = [private_dict(r) for r in tracker.linked_reports(incident_id, public=False)]
    if not user.can("editor"):
        # Sources and reporters' contacts are for the editors who protect them, not for every
        # viewer (least privilege, security audit L9).
        for item in (record, *linked):
            item["sources"] = []
    can_edit = user.can("editor") and (record["status"] != "published" or user.can("admin"))
    data = {
        "incident": record,
        "linked": linked,
        "can_edit": can_edit,
        "next_statuses": _next_statuses(user, record["status"]),
        "instruments": [instrument_dict(li) for li in tracker.list_legal_instruments()],
        "instrument_kinds": INSTRUMENT_KINDS,
        "default_timezone": timezone_of(record.get("country_code")),
        "max_upload_mib": request.app.state.settings.web.max_upload_bytes // (1024 * 1024),
        "notice": notice,
        "error": error,
    }
    return render(request, "editor_incident.html", data, status_code=status_code)


def _back(incident_id: int, notice: str) -> Response:
    from urllib.parse import quote

    return RedirectResponse(
        f"/editor/incidents/{incident_id}?notice={quote(notice)}", status_code=303
    )


# --- episodes -------------------------------------------------------------------------------


def _time(text: str, field: str) -> dt.time | None:
    if text in ("24:00", "24:00:00"):
        return None
    try:
        return dt.time.fromisoformat(text if len(text) > 4 else "0" + text)
    except ValueError:
        raise InputError(f"expected a time HH:MM, got {text!r}", field=field) from None


def _moment(text: str, zone: str, field: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        local = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"expected a date and time, got {text!r}", field=field) from None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def parse_windows(form: dict[str, str]) -> list[tuple[dt.date, dt.time | None, dt.time | None]]:
    """Daily windows from the form: one per day from ``window_from`` to ``window_to`` at
    ``window_start``-``window_end``, plus one per line of ``windows`` ("2022-09-21 16:00-24:00")."""
    out: dict[dt.date, tuple[dt.date, dt.time | None, dt.time | None]] = {}
    first, last = form.get("window_from", ""), form.get("window_to", "")
    if first or last:
        try:
            d1 = dt.date.fromisoformat(first)
            d2 = dt.date.fromisoformat(last or first)
        except ValueError:
            raise InputError("expected dates YYYY-MM-DD", field="window_from") from None
        if d2 < d1 or (d2 - d1).days > 366:
            raise InputError("the last day must follow the first, within a year", field="window_to")
        start = _time(form.get("window_start") or "00:00", "window_start")
        end = _time(form.get("window_end") or "24:00", "window_end")
        for i in range((d2 - d1).days + 1):
            day = d1 + dt.timedelta(days=i)
            out[day] = (day, start, end)
    for number, line in enumerate((form.get("windows") or "").splitlines(), start=1):
        if not line.strip():
            continue
        m = _WINDOW_LINE.match(line)
        if m is None:
            raise InputError(
                f"line {number}: expected 'YYYY-MM-DD HH:MM-HH:MM', got {line.strip()!r}",
                field="windows",
            )
        day = dt.date.fromisoformat(m.group(1))
        out[day] = (day, _time(m.group(2), "windows"), _time(m.group(3), "windows"))
    return [out[d] for d in sorted(out)]


async def _episode_form(request: Request) -> dict[str, Any]:
    form = {k: str(v).strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    zone = form.get("timezone") or "UTC"
    try:
        ZoneInfo(zone)
    except Exception:
        raise InputError(f"unknown time zone {zone!r}", field="timezone") from None
    return {
        "area_name": form.get("area_name") or None,
        "start_at": _moment(form.get("start_at", ""), zone, "start_at"),
        "end_at": _moment(form.get("end_at", ""), zone, "end_at"),
        "windows": parse_windows(form),
        "timezone": zone,
        "notes": form.get("notes") or None,
    }


@router.post("/editor/incidents/{incident_id:int}/episodes", dependencies=[Depends(check_csrf)])
async def add_episode(
    request: Request, incident_id: int, user: Actor = Depends(require_editor)
) -> Response:
    try:
        values = await _episode_form(request)
        request.app.state.tracker.add_episode(incident_id, user, **values)
    except InputError as exc:
        return incident_view(request, incident_id, user, error=exc.render(), status_code=400)
    return _back(incident_id, f"Episode added with {len(values['windows'])} daily windows.")


@router.post("/editor/episodes/{episode_id:int}/edit", dependencies=[Depends(check_csrf)])
async def edit_episode(
    request: Request, episode_id: int, user: Actor = Depends(require_editor)
) -> Response:
    tracker = request.app.state.tracker
    incident_id = int((await request.form()).get("incident_id") or 0)  # type: ignore[arg-type]
    try:
        values = await _episode_form(request)
        episode = tracker.update_episode(episode_id, user, **values)
    except InputError as exc:
        return incident_view(request, incident_id, user, error=exc.render(), status_code=400)
    return _back(episode.incident_id, "Episode saved.")


@router.post("/editor/episodes/{episode_id:int}/delete", dependencies=[Depends(check_csrf)])
def delete_episode(
    request: Request, episode_id: int, user: Actor = Depends(require_editor)
) -> Response:
    incident_id = request.app.state.tracker.delete_episode(episode_id, user)
    return _back(incident_id, "Episode deleted.")


# --- evidence -------------------------------------------------------------------------------


@router.post("/editor/incidents/{incident_id:int}/evidence", dependencies=[Depends(check_csrf)])
def attach_link(
    request: Request,
    incident_id: int,
    kind: str = Form(...),
    value: str = Form(...),
    description: str | None = Form(None),
    user: Actor = Depends(require_editor),
) -> Response:
    """A URL or a detected event's id (measurements and documents have their own forms)."""
    tracker = request.app.state.tracker
    try:
        extra: dict[str, Any] = {}
        if kind == "measurement":
            extra["verdict"] = measurement_verdict(request.app.state.settings.store_url, value)
        elif kind == "event":
            extra["verdict"] = event_snapshot(request.app.state.settings.store_url, value)
        elif kind == "document":
            raise InputError("upload the document with the upload form", field="kind")
        tracker.attach_evidence(
            incident_id, kind, value, user, description=description or None, **extra
        )
    except InputError as exc:
        return incident_view(request, incident_id, user, error=exc.render(), status_code=400)
    return _back(incident_id, "Evidence attached.")


@router.post("/editor/incidents/{incident_id:int}/document", dependencies=[Depends(check_csrf)])
async def upload_document(
    request: Request,
    incident_id: int,
    document: UploadFile = File(...),
    description: str | None = Form(None),
    user: Actor = Depends(require_editor),
) -> Response:
    settings = request.app.state.settings
    files = EvidenceFiles(settings.evidence_dir, settings.web.max_upload_bytes)
    name = (document.filename or "document").replace("/", "_").replace("\\", "_")[-200:]

    async def chunks() -> list[bytes]:
        out = []
        while block := await document.read(UPLOAD_CHUNK):
            out.append(block)
            if sum(map(len, out)) > files.max_bytes:
                break  # save() names the limit
        return out

    try:
        stored = files.save(await chunks(), name)
        request.app.state.tracker.attach_evidence(
            incident_id,
            "document",
            name,
            user,
            sha256=stored.sha256,
            description=description or None,
            media_type=stored.media_type,
            size_bytes=stored.size,
        )
    except InputError as exc:
        return incident_view(request, incident_id, user, error=exc.render(), status_code=400)
    return _back(incident_id, f"Document stored ({stored.sha256[:12]}…) and attached.")


def _document(request: Request, sha256: str, *, public: bool) -> Response:
    if not is_sha256(sha256):
        raise HTTPException(404, "unknown document")
    query = select(Evidence.value, Evidence.media_type).where(
        Evidence.kind == "document", Evidence.sha256 == sha256
    )
    if public:
        query = query.join(Incident).where(Incident.status == "published")
    with request.app.state.tracker.session() as s:
        row = s.execute(query.limit(1)).first()
    settings = request.app.state.settings
    path = EvidenceFiles(settings.evidence_dir).path_of(sha256)
    if row is None or not path.is_file():
        raise HTTPException(404, "unknown document")
    return FileResponse(
        path,
        media_type=row.media_type or "application/octet-stream",
        filename=row.value,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.get("/editor/files/{sha256}")
def editor_document(
    request: Request, sha256: str, user: Actor = Depends(require_viewer)
) -> Response:
    return _document(request, sha256, public=False)


@router.get("/files/{sha256}")
def public_document(request: Request, sha256: str) -> Response:
    """A document cited as evidence by a published incident (and only then)."""
    return _document(request, sha256, public=True)


# --- legal basis ----------------------------------------------------------------------------


@router.post("/editor/incidents/{incident_id:int}/legal", dependencies=[Depends(check_csrf)])
async def link_law(
    request: Request, incident_id: int, user: Actor = Depends(require_editor)
) -> Response:
    """Cite a legal instrument (chosen from the list, or recorded here first) as legal basis."""
    form = {k: str(v).strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    tracker = request.app.state.tracker
    try:
        chosen = form.get("instrument_id") or ""
        if chosen == "new" or not chosen:
            if not form.get("name"):
                raise InputError("choose an instrument or give a new one's name", field="name")
            law = tracker.add_legal_instrument(
                {
                    "name": form.get("name"),
                    "kind": form.get("kind") or "law",
                    "jurisdiction": form.get("jurisdiction") or "",
                    "links": form.get("link") or None,
                    # An editor records a draft; an admin publishes policy records.
                    "status": "published" if user.role == "admin" else "draft",
                },
                user,
            )
            chosen = str(law.id)
        tracker.link_legal_basis(
            incident_id,
            int(chosen),
            user,
            articles=form.get("articles") or None,
            note=form.get("note") or None,
        )
    except (InputError, ValueError) as exc:
        message = exc.render() if isinstance(exc, InputError) else "choose an instrument"
        return incident_view(request, incident_id, user, error=message, status_code=400)
    return _back(incident_id, "Legal basis linked.")
