"""When a group of alerts is notified: Alertmanager's timers, as a pure decision.

Alertmanager's semantics (its ``group_wait``, ``group_interval`` and ``repeat_interval``):

- a new group waits ``group_wait`` (30 s) before its first notification, so that alerts arriving
  together (several networks of one country) go out together;
- after that, a group is looked at every ``group_interval`` (5 min): it is notified again when its
  alerts changed (one fired, one resolved), and re-notified unchanged after ``repeat_interval``
  (4 h) while something still fires;
- a notification carries the firing alerts and the resolved ones the subscriber was told had fired
  (once told of its resolution, an alert leaves the group); an alert that fired and resolved before
  anyone was told of it is dropped, as Alertmanager drops it;
- netvigil adds one rule: a group plans nothing while its previous notification is still
  undelivered (a receiver that is down gets its notifications once each, in order, when it is back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    group_wait: dt.timedelta = dt.timedelta(seconds=30)
    group_interval: dt.timedelta = dt.timedelta(minutes=5)
    repeat_interval: dt.timedelta = dt.timedelta(hours=4)

    @classmethod
    def of_seconds(cls, wait: float, interval: float, repeat: float) -> Timing:
        return cls(
            dt.timedelta(seconds=wait), dt.timedelta(seconds=interval), dt.timedelta(seconds=repeat)
        )


@dataclass(frozen=True)
class AlertView:
    key: str  # the event id
    status: str  # firing | resolved
    wants_firing: bool  # the subscriber is told of its firing
    wants_resolved: bool  # ... and of its resolution even untold of the firing
    notified_status: str | None  # what the subscriber was last told

    @property
    def visible(self) -> bool:
        """Whether the next notification of its group carries it."""
        if self.status == "firing":
            return self.wants_firing
        if self.notified_status == "resolved":
            return False  # told already: it left the group
        return self.notified_status == "firing" or self.wants_resolved

    @property
    def changed(self) -> bool:
        return self.visible and self.notified_status != self.status


@dataclass(frozen=True)
class GroupView:
    first_seen: dt.datetime
    last_flush: dt.datetime | None
    undelivered: bool  # a notification of this group is still waiting for its receiver


@dataclass(frozen=True)
class Flush:
    keys: tuple[str, ...]  # the alerts the notification carries
    repeat: bool  # nothing changed: the repeat interval passed


def due(
    group: GroupView, alerts: Sequence[AlertView], now: dt.datetime, timing: Timing
) -> Flush | None:
    """The notification this group should send at ``now``, if any."""
    if group.undelivered:
        return None
    shown = tuple(a.key for a in alerts if a.visible)
    if not shown:
        return None
    if group.last_flush is None:
        return Flush(shown, False) if now >= group.first_seen + timing.group_wait else None
    if now < group.last_flush + timing.group_interval:
        return None
    if any(a.changed for a in alerts):
        return Flush(shown, False)
    firing = any(a.visible and a.status == "firing" for a in alerts)
    if firing and now >= group.last_flush + timing.repeat_interval:
        return Flush(shown, True)
    return None


def next_wakeup(
    group: GroupView, alerts: Sequence[AlertView], now: dt.datetime, timing: Timing
) -> dt.datetime | None:
    """When this group may next become due (for a loop that sleeps until then)."""
    if group.undelivered or not any(a.visible for a in alerts):
        return None
    if group.last_flush is None:
        return max(now, group.first_seen + timing.group_wait)
    if any(a.changed for a in alerts):
        return max(now, group.last_flush + timing.group_interval)
    return max(now, group.last_flush + timing.repeat_interval)


def active(alerts: Sequence[AlertView]) -> bool:
    """Whether the group still has anything to say (otherwise it ends, as Alertmanager's does,
    and a later alert of the same labels starts a new group with a new group_wait)."""
    return any(a.visible for a in alerts)
