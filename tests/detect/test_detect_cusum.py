"""OONI's two-sided CUSUM (mu0 = 0, mu1 = 0.7, h = 7) on hand-computed series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netvigil.detect.blocking import blocking_events, cusum_changes

H = 3600


def test_blocking_began_after_eleven_blocked_hours() -> None:
    # One hour of a million OK measurements pins the running mean at ~0, so every blocked hour
    # (y = 1) adds 1 - 0 - 0.35 = 0.65 to s_pos: 10 hours give 6.5, 11 give 7.15 > h = 7.
    hours = [i * H for i in range(15)]
    ys = [0.0] + [1.0] * 14
    ws = [1e6] + [1.0] * 14
    [change] = cusum_changes(hours, ys, ws)
    assert change.began and change.hour == 11 * H
    assert change.onset == 1 * H  # the last hour s_pos was 0: the first blocked hour


def test_blocking_ended_after_eleven_ok_hours() -> None:
    # After the reset, a heavy blocked hour pins the mean at ~1; each OK hour adds ~0.65 to s_neg.
    hours = [i * H for i in range(40)]
    ys = [0.0] + [1.0] * 11 + [1.0] + [0.0] * 27
    ws = [1e6] + [1.0] * 11 + [1e6] + [1.0] * 27
    changes = cusum_changes(hours, ys, ws)
    assert [(c.began, c.hour // H) for c in changes] == [(True, 11), (False, 23)]


def test_stable_series_has_no_change() -> None:
    hours = [i * H for i in range(200)]
    assert cusum_changes(hours, [0.0] * 200, [5.0] * 200) == []
    assert cusum_changes(hours, [1.0] * 200, [5.0] * 200) == []


def test_blocking_events_per_cc_asn_domain_from_verdict_rows() -> None:
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    rows = []
    for hour in range(30):
        n = 1000 if hour == 0 else 1
        outcome = "ok" if hour == 0 else "confirmed"
        for k in range(n):
            rows.append(
                {
                    "measurement_start_time": t0 + timedelta(hours=hour, seconds=k % 3000),
                    "probe_cc": "IR",
                    "probe_asn": "AS197207",
                    "test_name": "web_connectivity",
                    "outcome": outcome,
                    "domain": "twitter.com",
                }
            )
    rows.append({**rows[-1], "outcome": "failure"})  # failures are not evidence
    [event] = blocking_events(rows)
    assert event.entity == "country:IR/asn:AS197207/domain:twitter.com"
    assert event.kind == "blocking" and event.end is None
    assert event.start == t0 + timedelta(hours=1)
    assert event.detected_at == t0 + timedelta(hours=11)
