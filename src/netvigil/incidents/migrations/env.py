"""Alembic environment: the engine is handed over by netvigil.incidents.db, not read from a file."""

from __future__ import annotations

from alembic import context

from netvigil.incidents.model import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite's batch mode rebuilds a table by copying it and dropping the old one; with
        # foreign keys on, that DROP deletes every row that references it ON DELETE CASCADE
        # (legal bases, evidence, episodes...). Off for the migration (the pragma is ignored
        # inside a transaction, so it is set before one begins), then checked and back on.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    with connection.begin():
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite
        )
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        if broken:
            raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")
