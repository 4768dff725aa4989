"""Signals from our own verdicts (the store's verdicts tier): volume, share ok, reachability.

Hourly bins per country and per (country, ASN): ``measurements`` (count), ``ok_share`` (share of
outcome ok) and, for each service with its own test in the service catalogue (telegram, whatsapp,
signal, facebook_messenger, tor), ``<service>.reachable`` (share ok). Per domain the share ok is
``domain:<name>.ok_share``. A probe's IP is never read. Countries and ASNs are entities
(``netvigil.models.entities``): a row whose country or ASN is not a valid one is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from netvigil._errors import InputError
from netvigil.models.catalogue import Catalogue, load_catalogue
from netvigil.models.entities import Entity
from netvigil.models.signals import SignalPoint

STEP = 3600


def verdict_points(
    rows: Iterable[Mapping[str, Any]], *, catalogue: Catalogue | None = None
) -> list[SignalPoint]:
    """Signal points of verdict rows (``detect.verdict_rows``: aware UTC start times)."""
    services = {s.nettest: s.name for s in (catalogue or load_catalogue()).measured()}
    total: dict[tuple[str, str, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        ts = int(row["measurement_start_time"].timestamp())
        b = ts - ts % STEP
        ok = 1 if row["outcome"] == "ok" else 0
        service = services.get(row["test_name"])
        keys: list[tuple[str, str, str]] = []
        for kind, raw in (("country", row["probe_cc"]), ("asn", row["probe_asn"])):
            try:
                code = Entity.of(kind, raw).code
            except InputError:  # not a country / ASN: no signal of either
                continue
            keys.append((kind, code, "all"))
            if service is not None:
                keys.append((kind, code, service))
            if kind == "country" and row.get("domain"):
                keys.append((kind, code, f"domain:{row['domain']}"))
        for etype, code, what in keys:
            cell = total[(etype, code, what, b)]
            cell[0] += 1
            cell[1] += ok
    points: list[SignalPoint] = []
    for (etype, code, what, b), (n, ok) in sorted(total.items()):
        if etype == "country" and code == "ZZ":  # unknown or withheld
            continue
        if what == "all":
            points.append(SignalPoint(etype, code, "measurements", b, float(n)))
            points.append(SignalPoint(etype, code, "ok_share", b, ok / n))
        elif what.startswith("domain:"):
            points.append(SignalPoint(etype, code, f"{what}.ok_share", b, ok / n))
        else:
            points.append(SignalPoint(etype, code, f"{what}.reachable", b, ok / n))
    return points
