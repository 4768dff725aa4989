"""From a STOP row's cells to what a reader can filter, count and cite (pure functions).

``normalise(cells)`` gives the controlled codes of :mod:`netvigil.incidents.vocab`, the services
named (flags and free text), the duration recomputed from the dates, quality flags for values that
cannot be true (a negative duration, an end before the start) and the values no vocabulary knows.
The cells themselves are never changed: the STOP export still writes what Access Now wrote.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netvigil.incidents.vocab import (
    FLAG_SERVICES,
    NATIONWIDE_AREA,
    SCOPE,
    SERVICE_PATTERNS,
    VOCABULARIES,
    value_key,
)

# Quality flags (docs/incidents.md): values the site does not publish.
END_BEFORE_START = "end_before_start"
NEGATIVE_DURATION = "negative_duration"
DURATION_MISMATCH = "duration_mismatch"
WITHHELD_FLAGS = frozenset({END_BEFORE_START, NEGATIVE_DURATION})

_SERVICE_RES = {
    name: re.compile(pattern, re.IGNORECASE) for name, pattern in SERVICE_PATTERNS.items()
}


@dataclass(frozen=True)
class Unmapped:
    vocabulary: str
    column: str
    value: str


@dataclass(frozen=True)
class Normalised:
    codes: dict[str, str | None]  # "<vocabulary>_code" -> code
    services: list[str]
    duration_days: int | None
    flags: list[str]
    unmapped: list[Unmapped] = field(default_factory=list)

    def columns(self) -> dict[str, Any]:
        """The Incident columns this fills."""
        return {
            **self.codes,
            "services": self.services,
            "duration_days": self.duration_days,
            "quality_flags": self.flags,
        }


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def codes(cells: Mapping[str, Any]) -> tuple[dict[str, str | None], list[Unmapped]]:
    out: dict[str, str | None] = {}
    unmapped: list[Unmapped] = []
    for vocab in VOCABULARIES:
        code: str | None = None
        for position, column in enumerate(vocab.columns):
            value = cells.get(column)
            if _blank(value):
                continue
            code = vocab.values.get(column, {}).get(value_key(value))
            if code is not None:
                break
            if position == 0:  # a fallback column of older sheets may hold other things
                unmapped.append(Unmapped(vocab.name, column, str(value).strip()))
                break
        out[vocab.column] = code
    scope = out[SCOPE.column]
    area = cells.get("area_name")
    if scope in (None, "multi_regional", "unknown") and area and NATIONWIDE_AREA.match(str(area)):
        out[SCOPE.column] = "national"
    return out, unmapped


def services(cells: Mapping[str, Any]) -> list[str]:
    """Platforms affected: STOP's Yes flags, then names in the free-text column."""
    found = [
        name
        for column, name in FLAG_SERVICES.items()
        if value_key(cells.get(column) or "") == "yes"
    ]
    text = str(cells.get("other_affected") or "")
    for name, pattern in _SERVICE_RES.items():
        if name not in found and pattern.search(text):
            found.append(name)
    return found


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def duration(cells: Mapping[str, Any]) -> tuple[int | None, list[str]]:
    """Days from the dates, both ends counted as STOP counts them; flags for impossible values."""
    flags: list[str] = []
    start, end = cells.get("start_date"), cells.get("end_date")
    days: int | None = None
    if isinstance(start, dt.date) and isinstance(end, dt.date):
        if end < start:
            flags.append(END_BEFORE_START)
        else:
            days = (end - start).days + 1
    cell = _number(cells.get("duration"))
    if cell is not None:
        if cell < 0:
            flags.append(NEGATIVE_DURATION)  # =DAYS(end, start) on a blank end: -start serial
        elif days is not None and abs(cell - days) > 1:
            flags.append(DURATION_MISMATCH)
    return days, flags


def normalise(cells: Mapping[str, Any]) -> Normalised:
    """``cells``: STOP column -> value (dates as datetime.date), e.g. StopRow.fields."""
    found, unmapped = codes(cells)
    days, flags = duration(cells)
    return Normalised(found, services(cells), days, flags, unmapped)


def refresh(incident: Any) -> bool:
    """Set an Incident's derived columns from its STOP cells; True when any changed."""
    from netvigil.incidents.model import STOP_COLUMNS

    derived = normalise({c: getattr(incident, c) for c in STOP_COLUMNS}).columns()
    changed = False
    for key, value in derived.items():
        if getattr(incident, key) != value:
            setattr(incident, key, value)
            changed = True
    return changed


def publishable_duration(cell: Any, flags: list[str] | None) -> Any:
    """The STOP duration cell as the public may see it: withheld when it cannot be true."""
    return None if WITHHELD_FLAGS & set(flags or ()) else cell
