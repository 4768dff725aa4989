"""The hot path, ``POST /report/{report_id}``, in plain ASGI in front of the Starlette app.

At thousands of submissions a second, Starlette's request and response objects and its
middleware stack cost more CPU than checking and journaling the measurement (measured with
bench/collector_throughput.py), so this one call skips them; every other call goes to the app.
The order of the checks: rate limit, report id, size, encoding, body, journal (fsync), 200.
"""

from __future__ import annotations

import logging
from typing import Protocol

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from netvigil._settings import Settings
from netvigil.collector.journal import Journal, JournalError
from netvigil.collector.ratelimit import ClientLimits
from netvigil.collector.reports import ReportKeys
from netvigil.collector.submission import Rejected, decode_body, parse_submission


class Collector(Protocol):
    """What a submission needs of the collector (``service.Collector``)."""

    settings: Settings
    keys: ReportKeys
    limits: ClientLimits
    journal: Journal | None


log = logging.getLogger("netvigil.collector")


class Limited(Exception):
    """A client over one of its rate limits."""

    def __init__(self, retry_after: int, setting: str, limit: str) -> None:
        super().__init__(f"rate limit {limit}")
        self.retry_after, self.setting, self.limit = retry_after, setting, limit


def error_body(status: int, field: str, message: str) -> bytes:
    return orjson.dumps({"error": {"status": status, "field": field, "message": message}})


def limited_body(exc: Limited) -> bytes:
    message = f"rate limit exceeded ({exc.limit} per client); retry after {exc.retry_after} s"
    return error_body(429, f"collector.{exc.setting}", message)


class Submissions:
    """``POST /report/{report_id}`` (see the module doc); the rest goes to ``app``."""

    def __init__(self, app: ASGIApp, collector: Collector) -> None:
        self.app = app
        self.collector = collector
        # Bytes of request bodies held at once, by all requests: many clients sending 16 MiB
        # bodies together must not exhaust memory (a busy collector answers 503; OONI's probes
        # retry that like a network error).
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not path.startswith("/report/")
            or "/" in path[8:]
        ):
            await self.app(scope, receive, send)
            return
        extra: list[tuple[bytes, bytes]] = []
        try:
            uid = await self._submit(scope, receive, path[8:])
            status, body = 200, orjson.dumps({"measurement_uid": uid})
        except Rejected as exc:
            status, body = exc.status, error_body(exc.status, exc.field, exc.message)
        except Limited as exc:
            status, body = 429, limited_body(exc)
            extra = [(b"retry-after", str(exc.retry_after).encode())]
        except _Disconnected:
            return
        headers = [
            (b"content-type", b"application/json"),
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _submit(self, scope: Scope, receive: Receive, report_id: str) -> str:
        collector = self.collector
        client = scope.get("client")
        verdict = collector.limits.hit("submit", client[0] if client else "")
        if not verdict.allowed:
            raise Limited(verdict.retry_after, "rate_limit_submit", verdict.limit)
        report = collector.keys.check(report_id)
        if report is None:
            raise Rejected(404, "report_id", "unknown report id (not issued by this collector)")
        cap = collector.settings.collector.max_body_bytes
        encoding = None
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > cap:
                raise Rejected(413, "body", f"body larger than {cap} bytes")
            if name == b"content-encoding":
                encoding = value.decode("latin-1")
        budget = collector.settings.collector.max_inflight_bytes
        chunks: list[bytes] = []
        size, more = 0, True
        try:
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _Disconnected
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > cap:
                    raise Rejected(413, "body", f"body larger than {cap} bytes")
                if self.inflight + len(chunk) > budget:
                    raise Rejected(503, "body", "the collector is busy; retry later")
                self.inflight += len(chunk)
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
        finally:
            self.inflight -= sum(map(len, chunks))
        accepted = parse_submission(decode_body(body, encoding, cap), report)
        if collector.journal is None:
            raise Rejected(503, "journal", "the collector is starting or stopping; retry")
        try:
            await collector.journal.append(accepted.content)
        except JournalError as exc:
            log.error("%s", exc)
            raise Rejected(503, "journal", "cannot store measurements now; retry later") from exc
        return accepted.uid


class _Disconnected(Exception):
    """The client went away before sending its whole body."""
