"""`netvigil collector`: OONI's probe-services API, so that probes (ours and OONI's) submit here."""

from __future__ import annotations

from typing import Any

import typer

from netvigil.cli._context import settings_of


def register(app: typer.Typer) -> None:
    """Add ``netvigil collector`` to the root app."""

    @app.command("collector")
    def collector(
        ctx: typer.Context,
        host: str | None = typer.Option(None, "--host", help="Address to listen on."),
        port: int | None = typer.Option(None, "--port", help="TCP port (collector.port)."),
        store: str | None = typer.Option(None, "--store", help="Store URL (default: `store`)."),
        workers: int = typer.Option(
            1, "--workers", min=1, max=64, help="Server processes (each journals on its own)."
        ),
        no_drain: bool = typer.Option(
            False,
            "--no-drain",
            help="Only journal submissions; another collector on the same journal drains it.",
        ),
        with_pipeline: bool = typer.Option(
            False,
            "--pipeline",
            help="Also run the continuous pipeline (docs/pipeline.md) in a process beside.",
        ),
    ) -> None:
        """Collect measurements: open report, submit, close, check-in, test helpers.

        Every accepted measurement is fsync'd in the intake journal before the probe hears 200,
        then moved into the store (default: the embedded one) by a drainer process, through
        the same analysis as `netvigil ingest`. Anonymous: no account, and the client's
        address is never stored or logged. See docs/collector.md.

        Example: netvigil collector --host 0.0.0.0 --port 8100

        Example: NETVIGIL_COLLECTOR__TEST_LISTS=test-lists/lists netvigil collector

        Example: netvigil collector --workers 2

        Example: netvigil collector --pipeline
        """
        import os

        from netvigil.cli._serving import bind, serve
        from netvigil.collector import (
            WORKER_APP,
            create_app,
            start_drainer,
            worker_environment,
        )

        settings = settings_of(ctx)
        conf = settings.collector.model_copy(
            update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
        )
        updates: dict[str, object] = {"collector": conf}
        if store is not None:
            updates["store"] = store
        settings = settings.model_copy(update=updates)
        # Bound before saying so, served with the request deadlines of the site's server
        # (cli/_serving: slowloris, security audit L3) -- the collector is just as public.
        sock = bind(conf.host, conf.port)
        typer.echo(f"netvigil collector on http://{conf.host}:{conf.port}/", err=True)
        common: dict[str, Any] = {
            "access_log": False,  # the client's address is never logged
            "proxy_headers": False,
            "server_header": False,
        }
        from netvigil.pipeline.service import PipelineProcess

        pipeline = PipelineProcess(settings, settings.store_url) if with_pipeline else None
        try:
            if workers == 1:
                serve(create_app(settings, drain=not no_drain), sock, **common)
                return
            # Several processes, each with its own journal file; one drainer, run from here.
            os.environ.update(worker_environment(settings))
            drainer = None if no_drain else start_drainer(settings)
            try:
                serve(WORKER_APP, sock, factory=True, workers=workers, **common)
            finally:
                if drainer is not None:
                    drainer.stop()
        finally:
            if pipeline is not None:
                pipeline.stop()
