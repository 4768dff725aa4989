"""The five ways the netvigil 1.0 detector failed on real signals (issue 18), each as a small
constructed series with the events a user must get. Every one of these fails on 1.0 (run this
file with PYTHONPATH pointing at commit c7f86ae's src); only ``seasonal.detect`` is used, the API
both versions share.
"""

from __future__ import annotations

import numpy as np

from netvigil.detect import seasonal
from netvigil.detect.intervals import Interval

HOUR = 3600


def diurnal(bins: int, step: int, amplitude: float, phase: float = 0.0) -> np.ndarray:
    t = np.arange(bins) * step / 86400
    return 1 + amplitude * np.sin(2 * np.pi * t + phase)


def overlapping(events: list[Interval], first: int, stop: int) -> list[Interval]:
    return [e for e in events if e.first < stop and first < (e.stop or 10**9)]


def test_low_counts_a_shutdown_of_a_few_measurements_an_hour_is_found() -> None:
    # Our own probe volume: ~3 measurements an hour (Poisson), 14 days. On day 9 nothing comes
    # for 10 hours. 1.0's noise band grew past 100% of the baseline: nothing could be flagged.
    rng = np.random.default_rng(1)
    bins = 14 * 24
    x = rng.poisson(3.0 * diurnal(bins, HOUR, 0.5)).astype(float)
    first, stop = 9 * 24 + 10, 9 * 24 + 20
    x[first:stop] = 0.0
    events = seasonal.detect(x, 0, HOUR, "measurements")
    [event] = events  # and no false alarm in two weeks of noisy counts
    assert event.first < stop and event.stop is not None and event.stop >= stop - 1
    assert event.detected - first <= 4  # four hours of silence at 3 an hour is enough


def test_a_13_percent_fall_of_bgp_prefixes_and_a_quarter_of_probes_are_outages() -> None:
    rng = np.random.default_rng(2)
    step, bins = 300, 6 * 288
    first, stop = 4 * 288 + 100, 4 * 288 + 136  # three hours on day 4
    prefixes = 800.0 - rng.poisson(2.0, bins)
    prefixes[first:stop] = np.round(prefixes[first:stop] * 0.87)
    [bgp] = seasonal.detect(prefixes, 0, step, "bgp-visible-prefixes")
    assert (bgp.first, bgp.stop) == (first, stop)
    probes = np.where(rng.random(bins) < 0.05, 16.0, 17.0)
    probes[first:stop] = 13.0  # Kenya, 7 June 2016: 17 connected probes -> 13
    [atlas] = seasonal.detect(probes, 0, step, "atlas-connected-probes")
    assert atlas.first == first and atlas.stop == stop
    # The same 13% on traffic is a quiet hour, not an outage: the kind of signal decides.
    traffic = 5e5 * diurnal(bins, step, 0.4) * (1 + 0.03 * rng.standard_normal(bins))
    traffic[first:stop] *= 0.87
    assert seasonal.detect(traffic, 0, step, "traffic") == []


def test_weekend_mornings_raise_no_alarm_week_after_week() -> None:
    # Active probing, 10-minute bins, 4 weeks. Thursday and Friday mornings (06:00-12:00) fall
    # 35% below the weekdays, as in Iran. One real outage: Friday of week 3, 08:00-11:00, x0.2.
    rng = np.random.default_rng(3)
    step, per_day = 600, 144
    bins = 28 * per_day
    day = np.arange(bins) // per_day
    hour = (np.arange(bins) % per_day) / 6
    weekend = np.isin(day % 7, (3, 4))
    mornings = weekend & (hour >= 6) & (hour < 12)
    x = 2000 * diurnal(bins, step, 0.2) * np.where(mornings, 0.65, 1.0)
    x = x * (1 + 0.01 * rng.standard_normal(bins))
    first, stop = 18 * per_day + 48, 18 * per_day + 66  # day 18 is a Friday (18 % 7 == 4)
    x[first:stop] *= 0.2
    events = seasonal.detect(x, 0, step, "ping-slash24")
    assert [(e.first, e.stop) for e in events] == [(first, stop)]


def test_nightly_shutdowns_for_weeks_stay_visible() -> None:
    # An hourly connectivity index; the series starts in the middle of a campaign of nightly
    # shutdowns (01:00-07:00, every night for three weeks), so its first day already holds one.
    # 1.0 learnt the dark hours as normal from that day: it touched 9 of the 20 later nights,
    # in pieces of 2-6 hours, and missed 11.
    rng = np.random.default_rng(4)
    bins = 21 * 24
    x = 97 * diurnal(bins, HOUR, 0.03) + rng.normal(0, 0.5, bins)
    nights = [(d * 24 + 1, d * 24 + 7) for d in range(21)]
    for a, b in nights:
        x[a:b] = rng.uniform(1, 4, b - a)
    events = seasonal.detect(x, 0, HOUR, "connectivity")
    # Night 0 is in the first day, before any history: every later night is found, once.
    assert [(e.first, e.stop) for e in events] == nights[1:]


def test_a_three_week_blackout_is_one_event() -> None:
    # 10-minute active probing, 40 days; a blackout from day 8 to day 29 at 5% with a partial
    # recovery (50%) on days 15-17. 1.0 let it become "normal" after 7 days and split it.
    rng = np.random.default_rng(5)
    step, per_day = 600, 144
    bins = 40 * per_day
    x = 5000 * diurnal(bins, step, 0.2) * (1 + 0.01 * rng.standard_normal(bins))
    first, stop = 8 * per_day + 30, 29 * per_day + 30
    x[first:stop] *= 0.05
    x[15 * per_day : 17 * per_day] *= 10.0  # back to half for two days
    events = seasonal.detect(x, 0, step, "ping-slash24")
    assert [(e.first, e.stop) for e in events] == [(first, stop)]
    assert events[0].level == "critical"
