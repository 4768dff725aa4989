"""Overlapping events of one entity across signals become one event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netvigil.detect.intervals import fuse
from netvigil.models.events import Event

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def ev(
    signal: str, start_h: float, end_h: float | None, score: float, entity: str = "country:SD"
) -> Event:
    return Event(
        entity=entity,
        kind="outage",
        start=T0 + timedelta(hours=start_h),
        end=None if end_h is None else T0 + timedelta(hours=end_h),
        score=score,
        signals=(signal,),
        detector="ioda",
        detector_version="1.0",
        detected_at=T0 + timedelta(hours=start_h, minutes=5),
    )


def test_iodas_overall_score_is_the_product_of_per_signal_scores() -> None:
    [merged] = fuse([ev("bgp", 1, 3, 200.0), ev("ping-slash24", 2, 4, 300.0)], combine="product")
    assert merged.signals == ("bgp", "ping-slash24")
    assert (merged.start, merged.end) == (T0 + timedelta(hours=1), T0 + timedelta(hours=4))
    assert merged.score == 60000.0
    assert merged.detected_at == T0 + timedelta(hours=1, minutes=5)


def test_netvigil_sums_and_keeps_separate_entities_and_disjoint_events_apart() -> None:
    events = [
        ev("bgp", 1, 3, 200.0),
        ev("ping-slash24", 2, 5, 300.0),
        ev("bgp", 10, 11, 50.0),
        ev("bgp", 1, 3, 70.0, entity="country:ET"),
    ]
    merged = fuse(events, combine="sum")
    assert [(e.entity, e.score) for e in merged] == [
        ("country:ET", 70.0),
        ("country:SD", 500.0),
        ("country:SD", 50.0),
    ]


def test_an_ongoing_event_absorbs_later_overlapping_ones_and_stays_ongoing() -> None:
    [merged] = fuse([ev("ping-slash24", 2, None, 300.0), ev("bgp", 10, 11, 50.0)], combine="sum")
    assert merged.end is None and merged.signals == ("bgp", "ping-slash24")
