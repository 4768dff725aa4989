"""Event-level scoring of detections against labelled outages, shared by the synthetic benchmark
and the real labelled series (``netvigil detect evaluate``, bench/detection.py).

The rules (the same for every detector and every data set):

* a detection that starts in the series' burn-in (its first day) is ignored: no method has a
  history yet;
* a detection is a true positive when it overlaps a labelled outage in time (an ongoing one runs to
  the end of the series);
* a labelled outage is found when some detection overlaps it; its delay is the confirmation bin of
  the earliest overlapping detection minus the labelled start, at least 0 (a label that starts late,
  as some curated ones do, does not make a detector look faster than instantaneous);
* precision, recall and F1 are micro-averaged over all events of all series; ``mean_series_f1`` is
  the mean of per-series F1 over the series that have a label or a detection (a series with neither
  has nothing to score).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from netvigil.detect.intervals import Interval


@dataclass(frozen=True, slots=True)
class Truth:
    """A labelled outage in bin indices of its series: ``[first, stop)``."""

    first: int
    stop: int
    kind: str  # what made it (synthetic: full | region | as | throttle | exam | ...; real: label)


@dataclass(frozen=True, slots=True)
class Case:
    """One scored series: what a detector found, what is labelled, and the series' grid."""

    detections: Sequence[Interval]
    truths: Sequence[Truth]
    length: int  # bins
    burn_in: int  # bins whose detections are ignored
    step: int = 300  # seconds per bin (delays are reported in minutes)


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    mean_series_f1: float
    median_delay_bins: float | None
    median_delay_minutes: float | None
    detected: int
    true_positives: int
    truths: int
    found: int
    series: int  # series scored for mean_series_f1


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_cases(cases: Sequence[Case]) -> Scores:
    detected = tp = found = n_truth = 0
    delays: list[int] = []
    minutes: list[float] = []
    per_series: list[float] = []
    for case in cases:
        dets = [d for d in case.detections if d.first >= case.burn_in]
        spans = [(d.first, case.length if d.stop is None else d.stop, d.detected) for d in dets]
        hit = sum(1 for a, b, _ in spans if any(a < t.stop and t.first < b for t in case.truths))
        got = 0
        for t in case.truths:
            confs = [c for a, b, c in spans if a < t.stop and t.first < b]
            if confs:
                got += 1
                delay = max(0, min(confs) - t.first)
                delays.append(delay)
                minutes.append(delay * case.step / 60.0)
        detected += len(dets)
        tp += hit
        found += got
        n_truth += len(case.truths)
        if dets or case.truths:
            p = hit / len(dets) if dets else 0.0
            r = got / len(case.truths) if case.truths else 0.0
            per_series.append(_f1(p, r))
    precision = tp / detected if detected else 0.0
    recall = found / n_truth if n_truth else 0.0
    return Scores(
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(_f1(precision, recall), 4),
        mean_series_f1=round(float(np.mean(per_series)), 4) if per_series else 0.0,
        median_delay_bins=float(np.median(delays)) if delays else None,
        median_delay_minutes=float(np.median(minutes)) if minutes else None,
        detected=detected,
        true_positives=tp,
        truths=n_truth,
        found=found,
        series=len(per_series),
    )


def score(
    detections: Sequence[Sequence[Interval]],
    truths: Sequence[Sequence[Truth]],
    *,
    length: int,
    burn_in: int,
    step: int = 300,
) -> Scores:
    """Series of one shape (the synthetic benchmark): one list of detections per series."""
    return score_cases(
        [
            Case(d, t, length=length, burn_in=burn_in, step=step)
            for d, t in zip(detections, truths, strict=True)
        ]
    )
