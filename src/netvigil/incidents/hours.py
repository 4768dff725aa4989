"""Hours of a shutdown read from STOP's own words: daily windows and exact spans (pure).

STOP has no hour columns, but since 2021 its ``event`` text often says them: "Mobile internet was
suspended in Srinagar from 15:00 to 21:00 daily between Jan. 9 and Jan. 11", "from 17:00 on
Jan. 9 to 13:00 on Jan. 10", "from 4:00am to 11:00am local time on Feb. 12". Three shapes are
read, nothing looser (a wrong hour is worse than none; editors add the rest in the editor):

* **daily**: a time range, a word for "every day" (daily, every day, curfew-style) and a date
  range (or the row's own start and end dates) -> one window per day;
* **span**: "from T1 on D1 to T2 on D2" -> an episode with an exact start and end;
* **one day**: "from/between T1 to/and T2 ... on D" -> one window.

Times are local unless the sentence says UTC; local means the country's time zone (CLDR's zone
for the territory, the first listed where a country has several).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TEXT_COLUMNS = ("event", "actual_cause_details", "gov_just_details", "gov_ack_quote")
MAX_DAILY_DAYS = 120  # a "daily" range longer than this is not expanded into windows

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = (
    r"(?P<{0}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<{0}>\d{{1,2}})(?:st|nd|rd|th)?"


def _date_re(tag: str) -> str:
    """ "Jan. 9", "January 9, 2021", "9 January 2021", "30th April 2022", "1/12/2022"."""
    year1, year2 = rf"(?:,?\s+(?P<{tag}y1>20\d\d))?", rf"(?:,?\s+(?P<{tag}y2>20\d\d))?"
    month_first = rf"{_MONTH.format(tag + 'm1')}\s+{_DAY.format(tag + 'd1')}{year1}"
    day_first = rf"{_DAY.format(tag + 'd2')}\s+(?:of\s+)?{_MONTH.format(tag + 'm2')}{year2}"
    numeric = rf"(?P<{tag}nm>\d{{1,2}})/(?P<{tag}nd>\d{{1,2}})/(?P<{tag}ny>20\d\d)"
    return rf"(?:{numeric}|{month_first}|{day_first})"


_TIME = (
    r"(?:(?P<{0}h>\d{{1,2}})(?:[:.](?P<{0}m>\d{{2}}))?\s*(?P<{0}ap>[ap]\.?\s?m\b\.?)"
    r"|(?P<{0}hh>\d{{1,2}})[:.](?P<{0}mm>\d{{2}})(?!\d)"
    r"|(?P<{0}mil>\d{{4}})\s*hours"
    r"|(?P<{0}mid>midnight|noon))"
)


def _time_re(tag: str) -> str:
    return _TIME.format(tag)


_SEP = r"\s*(?:-|–|to|till|until|and)\s*"
_AROUND = r"(?:around\s+|about\s+|approximately\s+)?"

_DAILY = rf"{_AROUND}{_time_re('t1')}{_SEP}{_AROUND}{_time_re('t2')}"
DAILY_RANGE = re.compile(
    rf"{_DAILY}(?:[^.]|\.(?=\s*\d)){{0,80}}?(?:between|from|starting|period of)\s+"
    rf"{_date_re('a')}{_SEP}{_date_re('b')}",
    re.IGNORECASE,
)
DAILY = re.compile(_DAILY, re.IGNORECASE)
SPAN = re.compile(
    rf"{_AROUND}{_time_re('t1')}\s*(?:local time\s*)?(?:on\s+)?(?:the\s+)?{_date_re('a')}"
    rf"{_SEP}{_AROUND}{_time_re('t2')}\s*(?:local time\s*)?(?:on\s+)?(?:the\s+)?{_date_re('b')}",
    re.IGNORECASE,
)
ONE_DAY = re.compile(
    rf"(?:from|between)\s+{_AROUND}{_time_re('t1')}{_SEP}{_AROUND}{_time_re('t2')}"
    rf"(?:\s*(?:local time|\([^)]*\)|utc|ist))?,?\s+on\s+(?:\w+day,?\s+)?{_date_re('a')}",
    re.IGNORECASE,
)
EVERY_DAY = re.compile(r"\bdaily\b|every\s?days?\b|each day|curfew[- ]style", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    day: dt.date
    start: dt.time | None  # None = from midnight
    end: dt.time | None  # None = to midnight


@dataclass(frozen=True)
class EpisodeHours:
    """Hours read from one sentence: daily windows, or an exact span."""

    source: str  # the column the text came from
    text: str  # the words read (for the editor to check)
    timezone: str
    windows: list[Window] = field(default_factory=list)
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None


def _time(m: re.Match[str], tag: str) -> dt.time | bool | None:
    """A time of day; None means midnight at the end of a range (24:00); False = not a time."""
    g = m.groupdict()
    if g.get(f"{tag}mid"):
        return dt.time(12) if g[f"{tag}mid"].lower() == "noon" else None
    if g.get(f"{tag}mil"):
        hour, minute = divmod(int(g[f"{tag}mil"]), 100)
    elif g.get(f"{tag}hh"):
        hour, minute = int(g[f"{tag}hh"]), int(g[f"{tag}mm"])
    elif g.get(f"{tag}h"):
        hour, minute = int(g[f"{tag}h"]), int(g.get(f"{tag}m") or 0)
        pm = g[f"{tag}ap"].lower().startswith("p")
        if not 1 <= hour <= 12:
            return False
        hour = (hour % 12) + (12 if pm else 0)
    else:
        return False
    if hour == 24 and minute == 0:
        return None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return False
    return dt.time(hour, minute)


def _date(m: re.Match[str], tag: str, anchor: dt.date | None) -> dt.date | None:
    g = m.groupdict()
    try:
        if g.get(f"{tag}ny"):
            return dt.date(int(g[f"{tag}ny"]), int(g[f"{tag}nm"]), int(g[f"{tag}nd"]))
        for k in ("1", "2"):
            if g.get(f"{tag}m{k}"):
                month = _month_key(g[f"{tag}m{k}"])
                day = int(g[f"{tag}d{k}"])
                year = int(g[f"{tag}y{k}"]) if g.get(f"{tag}y{k}") else None
                if year is None:
                    if anchor is None:
                        return None
                    year = anchor.year
                    # "Dec. 31 ... Jan. 2" around a start in late December: next year.
                    if month < anchor.month - 6:
                        year += 1
                return dt.date(year, month, day)
    except (ValueError, KeyError):
        return None
    return None


def _month_key(text: str) -> int:
    key = text.lower().rstrip(".")
    if key in _MONTHS:
        return _MONTHS[key]
    return _MONTHS[key[:3]]


def timezone_of(country_code: str | None) -> str:
    """The country's time zone (CLDR; the first listed where there are several), else UTC."""
    if not country_code:
        return "UTC"
    from babel.core import get_global

    zones = get_global("territory_zones").get(country_code.upper(), [])
    return str(zones[0]) if zones else "UTC"


def _zone(text: str, country_code: str | None) -> str:
    return "UTC" if re.search(r"\bUTC\b|\bGMT\b", text) else timezone_of(country_code)


def _at(day: dt.date, t: dt.time | None, zone: str, *, end: bool) -> dt.datetime:
    from zoneinfo import ZoneInfo

    if t is None:
        moment = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(0))
    else:
        moment = dt.datetime.combine(day, t)
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def read_hours(cells: Mapping[str, Any], country_code: str | None) -> list[EpisodeHours]:
    """Hours stated in a STOP row's text columns (first sentence that reads, per column)."""
    start = cells.get("start_date") if isinstance(cells.get("start_date"), dt.date) else None
    end = cells.get("end_date") if isinstance(cells.get("end_date"), dt.date) else None
    found: list[EpisodeHours] = []
    for column in TEXT_COLUMNS:
        text = str(cells.get(column) or "")
        if not text.strip():
            continue
        item = _read(text, column, start, end, country_code)
        if item is not None:
            found.append(item)
            break  # the columns repeat one another; the first statement wins
    return found


def _read(
    text: str, column: str, start: dt.date | None, end: dt.date | None, cc: str | None
) -> EpisodeHours | None:
    zone = _zone(text, cc)
    for m in SPAN.finditer(text):
        t1, t2 = _time(m, "t1"), _time(m, "t2")
        d1, d2 = _date(m, "a", start), _date(m, "b", start)
        if t1 is False or t2 is False or d1 is None or d2 is None:
            continue
        begin = _at(d1, t1, zone, end=False)  # type: ignore[arg-type]
        finish = _at(d2, t2, zone, end=True)  # type: ignore[arg-type]
        if finish > begin:
            return EpisodeHours(column, m.group(0), zone, start_at=begin, end_at=finish)
    for m in [*DAILY_RANGE.finditer(text), *DAILY.finditer(text)]:
        t1, t2 = _time(m, "t1"), _time(m, "t2")
        if t1 is False or t2 is False:
            continue
        context = text[max(0, m.start() - 160) : m.end() + 40]
        if not EVERY_DAY.search(context):
            continue
        ranged = m.re is DAILY_RANGE
        d1 = _date(m, "a", start) if ranged else start
        d2 = _date(m, "b", start) if ranged else end
        if d1 is None or d2 is None or d2 < d1 or (d2 - d1).days >= MAX_DAILY_DAYS:
            continue
        days = [d1 + dt.timedelta(days=i) for i in range((d2 - d1).days + 1)]
        windows = [Window(d, t1, t2) for d in days]  # type: ignore[arg-type]
        return EpisodeHours(column, m.group(0), zone, windows=windows)
    for m in ONE_DAY.finditer(text):
        t1, t2 = _time(m, "t1"), _time(m, "t2")
        day = _date(m, "a", start)
        if t1 is False or t2 is False or day is None:
            continue
        return EpisodeHours(column, m.group(0), zone, windows=[Window(day, t1, t2)])  # type: ignore[arg-type]
    return None
