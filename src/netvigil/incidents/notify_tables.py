"""The alerting tables, on the tracker's database and metadata (one database, one migration chain).

The logic that fills them is :mod:`netvigil.notify` (which sits above the tracker); the tables are
here so that the tracker's metadata, its migrations and the test comparing them stay whole.

- **api_tokens**: bearer tokens of API subscribers (a newsroom's script), stored as SHA-256.
- **subscriptions**: who wants what (entities, event kinds, minimum score) through which channel
  (webhook URL with an optional HMAC secret, email address, or an Atom feed), with two opaque
  tokens: one for the unsubscribe link, one for the subscription's own feed.
- **alert_states**: one row per (subscription, event): the Alertmanager alert as last computed and
  what of it was last notified.
- **alert_groups**: one row per (subscription, group key) with its timers (first seen, last flush).
- **deliveries**: the durable delivery log: every notification planned, with its exact payload,
  attempts, the next attempt, the last error and when it was delivered. A restart resumes from it.
- **notify_state**: the notifier's cursor in the store's change feed, committed with the alerts it
  produced.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from netvigil.incidents.model import Base, _now

CHANNELS: tuple[str, ...] = ("webhook", "email", "atom")
# What a subscriber can ask for: a blocking event is two kinds (it began, it ended).
EVENT_KINDS: tuple[str, ...] = ("outage", "blocking_began", "blocking_ended", "platform_outage")
DELIVERY_STATES: tuple[str, ...] = ("pending", "sent", "failed")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The owner: an editor-area user or an API token (exactly one of the two).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    entities: Mapped[list[Any]] = mapped_column(default=list)  # ["country:HK", "asn:AS4760"]
    kinds: Mapped[list[Any]] = mapped_column(default=list)  # EVENT_KINDS
    min_score: Mapped[float] = mapped_column(Float, default=0.0)
    channel: Mapped[str] = mapped_column(String(20))  # CHANNELS
    target: Mapped[str | None] = mapped_column(Text)  # webhook URL or email address
    secret: Mapped[str | None] = mapped_column(String(200))  # webhook HMAC key
    language: Mapped[str] = mapped_column(String(10), default="en")  # en, zh_Hant
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AlertState(Base):
    __tablename__ = "alert_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(400))
    group_key: Mapped[str] = mapped_column(String(400))
    fingerprint: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10))  # firing | resolved
    # Whether this subscriber is told of the firing / of a resolution it was not told fired.
    wants_firing: Mapped[bool] = mapped_column(Boolean, default=True)
    wants_resolved: Mapped[bool] = mapped_column(Boolean, default=True)
    alert: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the Alertmanager alert object
    revision: Mapped[int] = mapped_column(Integer)  # the event version's change cursor
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    notified_status: Mapped[str | None] = mapped_column(String(10))  # last told: firing|resolved
    notified_revision: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_alert_states_group", "subscription_id", "group_key"),
    )


class AlertGroup(Base):
    __tablename__ = "alert_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    group_key: Mapped[str] = mapped_column(String(400))
    group_labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_flush: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    flushes: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("subscription_id", "group_key"),)


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    group_key: Mapped[str] = mapped_column(String(400))
    flush: Mapped[int] = mapped_column(Integer)  # the group's flush number: one delivery each
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    notification: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the webhook payload
    planned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("subscription_id", "group_key", "flush"),)


class NotifyState(Base):
    __tablename__ = "notify_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
