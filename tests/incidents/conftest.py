"""Fixtures of the tracker tests: a tracker URL on SQLite and on a throwaway PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from netvigil.incidents import Actor, Tracker
from pg import PostgresServer


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'incidents.sqlite'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


# Still argon2id, at the lowest cost argon2-cffi allows sensibly: the default profile costs
# ~0.1-0.7 s per hash, which would dominate these tests. test_users_and_argon2 uses the default.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def tracker(db_url: str) -> Iterator[Tracker]:
    with Tracker(db_url, password_hasher=FAST_HASHER) as t:
        yield t


@pytest.fixture
def people(tracker: Tracker) -> dict[str, Actor]:
    return {
        role: tracker.create_user(f"{role}@example.org", f"{role}-password", role=role)
        for role in ("viewer", "editor", "admin")
    }
