"""IODA's curated outage list (Bischof et al., SIGCOMM 2023) as ground truth for the benchmark.

The CSV has long US-format dates ("Wednesday, March 17, 2021, 4:40:00 PM", sometimes without
seconds, with an empty seconds field "2:30: AM" or without the comma after the weekday) and a few
short ones with a 24-hour clock and a stray AM/PM ("7/28/2020  17:00:00 PM", "4/14/2020  22:0:00
PM"). About sixty outages cross midnight with the end written on the start's date (begins 21:30,
"ends" 00:20 the same day): when the end is earlier on the *same date*, it is moved to the next
day and the label says so (``note``). Rows whose dates cannot be read, that last zero minutes, or
that end days before they begin are reported as bad rows (line and reason), never silently used.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from netvigil._errors import InputError

_LONG = re.compile(
    r"^\s*(?:[A-Za-z]+day,?\s*)?([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4}),?\s+(\d{1,2}):(\d{1,2})"
    r"(?::(\d{1,2})?)?\s*([AaPp][Mm])?\s*$"
)
_SHORT = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2})?)?\s*([AaPp][Mm])?\s*$"
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}


@dataclass(frozen=True, slots=True)
class OutageLabel:
    label_id: str
    start: datetime
    end: datetime
    country: str
    scope: str  # "country" | "region" | "as"
    cause: str  # "" when blank
    note: str = ""  # "end moved to the next day" for the midnight-crossing repair

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60.0


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str


def parse_us_time(text: str) -> datetime:
    """One of the list's date spellings -> aware UTC datetime (the list is in UTC)."""
    m = _LONG.match(text)
    if m:
        month = _MONTHS.get(m.group(1).lower())
        if month is None:
            raise ValueError(f"unknown month {m.group(1)!r}")
        day, year = int(m.group(2)), int(m.group(3))
        hour, minute, second, ampm = int(m.group(4)), int(m.group(5)), m.group(6), m.group(7)
    else:
        m = _SHORT.match(text)
        if not m:
            raise ValueError(f"unreadable date {text!r}")
        month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hour, minute, second, ampm = int(m.group(4)), int(m.group(5)), m.group(6), m.group(7)
    if ampm and hour <= 12:  # "17:00:00 PM" is a 24-hour clock with a stray suffix
        if ampm.lower() == "pm" and hour != 12:
            hour += 12
        elif ampm.lower() == "am" and hour == 12:
            hour = 0
    return datetime(year, month, day, hour, minute, int(second or 0), tzinfo=UTC)


def _scope(text: str) -> str:
    head = text.split("(")[0].strip().lower()
    return {"country": "country", "region": "region", "as": "as"}.get(head, "")


def read_outage_list(path: Path) -> tuple[list[OutageLabel], list[BadRow]]:
    labels: list[OutageLabel] = []
    bad: list[BadRow] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from exc
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or "Begin time" not in header:
            raise InputError("not IODA's outage list: no 'Begin time' column", path=path, line=1)
        col = {name.strip(): i for i, name in enumerate(header)}
        for row in reader:
            line = reader.line_num

            def get(name: str, row: list[str] = row) -> str:
                return row[col[name]].strip() if col[name] < len(row) else ""

            try:
                field = "Begin time"
                start = parse_us_time(get(field))
                field = "End time"
                end = parse_us_time(get(field))
            except ValueError as exc:
                bad.append(BadRow(line, f"{field}: {exc}"))
                continue
            note = ""
            if end < start and end.date() == start.date():
                end += timedelta(days=1)
                note = "end moved to the next day"
            if end <= start:
                bad.append(BadRow(line, f"ends ({end}) before it begins ({start})"))
                continue
            scope = _scope(get("Scope (based on granularity at which the outage appears in IODA)"))
            if not scope:
                bad.append(BadRow(line, "unknown scope"))
                continue
            labels.append(
                OutageLabel(
                    label_id=get("ID"),
                    start=start,
                    end=end,
                    country=get("Country"),
                    scope=scope,
                    cause=get("Cause"),
                    note=note,
                )
            )
    return labels, bad
