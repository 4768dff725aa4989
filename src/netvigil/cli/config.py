"""`netvigil config`: show the effective settings and where they came from."""

from __future__ import annotations

import json

import typer

from netvigil.cli._context import settings_of


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Inspect settings. Example: netvigil config show", no_args_is_help=True
    )

    @group.command("show")
    def show(ctx: typer.Context) -> None:
        """Print the effective settings as JSON (secrets masked).

        Example: NETVIGIL_PROBE__PROBE_CC=IR netvigil config show
        """
        data = settings_of(ctx).model_dump(mode="json")
        if data.get("web", {}).get("secret_key"):
            data["web"]["secret_key"] = "***"
        typer.echo(json.dumps(data, indent=2, sort_keys=True))

    app.add_typer(group, name="config")
