"""Score named detectors side by side (``netvigil detect evaluate``): on the labelled synthetic
series (``benchmark``) and on the real labelled series (``real_signals``), with the same rules
(``scoring``).

The real figure is also given for the series the netvigil detector was *not* tuned on
(``TUNED_ON`` lists the datasets its parameters were chosen with), so that a reader can tell fit
from generalisation. The synthetic figure is reported on the held-back seeds unless a development
seed is asked for.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from netvigil.detect import registry
from netvigil.detect.benchmark import Synthetic, generate
from netvigil.detect.ground_truth import read_outage_list
from netvigil.detect.intervals import Interval
from netvigil.detect.real_signals import RealSeries, datasets, read_real_signals
from netvigil.detect.scoring import Case, score_cases

# Datasets of the real series the netvigil 2.0 parameters were chosen on (docs/detection.md);
# the others are held out.
TUNED_ON = ("IR-2019-11", "KE-2016-06")

Progress = Callable[[str, int], None]  # (what, how many series just done)


def _quiet(what: str, done: int) -> None:
    return None


def run_grouped(
    name: str, series: Sequence[tuple[str, int, np.ndarray]], progress: Progress = _quiet
) -> list[list[Interval]]:
    """Detections per series; series of one signal, bin width and length run together."""
    groups: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for i, (signal, step, values) in enumerate(series):
        groups[(signal, step, len(values))].append(i)
    out: list[list[Interval]] = [[] for _ in series]
    for (signal, step, _), idx in groups.items():
        found = registry.run(name, np.stack([series[i][2] for i in idx]), step, signal)
        for i, f in zip(idx, found, strict=True):
            out[i] = f
        progress(name, len(idx))
    return out


def evaluate_synthetic(
    detectors: Sequence[str],
    *,
    outages: Path,
    seeds: Sequence[int],
    n_series: int,
    days: int = 35,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    labels, bad = read_outage_list(outages)
    series: list[Synthetic] = []
    for seed in seeds:
        series.extend(generate(np.random.default_rng(seed), labels, n_series, days=days))
    report: dict[str, Any] = {
        "seeds": list(seeds),
        "series": len(series),
        "days": days,
        "labels": {
            "used": len(labels),
            "repaired": sum(1 for lab in labels if lab.note),
            "bad_rows": len(bad),
            "bad": [{"line": b.line, "reason": b.reason} for b in bad],
        },
        "outages": sum(len(s.truths) for s in series),
        "detectors": {},
    }
    for name in detectors:
        began = time.process_time()
        found = run_grouped(name, [(s.signal, s.step, s.values) for s in series], progress)
        cpu = time.process_time() - began
        cases = [
            Case(f, s.truths, len(s.values), 86400 // s.step, s.step)
            for f, s in zip(found, series, strict=True)
        ]
        by_kind = {
            kind: asdict(
                score_cases([c for c, s in zip(cases, series, strict=True) if s.kind == kind])
            )
            for kind in sorted({s.kind for s in series})
        }
        report["detectors"][name] = {
            **asdict(score_cases(cases)),
            "version": registry.version(name),
            "cpu_seconds": round(cpu, 2),
            "by_kind": by_kind,
            "recall_by_outage": _recall_by_outage(cases),
        }
    return report


def _recall_by_outage(cases: Sequence[Case]) -> dict[str, dict[str, int]]:
    tally: dict[str, dict[str, int]] = defaultdict(lambda: {"found": 0, "labelled": 0})
    for c in cases:
        spans = [
            (d.first, c.length if d.stop is None else d.stop)
            for d in c.detections
            if d.first >= c.burn_in
        ]
        for t in c.truths:
            tally[t.kind]["labelled"] += 1
            tally[t.kind]["found"] += any(a < t.stop and t.first < b for a, b in spans)
    return dict(sorted(tally.items()))


def evaluate_real(
    detectors: Sequence[str], root: Path, *, progress: Progress = _quiet
) -> dict[str, Any]:
    cases_in = read_real_signals(root)
    names = datasets(cases_in)
    report: dict[str, Any] = {
        "root": str(root),
        "series": len(cases_in),
        "outages": sum(len(c.truths) for c in cases_in),
        "datasets": {ds: sum(1 for c in cases_in if c.dataset == ds) for ds in names},
        "tuned_on": [ds for ds in TUNED_ON if ds in names],
        "detectors": {},
    }
    for name in detectors:
        found = run_grouped(
            name, [(c.series.signal, c.series.step, c.series.values) for c in cases_in], progress
        )
        cases = [_case(f, c) for f, c in zip(found, cases_in, strict=True)]

        def pick(keep: Callable[[RealSeries], bool], cases: list[Case] = cases) -> dict[str, Any]:
            kept = [k for k, one in zip(cases, cases_in, strict=True) if keep(one)]
            return asdict(score_cases(kept))

        def of(ds: str) -> Callable[[RealSeries], bool]:
            return lambda r: r.dataset == ds

        report["detectors"][name] = {
            "version": registry.version(name),
            "overall": pick(lambda r: True),
            "datasets": {ds: pick(of(ds)) for ds in names},
            "held_out": pick(lambda r: r.dataset not in TUNED_ON),
            "tuned_on": pick(lambda r: r.dataset in TUNED_ON),
            "series": {
                c.series_id: [_iso_interval(c, iv) for iv in f]
                for f, c in zip(found, cases_in, strict=True)
            },
        }
    return report


def _case(found: list[Interval], c: RealSeries) -> Case:
    step = c.series.step
    return Case(found, c.truths, len(c.series.values), 86400 // step, step)


def _iso_interval(c: RealSeries, iv: Interval) -> dict[str, Any]:
    from netvigil.models.events import from_epoch, iso

    return {
        "start": iso(from_epoch(c.series.time_of(iv.first))),
        "end": None if iv.stop is None else iso(from_epoch(c.series.time_of(iv.stop))),
        "detected_at": iso(from_epoch(c.series.time_of(iv.detected))),
        "ignored": iv.first < 86400 // c.series.step,  # in the first day
    }
