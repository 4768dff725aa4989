"""The tracker's web site and JSON API: ``create_app(settings)`` -> a FastAPI app.

Public pages (incidents, countries, legal instruments) with ``.json`` twins and CSV export, an
editor area behind a login, OpenAPI docs at ``/docs``. Served by ``netvigil serve``.
"""

from __future__ import annotations

from netvigil.web._app import create_app
from netvigil.web._handoff import app_from_parent

__all__ = ["app_from_parent", "create_app"]
