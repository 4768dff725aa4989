"""The hash-chained audit log: what it records and that tampering is found (raw SQL edits)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.incidents import Actor, Tracker


def _history(tracker: Tracker, people: dict[str, Actor]) -> None:
    inc = tracker.create_incident({"country": "Iraq", "start_date": "2024-06-01"}, people["editor"])
    tracker.update_incident(inc.id, {"title": "exam shutdown"}, people["editor"])
    tracker.set_status(inc.id, "corroborated", people["editor"])
    tracker.attach_evidence(
        inc.id,
        "measurement",
        "20240601T000000Z_webconnectivity_IQ",
        people["editor"],
        verdict={"outcome": "confirmed"},
    )


def test_records_who_did_what(tracker: Tracker, people: dict[str, Actor]) -> None:
    _history(tracker, people)
    entries = list(reversed(tracker.audit_entries()))
    assert [(e.action, e.entity) for e in entries] == [
        ("create", "user"),
        ("create", "user"),
        ("create", "user"),
        ("create", "incident"),
        ("update", "incident"),
        ("status", "incident"),
        ("evidence", "incident"),
    ]
    assert entries[4].actor == "editor@example.org"
    assert entries[4].detail["changed"]["title"] == {"from": None, "to": "exam shutdown"}
    # and the digest of the incident it left (audit M7: the data is checked against the log)
    assert entries[5].detail.pop("state") != entries[4].detail["state"]
    assert entries[5].detail == {"from": "reported", "to": "corroborated", "note": None}
    report = tracker.verify_audit()
    assert report.ok and report.entries == 7 and report.head == entries[-1].hash


def _sql(tracker: Tracker, statement: str) -> None:
    with tracker.engine.begin() as conn:
        conn.execute(text(statement))


def test_modified_entry_is_named(tracker: Tracker, people: dict[str, Actor]) -> None:
    _history(tracker, people)
    _sql(tracker, "UPDATE audit_log SET actor = 'admin@example.org' WHERE seq = 5")
    report = tracker.verify_audit()
    assert (report.ok, report.first_bad_seq, report.entries) == (False, 5, 4)
    assert "hash" in (report.reason or "")


def test_deleted_and_reordered_entries_are_found(
    tracker: Tracker, people: dict[str, Actor]
) -> None:
    _history(tracker, people)
    _sql(tracker, "DELETE FROM audit_log WHERE seq = 3")
    report = tracker.verify_audit()
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert "missing" in (report.reason or "")


def test_swapped_entries_are_found(tracker: Tracker, people: dict[str, Actor]) -> None:
    _history(tracker, people)
    # Swap entries 5 and 6 wholesale (content and hashes), keeping seq in place.
    _sql(tracker, "UPDATE audit_log SET seq = 1000 WHERE seq = 5")
    _sql(tracker, "UPDATE audit_log SET seq = 5 WHERE seq = 6")
    _sql(tracker, "UPDATE audit_log SET seq = 6 WHERE seq = 1000")
    report = tracker.verify_audit()
    assert (report.ok, report.first_bad_seq) == (False, 5)


def test_truncated_tail_found_against_known_head(
    tracker: Tracker, people: dict[str, Actor]
) -> None:
    _history(tracker, people)
    head = tracker.verify_audit().head
    _sql(tracker, "DELETE FROM audit_log WHERE seq = 7")
    assert tracker.verify_audit().ok  # a shorter chain is still a chain...
    report = tracker.verify_audit(expect_head=head)
    assert not report.ok and report.first_bad_seq == 7  # ...but not the one we noted


def test_cli_audit_verify(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    with Tracker(url) as tracker:
        people = {
            r: tracker.create_user(f"{r}@example.org", f"{r}-password", role=r)
            for r in ("editor", "admin")
        }
        _history(tracker, people)
    runner = CliRunner()
    ok = runner.invoke(app, ["incidents", "audit", "verify", "--db", url])
    assert ok.exit_code == 0 and "6 entries" in ok.output, ok.output
    with Tracker(url) as tracker:
        _sql(tracker, "UPDATE audit_log SET detail = '{}' WHERE seq = 4")
    bad = runner.invoke(app, ["incidents", "audit", "verify", "--db", url])
    assert bad.exit_code == 4
    message = " ".join(bad.output.split())  # rich wraps long lines
    assert "entry 4" in message and "3 entries check out" in message


def test_concurrent_writers_keep_one_chain(tracker: Tracker, people: dict[str, Actor]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    editor = people["editor"]
    ids = [tracker.create_incident({"country": "Niger"}, editor).id for _ in range(4)]

    def edit(incident_id: int) -> None:
        for n in range(8):
            tracker.update_incident(incident_id, {"title": f"rev {n}"}, editor)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(edit, ids))
    report = tracker.verify_audit()
    assert report.ok, report
    updates = [e for e in tracker.audit_entries(limit=1000) if e.action == "update"]
    assert len(updates) == 32
