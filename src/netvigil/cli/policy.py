"""`netvigil policy`: laws and treaties, platform responses, joint statements (docs/policy.md).

Who acts: as for ``netvigil incidents``, the local operator with the admin role, or ``--as EMAIL``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from netvigil.cli._context import DbOption, settings_of, tracker_actor
from netvigil.cli.incidents import AsOption

if TYPE_CHECKING:
    from netvigil.incidents import Tracker
    from netvigil.policy.repository import ImportSummary

app = typer.Typer(
    help=(
        "Policy records: legal instruments with their history, platform responses to government "
        "demands with transparency figures, joint statements with their signatories.\n\n"
        "Example: netvigil policy load-demo && netvigil serve"
    ),
    no_args_is_help=True,
)
KINDS = ("instruments", "responses", "figures", "statements")


def register(root: typer.Typer) -> None:
    """Add ``netvigil policy`` to the root app."""
    root.add_typer(app, name="policy")


def _tracker(ctx: typer.Context, db: str | None) -> Tracker:
    from netvigil.incidents import Tracker

    return Tracker.from_settings(settings_of(ctx), url=db)


def _report(summary: ImportSummary) -> None:
    for kind in KINDS:
        created = summary.created.get(kind, 0)
        updated = summary.updated.get(kind, 0)
        unchanged = summary.unchanged.get(kind, 0)
        if created or updated or unchanged:
            typer.echo(f"{kind}: created {created}, updated {updated}, unchanged {unchanged}")


@app.command("load-demo")
def load_demo(ctx: typer.Context, db: DbOption = None, as_user: AsOption = None) -> None:
    """Load the bundled demo dataset (public facts, each with its source URL); loading it again
    changes nothing.

    Hong Kong's Emergency Regulations Ordinance and the 2019 threat, the 2020 national security
    law and platforms' pause on data requests, China's Cybersecurity Law, the UN cybercrime
    convention from the 2017 draft to its signature, the #KeepItOn letter on Hong Kong and the
    2024 joint statement on the UN convention.

    Example: netvigil policy load-demo && netvigil serve --port 8000
    """
    from netvigil.policy.repository import DEMO_DATA, Policy

    with _tracker(ctx, db) as tracker:
        summary = Policy(tracker).load_demo(tracker_actor(tracker, as_user))
    _report(summary)
    typer.echo(f"demo dataset: {DEMO_DATA}")


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ..., help="A .json document, a folder of CSV tables, or transparency_figures.csv."
    ),
    source: str | None = typer.Option(
        None, "--source", help="Source URL for figure rows that give none (one report per file)."
    ),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Import policy records; records are matched by slug (figures by company, jurisdiction,
    kind and period), so importing again updates instead of duplicating. A bad row stops the
    whole import with its file, line and field.

    Example: netvigil policy import google-hk.csv --source https://transparencyreport.google.com/
    """
    from netvigil.policy import io
    from netvigil.policy.repository import Policy

    if source is not None or path.name in ("figures.csv",):
        records = io.read_figures_csv(path, source)
    else:
        records = io.read_path(path)
    with _tracker(ctx, db) as tracker:
        summary = Policy(tracker).import_records(
            records, tracker_actor(tracker, as_user), source=path.name
        )
    _report(summary)


@app.command("export")
def export(
    ctx: typer.Context,
    output: Path = typer.Option(..., "-o", "--output", help="File (.json) or folder (csv)."),
    fmt: str = typer.Option("json", "--format", help="json | csv (a folder of tables)"),
    all_: bool = typer.Option(False, "--all", help="Include drafts (editors' copy)."),
    db: DbOption = None,
) -> None:
    """Export policy records (published ones unless --all) as JSON or CSV tables; importing
    the export recreates the same records.

    Example: netvigil policy export --format csv -o policy-csv/
    """
    from netvigil._errors import InputError
    from netvigil.policy import io
    from netvigil.policy.repository import Policy

    with _tracker(ctx, db) as tracker:
        records = Policy(tracker).export_records(public=not all_)
    if fmt == "json":
        io.write_json(records, output)
        typer.echo(f"wrote {output}")
    elif fmt == "csv":
        for path in io.write_csv_dir(records, output):
            typer.echo(f"wrote {path}")
    else:
        raise InputError("--format must be json or csv", field="--format")


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: str = typer.Argument("instruments", help="instruments | responses | statements"),
    jurisdiction: str | None = typer.Option(None, "--jurisdiction", help="e.g. HK, CN, UN"),
    as_json: bool = typer.Option(False, "--json", help="Print the records as JSON."),
    db: DbOption = None,
) -> None:
    """List published policy records of one kind.

    Example: netvigil policy list statements --jurisdiction HK
    """
    from netvigil._errors import InputError
    from netvigil.policy import serialise
    from netvigil.policy.repository import Policy

    with _tracker(ctx, db) as tracker:
        policy = Policy(tracker)
        if kind == "instruments":
            rows = [serialise.public_instrument(r) for r in
                    policy.list_instruments(public=True, jurisdiction=jurisdiction)]  # fmt: skip
            lines = [f"{r['id']:>4}  {r['jurisdiction']:<6} {r['kind']:<16} "
                     f"{r['short_name_en'] or r['name_en']}" for r in rows]  # fmt: skip
        elif kind == "responses":
            rows = [serialise.public_response(r) for r in
                    policy.list_responses(public=True, jurisdiction=jurisdiction)]  # fmt: skip
            lines = [f"{r['id']:>4}  {r['announced_on']}  {r['company']:<12} {r['response']:<10} "
                     f"{r['demand_kind']}" for r in rows]  # fmt: skip
        elif kind == "statements":
            rows = [serialise.public_statement(r) for r in
                    policy.list_statements(public=True, jurisdiction=jurisdiction)]  # fmt: skip
            lines = [f"{r['id']:>4}  {r['date']}  {r['signatory_count']:>4} signatories  "
                     f"{r['title_en']}" for r in rows]  # fmt: skip
        else:
            raise InputError("expected instruments, responses or statements", field="kind")
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(lines) if lines else f"no {kind} recorded")
