"""`netvigil serve`: the incident tracker's public site, JSON API and editor area."""

from __future__ import annotations

import os
from typing import Any

import typer

from netvigil.cli._context import settings_of


def register(app: typer.Typer) -> None:
    """Add ``netvigil serve`` to the root app."""

    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: str | None = typer.Option(None, "--host", help="Address to listen on (web.host)."),
        port: int | None = typer.Option(
            None, "--port", min=1, max=65535, help="TCP port (web.port)."
        ),
        db: str | None = typer.Option(
            None, "--db", help="Tracker database URL (sqlite:///... or postgresql://...)."
        ),
        workers: int = typer.Option(
            1,
            "--workers",
            min=1,
            max=64,
            help="Server processes (use the cores; the login throttle is counted per process).",
        ),
        with_collector: bool = typer.Option(
            False,
            "--collector",
            help="Also answer OONI's probe-services calls (the collector, docs/collector.md).",
        ),
        insecure_cookies: bool = typer.Option(
            False,
            "--insecure-cookies",
            help="Drop the Secure cookie flag, for plain-http use on localhost only.",
        ),
    ) -> None:
        """Serve the incident tracker: public pages, JSON/CSV API, editor area, /docs.

        Example: netvigil serve --port 8080 --db sqlite:///incidents.sqlite --insecure-cookies

        Example: netvigil serve --workers 2

        Example: netvigil serve --collector --port 8080
        """
        from netvigil.cli._serving import bind, serve
        from netvigil.web import create_app

        settings = settings_of(ctx)
        updates: dict[str, object] = {}
        if db is not None:
            updates["db"] = db
        web_updates: dict[str, object] = {}
        if host is not None:
            web_updates["host"] = host
        if port is not None:
            web_updates["port"] = port
        if insecure_cookies:
            web_updates["secure_cookies"] = False
        if web_updates:
            updates["web"] = settings.web.model_copy(update=web_updates)
        if updates:
            settings = settings.model_copy(update=updates)
        common: dict[str, Any] = {"proxy_headers": False}
        if with_collector:
            if workers != 1:
                from netvigil._errors import InputError

                raise InputError(
                    "--collector runs in one process", hint="run `netvigil collector` beside it"
                )
            from netvigil.collector import create_app as collector_app

            application = collector_app(settings, fallback=create_app(settings))
            sock = bind(settings.web.host, settings.web.port)
            typer.echo(f"netvigil tracker on http://{settings.web.host}:{settings.web.port}/")
            serve(application, sock, access_log=False, server_header=False, **common)
            return
        if workers == 1:
            application = create_app(settings)  # a bad database fails before the port is taken
            sock = bind(settings.web.host, settings.web.port)
            typer.echo(f"netvigil tracker on http://{settings.web.host}:{settings.web.port}/")
            serve(application, sock, **common)
            return
        # Several processes: what they share is settled before they start (web.worker_environment),
        # then each worker's app factory reads the settings from its environment.
        from netvigil.web import WORKER_APP, worker_environment

        os.environ.update(worker_environment(settings))
        sock = bind(settings.web.host, settings.web.port)
        typer.echo(f"netvigil tracker on http://{settings.web.host}:{settings.web.port}/")
        serve(WORKER_APP, sock, factory=True, workers=workers, **common)
