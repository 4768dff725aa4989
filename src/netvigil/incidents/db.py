"""Open the tracker database (SQLite default, PostgreSQL by URL) and bring its schema up to date.

Migrations are Alembic scripts shipped inside the package (``migrations/``) and run
programmatically on open, so ``netvigil`` needs no ``alembic.ini`` and no manual step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from netvigil._errors import ConfigError, StoreError
from netvigil._files import private_dir, private_file

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` / ``postgres://`` and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL: readers (the web app) never wait for the writer; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"tracker database URL {url!r} is not valid: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # Owner-only (audit M8): SQLite gives its -wal and -shm files the database's mode.
            private_dir(Path(parsed.database).parent)
            try:
                private_file(Path(parsed.database))
            except OSError as exc:
                raise StoreError(f"cannot open tracker database {parsed.database}: {exc}") from exc
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True)
    else:
        raise ConfigError(
            f"tracker database {parsed.get_backend_name()!r} is not supported",
            hint="use sqlite:///path/incidents.sqlite or postgresql://user@host/db",
        )
    return engine


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Run every pending migration (a no-op on an up-to-date database)."""
    from alembic import command

    try:
        command.upgrade(alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the tracker database: {exc}") from exc
