"""Fixtures of the policy tests: a tracker (SQLite, and PostgreSQL where marked) with people."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from netvigil.incidents import Actor, Tracker
from netvigil.policy.repository import Policy
from pg import PostgresServer

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'policy.sqlite'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'policy.sqlite'}"


@pytest.fixture
def tracker(db_url: str) -> Iterator[Tracker]:
    with Tracker(db_url, password_hasher=FAST_HASHER) as t:
        yield t


@pytest.fixture
def policy(tracker: Tracker) -> Policy:
    return Policy(tracker)


@pytest.fixture
def admin() -> Actor:
    return Actor("admin@example.org", "admin")


@pytest.fixture
def editor() -> Actor:
    return Actor("editor@example.org", "editor")
