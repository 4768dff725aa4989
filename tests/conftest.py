"""Shared fixtures: where the reference data is, isolated settings, and no empty runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nvtest import REPO, SHARED_DATA, running_as_root, shared_path
from pg import PostgresServer

__all__ = ["REPO", "SHARED_DATA", "running_as_root", "shared_path"]


@pytest.fixture
def shared_data() -> Path:
    return shared_path()


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test gets its own data dir and no stray NETVIGIL_* or config file from the host."""
    for key in list(os.environ):
        if key.startswith("NETVIGIL_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    yield


# One throwaway PostgreSQL server per test session, shared by the tracker and web tests.
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except FileNotFoundError as exc:
        pytest.skip(f"no PostgreSQL here: {exc} (apt-get install postgresql)")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # "No tests collected" must fail the run, never pass as green (pytest's exit 5).
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
