"""The Alembic migrations build exactly the model's schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from netvigil.incidents import Tracker
from netvigil.incidents.db import alembic_config
from netvigil.incidents.model import Base


def test_migrated_schema_equals_model(db_url: str) -> None:
    with Tracker(db_url) as tracker:
        with tracker.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        tables = set(inspect(tracker.engine).get_table_names())
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


def test_opening_again_is_a_no_op_and_keeps_data(db_url: str) -> None:
    with Tracker(db_url) as tracker:
        tracker.create_user("a@example.org", "long-enough", role="admin")
    with Tracker(db_url) as tracker:
        assert [u.email for u in tracker.list_users()] == ["a@example.org"]
        with tracker.engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config(tracker.engine)).get_current_head()
            assert MigrationContext.configure(conn).get_current_revision() == head
