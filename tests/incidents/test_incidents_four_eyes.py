"""Four eyes: whoever verified an incident cannot publish it; a one-person deployment may, only
through its setting, and each such publication is marked in the audit log and on the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from netvigil._errors import PermissionDeniedError
from netvigil._settings import load_settings
from netvigil.incidents import Actor, Tracker, public_dict


def _verified(tracker: Tracker, verifier: Actor) -> int:
    inc = tracker.create_incident({"country": "Hong Kong", "start_date": "2024-06-04"}, verifier)
    tracker.set_status(inc.id, "corroborated", verifier)
    tracker.set_status(inc.id, "verified", verifier)
    return inc.id


def test_the_verifier_cannot_publish(tracker: Tracker, people: dict[str, Actor]) -> None:
    admin = people["admin"]
    incident_id = _verified(tracker, admin)
    with pytest.raises(PermissionDeniedError, match="another person must publish it"):
        tracker.set_status(incident_id, "published", admin)
    assert tracker.get_incident(incident_id, public=False).status == "verified"
    second = tracker.create_user("second@example.org", "second-password", role="admin")
    published = tracker.set_status(incident_id, "published", second)
    assert published.status == "published" and not published.self_published
    entry = tracker.audit_entries(1)[0]
    assert (entry.actor, entry.detail["to"], entry.detail["four_eyes"]) == (
        "second@example.org",
        "published",
        True,
    )
    assert public_dict(tracker.get_incident(incident_id, public=True))["four_eyes"] is True


def test_sent_back_and_verified_again_by_someone_else(
    tracker: Tracker, people: dict[str, Actor]
) -> None:
    admin, editor = people["admin"], people["editor"]
    incident_id = _verified(tracker, admin)
    tracker.set_status(incident_id, "corroborated", editor)  # sent back
    tracker.set_status(incident_id, "verified", editor)  # the editor verifies now
    assert tracker.set_status(incident_id, "published", admin).status == "published"


def test_single_person_override_is_audited_and_shown(db_url: str, tmp_path: Path) -> None:
    from netvigil.web import create_app

    with Tracker(db_url, single_person_publication=True) as tracker:
        alone = tracker.create_user("alone@example.org", "alone-password", role="admin")
        incident_id = _verified(tracker, alone)
        published = tracker.set_status(incident_id, "published", alone)
        assert published.self_published
        entry = tracker.audit_entries(1)[0]
        assert (entry.actor, entry.detail["to"], entry.detail["four_eyes"]) == (
            "alone@example.org",
            "published",
            False,
        )
        assert tracker.verify_audit().ok
        settings = load_settings(
            data_dir=tmp_path / "data", db=db_url, incidents={"single_person_publication": True}
        )
        client = TestClient(create_app(settings, tracker=tracker))
        page = client.get(f"/incidents/{incident_id}").text
        assert 'id="single-person"' in page and "same person" in page
        assert client.get(f"/incidents/{incident_id}.json").json()["incident"]["four_eyes"] is False
        assert "same person" in client.get(f"/incidents/{incident_id}/notice.txt").text


def test_the_setting_reaches_the_tracker_from_settings(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, incidents={"single_person_publication": True})
    with Tracker.from_settings(settings) as tracker:
        assert tracker.single_person_publication
    with Tracker.from_settings(load_settings(data_dir=tmp_path)) as tracker:
        assert not tracker.single_person_publication


def test_cli_operator_cannot_verify_and_publish_alone(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from netvigil.cli.main import app

    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["incidents", *args, "--db", db])
        return result.exit_code, " ".join(result.output.split())

    code, out = run("create", "--country", "Iran", "--start-date", "2024-01-02")
    incident_id = out.strip()
    assert run("corroborate", incident_id)[0] == 0 and run("verify", incident_id)[0] == 0
    code, out = run("publish", incident_id)
    assert code == 6 and "four eyes" in out and "single_person_publication" in out
