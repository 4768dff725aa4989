"""The repository on SQLite and PostgreSQL: workflow, roles, privacy, filters."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from netvigil._errors import InputError, PermissionDeniedError, UnknownEntityError
from netvigil.incidents import Actor, IncidentFilter, Tracker, private_dict, public_dict

SECRET_CONTACT = "signal:+98-912-SECRET"
SECRET_NOTE = "source is the cousin of the ISP engineer"


def _published(tracker: Tracker, people: dict[str, Actor], **fields: object) -> int:
    data = {"country": "Iran", "start_date": "2024-01-02", "shutdown_type": "Shutdown"}
    data.update(fields)  # type: ignore[arg-type]
    inc = tracker.create_incident(data, people["editor"])
    for status, who in (("corroborated", "editor"), ("verified", "editor"), ("published", "admin")):
        tracker.set_status(inc.id, status, people[who])
    return inc.id


def test_workflow_and_only_admins_publish(tracker: Tracker, people: dict[str, Actor]) -> None:
    inc = tracker.create_incident(
        {"country": "India", "start_date": "2023-05-01"}, people["editor"]
    )
    assert (inc.status, inc.country_code, inc.report_year) == ("reported", "IN", 2023)
    with pytest.raises(InputError, match="can move to"):
        tracker.set_status(inc.id, "published", people["admin"])  # must be verified first
    tracker.set_status(inc.id, "corroborated", people["editor"])
    tracker.set_status(inc.id, "verified", people["editor"])
    with pytest.raises(PermissionDeniedError):
        tracker.set_status(inc.id, "published", people["editor"])
    assert tracker.get_incident(inc.id, public=False).status == "verified"
    assert tracker.set_status(inc.id, "published", people["admin"]).status == "published"
    # Editors can neither edit nor withdraw what is published.
    with pytest.raises(PermissionDeniedError):
        tracker.update_incident(inc.id, {"title": "changed"}, people["editor"])
    with pytest.raises(PermissionDeniedError):
        tracker.set_status(inc.id, "withdrawn", people["editor"])
    with pytest.raises(PermissionDeniedError):
        tracker.attach_evidence(inc.id, "url", "https://example.org/x", people["editor"])
    tracker.set_status(inc.id, "withdrawn", people["admin"], note="source at risk")
    with pytest.raises(UnknownEntityError):
        tracker.get_incident(inc.id, public=True)


def test_viewers_cannot_write(tracker: Tracker, people: dict[str, Actor]) -> None:
    viewer = people["viewer"]
    with pytest.raises(PermissionDeniedError):
        tracker.create_incident({"country": "Chad"}, viewer)
    inc = tracker.create_incident({"country": "Chad"}, people["editor"])
    for call in (
        lambda: tracker.update_incident(inc.id, {"title": "x"}, viewer),
        lambda: tracker.attach_evidence(inc.id, "url", "https://example.org", viewer),
        lambda: tracker.set_status(inc.id, "corroborated", viewer),
        lambda: tracker.add_source(inc.id, viewer, reporter_contact="x"),
    ):
        with pytest.raises(PermissionDeniedError):
            call()


def test_drafts_never_public(tracker: Tracker, people: dict[str, Actor]) -> None:
    draft = tracker.create_incident({"country": "Cuba", "title": "draft"}, people["editor"])
    published = _published(tracker, people, title="public one")
    assert [i.id for i in tracker.list_incidents(public=True)] == [published]
    assert tracker.count_incidents(public=True) == 1
    assert {i.id for i in tracker.list_incidents(public=False)} == {draft.id, published}
    with pytest.raises(UnknownEntityError):
        tracker.get_incident(draft.id, public=True)
    with pytest.raises(PermissionDeniedError):
        public_dict(tracker.get_incident(draft.id, public=False))
    assert tracker.stats("year") == {"2024": 1}


def test_private_fields_never_in_public_dict(tracker: Tracker, people: dict[str, Actor]) -> None:
    inc_id = _published(tracker, people, title="Tehran blackout", internal_notes=SECRET_NOTE)
    admin = people["admin"]
    tracker.add_source(
        inc_id,
        admin,
        description="phone call",
        reporter_name="Reza",
        reporter_contact=SECRET_CONTACT,
    )
    tracker.attach_evidence(inc_id, "document", "order.pdf", admin, sha256="ab" * 32)
    law = tracker.add_legal_instrument(
        {
            "name": "Cybercrime Law",
            "kind": "cybercrime_law",
            "jurisdiction": "IR",
            "articles": "art. 11",
            "adopted_on": "2009-06-07",
            "links": "https://example.org/law",
        },
        admin,
    )
    tracker.link_legal_basis(inc_id, law.id, admin, articles="art. 11")
    tracker.add_episode(inc_id, admin, area_name="Tehran")

    public = json.dumps(public_dict(tracker.get_incident(inc_id, public=True)))
    for secret in (SECRET_CONTACT, SECRET_NOTE, "Reza", "editor@example.org", "admin@example.org"):
        assert secret not in public
    assert "Cybercrime Law" in public and "order.pdf" in public and "Tehran" in public
    private = json.dumps(private_dict(tracker.get_incident(inc_id, public=False)))
    assert SECRET_CONTACT in private and SECRET_NOTE in private and "admin@example.org" in private
    # The public loader does not even load sources or private columns.
    listed = tracker.list_incidents(public=True)
    assert "sources" not in listed[0].__dict__
    with pytest.raises(SQLAlchemyError):
        _ = listed[0].internal_notes


def test_filters(tracker: Tracker, people: dict[str, Actor]) -> None:
    a = _published(
        tracker, people, country="India", start_date="2019-08-05", whatsapp_affected="Yes"
    )
    b = _published(
        tracker, people, country="Ethiopia", start_date="2020-11-04", shutdown_type="Throttle"
    )
    ids = lambda f: [i.id for i in tracker.list_incidents(f, public=True)]  # noqa: E731
    assert ids(IncidentFilter(country="in")) == [a]
    assert ids(IncidentFilter(country="Ethiopia")) == [b]
    assert ids(IncidentFilter(year=2020)) == [b]
    assert ids(IncidentFilter(platform="whatsapp")) == [a]
    assert ids(IncidentFilter(shutdown_type="throttle")) == [b]
    undated = _published(tracker, people, country="Cuba", start_date=None)
    assert ids(IncidentFilter()) == [b, a, undated]  # newest start first, undated last
    with pytest.raises(InputError, match="platform"):
        ids(IncidentFilter(platform="myspace"))


def test_bad_input_names_the_field(tracker: Tracker, people: dict[str, Actor]) -> None:
    editor = people["editor"]
    with pytest.raises(InputError) as err:
        tracker.create_incident({"start_date": "31/12/2024"}, editor)
    assert err.value.field == "start_date"
    with pytest.raises(InputError) as err:
        tracker.create_incident({"colour": "red"}, editor)
    assert err.value.field == "colour"
    inc = tracker.create_incident({"country": "Togo"}, editor)
    with pytest.raises(InputError, match="sha256"):
        tracker.attach_evidence(inc.id, "document", "x.pdf", editor, sha256="nothex")
    with pytest.raises(InputError, match="SHA-256"):
        tracker.attach_evidence(inc.id, "document", "x.pdf", editor)
    with pytest.raises(UnknownEntityError):
        tracker.update_incident(999_999, {"title": "x"}, editor)
    assert len(tracker.list_incidents(public=False)) == 1  # nothing half-written


def test_users_and_argon2(db_url: str) -> None:
    tracker = Tracker(db_url)  # argon2-cffi's default parameters, as in production
    people = {
        r: tracker.create_user(f"{r}@example.org", f"{r}-password", role=r)
        for r in ("editor", "admin")
    }
    assert tracker.authenticate("Editor@Example.org", "editor-password") == people["editor"]
    assert tracker.authenticate("editor@example.org", "wrong-password") is None
    assert tracker.authenticate("nobody@example.org", "editor-password") is None
    with pytest.raises(InputError, match="already exists"):
        tracker.create_user("editor@example.org", "another-password", role="admin")
    with pytest.raises(InputError):
        tracker.create_user("x@example.org", "short", role="editor")
    with tracker.session() as s:
        stored = s.execute(text("SELECT password_hash FROM users WHERE email='admin@example.org'"))
        hashed = stored.scalar_one()
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and "admin-password" not in hashed
    assert tracker.get_user(people["admin"].user_id or 0) == people["admin"]
    tracker.close()


def test_episodes_and_daily_windows(tracker: Tracker, people: dict[str, Actor]) -> None:
    import datetime as dt

    inc_id = _published(tracker, people, country="Syria", start_date="2023-06-11")
    exam_days = [(dt.date(2023, 6, d), dt.time(6), dt.time(10, 30)) for d in (11, 12, 14)]
    tracker.add_episode(inc_id, people["admin"], area_name="Damascus", windows=exam_days)
    tracker.add_episode(inc_id, people["admin"], area_name="Aleppo", windows=exam_days[:1])
    data = public_dict(tracker.get_incident(inc_id, public=True))
    assert [e["area_name"] for e in data["episodes"]] == ["Damascus", "Aleppo"]
    assert data["episodes"][0]["windows"][2] == {
        "day": "2023-06-14",
        "start_time": "06:00:00",
        "end_time": "10:30:00",
        "timezone": "UTC",
    }
