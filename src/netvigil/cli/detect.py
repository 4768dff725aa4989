"""`netvigil detect`: outage and blocking-onset detection, and the detector benchmark."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from netvigil._errors import InputError
from netvigil.cli._context import STORE_HELP, settings_of, store_of

DEFAULT_OUTAGES = Path("../shared/data/outages/ioda_investigated_outages_cleaned_phase1+2.csv")


def register(app: typer.Typer) -> None:
    """Add this command group to the root app."""
    group = typer.Typer(
        name="detect",
        invoke_without_command=True,
        no_args_is_help=False,
        help="Detect outages and blocking onsets.\n\nExample: netvigil detect --since 2024-01-01",
    )

    @group.callback(invoke_without_command=True)
    def detect(
        ctx: typer.Context,
        series: Annotated[
            Path | None, typer.Option(help="a CSV of one series: timestamp,value")
        ] = None,
        entity: Annotated[
            str | None, typer.Option(help="country:XX, region:<code> or asn:AS<n>")
        ] = None,
        detector: Annotated[str, typer.Option(help="ioda or netvigil")] = "netvigil",
        signal: Annotated[
            str, typer.Option(help="signal kind for --series (bgp, active, telescope...)")
        ] = "active",
        since: Annotated[
            str | None, typer.Option(help="only signals from this day (YYYY-MM-DD) on")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
        store_url: Annotated[str | None, typer.Option("--store", help=STORE_HELP)] = None,
    ) -> None:
        """Run detectors over the stored signals (or one CSV series) and print the events.

        Example: netvigil detect --series ir.csv --entity country:IR --detector ioda --json
        """
        if ctx.invoked_subcommand is not None:
            return
        import orjson

        from netvigil.detect import registry
        from netvigil.detect.intervals import to_events
        from netvigil.detect.runner import detect_store, print_table
        from netvigil.detect.series import check_entity, read_series_csv

        registry.version(detector)
        if series is not None:
            if entity is None:
                raise InputError("--series needs --entity (e.g. country:IR)", field="entity")
            one = read_series_csv(series, entity=check_entity(entity), signal=signal)
            found = registry.run(detector, one.values, one.step, signal)[0]
            events = to_events(one, found, detector=detector, version=registry.version(detector))
        else:
            since_ts = None
            if since is not None:
                try:
                    since_ts = datetime.fromisoformat(since).replace(tzinfo=UTC)
                except ValueError:
                    raise InputError(f"{since!r} is not a date", field="since") from None
            from netvigil.models.catalogue import load_catalogue

            chosen = None if entity is None else check_entity(entity)
            catalogue = load_catalogue(settings_of(ctx).catalogue)
            with store_of(ctx, store_url) as store:
                events = detect_store(
                    store,
                    detectors=[detector],
                    since=since_ts,
                    entity=chosen,
                    catalogue=catalogue,
                )
        if as_json:
            for ev in events:
                row = ev.to_json()
                if series is not None:  # the documented short shape for one series
                    row = {k: row[k] for k in ("entity", "start", "end", "score", "detector")}
                typer.echo(orjson.dumps(row).decode())
        else:
            print_table(events)

    @group.command("evaluate")
    def evaluate_cmd(
        detector: Annotated[
            list[str] | None, typer.Option("--detector", help="repeat to compare")
        ] = None,
        seed: Annotated[int, typer.Option(help="random seed of the benchmark")] = 7,
        series: Annotated[int, typer.Option(min=1, help="number of labelled series")] = 200,
        days: Annotated[int, typer.Option(min=3, help="days per series (5-minute bins)")] = 30,
        outages: Annotated[
            Path, typer.Option(help="IODA's curated outage list (CSV)")
        ] = DEFAULT_OUTAGES,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Score detectors side by side on labelled synthetic series.

        Example: netvigil detect evaluate --detector ioda --detector netvigil --seed 7 --json
        """
        import orjson
        from rich.console import Console
        from rich.table import Table

        from netvigil.detect.evaluate import evaluate

        if not outages.is_file():
            raise InputError(
                "IODA's outage list is not there", path=outages, hint="pass --outages PATH"
            )
        report = evaluate(
            detector or ["ioda", "netvigil"],
            outages=outages,
            seed=seed,
            n_series=series,
            days=days,
        )
        if as_json:
            typer.echo(orjson.dumps(report).decode())
            return
        table = Table(title=f"seed {seed}, {series} series x {days} days of 5-minute bins")
        for col in ("detector", "precision", "recall", "F1", "median delay (bins)", "events"):
            table.add_column(col)
        for name, r in report["detectors"].items():
            table.add_row(
                name,
                f"{r['precision']:.3f}",
                f"{r['recall']:.3f}",
                f"{r['f1']:.3f}",
                str(r["median_delay_bins"]),
                str(r["detected"]),
            )
        Console().print(table)
        labels = report["labels"]
        typer.echo(
            f"IODA list: {labels['used']} outages used ({labels['repaired']} with the end moved"
            f" past midnight), {labels['bad_rows']} bad rows skipped:"
        )
        for bad in labels["bad"]:
            typer.echo(f"  {outages}:{bad['line']}: {bad['reason']}")

    app.add_typer(group)
