"""Time series of one signal for one entity, on a regular grid, and the plain CSV reader.

Detectors take a regular grid (missing bins are NaN) so that "the same time yesterday" is an index
offset. The CSV reader is the edge where user files come in, so it names the line and field of
every problem. Handling, as documented in docs/detection.md:

* header ``timestamp,value`` optional; timestamps ISO-8601 (``Z`` or offset; naive = UTC) or epoch
  seconds; values are numbers, an empty cell / ``NA`` / ``null`` / ``nan`` is a missing bin;
* timestamps must increase: a line earlier than the one before is an error naming both lines;
* an exact duplicate line (same timestamp and value) is dropped; the same timestamp with another
  value is an error;
* the bin width is the most common gap; later gaps become missing bins.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

from netvigil._errors import InputError
from netvigil.models.entities import NETWORK_KINDS, Entity

FloatArray = npt.NDArray[np.float64]
MISSING = {"", "na", "nan", "null", "none"}
ENTITY_TYPES = NETWORK_KINDS  # what an outage signal can be about


@dataclass(frozen=True, slots=True)
class Series:
    """One signal on a regular grid: value ``values[i]`` covers ``[start + i*step, +step)``."""

    entity: str
    signal: str
    start: int  # epoch seconds of bin 0
    step: int  # seconds per bin
    values: FloatArray  # NaN = missing bin

    def time_of(self, index: int) -> int:
        return self.start + index * self.step


def check_entity(entity: str) -> str:
    """``country:XX``, ``region:<code>`` or ``asn:AS<n>`` (normalised), else a clear error."""
    return str(Entity.parse(entity, kinds=ENTITY_TYPES))


def parse_time(text: str) -> int:
    """Epoch seconds from epoch digits or ISO-8601; ValueError when neither."""
    text = text.strip()
    try:
        return int(float(text))
    except ValueError:
        pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def grid(times: list[int], values: list[float], *, entity: str, signal: str) -> Series:
    """Place sorted, unique samples on a regular grid whose step is the most common gap."""
    if not times:
        raise InputError("the series has no samples")
    if len(times) == 1:
        step = 300
    else:
        gaps = Counter(b - a for a, b in pairwise(times))
        step = gaps.most_common(1)[0][0]
    start = times[0]
    length = (times[-1] - start) // step + 1
    out = np.full(length, np.nan)
    index = (np.asarray(times, dtype=np.int64) - start) // step
    out[index] = values
    return Series(entity=entity, signal=signal, start=start, step=step, values=out)


def read_series_csv(path: Path, *, entity: str, signal: str = "series") -> Series:
    """Read ``timestamp,value`` lines (see the module docstring for the rules)."""
    times: list[int] = []
    values: list[float] = []
    last_line = 0
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from exc
    with handle:
        reader = csv.reader(handle)
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < 2:
                raise InputError("expected two columns: timestamp,value", path=path, line=line)
            if not times and row[0].strip().lower() in {"timestamp", "time", "ts"}:
                continue
            try:
                moment = parse_time(row[0])
            except ValueError:
                raise InputError(
                    f"{row[0]!r} is neither ISO-8601 nor epoch seconds",
                    path=path,
                    line=line,
                    field="timestamp",
                ) from None
            value = _value(row[1], path=path, line=line)
            if times and moment <= times[-1]:
                if moment < times[-1]:
                    raise InputError(
                        f"timestamps must increase: this line is earlier than line {last_line}",
                        path=path,
                        line=line,
                        field="timestamp",
                        hint="sort the file by its first column",
                    )
                if value == values[-1] or (np.isnan(value) and np.isnan(values[-1])):
                    continue  # exact duplicate line: dropped
                raise InputError(
                    f"duplicate timestamp with a different value (line {last_line} has"
                    f" {values[-1]})",
                    path=path,
                    line=line,
                    field="timestamp",
                )
            times.append(moment)
            values.append(value)
            last_line = line
    if not times:
        raise InputError("the file has no samples", path=path)
    return grid(times, values, entity=entity, signal=signal)


def _value(cell: str, *, path: Path, line: int) -> float:
    cell = cell.strip()
    if cell.lower() in MISSING:
        return float("nan")
    try:
        value = float(cell)
    except ValueError:
        raise InputError(f"{cell!r} is not a number", path=path, line=line, field="value") from None
    if not np.isfinite(value):
        raise InputError(f"{cell!r} is not a finite number", path=path, line=line, field="value")
    return value
