"""The benchmark harness: labels drawn from IODA's list, scoring worked out by hand."""

from __future__ import annotations

import numpy as np
from tests.conftest import shared_path

from netvigil.detect import registry
from netvigil.detect.benchmark import Truth, generate, score
from netvigil.detect.ground_truth import read_outage_list
from netvigil.detect.intervals import Interval

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


def test_outage_durations_come_from_iodas_list_and_exams_repeat_daily() -> None:
    labels, _ = read_outage_list(shared_path("outages", LIST))
    allowed = {int(np.clip(round(lab.minutes / 5), 2, 5 * DAY)) for lab in labels}
    allowed_exam = {min(d, DAY // 4) for d in allowed}
    _, truths, _ = generate(np.random.default_rng(5), labels, 150, days=30)
    kinds = {t.kind for ts in truths for t in ts}
    assert {"full", "region", "exam", "throttle"} <= kinds
    for ts in truths:
        for t in ts:
            assert t.first >= 2 * DAY
            if t.stop < 30 * DAY:  # not cut by the end of the series
                pool = allowed_exam if t.kind == "exam" else allowed
                assert t.stop - t.first in pool
        exams = [t for t in ts if t.kind == "exam"]
        if exams:  # the same hour on consecutive days
            assert {(t.first - exams[0].first) % DAY for t in exams} == {0}


def test_netvigil_beats_ioda_by_the_required_margin_on_a_small_run() -> None:
    labels, _ = read_outage_list(shared_path("outages", LIST))
    values, truths, _ = generate(np.random.default_rng(7), labels, 24, days=30)
    f1 = {
        name: score(registry.run(name, values, 300), truths, length=values.shape[1], burn_in=DAY)
        for name in ("ioda", "netvigil")
    }
    assert f1["netvigil"].f1 >= 0.9 and f1["netvigil"].f1 >= f1["ioda"].f1 + 0.1
    assert f1["netvigil"].median_delay_bins is not None
    assert f1["netvigil"].median_delay_bins <= 2
