"""The incident tracker's tables (SQLAlchemy 2 typed declarative).

Shape: an **incident** (one STOP row: one order or one event as Access Now counts it) has
**episodes** (one per area or per distinct interruption: one order, many districts) and each
episode may have **daily windows** (recurring exam-time shutdowns: the same hours on many days).
That lets each convention count its own way: STOP counts incidents, Cloudflare Radar counts
outages per location (episodes), IODA counts region/ASN events with exact spans (windows).

Every one of the 45 columns of the STOP 2020-2022 schema is a column of ``incidents`` under its
STOP name (``STOP_COLUMNS``); older sheets are mapped onto them by :mod:`netvigil.incidents.stop`
and their original row is kept verbatim in ``stop_raw``.

Private data lives in its own tables or columns, listed in ``PRIVATE_FIELDS``: sources and reporter
contacts (``incident_sources``), internal notes, who created/edited (editor emails). The public
serialiser in :mod:`netvigil.incidents.serialise` never reads them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from netvigil.models.catalogue import load_catalogue

if TYPE_CHECKING:
    from netvigil.policy.model import Instrument

# The STOP 2020-2022 codebook columns, in the workbook's order.
STOP_COLUMNS: tuple[str, ...] = (
    "start_date_type", "start_date", "country", "geo_scope", "area_name", "shutdown_type",
    "affected_network", "shutdown_extent", "ordered_by", "decision_maker", "actual_cause",
    "actual_cause_details", "info_source", "info_source_link", "shutdown_status", "end_date",
    "duration", "gov_justification", "gov_just_details", "gov_ack", "legal_just", "legal_method",
    "gov_ack_source", "gov_ack_quote", "facebook_affected", "twitter_affected",
    "whatsapp_affected", "instagram_affected", "telegram_affected", "other_affected",
    "sms_affected", "phonecall_affected", "telcos_involved", "telco_ack", "telco_ack_source",
    "telco_ack_quote", "election", "violence", "hr_abuse_reported", "users_targeted",
    "users_target_detail", "users_notified", "econ_impact", "event", "an_link",
)  # fmt: skip
STOP_DATE_COLUMNS = frozenset({"start_date", "end_date"})

# Platform filter name -> STOP column (value "Yes" means affected), in the codebook's order: the
# service catalogue's name for each platform column, and "other" for STOP's free-text column
# (many services, not one). The columns are the database's, so the shipped catalogue is used.
_STOP_PLATFORM = {column: name for name, column in load_catalogue().stop_columns().items()}
_STOP_PLATFORM["other_affected"] = "other"
PLATFORMS: dict[str, str] = {
    _STOP_PLATFORM[column]: column for column in STOP_COLUMNS if column in _STOP_PLATFORM
}

# "dismissed": a draft an editor judged not to be an incident (e.g. a detected event that was a
# measurement artefact), with the reason; it can be reopened.
STATUSES: tuple[str, ...] = (
    "reported", "corroborated", "verified", "published", "withdrawn", "dismissed",
)  # fmt: skip
# Drafts: what a detected event may still update (never public).
OPEN_DRAFT_STATUSES: tuple[str, ...] = ("reported", "corroborated")
ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
EVIDENCE_KINDS: tuple[str, ...] = ("measurement", "event", "url", "document")

# Incident attributes that must never leave the tracker through a public view.
# (import_problems is not secret, it describes Access Now's public sheets, but it is editor
# information: not in public_dict, only in the stop-csv export.)
PRIVATE_FIELDS = frozenset(
    {"sources", "internal_notes", "created_by", "updated_by", "verified_by", "dismissed_reason"}
)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Deterministic id of where the record came from (e.g. "stop:2019:ID=17" or "nv:<uuid>"),
    # so re-importing a file updates rather than duplicates.
    natural_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="reported", index=True)
    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    country_code: Mapped[str | None] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    # The report year Access Now counts the row under (sheet year, or `year` column 2016-2018).
    report_year: Mapped[int | None] = mapped_column(Integer, index=True)

    # --- the STOP 2020-2022 codebook (45 columns, STOP names) ---
    start_date_type: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    country: Mapped[str | None] = mapped_column(Text)
    geo_scope: Mapped[str | None] = mapped_column(Text)
    area_name: Mapped[str | None] = mapped_column(Text)
    shutdown_type: Mapped[str | None] = mapped_column(String(200), index=True)
    affected_network: Mapped[str | None] = mapped_column(Text)
    shutdown_extent: Mapped[str | None] = mapped_column(Text)
    ordered_by: Mapped[str | None] = mapped_column(Text)
    decision_maker: Mapped[str | None] = mapped_column(Text)
    actual_cause: Mapped[str | None] = mapped_column(Text)
    actual_cause_details: Mapped[str | None] = mapped_column(Text)
    info_source: Mapped[str | None] = mapped_column(Text)
    info_source_link: Mapped[str | None] = mapped_column(Text)
    shutdown_status: Mapped[str | None] = mapped_column(Text)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    duration: Mapped[str | None] = mapped_column(Text)
    gov_justification: Mapped[str | None] = mapped_column(Text)
    gov_just_details: Mapped[str | None] = mapped_column(Text)
    gov_ack: Mapped[str | None] = mapped_column(Text)
    legal_just: Mapped[str | None] = mapped_column(Text)
    legal_method: Mapped[str | None] = mapped_column(Text)
    gov_ack_source: Mapped[str | None] = mapped_column(Text)
    gov_ack_quote: Mapped[str | None] = mapped_column(Text)
    facebook_affected: Mapped[str | None] = mapped_column(String(40))
    twitter_affected: Mapped[str | None] = mapped_column(String(40))
    whatsapp_affected: Mapped[str | None] = mapped_column(String(40))
    instagram_affected: Mapped[str | None] = mapped_column(String(40))
    telegram_affected: Mapped[str | None] = mapped_column(String(40))
    other_affected: Mapped[str | None] = mapped_column(Text)
    sms_affected: Mapped[str | None] = mapped_column(String(40))
    phonecall_affected: Mapped[str | None] = mapped_column(String(40))
    telcos_involved: Mapped[str | None] = mapped_column(Text)
    telco_ack: Mapped[str | None] = mapped_column(Text)
    telco_ack_source: Mapped[str | None] = mapped_column(Text)
    telco_ack_quote: Mapped[str | None] = mapped_column(Text)
    election: Mapped[str | None] = mapped_column(Text)
    violence: Mapped[str | None] = mapped_column(Text)
    hr_abuse_reported: Mapped[str | None] = mapped_column(Text)
    users_targeted: Mapped[str | None] = mapped_column(Text)
    users_target_detail: Mapped[str | None] = mapped_column(Text)
    users_notified: Mapped[str | None] = mapped_column(Text)
    econ_impact: Mapped[str | None] = mapped_column(Text)
    event: Mapped[str | None] = mapped_column(Text)
    an_link: Mapped[str | None] = mapped_column(Text)

    # --- Cloudflare-Radar-style outage fields ---
    locations: Mapped[list[Any]] = mapped_column(default=list)  # ISO codes / region names
    asns: Mapped[list[Any]] = mapped_column(default=list)  # ints
    outage_scope: Mapped[str | None] = mapped_column(Text)
    outage_cause: Mapped[str | None] = mapped_column(Text)  # e.g. "Government directed"
    outage_type: Mapped[str | None] = mapped_column(Text)  # e.g. "Nationwide", "Regional"
    start_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    linked_url: Mapped[str | None] = mapped_column(Text)

    # --- the codebook (incidents/vocab.py): controlled codes beside the STOP cells above ---
    type_code: Mapped[str | None] = mapped_column(String(40), index=True)
    extent_code: Mapped[str | None] = mapped_column(String(40))
    network_code: Mapped[str | None] = mapped_column(String(40))
    scope_code: Mapped[str | None] = mapped_column(String(40), index=True)
    cause_code: Mapped[str | None] = mapped_column(String(40))
    justification_code: Mapped[str | None] = mapped_column(String(40))
    ordered_by_code: Mapped[str | None] = mapped_column(String(40))
    services: Mapped[list[Any]] = mapped_column(default=list)  # e.g. ["whatsapp", "facebook"]
    duration_days: Mapped[int | None] = mapped_column(Integer)  # from the dates, both ends
    # Values that cannot be true (negative duration, end before start): not published.
    quality_flags: Mapped[list[Any]] = mapped_column(default=list)
    title_zh: Mapped[str | None] = mapped_column(Text)  # an editor's Traditional Chinese title

    # --- one incident per shutdown: this row reports the same shutdown as ``same_as`` ---
    # link_kind "carry_over": another report year's row (counted in its own year, shown as one
    # incident); "edition": the same row in another edition of the data (not counted again);
    # "superseded": only in an edition that a later one of the same report year replaces.
    same_as_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    link_kind: Mapped[str | None] = mapped_column(String(20))
    link_reason: Mapped[str | None] = mapped_column(Text)

    # --- provenance of imported rows ---
    stop_schema: Mapped[str | None] = mapped_column(String(20))  # 2020-2022, 2019, 2016-2018
    stop_sheet: Mapped[str | None] = mapped_column(String(100))
    stop_row: Mapped[int | None] = mapped_column(Integer)  # 1-based spreadsheet row
    stop_raw: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the original row, verbatim
    # Cells that could not be parsed into their typed column: [{sheet,row,column,raw,expected}].
    import_problems: Mapped[list[Any]] = mapped_column(default=list)

    # --- drafts opened by detected events (netvigil.notify): the event's entity or scope
    # ("country:HK/asn:AS4760/domain:lihkg.com"), so a later event of it updates the draft ---
    event_entity: Mapped[str | None] = mapped_column(String(400), index=True)
    # --- four eyes: whoever verified may not publish (unless the deployment allows it, and then
    # the publication is marked: self_published shows on the public page) ---
    self_published: Mapped[bool] = mapped_column(default=False)

    # --- private ---
    verified_by: Mapped[str | None] = mapped_column(String(320))
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(320))
    updated_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    episodes: Mapped[list[Episode]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Episode.id"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="Evidence.id"
    )
    sources: Mapped[list[IncidentSource]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentSource.id"
    )
    legal_basis: Mapped[list[LegalBasis]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="LegalBasis.id"
    )

    __table_args__ = (
        Index("ix_incidents_status_country_year", "status", "country_code", "report_year"),
        Index("ix_incidents_status_start", "status", "start_date", "id"),
    )


class Episode(Base):
    """One interruption within an incident: an area and a span (one order, many districts)."""

    __tablename__ = "episodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    area_name: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(10))  # ISO 3166-2 when known
    asns: Mapped[list[Any]] = mapped_column(default=list)
    shutdown_type: Mapped[str | None] = mapped_column(Text)
    start_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(Text)
    # "stop": read from the STOP row's own words at import (re-imports replace it); "editor".
    origin: Mapped[str] = mapped_column(String(20), default="editor")

    incident: Mapped[Incident] = relationship(back_populates="episodes")
    windows: Mapped[list[DailyWindow]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="DailyWindow.day"
    )


class DailyWindow(Base):
    """The hours of one day an episode was in force (e.g. 08:00-12:00 during an exam)."""

    __tablename__ = "daily_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time | None] = mapped_column()  # None = from midnight
    end_time: Mapped[dt.time | None] = mapped_column()  # None = to midnight
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    episode: Mapped[Episode] = relationship(back_populates="windows")

    __table_args__ = (UniqueConstraint("episode_id", "day", "start_time"),)


class Evidence(Base):
    """A link to what shows the incident happened: a netvigil measurement id, a detected event,
    a URL, or a document identified by its SHA-256."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # EVIDENCE_KINDS
    value: Mapped[str] = mapped_column(Text)  # measurement uid, event id, URL or file name
    sha256: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(100))  # documents: checked type
    size_bytes: Mapped[int | None] = mapped_column(Integer)  # documents
    # measurements: the verdict found in the analytical store when attached (outcome, test...).
    verdict: Mapped[dict[str, Any]] = mapped_column(default=dict)
    added_by: Mapped[str | None] = mapped_column(String(320))  # private (editor email)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    incident: Mapped[Incident] = relationship(back_populates="evidence")


class IncidentSource(Base):
    """Who told us (PRIVATE: never serialised publicly): a source and the reporter's contact."""

    __tablename__ = "incident_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_contact: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str | None] = mapped_column(String(320))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    incident: Mapped[Incident] = relationship(back_populates="sources")


class LegalBasis(Base):
    """An incident invoked (or was ordered under) an instrument, possibly specific articles.

    Instruments are policy records (:class:`netvigil.policy.model.Instrument`, table
    ``policy_instruments``): laws and treaties with their history, provisions and statements."""

    __tablename__ = "legal_bases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("policy_instruments.id", ondelete="CASCADE"), index=True
    )
    articles: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="legal_basis")
    instrument: Mapped[Instrument] = relationship(back_populates="bases", lazy="joined")

    __table_args__ = (UniqueConstraint("incident_id", "instrument_id"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(10))  # ROLES
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, PHC string
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # Incremented by logout, a password reset, a role change or disabling: the cookies issued
    # before carry the old value and are refused (netvigil.web._auth; security audit M6).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditEntry(Base):
    """One append-only, hash-chained entry; see :mod:`netvigil.incidents.audit`."""

    __tablename__ = "audit_log"

    # Explicit sequence (not autoincrement): two writers racing for the same seq collide on the
    # primary key instead of forking the chain.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC text: hashed exactly as stored
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(20))  # create, update, status, evidence, import...
    entity: Mapped[str] = mapped_column(String(40))  # incident, user, legal_instrument, file
    entity_id: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# The policy tables share this metadata (one database, one migration chain) and LegalBasis points
# at their Instrument: import them once this module's classes exist. netvigil.policy's __init__
# imports nothing, so this cannot loop back into a half-built module.
from netvigil.policy import model as _policy_model  # noqa: E402, F401
