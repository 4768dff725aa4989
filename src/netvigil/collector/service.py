"""The collector's HTTP API: OONI's probe-services calls, on Starlette (see docs/collector.md).

``create_app(settings)`` builds it; its lifespan opens the intake journal and starts the drainer
process, which moves the journal into the store. Errors have one shape,
``{"error": {"status": 400, "field": "content.probe_cc", "message": "..."}}``.

Privacy: the client's address is read only to count its requests (ClientLimits keeps a keyed
hash, in memory), never written to the journal, the store or a log (uvicorn's access log is off,
``proxy_headers`` too); a ``probe_ip`` inside a measurement is replaced before it is journaled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from netvigil import __version__
from netvigil._settings import Settings
from netvigil.collector.checkin import CHECK_IN_TESTS, TestLists, helpers_conf, url_limit
from netvigil.collector.drain import DrainerProcess, start_drainer
from netvigil.collector.intake import Limited, Submissions, error_body, limited_body
from netvigil.collector.journal import Journal
from netvigil.collector.ratelimit import ClientLimits
from netvigil.collector.reports import (
    PROBE_ASN,
    PROBE_CC,
    SOFTWARE,
    TEST_NAME,
    ReportKeys,
    load_report_key,
)
from netvigil.collector.submission import Rejected, decode_body

log = logging.getLogger("netvigil.collector")
SUPPORTED_FORMATS = ["json"]


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    base = {"Cache-Control": "no-store"}
    return Response(
        orjson.dumps(value), status, {**base, **(headers or {})}, media_type="application/json"
    )


def error_response(status: int, field: str, message: str, retry_after: int = 0) -> Response:
    headers = {"Cache-Control": "no-store"}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    body = error_body(status, field, message)
    return Response(body, status, headers, media_type="application/json")


@dataclass
class Collector:
    """What the views share (on ``app.state.collector``)."""

    settings: Settings
    keys: ReportKeys
    limits: ClientLimits
    test_lists: TestLists
    journal: Journal | None = None

    @classmethod
    def build(cls, settings: Settings) -> Collector:
        conf = settings.collector
        return cls(
            settings=settings,
            keys=ReportKeys(load_report_key(settings.report_key_path), conf.name),
            limits=ClientLimits(
                {"submit": conf.rate_limit_submit, "check-in": conf.rate_limit_check_in}
            ),
            test_lists=TestLists.load(settings.test_lists_dir),
        )


def _collector(request: Request) -> Collector:
    found: Collector = request.app.state.collector
    return found


def _throttle(request: Request, group: str) -> None:
    collector = _collector(request)
    address = request.client.host if request.client else ""
    verdict = collector.limits.hit(group, address)
    if not verdict.allowed:
        setting = "rate_limit_submit" if group == "submit" else "rate_limit_check_in"
        raise Limited(verdict.retry_after, setting, verdict.limit)


async def _body(request: Request, cap: int) -> bytes:  # the calls other than submissions
    """The request body, refused (413) as soon as it passes ``cap`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise Rejected(413, "body", f"body larger than {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise Rejected(413, "body", f"body larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_object(request: Request, cap: int = 1 << 20) -> dict[str, Any]:
    body = decode_body(await _body(request, cap), request.headers.get("content-encoding"), cap)
    try:
        value = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise Rejected(400, "body", f"invalid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise Rejected(400, "body", f"expected a JSON object, got {type(value).__name__}")
    return value


def _text(
    value: dict[str, Any], name: str, pattern: Any, expected: str, default: str | None = None
) -> str:
    found = value.get(name, default)
    if not isinstance(found, str) or not pattern.fullmatch(found):
        got = "missing" if found is None else repr(found)[:80]
        raise Rejected(400, name, f"expected {expected}, got {got}")
    return found


async def open_report(request: Request) -> Response:
    """``POST /report``: a new report id for a test, country and network."""
    _throttle(request, "submit")
    value = await _json_object(request)
    cc = _text(value, "probe_cc", PROBE_CC, "^[A-Z]{2}$ (ZZ when unknown)")
    asn = _text(value, "probe_asn", PROBE_ASN, "^AS[0-9]+$ (AS0 when unknown)")
    test = _text(value, "test_name", TEST_NAME, "an OONI test name such as web_connectivity")
    for name in ("software_name", "software_version", "test_version"):
        _text(value, name, SOFTWARE, "^[0-9A-Za-z_.+-]+$")
    if value.get("format", "json") != "json":
        raise Rejected(400, "format", "only the 'json' format is supported")
    report_id = _collector(request).keys.issue(test, cc, asn, datetime.now(UTC))
    return _json(
        {
            "backend_version": __version__,
            "report_id": report_id,
            "supported_formats": SUPPORTED_FORMATS,
        }
    )


async def close_report(request: Request) -> Response:
    """``POST /report/{report_id}/close``: nothing to do (reports need no closing here)."""
    _throttle(request, "submit")
    if _collector(request).keys.check(request.path_params["report_id"]) is None:
        raise Rejected(404, "report_id", "unknown report id (not issued by this collector)")
    return _json({"status": "success"})


async def check_in(request: Request) -> Response:
    """``POST /api/v1/check-in``: URLs to measure, test helpers and report ids."""
    _throttle(request, "check-in")
    collector = _collector(request)
    value = await _json_object(request)
    cc = _text(value, "probe_cc", PROBE_CC, "^[A-Z]{2}$ (ZZ when unknown)", "ZZ")
    asn = _text(value, "probe_asn", PROBE_ASN, "^AS[0-9]+$ (AS0 when unknown)", "AS0")
    run_type = value.get("run_type", "timed")
    if run_type not in ("timed", "manual"):
        raise Rejected(400, "run_type", f"expected 'timed' or 'manual', got {run_type!r}"[:120])
    charging = value.get("charging", True)
    if not isinstance(charging, bool):
        raise Rejected(400, "charging", "expected true or false")
    wanted = (value.get("web_connectivity") or {}).get("category_codes", [])
    if isinstance(wanted, str):
        wanted = [c for c in wanted.split(",") if c]
    if not isinstance(wanted, list) or not all(
        isinstance(c, str) and c.isalnum() and len(c) <= 16 for c in wanted
    ):
        raise Rejected(
            400, "web_connectivity.category_codes", "expected category codes such as NEWS"
        )
    chosen = collector.test_lists.choose(
        cc, {c.upper() for c in wanted}, url_limit(run_type, charging), random.SystemRandom()
    )
    now = datetime.now(UTC)
    tests: dict[str, Any] = {
        name: {"report_id": collector.keys.issue(name, cc, asn, now)} for name in CHECK_IN_TESTS
    }
    tests["web_connectivity"]["urls"] = [
        {"category_code": u.category_code, "country_code": u.country_code, "url": u.url}
        for u in chosen
    ]
    helpers = helpers_conf(collector.settings.collector.web_connectivity_helpers)
    return _json(
        {
            "v": 1,
            "probe_cc": cc,
            "probe_asn": asn,
            "probe_network_name": None,  # no lookup: the collector never looks at addresses
            "utc_time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "conf": {"features": {}, "test_helpers": helpers},
            "tests": tests,
        }
    )


async def test_helpers(request: Request) -> Response:
    """``GET /api/v1/test-helpers``."""
    _throttle(request, "check-in")
    return _json(helpers_conf(_collector(request).settings.collector.web_connectivity_helpers))


async def _rejected(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Rejected)
    return error_response(exc.status, exc.field, exc.message)


async def _limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Limited)
    headers = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
    return Response(limited_body(exc), 429, headers, media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    field = "method" if exc.status_code == 405 else "path"
    return error_response(exc.status_code, field, str(exc.detail))


async def _watch(drainer: DrainerProcess) -> None:
    """Start the drainer again if it dies (the journal keeps everything meanwhile)."""
    while True:
        await asyncio.sleep(2)
        if not drainer.alive():
            log.error("the drainer exited (code %s); starting it again", drainer.process.exitcode)
            drainer.start()


SETTINGS_ENV = "NETVIGIL_COLLECTOR_SETTINGS"
WORKER_APP = "netvigil.collector:app_from_parent"  # what `--workers N` processes import


def worker_environment(settings: Settings) -> dict[str, str]:
    """Settled before the workers start: the report key (one for all of them)."""
    load_report_key(settings.report_key_path)
    return {SETTINGS_ENV: settings.model_dump_json()}


def app_from_parent() -> ASGIApp:
    """One worker of ``netvigil collector --workers N``: its parent runs the drainer."""
    import os

    from netvigil._errors import ConfigError

    raw = os.environ.get(SETTINGS_ENV)
    if raw is None:
        raise ConfigError(f"{SETTINGS_ENV} is unset: start workers through `netvigil collector`")
    return create_app(Settings.model_validate_json(raw), drain=False)


def create_app(
    settings: Settings, *, drain: bool = True, fallback: ASGIApp | None = None
) -> ASGIApp:
    """The collector; ``drain``: run the drainer process beside it (a collector sharing its
    journal directory with another may leave it to that one); ``fallback``: an app answering
    every other path (``netvigil serve --collector`` passes the web site)."""
    collector = Collector.build(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        collector.journal = Journal(settings.journal_dir, settings.collector.segment_bytes)
        drainer = start_drainer(settings) if drain else None
        watch = asyncio.create_task(_watch(drainer)) if drainer else None
        try:
            yield
        finally:
            if watch is not None:
                watch.cancel()
            journal, collector.journal = collector.journal, None
            journal.close()
            if drainer is not None:
                drainer.stop()

    routes: list[BaseRoute] = [
        Route("/report", open_report, methods=["POST"]),
        Route("/report/{report_id}/close", close_report, methods=["POST"]),
        Route("/api/v1/check-in", check_in, methods=["POST"]),
        Route("/api/v1/test-helpers", test_helpers, methods=["GET"]),
    ]
    if fallback is not None:
        routes.append(Mount("/", app=fallback))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            Rejected: _rejected,
            Limited: _limited,
            HTTPException: _http_error,
        },
    )
    app.state.collector = collector
    return Submissions(app, collector)
