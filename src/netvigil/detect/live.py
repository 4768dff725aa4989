"""The continuous pipeline's detectors: count CUSUMs over short bins, with a small replayable state.

``step(state, bin_start, counts)`` consumes one closed bin of tallies and returns the decisions
(an event opened or closed) taken at that bin; ``dumps``/``loads`` carry the state between runs.
The state is a few numbers per series, so the pipeline can keep checkpoints and re-run bins when
late data arrives (docs/pipeline.md). Three questions, one per event kind:

* **outage** (``country:XX``, ``asn:ASn``): has a network's *usable* volume (measurements that did
  not fail) gone? Two Poisson CUSUMs on the count against the network's level, as the ``volume``
  kind of ``kinds.py`` (a drop of half, and a deep one to a tenth, ``streaming.DEEP_R1``; 8 nats).
  The count is over a window of ``window`` bins (at least the probes' interval: a probe that runs
  every 5 minutes leaves most 1-minute bins empty), its evidence divided by ``window``. Usable,
  because a shut-down network's probes keep measuring and upload later: their measurements all
  fail, so the gap they fill stays a gap.
* **blocking** (``country:XX/asn:ASn/domain:host`` or ``.../service:name``): Bernoulli CUSUM on
  each judged measurement (failures are no evidence, as OONI's CUSUM): blocked (anomaly or
  confirmed) against a baseline rate ``p0`` learnt from the series (at least ``P0_FLOOR``) versus
  OONI's blocked state ``blocking.MU1`` = 0.7. Per measurement that is ln(0.7 / 0.05) = 2.6 nats
  for a blocked one and ln(0.3 / 0.95) = -1.2 for an accessible one, so with ``EVIDENCE`` = ln 1000
  three blocked measurements in a row open an event (a false alarm needs p0^3 by chance, 1.25e-4
  at the floor), and the same evidence for the accessible state (six in a row) closes it.
* **platform_outage** (``service:name`` or ``domain:host``): the same CUSUM on *down*: the probe
  could not reach the target and neither could the control (OONI's "website down": blocking
  false, accessible false), from every network that measures it: at least two networks must have
  seen it down when two or more measure it. Measurements that are down are no evidence of blocking
  either way, and no blocking event opens for a target while it is down for everyone: an outage
  of the platform is not censorship in any network.

Why not the seasonal ``streaming`` detector: it learns daily profiles and needs a day of history
and, for probe volume, an hour of confirmation; a pipeline that must report within a bin, and a
lab story of a few minutes, need evidence from the last bins only. The seasonal detector still
runs on hourly signals (``netvigil detect``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import msgspec

from netvigil.detect.blocking import MU1
from netvigil.detect.kinds import KINDS
from netvigil.detect.streaming import CLOSE_BINS, DEEP_R1, shallow_r1

NAME = "live"
VERSION = "1.0"
EVIDENCE = math.log(1000)  # nats for a blocking / platform outage to open, and to close
P0_FLOOR = 0.05  # the smallest baseline rate of blocked (or down) measurements assumed
PRIOR = 20.0  # measurements of prior weight at the floor before a series' own rate counts
DECAY = 0.99  # per bin: the baseline rate follows the last few hundred bins
VOLUME = KINDS["volume"]  # min_drop 0.5, evidence 8 nats: our own probe volume
WARM_BINS = 3  # bins of volume before a network's level is trusted
LEVEL_BINS = 30  # the level follows the last ~30 normal bins
CONFIRM_BINS = 2  # an outage must have lasted this many bins


class Rate(msgspec.Struct):
    """One Bernoulli series: a blocking scope or a platform target."""

    hits: float = 0.0  # decayed blocked (down) measurements of normal bins
    seen: float = 0.0  # decayed judged measurements of normal bins
    g: float = 0.0  # evidence of the change (nats)
    since: int | None = None  # first bin of the current suspect run
    onset: int | None = None  # onset of the open event (None: no event open)
    detected: int = 0
    score: float = 0.0
    back: float = 0.0  # evidence of the return to normal while open
    back_since: int | None = None
    networks: list[str] = []  # platform targets: networks that saw it down in this run

    def p0(self) -> float:
        return max(P0_FLOOR, (self.hits + P0_FLOOR * PRIOR) / (self.seen + PRIOR))


class Volume(msgspec.Struct):
    """One network's usable volume (per window of bins)."""

    level: float = 0.0
    warm: int = 0
    g: list[float] = msgspec.field(default_factory=lambda: [0.0, 0.0])  # shallow, deep CUSUMs
    since: int | None = None
    onset: int | None = None
    detected: int = 0
    score: float = 0.0  # alert area: relative drop (%) x minutes, as IODA's
    back_run: int = 0
    back_since: int | None = None
    # Runs of the bin's own count (not the window's), which date the change to the bin:
    low_from: int | None = None  # first bin of the current run of low bins
    high_from: int | None = None  # while open: first bin of the current run of normal bins


class LiveState(msgspec.Struct):
    """Everything the live detectors remember (see the module docstring)."""

    bin: int  # seconds
    window: int = 1  # bins per volume window
    volume: dict[str, Volume] = {}
    blocking: dict[str, Rate] = {}
    platform: dict[str, Rate] = {}
    measuring: dict[str, dict[str, int]] = {}  # platform target -> network -> last bin seen

    def known(self) -> bool:
        """Whether any series has been seen (an empty state is the same at every bin)."""
        return bool(self.volume or self.blocking or self.platform)


@dataclass(frozen=True)
class Tally:
    """What the detectors need of one closed bin (``pipeline.bins`` builds it from verdicts)."""

    usable: Mapping[str, int] = field(default_factory=dict)  # network entity -> usable in window
    usable_bin: Mapping[str, int] = field(default_factory=dict)  # ... in this bin alone
    blocked: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # scope -> (hits, judged)
    down: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # target -> (down, judged)
    down_networks: Mapping[str, frozenset[str]] = field(default_factory=dict)  # target -> nets
    measuring: Mapping[str, frozenset[str]] = field(default_factory=dict)  # target -> networks


@dataclass(frozen=True)
class Decision:
    """An event opened (``end`` None) or closed at the bin just stepped."""

    kind: str  # outage | blocking | platform_outage
    entity: str
    onset: int  # epoch seconds of the first bin of the event
    end: int | None
    detected: int  # the bin at which it was (first) reported
    score: float
    signal: str


def new_state(bin_seconds: int, window: int = 1) -> LiveState:
    return LiveState(bin=bin_seconds, window=max(1, window))


def target_of(scope: str) -> str:
    """The target (last entity) of a blocking scope: ``.../service:signal`` -> service:signal."""
    return scope.rsplit("/", 1)[-1]


def step(state: LiveState, t: int, tally: Tally) -> list[Decision]:
    """Consume the closed bin starting at ``t``; the state is updated in place."""
    out: list[Decision] = []
    for target, networks in tally.measuring.items():
        seen = state.measuring.setdefault(target, {})
        for net in networks:
            seen[net] = t
    horizon = t - LEVEL_BINS * state.bin
    for target in list(state.measuring):
        state.measuring[target] = {n: b for n, b in state.measuring[target].items() if b > horizon}
    for target, (hits, judged) in tally.down.items():
        rate = state.platform.setdefault(target, Rate())
        need = min(2, len(state.measuring.get(target, {})))
        nets = tally.down_networks.get(target, frozenset())
        out += _rate(rate, t, hits, judged, "platform_outage", target, "down_share", need, nets)
    down_now = {k for k, r in state.platform.items() if r.onset is not None}
    for scope, (hits, judged) in tally.blocked.items():
        rate = state.blocking.setdefault(scope, Rate())
        if rate.onset is None and target_of(scope) in down_now:
            continue  # down for everyone: not censorship in this network
        out += _rate(rate, t, hits, judged, "blocking", scope, "verdicts", 0, frozenset())
    for net in tally.usable:
        state.volume.setdefault(net, Volume())
    for net, vol in state.volume.items():
        alone = tally.usable_bin.get(net, 0)
        out += _volume(vol, t, tally.usable.get(net, 0), alone, state, net)
    return out


def _rate(
    r: Rate,
    t: int,
    hits: int,
    judged: int,
    kind: str,
    entity: str,
    signal: str,
    need: int,
    networks: Iterable[str],
) -> list[Decision]:
    if judged <= 0:
        return []  # no measurement judged: no evidence either way
    p0 = r.p0()
    up = hits * math.log(MU1 / p0) + (judged - hits) * math.log((1 - MU1) / (1 - p0))
    if r.onset is None:
        g = max(0.0, r.g + up)
        if g > 0 and r.g == 0:
            r.since, r.networks = t, []
        if hits:
            r.networks = sorted(set(r.networks) | set(networks))
        r.g = g
        if g == 0:
            r.since, r.networks = None, []
            r.hits, r.seen = r.hits * DECAY + hits, r.seen * DECAY + judged
            return []
        if g >= EVIDENCE and hits and len(r.networks) >= need:
            r.onset = r.since if r.since is not None else t
            r.detected, r.score, r.g, r.back, r.back_since = t, g, 0.0, 0.0, None
            return [Decision(kind, entity, r.onset, None, t, r.score, signal)]
        return []
    back = max(0.0, r.back - up)
    if back > 0 and r.back == 0:
        r.back_since = t
    r.back = back
    if back < EVIDENCE:
        return []
    onset, end = r.onset, r.back_since if r.back_since is not None else t
    decision = Decision(kind, entity, onset, end, r.detected, r.score, signal)
    r.onset, r.since, r.back, r.back_since, r.networks, r.g = None, None, 0.0, None, [], 0.0
    return [decision]


def _volume(v: Volume, t: int, x: int, alone: int, state: LiveState, net: str) -> list[Decision]:
    """``x``: usable measurements of the window ending with bin ``t``; ``alone``: of ``t``."""
    if v.warm < WARM_BINS:
        v.level = (v.level * v.warm + x) / (v.warm + 1)
        v.warm += 1
        return []
    if v.level <= 0:
        v.level = float(x)
        return []
    ratio = x / v.level
    low = ratio < 1.0 - VOLUME.min_drop
    # The window lags the bins by up to window - 1 bins: the bin's own count says which bin a
    # drop or a return began in (onset and end are dated by it).
    own = alone * state.window / v.level
    if own < 1.0 - VOLUME.min_drop:
        v.low_from = t if v.low_from is None else v.low_from
    else:
        v.low_from = None
    if own >= 1.0 - VOLUME.min_drop / 2:
        v.high_from = t if v.high_from is None else v.high_from
    else:
        v.high_from = None
    if v.onset is None:
        was = max(v.g) > 0
        for i, r1 in enumerate((shallow_r1(VOLUME.min_drop), DEEP_R1)):
            inc = (x * math.log(r1) + v.level * (1 - r1)) / state.window
            v.g[i] = max(0.0, v.g[i] + inc)
        now = max(v.g) > 0
        if now and not was:
            v.since, v.score = t, 0.0
        if not now:
            v.since = None
            v.level += (x - v.level) / LEVEL_BINS  # learn only from normal bins
            return []
        v.score += max(0.0, 1.0 - ratio) * 100.0 * state.bin / 60.0
        lasted = t - (v.since if v.since is not None else t) + state.bin
        if max(v.g) >= VOLUME.evidence and low and lasted >= CONFIRM_BINS * state.bin:
            since = v.since if v.since is not None else t
            v.onset = since if v.low_from is None else min(since, v.low_from)
            v.detected, v.g, v.back_run = t, [0.0, 0.0], 0
            return [_outages(net, v.onset, None, t, v.score)]
        return []
    v.score += max(0.0, 1.0 - ratio) * 100.0 * state.bin / 60.0
    if ratio >= 1.0 - VOLUME.min_drop / 2:
        if v.back_run == 0:
            v.back_since = t
        v.back_run += 1
    else:
        v.back_run = 0
    if v.back_run < CLOSE_BINS:
        return []
    onset, end = v.onset, v.back_since if v.back_since is not None else t
    if v.high_from is not None:
        end = max(onset + state.bin, min(end, v.high_from))
    v.onset, v.since, v.back_run, v.back_since = None, None, 0, None
    return [_outages(net, onset, end, v.detected, v.score)]


def _outages(net: str, onset: int, end: int | None, detected: int, score: float) -> Decision:
    return Decision("outage", net, onset, end, detected, score, "usable_measurements")


def dumps(state: LiveState) -> bytes:
    return msgspec.msgpack.encode(state)


def loads(data: bytes) -> LiveState:
    return msgspec.msgpack.decode(data, type=LiveState)
