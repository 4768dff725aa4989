"""The lab's story, end to end: three censored networks, real probes uploading to the real
collector, the pipeline turning their verdicts into events. Checked on the store it leaves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netvigil.analysis.rules import LEGACY, WC
from netvigil.store import open_store
from storekit import env

pytestmark = pytest.mark.lab
NO_CONTROL = {WC.NO_CONTROL, WC.DNS_NO_CONTROL, LEGACY.CONTROL_UNREACHABLE}


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    work = tmp_path_factory.mktemp("observe") / "run"
    done = subprocess.run(
        [sys.executable, "-m", "netvigil", "lab", "observe", "--workdir", str(work), "--json"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return work, json.loads(done.stdout)


def test_each_step_produces_its_event_kind_and_entity_and_nothing_else(
    story: tuple[Path, list[dict[str, object]]],
) -> None:
    work, _ = story
    events = [e.event for e in open_store(work / "store", writable=False).events().events]
    live = {(e.kind, e.entity) for e in events if not e.retracted}
    assert live == {
        ("blocking", "country:XA/asn:AS64496/domain:news.lab.example"),  # a1: DNS spoofing
        ("blocking", "country:XA/asn:AS64496/service:signal"),  # a2: SNI reset of Signal
        ("platform_outage", "service:telegram"),  # b: down for everyone
        ("outage", "asn:AS64498"),  # c: network C shut down
        ("outage", "country:XC"),  # (network C is all of country XC)
    }
    by_key = {(e.kind, e.entity): e for e in events}
    assert by_key[("blocking", "country:XA/asn:AS64496/service:signal")].end is None  # ongoing
    assert by_key[("platform_outage", "service:telegram")].end is not None  # came back
    assert by_key[("outage", "asn:AS64498")].end is not None  # came back


def test_a_platform_down_for_everyone_is_no_censorship_in_any_network(
    story: tuple[Path, list[dict[str, object]]],
) -> None:
    work, _ = story
    store = open_store(work / "store", writable=False)
    every_version = [e.event for e in store.events().events]
    assert not [e for e in every_version if e.kind == "blocking" and "telegram" in e.entity]
    # every network did measure it down, with the control failing too (OONI's "website down")
    rows = store.verdicts(columns=["probe_cc", "domain", "blocking", "accessible"]).to_pylist()
    down = {r["probe_cc"] for r in rows if r["domain"] == "web.telegram.org"
            and r["blocking"] == "false" and r["accessible"] is False}  # fmt: skip
    assert down == {"XA", "XB", "XC"}


def test_the_shut_down_networks_spool_fills_the_gap(
    story: tuple[Path, list[dict[str, object]]],
) -> None:
    work, _ = story
    store = open_store(work / "store", writable=False)
    [outage] = [s.event for s in store.events().events if s.event.entity == "asn:AS64498"]
    assert outage.end is not None and not outage.retracted
    columns = ["probe_cc", "measurement_start_time", "outcome", "rule_id"]
    rows = store.verdicts(probe_cc="XC", since=outage.start, until=outage.end, columns=columns)
    gap = rows.to_pylist()
    assert gap, "the probe's measurements made during the shutdown reached the store"
    # made while cut off: neither the sites nor the test helper answered
    assert all(r["outcome"] == "failure" or r["rule_id"] in NO_CONTROL for r in gap)


def test_the_timeline_has_every_stage_of_every_step(
    story: tuple[Path, list[dict[str, object]]],
) -> None:
    _, timeline = story
    assert [s["step"] for s in timeline] == ["a1", "a2", "b", "c"]
    for step in timeline:
        delays = step["delays"]
        assert isinstance(delays, dict)
        assert all(delays[k] is not None for k in ("first_measurement", "verdict", "event"))
        assert step["event"] is not None and step["event"] >= step["t0"]  # type: ignore[operator]
