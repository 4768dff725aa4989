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
WORKER_APP = "netvigil.web:app_from_parent"  # the factory uvicorn's workers import


def worker_environment(settings: Settings) -> dict[str, str]:
    """What the workers need in their environment, once what they share is settled.

    Settled in the parent before any worker starts, so that they cannot race: one signing key for
    sessions and CSRF tokens, one schema migration of the tracker.
    """
    from netvigil.web._security import load_secret_key
    from netvigil.web._tracker import open_tracker

    secret = load_secret_key(settings.web.secret_key, settings.data_dir)
    settled = settings.model_copy(
        update={"web": settings.web.model_copy(update={"secret_key": secret})}
    )
    open_tracker(settled.tracker_url).close()
    return {SETTINGS_ENV: settled.model_dump_json()}


def app_from_parent() -> FastAPI:
    """The app of one worker, built from the settings of the ``netvigil serve`` that started it."""
    from netvigil.web._app import create_app

    raw = os.environ.get(SETTINGS_ENV)
    if raw is None:
        raise ConfigError(f"{SETTINGS_ENV} is unset: start workers through `netvigil serve`")
    return create_app(Settings.model_validate_json(raw))
