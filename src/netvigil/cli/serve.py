"""`netvigil serve`: the incident tracker's public site, JSON API and editor area."""

from __future__ import annotations

import typer

from netvigil.cli._context import settings_of


def register(app: typer.Typer) -> None:
    """Add ``netvigil serve`` to the root app."""

    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: str | None = typer.Option(None, "--host", help="Address to listen on (web.host)."),
        port: int | None = typer.Option(None, "--port", help="TCP port (web.port)."),
        db: str | None = typer.Option(
            None, "--db", help="Tracker database URL (sqlite:///... or postgresql://...)."
        ),
        insecure_cookies: bool = typer.Option(
            False,
            "--insecure-cookies",
            help="Drop the Secure cookie flag, for plain-http use on localhost only.",
        ),
    ) -> None:
        """Serve the incident tracker: public pages, JSON/CSV API, editor area, /docs.

        Example: netvigil serve --port 8080 --db sqlite:///incidents.sqlite --insecure-cookies
        """
        import uvicorn

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
        web_app = create_app(settings)
        typer.echo(f"netvigil tracker on http://{settings.web.host}:{settings.web.port}/")
        uvicorn.run(
            web_app,
            host=settings.web.host,
            port=settings.web.port,
            log_level="warning",
            proxy_headers=False,
        )
