"""`netvigil lab`: build the censorship lab, run OONI's QA scenarios in it, tear it down."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer

from netvigil.cli._context import err_console, settings_of

lab_app = typer.Typer(
    help=(
        "The censorship lab: a censored network in network namespaces (needs root).\n\n"
        "Example: sudo netvigil lab run --yes --output lab.jsonl"
    ),
    no_args_is_help=True,
)


def _prefix(ctx: typer.Context, prefix: str | None) -> str:
    chosen = prefix or settings_of(ctx).lab.prefix
    if not chosen.replace("-", "").isalnum() or len(chosen) > 12:
        from netvigil._errors import InputError

        raise InputError("use up to 12 letters, digits or '-'", field="--prefix")
    return chosen


def _ooni_dir(ctx: typer.Context, given: Path | None) -> Path | None:
    chosen = given or settings_of(ctx).lab.ooni_scenarios
    if chosen is None:
        guess = Path("../shared/data/ooni/probecli_minipipeline/generated")
        return guess if guess.is_dir() else None
    return chosen


PREFIX = typer.Option(None, "--prefix", help="Name prefix of the lab (default: lab.prefix).")
SCENARIO = typer.Option([], "--scenario", "-s", help="Scenario name (repeatable; default: all).")


@lab_app.command("scenarios")
def scenarios_command() -> None:
    """List the scenarios: OONI's QA name, the URL measured in the lab and the faults.

    Example: netvigil lab scenarios
    """
    from rich.table import Table

    from netvigil.lab.scenarios import SCENARIOS

    table = Table(title=f"{len(SCENARIOS)} lab scenarios")
    for column in ("scenario", "URL", "what happens"):
        table.add_column(column)
    for s in SCENARIOS:
        table.add_row(s.name, s.url, s.why)
    err_console.print(table)


@lab_app.command("up")
def up_command(
    ctx: typer.Context,
    prefix: str | None = PREFIX,
    scenario: list[str] = SCENARIO,
    helper: bool = typer.Option(True, help="Also start the test helper in the open namespace."),
) -> None:
    """Build the lab and leave it running (remove it with `netvigil lab down`).

    Example: sudo netvigil lab up && sudo netvigil lab down
    """
    from netvigil.lab import topology
    from netvigil.lab.plan import make_plan
    from netvigil.lab.run import LAB_TIMEOUTS, probe_environment
    from netvigil.lab.scenarios import select

    name = _prefix(ctx, prefix)
    chosen = select(scenario)
    lab = topology.build(name, make_plan(chosen))
    try:
        if helper:
            topology.start_helper(lab)
    except BaseException:
        topology.teardown(name)
        raise
    env = probe_environment(lab, LAB_TIMEOUTS)
    exports = " ".join(f"{k}={v}" for k, v in env.items() if k.startswith(("NETVIGIL_", "XDG_")))
    err_console.print(f"lab {name!r} is up ({len(chosen)} scenarios). Measure inside it with:\n")
    typer.echo(
        f"  sudo env {exports} \\\n    ip netns exec {lab.ns('client')} "
        f"netvigil probe --yes {chosen[0].url}\n"
    )
    err_console.print(
        f"scenario URLs: netvigil lab scenarios; remove it: sudo netvigil lab down --prefix {name}",
        highlight=False,
    )


@lab_app.command("down")
def down_command(
    ctx: typer.Context,
    prefix: str | None = PREFIX,
    everything: bool = typer.Option(False, "--all", help="Remove every lab on this machine."),
) -> None:
    """Remove every namespace, rule, process and file of the lab.

    Example: sudo netvigil lab down --prefix nv
    """
    from netvigil.lab import topology

    topology.check_environment()
    prefixes = topology.known_prefixes() if everything else [_prefix(ctx, prefix)]
    removed = [item for name in prefixes for item in topology.teardown(name)]
    err_console.print(f"removed {len(removed)} item(s)" if removed else "nothing to remove")


@lab_app.command("run")
def run_command(
    ctx: typer.Context,
    output: Path = typer.Option(..., "--output", "-o", help="JSONL file for the measurements."),
    scenario: list[str] = SCENARIO,
    yes: bool = typer.Option(False, "--yes", "-y", help="Consent for the probe (automation)."),
    prefix: str | None = PREFIX,
    ooni: Path | None = typer.Option(
        None, "--ooni-scenarios", help="OONI's QA scenarios dir (expected verdicts)."
    ),
) -> None:
    """Build the lab, run the real probe on each scenario, compare with OONI, tear it down.

    Example: sudo netvigil lab run --yes --scenario dnsBlockingBOGON --output lab.jsonl
    """
    from rich.table import Table

    from netvigil._errors import InputError
    from netvigil.lab import topology
    from netvigil.lab.plan import make_plan
    from netvigil.lab.run import run_scenarios
    from netvigil.lab.scenarios import select

    chosen = select(scenario)
    if not yes:
        raise InputError(
            "the probe measures inside the lab only; confirm with --yes", field="--yes"
        )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.open("ab").close()
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path=output) from exc
    name = f"{_prefix(ctx, prefix)}{os.getpid() % 100000}"
    from rich.markup import escape

    ooni_dir = _ooni_dir(ctx, ooni)
    with topology.running_lab(name, make_plan(chosen)) as lab:
        topology.start_helper(lab)
        results = run_scenarios(lab, chosen, output, ooni_dir)
    table = Table(title="lab scenarios: probe vs OONI (blocking / accessible / dns_consistency)")
    table.add_column("scenario", overflow="fold")
    for column in ("netvigil", "OONI", "match"):
        table.add_column(column)
    for r in results:
        measured = r.measured.render() if r.measured else f"[red]{escape(r.error or '')}[/]"
        expected = r.expected.render() if r.expected else "?"
        match = {True: "[green]yes[/]", False: "[red]no[/]", None: "?"}[r.matches]
        table.add_row(r.scenario.name, measured, expected, match)
    err_console.print(table)
    bad = sum(1 for r in results if r.matches is False or r.measurement is None)
    err_console.print(
        f"{len(results) - bad}/{len(results)} scenarios match; measurements appended to {output}",
        markup=False,
    )
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``netvigil lab`` to the root app."""
    app.add_typer(lab_app, name="lab")


@lab_app.command("observe")
def observe_command(
    workdir: Path = typer.Option(
        Path("netvigil-observe"), "--workdir", help="Where the store and logs go (replaced)."
    ),
    interval: float = typer.Option(5.0, min=1.0, help="s between a probe's runs."),
    bin_seconds: int = typer.Option(5, "--bin", min=1, help="s per pipeline bin."),
    grace: float = typer.Option(3.0, min=0.0, help="s a bin waits for its data."),
    window: int = typer.Option(10, min=1, help="s of own volume per window."),
    step: list[str] = typer.Option([], "--step", help="Only these steps (a1, a2, b, c)."),
    warm_bins: int = typer.Option(
        4, min=0, help="Bins of every network's data before the first step (own volume)."
    ),
    step_timeout: float = typer.Option(
        150.0, min=10.0, help="s after which a step whose event has not come fails."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="The timeline as JSON on stdout (the text goes to stderr)."
    ),
) -> None:
    """The observatory in the lab: three censored networks, the collector, the pipeline, a story.

    Builds three client networks (each with its own country, ASN and censor), the test helper
    and the collector in an open network, starts the pipeline and one probe per network
    (`probe --every --upload`), then plays the story: (a) a network blocks a domain (DNS) and
    then a service (TLS SNI); (b) a platform goes down for everyone: a platform outage, not
    censorship; (c) a network is shut down: an outage from its missing volume, its spool filling
    the gap when it returns. Prints when each step began, the first measurement showing it,
    its verdict and its event. Time is compressed (probes every few seconds, bins of seconds).
    Runs in its own namespaces (no root needed where the kernel allows user namespaces); the
    kernel removes everything when it ends.

    Example: netvigil lab observe

    Example: netvigil lab observe --workdir /tmp/obs --step a1 --step c
    """
    from netvigil.lab import sandbox

    if not sandbox.inside():
        raise typer.Exit(sandbox.enter(sandbox.reexec_argv()))
    from netvigil.lab.observe import ObserveSettings, observe, prepare_workdir
    from netvigil.lab.timeline import print_story

    work = workdir.resolve()
    prepare_workdir(work)
    conf = ObserveSettings(
        work,
        interval,
        bin_seconds,
        grace,
        window,
        warm_bins=warm_bins,
        step_timeout=step_timeout,
        steps=tuple(s.lower() for s in step),
    )
    started = time.time()

    def say(text: str) -> None:
        err_console.print(f"[dim]{time.time() - started:6.1f}s[/] {text}", highlight=False)

    story = observe(conf, say)
    print_story(story, conf, as_json=as_json)
