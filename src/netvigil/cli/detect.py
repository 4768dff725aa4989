"""`netvigil detect`: outage and blocking-onset detection, and the detector benchmark."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

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
        real: Annotated[
            Path | None,
            typer.Option(
                help="real labelled series: a directory with manifest.csv, series/, truth/"
            ),
        ] = None,
        synthetic: Annotated[
            bool, typer.Option(help="also score the labelled synthetic series")
        ] = True,
        seed: Annotated[
            int | None, typer.Option(help="a development seed (default: the held-back seeds)")
        ] = None,
        series: Annotated[int, typer.Option(min=1, help="synthetic series per seed")] = 200,
        days: Annotated[int, typer.Option(min=3, help="days per synthetic series")] = 35,
        outages: Annotated[
            Path, typer.Option(help="IODA's curated outage list (CSV)")
        ] = DEFAULT_OUTAGES,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Score detectors side by side on real labelled series and on synthetic ones.

        Example: netvigil detect evaluate --real ../shared/data/outages/real_signals
        """
        import orjson

        from netvigil.detect import registry
        from netvigil.detect.benchmark import HELD_BACK
        from netvigil.detect.evaluate import evaluate_real, evaluate_synthetic

        names = detector or ["ioda", "netvigil"]
        for name in names:
            registry.version(name)  # unknown names fail before the (slow) work
        if synthetic and not outages.is_file():
            raise InputError(
                "IODA's outage list is not there", path=outages, hint="pass --outages PATH"
            )
        if real is not None and not (real / "manifest.csv").is_file():
            raise InputError(
                "no manifest.csv there",
                path=real,
                hint="--real takes the real_signals directory (manifest.csv, series/, truth/)",
            )
        if not synthetic and real is None:
            raise InputError("nothing to score", hint="pass --real DIR or drop --no-synthetic")
        seeds = list(HELD_BACK) if seed is None else [seed]
        report: dict[str, object] = {}
        with _progress(as_json) as bar:
            if real is not None:
                task = bar.add_task("real series", total=None)
                report["real"] = evaluate_real(
                    names, real, progress=lambda what, n: bar.advance(task, n)
                )
            if synthetic:
                total = len(seeds) * series * len(names)
                task = bar.add_task("synthetic series", total=total)
                report["synthetic"] = evaluate_synthetic(
                    names,
                    outages=outages,
                    seeds=seeds,
                    n_series=series,
                    days=days,
                    progress=lambda what, n: bar.advance(task, n),
                )
        if as_json:
            typer.echo(orjson.dumps(report).decode())
            return
        _print_report(report, names, held_back=seed is None)

    app.add_typer(group)


def _progress(quiet: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        disable=quiet,
        transient=True,
    )


def _print_report(report: dict[str, Any], names: list[str], *, held_back: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    def row(table: Table, data: str, name: str, r: dict[str, Any]) -> None:
        delay = r["median_delay_minutes"]
        table.add_row(
            data,
            name,
            f"{r['precision']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['f1']:.3f}",
            f"{r['mean_series_f1']:.3f}",
            "-" if delay is None else f"{delay:.0f}",
            f"{r['detected']}",
            f"{r['found']}/{r['truths']}",
        )

    table = Table(title="outage detection: event-level scores (first day ignored)")
    for col in ("data", "detector", "precision", "recall", "F1", "mean F1/series",
                "median delay (min)", "events", "found"):  # fmt: skip
        table.add_column(col)
    real = report.get("real")
    if real:
        tuned = ", ".join(real["tuned_on"]) or "none"
        for ds in real["datasets"]:
            for name in names:
                row(table, f"real {ds}", name, real["detectors"][name]["datasets"][ds])
        for name in names:
            row(table, "real, all", name, real["detectors"][name]["overall"])
        for name in names:
            row(table, f"real, not {tuned}", name, real["detectors"][name]["held_out"])
    synth = report.get("synthetic")
    if synth:
        label = "held-back" if held_back else "seed " + ",".join(map(str, synth["seeds"]))
        for name in names:
            row(table, f"synthetic ({label})", name, synth["detectors"][name])
    Console(width=140).print(table)
    if real:
        typer.echo(
            f"real: {real['series']} series, {real['outages']} labelled outages in {real['root']};"
            f" netvigil's parameters were chosen on {', '.join(real['tuned_on']) or 'none'}"
        )
    if synth:
        labels = synth["labels"]
        typer.echo(
            f"synthetic: {synth['series']} series x {synth['days']} days, {synth['outages']}"
            f" labelled outages; IODA list: {labels['used']} outages used ({labels['repaired']}"
            f" with the end moved past midnight), {labels['bad_rows']} bad rows skipped"
            " (--json lists them)"
        )
