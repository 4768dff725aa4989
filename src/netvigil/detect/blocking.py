"""Blocking onsets and ends: OONI's two-sided CUSUM over hourly verdict series.

Reproduces ``CusumDetector`` of OONI's event detector (ooni/data, after Basseville & Nikiforov 1993,
sec. 2.2.5): per (probe_cc, probe_asn, domain) and hour, ``y`` is the median of the per-measurement
blocked indicator and ``w`` the number of measurements; with mu0 = 0.0 (OK state), mu1 = 0.7
(blocked state), v = mu1 - mu0 and h = EDD x v / 2 = 7 for the expected detection delay EDD = 20:

    mean  = sum(y w) / sum(w)              (since the last change)
    s_pos = max(0, s_pos + y - mean - v/2) -> "blocking began" when s_pos > h
    s_neg = max(0, s_neg - y + mean - v/2) -> "blocking ended" when s_neg > h

and every state is reset after a change. netvigil adds, without changing the decision, the usual
CUSUM estimate of when the change happened (the last hour at which the alarming sum was 0), used as
the event start; the alarm hour is ``detected_at``. Failed measurements are not evidence either way
and are left out. The services that have their own test in the service catalogue (telegram,
whatsapp, signal, facebook_messenger, tor) are series of their own, named ``service:<name>`` in
place of the domain. A cell whose country, ASN or domain is not a valid entity is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from netvigil._errors import InputError
from netvigil.models.catalogue import Catalogue, load_catalogue
from netvigil.models.entities import Entity, format_scope
from netvigil.models.events import Event, from_epoch

NAME = "cusum"
VERSION = "1.0"
MU0 = 0.0
MU1 = 0.7
EDD = 20
HOUR = 3600
BLOCKED = {"anomaly", "confirmed"}


@dataclass(frozen=True, slots=True)
class Change:
    hour: int  # epoch seconds of the alarm hour
    began: bool  # True: blocking began; False: blocking ended
    onset: int  # estimated change hour
    statistic: float


def cusum_changes(
    hours: Iterable[int],
    ys: Iterable[float],
    ws: Iterable[float],
    *,
    mu0: float = MU0,
    mu1: float = MU1,
    edd: float = EDD,
) -> list[Change]:
    v = mu1 - mu0
    h = edd * v / 2
    obs_w_sum = w_sum = s_pos = s_neg = 0.0
    zero_pos = zero_neg = None  # last hour at which each sum was 0
    out: list[Change] = []
    for hour, y, w in zip(hours, ys, ws, strict=True):
        obs_w_sum += y * w
        w_sum += w
        if w_sum == 0:
            continue
        mean = obs_w_sum / w_sum
        if s_pos == 0:
            zero_pos = hour
        if s_neg == 0:
            zero_neg = hour
        s_pos = max(0.0, s_pos + y - mean - v / 2)
        s_neg = max(0.0, s_neg - y + mean - v / 2)
        change: Change | None = None
        if s_pos > h:
            change = Change(hour, True, zero_pos if zero_pos is not None else hour, s_pos)
        elif s_neg > h:
            change = Change(hour, False, zero_neg if zero_neg is not None else hour, s_neg)
        if change is not None:
            out.append(change)
            obs_w_sum = w_sum = s_pos = s_neg = 0.0
            zero_pos = zero_neg = None
    return out


def hourly(
    rows: Iterable[Mapping[str, Any]], catalogue: Catalogue | None = None
) -> dict[tuple[str, str, str], list[tuple[int, float, int]]]:
    """Verdict rows -> per (cc, asn, target) sorted ``(hour, median blocked, count)``.

    The target is the domain, else the service's name for the test of a service of ``catalogue``.
    """
    services = {s.nettest: s.name for s in (catalogue or load_catalogue()).measured()}
    cells: dict[tuple[str, str, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        outcome = row.get("outcome")
        if outcome not in BLOCKED and outcome != "ok":
            continue
        target = row.get("domain") or services.get(row["test_name"])
        if not target:
            continue
        moment = row["measurement_start_time"]
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        if moment.tzinfo is None:  # the store keeps naive UTC
            moment = moment.replace(tzinfo=UTC)
        ts = int(moment.timestamp())
        cells[(row["probe_cc"], row["probe_asn"], target)][ts - ts % HOUR].append(
            1 if outcome in BLOCKED else 0
        )
    return {
        key: [(hour, float(np.median(vals)), len(vals)) for hour, vals in sorted(by_hour.items())]
        for key, by_hour in cells.items()
    }


def blocking_events(
    rows: Iterable[Mapping[str, Any]], catalogue: Catalogue | None = None
) -> list[Event]:
    """ "Blocking began / ended" events per (country, ASN, domain or service)."""
    services = {s.name for s in (catalogue or load_catalogue()).measured()}
    events: list[Event] = []
    for (cc, asn, target), series in sorted(hourly(rows, catalogue).items()):
        entity = _scope(cc, asn, target, "service" if target in services else "domain")
        if entity is None:
            continue
        hours = [s[0] for s in series]
        changes = cusum_changes(hours, [s[1] for s in series], [s[2] for s in series])
        open_change: Change | None = None
        for ch in changes:
            if ch.began and open_change is None:
                open_change = ch
            elif not ch.began and open_change is not None:
                events.append(_event(entity, open_change, ch))
                open_change = None
        if open_change is not None:
            events.append(_event(entity, open_change, None))
    return events


def _scope(cc: str, asn: str, target: str, kind: str) -> str | None:
    """``country:IR/asn:AS197207/domain:x.org`` (or ``.../service:tor``); None if not valid."""
    try:
        entities = (Entity.of("country", cc), Entity.of("asn", asn), Entity.of(kind, target))
    except InputError:
        return None
    return format_scope(entities)


def _event(entity: str, began: Change, ended: Change | None) -> Event:
    return Event(
        entity=entity,
        kind="blocking",
        start=from_epoch(began.onset),
        end=None if ended is None else from_epoch(ended.onset),
        score=began.statistic,
        signals=("verdicts",),
        detector=NAME,
        detector_version=VERSION,
        detected_at=from_epoch(began.hour),
    )
