"""The demo dataset: every record and event has a source URL, it loads in one command, and its
facts are the ones the issue names (dates checked against the primary sources, not the code)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.incidents import Actor
from netvigil.policy.repository import DEMO_DATA, Policy


def _demo() -> dict:
    return json.loads(DEMO_DATA.read_text(encoding="utf-8"))


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and "." in parts.netloc and " " not in value


def test_every_demo_record_has_a_source_url() -> None:
    data = _demo()
    checked = 0
    for kind in ("instruments", "responses", "figures", "statements"):
        assert data[kind], kind
        for record in data[kind]:
            assert _is_url(record.get("source_url")), (kind, record.get("slug"))
            checked += 1
            for link in record.get("links", []):
                assert _is_url(link), (kind, link)
    for instrument in data["instruments"]:
        for event in instrument["history"]:
            assert _is_url(event.get("source_url")), (instrument["slug"], event)
            checked += 1
        for provision in instrument["provisions"]:
            # A provision without its own source is sourced by its instrument (checked above).
            assert provision.get("source_url") is None or _is_url(provision["source_url"])
    assert checked > 50


def test_demo_holds_the_facts_the_issue_names() -> None:
    data = _demo()
    by_slug = {i["slug"]: i for i in data["instruments"]}
    csl = by_slug["cn-cybersecurity-law"]
    dates = {e["kind"]: e["date"] for e in csl["history"]}
    assert dates["adoption"] == "2016-11-07" and dates["entry_into_force"] == "2017-06-01"
    assert {p["concern"] for p in csl["provisions"]} >= {
        "real_name_registration", "data_localisation", "content_removal",
        "government_data_access", "shutdown_blocking",
    }  # fmt: skip
    un = by_slug["un-cybercrime-convention"]
    kinds = [e["kind"] for e in un["history"]]
    assert kinds[0] == "proposal" and un["history"][0]["date"].startswith("2017-10")
    assert {e["date"] for e in un["history"] if e["kind"] == "vote"} >= {"2019-11-18", "2019-12-27"}
    sessions = [e for e in un["history"] if e["kind"] == "negotiation_session"]
    assert len(sessions) >= 8 and all(e["place"] in ("New York", "Vienna") for e in sessions)
    assert "adoption" in kinds and "signature" in kinds
    ero = by_slug["hk-emergency-regulations-ordinance"]
    assert ero["kind"] == "emergency_power"
    assert any(
        e["kind"] == "threatened_use" and e["date"].startswith("2019-08") for e in ero["history"]
    )
    responses = {(r["company"], r["response"]) for r in data["responses"]}
    assert {("Facebook", "pause"), ("Twitter", "pause"), ("Google", "pause")} <= responses
    letters = {s["slug"]: s for s in data["statements"]}
    keepiton = letters["keepiton-hong-kong-2019"]
    assert len(keepiton["signatories"]) == 12 and keepiton["jurisdictions"] == ["HK"]
    assert "Access Now" in [s["name"] for s in keepiton["signatories"]]
    joint = letters["un-cybercrime-amend-or-reject-2024"]
    assert len(joint["demands"]) == 6 and len(joint["signatories"]) > 100


def test_load_demo_is_one_command_and_idempotent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    runner = CliRunner()
    first = runner.invoke(app, ["policy", "load-demo", "--db", db])
    assert first.exit_code == 0, first.output
    assert "statements: created 3" in first.output
    again = runner.invoke(app, ["policy", "load-demo", "--db", db])
    assert again.exit_code == 0 and "statements: created 0, updated 0, unchanged 3" in again.output
    listed = runner.invoke(
        app, ["policy", "list", "statements", "--jurisdiction", "HK", "--db", db]
    )
    assert "#KeepItOn" in listed.output and "12 signatories" in listed.output


def test_demo_loads_through_the_repository(policy: Policy, admin: Actor) -> None:
    summary = policy.load_demo(admin)
    assert summary.created == {"instruments": 4, "responses": 7, "figures": 5, "statements": 3}
    hk = policy.list_instruments(public=True, jurisdiction="HK")
    assert {i.slug for i in hk} == {
        "hk-emergency-regulations-ordinance",
        "hk-national-security-law",
    }
