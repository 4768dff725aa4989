"""Run named detectors side by side on one labelled benchmark (``netvigil detect evaluate``)."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from netvigil.detect import registry
from netvigil.detect.benchmark import generate, score
from netvigil.detect.ground_truth import read_outage_list

FLAT_AMPLITUDE = 0.08  # series with a diurnal amplitude below this are reported as "flat"


def evaluate(
    detectors: list[str],
    *,
    outages: Path,
    seed: int,
    n_series: int,
    days: int = 30,
    step: int = 300,
) -> dict[str, Any]:
    for name in detectors:
        registry.version(name)  # unknown names fail before the (slow) generation
    labels, bad = read_outage_list(outages)
    values, truths, amplitude = generate(
        np.random.default_rng(seed), labels, n_series, days=days, step=step
    )
    burn_in = 86400 // step
    flat = amplitude < FLAT_AMPLITUDE
    report: dict[str, Any] = {
        "seed": seed,
        "series": n_series,
        "days": days,
        "step_seconds": step,
        "labels": {
            "used": len(labels),
            "repaired": sum(1 for lab in labels if lab.note),
            "bad_rows": len(bad),
            "bad": [{"line": b.line, "reason": b.reason} for b in bad],
        },
        "detectors": {},
    }
    for name in detectors:
        began = time.perf_counter()
        found = registry.run(name, values, step)
        elapsed = time.perf_counter() - began
        overall = asdict(score(found, truths, length=values.shape[1], burn_in=burn_in))
        strata = {}
        for label, mask in (("flat", flat), ("diurnal", ~flat)):
            pick = np.flatnonzero(mask)
            strata[label] = asdict(
                score(
                    [found[i] for i in pick],
                    [truths[i] for i in pick],
                    length=values.shape[1],
                    burn_in=burn_in,
                )
            )
        report["detectors"][name] = {
            **overall,
            "version": registry.version(name),
            "seconds": round(elapsed, 2),
            "by_stratum": strata,
        }
    return report
