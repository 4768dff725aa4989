"""What every command gets from the entry point: the settings and a console."""

from __future__ import annotations

import typer
from rich.console import Console

from netvigil._settings import Settings

err_console = Console(stderr=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings built by the root callback (``netvigil --config ...``)."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, Settings):
        raise RuntimeError("settings were not built: invoke through the netvigil entry point")
    return obj
