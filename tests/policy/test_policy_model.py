"""The policy repository on SQLite and PostgreSQL: roles, drafts, links between records and
incidents, what cites an instrument, and the audit log every write appends to."""

from __future__ import annotations

import pytest

from netvigil._errors import InputError, PermissionDeniedError, UnknownEntityError
from netvigil.incidents import Actor, Tracker
from netvigil.policy import records as rec
from netvigil.policy.records import PolicyRecords
from netvigil.policy.repository import Policy
from netvigil.policy.serialise import public_statement

SRC = "https://example.org/source"


def _law(slug: str = "xx-law", status: str = "published", **more: object) -> rec.InstrumentRecord:
    data = {
        "slug": slug, "kind": "law", "jurisdiction": "HK", "name_en": f"Law {slug}",
        "name_zh_hant": f"法例 {slug}", "source_url": SRC, "status": status,
        "history": [
            {"kind": "entry_into_force", "date": "2021-03-01", "source_url": SRC},
            {"kind": "adoption", "date": "2021-01-15", "source_url": SRC, "votes_for": 40},
        ],
        "provisions": [{"concern": "content_removal", "article": "Art. 3"}],
        **more,
    }  # fmt: skip
    return rec.instrument(data)


def _statement(slug: str = "letter", **more: object) -> rec.StatementRecord:
    data = {
        "slug": slug, "kind": "open_letter", "title_en": "Keep it on", "date": "2021-02-01",
        "source_url": SRC, "instruments": ["xx-law"], "jurisdictions": ["HK"],
        "demands": [{"text_en": "Do not cut the internet", "outcome": "met"}],
        "signatories": [{"name": "Org A", "country": "HK"},
                        {"name": "Prof B", "kind": "individual", "affiliation": "Uni C"}],
        **more,
    }  # fmt: skip
    return rec.statement(data)


def test_instrument_round_trips_through_the_database(policy: Policy, admin: Actor) -> None:
    summary = policy.import_records(PolicyRecords(instruments=(_law(),)), admin)
    assert summary.created == {"instruments": 1}
    row = policy.get_instrument(summary.ids["instruments"][0], public=True)
    # History is kept in date order, whatever order it was given in.
    assert [e.kind for e in row.events] == ["adoption", "entry_into_force"]
    assert row.events[0].votes_for == 40 and row.name_zh_hant == "法例 xx-law"
    assert [(p.concern, p.article) for p in row.provisions] == [("content_removal", "Art. 3")]
    again = policy.import_records(PolicyRecords(instruments=(_law(),)), admin)
    assert again.unchanged == {"instruments": 1} and again.audit_seq is None


def test_update_replaces_history_without_duplicating(policy: Policy, admin: Actor) -> None:
    policy.import_records(PolicyRecords(instruments=(_law(),)), admin)
    changed = _law(history=[{"kind": "adoption", "date": "2021-01-15", "source_url": SRC}])
    summary = policy.import_records(PolicyRecords(instruments=(changed,)), admin)
    assert summary.updated == {"instruments": 1}
    (row,) = policy.list_instruments(public=True)
    assert [e.kind for e in row.events] == ["adoption"]


def test_drafts_are_never_public_and_editors_cannot_publish(
    policy: Policy, admin: Actor, editor: Actor
) -> None:
    draft = _law("draft-law", status="draft")
    (draft_id,) = policy.import_records(PolicyRecords(instruments=(draft,)), editor).ids[
        "instruments"
    ]
    with pytest.raises(UnknownEntityError):
        policy.get_instrument(draft_id, public=True)
    assert policy.list_instruments(public=True) == []
    assert policy.get_instrument(draft_id, public=False).status == "draft"
    with pytest.raises(PermissionDeniedError):
        policy.import_records(PolicyRecords(instruments=(_law("draft-law"),)), editor)
    policy.import_records(PolicyRecords(instruments=(_law("draft-law"),)), admin)  # publish
    with pytest.raises(PermissionDeniedError):  # a published record is an admin's to change
        policy.import_records(PolicyRecords(instruments=(draft,)), editor)
    viewer = Actor("viewer@example.org", "viewer")
    with pytest.raises(PermissionDeniedError):
        policy.import_records(PolicyRecords(instruments=(draft,)), viewer)


def test_links_between_instruments_statements_responses_and_incidents(
    tracker: Tracker, policy: Policy, admin: Actor
) -> None:
    incident = tracker.create_incident(
        {"title": "Tsuen Wan mobile cut", "country": "Hong Kong", "start_date": "2021-02-02"}, admin
    )
    for status in ("corroborated", "verified"):  # four eyes: another verifies
        tracker.set_status(incident.id, status, Actor("verifier@example.org", "editor"))
    tracker.set_status(incident.id, "published", admin)
    draft_incident = tracker.create_incident({"title": "PRIVATE draft", "country": "HK"}, admin)
    response = rec.response({
        "slug": "acme-pause", "company": "Acme", "jurisdiction": "HK", "demand_kind": "user_data",
        "response": "pause", "announced_on": "2021-03-02", "source_url": SRC,
        "instruments": ["xx-law"],
    })  # fmt: skip
    statement = _statement(incidents=[incident.natural_key, f"#{draft_incident.id}"])
    summary = policy.import_records(
        PolicyRecords(instruments=(_law(),), responses=(response,), statements=(statement,)), admin
    )
    law_id = summary.ids["instruments"][0]
    tracker.link_legal_basis(incident.id, law_id, admin, articles="Art. 3")

    bases, responses, statements = policy.instrument_links(law_id, public=True)
    assert [b.incident.id for b in bases] == [incident.id]
    assert [r.slug for r in responses] == ["acme-pause"]
    assert [s.slug for s in statements] == ["letter"]
    public = public_statement(statements[0])
    # Only the published incident, and only its public face.
    assert public["incidents"] == [
        {"id": incident.id, "title": "Tsuen Wan mobile cut", "country_code": "HK",
         "url": f"/incidents/{incident.id}"}
    ]  # fmt: skip
    assert "PRIVATE" not in str(public)
    assert [s.slug for s in policy.list_statements(public=True, jurisdiction="HK")] == ["letter"]
    assert policy.list_statements(public=True, jurisdiction="CN") == []
    # The incident's own page shows the instrument it was ordered under.
    cited = tracker.get_incident(incident.id, public=True).legal_basis
    assert [b.instrument.slug for b in cited] == ["xx-law"]


def test_unresolved_reference_rolls_back_the_whole_import(policy: Policy, admin: Actor) -> None:
    bad = _statement(instruments=["no-such-law"])
    with pytest.raises(InputError) as caught:
        policy.import_records(PolicyRecords(instruments=(_law(),), statements=(bad,)), admin)
    assert caught.value.field == "instruments" and "no-such-law" in caught.value.message
    assert policy.list_instruments(public=False) == []  # the instrument was rolled back too


def test_every_write_appends_to_the_audit_log(
    tracker: Tracker, policy: Policy, admin: Actor
) -> None:
    before = tracker.verify_audit().entries
    policy.import_records(PolicyRecords(instruments=(_law(),)), admin)
    report = tracker.verify_audit()
    assert report.ok and report.entries == before + 1
    (entry,) = tracker.audit_entries(limit=1)
    assert entry.entity == "policy" and entry.detail["created"] == {"instruments": 1}


def test_legacy_legal_instrument_calls_still_work(tracker: Tracker, admin: Actor) -> None:
    """``netvigil incidents law add`` and the tracker's old method make a policy record."""
    law = tracker.add_legal_instrument(
        {"name": "Telegraph Act 1885", "kind": "law", "jurisdiction": "IN", "articles": "s. 5(2)",
         "adopted_on": "1885-10-01", "links": ["https://indiacode.nic.in"]},
        admin,
    )  # fmt: skip
    assert law.slug == "in-telegraph-act-1885" and law.source_url == "https://indiacode.nic.in"
    assert [(e.kind, str(e.date)) for e in law.events] == [("adoption", "1885-10-01")]
    assert [(p.concern, p.article) for p in law.provisions] == [("unclassified", "s. 5(2)")]
    assert [i.id for i in tracker.list_legal_instruments("IN")] == [law.id]
