"""A detected event as a draft incident's fields and evidence (pure; the tracker stores it with
:meth:`netvigil.incidents.Tracker.upsert_event_draft`).

What the draft says is what the detector knows: where (country, network, region), what (services
of the catalogue, a domain), when (onset estimate, end), and, as its evidence, the event itself
(snapshot of entity, span, score, signals, the signal values around the onset, the impact so far)
and the measurements behind it with their verdicts. Cause, justification and who ordered it are
left for an editor: a detector cannot know them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from netvigil.incidents.drafts import EventDraft
from netvigil.models.catalogue import Catalogue, load_catalogue
from netvigil.models.countries import display_name
from netvigil.models.events import Event, iso
from netvigil.notify.alerts import event_view, kind_of, scope_of, summary

SYSTEM_ACTOR = "netvigil-notify"


def draft_of(
    event: Event,
    evidence: Mapping[str, Any],
    *,
    signal_values: Sequence[Mapping[str, Any]] = (),
    catalogue: Catalogue | None = None,
) -> EventDraft:
    from netvigil.incidents.vocab import BY_NAME

    catalogue = catalogue or load_catalogue()
    parts = {p.kind: p.code for p in scope_of(event)}
    fields: dict[str, Any] = {
        "start_at": event.start,
        "end_at": event.end,
        "start_date": event.start.date(),
        "end_date": None if event.end is None else event.end.date(),
        "start_date_type": "Estimated",
        "shutdown_status": "Ongoing" if event.end is None else "Ended",
        "outage_scope": event.entity,
        "outage_cause": "Platform outage" if kind_of(event) == "platform_outage" else "Unknown",
        "summary": (
            f"Draft opened by netvigil from a detected event ({event.event_id}): "
            f"{summary(event)}. Detected by {event.detector} {event.detector_version} from "
            f"{', '.join(event.signals)}; onset {iso(event.start)}. Not verified."
        ),
    }
    cc = parts.get("country")
    if cc is not None:
        fields["country_code"] = cc
        fields["country"] = display_name(cc)
        fields["locations"] = [cc]
    if "asn" in parts:
        fields["asns"] = [int(parts["asn"].removeprefix("AS"))]
        fields["outage_type"] = "Network"
    elif "region" in parts:
        fields["locations"] = [*fields.get("locations", []), parts["region"]]
        fields["outage_type"] = "Regional"
    elif event.kind == "outage":
        fields["outage_type"] = "Nationwide"
    service = catalogue.find(parts["service"]) if "service" in parts else None
    if service is None and "domain" in parts:
        service = catalogue.of_domain(parts["domain"])
    if event.kind == "outage":
        fields["shutdown_type"] = BY_NAME["type"].term("shutdown").stop  # type: ignore[union-attr]
        fields["shutdown_extent"] = BY_NAME["extent"].term("full_network").stop  # type: ignore[union-attr]
    elif event.kind == "blocking":
        fields["shutdown_extent"] = BY_NAME["extent"].term("service_based").stop  # type: ignore[union-attr]
    if event.kind != "outage":
        if service is not None and service.stop_column:
            fields[service.stop_column] = "Yes"
        elif service is not None:
            fields["other_affected"] = service.label
        elif "domain" in parts:
            fields["other_affected"] = parts["domain"]
    snapshot = {
        **event_view(event),
        "signal_values": [dict(v) for v in signal_values],
        "impact": dict(evidence.get("impact") or {}),
        "measurement_counts": dict(evidence.get("measurement_counts") or {}),
    }
    measurements = tuple(
        (str(m["measurement_uid"]), dict(m)) for m in evidence.get("measurements") or ()
    )
    return EventDraft(
        event_id=event.event_id,
        entity=event.entity,
        start=event.start,
        end=event.end,
        fields=fields,
        snapshot=snapshot,
        measurements=measurements,
    )


def signal_snapshot(
    points: Sequence[Any], event: Event, *, before: dt.timedelta = dt.timedelta(hours=2)
) -> list[dict[str, Any]]:
    """The values of the event's signals from ``before`` the onset to its end (at most 60
    points per signal), from ``SignalPoint``s of its entity."""
    wanted = set(event.signals)
    until = event.end or dt.datetime.max.replace(tzinfo=dt.UTC)
    rows = [
        {"signal": p.signal, "timestamp": iso(p.timestamp), "value": p.value}
        for p in points
        if (not wanted or p.signal in wanted) and event.start - before <= p.timestamp <= until
    ]
    by_signal: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_signal.setdefault(row["signal"], []).append(row)
    return [row for values in by_signal.values() for row in values[-60:]]
