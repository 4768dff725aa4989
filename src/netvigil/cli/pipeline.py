"""`netvigil pipeline`: the continuous path from new verdicts to signals and events."""

from __future__ import annotations

from typing import Annotated

import typer

from netvigil.cli._context import STORE_HELP, err_console, settings_of


def register(app: typer.Typer) -> None:
    """Add ``netvigil pipeline`` to the root app."""
    group = typer.Typer(
        name="pipeline",
        no_args_is_help=True,
        help=(
            "The continuous pipeline: new verdicts -> per-bin signals -> detectors -> events.\n\n"
            "Example: netvigil pipeline run --store /var/lib/netvigil/store"
        ),
    )

    @group.command("run")
    def run_cmd(
        ctx: typer.Context,
        store_url: Annotated[str | None, typer.Option("--store", help=STORE_HELP)] = None,
        once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
        bin_seconds: Annotated[
            int | None, typer.Option("--bin", min=1, help="Bin width in s (pipeline.bin_seconds).")
        ] = None,
        grace: Annotated[
            float | None,
            typer.Option(min=0, help="s a bin waits for its data after it ends (pipeline)."),
        ] = None,
        window: Annotated[
            int | None,
            typer.Option(min=1, help="s of own volume per window (pipeline.volume_window)."),
        ] = None,
        poll: Annotated[
            float | None, typer.Option(min=0.05, help="s between rounds (pipeline.poll_seconds).")
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help="Print events only.")] = False,
    ) -> None:
        """Keep turning new verdicts in the store into signals and events, until stopped.

        Every round reads the verdicts committed since the last one, steps the detectors over
        the bins that have closed (re-running them from a checkpoint when late data arrives),
        writes the bins' signals and the events that opened, closed or were retracted, then
        saves its state. Safe to kill at any moment: it goes on from its last saved round.

        Example: netvigil pipeline run --store /var/lib/netvigil/store

        Example: netvigil pipeline run --once --bin 300 --grace 60
        """
        from netvigil.pipeline.service import open_pipeline, run_forever

        settings = settings_of(ctx)
        updates = {
            k: v
            for k, v in (
                ("bin_seconds", bin_seconds),
                ("grace_seconds", grace),
                ("volume_window_seconds", window),
                ("poll_seconds", poll),
            )
            if v is not None
        }
        if updates:
            settings = settings.model_copy(
                update={"pipeline": settings.pipeline.model_copy(update=updates)}
            )
        url = store_url or settings.store_url
        with open_pipeline(settings, url) as pipeline:
            if not quiet:
                p = settings.pipeline
                err_console.print(
                    f"pipeline on {pipeline.state.store}: bins of {p.bin_seconds} s, grace "
                    f"{p.grace_seconds:g} s, volume window {pipeline.window} bin(s), late data "
                    f"up to {p.horizon_hours:g} h",
                    highlight=False,
                )
            run_forever(pipeline, settings.pipeline.poll_seconds, once=once, quiet=quiet)

    @group.command("status")
    def status_cmd(
        ctx: typer.Context,
        store_url: Annotated[str | None, typer.Option("--store", help=STORE_HELP)] = None,
    ) -> None:
        """Where the pipeline of a store stands: its cursor, the next bin, its checkpoints.

        Example: netvigil pipeline status --store /var/lib/netvigil/store
        """
        import msgspec

        from netvigil.models.events import from_epoch, iso
        from netvigil.pipeline.state import PipelineState, state_paths

        settings = settings_of(ctx)
        path, _ = state_paths(settings.pipeline_dir, store_url or settings.store_url)
        if not path.is_file():
            typer.echo(f"no pipeline has run on this store yet ({path})")
            return
        state = msgspec.msgpack.decode(path.read_bytes(), type=PipelineState)
        typer.echo(f"store       {state.store}")
        typer.echo(f"bins        {state.bin} s, volume window {state.window} bin(s)")
        typer.echo(f"cursor      commit {state.cursor} (verdicts generation {state.generation})")
        typer.echo(f"next bin    {iso(from_epoch(state.stepped))}")
        typer.echo(f"checkpoints {', '.join(iso(from_epoch(c.at)) for c in state.checkpoints)}")

    @group.command("events")
    def events_cmd(
        ctx: typer.Context,
        store_url: Annotated[str | None, typer.Option("--store", help=STORE_HELP)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    ) -> None:
        """The events in the store, latest version of each, in the order they last changed.

        Example: netvigil pipeline events --store netvigil-observe/store --json
        """
        import orjson

        from netvigil.cli._context import store_of
        from netvigil.pipeline.service import describe

        with store_of(ctx, store_url, writable=False) as store:
            feed = store.events()
        for stored in feed.events:
            if as_json:
                typer.echo(orjson.dumps(stored.event.to_json()).decode())
            else:
                typer.echo(describe(stored.event))
        if not as_json:
            err_console.print(f"{len(feed.events)} event(s)")

    app.add_typer(group)
