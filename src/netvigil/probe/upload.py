"""Uploading the spool to a collector: OONI's retry rule, resumable, idempotent.

What is acknowledged is remembered in ``<spool>.upload/`` beside the spool (the spool itself is
never rewritten): ``acked.log`` has one line per spool line the collector took (``A offset uid``)
or refused for good (``X offset status field``), and one per report the uploader had to open
again (``R old new``); ``backoff.json`` holds the failed attempts and when to try next.

- **Retry rule** (OONI Probe's): a submission that fails on the network (or a 5xx) is retried at
  once, up to 3 times; then the upload stops and the next attempt waits ``upload_backoff``
  (15 minutes; lower only for tests), doubling after each failed attempt up to
  ``upload_backoff_max``. A 429 waits as long as the collector says. A success resets the
  back-off.
- **Idempotent**: the collector's uid is derived from the content, so a measurement sent twice
  (a crash after the collector's 200 and before ``A`` was written, or a line that is twice in
  the spool) is stored once.
- **Report ids**: a measurement made while the collector was out of reach carries a report id
  the collector never issued; it answers 404 (``report_id``), and, as OONI's spec asks, the
  uploader opens a new report and replaces the id in the measurement. The ``R`` line is fsync'd
  before the first submission under the new id, so a resumed upload sends the same bytes.
  Every other measurement is sent byte for byte as the spool holds it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from netvigil._errors import EnvironmentProblem
from netvigil.probe.services import ProbeServices, Refused, Throttled, Unreachable

IMMEDIATE_RETRIES = 3  # OONI Probe's immediate retries on network errors
MAX_THROTTLE_WAIT = 120.0  # s: a longer Retry-After ends the attempt (back-off instead)


@dataclass
class UploadReport:
    """What one attempt did, and what is left."""

    sent: int = 0
    refused: int = 0
    left: int = 0
    reopened: int = 0
    unreachable: str | None = None  # why the attempt stopped early
    next_attempt: float | None = None  # epoch seconds of the next automatic attempt
    problems: list[str] = field(default_factory=list)


def state_dir(spool: Path) -> Path:
    return spool.with_name(spool.name + ".upload")


class UploadState:
    """``<spool>.upload/``: what was acknowledged, reports opened again, the back-off."""

    def __init__(self, spool: Path) -> None:
        self.dir = state_dir(spool)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise EnvironmentProblem(
                f"another upload of {spool} is running", hint="wait for it to finish"
            ) from None
        self.done: dict[int, str] = {}  # spool offset -> uid (or "refused ...")
        self.reports: dict[str, str] = {}  # report id in the spool -> the one to use
        self._load()
        self._log = os.open(self.dir / "acked.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._unsynced = 0

    def _load(self) -> None:
        try:
            text = (self.dir / "acked.log").read_bytes()
        except FileNotFoundError:
            return
        for line in text.split(b"\n")[:-1]:  # a torn last line (no newline) is ignored
            parts = line.decode("utf-8", "replace").split(" ")
            if parts[0] == "A" and len(parts) >= 3:
                self.done[int(parts[1])] = parts[2]
            elif parts[0] == "X" and len(parts) >= 3:
                self.done[int(parts[1])] = "refused " + " ".join(parts[2:])
            elif parts[0] == "R" and len(parts) == 3:
                self.reports[parts[1]] = parts[2]

    def _append(self, line: str, *, sync: bool) -> None:
        os.write(self._log, (line + "\n").encode())
        self._unsynced += 1
        if sync or self._unsynced >= 100:
            self.sync()

    def sync(self) -> None:
        if self._unsynced:
            os.fsync(self._log)
            self._unsynced = 0

    def acknowledged(self, offset: int, uid: str) -> None:
        # Not synced each time: a lost ack only means sending it again, which stores nothing.
        self.done[offset] = uid
        self._append(f"A {offset} {uid}", sync=False)

    def refused(self, offset: int, status: int, field_name: str) -> None:
        self.done[offset] = f"refused {status} {field_name}"
        self._append(f"X {offset} {status} {field_name or '-'}", sync=False)

    def reopened(self, old: str, new: str) -> None:
        self.reports[old] = new
        self._append(f"R {old} {new}", sync=True)  # before any submission under the new id

    def backoff(self) -> dict[str, float]:
        try:
            found: dict[str, float] = orjson.loads((self.dir / "backoff.json").read_bytes())
            return found
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {"failures": 0, "next_attempt": 0.0}

    def set_backoff(self, failures: int, next_attempt: float) -> None:
        tmp = self.dir / "backoff.json.tmp"
        tmp.write_bytes(orjson.dumps({"failures": failures, "next_attempt": next_attempt}))
        os.replace(tmp, self.dir / "backoff.json")

    def close(self) -> None:
        self.sync()
        os.close(self._log)
        os.close(self._lock)


def spool_lines(spool: Path) -> Iterator[tuple[int, bytes]]:
    """(byte offset, line without newline) of every complete line of the spool."""
    if not spool.exists():
        return
    with open(spool, "rb") as fh:
        offset = 0
        for raw in fh:
            if not raw.endswith(b"\n"):
                break  # a line still being written (the probe appends whole lines)
            line = raw.rstrip(b"\r\n")
            if line.strip():
                yield offset, line
            offset += len(raw)


def pending(spool: Path, state: UploadState) -> list[tuple[int, bytes]]:
    return [(o, line) for o, line in spool_lines(spool) if o not in state.done]


def with_report_id(line: bytes, old: str, new: str) -> bytes:
    """``line`` with its report id replaced, every other byte kept where possible."""
    token = orjson.dumps({"report_id": old})[1:-1]  # "report_id":"<old>"
    if line.count(token) == 1:
        return line.replace(token, orjson.dumps({"report_id": new})[1:-1])
    m = orjson.loads(line)
    m["report_id"] = new
    return orjson.dumps(m)


class Uploader:
    """One upload attempt of a spool (see the module doc)."""

    def __init__(
        self,
        spool: Path,
        services: ProbeServices,
        state: UploadState,
        *,
        backoff: float,
        backoff_max: float,
        concurrency: int = 4,
        on_progress: Callable[[int, int], None] = lambda done, total: None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.spool = spool
        self.services = services
        self.state = state
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.concurrency = concurrency
        self.on_progress = on_progress
        self.sleep = sleep
        self.report = UploadReport()
        self._reopening: dict[str, asyncio.Lock] = {}

    async def run(self) -> UploadReport:
        todo = pending(self.spool, self.state)
        queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        done = 0
        stop = asyncio.Event()

        async def worker() -> None:
            nonlocal done
            while not queue.empty() and not stop.is_set():
                offset, line = queue.get_nowait()
                try:
                    await self._one(offset, line)
                except Unreachable as exc:
                    self.report.unreachable = str(exc)
                    stop.set()
                    return
                done += 1
                self.on_progress(done, len(todo))

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(todo)) or 1)))
        self.state.sync()
        self.report.left = len(pending(self.spool, self.state))
        failures = int(self.state.backoff().get("failures", 0))
        if self.report.unreachable is not None:
            wait = min(self.backoff * 2**failures, self.backoff_max)
            self.report.next_attempt = time.time() + wait
            self.state.set_backoff(failures + 1, self.report.next_attempt)
        elif failures or self.report.sent:
            self.state.set_backoff(0, 0.0)
        return self.report

    async def _one(self, offset: int, line: bytes) -> None:
        try:
            m = orjson.loads(line)
            old = m["report_id"]
            assert isinstance(old, str)
        except (orjson.JSONDecodeError, KeyError, TypeError, AssertionError):
            self.state.refused(offset, 0, "spool line")
            self.report.refused += 1
            self.report.problems.append(f"{self.spool}: byte {offset}: not a measurement")
            return
        content = line
        if old in self.state.reports:
            content = with_report_id(line, old, self.state.reports[old])
        try:
            uid = await self._submit(m, old, content)
        except Refused as exc:
            if exc.status == 404 and exc.field == "report_id" and old not in self.state.reports:
                new = await self._reopen(m, old)
                try:
                    uid = await self._submit(m, old, with_report_id(line, old, new))
                except Refused as again:
                    return self._refused(offset, again)
            else:
                return self._refused(offset, exc)
        self.state.acknowledged(offset, uid)
        self.report.sent += 1

    def _refused(self, offset: int, exc: Refused) -> None:
        self.state.refused(offset, exc.status, exc.field)
        self.report.refused += 1
        if len(self.report.problems) < 20:
            self.report.problems.append(f"{self.spool}: byte {offset}: {exc}")

    async def _reopen(self, m: dict[str, Any], old: str) -> str:
        """One new report per old report id, even with several workers at it."""
        lock = self._reopening.setdefault(old, asyncio.Lock())
        async with lock:
            if old not in self.state.reports:
                new = await self._retrying(lambda: self.services.open_report(m))
                self.state.reopened(old, new)
                self.report.reopened += 1
            return self.state.reports[old]

    async def _submit(self, m: dict[str, Any], old: str, content: bytes) -> str:
        report_id = self.state.reports.get(old, old)
        uid: str = await self._retrying(lambda: self.services.submit(report_id, content))
        return uid

    async def _retrying(self, call: Callable[[], Any]) -> Any:
        failures = 0
        while True:
            try:
                return await call()
            except Unreachable:
                failures += 1
                if failures > IMMEDIATE_RETRIES:
                    raise
            except Throttled as exc:
                if exc.retry_after > MAX_THROTTLE_WAIT:
                    raise Unreachable(str(exc)) from exc
                await self.sleep(exc.retry_after)


async def upload_spool(
    spool: Path,
    collector_url: str,
    *,
    timeout: float,
    backoff: float,
    backoff_max: float,
    concurrency: int = 4,
    respect_backoff: bool = False,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> UploadReport:
    """One attempt to send what the spool holds (see the module doc).

    ``respect_backoff``: do nothing before the time the last failed attempt set (scheduled
    runs); a person asking for an upload tries at once.
    """
    state = UploadState(spool)
    try:
        if respect_backoff:
            next_attempt = float(state.backoff().get("next_attempt", 0))
            if next_attempt > time.time():
                left = len(pending(spool, state))
                return UploadReport(left=left, next_attempt=next_attempt, unreachable="back-off")
        services = ProbeServices(collector_url, timeout)
        try:
            uploader = Uploader(
                spool,
                services,
                state,
                backoff=backoff,
                backoff_max=backoff_max,
                concurrency=concurrency,
                on_progress=on_progress,
            )
            return await uploader.run()
        finally:
            await services.close()
    finally:
        state.close()
