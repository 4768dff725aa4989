"""Policy records as files: one JSON document, or a folder of CSV tables (docs/policy.md).

JSON is the records' own shape (``records.to_dict``): ``{"format": "netvigil-policy",
"version": 1, "instruments": [...], "responses": [...], "figures": [...], "statements":
[...]}``, each instrument with its ``history`` and ``provisions``, each statement with its
``demands`` and ``signatories``. CSV spreads the same data over the tables of :data:`TABLES`,
linked by slug, one file each (UTF-8 with a byte-order mark so spreadsheets read the Chinese
names); list cells (links, authors, addressees, slugs) hold one item per line.

Reading validates every row and stops at the first bad one with its file, line (CSV) or record
path (JSON) and field: nothing is half-imported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from netvigil._errors import InputError
from netvigil.policy import records as rec

FORMAT = "netvigil-policy"
VERSION = 1
_L = ("en", "zh_hant", "zh_hans")


def _t(*stems: str) -> tuple[str, ...]:
    return tuple(f"{stem}_{lang}" for stem in stems for lang in _L)


TABLES: Mapping[str, tuple[str, ...]] = {
    "instruments": (
        "slug", "status", "kind", "jurisdiction", "name_en", "short_name_en", "name_zh_hant",
        "short_name_zh_hant", "name_zh_hans", "short_name_zh_hans", *_t("summary"), "source_url",
        "links",
    ),
    "instrument_events": (
        "instrument", "kind", "date", "date_precision", "end_date", *_t("title"), "place",
        "votes_for", "votes_against", "abstentions", "source_url",
    ),
    "provisions": ("instrument", "concern", "article", *_t("note"), "source_url"),
    "responses": (
        "slug", "status", "company", "jurisdiction", "demand_kind", "response", "announced_on",
        "announced_precision", "effective_from", "ended_on", *_t("summary"), "source_url", "links",
        "instruments",
    ),
    "transparency_figures": (
        "company", "jurisdiction", "demand_kind", "period_start", "period_end", "requests",
        "accounts_specified", "complied_share", "source_url", "note",
    ),
    "statements": (
        "slug", "status", "kind", *_t("title"), "date", "date_precision", "addressees", "authors",
        "jurisdictions", *_t("summary"), *_t("outcome"), "response_received", "source_url",
        "links", "instruments", "incidents",
    ),
    "statement_demands": ("statement", *_t("text"), "outcome"),
    "signatories": ("statement", "kind", "name", "country", "affiliation", "group"),
}  # fmt: skip
# Columns a row cannot do without (the rest may be left empty).
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "instruments": ("slug", "kind", "jurisdiction", "name_en", "source_url"),
    "instrument_events": ("instrument", "kind", "date", "source_url"),
    "provisions": ("instrument", "concern", "article"),
    "responses": (
        "slug",
        "company",
        "jurisdiction",
        "demand_kind",
        "response",
        "announced_on",
        "source_url",
    ),
    "transparency_figures": (
        "company",
        "jurisdiction",
        "period_start",
        "period_end",
        "source_url",
    ),
    "statements": ("slug", "title_en", "date", "source_url"),
    "statement_demands": ("statement", "text_en"),
    "signatories": ("statement", "name"),
}


# --- JSON ---


def read_json(path: Path) -> rec.PolicyRecords:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=path, line=exc.lineno) from exc
    return records_from_json(data, str(path))


def records_from_json(data: Any, path: str | None = None) -> rec.PolicyRecords:
    where = rec.Where(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise where.error("format", f'expected a JSON object with "format": "{FORMAT}"')
    if data.get("version") != VERSION:
        raise where.error("version", f"expected version {VERSION}, got {data.get('version')!r}")

    def items(key: str) -> Iterator[tuple[rec.Where, Mapping[str, Any]]]:
        values = data.get(key) or []
        if not isinstance(values, list):
            raise where.error(key, "expected a list of records")
        for i, value in enumerate(values):
            at = where.child(f"{key}[{i}].")
            if not isinstance(value, dict):
                raise at.error("", "expected an object")
            yield at, value

    return rec.PolicyRecords(
        instruments=tuple(rec.instrument(v, at) for at, v in items("instruments")),
        responses=tuple(rec.response(v, at) for at, v in items("responses")),
        figures=tuple(rec.figure(v, at) for at, v in items("figures")),
        statements=tuple(rec.statement(v, at) for at, v in items("statements")),
    )


def to_json(records: rec.PolicyRecords, about: Mapping[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    if about:
        out["about"] = dict(about)
    for key in ("instruments", "responses", "figures", "statements"):
        out[key] = [rec.to_dict(r) for r in getattr(records, key)]
    return out


def write_json(records: rec.PolicyRecords, path: Path) -> None:
    text = json.dumps(to_json(records), ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")


# --- CSV ---


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def table_rows(records: rec.PolicyRecords) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows (plain values) for ``records``."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for item in records.instruments:
        data = rec.to_dict(item)
        out["instruments"].append(data)
        out["instrument_events"] += [{"instrument": item.slug, **e} for e in data["history"]]
        out["provisions"] += [{"instrument": item.slug, **p} for p in data["provisions"]]
    out["responses"] = [rec.to_dict(r) for r in records.responses]
    out["transparency_figures"] = [rec.to_dict(f) for f in records.figures]
    for st in records.statements:
        data = rec.to_dict(st)
        out["statements"].append(data)
        out["statement_demands"] += [{"statement": st.slug, **d} for d in data["demands"]]
        out["signatories"] += [{"statement": st.slug, **g} for g in data["signatories"]]
    return out


def write_csv_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(col)) for col in columns])


def write_csv_dir(records: rec.PolicyRecords, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in table_rows(records).items():
        path = folder / f"{name}.csv"
        write_csv_table(rows, TABLES[name], path)
        written.append(path)
    return written


def read_csv_table(
    path: Path, table: str, *, required: Sequence[str] | None = None
) -> list[tuple[rec.Where, dict[str, str]]]:
    """The rows of one table with where each starts; unknown or missing columns are refused."""
    columns = TABLES[table]
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", path=path) from exc
    with fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputError("empty file: expected a header line", path=path, line=1) from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"not UTF-8 CSV: {exc}", path=path, line=1) from exc
        for name in header:
            if name not in columns:
                raise InputError(
                    f"unknown column in {table}; expected some of: {', '.join(columns)}",
                    path=path, line=1, field=name,
                )  # fmt: skip
        for name in REQUIRED[table] if required is None else required:
            if name not in header:
                raise InputError(f"missing column of {table}", path=path, line=1, field=name)
        rows = []
        start = reader.line_num + 1
        try:
            for cells in reader:
                if any(c.strip() for c in cells):
                    if len(cells) > len(header):
                        raise InputError(
                            f"{len(cells)} cells for {len(header)} columns", path=path, line=start
                        )
                    rows.append(
                        (rec.Where(str(path), start), dict(zip(header, cells, strict=False)))
                    )
                start = reader.line_num + 1
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"not UTF-8 CSV: {exc}", path=path, line=start) from exc
    return rows


def _children(
    rows: list[tuple[rec.Where, dict[str, str]]], key: str, parents: set[str], parent_table: str
) -> dict[str, list[tuple[rec.Where, dict[str, str]]]]:
    grouped: dict[str, list[tuple[rec.Where, dict[str, str]]]] = {}
    for where, row in rows:
        slug = (row.get(key) or "").strip()
        if slug not in parents:
            raise where.error(key, f"{slug!r} is not a slug of {parent_table}.csv")
        grouped.setdefault(slug, []).append((where, row))
    return grouped


def read_csv_dir(folder: Path) -> rec.PolicyRecords:
    """Every table present in ``folder`` (``<table>.csv``); absent tables are empty."""
    if not folder.is_dir():
        raise InputError("expected a folder of CSV tables", path=folder)
    tables = {
        name: read_csv_table(folder / f"{name}.csv", name) if (folder / f"{name}.csv").exists()
        else []
        for name in TABLES
    }  # fmt: skip
    if not any(tables.values()):
        raise InputError(
            f"no table found: expected some of {', '.join(TABLES)} (.csv)", path=folder
        )

    slugs = {(row.get("slug") or "").strip() for _, row in tables["instruments"]}
    events = _children(tables["instrument_events"], "instrument", slugs, "instruments")
    provisions = _children(tables["provisions"], "instrument", slugs, "instruments")
    instruments = tuple(
        rec.instrument(
            row,
            where,
            history=[rec.event(r, w) for w, r in events.get(row.get("slug", "").strip(), [])],
            provisions=[
                rec.provision(r, w) for w, r in provisions.get(row.get("slug", "").strip(), [])
            ],
        )
        for where, row in tables["instruments"]
    )
    slugs = {(row.get("slug") or "").strip() for _, row in tables["statements"]}
    demands = _children(tables["statement_demands"], "statement", slugs, "statements")
    signatories = _children(tables["signatories"], "statement", slugs, "statements")
    statements = tuple(
        rec.statement(
            row,
            where,
            demands=[rec.demand(r, w) for w, r in demands.get(row.get("slug", "").strip(), [])],
            signatories=[
                rec.signatory(r, w) for w, r in signatories.get(row.get("slug", "").strip(), [])
            ],
        )
        for where, row in tables["statements"]
    )
    return rec.PolicyRecords(
        instruments=instruments,
        responses=tuple(rec.response(r, w) for w, r in tables["responses"]),
        figures=tuple(rec.figure(r, w) for w, r in tables["transparency_figures"]),
        statements=statements,
    )


def read_figures_csv(path: Path, source_url: str | None = None) -> rec.PolicyRecords:
    """Transparency-report figures from one CSV (the ``transparency_figures`` table's columns);
    ``source_url`` fills rows that leave theirs empty, or the whole column when it is absent
    (one report, one source)."""
    required = REQUIRED["transparency_figures"]
    if source_url is not None:
        required = tuple(c for c in required if c != "source_url")
    figures = []
    for where, row in read_csv_table(path, "transparency_figures", required=required):
        if source_url is not None and not (row.get("source_url") or "").strip():
            row["source_url"] = source_url
        figures.append(rec.figure(row, where))
    return rec.PolicyRecords(figures=tuple(figures))


def read_path(path: Path) -> rec.PolicyRecords:
    """A JSON document, a folder of CSV tables, or one CSV table named after its table."""
    if path.is_dir():
        return read_csv_dir(path)
    if path.suffix.lower() == ".json":
        return read_json(path)
    if path.suffix.lower() == ".csv":
        if path.stem in ("transparency_figures", "figures"):
            return read_figures_csv(path)
        if path.stem in ("responses",):
            return rec.PolicyRecords(
                responses=tuple(rec.response(r, w) for w, r in read_csv_table(path, "responses"))
            )
        raise InputError(
            "a single CSV must be transparency_figures.csv or responses.csv; give the folder for "
            "instruments and statements (their tables go together)",
            path=path,
        )
    raise InputError("expected a .json file, a .csv file or a folder of CSV tables", path=path)
