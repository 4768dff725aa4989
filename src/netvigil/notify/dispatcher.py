"""The notifier: polls the store's change feed, opens drafts, plans and sends notifications.

One :meth:`Notifier.tick` (``netvigil notify run`` calls it every ``poll_interval`` seconds, or
sooner when a group or a retry falls due):

1. read the events created or changed since the cursor (``store.events(changed_since=...)``);
2. open or update the draft incident of each (evidence: measurements, signal values, impact);
3. record them as alerts of the subscriptions they concern, with the new cursor (one transaction);
4. plan the notifications that Alertmanager's timers make due (:mod:`netvigil.notify.grouping`),
   each written to the delivery log with its payload before anything is sent;
5. start sending what is due: one task per receiver, never awaited by the tick, so a receiver that
   hangs or is down delays nobody else; each receiver gets its notifications in order.

Time comes from an injectable clock, so tests drive group waits, intervals, repeats and retry
back-off without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from netvigil.notify import grouping
from netvigil.notify.alerts import alert_of, scope_of
from netvigil.notify.channels import Channel, DeliveryError
from netvigil.notify.deliveries import Job, RetryPolicy, delivery_key
from netvigil.notify.destinations import allow_networks
from netvigil.notify.drafts import SYSTEM_ACTOR, draft_of, signal_snapshot
from netvigil.notify.evidence import evidence_of
from netvigil.notify.ledger import Ledger, PlannedGroup
from netvigil.notify.payload import event_from_json, notification

if TYPE_CHECKING:
    from netvigil._settings import NotifySettings
    from netvigil.incidents import Tracker
    from netvigil.models.events import Event
    from netvigil.store.protocol import AnalyticalStore

log = logging.getLogger("netvigil.notify")
# Events that ended longer ago than this are not new to anyone: they open no draft and no alert
# (a first start over a store with years of events stays quiet about them).
HISTORY = dt.timedelta(days=7)
FEED_PAGE = 2000  # events recorded per transaction


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass
class TickReport:
    events: int = 0
    alerts: int = 0
    drafts: dict[str, int] = field(default_factory=dict)
    planned: int = 0
    started: int = 0
    cursor: int = 0


def default_channels(settings: NotifySettings) -> dict[str, Channel]:
    from netvigil.notify.channels.email import Email
    from netvigil.notify.channels.webhook import Webhook

    return {
        "webhook": Webhook(
            allow=allow_networks(settings.webhook_allow), timeout=settings.webhook_timeout
        ),
        "email": Email(settings.smtp),
    }


class Notifier:
    def __init__(
        self,
        settings: NotifySettings,
        tracker: Tracker,
        *,
        store_url: str | None,
        clock: Clock | None = None,
        channels: Mapping[str, Channel] | None = None,
    ) -> None:
        self.settings = settings
        self.tracker = tracker
        self.store_url = store_url
        self.clock = clock or SystemClock()
        self.channels = dict(channels) if channels is not None else default_channels(settings)
        self.ledger = Ledger(
            tracker,
            grouping.Timing.of_seconds(
                settings.group_wait, settings.group_interval, settings.repeat_interval
            ),
            retry=RetryPolicy(
                dt.timedelta(seconds=settings.retry_initial),
                dt.timedelta(seconds=settings.retry_max),
                dt.timedelta(seconds=settings.retry_give_up),
            ),
        )
        self._inflight: dict[int, asyncio.Task[None]] = {}

    # --- the store -------------------------------------------------------------------------------

    def _open_store(self) -> AnalyticalStore | None:
        from netvigil.store import embedded_path, open_store

        if not self.store_url:
            return None
        try:
            if not embedded_path(self.store_url).is_dir():
                return None  # nothing measured yet
        except Exception:
            pass
        return open_store(self.store_url, writable=False)

    # --- one tick ---------------------------------------------------------------------------------

    async def tick(self) -> TickReport:
        report = TickReport()
        now = self.clock.now()
        store = await asyncio.to_thread(self._open_store)
        try:
            if store is not None:
                await asyncio.to_thread(self._poll, store, now, report)
            await asyncio.to_thread(self._plan, store, now, report)
        finally:
            if store is not None:
                store.close()
        report.started = self._start_deliveries(now)
        return report

    def _poll(self, store: AnalyticalStore, now: dt.datetime, report: TickReport) -> None:
        fresh = self.ledger.new_subscriptions()
        if fresh:
            # A new subscriber hears of what is going on now (ongoing events), then of changes.
            ongoing = [(e.event, e.revision) for e in store.events(since=now).events]
            ongoing = [(e, r) for e, r in ongoing if e.end is None]
            report.alerts += self.ledger.record(ongoing, None, now, only=fresh).alerts
        cursor = self.ledger.cursor()
        feed = store.events(changed_since=cursor)
        recent = now - HISTORY
        page: list[tuple[Event, int]] = []
        for stored in feed.events:
            event = stored.event
            if self.settings.drafts and (event.end is None or event.end >= recent):
                outcome = self._draft(store, event, now)
                report.drafts[outcome] = report.drafts.get(outcome, 0) + 1
            page.append((event, stored.revision))
            if len(page) >= FEED_PAGE:
                # Events of one commit share a revision: resume just before it (recording is
                # idempotent per revision).
                report.alerts += self.ledger.record(page, stored.revision - 1, now).alerts
                page = []
        report.alerts += self.ledger.record(page, feed.cursor, now).alerts
        report.events = len(feed.events)
        report.cursor = feed.cursor

    def _draft(self, store: AnalyticalStore, event: Event, now: dt.datetime) -> str:
        from netvigil.incidents import Actor

        evidence = evidence_of(store, event, now=now)
        parts = scope_of(event)
        network = next((p for p in reversed(parts) if p.kind in ("asn", "region", "country")), None)
        points: list[Any] = []
        if network is not None:
            points = store.signals(
                since=event.start - dt.timedelta(hours=2),
                entity_type=network.kind,
                entity_code=network.code,
            )
        draft = draft_of(event, evidence, signal_values=signal_snapshot(points, event))
        _, outcome = self.tracker.upsert_event_draft(draft, Actor(SYSTEM_ACTOR, "editor"))
        return outcome

    def _plan(self, store: AnalyticalStore | None, now: dt.datetime, report: TickReport) -> None:
        from netvigil.incidents.notify_tables import Subscription

        evidence_cache: dict[str, dict[str, Any]] = {}

        def alert(event_json: Mapping[str, Any]) -> dict[str, Any]:
            event = event_from_json(event_json)
            if event.event_id not in evidence_cache:
                evidence_cache[event.event_id] = evidence_of(store, event, now=now)
            return alert_of(
                event, base_url=self.settings.base_url, evidence=evidence_cache[event.event_id]
            )

        for planned in self.ledger.due(now):
            with self.tracker.session() as s:
                sub = s.get(Subscription, planned.subscription_id)
            if sub is None:
                continue
            body = self._notification(planned, sub, [alert(e) for e in planned.events])
            if self.ledger.plan(planned, body, now) is not None:
                report.planned += 1

    def _notification(
        self, planned: PlannedGroup, sub: Any, alerts: list[dict[str, Any]]
    ) -> dict[str, Any]:
        base = self.settings.base_url.rstrip("/")
        return notification(
            subscription_id=sub.id,
            group_key=planned.group_key,
            group_labels=planned.group_labels,
            alerts=alerts,
            base_url=base,
            unsubscribe_url=f"{base}/unsubscribe/{sub.unsubscribe_token}",
            feed_url=f"{base}/feeds/subscriptions/{sub.feed_token}.atom",
            delivery=delivery_key(sub.id, planned.group_id, planned.flush),
        )

    # --- deliveries -------------------------------------------------------------------------------

    def _start_deliveries(self, now: dt.datetime) -> int:
        self._inflight = {k: t for k, t in self._inflight.items() if not t.done()}
        started = 0
        for job in self.ledger.jobs(now, set(self._inflight)):
            self._inflight[job.subscription_id] = asyncio.create_task(
                self._deliver(job), name=f"deliver-{job.key}"
            )
            started += 1
        return started

    async def _deliver(self, job: Job) -> None:
        channel = self.channels.get(job.channel)
        try:
            if channel is None:
                raise DeliveryError(f"no {job.channel} channel", permanent=True)
            await channel.send(job)
        except DeliveryError as exc:
            await asyncio.to_thread(
                self.ledger.failed, job, self.clock.now(), exc.message, permanent=exc.permanent
            )
            return
        except Exception as exc:
            log.exception("delivery %s crashed", job.key)
            await asyncio.to_thread(
                self.ledger.failed, job, self.clock.now(), f"{type(exc).__name__}: {exc}",
                permanent=False,
            )  # fmt: skip
            return
        await asyncio.to_thread(self.ledger.delivered, job, self.clock.now())

    def in_flight(self) -> int:
        return sum(1 for t in self._inflight.values() if not t.done())

    async def settle(self) -> None:
        """Wait for the deliveries started so far to finish (tests, and a clean shutdown)."""
        tasks = [t for t in self._inflight.values() if not t.done()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- the loop ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, on_tick: Any = None) -> None:
        """Tick until ``stop`` is set; sleep ``poll_interval`` or until the next group or retry
        falls due, whichever is sooner."""
        while not stop.is_set():
            report = await self.tick()
            if on_tick is not None:
                on_tick(report)
            now = self.clock.now()
            wake = await asyncio.to_thread(self.ledger.next_wakeup, now)
            delay = self.settings.poll_interval
            if wake is not None:
                delay = min(delay, max(0.05, (wake - now).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
        await self.settle()
