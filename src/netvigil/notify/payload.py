"""One notification in Alertmanager's webhook format, version 4 (pure).

What Alertmanager POSTs to a webhook receiver, field for field (``version``, ``groupKey``,
``truncatedAlerts``, ``status``, ``receiver``, ``groupLabels``, ``commonLabels``,
``commonAnnotations``, ``externalURL``, ``alerts``), so receivers made for it (or Grafana's) accept
netvigil's notifications as they are. netvigil adds, beside those, each alert's ``evidence``
(the event, the measurements with their verdicts, the impact so far) and a ``netvigil`` object
with the unsubscribe link, the subscription's feed and the delivery id. The same payload is what
the email channel renders, so the delivery log holds exactly what each receiver got.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from netvigil.models.events import Event
from netvigil.notify.alerts import common

VERSION = "4"


def event_from_json(data: Mapping[str, Any]) -> Event:
    """The event back from its JSON shape (``Event.to_json``)."""

    def moment(value: str | None) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromisoformat(value.replace("Z", "+00:00"))

    start = moment(data["start"])
    detected = moment(data.get("detected_at")) or start
    assert start is not None and detected is not None
    return Event(
        entity=data["entity"],
        kind=data["kind"],
        start=start,
        end=moment(data.get("end")),
        score=float(data["score"]),
        signals=tuple(data.get("signals") or ()),
        detector=data["detector"],
        detector_version=data.get("detector_version", ""),
        detected_at=detected,
    )


def notification(
    *,
    subscription_id: int,
    group_key: str,
    group_labels: Mapping[str, str],
    alerts: Sequence[Mapping[str, Any]],
    base_url: str,
    unsubscribe_url: str,
    feed_url: str,
    delivery: str,
) -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": VERSION,
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": f"netvigil-subscription-{subscription_id}",
        "groupLabels": dict(group_labels),
        "commonLabels": common(a["labels"] for a in alerts),
        "commonAnnotations": common(
            {k: v for k, v in a["annotations"].items() if isinstance(v, str)} for a in alerts
        ),
        "externalURL": base_url.rstrip("/"),
        "alerts": [dict(a) for a in alerts],
        "netvigil": {
            "subscription": subscription_id,
            "delivery": delivery,
            "unsubscribe_url": unsubscribe_url,
            "feed_url": feed_url,
        },
    }
