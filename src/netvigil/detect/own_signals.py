"""Signals from our own verdicts (the store's verdicts tier): volume, share ok, reachability.

Hourly bins per country and per (country, ASN): ``measurements`` (count), ``ok_share`` (share of
outcome ok) and, for telegram / whatsapp / signal / facebook_messenger, ``<test>.reachable`` (share
ok). Per domain the share ok is ``domain:<name>.ok_share``. A probe's IP is never read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from netvigil.models.signals import SignalPoint

SERVICES = ("telegram", "whatsapp", "signal", "facebook_messenger")
STEP = 3600


def verdict_points(rows: Iterable[Mapping[str, Any]]) -> list[SignalPoint]:
    """Signal points of verdict rows (``detect.verdict_rows``: aware UTC start times)."""
    total: dict[tuple[str, str, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        ts = int(row["measurement_start_time"].timestamp())
        b = ts - ts % STEP
        ok = 1 if row["outcome"] == "ok" else 0
        cc, asn, test = row["probe_cc"], row["probe_asn"], row["test_name"]
        keys = [("country", cc, "all"), ("asn", asn, "all")]
        if test in SERVICES:
            keys += [("country", cc, test), ("asn", asn, test)]
        if row.get("domain"):
            keys += [("country", cc, f"domain:{row['domain']}")]
        for etype, code, what in keys:
            cell = total[(etype, code, what, b)]
            cell[0] += 1
            cell[1] += ok
    points: list[SignalPoint] = []
    for (etype, code, what, b), (n, ok) in sorted(total.items()):
        if etype == "country" and (len(code) != 2 or code == "ZZ"):
            continue
        if what == "all":
            points.append(SignalPoint(etype, code, "measurements", b, float(n)))
            points.append(SignalPoint(etype, code, "ok_share", b, ok / n))
        elif what.startswith("domain:"):
            points.append(SignalPoint(etype, code, f"{what}.ok_share", b, ok / n))
        else:
            points.append(SignalPoint(etype, code, f"{what}.reachable", b, ok / n))
    return points
