"""Detected events become draft incidents with their evidence; a later event of the same entity
and time updates the draft instead of duplicating it; an editor merges, dismisses (audited,
with a reason) or takes it forward; evidence entered by hand is checked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from notifykit import (
    T0,
    ManualClock,
    blocking,
    editor,
    measurement,
    notifier,
    notify_settings,
    outage,
    run,
    store_with,
    tick_and_settle,
    upsert,
)

from netvigil._errors import InputError, UnknownEntityError
from netvigil.incidents import IncidentFilter, Tracker, private_dict
from netvigil.incidents.evidence import event_snapshot, measurement_verdict


def _drafts(tracker: Tracker) -> list[dict]:  # type: ignore[type-arg]
    rows = tracker.list_incidents(IncidentFilter(limit=None, canonical=False), public=False)
    return [private_dict(r) for r in rows]


def test_event_opens_a_draft_with_evidence_and_updates_it(tmp_path: Path) -> None:
    lines = [
        measurement(
            "dnsBlockingNXDOMAIN",
            cc="HK",
            asn="AS4760",
            url="https://lihkg.com/",
            when=T0 + dt.timedelta(minutes=m),
        )
        for m in (3, 9)
    ]
    url, verdicts = store_with(tmp_path / "store", lines, [blocking(start=T0)])
    settings = notify_settings(tmp_path)
    clock = ManualClock(T0 + dt.timedelta(minutes=10))
    with Tracker(settings.tracker_url) as tracker:
        n = notifier(settings, tracker, url, clock)
        report = run(tick_and_settle(n))
        assert report.drafts == {"created": 1}
        [draft] = _drafts(tracker)
        assert draft["status"] == "reported" and draft["event_entity"].endswith("lihkg.com")
        assert draft["country_code"] == "HK" and draft["outage"]["asns"] == [4760]
        assert draft["stop"]["shutdown_status"] == "Ongoing"
        kinds = sorted(e["kind"] for e in draft["evidence"])
        assert kinds == ["event", "measurement", "measurement"]
        uids = {e["value"] for e in draft["evidence"] if e["kind"] == "measurement"}
        assert uids == {v["measurement_uid"] for v in verdicts}
        assert all(e["verdict"]["outcome"] for e in draft["evidence"] if e["kind"] == "measurement")
        snapshot = next(e for e in draft["evidence"] if e["kind"] == "event")["verdict"]
        assert snapshot["score"] == 9.0 and snapshot["detector"] == "cusum"
        assert "impact" in snapshot and "measurement_counts" in snapshot
        with pytest.raises(UnknownEntityError):  # a draft is never public
            tracker.get_incident(draft["id"], public=True)

        # The same event ends: the draft is updated, not duplicated.
        clock.advance(3600)
        upsert(url, [blocking(start=T0, end=clock.now())])
        report = run(tick_and_settle(n))
        assert report.drafts == {"updated": 1}
        # Another event of the same entity overlapping it joins the same draft.
        upsert(url, [blocking(start=T0 + dt.timedelta(minutes=30), score=11.0)])
        report = run(tick_and_settle(n))
        assert report.drafts == {"updated": 1}
        [draft] = _drafts(tracker)
        assert sum(e["kind"] == "event" for e in draft["evidence"]) == 2
        assert draft["stop"]["shutdown_status"] == "Ongoing"  # one of its events still is
        # Nothing new: nothing written (the audit log does not grow).
        before = len(tracker.audit_entries(1000))
        run(tick_and_settle(n))
        assert len(tracker.audit_entries(1000)) == before
        # Both end: the draft ends at the later end.
        second_end = T0 + dt.timedelta(hours=2)
        upsert(url, [blocking(start=T0 + dt.timedelta(minutes=30), end=second_end, score=11.0)])
        run(tick_and_settle(n))
        [draft] = _drafts(tracker)
        assert draft["stop"]["shutdown_status"] == "Ended"
        assert draft["outage"]["end_at"].startswith("2024-06-04T14:00")
        # Another entity, or a time that does not overlap, is another draft.
        later = T0 + dt.timedelta(days=3)
        upsert(
            url, [outage("HK", start=T0), blocking(start=later, end=later + dt.timedelta(hours=1))]
        )
        run(tick_and_settle(n))
        assert len(_drafts(tracker)) == 3


def test_dismiss_merge_and_take_forward(tmp_path: Path) -> None:
    url, _ = store_with(
        tmp_path / "store",
        (),
        [
            blocking("lihkg.com", start=T0),
            blocking("hkcnews.com", start=T0),
            outage("HK", start=T0),
        ],
    )
    settings = notify_settings(tmp_path)
    with Tracker(settings.tracker_url) as tracker:
        run(tick_and_settle(notifier(settings, tracker, url, ManualClock(T0))))
        ids = {d["event_entity"].rpartition(":")[2]: d["id"] for d in _drafts(tracker)}
        a, b, c = ids["lihkg.com"], ids["hkcnews.com"], ids["HK"]
        ed = editor()
        with pytest.raises(InputError, match="say why"):
            tracker.dismiss(a, "  ", ed)
        tracker.dismiss(a, "a probe on a captive portal, not censorship", ed)
        entry = tracker.audit_entries(1)[0]
        assert (entry.action, entry.detail["to"], entry.detail["note"]) == (
            "status",
            "dismissed",
            "a probe on a captive portal, not censorship",
        )
        assert private_dict(tracker.get_incident(a, public=False))["dismissed_reason"]
        # A dismissed draft is not touched by later versions of its event.
        upsert(url, [blocking("lihkg.com", start=T0, end=T0 + dt.timedelta(hours=2))])
        report = run(tick_and_settle(notifier(settings, tracker, url, ManualClock(T0))))
        assert report.drafts == {"skipped": 1}
        # Merge b into c: c keeps both events, b is dismissed as merged.
        with pytest.raises(InputError, match="only open drafts"):
            tracker.merge_drafts(c, a, ed)
        merged = private_dict(tracker.merge_drafts(c, b, ed))
        assert sum(e["kind"] == "event" for e in merged["evidence"]) == 2
        assert private_dict(tracker.get_incident(b, public=False))["dismissed_reason"] == (
            f"merged into #{c}"
        )
        # Taken forward: corroborated, verified (by the editor), published by someone else.
        tracker.set_status(c, "corroborated", ed)
        tracker.set_status(c, "verified", ed)
        admin = tracker.create_user("admin@example.org", "admin-password", role="admin")
        assert tracker.set_status(c, "published", admin).status == "published"
        # Reopening a dismissed draft works; dismissing through set_status needs a reason.
        assert tracker.set_status(a, "reported", ed).status == "reported"
        with pytest.raises(InputError, match="say why"):
            tracker.set_status(a, "dismissed", ed)


def test_evidence_entered_by_hand_is_checked(tmp_path: Path) -> None:
    line = measurement(
        "dnsBlockingNXDOMAIN", cc="HK", asn="AS4760", url="https://lihkg.com/", when=T0
    )
    event = blocking(start=T0)
    url, [verdict] = store_with(tmp_path / "store", [line], [event])
    uid = verdict["measurement_uid"]
    assert measurement_verdict(url, uid)["outcome"] == verdict["outcome"]
    with pytest.raises(InputError, match="is not in the analytical store"):
        measurement_verdict(url, "20240604T120000Z_webconnectivity_HK_4760_n1_madeup")
    assert event_snapshot(url, event.event_id)["entity"] == event.entity
    with pytest.raises(InputError, match="is not in the analytical store"):
        event_snapshot(url, "cusum:country:HK:blocking:0")
    settings = notify_settings(tmp_path)
    with Tracker(settings.tracker_url) as tracker:
        ed = editor()
        inc = tracker.create_incident({"country": "HK", "start_date": "2024-06-04"}, ed)
        for bad in ("javascript:alert(1)", "ftp://x.org/a", "lihkg.com", "https://", "http://a b/"):
            with pytest.raises(InputError) as info:
                tracker.attach_evidence(inc.id, "url", bad, ed)
            assert info.value.field == "value"
        tracker.attach_evidence(inc.id, "url", "https://www.hkcnews.com/article/1", ed)
        with pytest.raises(InputError, match="was not checked"):
            tracker.attach_evidence(inc.id, "measurement", uid, ed)  # without its verdict
