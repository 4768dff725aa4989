"""The detectors by name: each takes many series at once (n_series, n_bins) and a bin width."""

from __future__ import annotations

import numpy as np

from netvigil._errors import UnknownEntityError
from netvigil.detect import ioda, seasonal
from netvigil.detect.intervals import Interval
from netvigil.detect.series import FloatArray


def _ioda_many(values: FloatArray, step: int, signal: str = "active") -> list[list[Interval]]:
    x = np.atleast_2d(values)
    return [ioda.detect(x[i], 0, step, signal) for i in range(x.shape[0])]


def _netvigil_many(values: FloatArray, step: int, signal: str = "") -> list[list[Interval]]:
    return seasonal.detect_many(values, step, signal)


DETECTORS = {
    ioda.NAME: (_ioda_many, ioda.VERSION),
    seasonal.NAME: (_netvigil_many, seasonal.VERSION),
}
FUSION = {ioda.NAME: "product", seasonal.NAME: "sum"}


def run(name: str, values: FloatArray, step: int, signal: str = "active") -> list[list[Interval]]:
    """Intervals per series for detector ``name``."""
    if name not in DETECTORS:
        raise UnknownEntityError("detector", name, sorted(DETECTORS))
    fn = DETECTORS[name][0]
    return fn(values, step, signal)


def version(name: str) -> str:
    if name not in DETECTORS:
        raise UnknownEntityError("detector", name, sorted(DETECTORS))
    return DETECTORS[name][1]
