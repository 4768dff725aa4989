"""The ``netvigil`` entry point: builds the settings once and turns errors into exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from netvigil import __version__
from netvigil._errors import NetvigilError
from netvigil._settings import load_settings
from netvigil.cli import (
    agg,
    analyze,
    config,
    detect,
    helper,
    impact,
    incidents,
    ingest,
    lab,
    probe,
    serve,
    signals,
    store,
    verdict,
)
from netvigil.cli._context import err_console


def fail(error: NetvigilError) -> typer.Exit:
    """Print ``error`` as one clear line on stderr; return the Exit carrying its exit code."""
    text = f"[bold red]error:[/] {escape(error.render())}"
    err_console.print(text, highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=error.exit_code)


class _Root(TyperGroup):
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except NetvigilError as exc:
            raise fail(exc) from exc


app = typer.Typer(
    name="netvigil",
    cls=_Root,
    help=(
        "An open observatory for internet shutdowns and censorship: "
        "measure -> detect -> document -> quantify -> publish.\n\n"
        "Example: netvigil lab run --yes --output lab.jsonl && netvigil ingest lab.jsonl"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netvigil {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", help="TOML settings file (default: ./netvigil.toml if present)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Build the settings once; every command reads them from the context."""
    try:
        ctx.obj = load_settings(config)
    except NetvigilError as exc:
        raise fail(exc) from exc


for _module in (
    config,
    probe,
    helper,
    lab,
    ingest,
    verdict,
    analyze,
    agg,
    signals,
    detect,
    store,
    incidents,
    impact,
    serve,
):
    _module.register(app)


def main() -> None:
    app()
