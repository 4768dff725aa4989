"""The evidence an alert carries: the measurements behind the event (uids that exist in the store,
with their verdicts) and the people affected and cost so far from the impact estimator.

Which measurements stand behind an event depends on its kind:

- **blocking** of a domain or service in a network: the measurements of that domain (or of that
  service's test) from that country/network since the onset whose verdict is anomaly or
  confirmed, newest first; the counts of every outcome in the window beside them;
- **platform outage**: the failed measurements of that target from every network;
- **outage** of a country, region or network: the last measurements from it before the onset
  (what was still arriving) and those during it; an outage is seen as missing data, so the counts
  say how much arrived.

Only uids read back from the store are listed, so every one of them exists there.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from netvigil.models.catalogue import Catalogue, load_catalogue
from netvigil.models.events import Event
from netvigil.notify.alerts import is_retracted, kind_of, scope_of

if TYPE_CHECKING:
    from netvigil.store.protocol import AnalyticalStore

COLUMNS = (
    "measurement_uid",
    "measurement_start_time",
    "probe_cc",
    "probe_asn",
    "test_name",
    "input",
    "domain",
    "outcome",
    "blocking",
    "blocking_detail",
)
MAX_LISTED = 10  # measurement uids listed per alert; the counts cover all of them
BEFORE_OUTAGE = dt.timedelta(hours=2)  # how far back the last measurements before an outage go
BLOCKED = frozenset({"anomaly", "confirmed"})


def _aware(value: Any) -> dt.datetime:
    moment: dt.datetime = (
        dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    )
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _row_view(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in COLUMNS}
    out["measurement_start_time"] = _aware(row["measurement_start_time"]).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return out


def measurements(
    store: AnalyticalStore,
    event: Event,
    *,
    now: dt.datetime,
    catalogue: Catalogue | None = None,
) -> dict[str, Any]:
    """``{"measurements": [...], "measurement_counts": {outcome: n}}`` for ``event``."""
    parts: dict[str, str] = {p.kind: p.code for p in scope_of(event)}
    cc, asn = parts.get("country"), parts.get("asn")
    until = (event.end or now) + dt.timedelta(seconds=1)
    since = event.start - (BEFORE_OUTAGE if event.kind == "outage" else dt.timedelta(0))
    table = store.verdicts(since=since, until=until, probe_cc=cc, columns=COLUMNS)
    rows: list[dict[str, Any]] = table.to_pylist()
    rows = [r for r in rows if asn is None or r.get("probe_asn") == asn]
    target = _target_rows(rows, parts, catalogue or load_catalogue())
    if event.kind == "outage":
        chosen = target
    elif kind_of(event) == "platform_outage":
        chosen = [r for r in target if r.get("outcome") == "failure"]
    else:
        chosen = [r for r in target if r.get("outcome") in BLOCKED]
    chosen.sort(key=lambda r: _aware(r["measurement_start_time"]), reverse=True)
    counts = Counter(str(r.get("outcome")) for r in target)
    return {
        "measurements": [_row_view(r) for r in chosen[:MAX_LISTED]],
        "measurement_counts": dict(sorted(counts.items())),
    }


def _target_rows(
    rows: list[dict[str, Any]], parts: dict[str, str], catalogue: Catalogue
) -> list[dict[str, Any]]:
    if "domain" in parts:
        domain = parts["domain"]
        return [r for r in rows if (r.get("domain") or "").lower().rstrip(".") == domain]
    if "service" in parts:
        service = catalogue.find(parts["service"])
        if service is None:
            return []
        return [
            r
            for r in rows
            if (service.nettest and r.get("test_name") == service.nettest)
            or (r.get("domain") and catalogue.of_domain(str(r["domain"])) is service)
        ]
    return rows


def impact_so_far(
    event: Event, *, now: dt.datetime, catalogue: Catalogue | None = None
) -> dict[str, Any]:
    """People affected and cost from the event's start to its end (or ``now``), with the
    method; or ``{"reason": ...}`` saying why there is no estimate."""
    from netvigil._errors import NetvigilError
    from netvigil.impact import estimate
    from netvigil.impact.blocking import blocking_impact

    parts = {p.kind: p.code for p in scope_of(event)}
    if is_retracted(event):
        return {"reason": "No estimate: the event was retracted."}
    if kind_of(event) == "platform_outage":
        return {"reason": "No estimate: a platform down for everyone is not a shutdown."}
    cc = parts.get("country")
    if cc is None:
        return {"reason": "No estimate: the event names no country."}
    hours = max((((event.end or now) - event.start).total_seconds()) / 3600, 1 / 60)
    try:
        if event.kind == "blocking":
            # A blocked service, priced per service (the impact package's rule: one network's
            # block is costed for the country, an upper bound said in its assumptions).
            priced = blocking_impact(
                event, until=max(now, event.start + dt.timedelta(minutes=1)), catalogue=catalogue
            )
            if priced is None:
                return {
                    "reason": "No estimate: only blocked services with a cost model (major "
                    "platforms) are costed, not a domain or Tor."
                }
            result = priced
        elif "asn" in parts or "region" in parts:
            return {
                "reason": "No estimate: the share of the country's people in one network or "
                "region is not known."
            }
        else:
            result = estimate(cc, hours, scope="national", shutdown_type="full",
                              on=event.start.date())  # fmt: skip
    except NetvigilError as exc:
        return {"reason": f"No estimate: {exc.message}"}
    hours = result.hours
    data = result.to_json_dict()
    return {
        "people_affected": data["people_affected"],
        "cost_usd": data["range"],
        "hours": round(hours, 2),
        "method": "netvigil impact: geometric mean of Brookings and Deloitte, range = the two "
        "methods (docs/impact.md)",
        "assumptions": data["assumptions"],
    }


def evidence_of(
    store: AnalyticalStore | None,
    event: Event,
    *,
    now: dt.datetime,
    catalogue: Catalogue | None = None,
) -> dict[str, Any]:
    """Measurements (when a store is given) and impact so far, for one event."""
    found: dict[str, Any] = {}
    if store is not None:
        found.update(measurements(store, event, now=now, catalogue=catalogue))
    found["impact"] = impact_so_far(event, now=now, catalogue=catalogue)
    return found
