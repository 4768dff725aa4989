"""A response cache for public pages, invalidated exactly by the tracker's audit log.

Public pages change only when the tracker is written, and every tracker write appends to the
hash-chained audit log in the same transaction (netvigil.incidents.audit). So the log's newest
``seq`` is a version number of all public data: a cached page is served while the version it was
built at is still current, whichever process (web editor, ``netvigil incidents import``...) wrote.
One indexed ``max(seq)`` per request replaces the list/incident queries and rendering.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netvigil.web._i18n import from_accept_language

# Paths never cached: anything with a session, a form or per-user content, and static files
# (Starlette serves those with their own validators); feeds, which list the store's events too,
# and the subscription API and unsubscribe pages (netvigil.notify).
UNCACHED_PREFIXES = (
    "/editor", "/login", "/logout", "/static", "/docs", "/openapi.json",
    "/feeds", "/api/subscriptions", "/unsubscribe",
)  # fmt: skip
MAX_ENTRIES = 4096
MAX_BODY_BYTES = 2 << 20  # whole-list CSV exports can be large; do not hold those in memory
# All entries together (security audit M5): 4,096 entries of up to 2 MiB each could hold 8 GiB,
# and junk query parameters made every request a new entry.
MAX_CACHE_BYTES = 64 << 20


@dataclass(frozen=True)
class CachedResponse:
    version: int
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class PublicPageCache:
    """Pure ASGI middleware: LRU of complete public GET responses keyed by URL and language."""

    def __init__(
        self,
        app: ASGIApp,
        version: Callable[[], int],
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_CACHE_BYTES,
    ):
        self.app = app
        self.version = version
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0  # body bytes held now
        self._entries: OrderedDict[tuple[str, ...], CachedResponse] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _key(self, scope: Scope) -> tuple[str, ...] | None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        path: str = scope["path"]
        if path.startswith(UNCACHED_PREFIXES):
            return None
        headers = Headers(scope=scope)
        lang_cookie = ""
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "lang":
                lang_cookie = value
        # Everything the page may depend on: URL, language inputs, JSON-vs-HTML negotiation;
        # the headers reduced to what the views read of them (the language they choose, and
        # whether an error would be JSON), the query to its sorted parameters (audit M5).
        accept = headers.get("accept", "")
        return (
            scope["method"],
            path,
            "&".join(sorted(scope.get("query_string", b"").decode("latin-1").split("&"))),
            lang_cookie,
            from_accept_language(headers.get("accept-language", "")[:1000]) or "",
            "json" if "application/json" in accept and "text/html" not in accept else "",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        version = await anyio.to_thread.run_sync(self.version)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version == version:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                entry = None
                self.misses += 1
        if entry is not None:
            await send(
                {"type": "http.response.start", "status": entry.status, "headers": entry.headers}
            )
            await send({"type": "http.response.body", "body": entry.body})
            return

        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        cacheable = True

        async def capture(message: Message) -> None:
            nonlocal start, size, cacheable
            if message["type"] == "http.response.start":
                start = message
                names = {name.lower() for name, _ in message.get("headers", [])}
                # Only plain successes that set no cookie are shared between visitors.
                cacheable = message["status"] == 200 and b"set-cookie" not in names
            elif message["type"] == "http.response.body" and cacheable:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                cacheable = size <= MAX_BODY_BYTES
            await send(message)

        await self.app(scope, receive, capture)
        if cacheable and start is not None:
            stored = CachedResponse(
                version, start["status"], list(start.get("headers", [])), b"".join(chunks)
            )
            with self._lock:
                old = self._entries.pop(key, None)
                self.bytes -= len(old.body) if old is not None else 0
                self._entries[key] = stored
                self.bytes += len(stored.body)
                while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                    _, evicted = self._entries.popitem(last=False)
                    self.bytes -= len(evicted.body)
