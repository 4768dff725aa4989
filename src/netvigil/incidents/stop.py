"""STOP rows: the record between a spreadsheet row and an Incident (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netvigil.incidents.model import STOP_COLUMNS, Incident


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


def apply_row(incident: Incident, row: StopRow) -> bool:
    """Copy ``row`` into ``incident``; True when anything changed."""
    values: dict[str, Any] = {col: row.fields.get(col) for col in STOP_COLUMNS}
    values.update(
        report_year=row.report_year,
        country_code=row.country_code,
        stop_sheet=row.sheet,
        stop_row=row.row,
        stop_raw=row.raw,
        import_problems=row.problems,
    )
    changed = incident.id is None or incident.status != row.status
    if incident.id is None:
        incident.status = row.status
    for key, value in values.items():
        if getattr(incident, key) != value:
            setattr(incident, key, value)
            changed = True
    return changed
