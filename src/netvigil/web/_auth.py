"""Who is asking: the session's user, role checks, CSRF checks and the login throttle.

Roles are the tracker's (viewer < editor < admin). The web layer refuses early and clearly; the
tracker repository enforces the same rules again, so a bug here cannot publish a draft.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from netvigil.incidents import Actor
from netvigil.web._security import CSRF_FIELD, CSRF_HEADER


def client_ip(request: Request) -> str:
    # The peer address as uvicorn saw it; behind a proxy, run uvicorn with --proxy-headers so
    # this is the real client and not the proxy (otherwise everyone shares one throttle bucket).
    return request.client.host if request.client else "unknown"


def session_user(request: Request) -> Actor | None:
    """The logged-in user, re-read from the tracker so role changes apply at once."""
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user: Actor | None = request.app.state.tracker.get_user(user_id)
    if user is None:  # deleted or deactivated since login
        request.session.clear()
        return None
    request.state.user = user
    return user


def require_user(request: Request) -> Actor:
    user = session_user(request)
    if user is None:
        raise HTTPException(401, "login required")
    return user


def require_role(request: Request, role: str) -> Actor:
    user = require_user(request)
    if not user.can(role):
        raise HTTPException(403, f"this needs the {role} role; you are {user.role}")
    return user


def require_editor(request: Request) -> Actor:
    return require_role(request, "editor")


def require_viewer(request: Request) -> Actor:
    return require_role(request, "viewer")


def require_admin(request: Request) -> Actor:
    return require_role(request, "admin")


async def check_csrf(request: Request) -> None:
    """Dependency of every state-changing form: refuse a POST without this session's token."""
    token: Any = request.headers.get(CSRF_HEADER)
    if not token:
        form = await request.form()
        token = form.get(CSRF_FIELD)
    if not isinstance(token, str) or not request.app.state.csrf.verify(request.session, token):
        raise HTTPException(403, "missing or invalid CSRF token; reload the form and try again")


def safe_next(target: str | None) -> str:
    """A post-login redirect target that stays on this site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/editor"
    return target
