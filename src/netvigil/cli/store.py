"""`netvigil store copy FROM TO`: move a store between backends (embedded <-> ClickHouse)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from netvigil._errors import StoreError
from netvigil.cli._context import err_console, settings_of


def register(app: typer.Typer) -> None:
    """Add this command group to the root app."""
    group = typer.Typer(
        name="store",
        no_args_is_help=True,
        help=(
            "Manage analytical stores.\n\n"
            "Example: netvigil store copy /var/lib/netvigil/store clickhouse://netvigil:pw@db:8123"
        ),
    )

    @group.command("copy")
    def copy_cmd(
        ctx: typer.Context,
        source_url: Annotated[str, typer.Argument(metavar="FROM", help="store to read")],
        target_url: Annotated[str, typer.Argument(metavar="TO", help="store to write")],
        chunk: Annotated[int, typer.Option(min=1, help="measurements per commit")] = 10_000,
        as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    ) -> None:
        """Copy every tier of FROM into TO, then check counts and a checksum per tier.

        Resumable: run it again after an interruption; what TO holds is not copied twice.
        URLs: a directory or file: URL (embedded), chdb:PATH, clickhouse://USER:PW@HOST:8123/DB.

        Example: netvigil store copy ~/.local/share/netvigil/store chdb:/srv/netvigil/ch
        """
        import orjson
        from rich.progress import Progress

        from netvigil.store import open_store, shown
        from netvigil.store.copy import copy_store

        settings = settings_of(ctx)
        timeout = settings.store_lock_timeout
        if shown(source_url) == shown(target_url):
            raise StoreError("FROM and TO are the same store")
        with (
            open_store(source_url, writable=False, lock_timeout=timeout) as source,
            open_store(target_url, lock_timeout=timeout) as target,
            Progress(console=err_console, transient=True, disable=as_json) as bar,
        ):
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(f"{stage} (days)", total=total)
                bar.update(tasks[stage], completed=done)

            report = copy_store(source, target, chunk=chunk, on_progress=progress)
        tiers = {
            tier: {
                "source_rows": c.source_rows,
                "target_rows": c.target_rows,
                "checksum": f"{c.source_sum:016x}",
                "target_checksum": f"{c.target_sum:016x}",
                "ok": c.ok,
            }
            for tier, c in report.tiers.items()
        }
        summary = {
            "from": shown(source_url),
            "to": shown(target_url),
            "days": report.days,
            "days_already_copied": report.days_skipped,
            "measurements_copied": report.measurements,
            "already_in_target": report.duplicates,
            "signal_imports": report.signal_imports,
            "events": report.events,
            "verified": report.verified,
            "tiers": tiers,
        }
        if as_json:
            typer.echo(orjson.dumps(summary).decode())
        else:
            typer.echo(
                f"copied {report.measurements} measurements over {report.days} days"
                f" ({report.days_skipped} days already there, {report.duplicates} already in"
                f" the target), {report.signal_imports} signal imports, {report.events} events"
            )
            for tier, check in tiers.items():
                state = "ok" if check["ok"] else "MISMATCH"
                typer.echo(
                    f"  {tier:<13} {check['source_rows']:>10} -> {check['target_rows']:<10}"
                    f" checksum {check['checksum']} -> {check['target_checksum']}  {state}"
                )
        if not report.verified:
            bad = ", ".join(t for t, c in tiers.items() if not c["ok"])
            raise StoreError(f"the copy differs from its source in: {bad}")

    app.add_typer(group)
