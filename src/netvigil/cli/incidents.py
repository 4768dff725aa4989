"""`netvigil incidents`: the incident tracker from the command line.

Who acts: by default the local operator ``cli:<login>`` with the admin role (whoever can open the
database file or URL already controls it); ``--as EMAIL`` acts as a registered tracker user
instead, with that user's role enforced.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netvigil.cli import users
from netvigil.cli._context import DbOption, err_console, settings_of, tracker_actor

if TYPE_CHECKING:
    from netvigil.incidents import Tracker

AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this registered user (role enforced).")
]

app = typer.Typer(
    help=(
        "The incident tracker: STOP import/export, statistics, workflow, users, audit log.\n\n"
        "Example: netvigil incidents import ../shared/data/stop/Keepiton_raw_dataset_2016-2022.xlsx"
    ),
    no_args_is_help=True,
)
user_app = typer.Typer(
    help="Tracker users: add, list, disable, enable, role, passwd.\n\n"
    "Example: netvigil incidents user add ed@example.org --role editor",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="The hash-chained audit log.\n\nExample: netvigil incidents audit verify",
    no_args_is_help=True,
)
law_app = typer.Typer(
    help="Legal instruments and legal basis.\n\n"
    'Example: netvigil incidents law add "Telegraph Act 1885" --kind law --jurisdiction IN',
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")
users.register(user_app)  # list, disable, enable, role, passwd (audited; security audit M6)
app.add_typer(law_app, name="law")
app.add_typer(audit_app, name="audit")


def register(root: typer.Typer) -> None:
    """Add ``netvigil incidents`` to the root app."""
    root.add_typer(app, name="incidents")


def _tracker(ctx: typer.Context, db: str | None) -> Tracker:
    from netvigil.incidents import Tracker

    return Tracker.from_settings(settings_of(ctx), url=db)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="STOP workbook (.xlsx) or CSV, or a stop-csv export."),
    db: DbOption = None,
    as_user: AsOption = None,
    show: int = typer.Option(20, "--show-problems", help="How many bad cells to list."),
    merge_report: Path | None = typer.Option(
        None, "--merge-report", help="Write every link made (what merged and why) to this CSV."
    ),
) -> None:
    """Import Access Now STOP data; re-importing the same file updates, never duplicates.

    Rows become *published* incidents (Access Now's published data); "Need more details" rows
    become *reported* drafts. Unparseable cells are listed by sheet/row/column; the row is kept.
    Values no codebook vocabulary knows are listed. Rows that report a shutdown already
    reported (another edition of the same year, or the next year's report of an ongoing
    shutdown) are linked to it: counts per report year stay Access Now's.

    Example: netvigil incidents import ../shared/data/stop/Keepiton_raw_dataset_2016-2022.xlsx
    """
    from rich.progress import Progress

    from netvigil.incidents.stop_io import read_stop

    rows, sheets = read_stop(file)
    with _tracker(ctx, db) as tracker:
        actor = tracker_actor(tracker, as_user)
        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task(f"importing {file.name}", total=len(rows))
            result = tracker.import_stop_rows(
                rows,
                actor,
                source=file.name,
                progress=lambda n: progress.update(task, completed=n),
            )
    for sheet in sheets:
        typer.echo(f"{sheet.sheet!r}: {sheet.data_rows} data rows ({sheet.generation} schema)")
    typer.echo(
        f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}; "
        f"{len(result.problems)} unparseable cells kept as raw values"
    )
    for p in result.problems[:show]:
        typer.echo(
            f"  {file.name}: sheet {p['sheet']!r} row {p['row']} column {p['column']!r}"
            f"{' (' + p['cell'] + ')' if p.get('cell') else ''}: "
            f"{p['raw']!r} is not {p['expected']}"
        )
    if len(result.problems) > show:
        typer.echo(f"  ... and {len(result.problems) - show} more (--show-problems N)")
    if result.unmapped:
        typer.echo(f"{len(result.unmapped)} values map to no codebook term (docs/incidents.md):")
        for (vocab, column, value), n in sorted(result.unmapped.items()):
            typer.echo(f"  {vocab}: column {column!r} value {value!r} ({n} rows)")
    else:
        typer.echo("every value maps to a codebook term")
    if result.episodes:
        typer.echo(f"hours read from STOP's text into episodes: {result.episodes} incidents")
    _report_links(result.links, merge_report)


def _report_links(links: list[dict[str, object]], path: Path | None) -> None:
    """Say what merged and why (one line per kind; every link in the CSV report)."""
    import csv
    from collections import Counter

    if not links:
        typer.echo("links between reports of one shutdown: unchanged")
    kinds = Counter(str(link["kind"]) for link in links)
    words = {
        "edition": "rows are the same report in another edition (merged, not counted again)",
        "superseded": "rows are only in an edition a later one replaces (kept, not counted)",
        "carry_over": "rows report again a shutdown of an earlier year (one incident, "
        "each report counted in its year)",
        "None": "rows are no longer linked",
    }
    for kind, n in sorted(kinds.items()):
        typer.echo(f"{n} {words.get(kind, kind)}")
    for link in [item for item in links if item["kind"] == "superseded"][:20]:
        typer.echo(f"  {link['reason']}")
    if path is not None:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(
                fh, fieldnames=["id", "sheet", "row", "kind", "same_as", "reason"]
            )
            writer.writeheader()
            for link in links:
                writer.writerow({k: link.get(k) for k in writer.fieldnames})
        typer.echo(f"merge report: {path}")


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: str = typer.Option("stop-csv", "--format", help="stop-csv | json"),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
    include_drafts: bool = typer.Option(
        False, "--all", help="Every status, and private fields in json (never publish this)."
    ),
    db: DbOption = None,
) -> None:
    """Export incidents: published only unless --all.

    stop-csv has the 45 STOP 2020-2022 columns plus natural_key, status, report_year,
    country_code, stop_sheet, stop_row and the original row (stop_raw_json); importing it
    again gives the same records.

    Example: netvigil incidents export --format stop-csv -o stop.csv
    """
    from netvigil._errors import InputError
    from netvigil.incidents.stop_io import write_json, write_stop_csv

    if fmt not in ("stop-csv", "json"):
        raise InputError("expected stop-csv or json", field="--format")
    from netvigil._files import open_private

    with _tracker(ctx, db) as tracker:
        items = tracker.iter_incidents(public=not include_drafts, stop_source=True)
        # --all holds private fields: the file is created owner-only (audit M8)
        out = sys.stdout if output is None else open_private(output, newline="")
        try:
            if fmt == "stop-csv":
                count = write_stop_csv(items, out)
            else:
                count = write_json(items, out, public=not include_drafts)
        finally:
            if output is not None:
                out.close()
    err_console.print(f"exported {count} incidents")


@app.command("stats")
def stats(
    ctx: typer.Context,
    by: str = typer.Option("year", "--by", help="year | country | type"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object group -> count."),
    include_drafts: bool = typer.Option(False, "--all", help="Count every status."),
    convention: str = typer.Option(
        "incidents",
        "--count",
        help="incidents (STOP rows) | outages (Cloudflare: one per episode) | "
        "events (IODA: one per daily window)",
    ),
    db: DbOption = None,
) -> None:
    """Count published incidents per report year, country or shutdown type.

    A STOP row's year is the report year of its sheet (the year column in 2016-2018), as
    Access Now counts.

    Example: netvigil incidents stats --by year --json
    """
    with _tracker(ctx, db) as tracker:
        counts = tracker.stats(by, public=not include_drafts, convention=convention)
    if as_json:
        typer.echo(json.dumps(counts, ensure_ascii=False))
        return
    for group, n in counts.items():
        typer.echo(f"{group}\t{n}")


@app.command("create")
def create(
    ctx: typer.Context,
    country: str = typer.Option(..., "--country", help="Country name as STOP writes it."),
    start_date: str = typer.Option(..., "--start-date", help="YYYY-MM-DD"),
    shutdown_type: str = typer.Option("Shutdown", "--type", help="Shutdown | Throttle | ..."),
    title: str | None = typer.Option(None, "--title"),
    field: list[str] = typer.Option([], "--field", help="Any other field: name=value."),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Create a draft incident (status reported) and print its id.

    Example: netvigil incidents create --country Iran --start-date 2024-01-02 --title Tehran
    """
    from netvigil._errors import InputError

    data: dict[str, str] = {
        "country": country,
        "start_date": start_date,
        "shutdown_type": shutdown_type,
    }
    if title:
        data["title"] = title
    for item in field:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"expected name=value, got {item!r}", field="--field")
        data[name.strip()] = value
    with _tracker(ctx, db) as tracker:
        incident = tracker.create_incident(data, tracker_actor(tracker, as_user))
    typer.echo(str(incident.id))


@app.command("show")
def show(
    ctx: typer.Context,
    incident_id: int = typer.Argument(...),
    public: bool = typer.Option(False, "--public", help="Only what the public sees."),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Print one incident as JSON (private view with sources unless --public).

    Example: netvigil incidents show 42 --public
    """
    from netvigil.incidents import private_dict, public_dict

    with _tracker(ctx, db) as tracker:
        tracker_actor(tracker, as_user)  # an unknown --as user is an error, not a silent admin
        incident = tracker.get_incident(incident_id, public=public)
    record = public_dict(incident) if public else private_dict(incident)
    typer.echo(json.dumps(record, ensure_ascii=False, indent=2))


def _move(
    ctx: typer.Context,
    incident_id: int,
    status: str,
    db: str | None,
    as_user: str | None,
    note: str | None = None,
) -> None:
    with _tracker(ctx, db) as tracker:
        incident = tracker.set_status(incident_id, status, tracker_actor(tracker, as_user), note)
    typer.echo(f"incident {incident.id} is now {incident.status}")


@app.command("corroborate")
def corroborate(
    ctx: typer.Context,
    incident_id: int = typer.Argument(...),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Mark a reported incident corroborated (a second source agrees).

    Example: netvigil incidents corroborate 42
    """
    _move(ctx, incident_id, "corroborated", db, as_user)


@app.command("verify")
def verify(
    ctx: typer.Context,
    incident_id: int = typer.Argument(...),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Mark a corroborated incident verified (a person checked the evidence).

    Example: netvigil incidents verify 42
    """
    _move(ctx, incident_id, "verified", db, as_user)


@app.command("publish")
def publish(
    ctx: typer.Context,
    incident_id: int = typer.Argument(...),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Publish a verified incident (admins only).

    Example: netvigil incidents publish 42
    """
    _move(ctx, incident_id, "published", db, as_user)


@app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    incident_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Withdraw an incident (it leaves every public view; the audit log keeps the trace).

    Example: netvigil incidents withdraw 42 --reason "source at risk"
    """
    _move(ctx, incident_id, "withdrawn", db, as_user, note=reason)


@app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    incident_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why it is not an incident (audited)."),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Dismiss a draft (e.g. a detected event that was a measurement artefact); it can be
    reopened as reported.

    Example: netvigil incidents dismiss 42 --reason "probe misconfigured, not censorship"
    """
    with _tracker(ctx, db) as tracker:
        incident = tracker.dismiss(incident_id, reason, tracker_actor(tracker, as_user))
    typer.echo(f"incident {incident.id} is now {incident.status}")


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep: int = typer.Argument(..., help="The draft that stays."),
    other: int = typer.Argument(..., help="The draft merged into it (then dismissed)."),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Merge two drafts of one disruption: the evidence of OTHER moves to KEEP, whose span
    covers both; OTHER is dismissed ("merged into #KEEP").

    Example: netvigil incidents merge 42 43
    """
    with _tracker(ctx, db) as tracker:
        incident = tracker.merge_drafts(keep, other, tracker_actor(tracker, as_user))
    typer.echo(f"incident {other} merged into {incident.id}")


@app.command("evidence")
def evidence(
    ctx: typer.Context,
    incident_id: int = typer.Argument(...),
    kind: str = typer.Option(..., "--kind", help="measurement | event | url | document"),
    value: str | None = typer.Option(None, "--value", help="Measurement/event id or URL."),
    file: Path | None = typer.Option(
        None, "--file", help="A document: stored by its SHA-256 (PDF, image or text)."
    ),
    description: str | None = typer.Option(None, "--description"),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Attach evidence to an incident. A document (--file) is stored by its SHA-256 in the
    data directory (size cap and type check as in the editor); a measurement id must be in the
    analytical store, whose verdict is recorded with it.

    Example: netvigil incidents evidence 42 --kind document --file order-2024-01.pdf
    """
    from netvigil._errors import InputError
    from netvigil.incidents.evidence import EvidenceFiles, event_snapshot, measurement_verdict

    settings = settings_of(ctx)
    extra: dict[str, object] = {}
    sha256 = None
    if file is not None:
        if not file.is_file():
            raise InputError("no such file", path=file)
        files = EvidenceFiles(settings.evidence_dir, settings.web.max_upload_bytes)
        with file.open("rb") as fh:
            stored = files.save(iter(lambda: fh.read(1 << 20), b""), file.name)
        sha256, value = stored.sha256, value or file.name
        extra = {"media_type": stored.media_type, "size_bytes": stored.size}
    if not value:
        raise InputError("give --value (or --file for a document)", field="--value")
    if kind == "measurement":
        extra["verdict"] = measurement_verdict(settings.store_url, value)
    elif kind == "event":
        extra["verdict"] = event_snapshot(settings.store_url, value)
    with _tracker(ctx, db) as tracker:
        item = tracker.attach_evidence(
            incident_id,
            kind,
            value,
            tracker_actor(tracker, as_user),
            sha256=sha256,
            description=description,
            **extra,  # type: ignore[arg-type]
        )
    typer.echo(
        f"evidence {item.id} on incident {incident_id}" + (f" sha256 {sha256}" if sha256 else "")
    )


@law_app.command("add")
def law_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Official name of the instrument."),
    kind: str = typer.Option(
        ...,
        "--kind",
        help="law | emergency_regulation | cybercrime_law | treaty | decree | court_order | other",
    ),
    jurisdiction: str = typer.Option(..., "--jurisdiction", help="ISO code, or UN, AU..."),
    articles: str | None = typer.Option(None, "--articles"),
    status: str | None = typer.Option(None, "--status", help="draft | in_force | repealed..."),
    adopted_on: str | None = typer.Option(None, "--adopted-on", help="YYYY-MM-DD"),
    link: list[str] = typer.Option([], "--link", help="Where to read it (repeatable)."),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Record a legal instrument (law, emergency regulation, cybercrime law, treaty...).

    Example: netvigil incidents law add "Telegraph Act 1885" --kind law --jurisdiction IN
    """
    data = {
        "name": name,
        "kind": kind,
        "jurisdiction": jurisdiction,
        "articles": articles,
        "status": status,
        "adopted_on": adopted_on,
        "links": link,
    }
    with _tracker(ctx, db) as tracker:
        law = tracker.add_legal_instrument(data, tracker_actor(tracker, as_user))
    typer.echo(str(law.id))


@law_app.command("link")
def law_link(
    ctx: typer.Context,
    incident_id: int = typer.Argument(...),
    instrument_id: int = typer.Argument(...),
    articles: str | None = typer.Option(None, "--articles", help="The articles invoked."),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Cite a legal instrument as an incident's legal basis.

    Example: netvigil incidents law link 42 3 --articles "s. 5(2)"
    """
    with _tracker(ctx, db) as tracker:
        tracker.link_legal_basis(
            incident_id, instrument_id, tracker_actor(tracker, as_user), articles=articles
        )
    typer.echo(f"incident {incident_id} cites instrument {instrument_id}")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    role: str = typer.Option("editor", "--role", help="viewer | editor | admin"),
    name: str | None = typer.Option(None, "--name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin (for scripts)."
    ),
    db: DbOption = None,
) -> None:
    """Add a tracker user (the password is hashed with argon2id).

    Example: netvigil incidents user add admin@example.org --role admin
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _tracker(ctx, db) as tracker:
        actor = tracker.create_user(email, password, role=role, name=name)
    typer.echo(f"user {actor.name} ({actor.role}) id {actor.user_id}")


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    expect_head: str | None = typer.Option(
        None, "--expect-head", help="Head hash noted earlier: detects deleted newest entries."
    ),
    db: DbOption = None,
) -> None:
    """Check the audit log's hash chain, then the data against it (exit 4 if tampered).

    The chain: every entry unchanged, none deleted or reordered (the newest ones only with
    --expect-head). The data: each incident's status, publication, title, country, dates and
    private sources, and each user's email, role, active flag and password, as the last audit
    entry about it recorded them; a difference is a change made outside netvigil. Other fields,
    episodes, evidence and policy records are not compared. Rows from before netvigil recorded
    these are "not yet sealed": check them, then `netvigil incidents audit seal`.

    Example: netvigil incidents audit verify --expect-head 3f5a...
    """
    from netvigil._errors import StoreError
    from netvigil.incidents.audit_data import SHOWN_PROBLEMS

    with _tracker(ctx, db) as tracker:
        report = tracker.verify_audit(expect_head)
        if not report.ok:
            raise StoreError(
                f"audit log tampered: entry {report.first_bad_seq}: {report.reason} "
                f"({report.entries} entries check out before it)"
            )
        data = tracker.verify_data(report)
    if not data.ok:
        shown = "\n  ".join(data.problems[:SHOWN_PROBLEMS])
        more = len(data.problems) - SHOWN_PROBLEMS
        raise StoreError(
            f"data tampered: {len(data.problems)} row(s) differ from the audit log:\n  {shown}"
            + (f"\n  ... and {more} more" if more > 0 else ""),
            hint="compare with a backup; the log says what each row should be",
        )
    unsealed = f"; {data.unsealed} row(s) not yet sealed" if data.unsealed else ""
    typer.echo(
        f"audit log intact: {report.entries} entries, head {report.head}; data matches it:"
        f" {data.checked} incidents and users checked{unsealed}"
    )


@audit_app.command("seal")
def audit_seal(ctx: typer.Context, db: DbOption = None, as_user: AsOption = None) -> None:
    """Record the present state of every incident and user in the audit log (audited).

    For a tracker written before netvigil recorded these states, or after a repair: check
    the data first, since `audit verify` then takes it as the reference.

    Example: netvigil incidents audit seal
    """
    with _tracker(ctx, db) as tracker:
        seq = tracker.seal_audit(tracker_actor(tracker, as_user))
    typer.echo(f"sealed: audit entry {seq} records every incident and user as they are now")
