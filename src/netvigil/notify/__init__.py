"""Alerts and the documents they lead to: subscriptions, channels (webhook, email, Atom), grouping
with Alertmanager's timers, a durable delivery log, draft incidents from detected events, and
public disruption notices. See docs/notify.md.

Public names::

    from netvigil.notify import Notifier, Subscriptions
    subs = Subscriptions(tracker)
    subs.create(check_request({...}, allow=...), Owner(user_id=...))
    notifier = Notifier(settings.notify, tracker, store_url=settings.store_url)
    await notifier.tick()          # poll, draft, plan, send (netvigil notify run loops it)
"""

from __future__ import annotations

from netvigil.notify.dispatcher import Clock, Notifier, SystemClock, TickReport
from netvigil.notify.subscriptions import (
    Owner,
    SubscriptionRequest,
    Subscriptions,
    check_entity,
    check_request,
    public_view,
)

__all__ = [
    "Clock",
    "Notifier",
    "Owner",
    "SubscriptionRequest",
    "Subscriptions",
    "SystemClock",
    "TickReport",
    "check_entity",
    "check_request",
    "public_view",
]
