"""Labelled synthetic series and event-level scoring, shared by ``netvigil detect evaluate`` and
bench/detection.py.

The generator is written once and run with the same seed for every detector, so all detectors see
the exact same series. What a series contains (all ranges are drawn per series):

* a count-like signal (think "/24 blocks up" or probe volume), level 200..20,000 (log-uniform);
* diurnal cycle, amplitude 0..35% of the level, random phase, plus a second harmonic;
* weekly cycle: two "weekend" days per week lowered by 0..15%;
* noise: Poisson-like (sqrt of the level) plus 0.5..3% multiplicative;
* gaps (30% of series): 1-3 runs of 1-48 missing bins -- missing data, not outages;
* level shifts that are NOT outages (50% of series): 1-2 persistent steps to x0.80..0.92 or
  x1.08..1.50 (renumbering, a new prober, a geolocation update);
* labelled outages (0-3 per series) whose duration and scope are drawn from IODA's curated list:
  country -> full outage (value x0..0.10), region -> x0.20..0.65, AS -> x0.15..0.65; rows whose
  cause is "Exams" become curfew-style shutdowns repeated daily at the same hour for 3-10 days
  (each day one labelled event); 15% of outages are throttling (partial drop to x0.35..0.65).
  Durations are clipped to 10 min .. 5 days (the history windows are 7 days).

Outages start on day 2 or later; detections that start during day 1 are ignored for every detector
(burn-in: the history of either method is not yet built).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from netvigil.detect.ground_truth import OutageLabel
from netvigil.detect.intervals import Interval
from netvigil.detect.series import FloatArray


@dataclass(frozen=True, slots=True)
class Truth:
    first: int
    stop: int
    kind: str  # full | region | as | exam | throttle


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    median_delay_bins: float | None
    detected: int
    true_positives: int
    truths: int
    found: int


def generate(
    rng: np.random.Generator,
    labels: Sequence[OutageLabel],
    n_series: int,
    *,
    days: int = 30,
    step: int = 300,
) -> tuple[FloatArray, list[list[Truth]], FloatArray]:
    """``(values[n_series, bins], truths per series, diurnal amplitude per series)``."""
    per_day = 86400 // step
    length = days * per_day
    t = np.arange(length)
    out = np.empty((n_series, length))
    truths: list[list[Truth]] = []
    amplitudes = np.empty(n_series)
    for s in range(n_series):
        level = float(np.exp(rng.uniform(np.log(200), np.log(20000))))
        amp = rng.uniform(0.0, 0.35)
        amplitudes[s] = amp
        phase = rng.uniform(0, 2 * np.pi)
        day_angle = 2 * np.pi * t / per_day + phase
        shape = 1 + amp * np.sin(day_angle) + 0.3 * amp * np.sin(2 * day_angle + 1.0)
        weekend_start = int(rng.integers(0, 7))
        day_of_week = (t // per_day + weekend_start) % 7
        shape *= np.where(day_of_week >= 5, 1 - rng.uniform(0.0, 0.15), 1.0)
        if rng.random() < 0.5:
            for _ in range(int(rng.integers(1, 3))):
                at = int(rng.integers(per_day, length))
                factor = rng.uniform(0.80, 0.92) if rng.random() < 0.5 else rng.uniform(1.08, 1.5)
                shape[at:] *= factor
        mult = np.ones(length)
        series_truths: list[Truth] = []
        for _ in range(int(rng.choice([0, 1, 2, 3], p=[0.25, 0.35, 0.25, 0.15]))):
            lab = labels[int(rng.integers(0, len(labels)))]
            dur = int(np.clip(round(lab.minutes * 60 / step), 2, 5 * per_day))
            throttle = rng.random() < 0.15
            if lab.cause == "Exams":
                dur = min(dur, per_day // 4)
                repeats = int(rng.integers(3, 11))
                span = (repeats - 1) * per_day + dur
                kind = "exam"
            else:
                repeats, span = 1, dur
                kind = "throttle" if throttle else {"country": "full"}.get(lab.scope, lab.scope)
            for _attempt in range(20):
                first = int(rng.integers(2 * per_day, max(2 * per_day + 1, length - span)))
                windows = [(first + k * per_day, first + k * per_day + dur) for k in range(repeats)]
                if all(
                    b <= tr.first - per_day // 24 or a >= tr.stop + per_day // 24
                    for a, b in windows
                    for tr in series_truths
                ):
                    break
            else:
                continue
            if kind == "throttle":
                factor = rng.uniform(0.35, 0.65)
            elif kind in ("full", "exam") and lab.scope == "country":
                factor = rng.uniform(0.0, 0.10)
            else:
                factor = rng.uniform(0.15 if kind == "as" else 0.20, 0.65)
            for a, b in windows:
                b = min(b, length)
                mult[a:b] = factor
                series_truths.append(Truth(a, b, kind))
        mean = level * shape * mult
        noisy = mean + np.sqrt(mean) * rng.standard_normal(length)
        noisy *= 1 + rng.uniform(0.005, 0.03) * rng.standard_normal(length)
        noisy = np.clip(noisy, 0, None)
        if rng.random() < 0.3:
            for _ in range(int(rng.integers(1, 4))):
                a = int(rng.integers(0, length))
                noisy[a : a + int(rng.integers(1, 49))] = np.nan
        out[s] = noisy
        truths.append(sorted(series_truths, key=lambda tr: tr.first))
    return out, truths, amplitudes


def score(
    detections: Sequence[Sequence[Interval]],
    truths: Sequence[Sequence[Truth]],
    *,
    length: int,
    burn_in: int,
) -> Scores:
    """Event-level matching by time overlap: a detection is a true positive when it overlaps a
    labelled outage; a labelled outage is found when some detection overlaps it; its delay is the
    confirmation bin of the earliest overlapping detection minus the labelled start (>= 0)."""
    detected = tp = found = n_truth = 0
    delays: list[int] = []
    for dets, trs in zip(detections, truths, strict=True):
        dets = [d for d in dets if d.first >= burn_in]
        n_truth += len(trs)
        detected += len(dets)
        spans = [(d.first, length if d.stop is None else d.stop, d.detected) for d in dets]
        for a, b, _ in spans:
            if any(a < tr.stop and tr.first < b for tr in trs):
                tp += 1
        for tr in trs:
            hits = [conf for a, b, conf in spans if a < tr.stop and tr.first < b]
            if hits:
                found += 1
                delays.append(max(0, min(hits) - tr.first))
    precision = tp / detected if detected else 0.0
    recall = found / n_truth if n_truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        median_delay_bins=float(np.median(delays)) if delays else None,
        detected=detected,
        true_positives=tp,
        truths=n_truth,
        found=found,
    )
