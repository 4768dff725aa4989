"""The benchmark: scoring worked out by hand, and what the synthetic generator puts in."""

from __future__ import annotations

import numpy as np
from tests.conftest import shared_path

from netvigil.detect.benchmark import SIGNAL, Truth, generate, score
from netvigil.detect.ground_truth import read_outage_list
from netvigil.detect.intervals import Interval
from netvigil.detect.scoring import Case, score_cases

LIST = "ioda_investigated_outages_cleaned_phase1+2.csv"
DAY = 288


def test_scoring_by_time_overlap_worked_by_hand() -> None:
    truths = [[Truth(400, 420, "full"), Truth(900, 950, "region")], [Truth(500, 510, "as")]]
    found = [
        [
            Interval(402, 430, 403, 1.0),  # TP, finds truth 400 with delay 403 - 400 = 3
            Interval(700, 705, 701, 1.0),  # FP
            Interval(100, 110, 101, 1.0),  # inside the burn-in day: ignored
        ],
        [Interval(495, None, 496, 1.0)],  # ongoing, overlaps 500..510: TP, delay max(0, -4) = 0
    ]
    s = score(found, truths, length=1000, burn_in=DAY)
    assert (s.detected, s.true_positives, s.truths, s.found) == (3, 2, 3, 2)
    assert s.precision == round(2 / 3, 4) and s.recall == round(2 / 3, 4)
    assert s.median_delay_bins == 1.5  # median of delays 3 and 0
    assert s.median_delay_minutes == 7.5  # 5-minute bins
    # per series: first P 1/2 R 1/2 F1 1/2; second P 1 R 1 F1 1 -> mean 0.75
    assert s.mean_series_f1 == 0.75


def test_mean_per_series_f1_skips_series_with_nothing_and_counts_false_alarms() -> None:
    quiet = Case([], [], length=100, burn_in=0)
    alarm = Case([Interval(10, 20, 11, 1.0)], [], length=100, burn_in=0, step=3600)
    hit = Case([Interval(10, 20, 12, 1.0)], [Truth(8, 30, "x")], length=100, burn_in=0, step=3600)
    s = score_cases([quiet, alarm, hit])
    assert s.series == 2 and s.mean_series_f1 == 0.5
    assert s.median_delay_minutes == 240.0  # 4 hourly bins


def test_the_generator_puts_in_what_the_world_does() -> None:
    labels, _ = read_outage_list(shared_path("outages", LIST))
    series = generate(np.random.default_rng(5), labels, 300, days=35)
    kinds = {s.kind for s in series}
    assert kinds == set(SIGNAL)
    outages = {t.kind for s in series for t in s.truths}
    assert {"full", "region", "curfew", "blackout", "exam", "throttle"} <= outages
    for s in series:
        per_day = 86400 // s.step
        assert (s.signal, s.step) == SIGNAL[s.kind] and len(s.values) == 35 * per_day
        assert all(t.first >= 2 * per_day for t in s.truths)
        nights = [t for t in s.truths if t.kind == "curfew"]
        if nights:  # every night at the same hour, for a week or more
            assert len(nights) >= 7 and {(t.first - nights[0].first) % per_day for t in nights} == {
                0
            }
        for t in s.truths:
            if t.kind == "blackout":
                assert t.stop - t.first >= 7 * per_day or t.stop == len(s.values)
    counts = [s for s in series if s.kind == "volume"]
    assert min(np.nanmedian(s.values) for s in counts) <= 2  # low Poisson rates are in
    assert any(s.weekend_mornings for s in series)
    bgp_depths = [
        np.nanmedian(s.values[t.first : t.stop]) / np.nanmedian(s.values[: t.first])
        for s in series
        if s.kind == "bgp"
        for t in s.truths
        if t.kind in ("region", "as")
    ]
    assert bgp_depths and max(bgp_depths) > 0.8  # small BGP drops (12..50% of prefixes) are in


def test_the_same_seed_gives_the_same_series() -> None:
    labels, _ = read_outage_list(shared_path("outages", LIST))
    a = generate(np.random.default_rng(11), labels, 20, days=10)
    b = generate(np.random.default_rng(11), labels, 20, days=10)
    assert all(
        np.array_equal(x.values, y.values, equal_nan=True) and x.truths == y.truths
        for x, y in zip(a, b, strict=True)
    )
