"""Where each event of an instrument's history goes on its drawn timeline (pure layout).

The page draws a server-side SVG: a time axis with year ticks, one lane per kind of step (how
the instrument was made, decided, used: :data:`vocab.EVENT_LANES`), a numbered marker per event
(a bar for sessions that last several days) and a band while the instrument is in force. Markers
closer than :data:`MIN_GAP` pixels stack on a new row of their lane, so a year with six sessions
stays legible; the numbers match the ordered list printed under the drawing, which is the
readable form for screen readers and for anyone without the picture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netvigil.policy import vocab

WIDTH = 960
LEFT = 110  # room for lane labels
RIGHT = 24
TOP = 28  # room for year labels
ROW = 26
LANE_GAP = 10
MIN_GAP = 22  # px between marker centres on one row (marker radius 9)
BAR_MIN = 4


@dataclass(frozen=True)
class Marker:
    number: int
    kind: str
    lane: str
    x: float
    x_end: float  # == x for one-day events
    y: float
    date: str
    precision: str  # day, month, year: how precisely the date is known
    end_date: str | None
    title: str


@dataclass(frozen=True)
class Lane:
    name: str
    y: float
    height: float


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    ticks: tuple[tuple[float, int], ...]  # (x, year)
    lanes: tuple[Lane, ...]
    markers: tuple[Marker, ...]
    in_force: tuple[float, float] | None  # band (x from, x to)
    axis_y: float


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


def layout(events: Sequence[Mapping[str, Any]], today: dt.date | None = None) -> Layout | None:
    """The drawing for ``events`` (dicts with ``kind``, ``date``, ``end_date``, ``title``, in
    date order as the record keeps them); None when there is nothing to draw."""
    if not events:
        return None
    today = today or dt.date.today()
    dates = [dt.date.fromisoformat(str(e["date"])) for e in events]
    ends = [dt.date.fromisoformat(str(e["end_date"])) if e.get("end_date") else d
            for e, d in zip(events, dates, strict=True)]  # fmt: skip
    start = dt.date(min(dates).year, 1, 1)
    stop = dt.date(max(ends).year + 1, 1, 1)
    force = next((d for e, d in zip(events, dates, strict=True)
                  if e["kind"] == "entry_into_force"), None)  # fmt: skip
    repeal = next((d for e, d in zip(events, dates, strict=True) if e["kind"] == "repeal"), None)
    if force is not None and repeal is None and today > stop:
        stop = dt.date(today.year + 1, 1, 1)  # draw the band up to now
    span = max(_days(start, stop), 1)
    inner = WIDTH - LEFT - RIGHT

    def x_of(day: dt.date) -> float:
        return round(LEFT + inner * _days(start, day) / span, 1)

    # Rows per lane: greedy packing, left to right.
    placed: list[tuple[int, str, int, float, float]] = []  # (index, lane, row, x, x_end)
    rows_end: dict[str, list[float]] = {lane: [] for lane in vocab.LANES}
    for index, (event, day, end) in enumerate(zip(events, dates, ends, strict=True)):
        lane = vocab.EVENT_LANES.get(str(event["kind"]), "decision")
        x, x_end = x_of(day), max(x_of(end), x_of(day))
        row_ends = rows_end[lane]
        row = next((r for r, last in enumerate(row_ends) if x - last >= MIN_GAP), len(row_ends))
        if row == len(row_ends):
            row_ends.append(0.0)
        row_ends[row] = max(x, x_end)
        placed.append((index, lane, row, x, x_end))

    lanes: list[Lane] = []
    y = float(TOP)
    lane_top: dict[str, float] = {}
    for name in vocab.LANES:
        count = len(rows_end[name])
        if count == 0:
            continue
        height = count * ROW
        lanes.append(Lane(name, y, height))
        lane_top[name] = y
        y += height + LANE_GAP
    axis_y = y
    markers = tuple(
        Marker(
            number=index + 1,
            kind=str(events[index]["kind"]),
            lane=lane,
            x=x,
            x_end=x_end if x_end - x >= BAR_MIN else x,
            y=lane_top[lane] + row * ROW + ROW / 2,
            date=str(events[index]["date"]),
            precision=str(events[index].get("date_precision") or "day"),
            end_date=str(events[index]["end_date"]) if events[index].get("end_date") else None,
            title=str(events[index].get("title") or ""),
        )
        for index, lane, row, x, x_end in placed
    )
    ticks = tuple((x_of(dt.date(year, 1, 1)), year) for year in range(start.year, stop.year + 1))
    step = max(1, len(ticks) // 12)  # at most ~12 labelled years
    ticks = tuple(t for i, t in enumerate(ticks) if i % step == 0)
    band = None
    if force is not None:
        band = (x_of(force), x_of(min(repeal or today, stop)))
    return Layout(WIDTH, int(axis_y + 30), ticks, tuple(lanes), markers, band, axis_y)
