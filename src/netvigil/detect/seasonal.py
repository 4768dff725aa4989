"""The netvigil outage detector over whole series: the streaming step (``streaming``) run bin by
bin over an array, so a batch run and a continuous pipeline give the same events.

``detect_many(values, step, signal)`` takes many series of one signal kind at once (n_series,
n_bins); ``chunk`` series share one state (numpy works across them), which bounds the memory by
the chunk, not by the number of series. The method and its parameters: ``streaming`` and
``kinds``; the reasons and the figures: docs/detection.md.
"""

from __future__ import annotations

import numpy as np

from netvigil.detect import streaming
from netvigil.detect.intervals import Interval
from netvigil.detect.kinds import KindParams, kind_of
from netvigil.detect.series import FloatArray

NAME = "netvigil"
VERSION = "2.0"


def run_state(
    state: streaming.State, values: FloatArray
) -> tuple[streaming.State, list[list[Interval]]]:
    """Feed ``values`` (n_series, n_bins) to ``state`` bin by bin; the intervals per series,
    ongoing events last with ``stop`` None, and the state after the last bin."""
    x = np.atleast_2d(np.asarray(values, dtype=np.float64))
    out: list[list[Interval]] = [[] for _ in range(x.shape[0])]
    columns = np.ascontiguousarray(x.T)
    for col in columns:
        state, decisions = streaming.step(state, col)
        for d in decisions:
            if d.stop is not None:
                out[d.series].append(Interval(d.first, d.stop, d.detected, d.score, d.level))
    s = state.arrays
    for i in np.flatnonzero(s["open"]):
        level = "critical" if s["deep"][i] else "warning"
        out[i].append(
            Interval(int(s["first"][i]), None, int(s["detected"][i]), float(s["score"][i]), level)
        )
    return state, out


def detect_many(
    values: FloatArray,
    step: int,
    signal: str = "",
    *,
    chunk: int = 1024,
    evidence_scale: float = 1.0,
) -> list[list[Interval]]:
    """Intervals per series, all of signal kind ``kind_of(signal)`` and bin width ``step``;
    ``evidence_scale`` < 1 lowers the alarm level (the candidates that fusion corroborates)."""
    kind: KindParams = kind_of(signal)
    x = np.atleast_2d(values)
    out: list[list[Interval]] = []
    for lo in range(0, x.shape[0], chunk):
        part = x[lo : lo + chunk]
        state = streaming.new_state(
            part.shape[0], step, kind, evidence=kind.evidence * evidence_scale
        )
        _, found = run_state(state, part)
        out.extend(found)
    return out


def detect(values: FloatArray, start: int, step: int, signal: str = "") -> list[Interval]:
    """netvigil events over one regular series (NaN = missing)."""
    return detect_many(np.atleast_2d(values), step, signal)[0]
