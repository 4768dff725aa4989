"""`netvigil verdict`: one JSON verdict per measurement of OONI JSONL / .jsonl.gz / JSON files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

HELP = """Decide what happened in each measurement and print one JSON verdict per line.

Reads OONI measurements of every test and data-format version: JSONL, .jsonl.gz, or a single
JSON / .jsonc (JSON with // comments) document. A bad line is reported as `file:line: reason` on
stderr and skipped. With an IP table (--ip-table or analysis.ip_table) DNS answers and the
control's addresses are compared by ASN as OONI does; without one, only the ASNs recorded in
the measurement are used (stderr says so). Verdict fields: docs/outcomes.md; rules:
docs/rules.md.

Example: netvigil verdict m.jsonl.gz --fingerprints ../shared/data/ooni/blocking-fingerprints
"""


# What ``verdict``, ``ingest`` and ``analyze`` say when no IP table is configured.
NO_IP_TABLE = (
    "note: no IP table configured (--ip-table / analysis.ip_table): DNS answers are compared with"
    " the control's by address and by the ASNs recorded in each measurement only"
)


def register(app: typer.Typer) -> None:
    """Add ``netvigil verdict`` to the root app."""
    app.command("verdict", help=HELP)(verdict)


def verdict(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Measurement files (.jsonl, .jsonl.gz, .json)."),
    fingerprints: str | None = typer.Option(
        None,
        "--fingerprints",
        help="Directory or URL with OONI's fingerprints_{dns,http}.csv "
        "(default: settings analysis.fingerprints).",
    ),
    ip_table: Path | None = typer.Option(
        None,
        "--ip-table",
        help="IP -> ASN/country: .mmdb or CSV range table (default: settings analysis.ip_table).",
    ),
) -> None:
    import sys

    import orjson

    from netvigil._errors import InputError
    from netvigil.analysis import Fingerprints, verdict_of
    from netvigil.analysis.iptable import IpTable
    from netvigil.cli._context import settings_of
    from netvigil.ingest.sources import Damage, read_measurements

    settings = settings_of(ctx).analysis
    source = fingerprints or settings.fingerprints
    fps = Fingerprints.load(source) if source else None
    table_path = ip_table or settings.ip_table
    table = IpTable.load(table_path) if table_path is not None else None
    for path in files:
        if not path.is_file():
            raise InputError("no such file", path=path)
    if table is None:
        typer.echo(NO_IP_TABLE, err=True)
    out = sys.stdout.buffer
    bad = judged = 0
    for path in files:
        for item in read_measurements(path):
            if isinstance(item, Damage):  # a file cut in the middle: what came before is printed
                bad += 1
                typer.echo(
                    f"{path}:{item.number}: unreadable from here on: {item.reason}", err=True
                )
                continue
            doc, problem = (None, item.problem) if item.problem else _checked(item.value, path)
            if problem is not None or doc is None:
                bad += 1
                typer.echo(f"{path}:{item.number}: {problem}", err=True)
                continue
            v = verdict_of(doc, fingerprints=fps, ip_table=table)
            out.write(orjson.dumps(v.to_json_dict()) + b"\n")
            judged += 1
    out.flush()
    if bad:
        typer.echo(f"{bad} bad line(s) skipped", err=True)
    if not judged:  # nothing judged is a failure a script must see (exit 2), not an empty success
        shown = ", ".join(str(p) for p in files)
        raise InputError(
            f"no measurement in {shown}" + (f" ({bad} bad line(s))" if bad else ""),
            hint="give OONI measurements: JSONL, .jsonl.gz or a .json/.jsonc document",
        )


def _wrap_bare_test_keys(doc: Any) -> Any:
    """A bare web_connectivity ``test_keys`` object (as in OONI's testdata) -> a measurement."""
    if isinstance(doc, dict) and "test_name" not in doc and "queries" in doc and "control" in doc:
        request = doc.get("x_control_request")
        url = request.get("http_request") if isinstance(request, dict) else None
        return {"test_name": "web_connectivity", "input": url, "test_keys": doc}
    return doc


def _checked(value: Any, path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The measurement to judge, or why not: ingest's envelope check (a line ingest refuses is
    not judged either, audit L6), or only the test keys' for a bare web_connectivity
    ``test_keys`` document (OONI's test data), which has no envelope."""
    from netvigil.analysis.formats import with_start_time
    from netvigil.ingest.envelope import envelope_problem, test_keys_problem

    doc = _wrap_bare_test_keys(value) if path.name.lower().endswith((".json", ".jsonc")) else value
    if doc is not value:
        return doc, test_keys_problem(doc["test_keys"])
    if isinstance(doc, dict) and isinstance(doc.get("test_name"), str) and "test_keys" in doc:
        with_start_time(doc)
        problem = envelope_problem(doc)
        return (None, problem) if problem is not None else (doc, None)
    if not isinstance(doc, dict):
        return None, f"expected a JSON object, got {type(doc).__name__}"
    if not isinstance(doc.get("test_name"), str):
        return None, "field test_name: expected a string"
    if "test_keys" not in doc:
        return None, "field test_keys: missing"
    if doc["test_keys"] is not None and not isinstance(doc["test_keys"], dict):
        return None, "field test_keys: expected an object or null"  # null: a failure verdict
    return with_start_time(doc), None
