"""Tor blocking becomes a blocking event, like any other service with its own test.

The reachable hours are OONI's own published tor measurements (ooni/spec ts-023 examples, judged
ok by OONI's fastpath and by us); the blocked hours are the obfs4-blocked fixture of the analysis
tests (bridges listed, none reachable). Both are re-dated into hours of one network, Iran's
AS197207 (the fixture's): the verdicts come from their test_keys, which are left as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest
from tests.conftest import shared_path
from typer.testing import CliRunner

from netvigil.analysis import verdict_of
from netvigil.cli.main import app
from netvigil.detect.blocking import blocking_events

FIXTURES = Path(__file__).parents[1] / "analysis" / "fixtures"
T0 = datetime(2024, 3, 1, tzinfo=UTC)
OK_HOURS, BLOCKED_HOURS, PER_HOUR = 72, 36, 2
TOR = "country:IR/asn:AS197207/service:tor"


def _reachable() -> list[dict[str, Any]]:
    """OONI's published tor examples whose verdict is ok (every target kind reached)."""
    lines = shared_path("ooni", "nettest_examples", "examples.jsonl").read_bytes().splitlines()
    found = [m for m in map(orjson.loads, lines) if m.get("test_name") == "tor"]
    ok = [m for m in found if verdict_of(m).outcome == "ok"]
    assert len(ok) >= 2, "the examples hold at least two reachable tor measurements"
    return ok


def _blocked() -> dict[str, Any]:
    doc = orjson.loads((FIXTURES / "tor_obfs4_blocked.json").read_bytes())
    measurement: dict[str, Any] = doc["measurement"]
    return measurement


def _series() -> list[dict[str, Any]]:
    """Three days of reachable Tor, then a day and a half of obfs4 bridges blocked."""
    reachable, blocked = _reachable(), _blocked()
    out = []
    for hour in range(OK_HOURS + BLOCKED_HOURS):
        for k in range(PER_HOUR):
            source = reachable[k % len(reachable)] if hour < OK_HOURS else blocked
            moment = T0 + timedelta(hours=hour, minutes=10 + 20 * k)
            out.append(
                {
                    **source,
                    "probe_cc": "IR",
                    "probe_asn": "AS197207",
                    "measurement_start_time": moment.strftime("%Y-%m-%d %H:%M:%S"),
                }
            )
    return out


def _rows(measurements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Verdict rows, as detection reads them from the store."""
    return [msgspec.structs.asdict(verdict_of(m)) for m in measurements]


def test_tor_blocking_verdicts_make_a_blocking_event() -> None:
    rows = _rows(_series())
    blocked = [r for r in rows if r["outcome"] == "anomaly"]
    assert {r["blocking_type"] for r in blocked} == {"tor_obfs4"}
    assert len(blocked) == BLOCKED_HOURS * PER_HOUR
    [event] = blocking_events(rows)
    assert event.entity == TOR and event.kind == "blocking"
    assert event.start == T0 + timedelta(hours=OK_HOURS)  # the first blocked hour
    assert event.end is None  # still blocked at the end of the series
    assert (
        T0 + timedelta(hours=OK_HOURS)
        < event.detected_at
        < T0 + timedelta(hours=OK_HOURS + BLOCKED_HOURS)
    )


def test_reachable_tor_makes_no_event() -> None:
    rows = _rows(_series()[: OK_HOURS * PER_HOUR])
    assert {r["outcome"] for r in rows} == {"ok"}
    assert blocking_events(rows) == []


def test_tor_blocking_event_through_ingest_and_detect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a user runs: ingest the measurements, then `netvigil detect` reports Tor blocked."""
    jsonl = tmp_path / "tor.jsonl"
    jsonl.write_bytes(b"".join(orjson.dumps(m) + b"\n" for m in _series()))
    monkeypatch.setenv("NETVIGIL_STORE", str(tmp_path / "store"))
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "--json", str(jsonl)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["detect", "--json"])
    assert result.exit_code == 0, result.output
    events = [orjson.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    tor = [e for e in events if e["entity"] == TOR]
    assert len(tor) == 1, events
    assert tor[0]["kind"] == "blocking" and tor[0]["end"] is None
    assert tor[0]["start"] == (T0 + timedelta(hours=OK_HOURS)).strftime("%Y-%m-%dT%H:%M:%SZ")
