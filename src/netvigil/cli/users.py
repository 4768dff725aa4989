"""`netvigil incidents user list|disable|enable|role|passwd`: managing tracker users (audit M6).

Revoking a leaked editor account used to take hand-written SQL, which also bypassed the audit
log. Each change here is one audited tracker write and ends the user's sessions (the account's
session version moves on, so every cookie issued before is refused).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from netvigil.cli._context import DbOption, tracker_actor

if TYPE_CHECKING:
    from netvigil.incidents import Tracker

AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this registered admin (default: the operator).")
]


def register(user_app: typer.Typer) -> None:
    """Add the management commands to ``netvigil incidents user``."""
    user_app.command("list")(user_list)
    user_app.command("disable")(user_disable)
    user_app.command("enable")(user_enable)
    user_app.command("role")(user_role)
    user_app.command("passwd")(user_passwd)


def _open(ctx: typer.Context, db: str | None) -> Tracker:
    from netvigil.cli._context import settings_of
    from netvigil.incidents import Tracker

    return Tracker.from_settings(settings_of(ctx), url=db)


def user_list(ctx: typer.Context, db: DbOption = None) -> None:
    """List the tracker's users: id, email, role, active, created.

    Example: netvigil incidents user list
    """
    with _open(ctx, db) as tracker:
        users = tracker.list_users()
    for user in users:
        state = "active" if user.active else "disabled"
        created = user.created_at.date().isoformat() if user.created_at else ""
        typer.echo(f"{user.id}\t{user.email}\t{user.role}\t{state}\t{created}")


def user_disable(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Disable an account: it cannot log in and its open sessions end (audited).

    Example: netvigil incidents user disable leaked@example.org
    """
    with _open(ctx, db) as tracker:
        user = tracker.set_user_active(email, False, tracker_actor(tracker, as_user))
    typer.echo(f"user {user.email} disabled; its sessions are ended")


def user_enable(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Re-enable a disabled account (audited).

    Example: netvigil incidents user enable ed@example.org
    """
    with _open(ctx, db) as tracker:
        user = tracker.set_user_active(email, True, tracker_actor(tracker, as_user))
    typer.echo(f"user {user.email} enabled")


def user_role(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    role: str = typer.Argument(..., help="viewer | editor | admin"),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Change a user's role; the user's sessions end (audited).

    Example: netvigil incidents user role ed@example.org viewer
    """
    with _open(ctx, db) as tracker:
        user = tracker.set_user_role(email, role, tracker_actor(tracker, as_user))
    typer.echo(f"user {user.email} is now {user.role}; its sessions are ended")


def user_passwd(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from stdin (for scripts)."
    ),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Reset a user's password (argon2id); the user's sessions end (audited, without the hash).

    Example: netvigil incidents user passwd ed@example.org
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with _open(ctx, db) as tracker:
        user = tracker.set_user_password(email, password, tracker_actor(tracker, as_user))
    typer.echo(f"password of {user.email} changed; its sessions are ended")
