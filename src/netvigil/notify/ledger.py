"""The notifier's durable state in the tracker's database: alerts, groups, the delivery log.

Three steps, each one transaction, so that a restart (or a ``kill -9``) at any point neither loses
nor repeats a notification:

1. :meth:`Ledger.record` turns a page of the store's change feed into alert states (one per
   subscription an event concerns) and moves the feed cursor **in the same transaction**: a crash
   before it commits re-reads the same events; after it, they are never read again.
2. :meth:`Ledger.plan` asks :func:`netvigil.notify.grouping.due` which groups must be notified and
   writes one **delivery** per notification, with its exact payload and its flush number (unique
   per group), and what each alert was told, in one transaction.
3. A channel sends a delivery; :meth:`Ledger.delivered` / :meth:`Ledger.failed` record the
   outcome. A delivery is sent until it is recorded as delivered; the only window for a repeat
   is a crash between a receiver's answer and that record, which the delivery id carried by every
   notification (``X-Netvigil-Delivery``, the email's Message-ID) lets a receiver recognise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from netvigil.incidents.notify_tables import (
    AlertGroup,
    AlertState,
    Delivery,
    NotifyState,
    Subscription,
)
from netvigil.notify import grouping
from netvigil.notify.alerts import GROUP_BY, group_key, group_labels, labels_of, matches, status_of
from netvigil.notify.alerts import fingerprint as fingerprint_of
from netvigil.notify.deliveries import DeliveryLog, RetryPolicy, aware
from netvigil.notify.subscriptions import filter_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from netvigil.incidents import Tracker
    from netvigil.models.events import Event

CURSOR = "store_events"
CAUGHT_UP = "caught_up:"  # + subscription id: told of what was going on when it was made


@dataclass(frozen=True)
class Recorded:
    events: int  # events read
    alerts: int  # alert states created or changed
    cursor: int


@dataclass(frozen=True)
class PlannedGroup:
    """A notification to build: its group, the subscription and the alerts it carries."""

    group_id: int
    subscription_id: int
    group_key: str
    group_labels: dict[str, str]
    flush: int  # the number the delivery will get
    last_flush: dt.datetime | None
    events: tuple[dict[str, Any], ...]  # the events' JSON, in the alerts' order
    repeat: bool


class Ledger(DeliveryLog):
    def __init__(
        self,
        tracker: Tracker,
        timing: grouping.Timing,
        *,
        retry: RetryPolicy | None = None,
        group_by: Sequence[str] = GROUP_BY,
    ) -> None:
        super().__init__(tracker, retry)
        self.timing = timing
        self.group_by = tuple(group_by)

    # --- 1. events -> alert states -------------------------------------------------------------

    def cursor(self) -> int:
        with self.tracker.session() as s:
            row = s.get(NotifyState, CURSOR)
        return 0 if row is None else int(row.value)

    def record(
        self,
        events: Sequence[tuple[Event, int]],
        cursor: int | None,
        now: dt.datetime,
        *,
        only: Sequence[int] | None = None,
    ) -> Recorded:
        """Alert states for ``events`` (each with its revision) and the new cursor, at once.
        ``only``: for these subscriptions alone, marking them caught up (a new subscription
        learns of the events already going on when it was made)."""

        def work(s: Session) -> Recorded:
            query = select(Subscription).where(
                Subscription.active.is_(True), Subscription.channel != "atom"
            )
            if only is not None:
                query = query.where(Subscription.id.in_(list(only)))
            subs = list(s.scalars(query))
            changed = 0
            for event, revision in events:
                for sub in subs:
                    changed += self._record_one(s, sub, event, revision, now)
            if cursor is not None:
                self._set(s, CURSOR, cursor, now)
            for sub in subs if only is not None else ():
                self._set(s, f"{CAUGHT_UP}{sub.id}", 1, now)
            return Recorded(len(events), changed, cursor or 0)

        result: Recorded = self.tracker._write(work)
        return result

    @staticmethod
    def _set(s: Session, name: str, value: int, now: dt.datetime) -> None:
        state = s.get(NotifyState, name)
        if state is None:
            s.add(NotifyState(name=name, value=value, updated_at=now))
        elif value > state.value:
            state.value, state.updated_at = value, now

    def new_subscriptions(self) -> list[int]:
        """Active subscriptions not yet told of the events already going on."""
        with self.tracker.session() as s:
            done = {
                name.removeprefix(CAUGHT_UP)
                for name in s.scalars(
                    select(NotifyState.name).where(NotifyState.name.like(f"{CAUGHT_UP}%"))
                )
            }
            ids = s.scalars(
                select(Subscription.id).where(
                    Subscription.active.is_(True), Subscription.channel != "atom"
                )
            )
            return [i for i in ids if str(i) not in done]

    def _record_one(
        self, s: Session, sub: Subscription, event: Event, revision: int, now: dt.datetime
    ) -> int:
        firing, resolved_alone = matches(filter_of(sub), event)
        row = s.scalar(
            select(AlertState).where(
                AlertState.subscription_id == sub.id, AlertState.event_id == event.event_id
            )
        )
        if row is None and not (firing or resolved_alone):
            return 0
        if row is not None and row.revision >= revision:
            return 0  # this version was recorded already
        labels = labels_of(event)
        grouped = group_labels(labels, self.group_by)
        key = group_key(sub.id, grouped)
        status = status_of(event)
        body = {"event": {"event_id": event.event_id, **event.to_json()}}
        if row is None:
            row = AlertState(
                subscription_id=sub.id,
                event_id=event.event_id,
                group_key=key,
                fingerprint=fingerprint_of(labels),
                status=status,
                wants_firing=firing,
                wants_resolved=resolved_alone,
                alert=body,
                revision=revision,
                changed_at=now,
            )
            s.add(row)
        else:
            if row.status != status:
                row.changed_at = now
            row.status, row.alert, row.revision = status, body, revision
        s.flush()
        self._ensure_group(s, sub.id, key, grouped, now)
        return 1

    def _ensure_group(
        self, s: Session, subscription_id: int, key: str, grouped: dict[str, str], now: dt.datetime
    ) -> None:
        group = s.scalar(
            select(AlertGroup).where(
                AlertGroup.subscription_id == subscription_id, AlertGroup.group_key == key
            )
        )
        if group is None:
            s.add(
                AlertGroup(
                    subscription_id=subscription_id,
                    group_key=key,
                    group_labels=grouped,
                    first_seen=now,
                    flushes=0,
                )
            )
            s.flush()
        elif group.last_flush is not None and not _was_active(s, group):
            # The group had ended (everything resolved and told): a new alert starts it again,
            # with a new group_wait, as Alertmanager starts a new aggregation group.
            group.first_seen, group.last_flush = now, None

    # --- 2. groups -> deliveries ---------------------------------------------------------------

    def due(self, now: dt.datetime) -> list[PlannedGroup]:
        """The notifications due at ``now`` (read only; :meth:`plan` writes them)."""
        out: list[PlannedGroup] = []
        with self.tracker.session() as s:
            groups = s.scalars(
                select(AlertGroup)
                .join(Subscription, Subscription.id == AlertGroup.subscription_id)
                .where(Subscription.active.is_(True))
                .order_by(AlertGroup.id)
            )
            for group in groups:
                states = _states(s, group)
                undelivered = (
                    s.scalar(
                        select(Delivery.id).where(
                            Delivery.subscription_id == group.subscription_id,
                            Delivery.group_key == group.group_key,
                            Delivery.status == "pending",
                        )
                    )
                    is not None
                )
                view = grouping.GroupView(
                    aware(group.first_seen),
                    None if group.last_flush is None else aware(group.last_flush),
                    undelivered,
                )
                flush = grouping.due(view, [_view(a) for a in states], now, self.timing)
                if flush is None:
                    continue
                chosen = {a.event_id: a for a in states}
                out.append(
                    PlannedGroup(
                        group_id=group.id,
                        subscription_id=group.subscription_id,
                        group_key=group.group_key,
                        group_labels=dict(group.group_labels),
                        flush=group.flushes + 1,
                        last_flush=view.last_flush,
                        events=tuple(dict(chosen[k].alert["event"]) for k in flush.keys),
                        repeat=flush.repeat,
                    )
                )
        return out

    def plan(
        self,
        planned: PlannedGroup,
        notification: Mapping[str, Any],
        now: dt.datetime,
    ) -> int | None:
        """Write the delivery of ``planned`` and what its alerts were told; None when the group
        moved meanwhile (another notifier planned it)."""

        def work(s: Session) -> int | None:
            group = s.get(AlertGroup, planned.group_id)
            if group is None or group.flushes + 1 != planned.flush:
                return None
            delivery = Delivery(
                subscription_id=planned.subscription_id,
                group_key=planned.group_key,
                flush=planned.flush,
                status="pending",
                notification=dict(notification),
                planned_at=now,
                attempts=0,
                next_attempt_at=now,
            )
            s.add(delivery)
            told = {a["labels"]["event_id"]: a["status"] for a in notification["alerts"]}
            for state in _states(s, group):
                if state.event_id in told:
                    state.notified_status = told[state.event_id]
                    state.notified_revision = state.revision
            group.last_flush, group.flushes = now, planned.flush
            s.flush()
            return delivery.id

        result: int | None = self.tracker._write(work)
        return result

    def next_wakeup(self, now: dt.datetime) -> dt.datetime | None:
        """The earliest moment a group or a retry may become due (for the run loop's sleep)."""
        times: list[dt.datetime] = []
        with self.tracker.session() as s:
            first = s.scalar(
                select(Delivery.next_attempt_at)
                .where(Delivery.status == "pending")
                .order_by(Delivery.next_attempt_at)
                .limit(1)
            )
            if first is not None:
                times.append(aware(first))
            for group in s.scalars(select(AlertGroup)):
                states = [_view(a) for a in _states(s, group)]
                view = grouping.GroupView(
                    aware(group.first_seen),
                    None if group.last_flush is None else aware(group.last_flush),
                    False,
                )
                at = grouping.next_wakeup(view, states, now, self.timing)
                if at is not None:
                    times.append(at)
        return min(times) if times else None


def _states(s: Session, group: AlertGroup) -> list[AlertState]:
    return list(
        s.scalars(
            select(AlertState)
            .where(
                AlertState.subscription_id == group.subscription_id,
                AlertState.group_key == group.group_key,
            )
            .order_by(AlertState.id)
        )
    )


def _view(a: AlertState) -> grouping.AlertView:
    return grouping.AlertView(
        a.event_id, a.status, a.wants_firing, a.wants_resolved, a.notified_status
    )


def _was_active(s: Session, group: AlertGroup) -> bool:
    """Whether the group had anything left to say before the alert now being recorded."""
    return any(_view(a).visible for a in _states(s, group) if a.notified_status is not None)
