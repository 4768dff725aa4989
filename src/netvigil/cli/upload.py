"""`netvigil upload`: send the probe's spool to a collector, with OONI's retry rule."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from netvigil.cli._context import err_console, settings_of

if TYPE_CHECKING:
    from netvigil._settings import ProbeSettings
    from netvigil.probe.upload import UploadReport


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def summary_line(report: UploadReport, spool: Path) -> str:
    """What the attempt did and what is left, in one line."""
    parts = [f"uploaded {report.sent}"]
    if report.reopened:
        parts.append(f"{report.reopened} report(s) opened again")
    if report.refused:
        parts.append(f"{report.refused} refused by the collector (see {spool}.upload/acked.log)")
    parts.append(f"{report.left} left in {spool}")
    if report.left and report.next_attempt:
        why = f"collector unreachable ({report.unreachable})"
        parts.append(f"{why}; next attempt {when(report.next_attempt)}")
    return "; ".join(parts)


def run_upload(
    spool: Path,
    url: str,
    probe: ProbeSettings,
    *,
    wait: bool,
    respect_backoff: bool,
    show_progress: bool,
) -> UploadReport:
    """Upload ``spool`` to ``url`` with a progress bar; ``wait``: sleep through the back-off
    and try again until nothing is left."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from netvigil.probe.upload import upload_spool

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not show_progress,
    )
    task = progress.add_task("uploading", total=None)

    def advance(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    with progress:
        while True:
            report = asyncio.run(
                upload_spool(
                    spool,
                    url,
                    timeout=probe.upload_timeout,
                    backoff=probe.upload_backoff,
                    backoff_max=probe.upload_backoff_max,
                    concurrency=probe.upload_concurrency,
                    respect_backoff=respect_backoff,
                    on_progress=advance,
                )
            )
            if not wait or not report.left or report.next_attempt is None:
                return report
            progress.update(
                task, description=f"collector unreachable; next attempt {when(report.next_attempt)}"
            )
            time.sleep(max(0.0, report.next_attempt - time.time()))
            progress.update(task, description="uploading", completed=0)
            respect_backoff = False


def register(app: typer.Typer) -> None:
    """Add ``netvigil upload`` to the root app."""

    @app.command("upload")
    def upload(
        ctx: typer.Context,
        files: list[Path] = typer.Argument(
            None, help="JSONL files the probe wrote (--output); default: the probe's spool."
        ),
        spool: bool = typer.Option(False, "--spool", help="Also upload the probe's spool."),
        collector: str | None = typer.Option(
            None, "--collector", help="Collector URL (default: probe.collector_url)."
        ),
        once: bool = typer.Option(
            False, "--once", help="One attempt: do not wait through the back-off."
        ),
        no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
    ) -> None:
        """Send the measurements the collector has not acknowledged yet.

        OONI's retry rule: up to 3 immediate retries on network errors, then waits of 15
        minutes (probe.upload_backoff) doubling up to 6 hours, until everything is sent
        (--once: stop after the first failed attempt). Resumable (what was acknowledged is
        remembered in <file>.upload/) and idempotent (a measurement sent twice is stored
        once). Exit code 5 when measurements are left.

        Example: netvigil upload --spool --collector https://collector.example.org

        Example: netvigil upload lab.jsonl --collector http://127.0.0.1:8100 --once
        """
        from netvigil._errors import ConfigError

        settings = settings_of(ctx)
        url = collector or settings.probe.collector_url
        if not url:
            raise ConfigError(
                "no collector to upload to", hint="pass --collector URL or set probe.collector_url"
            )
        paths = list(files or [])
        if spool or not paths:
            paths.append(settings.spool_path)
        left = 0
        for path in paths:
            report = run_upload(
                path,
                url,
                settings.probe,
                wait=not once,
                respect_backoff=False,
                show_progress=not no_progress and err_console.is_terminal,
            )
            for problem in report.problems:
                err_console.print(f"refused: {problem}", markup=False, highlight=False)
            err_console.print(summary_line(report, path), markup=False, highlight=False)
            left += report.left
        if left:
            raise typer.Exit(5)
