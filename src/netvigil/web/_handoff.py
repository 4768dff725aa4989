"""How ``netvigil serve --workers N`` hands its settings to each worker process.

uvicorn starts workers from an import string, so the parent's already-built settings travel as
JSON in one environment variable that only this factory reads.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from netvigil._errors import ConfigError
from netvigil._settings import Settings

SETTINGS_ENV = "NETVIGIL_SERVE_SETTINGS"


def app_from_parent() -> FastAPI:
    """The app of one worker, built from the settings of the ``netvigil serve`` that started it."""
    from netvigil.web._app import create_app

    raw = os.environ.get(SETTINGS_ENV)
    if raw is None:
        raise ConfigError(f"{SETTINGS_ENV} is unset: start workers through `netvigil serve`")
    return create_app(Settings.model_validate_json(raw))
