"""Session secrets, CSRF tokens, login rate limiting and security headers for the web app.

Sessions are Starlette's signed cookies (itsdangerous); this module adds what Starlette lacks:
a per-session CSRF token, a failed-login limiter and the response headers every page carries.
"""

from __future__ import annotations

import hmac
import os
import secrets
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A CSRF token lives as long as a working session: long enough for a slow editor, bounded so a
# leaked page does not hold a valid token forever.
CSRF_MAX_AGE_S = 8 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# OWASP's authentication cheat sheet: throttle after a handful of failures per account and per
# source. 5 failures in 5 minutes, counted separately per client IP and per user name.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_S = 300.0

# Pages are server-rendered with one local stylesheet: nothing inline, nothing third-party.
# Observable Plot (static/vendor) puts one fixed <style> element in each chart and one in each
# legend; these are their SHA-256 hashes (Plot 0.6.17): any other inline style stays refused.
# The browser tests fail on any CSP violation, so a re-vendored Plot with new styles is caught.
PLOT_STYLES = (
    "'sha256-jSYQUrW7J0b3jPqhZP9C2Xh1PyJKHKXd4s0fpGGKrww=' "
    "'sha256-rCZUQsEQJf1DmnfnMZmlj08XC7qbIZySA6bEtitbQ00='"
)
PAGE_CSP = (
    f"default-src 'self'; img-src 'self' data:; style-src 'self' {PLOT_STYLES}; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# /embed/... pages are the only ones another site may frame: the same policy, any ancestor.
EMBED_CSP = PAGE_CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
EMBED_PREFIX = "/embed/"
# /docs serves Swagger UI's files itself (no CDN) and starts it with an inline script.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def load_secret_key(configured: str | None, data_dir: Path) -> str:
    """The signing key: the configured one, else one generated once into ``data_dir``.

    Generated on first use (owner-only file) so that sessions survive a restart without anyone
    having to invent a key, and so that no two installations share one.
    """
    if configured:
        return configured
    path = data_dir / "web-secret-key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=data_dir)  # mode 0600
    tmp = Path(tmp_name)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    try:
        # link() fails if another process created the key first: then everyone uses theirs.
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink()
    return key


class CsrfGuard:
    """Signed per-session CSRF tokens (synchroniser token pattern).

    The session holds a random seed; forms carry the seed signed with the app's key and a
    timestamp. A token from another session, an old one or a forged one does not verify.
    """

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="netvigil.csrf")

    def token(self, session: MutableMapping[str, Any]) -> str:
        seed = session.get("csrf_seed")
        if not isinstance(seed, str):
            seed = secrets.token_urlsafe(24)
            session["csrf_seed"] = seed
        return self._serializer.dumps(seed)

    def verify(self, session: MutableMapping[str, Any], token: str | None) -> bool:
        seed = session.get("csrf_seed")
        if not token or not isinstance(seed, str):
            return False
        try:
            signed_seed = self._serializer.loads(token, max_age=CSRF_MAX_AGE_S)
        except BadSignature:
            return False
        return isinstance(signed_seed, str) and hmac.compare_digest(signed_seed, seed)


@dataclass
class LoginThrottle:
    """Counts failed logins per key (``ip:...`` and ``user:...``) in a sliding window.

    In memory and per process: enough for one ``netvigil serve``; a multi-process deployment
    would need a shared store, which the tracker does not assume.
    """

    max_failures: int = LOGIN_MAX_FAILURES
    window_s: float = LOGIN_WINDOW_S
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def retry_after(self, keys: list[str]) -> float:
        """Seconds until a login may be tried again for any of ``keys`` (0 when allowed)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    wait = max(wait, self.window_s - (now - times[0]))
        return wait

    def failed(self, keys: list[str]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, keys: list[str]) -> None:
        # Only the account's counter is cleared: a success must not wipe an IP's record of
        # guessing other accounts.
        with self._lock:
            for key in keys:
                if key.startswith("user:"):
                    self._failures.pop(key, None)


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every response.

    Written as raw ASGI rather than ``@app.middleware("http")`` because the latter buffers each
    response through an extra task, which shows in the load benchmark's tail latency.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/docs/oauth2-redirect")
        embed = scope["path"].startswith(EMBED_PREFIX)
        policy = DOCS_CSP if docs else EMBED_CSP if embed else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if not embed:  # X-Frame-Options has no "anyone": embeds rely on the CSP
                    headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def is_data_path(path: str) -> bool:
    """The JSON/CSV API: page twins, exports, OONI's aggregation, the OpenAPI document."""
    return path.endswith((".json", ".csv")) or path.startswith("/api/")


class ReadOnlyCors:
    """Read-only CORS on the JSON API (Starlette's CORSMiddleware: any origin, GET and HEAD,
    no credentials), so a newsroom's page can fetch the data; HTML pages and the editor area get
    no CORS headers."""

    def __init__(self, app: ASGIApp) -> None:
        from starlette.middleware.cors import CORSMiddleware

        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=["*"], allow_methods=["GET", "HEAD"], allow_credentials=False
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_data_path(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
