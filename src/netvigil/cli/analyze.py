"""`netvigil analyze`: rebuild observations and verdicts from the raw tier."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from netvigil.cli._context import STORE_HELP, err_console, settings_of, store_of


def register(app: typer.Typer) -> None:
    """Add ``netvigil analyze`` to the root app."""

    @app.command("analyze")
    def analyze(
        ctx: typer.Context,
        rebuild: bool = typer.Option(
            False, "--rebuild", help="Re-derive observations and verdicts with the current rules."
        ),
        workers: int = typer.Option(
            0, "--workers", "-j", min=0, help="Worker processes (0 = one per CPU core)."
        ),
        fingerprints: str | None = typer.Option(
            None, "--fingerprints", help="Dir/URL of OONI fingerprints (default: settings)."
        ),
        ip_table: Path | None = typer.Option(
            None,
            "--ip-table",
            help="IP -> ASN/country of observations: .mmdb or CSV range table (default: settings).",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        store_url: str | None = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Rebuild the observation and verdict tiers from stored raw measurements.

        Source files are not re-read: the raw tier keeps every original line. Readers see the
        old tiers until the rebuild is complete, then the new ones; measurements other writers
        commit meanwhile reach both.

        Example: netvigil analyze --rebuild --workers 2
        """
        from netvigil._errors import InputError
        from netvigil.analysis import RULES_VERSION
        from netvigil.cli.ingest import print_summary, run_with_progress

        if not rebuild:
            raise InputError("nothing to do", hint="netvigil analyze --rebuild")
        settings = settings_of(ctx)
        table = ip_table or settings.analysis.ip_table
        if table is None:
            from netvigil.cli.verdict import NO_IP_TABLE

            err_console.print(NO_IP_TABLE, highlight=False, markup=False)
        with store_of(ctx, store_url) as store:
            sources = store.begin_rebuild()
            moved = getattr(store, "quarantined", [])
            if moved:  # a store written by netvigil <= 0.2 from an impossible date (audit H3)
                err_console.print(
                    f"moved {len(moved)} file(s) of day partitions that are not dates out of the"
                    f" tiers, to {moved[0].split('/')[0]}/ in the store (kept, never read)",
                    highlight=False,
                    markup=False,
                )
            report = run_with_progress(
                sources,
                f"rebuild (rules {RULES_VERSION})",
                store,
                mode="rebuild",
                workers=workers or os.cpu_count() or 1,
                fingerprints=fingerprints or settings.analysis.fingerprints,
                ip_table=table,
                on_error="warn",
            )
            store.finish_rebuild()
        print_summary(report, as_json)
