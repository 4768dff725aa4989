"""`netvigil incidents` in-process: workflow commands, roles via --as, users, errors."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.incidents import Tracker, private_dict

runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["incidents", *args], input=stdin)
    return result.exit_code, " ".join(result.output.split())


def test_create_to_publish_with_roles(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    assert (
        _run(
            "user",
            "add",
            "ed@example.org",
            "--role",
            "editor",
            "--password-stdin",
            "--db",
            db,
            stdin="editor-password\n",
        )[0]
        == 0
    )
    code, out = _run(
        "create",
        "--country",
        "Iran",
        "--start-date",
        "2024-01-02",
        "--title",
        "Tehran",
        "--field",
        "whatsapp_affected=Yes",
        "--as",
        "ed@example.org",
        "--db",
        db,
    )
    assert code == 0, out
    incident_id = out.strip()
    assert _run("corroborate", incident_id, "--as", "ed@example.org", "--db", db)[0] == 0
    assert _run("verify", incident_id, "--as", "ed@example.org", "--db", db)[0] == 0
    code, out = _run("publish", incident_id, "--as", "ed@example.org", "--db", db)
    assert code == 6 and "may not" in out and "needs admin" in out
    assert json.loads(_run("stats", "--json", "--db", db)[1]) == {}
    code, out = _run("publish", incident_id, "--db", db)  # the local operator is admin
    assert code == 0 and "published" in out
    assert json.loads(_run("stats", "--json", "--db", db)[1]) == {"2024": 1}
    _run(
        "create",
        "--country",
        "Cuba",
        "--start-date",
        "2024-02-02",
        "--field",
        "internal_notes=DRAFT-SECRET",
        "--db",
        db,
    )
    assert _run("export", "-o", str(tmp_path / "x.csv"), "--db", db)[0] == 0
    with (tmp_path / "x.csv").open() as fh:
        exported = list(csv.DictReader(fh))
    assert [(r["country"], r["whatsapp_affected"]) for r in exported] == [("Iran", "Yes")]
    assert "DRAFT-SECRET" not in (tmp_path / "x.csv").read_text()
    assert _run("export", "--format", "json", "-o", str(tmp_path / "x.json"), "--db", db)[0] == 0
    record = json.loads((tmp_path / "x.json").read_text())[0]
    assert record["stop"]["whatsapp_affected"] == "Yes" and "created_by" not in record
    shown = runner.invoke(app, ["incidents", "show", incident_id, "--public", "--db", db])
    assert json.loads(shown.output)["title"] == "Tehran" and "ed@example.org" not in shown.output
    private = runner.invoke(app, ["incidents", "show", incident_id, "--db", db])
    assert json.loads(private.output)["created_by"] == "ed@example.org"
    assert _run("withdraw", incident_id, "--reason", "source at risk", "--db", db)[0] == 0
    assert json.loads(_run("stats", "--json", "--db", db)[1]) == {}
    with Tracker(db) as tracker:
        last = tracker.audit_entries(limit=1)[0]
    assert last.action == "status" and last.detail["note"] == "source at risk"


def test_errors_are_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    code, out = _run("create", "--country", "Iran", "--start-date", "tomorrow", "--db", db)
    assert code == 2 and "start_date" in out and "YYYY-MM-DD" in out
    code, out = _run("publish", "41", "--db", db)
    assert code == 2 and "unknown incident '41'" in out
    code, out = _run(
        "create",
        "--country",
        "X",
        "--start-date",
        "2024-01-01",
        "--as",
        "ghost@example.org",
        "--db",
        db,
    )
    assert code == 2 and "unknown user" in out
    code, out = _run("stats", "--by", "colour", "--db", db)
    assert code == 2 and "year, country, type" in out
    code, out = _run("stats", "--db", "mysql://nowhere/x")
    assert code == 2 and "not supported" in out


def test_netvigil_db_setting_and_default_location(tmp_path: Path, monkeypatch: Any) -> None:
    target = tmp_path / "from-env.sqlite"
    monkeypatch.setenv("NETVIGIL_DB", f"sqlite:///{target}")
    assert _run("create", "--country", "Iraq", "--start-date", "2024-06-01")[0] == 0
    assert target.is_file()
    monkeypatch.delenv("NETVIGIL_DB")
    monkeypatch.setenv("NETVIGIL_DATA_DIR", str(tmp_path / "data"))
    assert _run("create", "--country", "Iraq", "--start-date", "2024-06-01")[0] == 0
    assert (tmp_path / "data" / "incidents.sqlite").is_file()  # the zero-setup default
    with Tracker(f"sqlite:///{target}") as tracker:
        assert tracker.count_incidents(public=False) == 1


def test_evidence_file_hash_and_legal_basis(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    order = tmp_path / "order.pdf"
    order.write_bytes(b"%PDF-1.4 shutdown order\n")
    incident_id = _run("create", "--country", "India", "--start-date", "2024-01-02", "--db", db)[1]
    code, out = _run(
        "evidence", incident_id, "--kind", "document", "--file", str(order), "--db", db
    )
    assert code == 0, out
    code, law_id = _run(
        "law",
        "add",
        "Telegraph Act 1885",
        "--kind",
        "law",
        "--jurisdiction",
        "IN",
        "--articles",
        "s. 5(2)",
        "--link",
        "https://indiacode.nic.in",
        "--db",
        db,
    )
    assert code == 0, law_id
    assert _run("law", "link", incident_id, law_id, "--articles", "s. 5(2)", "--db", db)[0] == 0
    with Tracker(db) as tracker:
        record = private_dict(tracker.get_incident(int(incident_id), public=False))
    assert record["evidence"][0]["sha256"] == hashlib.sha256(order.read_bytes()).hexdigest()
    assert record["evidence"][0]["value"] == "order.pdf"
    assert record["legal_basis"][0]["instrument"]["links"] == ["https://indiacode.nic.in"]
    assert record["legal_basis"][0]["articles"] == "s. 5(2)"
    code, out = _run("evidence", incident_id, "--kind", "url", "--db", db)
    assert code == 2 and "--value" in out
