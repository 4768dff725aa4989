"""Fixtures of the web tests: a real SQLite tracker, users of every role, seeded incidents with
marker strings in every private field, and a TestClient over HTTPS (so Secure cookies work)."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import Seeded, seed, web_settings

from netvigil.incidents import Tracker
from netvigil.web import create_app
from pg import PostgresServer


@pytest.fixture
def backend() -> str:
    """The tracker database; the key tests override it with ``postgres`` (see BACKENDS)."""
    return "sqlite"


@pytest.fixture
def db_url(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.new_database()
    return f"sqlite:///{tmp_path / 'tracker.sqlite'}"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """Seed once per run (argon2 hashing and migrations are slow on purpose); tests get copies."""
    path = tmp_path_factory.mktemp("seed") / "tracker.sqlite"
    tracker = Tracker(f"sqlite:///{path}")
    try:
        return path, seed(tracker)
    finally:
        tracker.close()  # the last connection closing checkpoints the WAL into the file


@pytest.fixture
def seeded(seeded_template: tuple[Path, Seeded], db_url: str, backend: str) -> Iterator[Seeded]:
    if backend == "postgres":  # a fresh database per test, seeded through the repository
        tracker = Tracker(db_url)
        try:
            yield seed(tracker)
        finally:
            tracker.close()
        return
    template, data = seeded_template
    shutil.copyfile(template, db_url.removeprefix("sqlite:///"))
    tracker = Tracker(db_url)
    try:
        yield dataclasses.replace(data, tracker=tracker)
    finally:
        tracker.close()


@pytest.fixture
def app(tmp_path: Path, seeded: Seeded, db_url: str) -> FastAPI:
    return create_app(web_settings(tmp_path, db_url), tracker=seeded.tracker)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as c:
        yield c


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, launched by Playwright."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def observatory(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The observatory's seed (tests/sitekit.py), built once per run: STOP, the policy demo,
    OONI's own measurements, generated ones, the real outage series and their events."""
    from sitekit import seed_site

    root = tmp_path_factory.mktemp("observatory")
    return root, seed_site(root)


@pytest.fixture(scope="module")
def observatory_client(observatory: Any) -> Iterator[TestClient]:
    root, site = observatory
    settings = web_settings(root, site.tracker_url).model_copy(update={"store": site.store_url})
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        yield c
