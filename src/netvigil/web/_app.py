"""The application factory: ``create_app(settings)`` builds the whole tracker site.

Everything the views share lives on ``app.state`` (settings, tracker, templates, catalogues,
CSRF guard, login throttle): no module globals, so tests build as many apps as they like.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from netvigil import __version__
from netvigil._settings import Settings
from netvigil.incidents import Tracker
from netvigil.models.catalogue import load_catalogue
from netvigil.web import _problems
from netvigil.web._auth import SESSION_LIFETIME_S
from netvigil.web._cache import PublicPageCache
from netvigil.web._charts import SharedReads
from netvigil.web._format import install_formatting
from netvigil.web._i18n import Catalogues
from netvigil.web._limits import BodyLimit, ExportLimiter
from netvigil.web._observatory import StoreReaders
from netvigil.web._render import build_templates
from netvigil.web._security import (
    LOGIN_HASH_SLOTS,
    CsrfGuard,
    LoginThrottle,
    ReadOnlyCors,
    SecurityHeaders,
    load_secret_key,
)
from netvigil.web._tracker import data_version, open_tracker

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "netvigil_session"
# The cookie's lifetime in the browser. Starlette re-signs it on every response, so this alone
# would never end a session in use: the absolute limit (twelve hours after login) and the
# server-side revocation (logout, password, role, disable) are checked by _auth.session_user.
SESSION_MAX_AGE_S = SESSION_LIFETIME_S

API_DESCRIPTION = """\
The public record of internet shutdowns and censorship incidents documented by netvigil, and
what its measurements, signals and detected events show: `/index.json` (what is happening now),
`/countries/IR.json`, `/m/{measurement_uid}.json`, `/events/{id}.json`, OONI's
`/api/v1/aggregation`, charts at `/embed/{kind}.json` with ids checkable at `/verify/{id}`.
The JSON API answers any origin (read-only CORS).

Every public page is also available as JSON by adding `.json` to its path
(`/incidents/42` and `/incidents/42.json`), and any filtered incident list as CSV
(`/incidents.csv?country=IN`). Policy records: `/legal` (laws and treaties with their
history), `/responses` (platform responses, transparency figures), `/statements` (joint
statements and open letters with signatories). Errors always have the shape
`{"error": {"status": 404, "message": "..."}}`. Only published incidents are public.
"""


def create_app(settings: Settings, *, tracker: Tracker | None = None) -> FastAPI:
    """The tracker's web app over ``settings.tracker_url`` (or an already open ``tracker``)."""
    app = FastAPI(
        title="netvigil incident tracker",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,  # served below with local Swagger UI files
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    catalogues = Catalogues.load(settings.web.language)
    secret = load_secret_key(settings.web.secret_key, settings.data_dir)
    app.state.settings = settings
    app.state.catalogues = catalogues
    app.state.templates = build_templates(catalogues)
    app.state.csrf = CsrfGuard(secret)
    app.state.throttle = LoginThrottle()
    app.state.login_slots = threading.BoundedSemaphore(LOGIN_HASH_SLOTS)
    app.state.tracker = (
        tracker
        if tracker is not None
        else open_tracker(
            settings.tracker_url,
            single_person_publication=settings.incidents.single_person_publication,
        )
    )
    app.state.stores = StoreReaders(settings.store_url)
    app.state.catalogue = load_catalogue(settings.catalogue)
    app.state.impact_cache = {}
    app.state.shared_reads = SharedReads()
    install_formatting(app.state.templates.env, catalogues)

    from netvigil.web._builder import router as builder_router
    from netvigil.web._drafts import router as drafts_router
    from netvigil.web._editor import router as editor_router
    from netvigil.web._editor_parts import router as parts_router
    from netvigil.web._evidence import router as evidence_router
    from netvigil.web._feeds import router as feeds_router
    from netvigil.web._notify import router as notify_router
    from netvigil.web._policy import install as install_policy
    from netvigil.web._public import router as public_router
    from netvigil.web._site import router as site_router

    app.include_router(site_router)
    app.include_router(evidence_router)
    app.include_router(builder_router)
    app.include_router(public_router)
    app.include_router(editor_router)
    app.include_router(parts_router)
    app.include_router(notify_router)
    app.include_router(feeds_router)
    app.include_router(drafts_router)
    install_policy(app)
    # The chart library and the map are ~600 KB as files and ~190 KB compressed: served gzipped
    # (a reader's first visit stays under 500 KB), from the site itself, never from a CDN.
    app.mount("/static", GZipMiddleware(StaticFiles(directory=STATIC_DIR)), name="static")
    _mount_docs(app)
    _problems.install(app)

    # Added last = outermost: the headers land on every response, errors included.
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=settings.web.secure_cookies,
    )
    # Inside the cache: a cached export costs nothing and is not counted.
    web = settings.web
    app.add_middleware(ExportLimiter, per_client=web.exports_per_client, slots=web.export_slots)
    if settings.web.response_cache:
        app.add_middleware(PublicPageCache, version=partial_version(app))
    app.add_middleware(BodyLimit, max_upload_bytes=settings.web.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ReadOnlyCors)
    return app


def partial_version(app: FastAPI) -> Callable[[], int]:
    """The version of every public page: the tracker's audit log, the store's change cursor and
    the current minute (pages of "what is happening now" move with the clock)."""
    tracker, stores = app.state.tracker, app.state.stores

    def version() -> int:
        return hash((data_version(tracker), stores.version(), int(time.time() // 60)))

    return version


def _mount_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from files in the ``fastapi-offline`` package, not from a CDN.

    FastAPI's default page fetches Swagger UI from jsdelivr: it fails on an offline network, and
    every reader of an observatory's API docs would tell a third party they are reading them.
    """
    from importlib.resources import files

    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse

    assets = files("fastapi_offline") / "static"
    app.mount("/docs-static", StaticFiles(directory=str(assets)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url="/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/docs-static/swagger-ui.css",
            swagger_favicon_url="/docs-static/favicon.png",
        )
