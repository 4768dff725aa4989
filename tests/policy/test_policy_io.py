"""Import/export round trips for every record kind, in JSON and in CSV: what goes in comes out
the same, and importing an export into a fresh database recreates the same records."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from netvigil.incidents import Actor, Tracker
from netvigil.policy import io
from netvigil.policy.records import PolicyRecords
from netvigil.policy.repository import DEMO_DATA, Policy

KINDS = ("instruments", "responses", "figures", "statements")


def _only(records: PolicyRecords, kind: str) -> PolicyRecords:
    """The records of one kind (and the instruments the others cite, which they need)."""
    keep = {k: () for k in KINDS}
    keep[kind] = getattr(records, kind)
    if kind in ("responses", "statements"):
        keep["instruments"] = records.instruments
    return PolicyRecords(**keep)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_each_record_kind_round_trips(kind: str, fmt: str, tmp_path: Path) -> None:
    records = _only(io.read_json(DEMO_DATA), kind)
    assert getattr(records, kind), kind
    target = tmp_path / ("out.json" if fmt == "json" else "tables")
    if fmt == "json":
        io.write_json(records, target)
        back = io.read_json(target)
    else:
        io.write_csv_dir(records, target)
        back = io.read_csv_dir(target)
    assert back == records
    # The CSV tables carry the Chinese names as text a spreadsheet opens (UTF-8, with a BOM).
    if fmt == "csv" and kind == "statements":
        raw = (target / "statements.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and "連署信".encode() in raw


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_import_into_a_fresh_database_recreates_the_records(
    fmt: str, tracker: Tracker, admin: Actor, tmp_path: Path
) -> None:
    policy = Policy(tracker)
    policy.load_demo(admin)
    exported = policy.export_records(public=True)
    target = tmp_path / ("policy.json" if fmt == "json" else "tables")
    if fmt == "json":
        io.write_json(exported, target)
    else:
        io.write_csv_dir(exported, target)
    with Tracker(f"sqlite:///{tmp_path / 'fresh.sqlite'}") as fresh_tracker:
        fresh = Policy(fresh_tracker)
        summary = fresh.import_records(io.read_path(target), admin)
        assert summary.created == {"instruments": 4, "responses": 7, "figures": 5, "statements": 3}
        assert fresh.export_records(public=True) == exported
    # Importing the export back where it came from changes nothing.
    assert policy.import_records(io.read_path(target), admin).updated == {}


def test_export_matches_the_demo_file_record_for_record(policy: Policy, admin: Actor) -> None:
    policy.load_demo(admin)
    demo = json.loads(DEMO_DATA.read_text(encoding="utf-8"))
    exported = io.to_json(policy.export_records(public=True))
    by_slug = {r["slug"]: r for r in exported["statements"]}
    for original in demo["statements"]:
        again = by_slug[original["slug"]]
        assert [s["name"] for s in again["signatories"]] == [
            s["name"] for s in original["signatories"]
        ]
        assert [d["text_en"] for d in again["demands"]] == [
            d["text_en"] for d in original["demands"]
        ]


def test_figures_csv_with_one_source_for_the_whole_report(tmp_path: Path) -> None:
    path = tmp_path / "google-hk.csv"
    path.write_text(
        "company,jurisdiction,demand_kind,period_start,period_end,requests,accounts_specified,"
        "complied_share\nGoogle,HK,user_data,2014-01-01,2014-06-30,359,371,48%\n",
        encoding="utf-8",
    )
    records = io.read_figures_csv(path, "https://transparencyreport.google.com/user-data/overview")
    (figure,) = records.figures
    assert (figure.requests, figure.accounts_specified, figure.complied_share) == (359, 371, 48.0)
    assert figure.source_url.startswith("https://transparencyreport.google.com")
    assert dataclasses.replace(figure, requests=1) != figure
