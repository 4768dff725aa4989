"""`netvigil signals`: import outage signals into the store (external files, BGP, own verdicts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netvigil._errors import InputError
from netvigil.cli._context import STORE_HELP, settings_of, store_of


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
        store_url: Annotated[str | None, typer.Option("--store", help=STORE_HELP)] = None,
    ) -> None:
        """Import signals into the store (re-importing a file replaces its points).

        Example: netvigil signals import rrc15.updates.gz --format mrt --asn-country asn-cc.csv
        """
        from netvigil.detect import bgp, external, own_signals
        from netvigil.detect.verdict_rows import verdict_rows
        from netvigil.models.signals import source_id

        paths = files or []
        for path in paths:
            if not path.is_file():
                raise InputError("no such file", path=path)
        if fmt == "verdicts":
            from netvigil.models.catalogue import load_catalogue

            catalogue = load_catalogue(settings_of(ctx).catalogue)
            with store_of(ctx, store_url) as store:
                points = own_signals.verdict_points(verdict_rows(store), catalogue=catalogue)
                info = store.write_signals(points, source="verdicts")
            typer.echo(f"{len(points)} points from verdicts -> source verdicts (commit {info.seq})")
            return
        if not paths:
            raise InputError("give at least one file", field="files")
        if fmt == "mrt":
            stats = bgp.MrtStats()
            mapping = bgp.read_asn_countries(asn_country) if asn_country else None
            points = bgp.bgp_points(paths, min_peers=min_peers, asn_country=mapping, stats=stats)
            key = source_id("mrt:" + "|".join(source_id(p.read_bytes()) for p in paths))
            with store_of(ctx, store_url) as store:
                store.write_signals(points, source=key)
            typer.echo(
                f"{stats.records} MRT records, {stats.updates} updates, {len(stats.prefixes)}"
                f" prefixes, {stats.skipped} skipped -> {len(points)} points (source {key})"
            )
            return
        if fmt not in ("ioda", "plain"):
            raise InputError(
                f"unknown format {fmt!r}", field="format", hint="plain, ioda, mrt or verdicts"
            )
        read = [
            (path, *(external.read_ioda(path) if fmt == "ioda" else (external.read_plain(path), 0)))
            for path in paths
        ]  # every file read before anything is written: a bad line stores nothing
        with store_of(ctx, store_url) as store:
            for path, points, skipped in read:
                key = source_id(path.read_bytes())
                store.write_signals(points, source=key)
                typer.echo(f"{path}: {len(points)} points ({skipped} skipped) -> source {key}")

    app.add_typer(group)
