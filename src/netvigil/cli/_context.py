"""What every command gets from the entry point: the settings and a console."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from netvigil._settings import Settings

if TYPE_CHECKING:
    from netvigil.incidents import Actor, Tracker
    from netvigil.store.protocol import AnalyticalStore

err_console = Console(stderr=True)

# --db of every tracker command (incidents, users, policy, notify).
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Tracker database URL (sqlite:///path or postgresql://...); default setting."
    ),
]


def settings_of(ctx: typer.Context) -> Settings:
    """The settings built by the root callback (``netvigil --config ...``)."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, Settings):
        raise RuntimeError("settings were not built: invoke through the netvigil entry point")
    return obj


STORE_HELP = (
    "Store URL: a directory or file: URL, chdb:PATH, or clickhouse://USER:PASSWORD@HOST:8123/DB"
    " (default: the `store` setting)."
)


def store_of(
    ctx: typer.Context, url: str | None = None, *, writable: bool = True
) -> AnalyticalStore:
    """The analytical store of ``--store URL`` or the settings (an ``AnalyticalStore``)."""
    from netvigil.store import open_store

    settings = settings_of(ctx)
    return open_store(
        url or settings.store_url, writable=writable, lock_timeout=settings.store_lock_timeout
    )


def tracker_actor(tracker: Tracker, as_user: str | None) -> Actor:
    """Who a tracker command acts as: --as USER (an active user), else this login as admin."""
    import getpass

    from netvigil._errors import UnknownEntityError
    from netvigil.incidents import Actor

    if as_user is None:
        return Actor(f"cli:{getpass.getuser()}", "admin")
    for user in tracker.list_users():
        if user.email == as_user.lower() and user.active:
            return Actor(user.email, user.role, user.id)
    raise UnknownEntityError("user", as_user)
