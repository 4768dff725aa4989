"""`netvigil notify`: the notifier and its subscriptions from the command line.

``notify run`` polls the store's change feed and sends alerts until stopped (Ctrl-C finishes the
deliveries in flight); the other commands manage subscriptions (owned by a registered user,
``--as EMAIL``, or by an API token, ``--token-id N``) and API tokens, and print the delivery log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer

from netvigil.cli._context import DbOption, err_console, settings_of

if TYPE_CHECKING:
    from netvigil.incidents import Tracker
    from netvigil.notify import Owner

StoreOption = Annotated[
    str | None, typer.Option("--store", help="Store URL; default: the `store` setting.")
]

app = typer.Typer(
    help=(
        "Alerts: subscriptions, the notifier (webhook, email, Atom), the delivery log.\n\n"
        "Example: netvigil notify subscribe --as ed@example.org --entity country:HK "
        "--channel webhook --url https://alerts.example.org/hook && netvigil notify run"
    ),
    no_args_is_help=True,
)
token_app = typer.Typer(
    help="API tokens for subscribers' scripts.\n\nExample: netvigil notify token add newsroom",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")


def register(root: typer.Typer) -> None:
    """Add ``netvigil notify`` to the root app."""
    root.add_typer(app, name="notify")


def _tracker(ctx: typer.Context, db: str | None) -> Tracker:
    from netvigil.incidents import Tracker

    return Tracker.from_settings(settings_of(ctx), url=db)


def _owner(tracker: Tracker, as_user: str | None, token_id: int | None) -> Owner:
    from netvigil._errors import InputError, UnknownEntityError
    from netvigil.notify import Owner

    if (as_user is None) == (token_id is None):
        raise InputError("give the owner: --as EMAIL (a user) or --token-id N", field="--as")
    if token_id is not None:
        return Owner(token_id=token_id, name=f"token:{token_id}")
    for user in tracker.list_users():
        if user.email == str(as_user).lower() and user.active:
            return Owner(user_id=user.id, name=user.email)
    raise UnknownEntityError("user", str(as_user))


@app.command("run")
def run(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="One tick (poll, plan, send), then exit."),
    db: DbOption = None,
    store: StoreOption = None,
) -> None:
    """Poll the store's change feed; open draft incidents; send alerts with Alertmanager's
    grouping (group wait, group interval, repeat interval: the notify settings). Stop with
    Ctrl-C: deliveries in flight finish, the rest wait in the delivery log for the next run.

    Example: netvigil notify run
    """
    from netvigil.notify import Notifier

    settings = settings_of(ctx)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with _tracker(ctx, db) as tracker:
        notifier = Notifier(settings.notify, tracker, store_url=store or settings.store_url)

        def show(report: Any) -> None:
            if report.events or report.planned or report.started:
                err_console.print(
                    f"events {report.events} (cursor {report.cursor}), alerts {report.alerts}, "
                    f"drafts {report.drafts or {}}, planned {report.planned}, "
                    f"sending {report.started}",
                    markup=False,
                    highlight=False,
                )

        async def main() -> None:
            if once:
                show(await notifier.tick())
                await notifier.settle()
                return
            stop = asyncio.Event()
            err_console.print(
                f"notifier: polling {store or settings.store_url} every "
                f"{settings.notify.poll_interval:g} s (Ctrl-C stops)",
                markup=False,
            )
            try:
                await notifier.run(stop, on_tick=show)
            except asyncio.CancelledError:
                await notifier.settle()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            err_console.print("stopped; undelivered notifications wait in the delivery log")
            raise typer.Exit(130) from None


@app.command("subscribe")
def subscribe(
    ctx: typer.Context,
    entity: list[str] = typer.Option(..., "--entity", help="country:HK, asn:AS4760, ... (repeat)"),
    kind: list[str] = typer.Option(
        [], "--kind", help="outage, blocking_began, blocking_ended, platform_outage (default all)"
    ),
    min_score: str = typer.Option("0", "--min-score", help="Only events scoring at least this."),
    channel: str = typer.Option(..., "--channel", help="webhook | email | atom"),
    url: str | None = typer.Option(None, "--url", help="The webhook's URL."),
    secret: str | None = typer.Option(None, "--secret", help="HMAC secret for the webhook."),
    email: str | None = typer.Option(None, "--email", help="The address alerts go to."),
    name: str | None = typer.Option(None, "--name"),
    language: str = typer.Option("en", "--language", help="en | zh_Hant (emails)"),
    as_user: str | None = typer.Option(None, "--as", help="The user who owns it."),
    token_id: int | None = typer.Option(None, "--token-id", help="Or the API token that does."),
    db: DbOption = None,
) -> None:
    """Subscribe to alerts; prints the subscription with its feed and unsubscribe links.

    Example: netvigil notify subscribe --as ed@example.org --entity country:HK --kind outage
    --channel email --email desk@example.org
    """
    from netvigil.notify import Subscriptions, check_request, public_view
    from netvigil.notify.destinations import allow_networks

    settings = settings_of(ctx)
    data = {
        "entities": entity, "kinds": kind, "min_score": min_score, "channel": channel,
        "url": url, "secret": secret, "email": email, "name": name, "language": language,
    }  # fmt: skip
    request = check_request(
        data,
        allow=allow_networks(settings.notify.webhook_allow),
        email_enabled=bool(settings.notify.smtp.host),
    )
    with _tracker(ctx, db) as tracker:
        row = Subscriptions(tracker).create(request, _owner(tracker, as_user, token_id))
        typer.echo(json.dumps(public_view(row, base_url=settings.notify.base_url), indent=2))


@app.command("list")
def list_subscriptions(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Ended subscriptions too."),
    db: DbOption = None,
) -> None:
    """Every subscription (JSON lines): owner, entities, kinds, channel, links.

    Example: netvigil notify list --all
    """
    from netvigil.notify import Subscriptions, public_view

    settings = settings_of(ctx)
    with _tracker(ctx, db) as tracker:
        for row in Subscriptions(tracker).list(active=None if all_ else True):
            view = public_view(row, base_url=settings.notify.base_url)
            view.update(user_id=row.user_id, token_id=row.token_id)
            typer.echo(json.dumps(view, ensure_ascii=False))


@app.command("unsubscribe")
def unsubscribe(
    ctx: typer.Context, subscription_id: int = typer.Argument(...), db: DbOption = None
) -> None:
    """End a subscription (its undelivered notifications are cancelled).

    Example: netvigil notify unsubscribe 3
    """
    import getpass

    from netvigil.notify import Subscriptions

    with _tracker(ctx, db) as tracker:
        ended = Subscriptions(tracker).unsubscribe(subscription_id, by=f"cli:{getpass.getuser()}")
    typer.echo(f"subscription {subscription_id} " + ("ended" if ended else "had already ended"))


@app.command("deliveries")
def deliveries(
    ctx: typer.Context,
    subscription: int | None = typer.Option(None, "--subscription", help="Only this one's."),
    db: DbOption = None,
) -> None:
    """The delivery log (JSON lines): each notification planned, its status, attempts, last
    error and when it was delivered.

    Example: netvigil notify deliveries --subscription 3
    """
    from netvigil.notify import grouping
    from netvigil.notify.ledger import Ledger

    with _tracker(ctx, db) as tracker:
        for row in Ledger(tracker, grouping.Timing()).deliveries(subscription):
            body = row.notification or {}
            typer.echo(
                json.dumps(
                    {
                        "id": row.id,
                        "subscription": row.subscription_id,
                        "group_key": row.group_key,
                        "flush": row.flush,
                        "status": row.status,
                        "alerts": [
                            [a["labels"].get("event_id"), a["status"]]
                            for a in body.get("alerts", [])
                        ],
                        "planned_at": row.planned_at.isoformat(),
                        "attempts": row.attempts,
                        "last_error": row.last_error,
                        "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
                    },
                    ensure_ascii=False,
                )
            )


@token_app.command("add")
def token_add(
    ctx: typer.Context,
    label: str = typer.Argument(..., help="Whose token it is (a newsroom, a script)."),
    db: DbOption = None,
) -> None:
    """Create an API token; it is printed once (only its SHA-256 is kept).

    Example: netvigil notify token add "newsroom alerts bot"
    """
    import getpass

    from netvigil.incidents import Actor
    from netvigil.notify import Subscriptions

    with _tracker(ctx, db) as tracker:
        row, secret = Subscriptions(tracker).create_token(
            label, Actor(f"cli:{getpass.getuser()}", "admin")
        )
    typer.echo(f"token {row.id} ({row.label}): {secret}")


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context, token_id: int = typer.Argument(...), db: DbOption = None
) -> None:
    """Revoke an API token (its subscriptions stay; the API refuses the token).

    Example: netvigil notify token revoke 2
    """
    import getpass

    from netvigil.incidents import Actor
    from netvigil.notify import Subscriptions

    with _tracker(ctx, db) as tracker:
        Subscriptions(tracker).revoke_token(token_id, Actor(f"cli:{getpass.getuser()}", "admin"))
    typer.echo(f"token {token_id} revoked")
