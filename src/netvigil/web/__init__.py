"""The tracker's web site and JSON API: ``create_app(settings)`` -> a FastAPI app.

Public pages (incidents, countries, legal instruments) with ``.json`` twins and CSV export, an
editor area behind a login, OpenAPI docs at ``/docs``. Served by ``netvigil serve``; with several
worker processes, ``worker_environment(settings)`` settles what they share and ``WORKER_APP`` is
the factory each of them imports.
"""

from __future__ import annotations

from netvigil.web._app import create_app
from netvigil.web._handoff import WORKER_APP, app_from_parent, worker_environment

__all__ = ["WORKER_APP", "app_from_parent", "create_app", "worker_environment"]
