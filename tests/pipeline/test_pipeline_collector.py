"""`netvigil collector --pipeline`: measurements submitted over OONI's API become events, with no
other command run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from collectorkit import CollectorProcess, open_report, submission, wait_for
from netvigil.store import open_store
from pipelinekit import measurement


def test_the_collector_runs_the_pipeline_beside_it(tmp_path: Path) -> None:
    collector = CollectorProcess(
        tmp_path / "data",
        args=["--pipeline"],
        env={
            "NETVIGIL_PIPELINE__BIN_SECONDS": "1",
            "NETVIGIL_PIPELINE__GRACE_SECONDS": "0",
            "NETVIGIL_PIPELINE__VOLUME_WINDOW_SECONDS": "1",
            "NETVIGIL_PIPELINE__POLL_SECONDS": "0.2",
        },
    ).start()
    try:
        now = int(time.time())
        rows = [("dns" if b >= 3 else "ok", "A", b) for b in range(8)]
        rows += [("ok", "B", b) for b in range(8)]
        with httpx.Client(base_url=collector.url, timeout=30) as client:
            for serial, (kind, network, b) in enumerate(rows):
                m = json.loads(measurement(kind, network, "news.example", now - 30 + b, serial))
                opened = open_report(client, m)
                assert opened.status_code == 200, opened.text
                m["report_id"] = opened.json()["report_id"]
                done = client.post(f"/report/{m['report_id']}", content=submission(m))
                assert done.status_code == 200, done.text

        def blocked() -> bool:
            if not (collector.store / "_commits.jsonl").exists():
                return False
            events = open_store(collector.store, writable=False).events().events
            return any(e.event.kind == "blocking" for e in events)

        wait_for(blocked, "the pipeline's blocking event")
        stored = open_store(collector.store, writable=False).events().events
        # (the probes then fall silent: outages of both networks may follow; not this test's)
        [event] = [e.event for e in stored if e.event.kind == "blocking"]
        assert event.entity == "country:XA/asn:AS64496/domain:news.example"
        assert event.start.timestamp() == now - 30 + 3
    finally:
        collector.stop()
