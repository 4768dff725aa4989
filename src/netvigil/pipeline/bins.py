"""Verdict rows -> per-bin counts -> signal points and the live detectors' tallies (pure).

A bin is ``[t, t + bin)`` of ``measurement_start_time`` (what the measurement says, not when it
arrived), ``t`` a multiple of the bin width since the epoch. Per bin:

* **networks** (``country:XX``, ``asn:ASn``): measurements, *usable* ones and ok. Usable: judged
  (not ``failure``) and, for web tests, judged against the control: a probe that reached neither
  the sites nor the test helper (a network cut off) gets ``blocking: false, accessible: true``
  from OONI's rules (``wc.dns.no_control.v1``), which says nothing about the network;
* **targets**: what a measurement is about: the service of the catalogue its test measures
  (``telegram``) or whose website it fetched (``web_connectivity`` of ``signal.org`` ->
  ``service:signal``, ``Catalogue.of_domain``), else its domain (``domain:news.example``);
  measurements, ok, and *down*: web_connectivity found it unreachable and so did the control
  (OONI's "website down": blocking false, accessible false);
* **blocking scopes** (``country:XX/asn:ASn/<target>``): blocked (anomaly, confirmed) and judged
  (blocked or ok and not down; measurements that are not usable or down are no evidence of
  censorship).

Signal names follow ``detect.own_signals`` (``measurements``, ``ok_share``, ``<service>.reachable``,
``domain:<host>.ok_share``) plus ``usable_measurements`` and, for targets, ``down_share``. A probe's
address is never read. A row whose country or ASN is not a valid entity, or is unknown (``ZZ``,
``AS0``), counts for its target but for no network.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netvigil._errors import InputError
from netvigil.analysis.rules import LEGACY, WC
from netvigil.detect.live import Tally
from netvigil.models.catalogue import Catalogue
from netvigil.models.entities import Entity
from netvigil.models.signals import SignalPoint

COLUMNS = (
    "measurement_start_time",
    "probe_cc",
    "probe_asn",
    "test_name",
    "domain",
    "outcome",
    "blocking",
    "accessible",
    "rule_id",
)
# Verdicts decided without the control's answer: the probe could not reach the test helper.
NO_CONTROL = frozenset({WC.NO_CONTROL, WC.DNS_NO_CONTROL, LEGACY.CONTROL_UNREACHABLE})
WEB_TESTS = frozenset({"web_connectivity"})
BLOCKED = frozenset({"anomaly", "confirmed"})


@dataclass
class BinCounts:
    """The counts of one bin (see the module docstring)."""

    total: Counter[str] = field(default_factory=Counter)  # entity -> measurements
    usable: Counter[str] = field(default_factory=Counter)  # network -> not failed
    ok: Counter[str] = field(default_factory=Counter)  # entity -> outcome ok
    down: Counter[str] = field(default_factory=Counter)  # target -> down for the control too
    judged: Counter[str] = field(default_factory=Counter)  # target -> not failed
    blocked: Counter[str] = field(default_factory=Counter)  # scope -> blocked
    scoped: Counter[str] = field(default_factory=Counter)  # scope -> judged for blocking
    scope_ok: Counter[str] = field(default_factory=Counter)  # scope -> outcome ok
    scope_total: Counter[str] = field(default_factory=Counter)  # scope -> measurements
    down_networks: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    measuring: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def epoch(moment: Any) -> int:
    """Seconds since the epoch of a stored ``measurement_start_time`` (naive = UTC)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def bin_of(seconds: int, width: int) -> int:
    return seconds - seconds % width


class Targets:
    """Which entity a measurement is about, from the service catalogue (cached per name)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self._by_test = {s.nettest: s.name for s in catalogue.measured()}
        self._domains: dict[str, str | None] = {}

    def of(self, test: str, domain: str | None) -> str | None:
        service = self._by_test.get(test)
        if service is not None:
            return f"service:{service}"
        if test not in WEB_TESTS or not domain:
            return None
        if domain not in self._domains:
            found = self._catalogue.of_domain(domain)
            try:
                self._domains[domain] = (
                    f"service:{found.name}" if found else str(Entity.of("domain", domain))
                )
            except InputError:
                self._domains[domain] = None
        return self._domains[domain]


def _networks(cc: Any, asn: Any) -> tuple[str, ...]:
    try:
        country, network = Entity.of("country", str(cc)), Entity.of("asn", str(asn))
    except InputError:
        return ()
    if country.code == "ZZ" or network.code == "AS0":
        return ()
    return str(country), str(network)


def count(rows: Iterable[Mapping[str, Any]], width: int, targets: Targets) -> dict[int, BinCounts]:
    """Verdict rows (``COLUMNS``) -> counts per bin start."""
    bins: dict[int, BinCounts] = defaultdict(BinCounts)
    for row in rows:
        b = bins[bin_of(epoch(row["measurement_start_time"]), width)]
        outcome = row["outcome"]
        usable = outcome != "failure" and row.get("rule_id") not in NO_CONTROL
        ok = outcome == "ok"
        target = targets.of(row["test_name"], row.get("domain"))
        down = (
            row["test_name"] in WEB_TESTS
            and str(row.get("blocking")).lower() == "false"
            and row.get("accessible") is False
        )
        networks = _networks(row["probe_cc"], row["probe_asn"])
        for net in networks:
            b.total[net] += 1
            b.usable[net] += usable
            b.ok[net] += ok
        if target is None:
            continue
        b.total[target] += 1
        b.ok[target] += ok
        if usable:
            b.judged[target] += 1
            b.down[target] += down
        if not networks:
            continue
        network = "/".join(networks)
        if usable:
            b.measuring[target].add(network)
            if down:
                b.down_networks[target].add(network)
        for net in networks:
            scope = f"{net}/{target}"
            b.scope_total[scope] += 1
            b.scope_ok[scope] += ok
        scope = f"{network}/{target}"
        if usable and not down:
            b.scoped[scope] += 1
            b.blocked[scope] += outcome in BLOCKED
    return bins


def tally(bins: Mapping[int, BinCounts], t: int, width: int, window: int) -> Tally:
    """The detectors' input for the bin at ``t``: its counts, and the usable volume of each
    network over the ``window`` bins ending with it."""
    now = bins.get(t, BinCounts())
    usable: Counter[str] = Counter()
    for k in range(window):
        past = bins.get(t - k * width)
        if past is not None:
            usable.update(past.usable)
    return Tally(
        usable=dict(usable),
        usable_bin=dict(now.usable),
        blocked={s: (now.blocked[s], n) for s, n in now.scoped.items()},
        down={s: (now.down[s], n) for s, n in now.judged.items()},
        down_networks={s: frozenset(n) for s, n in now.down_networks.items()},
        measuring={s: frozenset(n) for s, n in now.measuring.items()},
    )


def points(bins: Mapping[int, BinCounts], starts: Sequence[int] | None = None) -> list[SignalPoint]:
    """Signal points of the bins (of ``starts`` only, when given)."""
    out: list[SignalPoint] = []
    for t in sorted(bins if starts is None else starts):
        b = bins.get(t)
        if b is None:
            continue
        for entity, n in sorted(b.total.items()):
            kind, code = entity.split(":", 1)
            out.append(SignalPoint(kind, code, "measurements", t, float(n)))
            out.append(SignalPoint(kind, code, "ok_share", t, b.ok[entity] / n))
            if kind in ("country", "asn"):
                out.append(
                    SignalPoint(kind, code, "usable_measurements", t, float(b.usable[entity]))
                )
            elif b.judged[entity]:
                share = b.down[entity] / b.judged[entity]
                out.append(SignalPoint(kind, code, "down_share", t, share))
        for scope, n in sorted(b.scope_total.items()):
            net, target = scope.split("/", 1)
            kind, code = net.split(":", 1)
            tkind, tcode = target.split(":", 1)
            name = f"{tcode}.reachable" if tkind == "service" else f"domain:{tcode}.ok_share"
            out.append(SignalPoint(kind, code, name, t, b.scope_ok[scope] / n))
    return out
