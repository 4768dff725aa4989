"""IODA's method on hand-made series whose answers are worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from netvigil.detect import ioda

STEP = 300


def flat(n: int, value: float = 100.0) -> np.ndarray:
    return np.full(n, value)


def test_drop_below_warning_opens_at_first_low_bin_and_closes_at_next_normal() -> None:
    # Warm-up is 1 h (bins 0..11 only fill the history). Bins 30..35 are at 70% of the median
    # (100): warning (< 80%), not critical (>= 50%). The alert is reported once it lasted 60 s,
    # i.e. at bin 31; the event starts at 30 and the first normal value (bin 36) closes it.
    x = flat(100)
    x[30:36] = 70.0
    [event] = ioda.detect(x, 0, STEP, "active")
    assert (event.first, event.stop, event.detected) == (30, 36, 31)
    assert event.level == "warning"
    # Alert area: 30% drop x 5 minutes x 6 bins (inpainting keeps the median at 100).
    assert event.score == pytest.approx(30 * 5 * 6)


def test_single_low_bin_is_shorter_than_minduration_and_is_dropped() -> None:
    x = flat(100)
    x[50] = 10.0
    assert ioda.detect(x, 0, STEP, "active") == []


def test_critical_level_and_missing_bins_do_not_close_an_event() -> None:
    x = flat(100)
    x[30:40] = 40.0  # 40% of the median: critical
    x[33:35] = np.nan  # missing data inside the outage: skipped like IODA's null values
    [event] = ioda.detect(x, 0, STEP, "active")
    assert (event.first, event.stop) == (30, 40)
    assert event.level == "critical"
    assert event.score == pytest.approx(60 * 5 * 8)  # 8 bins with data


def test_inpainting_stops_after_seven_days_and_the_drop_becomes_normal() -> None:
    # BGP parameters (24 h window). From bin 300 the value is 40% of before: inpainted, so the
    # median stays 100 and the event lasts until inpainting has run for 7 days = 2016 bins; at
    # bin 2316 the raw values replace the history, the median becomes 40 and the ratio 1.
    x = np.concatenate([flat(300), flat(2400, 40.0)])
    [event] = ioda.detect(x, 0, STEP, "bgp")
    assert (event.first, event.stop) == (300, 2316)
    assert event.score == pytest.approx(60 * 5 * 2016)


def test_bgp_warning_threshold_is_99_percent() -> None:
    x = flat(400)
    x[350:353] = 98.0  # 2% drop: a BGP warning, nothing for active probing (80%)
    assert [(e.first, e.stop) for e in ioda.detect(x, 0, STEP, "bgp")] == [(350, 353)]
    assert ioda.detect(x, 0, STEP, "active") == []


def test_thresholds_per_datasource_are_iodas_published_ones() -> None:
    assert (ioda.PARAMS["bgp"].history, ioda.PARAMS["bgp"].warning) == (86400, 0.99)
    assert (ioda.PARAMS["active"].history, ioda.PARAMS["active"].warning) == (604800, 0.80)
    assert (ioda.PARAMS["telescope"].warning, ioda.PARAMS["telescope"].critical) == (0.25, 0.10)
    assert ioda.params_for("merit-nt") is ioda.PARAMS["telescope"]
    assert ioda.params_for("ping-slash24") is ioda.PARAMS["active"]


def test_diurnal_trough_alarms_under_iodas_flat_median() -> None:
    # A documented weakness of the method (and why netvigil's detector exists): with a 30%
    # diurnal swing the night values fall under 80% of the 7-day median every day.
    i = np.arange(5 * 288)
    x = 1000 + 300 * np.sin(2 * np.pi * i / 288)
    events = ioda.detect(x, 0, STEP, "active")
    assert len(events) >= 4
