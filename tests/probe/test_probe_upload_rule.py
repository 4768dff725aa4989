"""OONI's retry rule, counted: 3 immediate retries on network errors, then a back-off of at least
15 minutes that doubles, reset by a success; a 429 waits as told. A scripted collector stands in
for the network here, so that every attempt can be counted."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from netvigil._settings import ProbeSettings
from netvigil.probe.services import Refused, Throttled, Unreachable
from netvigil.probe.upload import IMMEDIATE_RETRIES, Uploader, UploadState


class Scripted:
    """Answers each submit with the next item of ``script`` (an exception or 'ok')."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.calls: list[str] = []

    async def submit(self, report_id: str, content: bytes) -> str:
        self.calls.append(report_id)
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, Exception):
            raise step
        return f"uid-{len(self.calls)}"

    async def open_report(self, m: dict[str, Any]) -> str:
        self.calls.append("open")
        return "20240212T100000Z_webconnectivity_IT_137_n1_new"


def spool_of(tmp_path: Path, count: int) -> Path:
    spool = tmp_path / "spool.jsonl"
    lines = [
        orjson.dumps({"report_id": f"r{i}", "test_name": "web_connectivity"}) for i in range(count)
    ]
    spool.write_bytes(b"".join(line + b"\n" for line in lines))
    return spool


def attempt(spool: Path, service: Scripted, waits: list[float] | None = None) -> Any:
    state = UploadState(spool)

    async def sleep(seconds: float) -> None:
        (waits if waits is not None else []).append(seconds)

    try:
        uploader = Uploader(
            spool,
            service,
            state,
            backoff=900,
            backoff_max=6 * 3600,  # type: ignore[arg-type]
            concurrency=1,
            sleep=sleep,
        )
        return asyncio.run(uploader.run()), state.backoff()
    finally:
        state.close()


def test_three_immediate_retries_then_back_off_of_15_minutes_doubling(tmp_path: Path) -> None:
    assert ProbeSettings().upload_backoff == 900  # OONI's rule by default
    spool = spool_of(tmp_path, 3)
    service = Scripted([Unreachable("refused")] * 10)
    before = time.time()
    report, backoff = attempt(spool, service)
    assert len(service.calls) == 1 + IMMEDIATE_RETRIES == 4  # then the attempt stops
    assert report.sent == 0 and report.left == 3 and report.unreachable
    assert backoff["failures"] == 1 and backoff["next_attempt"] >= before + 900
    service.calls.clear()
    report, backoff = attempt(spool, service)
    assert len(service.calls) == 4
    assert backoff["failures"] == 2 and backoff["next_attempt"] >= before + 1800
    service.script = [Unreachable("reset"), Unreachable("reset")]  # two failures, then fine
    service.calls.clear()
    report, backoff = attempt(spool, service)
    assert report.sent == 3 and report.left == 0
    assert len(service.calls) == 2 + 3
    assert backoff == {"failures": 0, "next_attempt": 0.0}


def test_a_429_waits_as_told_and_a_4xx_is_not_retried(tmp_path: Path) -> None:
    spool = spool_of(tmp_path, 2)
    waits: list[float] = []
    service = Scripted([Throttled(7), Refused(400, "content.probe_cc", "differs"), "ok"])
    report, _ = attempt(spool, service, waits)
    assert waits == [7]
    assert report.refused == 1 and report.sent == 1 and report.left == 0
    assert len(service.calls) == 3
    assert "content.probe_cc" in report.problems[0]


def test_an_unknown_report_id_opens_one_new_report_per_old_one(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    lines = [
        orjson.dumps({"report_id": "mine", "test_name": "web_connectivity", "n": i})
        for i in range(3)
    ]
    spool.write_bytes(b"".join(line + b"\n" for line in lines))
    service = Scripted([Refused(404, "report_id", "unknown report id")])
    report, _ = attempt(spool, service)
    assert report.sent == 3 and report.reopened == 1
    assert service.calls.count("open") == 1
    assert (
        (tmp_path / "spool.jsonl.upload" / "acked.log")
        .read_text()
        .startswith("R mine 20240212T100000Z_webconnectivity_IT_137_n1_new\n")
    )


@pytest.mark.parametrize("text", ["15m", "900", "900s", "0.25h"])
def test_durations(text: str) -> None:
    from netvigil.probe.schedule import parse_duration

    assert parse_duration(text) == 900
