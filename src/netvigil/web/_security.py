"""Session secrets, CSRF tokens, login rate limiting and security headers for the web app.

Sessions are Starlette's signed cookies (itsdangerous); this module adds what Starlette lacks:
a per-session CSRF token, a failed-login limiter and the response headers every page carries.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netvigil._files import private_dir

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
    private_dir(data_dir)
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


# At most this many keys are remembered (oldest first out): each is a short string and a few
# floats, so the throttle stays within a few megabytes whatever a client sends (audit M4).
LOGIN_MAX_KEYS = 50_000
# argon2id hashes computed at once by one process: each takes argon2-cffi's 64 MiB for about a
# tenth of a second, so a burst of anonymous logins cannot take the server's memory (audit M3).
# A login waiting longer than LOGIN_WAIT_S for its turn is answered 503.
LOGIN_HASH_SLOTS = 2
LOGIN_WAIT_S = 10.0


@dataclass
class LoginThrottle:
    """Counts failed logins per key (``ip:...`` and ``user:...``) in a sliding window.

    In memory and per process: enough for one ``netvigil serve``; a multi-process deployment
    would need a shared store, which the tracker does not assume.

    Why :meth:`reserve`: checking the limit before hashing and counting a failure after it let
    ten concurrent guesses from one address all be hashed (audit M3). An attempt is counted
    when it starts, under the lock, and only given back when it succeeds. Why the bounds:
    every lookup used to create a key, so 500 KB user names each took memory for good (M4);
    lookups now create nothing, expired keys are pruned, and at most ``max_keys`` are kept.
    """

    max_failures: int = LOGIN_MAX_FAILURES
    window_s: float = LOGIN_WINDOW_S
    clock: Callable[[], float] = time.monotonic
    max_keys: int = LOGIN_MAX_KEYS
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pruned_at: float = float("-inf")

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def _wait(self, keys: list[str], now: float) -> float:
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if times is not None and len(times) >= self.max_failures:
                wait = max(wait, self.window_s - (now - times[0]))
        return wait

    def _count(self, keys: list[str], now: float) -> None:
        if now - self._pruned_at >= 1.0:  # at most once a second: a full pass is O(keys)
            self._pruned_at = now
            for key in list(self._failures):
                self._recent(key, now)
        for key in keys:
            times = self._failures.setdefault(key, deque(maxlen=self.max_failures))
            times.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def __len__(self) -> int:
        return len(self._failures)

    def retry_after(self, keys: list[str]) -> float:
        """Seconds until a login may be tried again for any of ``keys`` (0 when allowed)."""
        with self._lock:
            return self._wait(keys, self.clock())

    def reserve(self, keys: list[str]) -> float:
        """Atomically: the wait if any key is at its limit, else 0 after counting this attempt
        as a failure for every key (see :meth:`succeeded`)."""
        now = self.clock()
        with self._lock:
            wait = self._wait(keys, now)
            if wait == 0:
                self._count(keys, now)
            return wait

    def failed(self, keys: list[str]) -> None:
        with self._lock:
            self._count(keys, self.clock())

    def succeeded(self, keys: list[str], *, reserved: bool = False) -> None:
        """A login succeeded: the account's counter is cleared; a ``reserved`` attempt is also
        taken back from the other keys. A success must not wipe an address's record of
        guessing other accounts."""
        with self._lock:
            for key in keys:
                if key.startswith("user:"):
                    self._failures.pop(key, None)
                elif reserved and (times := self._failures.get(key)):
                    times.pop()


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

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if not embed:  # X-Frame-Options has no "anyone": embeds rely on the CSP
                    headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # An unexpected error used to reach Starlette's outermost error middleware, whose
            # 500 carried none of these headers (audit L1). Answered here instead, in the site's
            # one error shape; the traceback goes to the server log, never to the client.
            if started:
                raise
            logging.getLogger("netvigil.web").exception("internal error on %s", scope["path"])
            from starlette.requests import Request

            from netvigil.web._problems import error_response

            response = error_response(Request(scope, receive), 500, "internal error")
            await response(scope, receive, send_with_headers)


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
