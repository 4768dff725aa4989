"""IODA's outage detection, reproduced: moving median with inpainting, thresholds, alert area.

Sources (read 2026-11; see docs/detection.md):
* IODA help page (ioda.inetintel.cc.gatech.edu/help, "Outage Detection"): the current value is
  compared with the *median of a sliding window* of recent values; BGP window 24 h, thresholds
  warning 99% / critical 50%; active probing 7 days, 80% / 50%; telescope 7 days, 25% / 10%.
  Severity = alert area = relative drop ``(history - current) / history * 100`` x minutes; the
  overall score multiplies the alert areas of the datasources that alerted.
* InetIntel/watchtower-sentry ``filters/MovingStat.py`` (the median filter IODA runs): the
  prediction is the nearest-rank median of the window *before* the new value; a value whose
  ratio is below ``inpainting.min`` (0.8) or above ``inpainting.max`` (2) enters the history as the
  prediction instead (inpainting), for at most ``maxduration`` (7 days), after which the raw values
  buffered since inpainting began replace the history ("the extreme is the new normal"); a value
  back to normal ends inpainting and leaves the inpainted values in place. Warm-up 1 h.
* ``sinks/AlertKafka.py`` and ``sentry-sample.yaml``: a non-normal status is reported only once it
  has lasted ``minduration`` (60 s in the sample), with the original start time; the next normal
  value closes it.

Written as a per-series loop because inpainting makes each step depend on the previous history;
that is IODA's own algorithm (a sorted window with bisect), kept faithful rather than vectorised.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

import numpy as np

from netvigil.detect.intervals import Interval
from netvigil.detect.series import FloatArray

NAME = "ioda"
VERSION = "1.0"


@dataclass(frozen=True, slots=True)
class IodaParams:
    history: int  # seconds of the sliding window
    warning: float  # ratio below which a value is a warning
    critical: float  # ratio below which a value is critical
    warmup: int = 3600  # sentry-sample.yaml
    inpaint_min: float = 0.8
    inpaint_max: float = 2.0
    inpaint_maxduration: int = 7 * 86400
    minduration: int = 60  # sentry-sample.yaml AlertKafka.minduration


# Per datasource kind, from IODA's help page.
PARAMS: dict[str, IodaParams] = {
    "bgp": IodaParams(history=86400, warning=0.99, critical=0.50),
    "active": IodaParams(history=7 * 86400, warning=0.80, critical=0.50),
    "telescope": IodaParams(history=7 * 86400, warning=0.25, critical=0.10),
}


def params_for(signal: str) -> IodaParams:
    """Parameters by signal name: ``bgp*`` -> BGP, ``telescope``/``darknet``/``merit-nt`` ->
    telescope, anything else (active probing, traffic, our own volumes) -> active probing."""
    name = signal.lower()
    if name.startswith("bgp"):
        return PARAMS["bgp"]
    if any(key in name for key in ("telescope", "darknet", "merit-nt", "ucsd-nt")):
        return PARAMS["telescope"]
    return PARAMS["active"]


def moving_median_ratio(
    times: FloatArray, values: FloatArray, p: IodaParams
) -> tuple[FloatArray, FloatArray]:
    """``(ratio, predicted)`` per sample (NaN where IODA emits nothing), as MovingStat does."""
    n = len(values)
    ratio = np.full(n, np.nan)
    predicted = np.full(n, np.nan)
    vtq: deque[tuple[float, float]] = deque()  # (value or inpainted value, time)
    raw: deque[tuple[float, float]] | None = None  # raw values buffered while inpainting
    window: list[float] | None = None  # sorted values of vtq

    def predict(sorted_values: list[float]) -> float | None:
        if not sorted_values:
            return None
        return sorted_values[-(-len(sorted_values) // 2) - 1]  # nearest-rank median

    vals = values.tolist()
    ts = times.tolist()
    for i in range(n):
        v = vals[i]
        if v != v:  # missing bin: MovingStat skips None values
            continue
        t = ts[i]
        if not vtq or vtq[0][1] > t - p.warmup:
            vtq.append((v, t))
            continue
        window_start = t - p.history
        if window is None:
            window = sorted(x for x, _ in vtq)
        while vtq and vtq[0][1] < window_start:
            _discard(window, vtq.popleft()[0])
        pred = predict(window)
        r = v / pred if pred else None
        newval = v
        started = raw[0][1] if raw else None
        if r is not None and (r < p.inpaint_min or r > p.inpaint_max):
            if started is None:
                raw = deque([(v, t)])
                newval = pred if pred is not None else v
            elif started > t - p.inpaint_maxduration:
                assert raw is not None
                raw.append((v, t))
                newval = pred if pred is not None else v
            else:  # the extreme is the new normal: rebuild history from the raw values
                assert raw is not None
                vtq, raw = raw, None
                if vtq[0][1] > t - p.warmup:
                    window = None
                    vtq.append((v, t))
                    continue
                window = sorted(x for x, _ in vtq)
                pred = predict(window)
                r = newval / pred if pred else None
        elif started is not None:
            raw = None
        vtq.append((newval, t))
        if vtq[0][1] > window_start:
            bisect.insort(window, newval)
        else:
            _discard(window, vtq.popleft()[0])
            bisect.insort(window, newval)
        if r is not None and pred is not None:
            ratio[i] = r
            predicted[i] = pred
    return ratio, predicted


def _discard(window: list[float], value: float) -> None:
    # list.remove compares item by item from the left; the list is sorted, so bisect finds it.
    del window[bisect.bisect_left(window, value)]


def alerts_to_intervals(
    times: FloatArray, ratio: FloatArray, step: int, p: IodaParams
) -> list[Interval]:
    """AlertKafka's state machine: open on a non-normal value that lasts ``minduration``, close
    on the next normal value. Score = sum of relative drop (%) x minutes over the event."""
    out: list[Interval] = []
    pending: int | None = None  # index where a not-yet-reported alert began
    open_at: int | None = None
    detected: int = 0
    for i in range(len(ratio)):
        r = float(ratio[i])
        if r != r:
            continue
        low = r < p.warning
        if open_at is not None:
            if not low:
                out.append(_interval(open_at, i, detected, times, ratio, step, p))
                open_at = None
            continue
        if low:
            if pending is None:
                pending = i
            if times[i] - times[pending] >= p.minduration or p.minduration <= 0:
                open_at, detected, pending = pending, i, None
        else:
            pending = None
    if open_at is not None:
        out.append(_interval(open_at, None, detected, times, ratio, step, p))
    return out


def _interval(
    first: int,
    stop: int | None,
    detected: int,
    times: FloatArray,
    ratio: FloatArray,
    step: int,
    p: IodaParams,
) -> Interval:
    seg = ratio[first:stop]
    seg = seg[~np.isnan(seg)]
    drop = np.clip(1.0 - seg, 0.0, None) * 100.0
    score = float(drop.sum() * step / 60.0)
    critical = bool((seg < p.critical).any())
    return Interval(first, stop, detected, score, "critical" if critical else "warning")


def detect(values: FloatArray, start: int, step: int, signal: str = "active") -> list[Interval]:
    """IODA events over one regular series (NaN = missing)."""
    p = params_for(signal)
    times = start + step * np.arange(len(values), dtype=np.float64)
    ratio, _ = moving_median_ratio(times, values, p)
    return alerts_to_intervals(times, ratio, step, p)
