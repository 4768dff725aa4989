"""`netvigil probe`: run a nettest (default OONI's Web Connectivity) or a group of them."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from netvigil.cli._context import err_console, settings_of
from netvigil.probe.nettest import InputKind
from netvigil.probe.nettests import DEFAULT, GROUPS, names

if TYPE_CHECKING:
    from netvigil._settings import Settings
    from netvigil.probe.apps import AppContext
    from netvigil.probe.inputs import Inputs
    from netvigil.probe.nettest import Nettest, VantagePoint
    from netvigil.probe.runner import Outcome

HELP = f"""Measure whether URLs, messaging apps or Tor are blocked, and how (OONI's tests).

By default OONI's Web Connectivity: each URL gets a system-resolver and a UDP DNS lookup, TCP
connects, a TLS handshake for https, an HTTP GET following up to 10 redirects and a control
request to the test helper. The app tests (telegram, whatsapp, signal, facebook_messenger) take
no input: their endpoints come from the service catalogue; tor measures --tor-targets. Each OONI
measurement is appended to the spool (or --output) as soon as it completes.

Nettests (--test NAME): {", ".join(names())}; the default is {DEFAULT}. Groups (--group NAME,
its nettests one after another): {", ".join(sorted(GROUPS))}. A nettest without input runs once.

Example: netvigil probe --yes https://example.org/ --output probe.jsonl

Example: netvigil probe --test-list global.csv --category NEWS --category HUMR --concurrency 64

Example: netvigil probe --yes --test web_connectivity -f urls.txt

Example: netvigil probe --yes --group websites -f urls.txt --json

Example: netvigil probe --yes --group im

Example: netvigil probe --yes --test tor --tor-targets tor-targets.json

With a collector (--upload URL or probe.collector_url) the probe checks in first: the collector
decides the URLs when none are given and issues the report ids; the spool is uploaded after the
run (OONI's retry rule, see `netvigil upload --help`). --every keeps measuring on a schedule,
spooling while the collector or the network is out of reach, uploading when it is back.

Example: netvigil probe --yes --upload https://collector.example.org

Example: netvigil probe --yes --every 15m --jitter --upload https://collector.example.org
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
    urls: list[str] = typer.Argument(
        None, help="URLs to measure (http:// or https://), or HOST:PORT for an endpoint nettest."
    ),
    test: str | None = typer.Option(
        None, "--test", help=f"The nettest to run (default {DEFAULT}; the list is above)."
    ),
    group: str | None = typer.Option(
        None, "--group", help="Run every nettest of this group, one after another."
    ),
    input_file: Path | None = typer.Option(
        None, "--input-file", "-f", help="File with one input a line ('#' starts a comment)."
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
        None, "--concurrency", "-n", min=1, max=1024, help="Inputs measured at once."
    ),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON summary line per measurement on stdout."
    ),
    upload: str | None = typer.Option(
        None,
        "--upload",
        help="Collector URL: check in there, then upload the spool (default: probe.collector_url).",
    ),
    every: str | None = typer.Option(
        None, "--every", help="Measure again every DURATION (15m, 1h, 90s) until stopped."
    ),
    jitter: bool = typer.Option(
        False, "--jitter", help="With --every: vary each wait by up to a quarter, at random."
    ),
    runs: int = typer.Option(
        0, "--runs", min=0, help="With --every: stop after this many runs (0: never)."
    ),
    public_ip: str | None = typer.Option(
        None,
        "--public-ip",
        help="Your public IP, only to look up cc/asn in probe.mmdb_path and to scrub it; "
        "never stored.",
    ),
    tor_targets: Path | None = typer.Option(
        None,
        "--tor-targets",
        help="The tor test's targets in OONI's JSON format (default: probe.tor_targets).",
    ),
    no_ip_lookup: bool = typer.Option(
        False,
        "--no-ip-lookup",
        help="Do not ask the test helper (probe.ip_lookup_url) for your public address; "
        "measurements are then marked public_ip_unknown unless you give --public-ip.",
    ),
) -> None:
    from netvigil.probe.apps import load_apps
    from netvigil.probe.consent import ensure_consent
    from netvigil.probe.schedule import parse_duration
    from netvigil.probe.vantage import vantage_point

    settings = settings_of(ctx)
    tests = _selection(test, group)
    collector_url = upload or settings.probe.collector_url
    interval = parse_duration(every) if every is not None else None
    inputs = _inputs(
        tests, urls or [], input_file, test_list, category, allow_empty=collector_url is not None
    )
    # The app tests' catalogue, IP table, CAs and targets: checked before anything is measured.
    apps = load_apps(
        [t.name for t in tests],
        catalogue=settings.catalogue,
        ip_table=settings.probe.ip_table,
        signal_ca=settings.probe.signal_ca,
        tor_targets=tor_targets or settings.probe.tor_targets,
    )
    if (
        apps is not None
        and apps.asn_of is None
        and any(t.name == "facebook_messenger" for t in tests)
    ):
        err_console.print(
            "note: no probe.ip_table: facebook_messenger cannot judge DNS by ASN (its DNS keys "
            "will be null)",
            highlight=False,
        )
    extra = _annotations(annotation)
    ensure_consent(
        settings.data_dir,
        yes=yes,
        interactive=sys.stdin.isatty(),
        ask=lambda notice: typer.confirm(f"{notice}\n\nMeasure now?", default=False),
    )
    vantage = vantage_point(settings.probe, public_ip, _learn_public_ip(settings, no_ip_lookup))
    if vantage.public_ip_unknown:
        err_console.print(
            "warning: your public address is unknown, so a page that shows it may keep it;"
            " every measurement of this run is marked public_ip_unknown=true"
            " (give --public-ip ADDRESS, or set probe.ip_lookup_url)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    run = _Run(
        settings=settings,
        tests=tests,
        inputs=inputs,
        categories=[c.strip().upper() for c in category],
        vantage=vantage,
        spool_path=output or settings.spool_path,
        collector_url=collector_url,
        annotations=extra,
        workers=concurrency or settings.probe.concurrency,
        show=not no_progress and err_console.is_terminal,
        as_json=as_json,
        apps=apps,
    )
    if interval is None:
        outcomes = run.once(scheduled=False)
        if any(o.error for o in outcomes):
            raise typer.Exit(1)
        return
    _every(run, interval, jitter, runs)


def _every(run: _Run, interval: float, jitter: bool, runs: int) -> None:
    """Run after run until stopped (or ``runs`` runs); a failed run never stops the schedule."""
    import random
    import time

    from netvigil._errors import NetvigilError
    from netvigil.probe.schedule import next_wait

    rng = random.SystemRandom()
    done = 0
    try:
        while True:
            started = time.monotonic()
            try:
                run.once(scheduled=True)
            except NetvigilError as exc:  # e.g. a full disk: say it, try again next time
                err_console.print(f"run failed: {exc.render()}", markup=False, highlight=False)
            done += 1
            if runs and done >= runs:
                return
            wait = next_wait(interval, jitter, rng) - (time.monotonic() - started)
            time.sleep(max(0.0, wait))
    except KeyboardInterrupt:
        err_console.print(f"stopped after {done} run(s)")
        raise typer.Exit(130) from None


@dataclass
class _Run:
    """One measuring run: check in, measure into the spool, upload (see probe.schedule)."""

    settings: Settings
    tests: list[Nettest]
    inputs: Inputs
    categories: list[str]
    vantage: VantagePoint
    spool_path: Path
    collector_url: str | None
    annotations: dict[str, str]
    workers: int
    show: bool
    as_json: bool
    apps: AppContext | None = None

    def once(self, *, scheduled: bool) -> list[Outcome]:
        import asyncio

        from netvigil.probe.nettests import input_kind
        from netvigil.probe.runner import planned, run_probe
        from netvigil.probe.schedule import plan_run
        from netvigil.probe.spool import Spool

        settings = self.settings
        plan = asyncio.run(
            plan_run(
                self.collector_url,
                self.vantage,
                self.inputs.targets,
                self.categories,
                settings.data_dir,
                settings.probe.upload_timeout,
            )
        )
        if plan.note:
            err_console.print(plan.note, markup=False, highlight=False)
        takes_input = input_kind(self.tests) is not InputKind.NONE
        if takes_input and not plan.targets:
            err_console.print("nothing to measure: no URLs given and none from a check-in")
            outcomes: list[Outcome] = []
        else:
            spool = Spool(self.spool_path)  # fails here, before any packet is sent
            try:
                outcomes = self._measure(spool, plan.targets, plan.report_ids, planned, run_probe)
            finally:
                spool.close()
            if not scheduled:
                _summary(outcomes, spool.path, len(self.inputs.rejected), quiet=self.as_json)
            else:
                err_console.print(
                    f"{len(outcomes)} measurement(s) appended to {spool.path} ({plan.source})"
                )
        if self.collector_url is not None:
            self._upload(scheduled)
        return outcomes

    def _measure(
        self, spool: Any, targets: list[Any], report_ids: dict[str, str], planned: Any, run: Any
    ) -> list[Outcome]:
        import asyncio

        import orjson
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=not self.show,
        )
        task = progress.add_task("measuring", total=planned(self.tests, targets))

        def done(outcome: Outcome) -> None:
            progress.advance(task)
            if self.as_json:
                line = {
                    "test_name": outcome.nettest.name,
                    "input": outcome.input,
                    **outcome.summary,
                    "error": outcome.error,
                }
                sys.stdout.write(orjson.dumps(line).decode() + "\n")
                sys.stdout.flush()

        try:
            with progress:
                outcomes: list[Outcome] = asyncio.run(
                    run(
                        self.tests,
                        targets,
                        self.settings.probe,
                        self.vantage,
                        spool,
                        self.annotations,
                        self.workers,
                        done,
                        self.apps,
                        report_ids=report_ids,
                    )
                )
        except KeyboardInterrupt:
            err_console.print(
                f"interrupted: {spool.written} completed measurement(s) are in {spool.path}",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(130) from None
        return outcomes

    def _upload(self, scheduled: bool) -> None:
        from netvigil.cli.upload import run_upload, summary_line

        assert self.collector_url is not None
        report = run_upload(
            self.spool_path,
            self.collector_url,
            self.settings.probe,
            wait=False,
            respect_backoff=scheduled,
            show_progress=self.show,
        )
        for problem in report.problems:
            err_console.print(f"refused: {problem}", markup=False, highlight=False)
        err_console.print(summary_line(report, self.spool_path), markup=False, highlight=False)


def _learn_public_ip(settings: Settings, off: bool) -> frozenset[str]:
    """The public addresses the lookup service sees (audit H1); empty when off or failed."""
    import asyncio

    from netvigil.probe.iplookup import lookup_url, public_addresses
    from netvigil.probe.runner import tls_context

    probe = settings.probe
    if off or not probe.public_ip_lookup:
        return frozenset()
    url = lookup_url(probe.helper_url, probe.ip_lookup_url)
    found = asyncio.run(
        public_addresses(url, tls_context(probe.ca_bundle), min(probe.control_timeout, 10.0))
    )
    if found.problem is not None:
        err_console.print(f"note: {found.problem}", highlight=False, markup=False, soft_wrap=True)
    return found.addresses


def _selection(test: str | None, group: str | None) -> list[Nettest]:
    from netvigil._errors import InputError
    from netvigil.probe import nettests

    if test is not None and group is not None:
        raise InputError("give --test or --group, not both", field="--group")
    return nettests.group(group) if group is not None else [nettests.nettest(test or DEFAULT)]


def _inputs(
    tests: list[Nettest],
    urls: list[str],
    input_file: Path | None,
    test_list: Path | None,
    category: list[str],
    *,
    allow_empty: bool = False,
) -> Inputs:
    """The run's inputs, of the one kind its nettests take; bad lines reported and skipped.
    ``allow_empty``: none given is fine (a collector's check-in will choose them)."""
    from netvigil._errors import InputError
    from netvigil.probe.inputs import Inputs, from_arguments, from_test_list, from_url_file
    from netvigil.probe.nettests import input_kind

    kind = input_kind(tests)
    inputs = Inputs()
    if kind is InputKind.NONE:
        if urls or input_file is not None or test_list is not None or category:
            listed = ", ".join(t.name for t in tests)
            raise InputError(
                f"{listed} take(s) no input",
                hint="drop the URLs, --input-file, --test-list and --category",
            )
        return inputs
    from_arguments(urls, inputs, kind)
    if input_file is not None:
        from_url_file(input_file, inputs, kind)
    if test_list is not None:
        if kind is not InputKind.URLS:
            listed = ", ".join(t.name for t in tests)
            raise InputError(
                f"a test list holds URLs; {listed} take(s) {kind}", field="--test-list"
            )
        from_test_list(test_list, {c.strip().upper() for c in category}, inputs)
    elif category and not allow_empty:
        raise InputError("--category filters a test list: add --test-list FILE.csv")
    for problem in inputs.rejected:
        # one unwrapped line per problem: people grep these and editors jump to file:line
        err_console.print(
            f"[yellow]skipped[/] {escape(problem.render())}", highlight=False, soft_wrap=True
        )
    if not inputs.targets and not (allow_empty and not urls and input_file is None):
        raise InputError(
            "nothing to measure",
            hint="give URLs, --input-file FILE or --test-list FILE.csv (see --help)",
        )
    return inputs


# The summary table's first column, by the kind of input of the nettest.
INPUT_COLUMN = {InputKind.URLS: "URL", InputKind.ENDPOINTS: "endpoint", InputKind.NONE: "input"}
FAILED = {
    InputKind.URLS: "URL(s)",
    InputKind.ENDPOINTS: "endpoint(s)",
    InputKind.NONE: "nettest run(s)",
}


def _summary(outcomes: Sequence[Outcome], path: Path, rejected: int, *, quiet: bool) -> None:
    """One table per nettest on stdout (the command's result), the totals on stderr."""
    from rich.console import Console
    from rich.table import Table

    tables: list[Table] = []
    errors: dict[InputKind, int] = {}
    for test in dict.fromkeys(o.nettest for o in outcomes):  # in the order they ran
        table = Table(title=f"{test.name} verdicts")
        for column in (INPUT_COLUMN[test.inputs], *test.header()):
            table.add_column(column)
        mine = sorted((o for o in outcomes if o.nettest is test), key=lambda o: o.input or "")
        for outcome in mine:
            shown = escape(outcome.input) if outcome.input is not None else "(no input)"
            if outcome.error:
                errors[test.inputs] = errors.get(test.inputs, 0) + 1
                blank = [""] * (len(test.header()) - 1)
                table.add_row(shown, f"[red]error: {escape(outcome.error)}[/]", *blank)
                continue
            table.add_row(shown, *(escape(cell) for cell in test.row(outcome.summary)))
        tables.append(table)
    if not quiet:  # the table is the command's result: stdout (progress and notes go to stderr)
        console = Console()
        for table in tables:
            console.print(table)
    failed = "".join(
        f"; {n} {FAILED[kind]} failed with an internal error" for kind, n in errors.items()
    )
    err_console.print(
        f"{len(outcomes) - sum(errors.values())} measurement(s) appended to {path}"
        + (f"; {rejected} input line(s) skipped" if rejected else "")
        + failed,
        markup=False,  # the path is the user's: "[/]" in it must not be read as markup (L2)
    )


def register(app: typer.Typer) -> None:
    """Add ``netvigil probe`` to the root app."""
    app.command("probe", help=HELP, no_args_is_help=False)(probe_command)
