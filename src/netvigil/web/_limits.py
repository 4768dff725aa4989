"""Limits an anonymous client cannot push past: request bodies and CSV exports (audit L4, M5).

- :class:`BodyLimit`: a request body larger than its route allows is refused with 413 while it
  is being read (by its ``Content-Length`` at once, or as it arrives when chunked), before any
  form parser holds it. Starlette parses up to 1,000 multipart parts of 1 MiB each: an anonymous
  ``POST /login`` of 146 MiB was parsed (+150 MiB of memory, 10 s of CPU) before its CSRF token
  was checked. Forms get ``FORM_MAX_BYTES``; an evidence upload its configured size.
- :class:`ExportLimiter`: a CSV export renders every matching published incident (about a
  second of CPU for the whole tracker): 8 concurrent exports kept the server busy and slowed
  every other page tenfold. A client address may run ``web.exports_per_client`` exports at once
  (429 for one more, so a crawler fetching one after another is never refused), and at most
  ``web.export_slots`` run at once for everyone (the others wait their turn, or get 503 after
  ``EXPORT_WAIT_S``). Cached exports (netvigil.web._cache) are served without either.

Both are pure ASGI middleware (no per-request task), in front of the views and the cache.
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORM_MAX_BYTES = 1 << 20  # the longest legitimate form (a policy record) is a few KB
UPLOAD_SUFFIXES = ("/document",)  # routes that take an evidence file
UPLOAD_OVERHEAD = 64 << 10  # multipart headers and the form's other fields
EXPORT_WAIT_S = 20.0


class _TooLarge(Exception):
    pass


async def _reply(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = orjson.dumps({"error": {"status": status, "message": message}})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over the route's limit with 413 (see the module docstring)."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    def limit(self, path: str) -> int:
        if path.endswith(UPLOAD_SUFFIXES):
            return self.max_upload_bytes + UPLOAD_OVERHEAD
        return FORM_MAX_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        too_large = f"request body larger than {limit} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _reply(send, 413, too_large, [(b"connection", b"close")])
                return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _reply(send, 413, too_large, [(b"connection", b"close")])


class ExportLimiter:
    """Per-address and global concurrency of CSV exports (see the module docstring)."""

    def __init__(self, app: ASGIApp, per_client: int = 1, slots: int = 2) -> None:
        self.app = app
        self.per_client = per_client
        self.slots = slots
        self._running: dict[str, int] = {}  # only addresses with an export running: bounded
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith(".csv"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if self._running.get(client, 0) >= self.per_client:
            message = "an export of yours is still running; try again when it is done"
            await _reply(send, 429, message, [(b"retry-after", b"5")])
            return
        if self._semaphore is None:  # created on the server's event loop
            self._semaphore = asyncio.Semaphore(self.slots)
        self._running[client] = self._running.get(client, 0) + 1
        try:
            try:
                await asyncio.wait_for(self._semaphore.acquire(), EXPORT_WAIT_S)
            except TimeoutError:
                await _reply(send, 503, "busy with other exports", [(b"retry-after", b"10")])
                return
            try:
                await self.app(scope, receive, send)
            finally:
                self._semaphore.release()
        finally:
            left = self._running[client] - 1
            if left:
                self._running[client] = left
            else:
                del self._running[client]
