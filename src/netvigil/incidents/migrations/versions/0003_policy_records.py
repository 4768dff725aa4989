"""Policy records: legal instruments with history and provisions, platform responses and
transparency figures, statements with demands and signatories. The old ``legal_instruments`` rows
move into ``policy_instruments`` (same ids, so every legal basis still points at its instrument);
``legal_bases`` then references the new table and the old one is dropped.

Revision ID: 0003_policy_records
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_policy_records"
down_revision = "0002_incident_records"
branch_labels = None
depends_on = None

# The old kinds, as netvigil.policy.legacy maps them (copied: a migration must not change later).
KIND_MAP = {
    "law": "law",
    "emergency_regulation": "emergency_power",
    "cybercrime_law": "law",
    "treaty": "treaty",
    "decree": "regulation",
    "court_order": "court_order",
    "other": "law",
}
DATE_EVENTS = {"adopted_on": "adoption", "in_force_on": "entry_into_force", "repealed_on": "repeal"}
# SQLite's legal_bases foreign key has no name; batch mode finds it through this convention.
SQLITE_FK = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100] or "instrument"


def upgrade() -> None:
    _create_tables()
    _move_legal_instruments()
    _point_legal_bases_at("policy_instruments", "legal_instruments")
    with op.batch_alter_table("legal_instruments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_instruments_jurisdiction"))
    op.drop_table("legal_instruments")


def _create_tables() -> None:
    op.create_table(
        "policy_instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("jurisdiction", sa.String(length=20), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("short_name_en", sa.Text(), nullable=True),
        sa.Column("name_zh_hant", sa.Text(), nullable=True),
        sa.Column("short_name_zh_hant", sa.Text(), nullable=True),
        sa.Column("name_zh_hans", sa.Text(), nullable=True),
        sa.Column("short_name_zh_hans", sa.Text(), nullable=True),
        sa.Column("summary_en", sa.Text(), nullable=True),
        sa.Column("summary_zh_hant", sa.Text(), nullable=True),
        sa.Column("summary_zh_hans", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index(
        op.f("ix_policy_instruments_jurisdiction"),
        "policy_instruments",
        ["jurisdiction"],
        unique=False,
    )
    op.create_index(
        op.f("ix_policy_instruments_status"), "policy_instruments", ["status"], unique=False
    )
    op.create_table(
        "policy_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=20), nullable=False),
        sa.Column("demand_kind", sa.String(length=40), nullable=False),
        sa.Column("response", sa.String(length=40), nullable=False),
        sa.Column("announced_on", sa.Date(), nullable=False),
        sa.Column("announced_precision", sa.String(length=10), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("summary_en", sa.Text(), nullable=True),
        sa.Column("summary_zh_hant", sa.Text(), nullable=True),
        sa.Column("summary_zh_hans", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index(
        op.f("ix_policy_responses_company"), "policy_responses", ["company"], unique=False
    )
    op.create_index(
        op.f("ix_policy_responses_jurisdiction"), "policy_responses", ["jurisdiction"], unique=False
    )
    op.create_index(
        op.f("ix_policy_responses_status"), "policy_responses", ["status"], unique=False
    )
    op.create_table(
        "policy_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("title_zh_hant", sa.Text(), nullable=True),
        sa.Column("title_zh_hans", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("date_precision", sa.String(length=10), nullable=False),
        sa.Column("addressees", sa.JSON(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("jurisdictions", sa.JSON(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=True),
        sa.Column("summary_zh_hant", sa.Text(), nullable=True),
        sa.Column("summary_zh_hans", sa.Text(), nullable=True),
        sa.Column("outcome_en", sa.Text(), nullable=True),
        sa.Column("outcome_zh_hant", sa.Text(), nullable=True),
        sa.Column("outcome_zh_hans", sa.Text(), nullable=True),
        sa.Column("response_received", sa.String(length=10), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index(op.f("ix_policy_statements_date"), "policy_statements", ["date"], unique=False)
    op.create_index(
        op.f("ix_policy_statements_status"), "policy_statements", ["status"], unique=False
    )
    op.create_table(
        "policy_transparency_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction", sa.String(length=20), nullable=False),
        sa.Column("demand_kind", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=True),
        sa.Column("accounts_specified", sa.Integer(), nullable=True),
        sa.Column("complied_share", sa.Float(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("company", "jurisdiction", "demand_kind", "period_start", "period_end"),
    )
    op.create_index(
        op.f("ix_policy_transparency_figures_company"),
        "policy_transparency_figures",
        ["company"],
        unique=False,
    )
    op.create_index(
        op.f("ix_policy_transparency_figures_jurisdiction"),
        "policy_transparency_figures",
        ["jurisdiction"],
        unique=False,
    )
    op.create_table(
        "policy_instrument_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("date_precision", sa.String(length=10), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("title_zh_hant", sa.Text(), nullable=True),
        sa.Column("title_zh_hans", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("votes_for", sa.Integer(), nullable=True),
        sa.Column("votes_against", sa.Integer(), nullable=True),
        sa.Column("abstentions", sa.Integer(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["instrument_id"], ["policy_instruments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_policy_instrument_events_instrument_id"),
        "policy_instrument_events",
        ["instrument_id"],
        unique=False,
    )
    op.create_table(
        "policy_provisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("concern", sa.String(length=40), nullable=False),
        sa.Column("article", sa.Text(), nullable=False),
        sa.Column("note_en", sa.Text(), nullable=True),
        sa.Column("note_zh_hant", sa.Text(), nullable=True),
        sa.Column("note_zh_hans", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["instrument_id"], ["policy_instruments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_policy_provisions_concern"), "policy_provisions", ["concern"], unique=False
    )
    op.create_index(
        op.f("ix_policy_provisions_instrument_id"),
        "policy_provisions",
        ["instrument_id"],
        unique=False,
    )
    op.create_table(
        "policy_response_instruments",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["instrument_id"], ["policy_instruments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["response_id"], ["policy_responses.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id", "instrument_id"),
    )
    op.create_index(
        op.f("ix_policy_response_instruments_instrument_id"),
        "policy_response_instruments",
        ["instrument_id"],
        unique=False,
    )
    op.create_table(
        "policy_signatories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=20), nullable=True),
        sa.Column("affiliation", sa.Text(), nullable=True),
        sa.Column("group_label", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["statement_id"], ["policy_statements.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_policy_signatories_statement_id"),
        "policy_signatories",
        ["statement_id"],
        unique=False,
    )
    op.create_table(
        "policy_statement_demands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_zh_hant", sa.Text(), nullable=True),
        sa.Column("text_zh_hans", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["statement_id"], ["policy_statements.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_policy_statement_demands_statement_id"),
        "policy_statement_demands",
        ["statement_id"],
        unique=False,
    )
    op.create_table(
        "policy_statement_incidents",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["statement_id"], ["policy_statements.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("statement_id", "incident_id"),
    )
    op.create_index(
        op.f("ix_policy_statement_incidents_incident_id"),
        "policy_statement_incidents",
        ["incident_id"],
        unique=False,
    )
    op.create_table(
        "policy_statement_instruments",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["instrument_id"], ["policy_instruments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["statement_id"], ["policy_statements.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("statement_id", "instrument_id"),
    )
    op.create_index(
        op.f("ix_policy_statement_instruments_instrument_id"),
        "policy_statement_instruments",
        ["instrument_id"],
        unique=False,
    )


def _move_legal_instruments() -> None:
    conn = op.get_bind()
    old = sa.table(
        "legal_instruments",
        *(sa.column(c) for c in ("id", "name", "kind", "jurisdiction", "articles", "summary")),
        sa.column("adopted_on", sa.Date),
        sa.column("in_force_on", sa.Date),
        sa.column("repealed_on", sa.Date),
        sa.column("links", sa.JSON),
    )
    instruments = sa.table(
        "policy_instruments",
        *(
            sa.column(c)
            for c in (
                "id",
                "slug",
                "status",
                "kind",
                "jurisdiction",
                "name_en",
                "summary_en",
                "source_url",
            )
        ),
        sa.column("links", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    events = sa.table(
        "policy_instrument_events",
        *(sa.column(c) for c in ("instrument_id", "kind", "date_precision", "source_url")),
        sa.column("date", sa.Date),
    )
    provisions = sa.table(
        "policy_provisions",
        *(sa.column(c) for c in ("instrument_id", "concern", "article", "source_url")),
    )
    now = dt.datetime.now(dt.UTC)
    slugs: set[str] = set()
    rows = list(conn.execute(sa.select(old).order_by(old.c.id)).mappings())
    for row in rows:
        slug = _slug(f"{row['jurisdiction']}-{row['name']}")
        if slug in slugs:
            slug = f"{slug}-{row['id']}"
        slugs.add(slug)
        links = [str(link) for link in (row["links"] or [])]
        source = next((u for u in links if u.startswith(("https://", "http://"))), None)
        values: dict[str, Any] = {
            "id": row["id"],
            "slug": slug,
            "status": "published",  # the old list was public
            "kind": KIND_MAP.get(row["kind"], "law"),
            "jurisdiction": str(row["jurisdiction"]).upper()[:20],
            "name_en": row["name"],
            "summary_en": row["summary"],
            "source_url": source,
            "links": links,
            "created_at": now,
            "updated_at": now,
        }
        conn.execute(instruments.insert().values(**values))
        for column, kind in DATE_EVENTS.items():
            if row[column] is not None:
                conn.execute(
                    events.insert().values(
                        instrument_id=row["id"],
                        kind=kind,
                        date=row[column],
                        date_precision="day",
                        source_url=source,
                    )
                )
        if row["articles"]:
            conn.execute(
                provisions.insert().values(
                    instrument_id=row["id"],
                    concern="unclassified",
                    article=row["articles"],
                    source_url=source,
                )
            )
    if rows and conn.dialect.name == "postgresql":
        # Rows were inserted with their old ids: move the id sequence past them.
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('policy_instruments', 'id'), "
                "(SELECT max(id) FROM policy_instruments))"
            )
        )


def _point_legal_bases_at(new: str, old: str) -> None:
    """Make legal_bases.instrument_id reference ``new`` instead of ``old`` (same ids)."""
    if op.get_bind().dialect.name == "sqlite":
        # Recreated by batch mode: with SQLite's foreign keys on, the old table can only be
        # dropped once nothing references it (its implicit DELETE would cascade to the links).
        with op.batch_alter_table(
            "legal_bases", recreate="always", naming_convention=SQLITE_FK
        ) as batch_op:
            batch_op.drop_constraint(f"fk_legal_bases_instrument_id_{old}", type_="foreignkey")
            batch_op.create_foreign_key(
                f"fk_legal_bases_instrument_id_{new}", new, ["instrument_id"], ["id"],
                ondelete="CASCADE",
            )  # fmt: skip
        return
    op.drop_constraint("legal_bases_instrument_id_fkey", "legal_bases", type_="foreignkey")
    op.create_foreign_key(
        "legal_bases_instrument_id_fkey",
        "legal_bases",
        new,
        ["instrument_id"],
        ["id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    """Back to the bare list: name, kind, jurisdiction, articles, dates, links and summary of
    each instrument survive (same ids); history details, provisions' concerns, translations,
    responses, figures and statements do not."""
    op.create_table(
        "legal_instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("jurisdiction", sa.String(length=100), nullable=False),
        sa.Column("articles", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("adopted_on", sa.Date(), nullable=True),
        sa.Column("in_force_on", sa.Date(), nullable=True),
        sa.Column("repealed_on", sa.Date(), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "jurisdiction"),
    )
    with op.batch_alter_table("legal_instruments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legal_instruments_jurisdiction"), ["jurisdiction"], unique=False
        )
    conn = op.get_bind()
    back = {"emergency_power": "emergency_regulation", "regulation": "decree", "bill": "other"}
    rows = conn.execute(
        sa.text("SELECT id, name_en, kind, jurisdiction, summary_en, links FROM policy_instruments")
    ).mappings()
    legacy = sa.table(
        "legal_instruments",
        *(sa.column(c) for c in ("id", "name", "kind", "jurisdiction", "articles", "summary")),
        sa.column("adopted_on", sa.Date),
        sa.column("in_force_on", sa.Date),
        sa.column("repealed_on", sa.Date),
        sa.column("links", sa.JSON),
    )
    for row in list(rows):
        dates = {
            column: conn.execute(
                sa.text(
                    "SELECT min(date) FROM policy_instrument_events "
                    "WHERE instrument_id = :i AND kind = :k"
                ),
                {"i": row["id"], "k": kind},
            ).scalar()
            for column, kind in DATE_EVENTS.items()
        }
        articles = [
            a
            for (a,) in conn.execute(
                sa.text("SELECT article FROM policy_provisions WHERE instrument_id = :i"),
                {"i": row["id"]},
            )
        ]
        links = row["links"]
        if isinstance(links, str):  # SQLite hands JSON back as text through sa.text()
            import json

            links = json.loads(links)
        conn.execute(
            legacy.insert().values(
                id=row["id"],
                name=row["name_en"],
                kind=back.get(row["kind"], row["kind"]),
                jurisdiction=row["jurisdiction"],
                articles="; ".join(articles) or None,
                summary=row["summary_en"],
                links=links or [],
                **{k: (dt.date.fromisoformat(v) if isinstance(v, str) else v)
                   for k, v in dates.items()},
            )
        )  # fmt: skip
    _point_legal_bases_at("legal_instruments", "policy_instruments")
    for table in (
        "policy_statement_instruments", "policy_statement_incidents", "policy_statement_demands",
        "policy_signatories", "policy_response_instruments", "policy_provisions",
        "policy_instrument_events", "policy_transparency_figures", "policy_statements",
        "policy_responses", "policy_instruments",
    ):  # fmt: skip
        op.drop_table(table)
