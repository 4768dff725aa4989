"""Reading STOP files (xlsx workbook, CSV) into StopRows and writing our exports.

Which sheets are read: every sheet whose header names a STOP generation, plus "Need more
details" (headerless: year, country, sources), whose rows become *reported* drafts. A sheet that
is none of these is an error naming it, never silently skipped.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from netvigil._errors import InputError
from netvigil.incidents.fields import country_code_for
from netvigil.incidents.model import Incident
from netvigil.incidents.serialise import private_dict, public_dict
from netvigil.incidents.stop import (
    EXPORT_COLUMNS,
    StopRow,
    export_record,
    generation,
    header_key,
    is_blank,
    is_data_row,
    map_row,
    netvigil_row,
)

NEED_MORE_DETAILS = "need more details"


@dataclass(frozen=True)
class SheetSummary:
    sheet: str
    generation: str
    data_rows: int


def read_stop(path: Path) -> tuple[list[StopRow], list[SheetSummary]]:
    """Every data row of a STOP workbook or CSV, with natural keys made unique per sheet."""
    if not path.is_file():
        raise InputError("no such file", path=path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        tables = list(_xlsx_tables(path))
    elif suffix == ".csv":
        tables = [(path.stem, _csv_rows(path))]
    else:
        raise InputError("expected a STOP .xlsx workbook or .csv file", path=path)
    rows: list[StopRow] = []
    summaries: list[SheetSummary] = []
    for sheet, table in tables:
        sheet_rows, gen = _table_rows(path, sheet, table)
        rows.extend(sheet_rows)
        summaries.append(SheetSummary(sheet, gen, len(sheet_rows)))
    return rows, summaries


def _xlsx_tables(path: Path) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    import openpyxl

    try:
        # data_only: formulas (STOP's =DAYS(...) durations) come as their cached values.
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/... on a broken file
        raise InputError(f"cannot read the workbook: {exc}", path=path) from exc
    try:
        for sheet in book.worksheets:
            yield sheet.title, list(sheet.iter_rows(values_only=True))
    finally:
        book.close()


def _csv_rows(path: Path) -> list[tuple[Any, ...]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [tuple(r) for r in csv.reader(fh)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the CSV: {exc}", path=path) from exc


def _header_index(table: list[tuple[Any, ...]]) -> int | None:
    # The 2020 CSV starts with a one-cell note; the header is the first row naming start_date.
    for i, values in enumerate(table[:5]):
        keys = {header_key(v) for v in values}
        if "start_date" in keys or "natural_key" in keys:
            return i
    return None


def _table_rows(path: Path, sheet: str, table: list[tuple[Any, ...]]) -> tuple[list[StopRow], str]:
    header_at = _header_index(table)
    if header_at is None:
        if header_key(sheet) == NEED_MORE_DETAILS:
            return _need_more_details(sheet, table), "need-more-details"
        raise InputError(f"sheet {sheet!r} has no STOP header (no start_date column)", path=path)
    original = ["" if v is None else str(v).strip() for v in table[header_at]]
    headers = [header_key(v) for v in original]
    try:
        gen = generation(headers)
    except ValueError as exc:
        raise InputError(str(exc), path=path, field=sheet) from exc
    rows: list[StopRow] = []
    for offset, values in enumerate(table[header_at + 1 :], start=header_at + 2):
        if not is_data_row(values):
            continue
        if gen == "netvigil":
            record = {
                headers[i]: ("" if v is None else str(v))
                for i, v in enumerate(values)
                if i < len(headers)
            }
            rows.append(netvigil_row(record, offset, sheet, str(path)))
        else:
            rows.append(map_row(sheet, gen, headers, original, list(values), offset))
    return _unique_keys(rows), gen


def _need_more_details(sheet: str, table: list[tuple[Any, ...]]) -> list[StopRow]:
    rows = []
    for line, values in enumerate(table, start=1):
        if not is_data_row(values):
            continue
        cells = [*values, None, None, None][:3]
        year = int(float(cells[0])) if isinstance(cells[0], int | float) else None
        country = None if is_blank(cells[1]) else str(cells[1]).strip()
        fields = {
            "country": country,
            "info_source_link": None if is_blank(cells[2]) else str(cells[2]),
        }
        raw = {str(i): v for i, v in enumerate(values) if not is_blank(v)}
        rows.append(
            StopRow(
                f"stop:{NEED_MORE_DETAILS}:{year}:{country}",
                sheet,
                line,
                year,
                fields,
                raw,
                status="reported",
                country_code=country_code_for(country),
            )
        )
    return _unique_keys(rows)


def _unique_keys(rows: list[StopRow]) -> list[StopRow]:
    """Identical-looking rows of one sheet get ``#2``, ``#3``... in sheet order."""
    seen: Counter[str] = Counter()
    out = []
    for row in rows:
        seen[row.natural_key] += 1
        n = seen[row.natural_key]
        out.append(row if n == 1 else replace(row, natural_key=f"{row.natural_key}#{n}"))
    return out


def write_stop_csv(incidents: Iterable[Incident], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for incident in incidents:
        writer.writerow(export_record(incident))
        count += 1
    return count


def write_json(incidents: Iterable[Incident], out: TextIO, *, public: bool) -> int:
    """A JSON array of public_dict (or private_dict) records, streamed."""
    out.write("[")
    count = 0
    for incident in incidents:
        record = public_dict(incident) if public else private_dict(incident)
        out.write(("\n" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


def stop_csv_text(incidents: Iterable[Incident]) -> str:
    buf = io.StringIO()
    write_stop_csv(incidents, buf)
    return buf.getvalue()
