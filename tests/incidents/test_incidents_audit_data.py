"""``audit verify`` checks the data against the audit trail (security audit M7).

On c7f86ae the hash chain covered ``audit_log`` only: publishing a draft, changing a reporter's
contact, deleting an incident or making a viewer an admin with sqlite3 left ``audit verify``
saying "intact" (rc 0), and a corrupt ``detail`` or a dropped table gave a traceback (rc 1).
Each tampering below is the audit's, done with raw SQL on a tracker written through netvigil.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.incidents import Tracker

runner = CliRunner()


def _tracker(tmp_path: Path) -> tuple[str, dict[str, int]]:
    """A small tracker with a draft, a published incident with a private source, and users."""
    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    with Tracker(url, password_hasher=PasswordHasher(time_cost=1, memory_cost=1024)) as tracker:
        people = {
            r: tracker.create_user(f"{r}@example.org", f"{r}-password", role=r)
            for r in ("viewer", "editor", "admin")
        }
        editor, admin = people["editor"], people["admin"]
        draft = tracker.create_incident({"country": "Iraq", "start_date": "2024-06-01"}, editor)
        shown = tracker.create_incident({"country": "India", "start_date": "2024-05-01"}, editor)
        tracker.add_source(shown.id, editor, reporter_name="R", reporter_contact="+1-555-0100")
        tracker.update_incident(shown.id, {"title": "Mobile data cut"}, editor)
        for status in ("corroborated", "verified"):
            tracker.set_status(shown.id, status, admin)
        second = tracker.create_user("second@example.org", "second-password", role="admin")
        tracker.set_status(shown.id, "published", second)  # four eyes: not whoever verified
        viewer = people["viewer"].user_id
        assert viewer is not None
    return url, {"draft": draft.id, "published": shown.id, "viewer": viewer}


def _sql(url: str, *statements: str) -> None:
    with Tracker(url) as tracker, tracker.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _verify(url: str) -> tuple[int, str]:
    result = runner.invoke(app, ["incidents", "audit", "verify", "--db", url])
    return result.exit_code, " ".join(result.output.split())


def test_m7_an_untouched_tracker_checks_out(tmp_path: Path) -> None:
    url, _ = _tracker(tmp_path)
    code, output = _verify(url)
    assert code == 0, output
    assert "data matches it: 6 incidents and users checked" in output  # 2 incidents, 4 users


@pytest.mark.parametrize(
    ("tampering", "named"),
    [
        ("UPDATE incidents SET status = 'published' WHERE id = {draft}", "incident {draft}"),
        ("UPDATE incident_sources SET reporter_contact = '+1-555-0199'", "incident {published}"),
        ("UPDATE users SET role = 'admin' WHERE id = {viewer}", "user {viewer}"),
        ("UPDATE incidents SET published_at = NULL WHERE id = {published}",
         "incident {published}"),
        ("DELETE FROM incidents WHERE id = {draft}",
         "incident {draft} is in the audit log but not in the database"),
    ],
)  # fmt: skip
def test_m7_direct_edits_of_the_data_are_reported(
    tmp_path: Path, tampering: str, named: str
) -> None:
    url, ids = _tracker(tmp_path)
    _sql(url, tampering.format(**ids))
    code, output = _verify(url)
    assert code == 4
    assert "data tampered: 1 row(s) differ from the audit log" in output
    assert named.format(**ids) in output


@pytest.mark.parametrize(
    ("tampering", "reason"),
    [
        (
            "UPDATE audit_log SET detail = '{{bad' WHERE seq = 4",
            "entry 4: detail is not valid JSON",
        ),
        ("DROP TABLE audit_log", "the audit log cannot be read"),
    ],
)
def test_m7_a_corrupt_log_is_tampering_not_a_traceback(
    tmp_path: Path, tampering: str, reason: str
) -> None:
    url, _ = _tracker(tmp_path)
    _sql(url, tampering.format())
    code, output = _verify(url)
    assert code == 4 and "Traceback" not in output
    assert f"audit log tampered: {reason}" in output or reason in output


def test_m7_seal_records_the_present_state(tmp_path: Path) -> None:
    url, ids = _tracker(tmp_path)
    _sql(url, f"UPDATE incidents SET title = 'fixed by hand' WHERE id = {ids['draft']}")
    assert _verify(url)[0] == 4
    sealed = runner.invoke(app, ["incidents", "audit", "seal", "--db", url])
    assert sealed.exit_code == 0, sealed.output
    code, output = _verify(url)
    assert code == 0, output
    with Tracker(url) as tracker:
        last = tracker.audit_entries(limit=1)[0]
    assert (last.action, last.entity, last.actor.startswith("cli:")) == ("seal", "tracker", True)


def test_m7_a_stop_import_is_checked_too(tmp_path: Path, people_free_stop: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    imported = runner.invoke(app, ["incidents", "import", str(people_free_stop), "--db", url])
    assert imported.exit_code == 0, imported.output
    code, output = _verify(url)
    assert code == 0 and "not yet sealed" not in output, output
    _sql(url, "UPDATE incidents SET status = 'withdrawn' WHERE id = 7")
    assert _verify(url)[0] == 4


@pytest.fixture
def people_free_stop(shared_data: Path) -> Path:
    path = shared_data / "stop" / "KeepItOn-STOP-Data-2020.csv"
    if not path.is_file():
        pytest.skip(f"reference data {path} is absent")
    return path


def test_m7_verify_is_unaffected_by_logins_and_logouts(tmp_path: Path) -> None:
    url, ids = _tracker(tmp_path)
    with Tracker(url) as tracker:
        tracker.end_sessions(ids["viewer"])  # a logout moves the session version only
    assert _verify(url)[0] == 0
