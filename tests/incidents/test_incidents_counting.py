"""One record set, three conventions: STOP incidents, Cloudflare outages, IODA events.
Also: list/get load a fixed number of queries whatever the page size (no N+1)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import event
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.incidents import Actor, IncidentFilter, Tracker
from netvigil.incidents.counting import episode_hours, stop_days


def _publish(tracker: Tracker, admin: Actor, **fields: Any) -> int:
    inc = tracker.create_incident(fields, admin)
    for status in ("corroborated", "verified"):  # four eyes: another verifies
        tracker.set_status(inc.id, status, Actor("verifier@example.org", "editor"))
    tracker.set_status(inc.id, "published", admin)
    return inc.id


def _scenario(tracker: Tracker, admin: Actor) -> tuple[int, int]:
    # One order, five districts (India, Manipur-style): 1 STOP incident, 5 outages, 5 events.
    order = _publish(
        tracker, admin, country="India", start_date="2023-05-03", end_date="2023-05-07"
    )
    for district in ("Imphal East", "Imphal West", "Bishnupur", "Thoubal", "Kakching"):
        tracker.add_episode(order, admin, area_name=district)
    # Exam-time shutdown: one national episode on 4 exam mornings: 1, 1, 4.
    exams = _publish(
        tracker, admin, country="Syria", start_date="2023-06-11", end_date="2023-06-14"
    )
    mornings = [(dt.date(2023, 6, d), dt.time(6), dt.time(10, 30)) for d in (11, 12, 13, 14)]
    tracker.add_episode(exams, admin, area_name="Syria", windows=mornings)
    return order, exams


def test_three_conventions(tracker: Tracker, people: dict[str, Actor]) -> None:
    order, exams = _scenario(tracker, people["admin"])
    assert tracker.stats("country") == {"India": 1, "Syria": 1}
    assert tracker.stats("country", convention="outages") == {"India": 5, "Syria": 1}
    assert tracker.stats("country", convention="events") == {"India": 5, "Syria": 4}
    syria = tracker.get_incident(exams, public=True)
    assert stop_days(syria) == 4  # 11th to 14th, both ends included
    assert episode_hours(syria.episodes[0]) == 4 * 4.5
    assert stop_days(tracker.get_incident(order, public=True)) == 5


def test_cli_count_option(tmp_path: Any) -> None:
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    with Tracker(db) as tracker:
        admin = tracker.create_user("a@example.org", "admin-password", role="admin")
        _scenario(tracker, admin)
    out = CliRunner().invoke(
        app, ["incidents", "stats", "--by", "year", "--count", "events", "--json", "--db", db]
    )
    assert out.exit_code == 0 and json.loads(out.output) == {"2023": 9}


def test_list_and_get_use_a_fixed_number_of_queries(
    tracker: Tracker, people: dict[str, Actor]
) -> None:
    admin = people["admin"]
    for n in range(12):
        inc_id = _publish(tracker, admin, country="Iraq", start_date=f"2024-06-{n + 1:02d}")
        tracker.add_episode(
            inc_id,
            admin,
            area_name="Baghdad",
            windows=[(dt.date(2024, 6, n + 1), dt.time(6), dt.time(8))],
        )
        tracker.attach_evidence(inc_id, "url", f"https://example.org/{n}", admin)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(tracker.engine, "before_cursor_execute", count)
    try:
        few = tracker.list_incidents(IncidentFilter(limit=2), public=True)
        n_few = len(statements)
        statements.clear()
        many = tracker.list_incidents(IncidentFilter(limit=12), public=True)
        n_many = len(statements)
        statements.clear()
        tracker.get_incident(many[0].id, public=True)
        n_get = len(statements)
    finally:
        event.remove(tracker.engine, "before_cursor_execute", count)
    assert len(few) == 2 and len(many) == 12
    assert n_few == n_many <= 6 and n_get <= 6
    assert many[5].episodes[0].windows[0].start_time == dt.time(6)  # loaded, session closed
