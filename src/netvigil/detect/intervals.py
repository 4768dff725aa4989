"""Detector output before it becomes an Event: bin indices, score, and fusion across signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netvigil.detect.series import Series
from netvigil.models.events import Event, from_epoch


@dataclass(frozen=True, slots=True)
class Interval:
    first: int  # index of the onset bin
    stop: int | None  # index of the first bin back to normal; None while ongoing
    detected: int  # index of the bin at which the detector confirmed (reported) it
    score: float
    level: str = "warning"


def to_events(
    series: Series, intervals: Sequence[Interval], *, detector: str, version: str
) -> list[Event]:
    return [
        Event(
            entity=series.entity,
            kind="outage",
            start=from_epoch(series.time_of(iv.first)),
            end=None if iv.stop is None else from_epoch(series.time_of(iv.stop)),
            score=iv.score,
            signals=(series.signal,),
            detector=detector,
            detector_version=version,
            detected_at=from_epoch(series.time_of(iv.detected)),
        )
        for iv in intervals
    ]


def fuse(events: Sequence[Event], *, combine: str) -> list[Event]:
    """Merge overlapping events of one entity across signals.

    ``combine="product"`` is IODA's overall score (product of per-datasource alert areas);
    ``"sum"`` is netvigil's (a second signal adds evidence without squaring the scale).
    """
    ordered = sorted(events, key=lambda e: (e.entity, e.start))
    out: list[Event] = []
    for ev in ordered:
        last = out[-1] if out else None
        if last is not None and last.entity == ev.entity and _overlaps(last, ev):
            end = None if last.end is None or ev.end is None else max(last.end, ev.end)
            same_signal = set(ev.signals) <= set(last.signals)
            if combine == "product" and not same_signal:
                score = last.score * ev.score
            else:
                score = last.score + ev.score
            out[-1] = Event(
                entity=last.entity,
                kind=last.kind,
                start=min(last.start, ev.start),
                end=end,
                score=score,
                signals=tuple(sorted(set(last.signals) | set(ev.signals))),
                detector=last.detector,
                detector_version=last.detector_version,
                detected_at=min(last.detected_at, ev.detected_at),
            )
        else:
            out.append(ev)
    return out


def _overlaps(a: Event, b: Event) -> bool:
    return a.end is None or b.start < a.end
