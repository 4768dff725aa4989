"""What an editor does with a draft incident (one a detected event opened, or any other): merge
it into another draft, or dismiss it with a reason (audited); taking it forward is the status
form. Bad input re-renders the incident page with the message (400), nothing changed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from netvigil._errors import InputError
from netvigil.incidents import Actor
from netvigil.web._auth import check_csrf, require_editor
from netvigil.web._editor_parts import incident_view

router = APIRouter(include_in_schema=False)


@router.post("/editor/incidents/{incident_id:int}/dismiss", dependencies=[Depends(check_csrf)])
def dismiss(
    request: Request,
    incident_id: int,
    reason: str = Form(""),
    user: Actor = Depends(require_editor),
) -> Response:
    try:
        request.app.state.tracker.dismiss(incident_id, reason, user)
    except InputError as exc:
        return incident_view(request, incident_id, user, error=exc.render(), status_code=400)
    return RedirectResponse(f"/editor/incidents/{incident_id}", status_code=303)


@router.post("/editor/incidents/{incident_id:int}/merge", dependencies=[Depends(check_csrf)])
def merge(
    request: Request,
    incident_id: int,
    other: str = Form(""),
    user: Actor = Depends(require_editor),
) -> Response:
    """Merge draft ``other`` into this one."""
    try:
        if not other.strip().lstrip("#").isdigit():
            raise InputError("give the number of the draft to merge into this one", field="other")
        request.app.state.tracker.merge_drafts(incident_id, int(other.strip().lstrip("#")), user)
    except InputError as exc:
        return incident_view(request, incident_id, user, error=exc.render(), status_code=400)
    return RedirectResponse(f"/editor/incidents/{incident_id}", status_code=303)
