"""Fusion of the signals of one entity: two weak drops that agree are an outage."""

from __future__ import annotations

import numpy as np

from netvigil.detect.fusion import entity_events
from netvigil.detect.series import Series

STEP, DAY = 600, 144
START = 1_700_006_400  # a midnight


def noisy_active(signal: str, seed: int, drop: tuple[int, int] | None, depth: float) -> Series:
    # 12% noise: a signal whose evidence builds up slowly.
    rng = np.random.default_rng(seed)
    t = np.arange(10 * DAY)
    x = 1000 * (1 + 0.2 * np.sin(2 * np.pi * t / DAY)) * (1 + 0.12 * rng.standard_normal(t.size))
    if drop is not None:
        x[drop[0] : drop[1]] *= depth
    return Series("country:XX", signal, START, STEP, x)


DROP = (7 * DAY + 60, 7 * DAY + 66)  # an hour at 70%


def test_two_weak_drops_on_two_signals_are_one_outage_neither_alone() -> None:
    a = noisy_active("ping-slash24", 1, DROP, 0.7)
    b = noisy_active("connectivity", 2, DROP, 0.7)
    assert entity_events("netvigil", [a]) == []
    assert entity_events("netvigil", [b]) == []
    [event] = entity_events("netvigil", [a, b])
    assert event.signals == ("connectivity", "ping-slash24")
    assert (event.start.timestamp(), event.end and event.end.timestamp()) == (
        a.time_of(DROP[0]),
        a.time_of(DROP[1]),
    )
    assert event.detected_at.timestamp() < a.time_of(DROP[1])  # while it is going on


def test_a_weak_drop_on_one_signal_stays_silent_next_to_a_quiet_one() -> None:
    a = noisy_active("ping-slash24", 1, DROP, 0.7)
    b = noisy_active("connectivity", 2, None, 1.0)
    assert entity_events("netvigil", [a, b]) == []


def test_overlapping_events_of_several_signals_are_one_event() -> None:
    a = noisy_active("ping-slash24", 1, (7 * DAY, 7 * DAY + 40), 0.05)
    b = noisy_active("connectivity", 2, (7 * DAY + 10, 7 * DAY + 60), 0.05)
    [event] = entity_events("netvigil", [a, b])
    assert event.start.timestamp() == a.time_of(7 * DAY)
    assert event.end is not None and event.end.timestamp() == b.time_of(7 * DAY + 60)
    assert event.signals == ("connectivity", "ping-slash24")
