"""Events: outages and blocking onsets, the record the detect tier produces.

One frozen record for every kind so that the tracker, alerts and the web read one shape: an
``outage`` (a network or place cut off), a ``blocking`` (a domain or service blocked in one network)
and a ``platform_outage`` (a service or domain down from everywhere, the control included: not
censorship). ``end`` is ``None`` while the event is ongoing. ``detected_at`` is the first moment
the detector could have reported the event (its confirmation bin), which is what detection delay
is measured against; ``start`` is the estimated onset, which may be earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

EventKind = Literal["outage", "blocking", "platform_outage"]
# An event that later data showed never happened (the continuous pipeline re-ran its detectors over
# late measurements) is kept, as a version with this as its only signal, score 0 and end = start:
# it was reported, so it is withdrawn rather than deleted.
RETRACTED = "retracted"


@dataclass(frozen=True, slots=True)
class Event:
    # "country:IR", "region:1473", "asn:AS12880", "country:IR/asn:AS197207/domain:x.org"
    entity: str
    kind: EventKind
    start: datetime
    end: datetime | None
    score: float  # outages: IODA-style alert area (relative drop % x minutes); blocking: CUSUM
    signals: tuple[str, ...]
    detector: str
    detector_version: str
    detected_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape (one line per event in ``netvigil detect --json``)."""
        return {
            "entity": self.entity,
            "kind": self.kind,
            "start": iso(self.start),
            "end": None if self.end is None else iso(self.end),
            "score": round(self.score, 3),
            "signals": list(self.signals),
            "detector": self.detector,
            "detector_version": self.detector_version,
            "detected_at": iso(self.detected_at),
        }

    @property
    def retracted(self) -> bool:
        return self.signals == (RETRACTED,)

    @property
    def event_id(self) -> str:
        """Derived from the input so that re-running detection is idempotent in the store."""
        return f"{self.detector}:{self.entity}:{self.kind}:{int(self.start.timestamp())}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_epoch(seconds: int | float) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)
