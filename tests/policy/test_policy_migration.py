"""Migration 0003_policy_records moves the old legal-instrument list into policy records: same
ids, dates become history events, articles a provision, and every legal basis still resolves."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from netvigil.incidents import Actor, Tracker
from netvigil.incidents.db import alembic_config, open_engine
from netvigil.policy.repository import Policy

OLD_ROWS = (
    "INSERT INTO incidents (id, natural_key, status, locations, asns, stop_raw, import_problems,"
    " created_at, updated_at) VALUES (5, 'k5', 'published', '[]', '[]', '{}', '[]',"
    " '2024-01-01', '2024-01-01')",
    "INSERT INTO legal_instruments (id, name, kind, jurisdiction, articles, adopted_on,"
    " in_force_on, links, summary) VALUES (7, 'Telegraph Act 1885', 'law', 'IN', 's. 5(2)',"
    " '1885-10-01', '1886-01-01', '[\"https://indiacode.nic.in\"]', 'colonial'),"
    " (9, 'Emergency rules', 'emergency_regulation', 'HK', NULL, NULL, NULL, '[]', NULL)",
    "INSERT INTO legal_bases (incident_id, instrument_id, articles) VALUES (5, 7, 's. 5(2)')",
)


def test_old_legal_instruments_move_into_policy_records(db_url: str) -> None:
    engine = open_engine(db_url)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(sa.text(statement))
    engine.dispose()

    with Tracker(db_url) as tracker:  # opening migrates to head
        policy = Policy(tracker)
        telegraph = policy.get_instrument(7, public=True)
        assert (telegraph.slug, telegraph.kind, telegraph.name_en) == (
            "in-telegraph-act-1885",
            "law",
            "Telegraph Act 1885",
        )
        assert [(e.kind, str(e.date)) for e in telegraph.events] == [
            ("adoption", "1885-10-01"),
            ("entry_into_force", "1886-01-01"),
        ]
        assert telegraph.source_url == "https://indiacode.nic.in"
        assert [(p.concern, p.article) for p in telegraph.provisions] == [
            ("unclassified", "s. 5(2)")
        ]
        assert policy.get_instrument(9, public=True).kind == "emergency_power"
        (basis,) = tracker.get_incident(5, public=True).legal_basis
        assert (basis.instrument.id, basis.articles) == (7, "s. 5(2)")
        # New rows get fresh ids after the moved ones (PostgreSQL's sequence was moved on).
        law = tracker.add_legal_instrument(
            {"name": "New Act", "kind": "law", "jurisdiction": "IN"},
            Actor("a@x.org", "admin"),
        )
        assert law.id > 9
