"""The policy records' tables, on the incident tracker's database and metadata.

Three record kinds, each with a stable ``slug`` (its key in imports and exports) and a ``status``
(``draft`` records are never public):

- **instrument** (a law, regulation, emergency power, court order, bill or treaty) with dated
  **events** (its history: proposal, drafts, negotiation sessions with their place, votes,
  adoption, signature, entry into force, amendments, use, repeal; each with its source) and
  **provisions** of concern (tagged from :data:`netvigil.policy.vocab.CONCERNS`, with the
  article). Incidents cite instruments as their legal basis (``legal_bases``, the tracker's).
- **platform response** of a company to a government's demands (user data, metadata, content
  removal, shutdown orders); **transparency figures** (requests, accounts, share complied with,
  per period) are their own rows, matched to responses by company and jurisdiction.
- **statement** (joint statement or open letter) with ordered **demands** and **signatories**
  (organisations with their country, individuals with their affiliation), and links to the
  instruments and incidents it concerns.

Names and texts shown to readers have one column per site language (``_en``, ``_zh_hant``,
``_zh_hans``); pages fall back to English when a translation is missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from netvigil.incidents.model import Base, Incident, LegalBasis


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


response_instruments = Table(
    "policy_response_instruments",
    Base.metadata,
    Column("response_id", ForeignKey("policy_responses.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "instrument_id",
        ForeignKey("policy_instruments.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
statement_instruments = Table(
    "policy_statement_instruments",
    Base.metadata,
    Column(
        "statement_id", ForeignKey("policy_statements.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "instrument_id",
        ForeignKey("policy_instruments.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
statement_incidents = Table(
    "policy_statement_incidents",
    Base.metadata,
    Column(
        "statement_id", ForeignKey("policy_statements.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Instrument(Base):
    __tablename__ = "policy_instruments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    kind: Mapped[str] = mapped_column(String(40))  # vocab.INSTRUMENT_KINDS
    jurisdiction: Mapped[str] = mapped_column(String(20), index=True)  # vocab.check_jurisdiction
    name_en: Mapped[str] = mapped_column(Text)
    short_name_en: Mapped[str | None] = mapped_column(Text)
    name_zh_hant: Mapped[str | None] = mapped_column(Text)
    short_name_zh_hant: Mapped[str | None] = mapped_column(Text)
    name_zh_hans: Mapped[str | None] = mapped_column(Text)
    short_name_zh_hans: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    summary_zh_hant: Mapped[str | None] = mapped_column(Text)
    summary_zh_hans: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)  # None only for migrated old records
    links: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )

    events: Mapped[list[InstrumentEvent]] = relationship(
        back_populates="instrument",
        cascade="all, delete-orphan",
        order_by="[InstrumentEvent.date, InstrumentEvent.id]",
    )
    provisions: Mapped[list[Provision]] = relationship(
        back_populates="instrument", cascade="all, delete-orphan", order_by="Provision.id"
    )
    bases: Mapped[list[LegalBasis]] = relationship(
        back_populates="instrument", cascade="all, delete-orphan"
    )


class InstrumentEvent(Base):
    """One dated step of an instrument's history; sessions and consultations have an end."""

    __tablename__ = "policy_instrument_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("policy_instruments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # vocab.EVENT_KINDS
    date: Mapped[dt.date] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(10), default="day")  # day, month, year
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    title_en: Mapped[str | None] = mapped_column(Text)
    title_zh_hant: Mapped[str | None] = mapped_column(Text)
    title_zh_hans: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    abstentions: Mapped[int | None] = mapped_column(Integer)
    source_url: Mapped[str | None] = mapped_column(Text)  # None only for migrated old records

    instrument: Mapped[Instrument] = relationship(back_populates="events")


class Provision(Base):
    """An article of an instrument that raises a concern from vocab.CONCERNS."""

    __tablename__ = "policy_provisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("policy_instruments.id", ondelete="CASCADE"), index=True
    )
    concern: Mapped[str] = mapped_column(String(40), index=True)
    article: Mapped[str] = mapped_column(Text)  # e.g. "Art. 24", "s. 2(2)(a)"
    note_en: Mapped[str | None] = mapped_column(Text)
    note_zh_hant: Mapped[str | None] = mapped_column(Text)
    note_zh_hans: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)  # defaults to the instrument's

    instrument: Mapped[Instrument] = relationship(back_populates="provisions")


class PlatformResponse(Base):
    """A company's answer to a government's demands: comply, pause, refuse, challenge, publish."""

    __tablename__ = "policy_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    company: Mapped[str] = mapped_column(String(200), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(20), index=True)
    demand_kind: Mapped[str] = mapped_column(String(40))  # vocab.DEMAND_KINDS
    response: Mapped[str] = mapped_column(String(40))  # vocab.RESPONSES
    announced_on: Mapped[dt.date] = mapped_column(Date)
    announced_precision: Mapped[str] = mapped_column(String(10), default="day")
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    summary_en: Mapped[str | None] = mapped_column(Text)
    summary_zh_hant: Mapped[str | None] = mapped_column(Text)
    summary_zh_hans: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text)
    links: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )

    instruments: Mapped[list[Instrument]] = relationship(
        secondary=response_instruments, order_by="Instrument.id"
    )


class TransparencyFigure(Base):
    """One period of a company's transparency report for one jurisdiction and demand kind."""

    __tablename__ = "policy_transparency_figures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company: Mapped[str] = mapped_column(String(200), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(20), index=True)
    demand_kind: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    requests: Mapped[int | None] = mapped_column(Integer)
    accounts_specified: Mapped[int | None] = mapped_column(Integer)
    complied_share: Mapped[float | None] = mapped_column(Float)  # percent, 0-100
    source_url: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("company", "jurisdiction", "demand_kind", "period_start", "period_end"),
    )


class Statement(Base):
    """A joint statement or open letter: who wrote and signed it, to whom, what it demands."""

    __tablename__ = "policy_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    kind: Mapped[str] = mapped_column(String(40))  # vocab.STATEMENT_KINDS
    title_en: Mapped[str] = mapped_column(Text)
    title_zh_hant: Mapped[str | None] = mapped_column(Text)
    title_zh_hans: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    date_precision: Mapped[str] = mapped_column(String(10), default="day")
    addressees: Mapped[list[Any]] = mapped_column(default=list)
    authors: Mapped[list[Any]] = mapped_column(default=list)
    # Jurisdictions the statement is about (its country pages list it).
    jurisdictions: Mapped[list[Any]] = mapped_column(default=list)
    summary_en: Mapped[str | None] = mapped_column(Text)
    summary_zh_hant: Mapped[str | None] = mapped_column(Text)
    summary_zh_hans: Mapped[str | None] = mapped_column(Text)
    outcome_en: Mapped[str | None] = mapped_column(Text)  # what happened next
    outcome_zh_hant: Mapped[str | None] = mapped_column(Text)
    outcome_zh_hans: Mapped[str | None] = mapped_column(Text)
    response_received: Mapped[str] = mapped_column(String(10), default="unknown")
    source_url: Mapped[str] = mapped_column(Text)
    links: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )

    demands: Mapped[list[Demand]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", order_by="Demand.position"
    )
    signatories: Mapped[list[Signatory]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", order_by="Signatory.position"
    )
    instruments: Mapped[list[Instrument]] = relationship(
        secondary=statement_instruments, order_by="Instrument.id"
    )
    incidents: Mapped[list[Incident]] = relationship(
        secondary=statement_incidents, order_by="Incident.id"
    )


class Demand(Base):
    __tablename__ = "policy_statement_demands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("policy_statements.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text_en: Mapped[str] = mapped_column(Text)
    text_zh_hant: Mapped[str | None] = mapped_column(Text)
    text_zh_hans: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20), default="unknown")  # vocab.DEMAND_OUTCOMES

    statement: Mapped[Statement] = relationship(back_populates="demands")


class Signatory(Base):
    __tablename__ = "policy_signatories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("policy_statements.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # vocab.SIGNATORY_KINDS
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(20))  # ISO alpha-2; None = international
    affiliation: Mapped[str | None] = mapped_column(Text)  # an individual's institution
    group_label: Mapped[str | None] = mapped_column(Text)  # e.g. "accredited NGOs"

    statement: Mapped[Statement] = relationship(back_populates="signatories")
