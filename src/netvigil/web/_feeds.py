"""Atom feeds and disruption notices (public data only; :mod:`netvigil.notify.feeds`,
:mod:`netvigil.notify.notice`).

- ``/feeds/countries/{CC}.atom``, ``/feeds/entities/{entity}.atom`` (``asn:AS4760``,
  ``service:telegram``...), ``/feeds/subscriptions/{feed token}.atom``: detected events from the
  store and published incidents.
- ``/incidents/{id}/notice`` (page), ``.json`` and ``.txt``: the disruption notice of a published
  incident in English and Traditional Chinese. Editors preview a verified one under
  ``/editor/incidents/{id}/notice``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import PlainTextResponse, Response

from netvigil._errors import InputError
from netvigil.incidents import Actor, private_dict
from netvigil.models import countries
from netvigil.notify import Subscriptions, check_entity
from netvigil.notify import feeds as atom
from netvigil.notify.notice import LABELS, as_text, notice
from netvigil.notify.subscriptions import filter_of, known_country
from netvigil.web import _schemas as schemas
from netvigil.web import _tracker as tracker_api
from netvigil.web._auth import require_viewer
from netvigil.web._render import render

router = APIRouter(tags=["feeds"])
ATOM = "application/atom+xml; charset=utf-8"


def _stored_events(request: Request) -> list[Any]:
    from netvigil.store import embedded_path, open_store

    url = request.app.state.settings.store_url
    try:
        if not embedded_path(url).is_dir():
            return []
    except Exception:
        pass
    since = dt.datetime.now(dt.UTC) - atom.WINDOW
    with open_store(url, writable=False) as store:
        return list(store.events(since=since).events)


def _feed(request: Request, *, feed_id: str, title: str, entries: list[atom.Entry]) -> Response:
    base = request.app.state.settings.notify.base_url.rstrip("/")
    body = atom.render(
        feed_id=feed_id,
        title=title,
        self_url=f"{base}{request.url.path}",
        site_url=base,
        entries=entries,
    )
    return Response(body, media_type=ATOM)


def _entries(request: Request, events: list[Any], incidents: list[dict[str, Any]]) -> list[Any]:
    base = request.app.state.settings.notify.base_url
    return atom.event_entries(events, base) + atom.incident_entries(incidents, base)


@router.get("/feeds/countries/{code}.atom", summary="Atom feed of a country")
def country_feed(request: Request, code: str) -> Response:
    """Detected events and published incidents of one country (ISO code)."""
    found = countries.lookup(code) if len(code) == 2 else None
    if found is None and not (len(code) == 2 and code.isalpha() and known_country(code)):
        raise HTTPException(404, f"unknown country {code!r}")
    cc = found.alpha_2 if found is not None else code.upper()
    entity = f"country:{cc}"
    events = atom.events_about(_stored_events(request), {entity})
    incidents = atom.incidents_about(request.app.state.tracker, [entity])
    name = countries.display_name(cc) if found is not None else cc
    return _feed(
        request,
        feed_id=f"{request.app.state.settings.notify.base_url.rstrip('/')}/feeds/{entity}",
        title=f"netvigil: {name}",
        entries=_entries(request, events, incidents),
    )


@router.get("/feeds/entities/{entity}.atom", summary="Atom feed of an entity")
def entity_feed(request: Request, entity: str) -> Response:
    """Detected events about one entity (``country:HK``, ``asn:AS4760``, ``region:...``,
    ``service:telegram``, ``domain:lihkg.com``) and published incidents about it."""
    try:
        name = check_entity(entity)
    except InputError as exc:
        raise HTTPException(404, exc.render()) from None
    events = atom.events_about(_stored_events(request), {name})
    incidents = atom.incidents_about(request.app.state.tracker, [name])
    base = request.app.state.settings.notify.base_url.rstrip("/")
    return _feed(
        request,
        feed_id=f"{base}/feeds/{quote(name)}",
        title=f"netvigil: {name}",
        entries=_entries(request, events, incidents),
    )


@router.get("/feeds/subscriptions/{token}.atom", include_in_schema=False)
def subscription_feed(request: Request, token: str) -> Response:
    sub = (
        Subscriptions(request.app.state.tracker).by_feed_token(token) if len(token) < 100 else None
    )
    if sub is None:
        raise HTTPException(404, "unknown feed")
    events = atom.events_about(_stored_events(request), filter_of(sub))
    incidents = atom.incidents_about(request.app.state.tracker, sub.entities or [])
    base = request.app.state.settings.notify.base_url.rstrip("/")
    return _feed(
        request,
        feed_id=f"{base}/feeds/subscriptions/{sub.id}",
        title=f"netvigil: {sub.name}",
        entries=_entries(request, events, incidents),
    )


# --- disruption notices ---------------------------------------------------------------------------


def _notice(request: Request, record: dict[str, Any], fmt: str, *, editor: bool) -> Response:
    impact, note = tracker_api.impact_of(request.app.state.tracker, record)
    if impact is None:
        impact = {"message": note}
    data = notice(record, impact, base_url=request.app.state.settings.notify.base_url)
    if fmt == "txt":
        return PlainTextResponse(as_text(data))
    data_view = {
        "notice": data,
        "labels": LABELS,
        "editor": editor,
        "json_url": f"{request.url.path}.json",
    }
    if fmt == "json":
        from fastapi.responses import JSONResponse

        return JSONResponse(data)
    return render(request, "notice.html", data_view)


@router.get("/incidents/{incident_id:int}/notice", summary="Disruption notice (page)")
def notice_page(request: Request, incident_id: int) -> Response:
    return _notice(request, tracker_api.get_public(request.app.state.tracker, incident_id), "html",
                   editor=False)  # fmt: skip


@router.get(
    "/incidents/{incident_id:int}/notice.json",
    summary="Disruption notice (JSON)",
    response_model=schemas.Notice,
)
def notice_json(request: Request, incident_id: int) -> Response:
    """What, where, since when, how it was measured, people affected and cost with method, legal
    basis and sources, in English and Traditional Chinese."""
    return _notice(request, tracker_api.get_public(request.app.state.tracker, incident_id), "json",
                   editor=False)  # fmt: skip


@router.get("/incidents/{incident_id:int}/notice.txt", summary="Disruption notice (text)")
def notice_text(request: Request, incident_id: int) -> Response:
    return _notice(request, tracker_api.get_public(request.app.state.tracker, incident_id), "txt",
                   editor=False)  # fmt: skip


@router.get("/editor/incidents/{incident_id:int}/notice", include_in_schema=False)
def notice_preview(
    request: Request, incident_id: int, user: Actor = Depends(require_viewer)
) -> Response:
    """The notice of a verified incident before it is published (editors only). Built from the
    same allow-listed fields as the public one: sources and contacts are not in it."""
    incident = request.app.state.tracker.get_incident(incident_id, public=False)
    if incident.status not in ("verified", "published"):
        raise HTTPException(409, "a notice is made from a verified incident")
    record = private_dict(incident)
    public = {k: record[k] for k in _PUBLIC_KEYS if k in record}
    public["evidence"] = [
        {k: v for k, v in e.items() if k != "added_by"} for e in record["evidence"]
    ]
    return _notice(request, public, "html", editor=True)


# The keys of a public record a notice reads (public_dict's names; no private field).
_PUBLIC_KEYS = (
    "id", "title", "title_zh_hant", "summary", "country_code", "codes", "stop", "legal_basis",
    "published_at", "four_eyes", "services", "episodes", "report_year", "same_as", "link_kind",
)  # fmt: skip
