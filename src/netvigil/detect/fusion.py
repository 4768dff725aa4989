"""Events of one entity from all its signals: one event per episode, and corroboration.

Per detector: every signal of an entity is run on its own; the events of one entity that overlap
become one event (earliest onset, earliest confirmation, latest end; the score combined as the
detector's ``registry.FUSION`` says). For ``netvigil`` two signals that *agree* are also evidence:
each signal is run a second time with half its alarm level (``CORROBORATION``), and a weak event
on one signal that overlaps a weak event on *another* signal of the same entity becomes an event,
confirmed when the second of them was (the moment both agreed). A weak event on one signal alone
stays silent. Why: a 20% drop of active probing together with a 15% drop of visible prefixes is
an outage that neither signal proves alone; IODA's own practice is to trust outages that several
datasources see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from netvigil.detect import registry, seasonal
from netvigil.detect.intervals import fuse, to_events
from netvigil.detect.series import Series
from netvigil.models.events import Event

CORROBORATION = 0.5  # the weak pass's alarm level, as a fraction of the kind's


def entity_events(name: str, series: Sequence[Series]) -> list[Event]:
    """Fused events of detector ``name`` over ``series`` (any entities, any signals)."""
    version = registry.version(name)
    per_signal: list[Event] = []
    weak: dict[str, list[Event]] = defaultdict(list)
    by_entity: dict[str, int] = defaultdict(int)
    for one in series:
        by_entity[one.entity] += 1
    for one in series:
        found = registry.run(name, one.values, one.step, one.signal)[0]
        per_signal.extend(to_events(one, found, detector=name, version=version))
        if name == seasonal.NAME and by_entity[one.entity] > 1:
            candidates = seasonal.detect_many(
                one.values, one.step, one.signal, evidence_scale=CORROBORATION
            )[0]
            weak[one.entity].extend(to_events(one, candidates, detector=name, version=version))
    for events in weak.values():
        per_signal.extend(corroborated(events))
    return fuse(per_signal, combine=registry.FUSION[name])


def corroborated(events: Sequence[Event]) -> list[Event]:
    """Weak events of one entity that overlap a weak event of another signal: the overlap,
    reported when the later of the two was confirmed."""
    out: list[Event] = []
    ordered = sorted(events, key=lambda e: e.start)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if a.end is not None and b.start >= a.end:
                break
            if set(a.signals) & set(b.signals):
                continue
            ends = [e for e in (a.end, b.end) if e is not None]
            out.append(
                replace(
                    a,
                    start=max(a.start, b.start),
                    end=min(ends) if ends else None,
                    score=a.score + b.score,
                    signals=tuple(sorted(set(a.signals) | set(b.signals))),
                    detected_at=max(a.detected_at, b.detected_at, max(a.start, b.start)),
                )
            )
    return out
