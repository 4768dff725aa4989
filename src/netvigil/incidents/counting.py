"""The field's three counting conventions, reproduced from one set of records.

* **STOP** (Access Now #KeepItOn): one *incident* per row: one order or event, however many
  districts it covers and however many days it recurs, counted under its report year.
* **Cloudflare Radar** outage records: one *outage* per location and span -> one per
  :class:`Episode` (an incident without episodes is one outage).
* **IODA**: one *event* per uninterrupted signal loss per region/ASN -> one per daily window of an
  episode (a recurring exam-time shutdown is many events), or one per episode without windows.

Durations: STOP counts days including both the start and the end date (the note on line 1 of
the 2020 CSV: "the count of duration days ... include both the start date and the end date");
hours come from daily windows, else from episode spans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from netvigil.incidents.model import DailyWindow, Episode, Incident

CONVENTIONS = ("incidents", "outages", "events")


def outages(incident: Incident) -> int:
    """Cloudflare Radar's count for one incident."""
    return max(1, len(incident.episodes))


def events(incident: Incident) -> int:
    """IODA's count for one incident."""
    if not incident.episodes:
        return 1
    return sum(max(1, len(e.windows)) for e in incident.episodes)


def count(incident: Incident, convention: str) -> int:
    if convention == "incidents":
        return 1
    if convention == "outages":
        return outages(incident)
    if convention == "events":
        return events(incident)
    raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}")


def stop_days(incident: Incident) -> int | None:
    """Duration in days as Access Now counts it (both ends included); None if open-ended."""
    if incident.start_date is None or incident.end_date is None:
        return None
    return (incident.end_date - incident.start_date).days + 1


def window_hours(window: DailyWindow) -> float:
    """Hours of one daily window; one that ends at or before its start runs past midnight."""
    start = window.start_time or dt.time(0)
    if window.end_time is None:  # to midnight
        return 24 - (start.hour + start.minute / 60 + start.second / 3600)
    span = dt.datetime.combine(window.day, window.end_time) - dt.datetime.combine(window.day, start)
    hours = span.total_seconds() / 3600
    return hours if hours > 0 else hours + 24


def episode_hours(episode: Episode) -> float | None:
    if episode.windows:
        return sum(window_hours(w) for w in episode.windows)
    if episode.start_at is None or episode.end_at is None:
        return None
    return (episode.end_at - episode.start_at).total_seconds() / 3600


def group_name(key: str, value: object) -> str:
    """The name of a group: the year, the country's display name, or the type code."""
    if value is None:
        return "unknown"
    if key == "country":
        from netvigil.models.countries import display_name

        return display_name(str(value))
    return str(value)


def tally(incidents: Iterable[Incident], key: str, convention: str) -> dict[str, int]:
    """Counts per group (``key``: year | country | type) under ``convention``."""
    out: dict[str, int] = {}
    for incident in incidents:
        value = {
            "year": incident.report_year,
            "country": incident.country_code,
            "type": incident.type_code,
        }[key]
        group = group_name(key, value)
        out[group] = out.get(group, 0) + count(incident, convention)
    return dict(sorted(out.items()))
