"""`netvigil collector`: OONI's probe-services API, so that probes (ours and OONI's) submit here."""

from __future__ import annotations

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
        no_drain: bool = typer.Option(
            False,
            "--no-drain",
            help="Only journal submissions; another collector on the same journal drains it.",
        ),
    ) -> None:
        """Collect measurements: open report, submit, close, check-in, test helpers.

        Every accepted measurement is fsync'd in the intake journal before the probe hears 200,
        then moved into the store (default: the embedded one) by a drainer process, through
        the same analysis as `netvigil ingest`. Anonymous: no account, and the client's
        address is never stored or logged. See docs/collector.md.

        Example: netvigil collector --host 0.0.0.0 --port 8100

        Example: NETVIGIL_COLLECTOR__TEST_LISTS=test-lists/lists netvigil collector
        """
        import uvicorn

        from netvigil.collector import create_app

        settings = settings_of(ctx)
        conf = settings.collector.model_copy(
            update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
        )
        updates: dict[str, object] = {"collector": conf}
        if store is not None:
            updates["store"] = store
        settings = settings.model_copy(update=updates)
        typer.echo(f"netvigil collector on http://{conf.host}:{conf.port}/", err=True)
        uvicorn.run(
            create_app(settings, drain=not no_drain),
            host=conf.host,
            port=conf.port,
            log_level="warning",
            access_log=False,  # the client's address is never logged
            proxy_headers=False,
            server_header=False,
            timeout_keep_alive=30,
        )
