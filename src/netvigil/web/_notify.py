"""Subscriptions, in the editor area and through the API, and the unsubscribe links.

- Editor area (any logged-in user, CSRF-checked forms): ``/editor/subscriptions`` lists the user's
  subscriptions with a form for a new one, ends one, and makes API tokens (shown once).
- API (``Authorization: Bearer <token>``): ``GET/POST /api/subscriptions``,
  ``GET/DELETE /api/subscriptions/{id}``; a token sees only its own subscriptions. Errors have
  the site's one shape, naming the field (``{"error": {"status": 400, "message": "..."}}``).
- ``/unsubscribe/{token}``: GET shows what would end and a button; POST ends it (the button, or a
  mail client's RFC 8058 one-click POST of ``List-Unsubscribe=One-Click``). The token is the
  secret: a GET never unsubscribes, so a link scanner cannot end anyone's subscription.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from netvigil._errors import InputError
from netvigil.incidents import Actor
from netvigil.incidents.notify_tables import CHANNELS, EVENT_KINDS
from netvigil.notify import Owner, Subscriptions, check_request, public_view
from netvigil.notify.destinations import allow_networks
from netvigil.web import _schemas as schemas
from netvigil.web._auth import check_csrf, require_viewer
from netvigil.web._render import render

router = APIRouter(tags=["subscriptions"])


def _subscriptions(request: Request) -> Subscriptions:
    return Subscriptions(request.app.state.tracker)


def _checked(request: Request, data: dict[str, Any]) -> Any:
    notify = request.app.state.settings.notify
    return check_request(
        data, allow=allow_networks(notify.webhook_allow), email_enabled=bool(notify.smtp.host)
    )


def _base(request: Request) -> str:
    return str(request.app.state.settings.notify.base_url)


# --- editor area ----------------------------------------------------------------------------------


def _page(
    request: Request,
    user: Actor,
    *,
    error: str | None = None,
    notice: str | None = None,
    token: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    rows = _subscriptions(request).list(Owner(user_id=user.user_id, name=user.name))
    data = {
        "subscriptions": [public_view(r, base_url=_base(request)) for r in rows],
        "channels": CHANNELS,
        "kinds": EVENT_KINDS,
        "values": values or {"kinds": list(EVENT_KINDS), "channel": "atom", "min_score": "0"},
        "error": error,
        "notice": notice,
        "new_token": token,
    }
    return render(request, "editor_subscriptions.html", data, status_code=status_code)


@router.get("/editor/subscriptions", include_in_schema=False)
def subscriptions_page(request: Request, user: Actor = Depends(require_viewer)) -> Response:
    return _page(request, user)


@router.post("/editor/subscriptions", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def subscribe(request: Request, user: Actor = Depends(require_viewer)) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        k: str(form.get(k) or "").strip()
        for k in ("name", "entities", "min_score", "channel", "url", "secret", "email", "language")
    }
    values["kinds"] = [str(k) for k in form.getlist("kinds")]
    if user.user_id is None:
        raise HTTPException(403, "only registered users can subscribe here")
    try:
        checked = _checked(request, values)
        _subscriptions(request).create(checked, Owner(user_id=user.user_id, name=user.name))
    except InputError as exc:
        return _page(request, user, error=exc.render(), values=values, status_code=400)
    return RedirectResponse("/editor/subscriptions", status_code=303)


@router.post(
    "/editor/subscriptions/{subscription_id:int}/delete",
    dependencies=[Depends(check_csrf)],
    include_in_schema=False,
)
def end_subscription(
    request: Request, subscription_id: int, user: Actor = Depends(require_viewer)
) -> Response:
    owner = Owner(user_id=user.user_id, name=user.name)
    _subscriptions(request).unsubscribe(subscription_id, by=user.name, owner=owner)
    return RedirectResponse("/editor/subscriptions", status_code=303)


@router.post("/editor/tokens", dependencies=[Depends(check_csrf)], include_in_schema=False)
async def new_token(request: Request, user: Actor = Depends(require_viewer)) -> Response:
    label = str((await request.form()).get("label") or "")
    try:
        _, secret = _subscriptions(request).create_token(label, user)
    except InputError as exc:
        return _page(request, user, error=exc.render(), status_code=400)
    return _page(request, user, token=secret, notice="Copy the token now: it is shown once.")


# --- API ------------------------------------------------------------------------------------------


def token_owner(request: Request) -> Owner:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    owner = (
        _subscriptions(request).token_owner(token.strip()) if scheme.lower() == "bearer" else None
    )
    if owner is None:
        raise HTTPException(
            401, "an API token is required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    return owner


@router.get(
    "/api/subscriptions", summary="Your subscriptions", response_model=schemas.SubscriptionList
)
def api_list(request: Request, owner: Owner = Depends(token_owner)) -> Response:
    rows = _subscriptions(request).list(owner)
    return JSONResponse({"subscriptions": [public_view(r, base_url=_base(request)) for r in rows]})


@router.post(
    "/api/subscriptions",
    summary="Subscribe",
    status_code=201,
    response_model=schemas.Subscription,
)
def api_subscribe(
    request: Request,
    body: dict[str, Any] = Body(
        ...,
        examples=[
            {
                "entities": ["country:HK", "service:telegram"],
                "kinds": ["outage", "blocking_began", "blocking_ended", "platform_outage"],
                "min_score": 0,
                "channel": "webhook",
                "url": "https://alerts.newsroom.example/netvigil",
                "secret": "a-long-shared-secret-for-hmac",
            }
        ],
    ),
    owner: Owner = Depends(token_owner),
) -> Response:
    """Subscribe to alerts: entities (country:HK, asn:AS4760, region:..., service:telegram,
    domain:lihkg.com), kinds, a minimum score, and a channel: ``webhook`` (``url``, optional
    ``secret`` for the X-Netvigil-Signature-256 HMAC), ``email`` (``email``) or ``atom`` (its own
    feed). The answer has the subscription's feed and unsubscribe links."""
    try:
        checked = _checked(request, body)
    except InputError as exc:  # an unknown entity too: the request is bad (400), not a 404
        raise HTTPException(400, exc.render()) from None
    row = _subscriptions(request).create(checked, owner)
    return JSONResponse(public_view(row, base_url=_base(request)), status_code=201)


@router.get(
    "/api/subscriptions/{subscription_id:int}",
    summary="One of your subscriptions",
    response_model=schemas.Subscription,
)
def api_get(
    request: Request, subscription_id: int, owner: Owner = Depends(token_owner)
) -> Response:
    row = _subscriptions(request).get(subscription_id, owner)
    return JSONResponse(public_view(row, base_url=_base(request)))


@router.delete("/api/subscriptions/{subscription_id:int}", summary="Unsubscribe")
def api_delete(
    request: Request, subscription_id: int, owner: Owner = Depends(token_owner)
) -> Response:
    _subscriptions(request).unsubscribe(subscription_id, by=owner.name, owner=owner)
    return Response(status_code=204)


# --- unsubscribe links ----------------------------------------------------------------------------


def _by_token(request: Request, token: str) -> Any:
    row = _subscriptions(request).by_unsubscribe_token(token) if len(token) < 100 else None
    if row is None:
        raise HTTPException(404, "unknown or expired unsubscribe link")
    return row


@router.get("/unsubscribe/{token}", include_in_schema=False)
def unsubscribe_page(request: Request, token: str) -> Response:
    row = _by_token(request, token)
    data = {"name": row.name, "active": row.active, "token": token, "done": False}
    return render(request, "unsubscribe.html", data)


@router.post("/unsubscribe/{token}", include_in_schema=False)
def unsubscribe(request: Request, token: str) -> Response:
    """One click (RFC 8058): the POST itself ends the subscription; no session, no CSRF token
    (the unguessable token in the URL is the authority, as the RFC intends)."""
    row = _by_token(request, token)
    _subscriptions(request).unsubscribe(row.id, by=f"unsubscribe-link:{row.id}")
    data = {"name": row.name, "active": False, "token": token, "done": True}
    return render(request, "unsubscribe.html", data)
