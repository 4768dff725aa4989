"""`netvigil lab`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this command group to the root app (filled in by its owner)."""
