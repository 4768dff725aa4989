"""netvigil's seasonal detector on hand-made series with known answers."""

from __future__ import annotations

import numpy as np

from netvigil.detect import seasonal

STEP = 300
DAY = 288


def diurnal(days: int, amplitude: float = 300.0) -> np.ndarray:
    i = np.arange(days * DAY)
    return 1000 + amplitude * np.sin(2 * np.pi * i / DAY)


def test_outage_onset_and_recovery_to_the_bin() -> None:
    # A noiseless diurnal signal is predicted exactly (ratio 1, MAD 0, threshold 0.75). Bins
    # 1000..1011 drop to 100: the event starts at 1000, is confirmed at 1001 (2 low bins) and
    # ends at 1012, the first of two normal bins.
    x = diurnal(5)
    x[1000:1012] = 100.0
    [event] = seasonal.detect(x, 0, STEP)
    assert (event.first, event.stop, event.detected) == (1000, 1012, 1001)
    assert event.level == "critical"


def test_daily_cycle_alone_raises_nothing() -> None:
    assert seasonal.detect(diurnal(10), 0, STEP) == []


def test_level_shift_of_15_percent_is_not_an_outage() -> None:
    x = diurnal(6)
    x[3 * DAY + 40 :] *= 0.85
    assert seasonal.detect(x, 0, STEP) == []


def test_gaps_neither_open_nor_split_events() -> None:
    x = diurnal(6)
    x[2 * DAY : 2 * DAY + 24] = np.nan  # two hours of missing data: no event
    x[1200:1230] = 0.0
    x[1210:1215] = np.nan  # missing bins inside the outage do not close it
    [event] = seasonal.detect(x, 0, STEP)
    assert (event.first, event.stop) == (1200, 1230)


def test_daily_curfew_shutdowns_are_each_detected() -> None:
    # Exam-style shutdowns 3 h every day for 5 days: inpainting keeps them out of the profile,
    # so the fifth is detected as surely as the first.
    x = diurnal(10)
    starts = [(3 + d) * DAY + 100 for d in range(5)]
    for s in starts:
        x[s : s + 36] = 50.0
    events = seasonal.detect(x, 0, STEP)
    assert [(e.first, e.stop) for e in events] == [(s, s + 36) for s in starts]


def test_many_series_at_once_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    block = np.stack([diurnal(5) * (1 + 0.01 * rng.standard_normal(5 * DAY)) for _ in range(3)])
    block[1, 700:760] *= 0.2
    block[2, 1100:1110] = np.nan
    together = seasonal.detect_many(block, STEP)
    alone = [seasonal.detect(block[i], 0, STEP) for i in range(3)]
    assert together == alone
    assert [(e.first, e.stop) for e in together[1]] == [(700, 760)]
