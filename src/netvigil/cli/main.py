"""The ``netvigil`` entry point: builds the settings once and turns errors into exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from netvigil import __version__
from netvigil._errors import EnvironmentProblem, InputError, NetvigilError
from netvigil._settings import load_settings
from netvigil.cli import (
    agg,
    analyze,
    collector,
    config,
    detect,
    helper,
    impact,
    incidents,
    ingest,
    lab,
    notify,
    pipeline,
    policy,
    probe,
    serve,
    service,
    signals,
    store,
    upload,
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
        except OverflowError as exc:
            # A number too large for a database row or a float (security audit L5: an id of
            # 10^20, --hours 1e308): whatever command, one line and exit 2, not a traceback.
            raise fail(InputError(f"a number is too large ({exc})")) from exc
        except BrokenPipeError:  # `netvigil ... | head`: the reader left, nothing to report
            raise typer.Exit(1) from None
        except OSError as exc:
            # A file system refusing (read-only, full, a device) where no command expected it.
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(EnvironmentProblem(f"{where}{exc.strerror or exc}")) from exc


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
    pipeline,
    incidents,
    policy,
    impact,
    notify,
    serve,
    collector,
    upload,
    service,
):
    _module.register(app)


def main() -> None:
    app()
