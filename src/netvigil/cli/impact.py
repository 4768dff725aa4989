"""`netvigil impact`: people cut off and economic cost of a shutdown, per method, with a range."""

from __future__ import annotations

import typer

HELP = """Estimate people cut off and the economic cost of a shutdown.

Runs each published method (Brookings 2016, Deloitte 2016) and netvigil's combined estimate,
and prints the central value, a low/high range and every input used with its year.

Example: netvigil impact --country HK --hours 24 --scope national --type full --json

Example: netvigil impact --country India --hours 72 --scope regional --share 0.05 --type mobile
"""


def register(app: typer.Typer) -> None:
    """Add ``netvigil impact`` to the root app."""
    app.command("impact", help=HELP)(impact)


def impact(
    ctx: typer.Context,
    country: str = typer.Option(..., "--country", help="ISO alpha-2/alpha-3 code or name."),
    hours: float = typer.Option(..., "--hours", help="Duration in hours (> 0)."),
    scope: str = typer.Option("national", "--scope", help="national | regional."),
    share: float | None = typer.Option(
        None, "--share", help="Regional scope: affected share of the population, 0..1."
    ),
    shutdown_type: str = typer.Option("full", "--type", help="full | mobile | service."),
    services: str = typer.Option(
        "", "--services", help="Service shutdown: comma-separated, e.g. whatsapp,facebook."
    ),
    year: int | None = typer.Option(
        None, "--year", help="Indicator year (default: latest with GDP; nearest year if absent)."
    ),
    severity: float | None = typer.Option(
        None, "--severity", help="Observed share of traffic/measurements lost, 0..1."
    ),
    on: str | None = typer.Option(
        None,
        "--on",
        help="Date of the shutdown, YYYY-MM-DD (default today): services already blocked in "
        "the country then are not counted.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    import datetime as dt

    from netvigil._errors import InputError
    from netvigil.cli._context import settings_of
    from netvigil.impact import estimate
    from netvigil.models.catalogue import load_catalogue

    try:
        day = dt.date.fromisoformat(on) if on else dt.date.today()
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {on!r}", field="--on") from None

    result = estimate(
        country,
        hours,
        scope=scope,
        share=share,
        shutdown_type=shutdown_type,
        services=[s for s in services.split(",") if s.strip()],
        year=year,
        severity=severity,
        catalogue=load_catalogue(settings_of(ctx).catalogue),
        on=day,
    )
    data = result.to_json_dict()
    if as_json:
        import orjson

        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    _print_table(data)


def _usd(value: float) -> str:
    return f"US${value:,.0f}"


def _value(value: object) -> str:
    if isinstance(value, float) and value >= 1000:
        return f"{value:,.0f}"
    return str(value)


def _print_table(data: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    inputs = data["inputs"]
    methods = data["methods"]
    cost_range = data["range"]
    country = data["country"]
    assert isinstance(inputs, dict) and isinstance(methods, dict)
    assert isinstance(cost_range, dict) and isinstance(country, dict)
    title = (
        f"{country['name']} ({country['alpha_2']}): {inputs['type']} shutdown, "
        f"{inputs['scope']}, {inputs['hours']:g} h"
    )
    costs = Table(title=title)
    costs.add_column("method")
    costs.add_column("cost", justify="right")
    costs.add_column("per day", justify="right")
    costs.add_column("basis")
    for name, item in methods.items():
        basis = ", ".join(
            f"{k}={v}" for k, v in item.items() if k not in ("cost_usd", "cost_per_day_usd")
        )
        costs.add_row(name, _usd(item["cost_usd"]), _usd(item["cost_per_day_usd"]), basis)
    console.print(costs)
    console.print(
        f"range: low {_usd(cost_range['low'])}  central {_usd(cost_range['central'])}  "
        f"high {_usd(cost_range['high'])}"
    )
    console.print(f"people affected: {data['people_affected']:,}")
    used = Table(title="inputs")
    used.add_column("input")
    used.add_column("value")
    used.add_column("year / source")
    for name, value in inputs.items():
        if isinstance(value, dict):
            note = value.get("fallback") or value.get("source") or value.get("rule") or ""
            year = value.get("year")
            used.add_row(name, _value(value.get("value")), f"{year} {note}" if year else str(note))
        elif value not in (None, []):
            used.add_row(name, str(value), "")
    console.print(used)
    assumptions = data["assumptions"]
    assert isinstance(assumptions, list)
    for line in assumptions:
        console.print(f"- {line}", highlight=False)
    console.print(str(data["attribution"]), style="dim", highlight=False)
