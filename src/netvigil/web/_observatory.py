"""What the analytical store says, shaped for the observatory's pages (home, country, ASN, region).

The web layer reads the store only through :class:`netvigil.store.AnalyticalStore` (aggregations,
verdicts, signals, events). The embedded reader is not thread-safe, so each server thread keeps
its own read-only store (:class:`StoreReaders`). Everything here returns plain dicts and lists:
the HTML pages and their JSON twins show the same values.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from netvigil.models import countries as world
from netvigil.models.catalogue import Catalogue
from netvigil.models.events import iso

__all__ = ["StoreReaders", "Window", "iso"]
from netvigil.store import open_store
from netvigil.store.aggregation import AggregationQuery

if TYPE_CHECKING:
    from netvigil.store import AnalyticalStore, StoredEvent

OUTCOMES = ("ok", "anomaly", "confirmed", "failure")
# The windows the country page draws: a day grain for up to four months, weeks up to two years,
# months beyond (a chart of more than ~120 bars per outcome stops being readable).
DAY_GRAIN_MAX_DAYS = 120
WEEK_GRAIN_MAX_DAYS = 730
DEFAULT_WINDOW_DAYS = 365
TOP_DOMAINS = 20
TOP_NETWORKS = 15
# An event the detector left open counts as going on now only while its entity still has data:
# a series that stopped (an archive, a dead feed) leaves its last event open for ever.
STALE_AFTER = dt.timedelta(days=2)


# The store's change cursor is read at most this often for the page cache's version: a page may
# lag a commit by this long; reading it costs a query over the events tier.
VERSION_TTL_S = 1.0


class StoreReaders:
    """One read-only store per thread (the embedded reader is not thread-safe)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self._version: tuple[float, int] = (0.0, 0)

    def get(self) -> AnalyticalStore:
        store: AnalyticalStore | None = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.url, writable=False)
            self._local.store = store
        return store

    def version(self) -> int:
        """The store's change cursor: it moves with every commit (measurements, signals,
        events), so it versions every page built from the store."""
        return self.get().events(changed_since=1 << 62).cursor


@dataclass(frozen=True)
class Window:
    since: dt.date
    until: dt.date  # inclusive
    grain: str  # day, week, month

    def as_dict(self) -> dict[str, str]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "grain": self.grain,
        }

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.since, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def grain_for(since: dt.date, until: dt.date) -> str:
    days = (until - since).days + 1
    if days <= DAY_GRAIN_MAX_DAYS:
        return "day"
    return "week" if days <= WEEK_GRAIN_MAX_DAYS else "month"


def window_of(
    dates: Iterable[dt.date], since: dt.date | None, until: dt.date | None, today: dt.date
) -> Window:
    """The window a page draws: what the reader asked for, else the span of the data (at most
    a year, ending at the newest data), else the last year."""
    known = sorted(dates)
    end = until or (known[-1] if known else today)
    start = since or max(known[0] if known else end, end - dt.timedelta(DEFAULT_WINDOW_DAYS))
    if start > end:
        start, end = end, start
    return Window(start, end, grain_for(start, end))


def bucket(day: dt.date, grain: str) -> dt.date:
    """The first day of ``day``'s bucket (weeks start on Monday, as the aggregation's)."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


# --- events --------------------------------------------------------------------------------------
def entity_country(entity: str) -> str | None:
    """The country an event's entity (or scope) is in, when it says: ``country:IR/...``, or a
    region code that starts with one (``region:IR-Tehran``)."""
    for part in entity.split("/"):
        kind, _, code = part.partition(":")
        if kind == "country" and len(code) == 2:
            return code.upper()
        if kind == "region" and len(code) > 3 and code[2] == "-" and code[:2].isalpha():
            return code[:2].upper()
    return None


def entity_label(entity: str, lang: str = "en") -> str:
    """``country:IR/asn:AS197207/service:tor`` -> ``Iran / AS197207 / tor``."""
    out = []
    for part in entity.split("/"):
        kind, _, code = part.partition(":")
        if kind == "country" and len(code) == 2:
            out.append(world.display_name(code, lang))
        elif kind == "region" and len(code) > 3 and code[2] == "-":
            out.append(f"{code[3:]} ({world.display_name(code[:2], lang)})")
        else:
            out.append(code)
    return " / ".join(out)


def event_url(event_id: str) -> str:
    return "/events/" + quote(event_id, safe=":/")


def event_dict(stored: StoredEvent, lang: str = "en") -> dict[str, Any]:
    e = stored.event
    return {
        "id": e.event_id,
        "entity": e.entity,
        "entity_label": entity_label(e.entity, lang),
        "country_code": entity_country(e.entity),
        "kind": e.kind,
        "start": iso(e.start),
        "end": None if e.end is None else iso(e.end),
        "ongoing": e.end is None,
        "score": round(e.score, 3),
        "signals": list(e.signals),
        "detector": e.detector,
        "detector_version": e.detector_version,
        "detected_at": iso(e.detected_at),
        "revision": stored.revision,
        "url": event_url(e.event_id),
    }


def all_events(store: AnalyticalStore, lang: str = "en") -> list[dict[str, Any]]:
    """Every stored event (latest version), newest start first."""
    found = [event_dict(s, lang) for s in store.events().events]
    return sorted(found, key=lambda e: (e["start"], e["id"]), reverse=True)


def labelled(events: Iterable[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """``events`` with their entity named in ``lang``."""
    return [dict(e, entity_label=entity_label(e["entity"], lang)) for e in events]


def in_effect(event: dict[str, Any], at: dt.datetime) -> bool:
    """Whether the event was going on at ``at`` (started, and not ended before it)."""
    moment = iso(at)
    return bool(event["start"] <= moment and (event["end"] is None or event["end"] > moment))


def fresh_entities(store: AnalyticalStore, at: dt.datetime) -> set[str]:
    """Entities with data in the ``STALE_AFTER`` before ``at``: signal points, and countries
    with measurements."""
    since = at - STALE_AFTER
    until = int(at.timestamp())
    fresh = {
        f"{p.entity_type}:{p.entity_code}"
        for p in store.signals(since=since)
        if p.timestamp <= until
    }
    rows = store.aggregate(AggregationQuery(axis_x="probe_cc", since=since, until=at))
    fresh.update(f"country:{r['probe_cc']}" for r in rows if r["probe_cc"])
    return fresh


def going_on(event: dict[str, Any], at: dt.datetime, fresh: set[str]) -> bool:
    """In effect at ``at``, and if still open, its entity (or its country) still has data."""
    if not in_effect(event, at):
        return False
    if event["end"] is not None:
        return True
    outer = event["entity"].split("/")[0]
    country = event["country_code"]
    return outer in fresh or (country is not None and f"country:{country}" in fresh)


def find_event(store: AnalyticalStore, event_id: str, lang: str = "en") -> dict[str, Any] | None:
    return next((e for e in all_events(store, lang) if e["id"] == event_id), None)


# --- verdicts ------------------------------------------------------------------------------------
def verdict_days(
    store: AnalyticalStore, *, cc: str | None = None, asn: str | None = None
) -> list[dict[str, Any]]:
    """One row per day with the four non-overlapping counts (OONI's aggregation)."""
    return store.aggregate(
        AggregationQuery(probe_cc=cc, probe_asn=asn, axis_x="measurement_start_day")
    )


def verdict_series(days: Sequence[dict[str, Any]], window: Window) -> list[dict[str, Any]]:
    """``days`` folded into the window's grain, long form (one row per bucket and outcome with
    a count above zero): what the chart draws, one bar segment per row."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in days:
        day = dt.date.fromisoformat(row["measurement_start_day"])
        if window.since <= day <= window.until:
            start = bucket(day, window.grain).isoformat()
            for outcome in OUTCOMES:
                counts[(start, outcome)] += int(row[f"{outcome}_count"])
    return [
        {"date": date, "outcome": outcome, "count": n}
        for (date, outcome), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0], OUTCOMES.index(kv[0][1]))
        )
        if n > 0
    ]


def blocked_domains(
    store: AnalyticalStore, cc: str, window: Window, *, asn: str | None = None
) -> list[dict[str, Any]]:
    """Domains with confirmed or anomalous measurements in the window, most confirmed first."""
    rows = store.aggregate(
        AggregationQuery(
            probe_cc=cc, probe_asn=asn, axis_x="domain", since=window.start, until=window.end
        )
    )
    found = [
        {k: r[k] for k in ("domain", "confirmed_count", "anomaly_count", "measurement_count")}
        for r in rows
        if r["domain"] and (r["confirmed_count"] or r["anomaly_count"])
    ]
    found.sort(key=lambda r: (-r["confirmed_count"], -r["anomaly_count"], r["domain"]))
    return found[:TOP_DOMAINS]


def services_measured(
    store: AnalyticalStore, catalogue: Catalogue, cc: str, window: Window, *, asn: str | None = None
) -> list[dict[str, Any]]:
    """Per service of the catalogue: its own test's verdicts and its websites' verdicts."""
    totals: dict[str, dict[str, int]] = {}

    def add(name: str, row: dict[str, Any]) -> None:
        into = totals.setdefault(
            name, dict.fromkeys(("measurement_count", *(f"{o}_count" for o in OUTCOMES)), 0)
        )
        for key in into:
            into[key] += int(row[key])

    query = AggregationQuery(probe_cc=cc, probe_asn=asn, since=window.start, until=window.end)
    for row in store.aggregate(_replace(query, axis_x="test_name")):
        service = catalogue.by_nettest(row["test_name"] or "")
        if service is not None:
            add(service.name, row)
    for row in store.aggregate(_replace(query, axis_x="domain")):
        service = catalogue.of_domain(row["domain"]) if row["domain"] else None
        if service is not None and service.nettest is None:
            add(service.name, row)
    out: list[dict[str, Any]] = [
        {"service": name, "label": catalogue.get(name).label, **counts}
        for name, counts in totals.items()
    ]
    out.sort(key=lambda r: (-(r["confirmed_count"] + r["anomaly_count"]), r["service"]))
    return out


def coverage(
    store: AnalyticalStore, cc: str, window: Window, *, asn: str | None = None
) -> dict[str, Any]:
    """Networks measured in the window and how many measurements each."""
    rows = store.aggregate(
        AggregationQuery(
            probe_cc=cc, probe_asn=asn, axis_x="probe_asn", since=window.start, until=window.end
        )
    )
    networks = sorted(
        ({"asn": f"AS{r['probe_asn']}", "measurement_count": r["measurement_count"]} for r in rows),
        key=lambda r: (-r["measurement_count"], r["asn"]),
    )
    return {
        "measurement_count": sum(r["measurement_count"] for r in networks),
        "network_count": len(networks),
        "networks": networks[:TOP_NETWORKS],
    }


def _replace(query: AggregationQuery, **changes: Any) -> AggregationQuery:
    from dataclasses import replace

    return replace(query, **changes)


# --- signals -------------------------------------------------------------------------------------
def signal_series(
    store: AnalyticalStore, entity_type: str, entity_code: str, window: Window | None
) -> list[dict[str, Any]]:
    """The entity's signals in the window: ``{signal, t, value, relative}`` per point, where
    ``relative`` is the value as a percentage of the signal's median in the window (signals of
    different units share one chart, as IODA's normalised view)."""
    points = store.signals(
        since=None if window is None else window.start,
        entity_type=entity_type,
        entity_code=entity_code,
    )
    end = None if window is None else int(window.end.timestamp())
    by_signal: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for p in points:
        if (end is None or p.timestamp < end) and p.value == p.value:  # NaN: a missing bin
            by_signal[p.signal].append((p.timestamp, p.value))
    out: list[dict[str, Any]] = []
    for signal in sorted(by_signal):
        values = sorted(v for _, v in by_signal[signal])
        median = values[len(values) // 2] if values else 0.0
        for ts, value in by_signal[signal]:
            out.append(
                {
                    "signal": signal,
                    "t": iso(dt.datetime.fromtimestamp(ts, dt.UTC)),
                    "value": round(value, 4),
                    "relative": round(100 * value / median, 2) if median else None,
                }
            )
    return out


def signal_dates(store: AnalyticalStore, entity_type: str, entity_code: str) -> list[dt.date]:
    points = store.signals(entity_type=entity_type, entity_code=entity_code)
    if not points:
        return []
    stamps = [p.timestamp for p in points]
    return [
        dt.datetime.fromtimestamp(min(stamps), dt.UTC).date(),
        dt.datetime.fromtimestamp(max(stamps), dt.UTC).date(),
    ]
