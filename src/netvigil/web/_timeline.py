"""The incident page's timeline as SVG shapes (pure): the incident's span, each episode's span,
and each daily window drawn at its hours of the day, on one time axis.

Returns plain numbers for the template to draw (``incident.html``): no script, no inline style,
so the page keeps its strict Content-Security-Policy. A shutdown that is still going on is drawn
to its "as of" date with an open end.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

WIDTH = 720.0
LEFT = 150.0  # room for row labels
ROW = 26.0
BAR = 14.0
MAX_DAYS_WITH_TICKS = 62  # one tick per day up to two months, else one per month


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _moment(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def timeline(record: dict[str, Any], as_of: dt.date) -> dict[str, Any] | None:
    """Shapes for the record's timeline, or None without a start date."""
    stop = record.get("stop") or {}
    start = _date(stop.get("start_date"))
    if start is None:
        return None
    end = _date(stop.get("end_date"))
    if end is not None and end < start:
        end = None  # an impossible end is not drawn
    open_end = end is None
    episodes = record.get("episodes") or []
    last = end or max(as_of, start)
    first = start
    for ep in episodes:
        for w in ep.get("windows") or []:
            day = _date(w["day"])
            if day is not None:
                first, last = min(first, day), max(last, day)
        for key in ("start_at", "end_at"):
            moment = _moment(ep.get(key))
            if moment is not None:
                first, last = min(first, moment.date()), max(last, moment.date())
    days = (last - first).days + 1
    scale = (WIDTH - LEFT - 10) / days

    def x_of(day: dt.date, hours: float = 0.0) -> float:
        return round(LEFT + ((day - first).days + hours / 24) * scale, 2)

    rows: list[dict[str, Any]] = []
    span_end = x_of(end, 24) if end else x_of(last, 24)
    rows.append(
        {
            "label": "incident",
            "bars": [{"x": x_of(start), "w": round(span_end - x_of(start), 2), "open": open_end}],
        }
    )
    for index, ep in enumerate(episodes, start=1):
        bars = []
        begin, finish = _moment(ep.get("start_at")), _moment(ep.get("end_at"))
        if begin is not None:
            b = x_of(begin.date(), begin.hour + begin.minute / 60)
            f = x_of(finish.date(), finish.hour + finish.minute / 60) if finish else x_of(last, 24)
            bars.append({"x": b, "w": round(max(f - b, 1.0), 2), "open": finish is None})
        for w in ep.get("windows") or []:
            day = _date(w["day"])
            if day is None:
                continue
            h1 = _hours(w.get("start_time"), 0.0)
            h2 = _hours(w.get("end_time"), 24.0)
            if h2 <= h1:
                h2 += 24  # runs past midnight
            bars.append(
                {"x": x_of(day, h1), "w": round(max((h2 - h1) / 24 * scale, 1.0), 2), "open": False}
            )
        rows.append({"label": ep.get("area_name") or f"episode {index}", "bars": bars})
    for i, row in enumerate(rows):
        row["y"] = 22 + i * ROW
    ticks = _ticks(first, last, x_of)
    return {
        "width": WIDTH,
        "height": 30 + len(rows) * ROW + 18,
        "left": LEFT,
        "bar": BAR,
        "rows": rows,
        "ticks": ticks,
        "axis_y": 30 + len(rows) * ROW - 8,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "open_end": open_end,
        "as_of": as_of.isoformat() if open_end else None,
    }


def _hours(value: str | None, default: float) -> float:
    if not value:
        return default
    t = dt.time.fromisoformat(value)
    return t.hour + t.minute / 60


def _ticks(first: dt.date, last: dt.date, x_of: Any) -> list[dict[str, Any]]:
    days = (last - first).days + 1
    ticks = []
    if days <= MAX_DAYS_WITH_TICKS:
        step = 1 if days <= 16 else 7
        for i in range(0, days, step):
            day = first + dt.timedelta(days=i)
            ticks.append({"x": x_of(day), "label": day.strftime("%d %b")})
    else:
        month = dt.date(first.year, first.month, 1)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        step = max(1, months // 8)
        for i in range(0, months, step):
            y, m = divmod(month.month - 1 + i, 12)
            day = dt.date(month.year + y, m + 1, 1)
            if first <= day <= last:
                ticks.append({"x": x_of(day), "label": day.strftime("%b %Y")})
    return ticks
