"""Who is asking: the session's user, role checks, CSRF checks and the login throttle.

Roles are the tracker's (viewer < editor < admin). The web layer refuses early and clearly; the
tracker repository enforces the same rules again, so a bug here cannot publish a draft.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import HTTPException, Request

from netvigil.incidents import Actor
from netvigil.web._security import CSRF_FIELD, CSRF_HEADER


def client_ip(request: Request) -> str:
    # The peer address as uvicorn saw it; behind a proxy, run uvicorn with --proxy-headers so
    # this is the real client and not the proxy (otherwise everyone shares one throttle bucket).
    return request.client.host if request.client else "unknown"


# A session ends this long after its login, however busy it was (security audit M6: the signed
# cookie was re-signed on every response, so a stolen one lived for as long as it was used).
SESSION_LIFETIME_S = 12 * 3600


def start_session(request: Request, actor: Actor) -> None:
    """A fresh session for ``actor`` (no session fixation): its user, the account's session
    version (the server-side revocation point) and the time of login."""
    version = request.app.state.tracker.session_version(actor.user_id)
    request.session.clear()
    request.session.update(user_id=actor.user_id, sv=version, login_at=int(time.time()))


def end_session(request: Request) -> None:
    """Logout: this cookie, and every other cookie of the same user, stop working."""
    user_id = request.session.get("user_id")
    if isinstance(user_id, int):
        request.app.state.tracker.end_sessions(user_id)
    request.session.clear()


def session_user(request: Request) -> Actor | None:
    """The logged-in user, re-read from the tracker so role changes apply at once; None when
    the session is older than SESSION_LIFETIME_S or was revoked since (its version is old)."""
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    session = request.session
    user_id, login_at = session.get("user_id"), session.get("login_at")
    if not isinstance(user_id, int):
        return None
    fresh = isinstance(login_at, int) and 0 <= time.time() - login_at < SESSION_LIFETIME_S
    user: Actor | None = (
        request.app.state.tracker.session_actor(user_id, session.get("sv")) if fresh else None
    )
    if user is None:  # expired, logged out, disabled, or changed since login
        session.clear()
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
