"""One error shape for the whole site: ``{"error": {"status": 404, "message": "..."}}``.

Machine clients (``.json`` and ``.csv`` URLs, ``/openapi.json``, or a request that prefers JSON)
get that JSON body; people browsing HTML pages get the same status and message as a page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from netvigil._errors import (
    InputError,
    NetvigilError,
    PermissionDeniedError,
    StoreError,
    UnknownEntityError,
)

_REASONS = {
    400: "bad request",
    401: "login required",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    422: "invalid parameters",
    413: "request too large",
    429: "too many requests",
    500: "internal error",
    503: "busy, try again later",
}


MAX_INTEGER = 2**63 - 1  # the largest id or offset a database row can have


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "message": message}}


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.endswith((".json", ".csv")) or path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    if wants_json(request):
        return JSONResponse(error_body(status, message), status_code=status, headers=headers)
    if status == 401 and request.method == "GET":
        # A person browsing to the editor area is sent to the login form, and back afterwards.
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    templates: Jinja2Templates | None = getattr(request.app.state, "templates", None)
    if templates is None:  # pragma: no cover - only before the app is fully built
        return JSONResponse(error_body(status, message), status_code=status, headers=headers)
    from netvigil.web._render import page_context

    context = page_context(request, {"status": status, "message": message})
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )


def _describe_validation(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        problems.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg")))
    return "; ".join(problems) or "invalid parameters"


def status_of(exc: NetvigilError) -> int:
    if isinstance(exc, UnknownEntityError):
        return 404
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, StoreError):
        return 503
    return 500


def install(app: FastAPI) -> None:
    """Route every error raised by a view, by FastAPI or by routing through one shape."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) and exc.detail else None
        status = exc.status_code
        return error_response(
            request,
            status,
            message or _REASONS.get(status, "error"),
            headers=dict(exc.headers) if exc.headers else None,
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        # A malformed parameter is the client's bad request; the message names the parameter.
        assert isinstance(exc, RequestValidationError)
        return error_response(request, 400, _describe_validation(exc))

    async def netvigil_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NetvigilError)
        return error_response(request, status_of(exc), exc.render())

    async def overflow(request: Request, exc: Exception) -> Response:
        # An id or offset past 2^63-1 cannot be a stored row (SQLite and PostgreSQL integers
        # stop there): a 404 for a path id, a 422 for a query number, never a 500 (audit L1).
        too_big = any(isinstance(v, int) and v > MAX_INTEGER for v in request.path_params.values())
        if too_big:
            return error_response(request, 404, _REASONS[404])
        return error_response(request, 422, f"a number is larger than {MAX_INTEGER}")

    async def unexpected(request: Request, exc: Exception) -> Response:
        # Never echo internals (paths, SQL) to the public; the server log has the traceback.
        return error_response(request, 500, _REASONS[500])

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(NetvigilError, netvigil_error)
    app.add_exception_handler(OverflowError, overflow)
    app.add_exception_handler(Exception, unexpected)
