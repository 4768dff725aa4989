"""STOP rows: mapping every sheet generation of Access Now's STOP data onto the 2020-2022
codebook (pure functions; reading files is :mod:`netvigil.incidents.stop_io`).

Generations (see docs/incidents.md and ../shared/data/stop/PROVENANCE.md):

* ``2020-2022``: the 45-column codebook, names used as is (``Duration`` -> ``duration``).
* ``2019`` (also the 2020 CSV edition): ``ID``, ``shutdown_type_new``, ``full or
  service-based``, ``official_just``... renamed per :data:`RENAMES_2019`.
* ``2016-2018``: ``year`` (the report year), ``shutdown_type_group`` (-> shutdown_type),
  ``shutdown_type`` (the networks -> affected_network)... per :data:`RENAMES_2016`.
* ``need-more-details``: headerless (year, country, sources); kept as *reported* drafts because
  Access Now has not counted them.
* ``netvigil``: our own ``stop-csv`` export (has ``natural_key``), so export -> import round-trips.

Every original cell is kept verbatim in ``raw``; a cell that cannot be parsed into its typed column
(dates, the year) becomes a *problem* (sheet, row, column, raw value, what was expected) and the
row is imported anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from netvigil.incidents.fields import country_code_for
from netvigil.incidents.model import STOP_COLUMNS, STOP_DATE_COLUMNS, Incident

# Older header (lower-case, spaces collapsed) -> 2020-2022 column(s). Unlisted headers live on in
# ``raw`` only (continent, sub-region, notes, latitude, longitude, duration_hours, ...).
RENAMES_2019: dict[str, tuple[str, ...]] = {
    "info_source": ("info_source",),
    "news_link": ("info_source_link",),
    "shutdown_type_new": ("shutdown_type",),
    "full or service-based": ("shutdown_extent",),
    "other_service_details (specify)": ("other_affected",),
    "sms_and_phone_call_affected": ("sms_affected", "phonecall_affected"),
    "phone_call_affected": ("phonecall_affected",),
    "official_just": ("gov_justification",),
    "other_just_details": ("gov_just_details",),
    "off_statement": ("gov_ack_quote",),
    "other_cause_details": ("actual_cause_details",),
    "users_affected/targetted": ("users_targeted",),
    "legal_justif": ("legal_just",),
    "telco_resp": ("telco_ack_quote",),
    "telco_ ack": ("telco_ack",),
}
RENAMES_2016: dict[str, tuple[str, ...]] = {
    "news_link": ("info_source_link",),
    "shutdown_type_group": ("shutdown_type",),
    "shutdown_type": ("affected_network",),
    "official_just": ("gov_justification",),
    "duration_days": ("duration",),
    "service_details": ("other_affected",),
}
EXPORT_EXTRA = (
    "natural_key",
    "status",
    "report_year",
    "country_code",
    "stop_sheet",
    "stop_row",
    "stop_schema",
)
EXPORT_COLUMNS = (*EXPORT_EXTRA, *STOP_COLUMNS, "stop_raw_json", "import_problems_json")


@dataclass(frozen=True)
class StopRow:
    """One data row of a STOP sheet or CSV, mapped onto the 2020-2022 codebook."""

    natural_key: str  # deterministic per source row: re-imports update, never duplicate
    sheet: str
    row: int  # 1-based spreadsheet/CSV line
    report_year: int | None
    fields: dict[str, Any]  # STOP_COLUMNS -> value (dates as datetime.date, the rest text)
    raw: dict[str, Any]  # the original row: header -> cell value (JSON-able)
    problems: list[dict[str, Any]] = field(default_factory=list)
    status: str = "published"
    country_code: str | None = None
    schema: str | None = None  # the STOP generation of its sheet (2020-2022, 2019, 2016-2018)


def header_key(name: Any) -> str:
    return " ".join(str(name).split()).lower() if name is not None else ""


def is_blank(value: Any) -> bool:
    """A blank cell: empty, or a string of only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def is_data_row(values: tuple[Any, ...] | list[Any]) -> bool:
    """A data row has at least one non-blank cell (the definition the import counts by)."""
    return any(not is_blank(v) for v in values)


def generation(headers: list[str]) -> str:
    keys = set(headers)
    if "natural_key" in keys and "stop_raw_json" in keys:
        return "netvigil"
    if "start_date_type" in keys:
        return "2020-2022"
    if "shutdown_type_new" in keys:
        return "2019"
    if "shutdown_type_group" in keys or "year" in keys:
        return "2016-2018"
    raise ValueError("not a STOP sheet: no start_date_type, shutdown_type_new or year column")


def sheet_year(name: str) -> int | None:
    """The report year a sheet's name states ("2022 Data", "2019", "...-2020.csv"), if one."""
    years = set(re.findall(r"(?<!\d)(20\d\d)(?!\d)", name))
    return int(years.pop()) if len(years) == 1 else None


def _json_cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date | dt.time):
        return str(_json_cell(value))
    # Outer whitespace is noise in STOP cells ("India ", "Yes "); ``raw`` keeps it verbatim.
    return str(value).strip()


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d %B %Y", "%B %d, %Y")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's 1900 date system, incl. its phantom 1900-02-29


def parse_date(value: Any) -> dt.date | None:
    """A STOP date cell: a datetime, an Excel serial number, or ISO / US m/d/Y text.
    None for blank and "ongoing"; raises ValueError for anything else."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError("out of range")
    text = str(value).strip()
    if text.lower() == "ongoing":
        return None
    if text.isdigit() and 20000 < int(text) < 80000:  # a serial number that became text
        return EXCEL_EPOCH + dt.timedelta(days=int(text))
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("not a date")


def _cell_ref(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(col + 1))


def map_row(
    sheet: str, gen: str, headers: list[str], original: list[str], values: list[Any], row: int
) -> StopRow:
    """One source row -> StopRow. ``headers`` are header_key()s, ``original`` the headers as
    written (keys of ``raw``), ``row`` the 1-based line for messages."""
    problems: list[dict[str, Any]] = []
    raw = {
        original[i]: _json_cell(v)
        for i, v in enumerate(values)
        if i < len(original) and not is_blank(v)
    }
    renames = {"2019": RENAMES_2019, "2016-2018": RENAMES_2016}.get(gen, {})
    fields: dict[str, Any] = {}
    cells: dict[str, tuple[int, Any]] = {}
    for i, value in enumerate(values[: len(headers)]):
        for target in renames.get(headers[i], (headers[i],)):
            if target in STOP_COLUMNS and not is_blank(value):
                cells.setdefault(target, (i, value))

    def problem(col: int, column: str, value: Any, expected: str) -> None:
        problems.append(
            {
                "sheet": sheet,
                "row": row,
                "column": column,
                "cell": f"{_cell_ref(col)}{row}",
                "raw": _json_cell(value),
                "expected": expected,
            }
        )

    for name, (i, value) in cells.items():
        if name in STOP_DATE_COLUMNS:
            try:
                fields[name] = parse_date(value)
            except ValueError:
                problem(i, original[i], value, "a date (Excel date, YYYY-MM-DD or M/D/YYYY)")
                fields[name] = None
            if gen != "2020-2022" and str(value).strip().lower() == "ongoing":
                fields.setdefault("shutdown_status", "Ongoing")
        else:
            fields[name] = _text(value)

    report_year = sheet_year(sheet)
    if "year" in headers:
        i = headers.index("year")
        value = values[i] if i < len(values) else None
        try:
            report_year = report_year if value is None or is_blank(value) else int(float(value))
        except (TypeError, ValueError):
            problem(i, original[i], value, "a year such as 2017")
    if report_year is None and fields.get("start_date"):
        report_year = fields["start_date"].year
    return StopRow(
        natural_key=_natural_key(sheet, gen, headers, values, fields, report_year),
        sheet=sheet,
        row=row,
        report_year=report_year,
        fields=fields,
        raw=raw,
        problems=problems,
        country_code=country_code_for(fields.get("country")),
        schema=gen,
    )


def _natural_key(
    sheet: str,
    gen: str,
    headers: list[str],
    values: list[Any],
    fields: dict[str, Any],
    year: int | None,
) -> str:
    for id_column in ("id",):
        if id_column in headers and not is_blank(values[headers.index(id_column)]):
            return f"stop:{header_key(sheet)}:id={_text(values[headers.index(id_column)])}"
    # The 2020-2022 sheets have no id column: identify the row by what makes it this shutdown.
    # Editing other columns later updates it in place; identical twins get #2, #3 (see importer).
    identity = [
        year,
        *(
            str(fields.get(c))
            for c in (
                "start_date",
                "country",
                "area_name",
                "shutdown_type",
                "affected_network",
                "info_source_link",
            )
        ),
    ]
    digest = hashlib.sha256(json.dumps(identity, default=str).encode()).hexdigest()[:20]
    return f"stop:{header_key(sheet)}:{digest}"


def netvigil_row(
    record: dict[str, str], row: int, sheet: str, source: str | None = None
) -> StopRow:
    """A row of our own stop-csv export (all text) back into a StopRow; every column is
    checked first (``stop_csv.check_row``: InputError naming ``source``, row and column)."""
    from netvigil.incidents.stop_csv import check_row

    check_row(record, row, source)
    # Cells found bad at the first import travel with the record (their original sheet, row
    # and column); only a newly bad cell (the CSV was edited) is a new problem.
    carried = record.get("import_problems_json")
    problems: list[dict[str, Any]] = json.loads(carried) if carried else []
    known = {header_key(p.get("column")) for p in problems}
    fields: dict[str, Any] = {}
    for name in STOP_COLUMNS:
        value = (record.get(name) or "").strip() or None
        if name in STOP_DATE_COLUMNS:
            try:
                fields[name] = parse_date(value)
            except ValueError:
                fields[name] = None
                if name in known:
                    continue
                problems.append(
                    {
                        "sheet": sheet,
                        "row": row,
                        "column": name,
                        "raw": value,
                        "expected": "a date YYYY-MM-DD",
                    }
                )
        else:
            fields[name] = value
    year = record.get("report_year") or None
    raw = json.loads(record["stop_raw_json"]) if record.get("stop_raw_json") else {}
    return StopRow(
        natural_key=record["natural_key"],
        sheet=record.get("stop_sheet") or sheet,
        row=int(record["stop_row"]) if record.get("stop_row") else row,
        report_year=int(year) if year else None,
        fields=fields,
        raw=raw,
        problems=problems,
        status=record.get("status") or "published",
        country_code=record.get("country_code") or country_code_for(fields.get("country")),
        schema=record.get("stop_schema") or None,
    )


def export_record(incident: Incident) -> dict[str, str]:
    """One stop-csv line. A date that could not be parsed at import is written back as its raw
    text, so the file says what the source said."""
    out: dict[str, str] = {
        "natural_key": incident.natural_key,
        "status": incident.status,
        "report_year": "" if incident.report_year is None else str(incident.report_year),
        "country_code": incident.country_code or "",
        "stop_sheet": incident.stop_sheet or "",
        "stop_row": "" if incident.stop_row is None else str(incident.stop_row),
        "stop_schema": incident.stop_schema or "",
    }
    bad = {p["column"]: p["raw"] for p in incident.import_problems or []}
    for name in STOP_COLUMNS:
        value = getattr(incident, name)
        if value is None and name in STOP_DATE_COLUMNS:
            value = _raw_date(incident, name, bad)
        out[name] = "" if value is None else str(_json_cell(value))
    out["stop_raw_json"] = json.dumps(incident.stop_raw or {}, ensure_ascii=False, sort_keys=True)
    problems = incident.import_problems or []
    out["import_problems_json"] = json.dumps(problems, ensure_ascii=False) if problems else ""
    return out


def _raw_date(incident: Incident, name: str, bad: dict[str, Any]) -> Any:
    if name in bad:
        return bad[name]
    # A problem reported against the original header (e.g. "end_date ") of an older sheet.
    for column, raw in bad.items():
        if header_key(column) == name:
            return raw
    return None


def apply_row(incident: Incident, row: StopRow) -> bool:
    """Copy ``row`` into ``incident`` with its codebook codes; True when anything changed."""
    from netvigil.incidents.normalise import normalise

    values: dict[str, Any] = {col: row.fields.get(col) for col in STOP_COLUMNS}
    values.update(
        report_year=row.report_year,
        country_code=row.country_code,
        stop_sheet=row.sheet,
        stop_row=row.row,
        stop_schema=row.schema,
        stop_raw=row.raw,
        import_problems=row.problems,
    )
    values.update(normalise(row.fields).columns())
    changed = incident.id is None
    if incident.id is None:
        incident.status = row.status
    for key, value in values.items():
        if getattr(incident, key) != value:
            setattr(incident, key, value)
            changed = True
    return changed
