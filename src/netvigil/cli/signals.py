"""`netvigil signals`: import outage signals into the store (external files, BGP, own verdicts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netvigil._errors import InputError
from netvigil.cli._context import settings_of


def register(app: typer.Typer) -> None:
    """Add this command group to the root app."""
    group = typer.Typer(
        name="signals",
        no_args_is_help=True,
        help="Import outage signals.\n\nExample: netvigil signals import ir.csv",
    )

    @group.command("import")
    def import_cmd(
        ctx: typer.Context,
        files: Annotated[list[Path] | None, typer.Argument(help="files to import")] = None,
        fmt: Annotated[
            str, typer.Option("--format", help="plain (CSV/JSON), ioda, mrt or verdicts")
        ] = "plain",
        asn_country: Annotated[
            Path | None, typer.Option(help="CSV asn,cc for per-country BGP counts")
        ] = None,
        min_peers: Annotated[
            int, typer.Option(min=1, help="MRT: peers that must see a prefix")
        ] = 1,
    ) -> None:
        """Import signals into <store>/signals (re-importing a file replaces its rows).

        Example: netvigil signals import rrc15.updates.gz --format mrt --asn-country asn-cc.csv
        """
        from netvigil.detect import bgp, external, own_signals
        from netvigil.detect.storage import save_signals, source_id

        settings = settings_of(ctx)
        store = settings.store_path
        paths = files or []
        for path in paths:
            if not path.is_file():
                raise InputError("no such file", path=path)
        if fmt == "verdicts":
            from netvigil.models.catalogue import load_catalogue

            catalogue = load_catalogue(settings.catalogue)
            points = own_signals.verdict_points(store, catalogue=catalogue)
            dest = save_signals(store, points, source="verdicts")
            typer.echo(f"{len(points)} points from verdicts -> {dest}")
            return
        if not paths:
            raise InputError("give at least one file", field="files")
        if fmt == "mrt":
            stats = bgp.MrtStats()
            mapping = bgp.read_asn_countries(asn_country) if asn_country else None
            points = bgp.bgp_points(paths, min_peers=min_peers, asn_country=mapping, stats=stats)
            key = source_id("mrt:" + "|".join(source_id(p.read_bytes()) for p in paths))
            dest = save_signals(store, points, source=key)
            typer.echo(
                f"{stats.records} MRT records, {stats.updates} updates, {len(stats.prefixes)}"
                f" prefixes, {stats.skipped} skipped -> {len(points)} points in {dest}"
            )
            return
        for path in paths:
            if fmt == "ioda":
                points, skipped = external.read_ioda(path)
            elif fmt == "plain":
                points, skipped = external.read_plain(path), 0
            else:
                raise InputError(
                    f"unknown format {fmt!r}", field="format", hint="plain, ioda, mrt or verdicts"
                )
            dest = save_signals(store, points, source=source_id(path.read_bytes()))
            typer.echo(f"{path}: {len(points)} points ({skipped} skipped) -> {dest}")

    app.add_typer(group)
