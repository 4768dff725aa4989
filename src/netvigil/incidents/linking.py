"""One incident per shutdown: which STOP rows report the same shutdown (pure functions).

Two ways one shutdown appears more than once in Access Now's data:

* **editions**: the same report year published twice (the 2020 CSV and the workbook's "2020 Data"
  sheet). The newer schema's sheet is Access Now's count for that year; a row of the other
  edition that matches one of its rows is an ``edition`` duplicate (not counted again, not shown
  again); a row that matches none is ``superseded`` (kept for editors, not counted: the later
  edition dropped or merged it). Match: same country, start dates at most :data:`MAX_DAY_SHIFT`
  apart, scored on shared source links, area words, same end and same start; one-to-one, best
  scores first, :data:`MIN_SCORE` at least.
* **carry-over**: a shutdown still going on at the end of a report year is reported again the
  next year (China's Signal block is in the 2021 and the 2022 sheets). A row that started before
  its own report year is linked to an earlier year's row of the same country and start date (the
  one still going on at the end of its year, then the closest area, where there are several).
  Each yearly report stays counted in its year
  (Access Now's counts are unchanged) and the site shows the first report as the incident.

Both are recomputed from all rows after every import, so the result does not depend on the
order files were imported in, and importing again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

EDITION = "edition"
SUPERSEDED = "superseded"
CARRY_OVER = "carry_over"
MAX_DAY_SHIFT = 31
MIN_SCORE = 1.0
SCHEMA_RANK = {"2020-2022": 3, "2019": 2, "2016-2018": 1}
_STOP_WORDS = frozenset({"and", "the", "district", "districts", "state", "in", "of", "area"})


@dataclass(frozen=True)
class RowFacts:
    id: int
    sheet: str
    row: int | None
    schema: str | None
    report_year: int | None
    country_code: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    area_name: str | None
    source_links: str | None
    natural_key: str


@dataclass(frozen=True)
class Link:
    same_as_id: int | None
    kind: str
    reason: str


def _links(text: str | None) -> set[str]:
    out = set()
    for url in re.findall(r"https?://[^\s;\"',]+", text or ""):
        url = re.sub(r"^https?://(www\.)?", "", url).rstrip("/.").lower()
        out.add(url.replace("/pdf/", "/"))
    return out


def _words(text: str | None) -> set[str]:
    return set(re.findall(r"[a-z]{3,}", (text or "").lower())) - _STOP_WORDS


def area_similarity(a: str | None, b: str | None) -> float:
    wa, wb = _words(a), _words(b)
    if not wa and not wb:
        return 0.5
    return len(wa & wb) / max(1, len(wa | wb))


def _where(r: RowFacts) -> str:
    return f"{r.sheet!r} row {r.row}"


def edition_score(other: RowFacts, main: RowFacts) -> float | None:
    if other.country_code != main.country_code or not other.country_code:
        return None
    if other.start_date is None or main.start_date is None:
        return None
    shift = abs((other.start_date - main.start_date).days)
    if shift > MAX_DAY_SHIFT:
        return None
    shared = bool(_links(other.source_links) & _links(main.source_links))
    same_end = other.end_date is not None and other.end_date == main.end_date
    return (
        2.0 * shared
        + area_similarity(other.area_name, main.area_name)
        + same_end
        + (shift == 0)
        - shift / MAX_DAY_SHIFT
    )


def _edition_links(rows: list[RowFacts]) -> dict[int, Link]:
    out: dict[int, Link] = {}
    by_year: dict[int, list[RowFacts]] = {}
    for r in rows:
        if r.report_year is not None:
            by_year.setdefault(r.report_year, []).append(r)
    for year, members in sorted(by_year.items()):
        sheets = {r.sheet for r in members}
        if len(sheets) < 2:
            continue
        main_sheet = max(
            sheets,
            key=lambda s: (
                max(SCHEMA_RANK.get(r.schema or "", 0) for r in members if r.sheet == s),
                s,
            ),
        )
        main = [r for r in members if r.sheet == main_sheet]
        others = [r for r in members if r.sheet != main_sheet]
        scored = []
        for o in others:
            for m in main:
                score = edition_score(o, m)
                if score is not None and score >= MIN_SCORE:
                    scored.append((-score, o.id, m.id, o, m))
        scored.sort(key=lambda item: item[:3])
        used_o: set[int] = set()
        used_m: set[int] = set()
        for neg, _, _, o, m in scored:
            if o.id in used_o or m.id in used_m:
                continue
            used_o.add(o.id)
            used_m.add(m.id)
            why = [f"country {o.country_code}", f"start {o.start_date} / {m.start_date}"]
            if _links(o.source_links) & _links(m.source_links):
                why.append("a shared source link")
            why.append(f"area words {area_similarity(o.area_name, m.area_name):.0%} alike")
            out[o.id] = Link(
                m.id,
                EDITION,
                f"{_where(o)} is {_where(m)} in another edition of {year} "
                f"({', '.join(why)}; score {-neg:.2f})",
            )
        for o in others:
            if o.id not in used_o:
                out[o.id] = Link(
                    None,
                    SUPERSEDED,
                    f"{_where(o)} is in no row of {main_sheet!r}, the later edition of {year} "
                    "that Access Now counts: kept, not counted",
                )
    return out


def _ended_before(r: RowFacts, year: int) -> bool:
    return r.end_date is not None and r.end_date < dt.date(year, 1, 1)


def _carry_over_links(rows: list[RowFacts]) -> dict[int, Link]:
    ordered = sorted(rows, key=lambda r: (r.report_year or 0, r.sheet, r.row or 0, r.id))
    predecessor: dict[int, RowFacts] = {}
    taken: set[int] = set()
    for later in ordered:
        if later.start_date is None or later.report_year is None or not later.country_code:
            continue
        if later.start_date >= dt.date(later.report_year, 1, 1):
            continue  # started within its own report year: not a carry-over
        candidates = [
            r
            for r in ordered
            if r.id not in taken
            and r.country_code == later.country_code
            and r.start_date == later.start_date
            and r.report_year is not None
            and r.report_year < later.report_year
        ]
        if not candidates:
            continue
        # A row that says it ended within its year is still the one a later report continues
        # when it is the only one (Myanmar's 2021 rows ended in September, the 2022 ones say
        # ongoing); among several, the one still going on, then the closest area, wins.
        best = max(
            candidates,
            key=lambda r: (
                not _ended_before(r, (r.report_year or 0) + 1),
                area_similarity(r.area_name, later.area_name),
                r.report_year,
                -r.id,
            ),
        )
        taken.add(best.id)
        predecessor[later.id] = best
    out: dict[int, Link] = {}
    for later_id, earlier in predecessor.items():
        root = earlier
        while root.id in predecessor:
            root = predecessor[root.id]
        later = next(r for r in rows if r.id == later_id)
        out[later_id] = Link(
            root.id,
            CARRY_OVER,
            f"{_where(later)} ({later.report_year}) reports again the shutdown of "
            f"{_where(earlier)} ({earlier.report_year}): {later.country_code}, same start "
            f"{later.start_date}",
        )
    return out


def link_rows(rows: list[RowFacts]) -> dict[int, Link]:
    """id -> Link for every row that reports a shutdown another row already reports."""
    links = _edition_links(rows)
    counted = [r for r in rows if r.id not in links]
    links.update(_carry_over_links(counted))
    return links
