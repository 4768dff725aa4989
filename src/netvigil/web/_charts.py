"""Charts: each one a kind, a query and the data that query gives, with a verifiable id.

A chart is built by the builder of its kind from a fully resolved query (nothing left to
defaults that could move), so the same query over the same data always gives the same chart.
Its id is ``<digest>-<query token>``: the digest is the first 16 hex digits of the SHA-256 of the
canonical JSON of ``{"chart", "query", "data", "rules_version"}``, and the token is the query
itself (base64url of its canonical JSON), so ``/verify/{id}`` can rebuild the chart from the
store and say whether the digest still matches. Anyone can recompute the digest from the chart's
JSON (``/embed/<kind>.json?...`` or the page's twin) without trusting the site: that is the
check OONI Explorer's users asked for (ooni/explorer#936).

The builders' data is exactly what the browser draws (``static/charts.js``): one mark per row of
``data`` (per line for signals), and the same rows are the table under each chart.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from netvigil.analysis.rules import RULES_VERSION
from netvigil.incidents import Tracker
from netvigil.models import countries as world
from netvigil.models.catalogue import Catalogue
from netvigil.store import AnalyticalStore
from netvigil.store.aggregation import AXES, COUNTS, TIME_GRAINS, AggregationQuery, asn_number
from netvigil.web import _observatory as obs
from netvigil.web import _tracker as tracked

__all__ = ["BUILDERS", "ChartQueryError", "Sources", "asn_number", "build", "verify"]
DIGEST_HEX = 16


class ChartQueryError(ValueError):
    """A chart query with an unknown or malformed parameter (a 400 naming it)."""


@dataclass(frozen=True)
class Sources:
    """Where charts read from: the store (this thread's reader), the tracker and its policy
    records, the service catalogue, the Citizen Lab test lists (category_code)."""

    store: AnalyticalStore
    tracker: Tracker
    policy: Any
    catalogue: Catalogue
    test_lists: Any = None
    memo: dict[Any, Any] = field(default_factory=dict)  # reads shared by one page's charts
    # Reads shared between requests while the data is unchanged: keyed by ``version`` (the
    # tracker's audit seq and the store's change cursor), so a commit anywhere retires them.
    shared: SharedReads | None = None
    version: tuple[int, int] = (0, 0)

    def once(self, key: Any, read: Callable[[], Any]) -> Any:
        """``read()`` the first time ``key`` is asked for at this data version, then its result."""
        if key not in self.memo:
            if self.shared is None:
                self.memo[key] = read()
            else:
                self.memo[key] = self.shared.get((self.version, key), read)
        return self.memo[key]


class SharedReads:
    """A bounded map of reads by (data version, key), shared by the server's threads."""

    def __init__(self, max_entries: int = 512) -> None:
        import threading

        self.max_entries = max_entries
        self._entries: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, read: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                return self._entries[key]
        value = read()  # outside the lock: two threads may both read once, never block
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = value
        return value


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def digest(kind: str, query: Mapping[str, Any], data: Any) -> str:
    body = {"chart": kind, "query": dict(query), "data": data, "rules_version": RULES_VERSION}
    return hashlib.sha256(canonical(body)).hexdigest()[:DIGEST_HEX]


def query_token(kind: str, query: Mapping[str, Any]) -> str:
    raw = canonical({"chart": kind, **query})
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_id(chart_id: str) -> tuple[str, str, dict[str, Any]]:
    """(digest, kind, query) of a chart id; ChartQueryError when it is not one."""
    head, sep, token = chart_id.partition("-")
    if not sep or len(head) != DIGEST_HEX or any(c not in "0123456789abcdef" for c in head):
        raise ChartQueryError("chart id: expected <16 hex digits>-<query>")
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ChartQueryError("chart id: its query part is not readable") from exc
    if not isinstance(decoded, dict) or decoded.get("chart") not in BUILDERS:
        raise ChartQueryError("chart id: it names no kind of chart this site draws")
    kind = str(decoded.pop("chart"))
    return head, kind, decoded


def spec(kind: str, query: dict[str, Any], data: Any, title: str, **extra: Any) -> dict[str, Any]:
    """The chart as pages, embeds and the renderer read it."""
    chart_id = f"{digest(kind, query, data)}-{query_token(kind, query)}"
    params = urlencode({k: v for k, v in query.items() if v is not None})
    return {
        "id": chart_id,
        "kind": kind,
        "title": title,
        "query": query,
        "rules_version": RULES_VERSION,
        "data": data,
        "verify_url": f"/verify/{chart_id}",
        "embed_url": f"/embed/{kind}" + (f"?{params}" if params else ""),
        **extra,
    }


# --- the builders: kind -> (sources, query) -> data ----------------------------------------------
def _date(query: Mapping[str, Any], name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(query[name]))
    except (KeyError, ValueError) as exc:
        raise ChartQueryError(f"{name}: expected a date YYYY-MM-DD") from exc


def _window(query: Mapping[str, Any]) -> obs.Window:
    since, until = _date(query, "since"), _date(query, "until")
    grain = str(query.get("grain") or obs.grain_for(since, until))
    if grain not in ("day", "week", "month"):
        raise ChartQueryError("grain: expected day, week or month")
    if since > until:
        raise ChartQueryError("since: must not be after until")
    return obs.Window(since, until, grain)


def _cc(query: Mapping[str, Any]) -> str | None:
    cc = query.get("cc")
    if cc is None:
        return None
    if world.lookup(str(cc)) is None or len(str(cc)) != 2:
        raise ChartQueryError(f"cc: unknown country code {cc!r}")
    return str(cc).upper()


def _asn(query: Mapping[str, Any]) -> str | None:
    asn = query.get("asn")
    if asn is None:
        return None
    try:
        return f"AS{asn_number(str(asn))}"
    except Exception as exc:
        raise ChartQueryError(f"asn: expected AS12345, got {asn!r}") from exc


def verdicts_data(src: Sources, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Verdicts over time (ok / anomaly / confirmed / failure), as OONI's MAT stacks them."""
    window = _window(query)
    cc, asn = _cc(query), _asn(query)
    days = src.once(("days", cc, asn), lambda: obs.verdict_days(src.store, cc=cc, asn=asn))
    return obs.verdict_series(days, window)


def signals_data(src: Sources, query: Mapping[str, Any]) -> dict[str, Any]:
    """An entity's signals in the window (relative to each signal's median) and its events."""
    window = _window(query)
    entity = str(query.get("entity") or "")
    kind, _, code = entity.partition(":")
    if kind not in ("country", "region", "asn") or not code:
        raise ChartQueryError("entity: expected country:XX, region:<code> or asn:AS<number>")
    points = src.once(
        ("signals", entity, window), lambda: obs.signal_series(src.store, kind, code, window)
    )
    start, end = obs.iso(window.start), obs.iso(window.end)
    events = [
        {k: e[k] for k in ("id", "kind", "start", "end", "entity", "score", "url")}
        for e in src.once("events", lambda: obs.all_events(src.store))
        if (e["entity"] == entity or e["entity"].startswith(entity + "/"))
        and e["start"] < end
        and (e["end"] is None or e["end"] > start)
    ]
    events.sort(key=lambda e: (e["start"], e["id"]))
    return {"points": points, "events": events}


def timeline_data(src: Sources, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Published incidents (by start date) and legal instruments' history events in the window."""
    window = _window(query)
    cc = _cc(query)
    if cc is None:
        raise ChartQueryError("cc: a country code is required")
    marks = [
        {
            "date": i["date"],
            "end": i["end"],
            "kind": "incident",
            "label": i["title"],
            "url": i["url"],
        }
        for i in src.once(
            ("incidents", cc, window),
            lambda: tracked.incidents_between(src.tracker, cc, window.since, window.until),
        )
    ]
    from netvigil.web._policy import country_section

    for law in country_section(src.policy, cc)["instruments"]:
        for event in law["history"]:
            day = dt.date.fromisoformat(event["date"])
            if window.since <= day <= window.until:
                marks.append(
                    {
                        "date": event["date"],
                        "end": event.get("end_date"),
                        "kind": "law",
                        "label": f"{law.get('short_name_en') or law['name_en']}: "
                        f"{event['title_en']}",
                        "url": law.get("url"),
                    }
                )
    marks.sort(key=lambda m: (m["date"], m["kind"], m["label"]))
    return marks


def map_data(src: Sources, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Countries with an outage, blocking or platform event going on at ``at`` (an open event
    counts while its entity has data: ``_observatory.going_on``), or an ongoing published
    incident: the most severe colours the country (outage > blocking > incident)."""
    try:
        at = dt.datetime.fromisoformat(str(query["at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError) as exc:
        raise ChartQueryError("at: expected a time YYYY-MM-DDTHH:MMZ") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    found: dict[str, dict[str, Any]] = {}

    def entry(cc: str) -> dict[str, Any]:
        return found.setdefault(
            cc, {"cc": cc, "numeric": numeric_code(cc), "events": 0, "incidents": 0, "kinds": []}
        )

    fresh = src.once(("fresh", at), lambda: obs.fresh_entities(src.store, at))
    for event in src.once("events", lambda: obs.all_events(src.store)):
        cc = event["country_code"]
        if cc and obs.going_on(event, at, fresh):
            item = entry(cc)
            item["events"] += 1
            if event["kind"] not in item["kinds"]:
                item["kinds"].append(event["kind"])
    ongoing = src.once(
        ("ongoing", at.date()), lambda: tracked.ongoing_incidents(src.tracker, at.date())
    )
    for incident in ongoing:
        if incident["country_code"]:
            entry(incident["country_code"])["incidents"] += 1
    out = []
    for item in found.values():
        kinds = item["kinds"]
        item["status"] = "outage" if "outage" in kinds else "blocking" if kinds else "incident"
        item["kinds"] = sorted(kinds)
        out.append(item)
    return sorted(out, key=lambda i: i["cc"])


def numeric_code(cc: str) -> str | None:
    """ISO 3166 numeric code (the world atlas's feature id)."""
    import pycountry

    found = pycountry.countries.get(alpha_2=cc)
    return None if found is None else str(found.numeric)


AGGREGATION_PARAMS = (
    "probe_cc", "probe_asn", "test_name", "domain", "input", "category_code", "since", "until",
    "axis_x", "axis_y", "time_grain",
)  # fmt: skip


def aggregation_query(params: Mapping[str, Any]) -> AggregationQuery:
    """OONI's aggregation parameters -> the store's query; ChartQueryError names a bad one."""
    unknown = sorted(set(params) - set(AGGREGATION_PARAMS))
    if unknown:
        raise ChartQueryError(
            f"{unknown[0]}: unknown parameter; expected {', '.join(AGGREGATION_PARAMS)}"
        )
    values: dict[str, Any] = {k: (str(v).strip() or None) for k, v in params.items()}
    for name in ("axis_x", "axis_y"):
        if values.get(name) and values[name] not in AXES:
            raise ChartQueryError(f"{name}: expected one of {', '.join(AXES)}")
    if values.get("axis_x") and values.get("axis_x") == values.get("axis_y"):
        raise ChartQueryError("axis_y: must differ from axis_x")
    if values.get("time_grain") and values["time_grain"] not in TIME_GRAINS:
        raise ChartQueryError(f"time_grain: expected one of {', '.join(TIME_GRAINS)}")
    for name in ("since", "until"):
        if values.get(name):
            try:
                moment = dt.datetime.fromisoformat(values[name].replace("Z", "+00:00"))
            except ValueError as exc:
                raise ChartQueryError(
                    f"{name}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
                ) from exc
            values[name] = moment
    if values.get("probe_cc"):
        cc = values["probe_cc"]
        if len(cc) != 2 or not cc.isalpha():
            raise ChartQueryError(f"probe_cc: expected a two-letter country code, got {cc!r}")
        values["probe_cc"] = cc.upper()
    if values.get("probe_asn"):
        try:
            values["probe_asn"] = f"AS{asn_number(values['probe_asn'])}"
        except Exception as exc:
            raise ChartQueryError(
                f"probe_asn: expected AS12345 or 12345, got {values['probe_asn']!r}"
            ) from exc
    if values.get("axis_y") and not values.get("axis_x"):
        raise ChartQueryError("axis_x: required when axis_y is given")
    fields = {k: v for k, v in values.items() if v is not None}
    return AggregationQuery(**fields)


def aggregation_data(src: Sources, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    parsed = aggregation_query(query)
    rows = src.store.aggregate(parsed, test_lists=src.test_lists)
    return [{k: row.get(k) for k in (*parsed.axes(), *COUNTS)} for row in rows]


BUILDERS: dict[str, Callable[[Sources, Mapping[str, Any]], Any]] = {
    "verdicts": verdicts_data,
    "signals": signals_data,
    "timeline": timeline_data,
    "map": map_data,
    "aggregation": aggregation_data,
}
# The parameters each kind takes: anything else is a 400 naming it.
PARAMS: dict[str, tuple[str, ...]] = {
    "verdicts": ("cc", "asn", "since", "until", "grain"),
    "signals": ("entity", "since", "until", "grain"),
    "timeline": ("cc", "since", "until", "grain"),
    "map": ("at",),
    "aggregation": AGGREGATION_PARAMS,
}


def check_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if kind not in BUILDERS:
        raise ChartQueryError(f"chart: unknown kind {kind!r}; one of {', '.join(BUILDERS)}")
    allowed = PARAMS[kind]
    for name in params:
        if name not in allowed and name != "lang":
            raise ChartQueryError(f"{name}: unknown parameter; expected {', '.join(allowed)}")
    return {k: v for k, v in params.items() if k in allowed and v not in (None, "")}


# One title per kind: a chart is the same wherever it is shown (page, embed, verification).
TITLES = {
    "verdicts": "Measurements by verdict",
    "signals": "Outage signals",
    "timeline": "Incidents and legal instruments",
    "map": "What is going on",
    "aggregation": "Measurement aggregation",
}


def build(src: Sources, kind: str, query: dict[str, Any]) -> dict[str, Any]:
    """The chart of ``kind`` for ``query`` (already checked), with its id."""
    return spec(kind, query, BUILDERS[kind](src, query), TITLES[kind])


def verify(src: Sources, chart_id: str) -> dict[str, Any]:
    """Rebuild the chart an id names and compare digests."""
    claimed, kind, query = parse_id(chart_id)
    try:
        check_params(kind, query)
        chart = build(src, kind, query)
    except ChartQueryError as exc:
        return {
            "chart_id": chart_id,
            "confirmed": False,
            "message": f"the query in this id is not valid: {exc}",
            "chart": None,
        }
    current = chart["id"].partition("-")[0]
    if current == claimed:
        message = (
            "confirmed: this chart's query, data and rules version are exactly what the site"
            " holds now"
        )
    else:
        message = (
            "rejected: this id does not match the chart its query gives now; the chart was"
            f" altered, or the data changed since (the chart of this query now has id {current})"
        )
    return {
        "chart_id": chart_id,
        "confirmed": current == claimed,
        "message": message,
        "kind": kind,
        "query": query,
        "current_id": chart["id"],
        "chart": chart,
    }
