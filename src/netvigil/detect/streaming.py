"""netvigil's outage detector as a streaming step: state in, one bin in, state and decisions out.

A continuous pipeline calls ``step(state, values)`` once per bin with one value per series (NaN =
missing); the batch run (``seasonal.detect_many``) is the same loop over a whole array, so both give
the same events, and ``dumps``/``loads`` carry the state between calls or processes. All series of
one state share the bin width and signal kind (``kinds.KindParams``) and advance together; numpy
does the series of one bin at once. Per series, at bin *t* (reasons and figures:
docs/detection.md):

    expected(t) = level x profile(t) x min(1, weekly(t))
    profile(t)  = median over the previous 7 days, same time of day, of cleaned value / level
                  then, never below the kind's floor (dark hours cannot become normal)
    weekly(t)   = median over the previous 3 weeks of how the same hour of the week (+-1 h) stood
                  against the same hour of the last 6 days (1 until a week has been seen); it
                  only excuses a drop (a weekend morning), it never raises one
    level       = median over the last hours of cleaned value / profile, every hour
    ratio(t)    = value(t) / expected(t)

Evidence: two one-sided CUSUMs on the ratio with Poisson log-likelihood increments scaled to the
series' effective count (Lucas 1985, "Counted data CUSUMs"), ``n_eff x (ratio x ln r1 + 1 -
r1)``, ``n_eff = 1 / noise^2``, ``noise`` = the robust relative noise of the last day (at least
1/sqrt(expected) for Poisson kinds). The *shallow* CUSUM's ``r1`` makes it grow only below ``1 -
min_drop``; the *deep* one (r1 = 0.1) reacts fast to blackouts on noisy series. Low counts thus
need a longer drop instead of a band wider than the baseline. An event opens when a CUSUM passes
the kind's ``evidence``, the suspect run has lasted ``confirm`` bins and the bin is still low
(onset = the run's first bin); it closes at the first of 2 bins back above ``1 - min_drop / 2``.

Baselines exclude outages: the bins of an open event enter the history as the expected value
(inpainting); the bins of a suspect run enter as they are, are taken out again if the run is
confirmed (``_forget``), and meanwhile freeze the level and the noise. A drop that was never deep
stops being inpainted after ``hold_hours`` (then it is more likely a level shift, and the level
follows it, which ends the event); a deep one stays one event until it recovers, or until a
partial recovery has lasted ``partial_accept_days``, up to ``deep_max_days``.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

from netvigil.detect.kinds import KindParams
from netvigil.detect.series import FloatArray

FIRST_WEEK_DROP = 0.5  # the smallest drop that counts before a week has been seen
FREEZE = 0.25  # of the alarm level: above it the level and the noise stop following values
DEEP_R1 = 0.1  # the deep CUSUM's alternative: a tenth of the expectation left
DAYS = 7  # days in the daily profile
WEEKS = 3  # weeks in the weekly factor
CLOSE_BINS = 2  # bins back to normal that close an event
INITIAL_NOISE = 0.1  # before a residual has been seen
PRIOR_COUNTS = 10.0  # Poisson kinds: a daily profile needs this many counts to move from flat


@functools.lru_cache(maxsize=64)
def shallow_r1(min_drop: float) -> float:
    """The alternative whose CUSUM increment changes sign at ``ratio = 1 - min_drop``:
    ``(1 - r1) / -ln(r1) = 1 - min_drop``, solved by bisection."""
    target = 1.0 - min_drop
    lo, hi = 1e-6, 1.0 - 1e-9
    for _ in range(80):
        mid = (lo + hi) / 2
        if (1 - mid) / -math.log(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True, slots=True)
class Decision:
    """An event opened (``stop`` None) or closed at the bin just stepped, for series ``series``."""

    series: int
    first: int
    stop: int | None
    detected: int
    score: float
    level: str  # "critical" when the ratio went under the kind's critical ratio, else "warning"


@dataclass
class State:
    """Everything the detector remembers (numpy arrays over the series; see ``new_state``)."""

    step: int
    kind: KindParams
    t: int = 0
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


@functools.lru_cache(maxsize=64)
def geometry(step: int, kind: KindParams) -> dict[str, int]:
    day = max(1, round(86400 / step))
    block = max(1, round(3600 / step))
    return {
        "day": day,
        "block": block,
        "ring": DAYS * day,
        "week_blocks": 7 * day // block,
        "wring": WEEKS * (7 * day // block),
        "level": max(1, round(kind.level_hours * 3600 / step)),
        "confirm": max(2, math.ceil(kind.confirm_minutes * 60 / step)),
        "partial": max(1, round(kind.partial_accept_days * 86400 / step)),
        "hold": max(1, round(kind.hold_hours * 3600 / step)),
        "deep_max": max(1, round(kind.deep_max_days * 86400 / step)),
    }


def new_state(n: int, step: int, kind: KindParams, *, evidence: float | None = None) -> State:
    """A fresh state for ``n`` series; ``evidence`` overrides the kind's alarm level (fusion
    runs a second, more sensitive pass whose events only count when another signal agrees)."""
    if evidence is not None:
        kind = replace(kind, evidence=evidence)
    g = geometry(step, kind)
    nan = np.nan

    def full(width: int, value: float = nan) -> np.ndarray:
        return np.full((n, width), value)

    arrays = {
        "u": full(g["ring"]),  # cleaned value / level (raw value while warming up)
        "wk": full(g["wring"]),  # per hour: mean of value / level, deep bins left out
        "lv": full(g["level"]),  # cleaned value / profile: the level's window
        "lvraw": full(g["level"]),  # value / profile: the level if a shift is accepted
        "lvs": full(g["level"]),  # profile, to weigh the level of Poisson counts
        "res": full(g["day"]),  # |value / expected - 1| of normal bins: the noise's window
        "hsum": np.zeros(n),
        "hcount": np.zeros(n),
        "weekly": np.ones(n),
        "prof": full(g["block"], 1.0),  # the daily profile of this hour's bins
        "n_eff": np.full(n, 1.0 / INITIAL_NOISE**2),
        "level": np.full(n, nan),
        "noise": np.full(n, INITIAL_NOISE),
        "warm": np.zeros(n, dtype=bool),
        "g": np.zeros((n, 2)),  # shallow and deep CUSUMs
        "alarm": np.zeros((n, 2), dtype=bool),
        "since": np.full(n, -1, dtype=np.int64),  # first bin of the suspect run, -1 = none
        "run_area": np.zeros(n),
        "run_deep": np.zeros(n, dtype=bool),
        "open": np.zeros(n, dtype=bool),
        "first": np.zeros(n, dtype=np.int64),
        "detected": np.zeros(n, dtype=np.int64),
        "score": np.zeros(n),
        "deep": np.zeros(n, dtype=bool),
        "rec_run": np.zeros(n, dtype=np.int64),
        "rec_first": np.zeros(n, dtype=np.int64),
        "shallow_run": np.zeros(n, dtype=np.int64),
        "age": np.zeros(n, dtype=np.int64),
    }
    return State(step=step, kind=kind, arrays=arrays)


def _nanmedian(a: FloatArray) -> FloatArray:
    """Median over the last axis ignoring NaN (NaN when all are). np.nanmedian goes through
    masked arrays for short axes, many times slower; sorting puts NaN last."""
    ordered = np.sort(a, axis=-1)
    count = np.sum(~np.isnan(a), axis=-1, keepdims=True)
    lo = np.clip((count - 1) // 2, 0, None)
    hi = np.clip(count // 2, 0, None)
    low = np.take_along_axis(ordered, lo, axis=-1)
    high = np.take_along_axis(ordered, hi, axis=-1)
    out = np.where(count > 0, (low + high) / 2.0, np.nan)
    return np.asarray(out[..., 0], dtype=np.float64)


def _nanmean(a: FloatArray) -> FloatArray:
    count = np.sum(~np.isnan(a), axis=-1)
    total = np.nansum(a, axis=-1)
    with np.errstate(all="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def step(state: State, values: FloatArray) -> tuple[State, list[Decision]]:
    """Consume one bin (one value per series, NaN = missing); return the state and the events
    that opened or closed at this bin. The state is updated in place and returned."""
    kind, s, t = state.kind, state.arrays, state.t
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    g = geometry(state.step, kind)
    decisions: list[Decision] = []
    j = t % g["block"]
    if j == 0:  # start of an hour: level, noise, weekly factor and this hour's profile
        _hourly(state, g)
    prof = s["prof"][:, j]
    with np.errstate(all="ignore"):
        base = s["level"] * prof  # NaN while warming up
        # The weekly factor only excuses: a weekend morning below the daily profile is normal,
        # but a wrong weekly factor must never raise an alarm or bend the level.
        expected = base * np.minimum(s["weekly"], 1.0)
        ratio = x / expected
        valid = np.isfinite(ratio)
        # Before a week has been seen the weekly rhythm is unknown: only a drop of half counts
        # (IODA's critical ratio for BGP and active probing), no weekend falls that far.
        min_drop = kind.min_drop
        if kind.weekly and t < 7 * g["day"]:
            min_drop = max(min_drop, FIRST_WEEK_DROP)
        low = (ratio < 1.0 - min_drop) & (expected - x >= kind.min_units)
        opened = s["open"].copy()
        # --- evidence: two CUSUMs over the bins that are not missing and not in an event.
        watch = valid & ~opened
        n_eff = np.minimum(s["n_eff"], expected) if kind.poisson else s["n_eff"]
        log_r1, one_minus_r1 = _cusum_terms(min_drop)
        inc = n_eff[:, None] * (ratio[:, None] * log_r1 + one_minus_r1)
        if kind.min_units:  # a census: less than min_units gone is no evidence
            inc = np.where((expected - x < kind.min_units)[:, None], np.minimum(inc, 0.0), inc)
        cus = s["g"]
        was = cus.max(axis=1) > 0
        cus[:] = np.where(watch[:, None], np.maximum(0.0, cus + inc), cus)
        now = cus.max(axis=1) > 0
        s["alarm"] &= cus > 0
        s["alarm"] |= cus > kind.evidence
        drop = np.maximum(1.0 - ratio, 0.0) * (100.0 * state.step / 60.0)
    start = watch & now & ~was
    s["since"][start] = t
    s["run_area"][start] = 0.0
    s["run_deep"][start] = False
    s["since"][watch & ~now] = -1
    in_run = watch & now
    s["run_area"][in_run] += drop[in_run]
    s["run_deep"] |= in_run & (ratio < kind.critical)
    # Confirmed when the evidence is there, the run has lasted, and the bin is still low (a
    # deep dip that is over leaves the CUSUM high for a while: that is not an outage going on).
    confirm = in_run & low & s["alarm"].any(axis=1) & (t - s["since"] + 1 >= g["confirm"])
    for i in np.flatnonzero(confirm):
        s["open"][i], s["first"][i], s["detected"][i] = True, s["since"][i], t
        s["score"][i], s["deep"][i] = s["run_area"][i], s["run_deep"][i]
        s["rec_run"][i] = s["shallow_run"][i] = 0
        s["age"][i] = t - s["since"][i]
        s["g"][i] = 0.0
        s["alarm"][i] = False
        s["since"][i] = -1
        _forget(state, g, int(i), int(s["first"][i]))
        decisions.append(_decision(state, int(i), None))
    # --- events open before this bin: score, recovery, acceptance of a new level.
    if opened.any():
        _follow(state, g, opened, valid, ratio, drop, decisions)
    # --- history: bins of an event get the expected value (inpainting), except a drop that was
    # never deep once it has lasted ``hold_hours``: then it is more likely a level shift or a
    # wrong baseline than an outage, and holding the baseline would lock it in. Suspect bins
    # are learnt as they are (inpainting noise would bias a low-count baseline upwards) and
    # taken out of the history if the run is confirmed (``_forget``).
    held = s["open"] & (s["deep"] | (s["age"] < g["hold"]))
    inpaint = held
    clean = np.where(valid & ~inpaint, x, base)
    normal = valid & ~inpaint & ~opened & ~s["open"] & ~(now & low)  # what the noise learns
    _learn(state, g, x, clean, prof, expected, normal)
    state.t = t + 1
    if state.t % g["day"] == 0 and not s["warm"].all():
        _warm_up(state, g)
    return state, decisions


@functools.lru_cache(maxsize=64)
def _cusum_terms(min_drop: float) -> tuple[np.ndarray, np.ndarray]:
    r1 = np.array([shallow_r1(min_drop), DEEP_R1])
    return np.log(r1), 1.0 - r1


def _forget(state: State, g: dict[str, int], i: int, first: int) -> None:
    """Take the bins of a run just confirmed as an outage (before this bin) out of the history
    of series ``i``: missing values, which the medians and means skip."""
    s, t = state.arrays, state.t
    for name, width in (("u", g["ring"]), ("lv", g["level"]), ("lvraw", g["level"]),
                        ("lvs", g["level"]), ("res", g["day"])):  # fmt: skip
        span = np.arange(max(first, t - width), t)
        s[name][i, span % width] = np.nan


def _decision(state: State, i: int, stop: int | None) -> Decision:
    s = state.arrays
    return Decision(
        series=int(i),
        first=int(s["first"][i]),
        stop=stop,
        detected=int(s["detected"][i]),
        score=float(s["score"][i]),
        level="critical" if s["deep"][i] else "warning",
    )


def _follow(
    state: State,
    g: dict[str, int],
    inside: np.ndarray,
    valid: np.ndarray,
    ratio: FloatArray,
    drop: FloatArray,
    decisions: list[Decision],
) -> None:
    kind, s, t = state.kind, state.arrays, state.t
    seen = inside & valid
    s["score"][seen] += drop[seen]
    s["age"][inside] += 1
    deep_now = seen & (ratio < kind.critical)
    s["deep"][deep_now] = True
    s["shallow_run"][deep_now] = 0
    s["shallow_run"][seen & ~deep_now] += 1
    back = seen & (ratio >= 1.0 - kind.min_drop / 2)
    starting = back & (s["rec_run"] == 0)
    s["rec_first"][starting] = t
    s["rec_run"][back] += 1
    s["rec_run"][seen & ~back] = 0
    closed = inside & (s["rec_run"] >= CLOSE_BINS)
    partial = s["deep"] & (s["shallow_run"] >= g["partial"])
    accepted = inside & ~closed & (partial | (s["age"] >= g["deep_max"]))
    for i in np.flatnonzero(closed):
        s["open"][i] = False
        decisions.append(_decision(state, int(i), int(s["rec_first"][i])))
    for i in np.flatnonzero(accepted):
        # The drop has become the normal: the level restarts from the raw recent values.
        s["open"][i] = False
        level = _level(s["lvraw"][i][None, :], s["lvs"][i][None, :], state.kind.poisson)[0]
        if np.isfinite(level) and level > 0:
            s["level"][i] = level
            s["lv"][i] = s["lvraw"][i]
        decisions.append(_decision(state, int(i), t))


def _learn(
    state: State,
    g: dict[str, int],
    x: FloatArray,
    clean: FloatArray,
    prof: FloatArray,
    expected: FloatArray,
    normal: np.ndarray,
) -> None:
    s, t = state.arrays, state.t
    warm = s["warm"]
    lslot = t % g["level"]
    with np.errstate(all="ignore"):
        u = np.where(warm, clean / s["level"], x)  # raw values while warming up
        s["u"][:, t % g["ring"]] = u
        s["lv"][:, lslot] = clean / prof  # NaN while warming up (no level yet)
        s["lvraw"][:, lslot] = x / prof
        s["lvs"][:, lslot] = prof
        s["res"][:, t % g["day"]] = np.where(normal, np.abs(x / expected - 1.0), np.nan)
        # The hourly table learns from the values themselves unless they are deep (a shutdown):
        # a weekend dip flagged in the first week must be learnt, not inpainted away.
        ratio = x / expected
        dev = np.where(ratio >= state.kind.critical, x / s["level"], np.nan)
    ok = warm & np.isfinite(dev)
    s["hsum"][ok] += dev[ok]
    s["hcount"][ok] += 1
    if (t + 1) % g["block"] == 0:
        hour = t // g["block"]
        with np.errstate(all="ignore"):
            mean = s["hsum"] / s["hcount"]  # NaN for an hour with no value
        s["wk"][:, hour % g["wring"]] = mean
        s["hsum"][:] = 0.0
        s["hcount"][:] = 0.0


def _hourly(state: State, g: dict[str, int]) -> None:
    """Refresh, once an hour, what changes slowly: the level, the noise (hence the effective
    count), the weekly factor and the daily profile of the hour's bins (all from the history)."""
    kind, s, t = state.kind, state.arrays, state.t
    warm = s["warm"]
    block, day = g["block"], g["day"]
    if warm.any():
        # While evidence of a drop builds up, the level and the noise stay as they were: the
        # drop must not eat its own baseline before it is confirmed (then ``_forget`` runs).
        steady = warm & (s["g"].max(axis=1) < FREEZE * kind.evidence)
        level = _level(s["lv"], s["lvs"], kind.poisson)
        ok = steady & np.isfinite(level) & (level > 0)
        s["level"][ok] = level[ok]
        noise = 1.4826 * _nanmedian(s["res"])
        s["noise"][:] = np.where(steady & np.isfinite(noise), noise, s["noise"])
        s["n_eff"][:] = 1.0 / np.maximum(s["noise"] ** 2, kind.noise_floor**2)
    hour = t // block
    weeks = min(WEEKS, hour // g["week_blocks"])
    if kind.weekly and kind.daily and weeks:
        s["weekly"][:] = _weekly(s["wk"], hour, weeks, g)
    days_seen = min(DAYS, t // day)
    if kind.daily and days_seen:
        bins = t + np.arange(block)
        back = day * np.arange(1, days_seen + 1)
        if kind.poisson:  # few counts per bin: the mean over +-1 hour of each past day
            back = (back[:, None] + np.arange(-block, block + 1)[None, :]).reshape(-1)
        lags = (bins[:, None] - back[None, :]) % g["ring"]
        if kind.poisson:
            # Shrunk towards flat by PRIOR_COUNTS: a profile from a handful of counts is noise.
            past = s["u"][:, lags]
            with np.errstate(all="ignore"):
                counts = np.sum(np.isfinite(past), axis=-1) * s["level"][:, None]
                prof = (_nanmean(past) * counts + PRIOR_COUNTS) / (counts + PRIOR_COUNTS)
        else:
            prof = _nanmedian(s["u"][:, lags])  # (n, block)
        s["prof"][:] = np.where(np.isfinite(prof), np.maximum(prof, kind.floor), 1.0)


def _level(lv: FloatArray, shape: FloatArray, poisson: bool) -> FloatArray:
    """The level from a window of value / shape: the median, or for Poisson counts the ratio of
    sums (sum of values / sum of shapes), which a near-zero profile bin cannot blow up."""
    if not poisson:
        return _nanmedian(lv)
    seen = np.isfinite(lv)
    with np.errstate(all="ignore"):
        total = np.sum(np.where(seen, lv * shape, 0.0), axis=-1)
        weight = np.sum(np.where(seen, shape, 0.0), axis=-1)
        return np.where(weight > 0, total / weight, np.nan)


def _weekly(table: FloatArray, hour: int, weeks: int, g: dict[str, int]) -> FloatArray:
    """How the same hour of the week (+-1 h) stood, in each of the last ``weeks`` weeks, against
    the same hour of the last 6 days, as a median. A weekend morning is low against the recent
    weekdays; a nightly curfew is low on the recent days too, so it cannot become a habit."""
    wb, ring, per_day = g["week_blocks"], g["wring"], g["week_blocks"] // 7
    ratios = []
    for j in (-1, 0, 1):
        lately = _nanmedian(table[:, [(hour + j - d * per_day) % ring for d in range(1, 7)]])
        for k in range(1, weeks + 1):
            with np.errstate(all="ignore"):
                ratios.append(table[:, (hour + j - k * wb) % ring] / lately)
    w = _nanmedian(np.stack(ratios, axis=1))
    return np.where(np.isfinite(w), np.clip(w, 0.5, 1.5), 1.0)


def _warm_up(state: State, g: dict[str, int]) -> None:
    """At a day's end, a series not yet warm takes the median of that day as its level."""
    s, day = state.arrays, g["day"]
    cold = ~s["warm"]
    cols = [(state.t - 1 - k) % g["ring"] for k in range(day)]
    level = _nanmean(s["u"][:, cols]) if state.kind.poisson else _nanmedian(s["u"][:, cols])
    ready = cold & np.isfinite(level) & (level > 0)
    if not ready.any():
        return
    s["level"][ready] = level[ready]
    s["u"][ready] = s["u"][ready] / level[ready, None]
    s["lv"][ready] = level[ready, None]
    s["lvraw"][ready] = level[ready, None]
    s["lvs"][ready] = 1.0
    s["warm"][ready] = True


def dumps(state: State) -> bytes:
    """The state as bytes (numpy's .npz), e.g. to keep it between pipeline runs."""
    buf = io.BytesIO()
    meta = {f.name: getattr(state.kind, f.name) for f in fields(state.kind)}
    arrays: dict[str, np.ndarray] = {
        "__step__": np.array(state.step, dtype=np.int64),
        "__t__": np.array(state.t, dtype=np.int64),
        "__kind__": np.array(repr(meta)),
        **state.arrays,
    }
    np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as allow_pickle
    return buf.getvalue()


def loads(data: bytes) -> State:
    import ast

    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        meta = ast.literal_eval(str(z["__kind__"]))
        arrays = {k: z[k].copy() for k in z.files if not k.startswith("__")}
        return State(
            step=int(z["__step__"]),
            kind=KindParams(**meta),
            t=int(z["__t__"]),
            arrays=arrays,
        )
