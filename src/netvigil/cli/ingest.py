"""`netvigil ingest`: measurements from files, directory trees and the spool into the store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from netvigil.cli._context import STORE_HELP, err_console, settings_of, store_of

_POLICIES = ("ignore", "warn", "fail")


def run_with_progress(tasks: list[str], label: str, store: Any, **options: Any) -> Any:
    """Run the pipeline, with a Rich progress bar on a terminal and one line per problem."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from netvigil.ingest import run

    def problem(text: str) -> None:
        # The text holds file names and values from the input: escaped (a "[/]" in it must not
        # stop the run, audit L2) and never wrapped (people grep these, editors jump to them).
        err_console.print(
            f"[yellow]warning:[/] {escape(text)}", highlight=False, markup=True, soft_wrap=True
        )

    if not err_console.is_terminal:
        return run(tasks, store, on_problem=problem, **options)
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[n]}"))
    with Progress(*columns, console=err_console, transient=True) as progress:
        bar = progress.add_task(label, total=len(tasks), n="")

        def advance(report: Any) -> None:
            progress.update(bar, completed=report.files, n=f"{report.lines:,} lines")

        return run(tasks, store, on_problem=problem, on_progress=advance, **options)


def print_summary(report: Any, as_json: bool) -> None:
    import orjson

    if as_json:
        typer.echo(orjson.dumps(report.as_dict()).decode())
        return
    rate = report.lines / report.seconds if report.seconds else 0.0
    typer.echo(
        f"files {report.files}, lines {report.lines}, ingested {report.ingested}, "
        f"duplicates skipped {report.duplicates}, bad lines {report.bad}, "
        f"analysis errors {report.analysis_errors} ({report.seconds:.1f} s, {rate:,.0f} lines/s)"
    )


def register(app: typer.Typer) -> None:
    """Add ``netvigil ingest`` to the root app."""

    @app.command("ingest")
    def ingest(
        ctx: typer.Context,
        paths: list[Path] = typer.Argument(
            None, help="Files or directories (OONI JSONL, .jsonl.gz, S3 layout, .json/.jsonc)."
        ),
        spool: bool = typer.Option(False, "--spool", help="Also ingest the probe's spool."),
        workers: int = typer.Option(
            0, "--workers", "-j", min=0, help="Worker processes (0 = one per CPU core)."
        ),
        on_error: str = typer.Option(
            "warn", "--on-error", help="Bad lines: ignore (count), warn (print), fail (stop)."
        ),
        fingerprints: str | None = typer.Option(
            None, "--fingerprints", help="Dir/URL of OONI fingerprints (default: settings)."
        ),
        ip_table: Path | None = typer.Option(
            None,
            "--ip-table",
            help="IP -> ASN/country of observations: .mmdb or CSV range table (default: settings).",
        ),
        batch_rows: int = typer.Option(
            20_000, "--batch-rows", min=1, help="Measurements per committed batch (per worker)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        store_url: str | None = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Ingest measurements into the store; re-ingesting the same data adds nothing.

        Example: netvigil ingest raw/20240212/ measurements.jsonl.gz --workers 2
        """
        from netvigil._errors import InputError
        from netvigil.ingest import discover
        from netvigil.ingest.sources import not_measurement_documents

        if on_error not in _POLICIES:
            raise typer.BadParameter(
                f"expected one of {', '.join(_POLICIES)}", param_hint="--on-error"
            )
        settings = settings_of(ctx)
        named = list(paths or [])
        if spool:
            named.append(settings.spool_path)
        if not named:
            raise InputError("nothing to ingest", hint="name files or directories, or --spool")
        found = discover(named)
        others = not_measurement_documents(found)
        if others:
            example = sorted(others)[0]
            err_console.print(
                f"skipped {len(others)} JSON file(s) that hold no measurement envelope"
                f" (no test_name, test_keys or measurement_start_time), such as {example}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        files = [str(p) for p in found if p not in others]
        table = ip_table or settings.analysis.ip_table
        if table is None:
            from netvigil.cli.verdict import NO_IP_TABLE

            err_console.print(NO_IP_TABLE, highlight=False, markup=False)
        with store_of(ctx, store_url) as store:
            report = run_with_progress(
                files,
                "ingest",
                store,
                workers=workers or os.cpu_count() or 1,
                fingerprints=fingerprints or settings.analysis.fingerprints,
                ip_table=table,
                on_error=on_error,
                batch_rows=batch_rows,
            )
        print_summary(report, as_json)
