"""`netvigil probe`: run OONI's Web Connectivity on URLs, a URL file or a Citizen Lab test list."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from netvigil.cli._context import err_console, settings_of

HELP = """Measure whether URLs are blocked, and how (OONI Web Connectivity on real sockets).

Each URL gets a system-resolver and a UDP DNS lookup, TCP connects, a TLS handshake for https,
an HTTP GET following up to 10 redirects and a control request to the test helper; the OONI
measurement is appended to the spool (or --output) as soon as it completes.

Example: netvigil probe --yes https://example.org/ --output probe.jsonl

Example: netvigil probe --test-list global.csv --category NEWS --category HUMR --concurrency 64
"""


def _annotations(pairs: list[str]) -> dict[str, str]:
    from netvigil._errors import InputError

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{pair!r} is not KEY=VALUE", field="--annotation")
        out[key.strip()] = value
    return out


def probe_command(
    ctx: typer.Context,
    urls: list[str] = typer.Argument(None, help="URLs to measure (http:// or https://)."),
    input_file: Path | None = typer.Option(
        None, "--input-file", "-f", help="File with one URL a line ('#' starts a comment)."
    ),
    test_list: Path | None = typer.Option(
        None, "--test-list", "-t", help="Citizen Lab test-list CSV (url,category_code,...)."
    ),
    category: list[str] = typer.Option(
        [], "--category", help="Only this category code of the test list (repeatable)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="JSONL file to append measurements to (default: the spool)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Consent given (for automation)."),
    annotation: list[str] = typer.Option(
        [], "--annotation", "-a", help="KEY=VALUE added to every measurement's annotations."
    ),
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-n", min=1, max=1024, help="URLs measured at once."
    ),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON verdict line per URL on stdout."
    ),
    public_ip: str | None = typer.Option(
        None,
        "--public-ip",
        help="Your public IP, only to look up cc/asn in probe.mmdb_path and to scrub it; "
        "never stored.",
    ),
) -> None:
    import asyncio

    import orjson

    from netvigil._errors import InputError
    from netvigil.probe.consent import ensure_consent
    from netvigil.probe.inputs import Inputs, from_arguments, from_test_list, from_url_file
    from netvigil.probe.runner import Outcome, run_probe
    from netvigil.probe.spool import Spool
    from netvigil.probe.vantage import vantage_point

    settings = settings_of(ctx)
    inputs = Inputs()
    from_arguments(urls or [], inputs)
    if input_file is not None:
        from_url_file(input_file, inputs)
    if test_list is not None:
        from_test_list(test_list, {c.strip().upper() for c in category}, inputs)
    elif category:
        raise InputError("--category filters a test list: add --test-list FILE.csv")
    for problem in inputs.rejected:
        # one unwrapped line per problem: people grep these and editors jump to file:line
        err_console.print(f"[yellow]skipped[/] {problem.render()}", highlight=False, soft_wrap=True)
    if not inputs.targets:
        raise InputError(
            "nothing to measure",
            hint="give URLs, --input-file FILE or --test-list FILE.csv (see --help)",
        )
    extra = _annotations(annotation)
    ensure_consent(
        settings.data_dir,
        yes=yes,
        interactive=sys.stdin.isatty(),
        ask=lambda notice: typer.confirm(f"{notice}\n\nMeasure now?", default=False),
    )
    vantage = vantage_point(settings.probe, public_ip)
    spool = Spool(output or settings.spool_path)  # fails here, before any packet is sent
    workers = concurrency or settings.probe.concurrency
    show = not no_progress and err_console.is_terminal

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not show,
    )
    task = progress.add_task("measuring", total=len(inputs.targets))

    def done(outcome: Outcome) -> None:
        progress.advance(task)
        if as_json:
            line = {
                "input": outcome.url,
                "blocking": outcome.blocking,
                "accessible": outcome.accessible,
                "dns_consistency": outcome.dns_consistency,
                "control_failure": outcome.control_failure,
                "error": outcome.error,
            }
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
            sys.stdout.flush()

    try:
        with progress:
            outcomes = asyncio.run(
                run_probe(inputs.targets, settings.probe, vantage, spool, extra, workers, done)
            )
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted: {spool.written} completed measurement(s) are in {spool.path}"
        )
        raise typer.Exit(130) from None
    finally:
        spool.close()
    _summary(outcomes, spool.path, len(inputs.rejected), quiet=as_json)
    if any(o.error for o in outcomes):
        raise typer.Exit(1)


def _summary(outcomes: Sequence[object], path: Path, rejected: int, *, quiet: bool) -> None:
    from rich.table import Table

    from netvigil.probe.runner import Outcome

    table = Table(title="web_connectivity verdicts")
    for column in ("URL", "blocking", "accessible", "dns_consistency"):
        table.add_column(column)
    errors = 0
    for outcome in sorted((o for o in outcomes if isinstance(o, Outcome)), key=lambda o: o.url):
        if outcome.error:
            errors += 1
            table.add_row(outcome.url, f"[red]error: {outcome.error}[/]", "", "")
            continue
        blocking = "null" if outcome.blocking is None else str(outcome.blocking)
        if outcome.control_failure:
            blocking += f" (control: {outcome.control_failure})"
        table.add_row(
            outcome.url,
            blocking,
            "null" if outcome.accessible is None else str(outcome.accessible).lower(),
            str(outcome.dns_consistency or "null"),
        )
    if not quiet:  # the table is the command's result: stdout (progress and notes go to stderr)
        from rich.console import Console

        Console().print(table)
    err_console.print(
        f"{len(outcomes) - errors} measurement(s) appended to {path}"
        + (f"; {rejected} input line(s) skipped" if rejected else "")
        + (f"; {errors} URL(s) failed with an internal error" if errors else "")
    )


def register(app: typer.Typer) -> None:
    """Add ``netvigil probe`` to the root app."""
    app.command("probe", help=HELP, no_args_is_help=False)(probe_command)
