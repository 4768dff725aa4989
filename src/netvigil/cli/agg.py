"""`netvigil agg`: counts of verdicts by axis, as OONI's /api/v1/aggregation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from netvigil.cli._context import STORE_HELP, settings_of, store_of


def _when(text: str | None, flag: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(
            f"expected a date such as 2024-02-12 or 2024-02-12T10:30:00, got {text!r}",
            param_hint=flag,
        ) from exc


def register(app: typer.Typer) -> None:
    """Add ``netvigil agg`` to the root app."""

    @app.command("agg")
    def agg(
        ctx: typer.Context,
        probe_cc: str | None = typer.Option(None, "--probe-cc", help="Country code, e.g. IR."),
        probe_asn: str | None = typer.Option(None, "--probe-asn", help="ASN, e.g. AS12345."),
        test_name: str | None = typer.Option(None, "--test-name", help="e.g. web_connectivity."),
        domain: str | None = typer.Option(None, "--domain", help="Host of the input URL."),
        input_url: str | None = typer.Option(None, "--input", help="Exact input URL."),
        category_code: str | None = typer.Option(
            None, "--category-code", help="Citizen Lab category, e.g. NEWS (needs test lists)."
        ),
        since: str | None = typer.Option(None, "--since", help="From this time (inclusive)."),
        until: str | None = typer.Option(None, "--until", help="Before this time (exclusive)."),
        axis_x: str | None = typer.Option(None, "--axis-x", help="measurement_start_day, ..."),
        axis_y: str | None = typer.Option(None, "--axis-y", help="Second axis."),
        time_grain: str = typer.Option("day", "--time-grain", help="hour, day, week or month."),
        output: str = typer.Option("json", "--format", help="json or csv."),
        test_lists: Path | None = typer.Option(
            None, "--test-lists", help="Citizen Lab test-lists dir (default: settings)."
        ),
        store_url: str | None = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Count measurements (ok / anomaly / confirmed / failure) along up to two axes.

        Axes: measurement_start_day, probe_cc, probe_asn, domain, category_code, test_name,
        blocking_type. Output follows OONI's /api/v1/aggregation (JSON) or its CSV download.

        Example: netvigil agg --probe-cc IR --axis-x measurement_start_day --format csv
        """
        import orjson

        from netvigil.store.aggregation import AggregationQuery, as_csv, as_ooni_json

        if output not in ("json", "csv"):
            raise typer.BadParameter("expected json or csv", param_hint="--format")
        settings = settings_of(ctx)
        query = AggregationQuery(
            probe_cc=probe_cc,
            probe_asn=probe_asn,
            test_name=test_name,
            domain=domain,
            input=input_url,
            category_code=category_code,
            since=_when(since, "--since"),
            until=_when(until, "--until"),
            axis_x=axis_x,
            axis_y=axis_y,
            time_grain=time_grain,  # type: ignore[arg-type]  # checked by AggregationQuery.check
        )
        with store_of(ctx, store_url, writable=False) as store:
            rows = store.aggregate(query, test_lists=test_lists or settings.analysis.test_lists)
        if output == "csv":
            typer.echo(as_csv(rows, query), nl=False)
        else:
            typer.echo(orjson.dumps(as_ooni_json(rows, query), option=orjson.OPT_INDENT_2).decode())
