"""Per-signal-kind parameters of the netvigil detector, each with the reason for its value.

A drop means different things on different signals: 13% fewer visible BGP prefixes is a network
gone, 13% less traffic is a Sunday. Signal names choose the kind (``kind_of``); unknown names are
treated as active probing, the commonest outage signal. docs/detection.md has the same table.

Fields:

* ``min_drop``: the smallest relative drop below the expected value that can be an outage (the
  CUSUM below is tuned so that it only accumulates evidence when the value is under
  ``1 - min_drop`` of the expectation);
* ``critical``: ratio under which a drop is *deep*: a deep event is never taken for a level shift
  before ``deep_max_days`` (one event per blackout however long);
* ``daily`` / ``weekly``: seasonal profiles used (BGP visibility has no daily rhythm);
* ``floor``: the lowest a daily profile may go, as a fraction of the level, so that hours that were
  dark every night (a curfew) can never become "normal" (recurring shutdowns stay visible);
* ``level_hours``: window of the level (the median of value / profile);
* ``confirm_minutes``: an event is reported once it has lasted this long (and at least 2 bins);
* ``min_units``: for censuses (prefixes, probes), the fewest units gone that count as evidence
  (one probe of six leaving is 17% but says nothing about a country);
* ``evidence``: log-likelihood ratio (nats) a CUSUM must reach; 20 keeps false alarms on
  Gaussian-like noise near one in a million bins; Poisson counts, whose likelihood is the right
  one, need less: 8 nats for our hourly probe volume (an hour's expectation of 12 falling to 4
  for 3 hours is about 10 nats; e^-8 per run of hourly bins is a false alarm every few months);
* ``hold_hours``: a drop that was never deep is kept out of the history this long, then taken as
  the new level (the old detector's 12 h: a nightly curfew stays out, a level shift gets in);
* ``poisson``: counts of independent arrivals, whose relative noise is at least 1/sqrt(expected);
* ``noise_floor``: the smallest relative noise assumed (a perfectly flat history has some).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KindParams:
    name: str
    min_drop: float
    critical: float
    daily: bool
    weekly: bool
    floor: float
    level_hours: float
    confirm_minutes: float
    poisson: bool = False
    noise_floor: float = 0.01
    min_units: float = 0.0
    evidence: float = 20.0
    hold_hours: float = 12.0
    deep_max_days: float = 90.0
    # after a deep phase, a partial recovery that lasts this long becomes the new level
    partial_accept_days: float = 7.0


KINDS: dict[str, KindParams] = {
    # IODA's BGP datasource warns at 99% of its 24-hour median: visible prefixes only move when
    # networks are withdrawn. 10% leaves room for routine churn of a few prefixes while keeping a
    # 13% withdrawal an outage. No daily or weekly cycle (routes do not sleep); 24 h level as IODA.
    "bgp": KindParams(
        "bgp", min_drop=0.10, critical=0.5, daily=False, weekly=False, floor=1.0,
        level_hours=24, confirm_minutes=10, min_units=2,
    ),
    # Active probing (/24 blocks answering pings, IP Observatory style connectivity indices):
    # IODA warns at 80% of its 7-day median. Diurnal (home networks sleep) and weekly cycles of
    # up to ~35%; a profile below 30% of the level is not a rhythm but a shutdown. The weekly
    # factor carries the weekend, so the level can take a day (a morning dip does not move it).
    "active": KindParams(
        "active", min_drop=0.20, critical=0.5, daily=True, weekly=True, floor=0.3,
        level_hours=24, confirm_minutes=10,
    ),
    # Network telescope (unique sources of unsolicited traffic): noisy counts with a strong daily
    # cycle; IODA only warns at 25% of its median. Counted arrivals: Poisson noise at low rates.
    "telescope": KindParams(
        "telescope", min_drop=0.35, critical=0.25, daily=True, weekly=True, floor=0.2,
        level_hours=24, confirm_minutes=20, poisson=True, noise_floor=0.02,
    ),
    # Traffic volumes (CDN requests, flows): deep night troughs (to ~30% of the daily median) and
    # weekends; a 30% drop below the same hour's expectation is well outside that rhythm.
    "traffic": KindParams(
        "traffic", min_drop=0.30, critical=0.5, daily=True, weekly=True, floor=0.15,
        level_hours=24, confirm_minutes=15, noise_floor=0.02,
    ),
    # Our own probe volume (measurements per hour): few, bursty, Poisson counts that follow the
    # volunteers' day; only half of the expectation gone counts, and low rates need time. A
    # weekly rhythm cannot be learnt from a few counts an hour (it would be noise); 8 nats of
    # evidence (see ``evidence`` above).
    "volume": KindParams(
        "volume", min_drop=0.50, critical=0.2, daily=True, weekly=False, floor=0.1,
        level_hours=12, confirm_minutes=60, poisson=True, noise_floor=0.05, evidence=8,
    ),
    # Connected measurement probes (RIPE Atlas): a census of long-lived sessions with no daily
    # rhythm, which moves in steps as single probes leave for good, so the level follows within
    # 2 hours. A quarter of the probes gone at once is an outage (Kenya 2016: 17 -> 13).
    # Sessions dropped together reconnect one by one within minutes, so an event must still be
    # down after 30 minutes (chosen on the Kenya series: see docs/detection.md, not held out).
    "probes": KindParams(
        "probes", min_drop=0.15, critical=0.5, daily=False, weekly=False, floor=1.0,
        level_hours=2, confirm_minutes=30, min_units=2,
    ),
    # Shares (ok_share, per-service reachability, 0..1): bounded, no arrivals; a third of the
    # successes gone is a blocking or an outage, not noise.
    "share": KindParams(
        "share", min_drop=0.30, critical=0.5, daily=True, weekly=False, floor=0.3,
        level_hours=6, confirm_minutes=20, noise_floor=0.02,
    ),
}  # fmt: skip

_NAMES = (
    ("bgp", ("bgp",)),
    ("telescope", ("telescope", "darknet", "merit-nt", "ucsd-nt", "ibr")),
    ("share", ("ok_share", ".reachable", "share")),
    ("probes", ("atlas", "probes", "connected")),
    ("volume", ("measurements", "volume")),
    ("traffic", ("traffic", "gtr", "cloudflare", "requests", "netflow", "bytes")),
    ("active", ("ping", "active", "slash24", "connectivity", "trinocular")),
)


def kind_of(signal: str) -> KindParams:
    """The kind of a signal by its name (``bgp-visible-prefixes`` -> bgp, ``ping-slash24`` ->
    active...); a kind's own name works too; anything unknown is active probing."""
    name = signal.lower().strip()
    if name in KINDS:
        return KINDS[name]
    for kind, keys in _NAMES:
        if any(key in name for key in keys):
            return KINDS[kind]
    return KINDS["active"]
