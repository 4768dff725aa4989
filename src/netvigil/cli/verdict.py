"""`netvigil verdict`: one JSON verdict per measurement of OONI JSONL / .jsonl.gz / JSON files."""

from __future__ import annotations

from collections.abc import Iterator
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
    bad = 0
    for path in files:
        for line_no, doc, problem in read_measurements(path):
            if problem is not None:
                bad += 1
                typer.echo(f"{path}:{line_no}: {problem}", err=True)
                continue
            v = verdict_of(doc, fingerprints=fps, ip_table=table)
            out.write(orjson.dumps(v.to_json_dict()) + b"\n")
    out.flush()
    if bad:
        typer.echo(f"{bad} bad line(s) skipped", err=True)


def read_measurements(path: Path) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """(line, measurement, problem) for each measurement of a file; problem None when good."""
    import gzip
    import zlib

    import orjson

    name = path.name.lower()
    if name.endswith((".json", ".jsonc")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if name.endswith(".jsonc"):
            # JSON with comments: OONI's testdata only uses whole-line // comments
            text = "\n".join("" if ln.lstrip().startswith("//") else ln for ln in text.split("\n"))
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield 1, {}, f"invalid JSON: {exc}"
            return
        yield 1, *_checked(_wrap_bare_test_keys(doc))
        return
    opener: Any = gzip.open if name.endswith(".gz") else open
    line_no = 0
    try:
        with opener(path, "rb") as fh:
            for line_no, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    doc = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    yield line_no, {}, f"invalid JSON: {exc}"
                    continue
                yield line_no, *_checked(doc)
    except (EOFError, OSError, zlib.error) as exc:
        # a gz file cut in the middle: what was read stays printed, the rest is reported
        yield line_no + 1, {}, f"unreadable from here on: {exc}"


def _wrap_bare_test_keys(doc: Any) -> Any:
    """A bare web_connectivity ``test_keys`` object (as in OONI's testdata) -> a measurement."""
    if isinstance(doc, dict) and "test_name" not in doc and "queries" in doc and "control" in doc:
        request = doc.get("x_control_request")
        url = request.get("http_request") if isinstance(request, dict) else None
        return {"test_name": "web_connectivity", "input": url, "test_keys": doc}
    return doc


def _checked(doc: Any) -> tuple[dict[str, Any], str | None]:
    from netvigil.analysis.formats import with_start_time

    if not isinstance(doc, dict):
        return {}, f"expected a JSON object, got {type(doc).__name__}"
    if not isinstance(doc.get("test_name"), str):
        return {}, "field test_name: expected a string"
    if "test_keys" not in doc:
        return {}, "field test_keys: missing"
    if doc["test_keys"] is not None and not isinstance(doc["test_keys"], dict):
        return {}, "field test_keys: expected an object or null"  # null: a failure verdict
    return with_start_time(doc), None
