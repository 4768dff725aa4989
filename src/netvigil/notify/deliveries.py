"""The delivery log's third step: which deliveries to attempt now, and what became of each.

A delivery (a row of ``deliveries``, planned by :class:`netvigil.notify.ledger.Ledger`) is sent
until it is recorded as delivered; each failure is logged and recorded with its error, and the
next attempt waits an exponential back-off; after ``give_up`` (or at once for a permanent
refusal) it fails for good. One delivery at a time per subscription, oldest first, so a receiver
gets its notifications in order.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from netvigil.incidents.notify_tables import AlertGroup, Delivery, Subscription

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from netvigil.incidents import Tracker

log = logging.getLogger("netvigil.notify")


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Job:
    """A delivery to attempt."""

    delivery_id: int
    key: str  # the delivery's id as receivers see it
    subscription_id: int
    channel: str
    target: str | None
    secret: str | None
    language: str
    notification: dict[str, Any]
    attempts: int
    planned_at: dt.datetime


@dataclass(frozen=True)
class RetryPolicy:
    initial: dt.timedelta = dt.timedelta(seconds=30)
    maximum: dt.timedelta = dt.timedelta(minutes=30)
    give_up: dt.timedelta = dt.timedelta(hours=24)

    def wait(self, attempts: int) -> dt.timedelta:
        """Exponential back-off after ``attempts`` failures: 30 s, 1 min, 2 min ... 30 min."""
        wait: dt.timedelta = min(self.maximum, self.initial * (2 ** max(0, attempts - 1)))
        return wait


def delivery_key(subscription_id: int, group_id: int, flush: int) -> str:
    return f"nv-s{subscription_id}-g{group_id}-f{flush}"


class DeliveryLog:
    def __init__(self, tracker: Tracker, retry: RetryPolicy | None = None) -> None:
        self.tracker = tracker
        self.retry = retry or RetryPolicy()

    def jobs(self, now: dt.datetime, busy: set[int]) -> list[Job]:
        """The oldest pending delivery of each subscription not ``busy``, if it is due."""
        out: list[Job] = []
        seen: set[int] = set(busy)
        with self.tracker.session() as s:
            rows = s.execute(
                select(Delivery, Subscription)
                .join(Subscription, Subscription.id == Delivery.subscription_id)
                .where(Delivery.status == "pending")
                .order_by(Delivery.id)
            )
            for delivery, sub in rows:
                if sub.id in seen:
                    continue
                seen.add(sub.id)  # one at a time per receiver, in order
                if aware(delivery.next_attempt_at) > now:
                    continue
                group = s.scalar(
                    select(AlertGroup.id).where(
                        AlertGroup.subscription_id == sub.id,
                        AlertGroup.group_key == delivery.group_key,
                    )
                )
                out.append(
                    Job(
                        delivery_id=delivery.id,
                        key=delivery_key(sub.id, group or 0, delivery.flush),
                        subscription_id=sub.id,
                        channel=sub.channel,
                        target=sub.target,
                        secret=sub.secret,
                        language=sub.language,
                        notification=dict(delivery.notification),
                        attempts=delivery.attempts,
                        planned_at=aware(delivery.planned_at),
                    )
                )
        return out

    def delivered(self, job: Job, now: dt.datetime) -> None:
        def work(s: Session) -> None:
            row = s.get(Delivery, job.delivery_id)
            if row is not None and row.status == "pending":
                row.status, row.delivered_at = "sent", now
                row.attempts += 1
                row.last_error = None

        self.tracker._write(work)
        log.info("delivered %s (%s, attempt %d)", job.key, job.channel, job.attempts + 1)

    def failed(self, job: Job, now: dt.datetime, error: str, *, permanent: bool) -> str:
        """Record a failed attempt; returns the delivery's new status (pending or failed)."""

        def work(s: Session) -> str:
            row = s.get(Delivery, job.delivery_id)
            if row is None or row.status != "pending":
                return row.status if row is not None else "failed"
            row.attempts += 1
            row.last_error = error[:2000]
            if permanent or now - aware(row.planned_at) >= self.retry.give_up:
                row.status = "failed"
            else:
                row.next_attempt_at = now + self.retry.wait(row.attempts)
            return str(row.status)

        status: str = self.tracker._write(work)
        if status == "failed":
            log.error("delivery %s to %s failed for good: %s", job.key, job.channel, error)
        else:
            log.warning("delivery %s to %s failed, will retry: %s", job.key, job.channel, error)
        return status

    def deliveries(self, subscription_id: int | None = None) -> list[Delivery]:
        query = select(Delivery).order_by(Delivery.id)
        if subscription_id is not None:
            query = query.where(Delivery.subscription_id == subscription_id)
        with self.tracker.session() as s:
            return list(s.scalars(query))
