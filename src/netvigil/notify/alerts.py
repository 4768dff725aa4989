"""Detected events as Alertmanager alerts, and which subscriptions they concern (pure).

An event (``models.events.Event``) becomes one alert per subscription it matches. The alert has
Alertmanager's shape (``labels``, ``annotations``, ``startsAt``, ``endsAt``, ``generatorURL``,
``fingerprint``, ``status``) so that receivers made for Alertmanager or Grafana take it as it is:

- **labels** identify it: ``alertname`` (``NetvigilOutage``, ``NetvigilBlocking``,
  ``NetvigilPlatformOutage``), ``kind``, ``entity``, one label per part of the entity's scope
  (``country``, ``asn``, ``region``, ``service``, ``domain``), ``detector`` and ``event_id`` (two
  successive events of one network are two alerts, as Alertmanager would see them);
- the **fingerprint** is derived from the labels (16 hex digits, as Alertmanager's);
- ``endsAt`` is Alertmanager's zero time while firing, the event's end once resolved.

Subscriptions ask for kinds of *notice*: ``outage``, ``platform_outage``, and for a blocking event
``blocking_began`` (its firing) and ``blocking_ended`` (its resolution).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netvigil._errors import InputError
from netvigil.models.entities import Entity, parse_scope
from netvigil.models.events import RETRACTED, Event, iso

ALERT_NAMES = {
    "outage": "NetvigilOutage",
    "blocking": "NetvigilBlocking",
    "platform_outage": "NetvigilPlatformOutage",
}
ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of a firing alert
# Alerts of one subscription are grouped by these labels (Alertmanager's group_by).
GROUP_BY: tuple[str, ...] = ("alertname", "country")


@dataclass(frozen=True)
class Filter:
    """What a subscription asks for."""

    entities: tuple[str, ...]  # entity strings: "country:HK", "service:telegram"
    kinds: frozenset[str]  # EVENT_KINDS
    min_score: float


def kind_of(event: Event) -> str:
    """The event's kind as a plain string (a newer detector may add kinds)."""
    return str(event.kind)


def is_retracted(event: Event) -> bool:
    """An event later data showed never happened (the pipeline keeps it, as this version)."""
    return tuple(event.signals) == (RETRACTED,)


def scope_of(event: Event) -> tuple[Entity, ...]:
    """The entities of the event's scope; () when it names none netvigil knows how to read."""
    try:
        return parse_scope(event.entity)
    except InputError:
        return ()


def status_of(event: Event) -> str:
    return "firing" if event.end is None and not is_retracted(event) else "resolved"


def matches(flt: Filter, event: Event) -> tuple[bool, bool]:
    """(tell of its firing, tell of its resolution alone) for this subscription; (False, False)
    when the event does not concern it at all."""
    if event.kind not in ALERT_NAMES or (event.score < flt.min_score and not is_retracted(event)):
        return False, False
    parts = {str(e) for e in scope_of(event)}
    if not parts & set(flt.entities):
        return False, False
    if event.kind == "blocking":
        began, ended = "blocking_began" in flt.kinds, "blocking_ended" in flt.kinds
        # A subscriber told of the onset is told of the end, as Alertmanager's send_resolved.
        return began, ended and not began
    return event.kind in flt.kinds, False


def labels_of(event: Event) -> dict[str, str]:
    labels = {
        "alertname": ALERT_NAMES.get(event.kind, "NetvigilEvent"),
        "kind": event.kind,
        "entity": event.entity,
        "detector": event.detector,
        "event_id": event.event_id,
    }
    for part in scope_of(event):
        labels.setdefault(part.kind, part.code)
    return labels


def fingerprint(labels: Mapping[str, str]) -> str:
    text = "\xff".join(f"{k}\xfe{labels[k]}" for k in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def group_labels(labels: Mapping[str, str], group_by: Sequence[str] = GROUP_BY) -> dict[str, str]:
    return {k: labels[k] for k in group_by if k in labels}


def group_key(subscription_id: int, grouped: Mapping[str, str]) -> str:
    """Alertmanager's groupKey shape: the route, then the group's labels."""
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(grouped.items()))
    return f'{{}}/{{subscription="{subscription_id}"}}:{{{inner}}}'


def event_url(base_url: str, event_id: str) -> str:
    from urllib.parse import quote

    return f"{base_url.rstrip('/')}/events/{quote(event_id, safe='')}"


def alert_of(
    event: Event, *, base_url: str, evidence: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The Alertmanager alert for ``event``, with netvigil's evidence beside its fields."""
    labels = labels_of(event)
    status = status_of(event)
    url = event_url(base_url, event.event_id)
    found = dict(evidence or {})
    annotations = {
        "summary": summary(event),
        "description": description(event, found),
        "event_url": url,
        "start": iso(event.start),
        "end": "" if event.end is None else iso(event.end),
        "signals": ", ".join(event.signals),
        "detector": f"{event.detector} {event.detector_version}",
        "score": f"{event.score:.3f}",
    }
    measurements = found.get("measurements") or []
    if measurements:
        annotations["measurements"] = ", ".join(
            f"{m['measurement_uid']} ({m.get('outcome')})" for m in measurements
        )
    impact = found.get("impact") or {}
    if "people_affected" in impact:
        annotations["people_affected"] = str(impact["people_affected"])
        annotations["cost_so_far_usd"] = str(impact["cost_usd"]["central"])
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": iso(event.start),
        "endsAt": ZERO_TIME if status == "firing" else iso(event.end or event.start),
        "generatorURL": url,
        "fingerprint": fingerprint(labels),
        "evidence": {"event": event_view(event), **found},
    }


def event_view(event: Event) -> dict[str, Any]:
    return {"event_id": event.event_id, **event.to_json(), "retracted": is_retracted(event)}


def _where(event: Event) -> str:
    from netvigil.models.countries import display_name

    parts = []
    for part in scope_of(event):
        if part.kind == "country":
            parts.append(display_name(part.code))
        elif part.kind in ("asn", "region"):
            parts.append(f"{part.kind.upper()} {part.code}" if part.kind == "region" else part.code)
    return ", ".join(parts)


def _what(event: Event) -> str:
    target = next((p.code for p in scope_of(event) if p.kind in ("service", "domain")), None)
    return target or event.entity


def summary(event: Event) -> str:
    """One line a person reads first."""
    where = _where(event)
    if is_retracted(event):
        return f"Retracted: the {event.kind.replace('_', ' ')} of {event.entity} did not happen"
    if event.kind == "blocking":
        verb = "Blocking of" if event.end is None else "Blocking ended:"
        return f"{verb} {_what(event)}" + (f" in {where}" if where else "")
    if kind_of(event) == "platform_outage":
        state = "down" if event.end is None else "back"
        return f"Platform outage: {_what(event)} {state} for everyone (not censorship)"
    state = "Outage" if event.end is None else "Outage ended"
    return f"{state}: {where or event.entity}"


def description(event: Event, evidence: Mapping[str, Any]) -> str:
    lines = [
        f"Detected by {event.detector} {event.detector_version} from {', '.join(event.signals)}"
        f" (score {event.score:.1f}); since {iso(event.start)}"
        + ("" if event.end is None else f", ended {iso(event.end)}")
        + "."
    ]
    counts = evidence.get("measurement_counts") or {}
    if counts:
        lines.append(
            "Measurements: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        )
    impact = evidence.get("impact") or {}
    if "people_affected" in impact:
        cost = impact["cost_usd"]
        lines.append(
            f"About {impact['people_affected']:,} people affected; cost so far US$"
            f"{cost['central']:,} (range {cost['low']:,}-{cost['high']:,}, {impact['method']})."
        )
    elif impact.get("reason"):
        lines.append(str(impact["reason"]))
    return " ".join(lines)


def common(maps: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The pairs every map has (Alertmanager's commonLabels / commonAnnotations)."""
    items = list(maps)
    if not items:
        return {}
    shared = dict(items[0])
    for other in items[1:]:
        shared = {k: v for k, v in shared.items() if other.get(k) == v}
    return shared
