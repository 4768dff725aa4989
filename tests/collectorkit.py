"""A real collector for tests: ``python -m netvigil collector`` (uvicorn) on 127.0.0.1.

Started as its own process (so that a test can kill -9 it), with its own data dir and store;
``wait_*`` helpers wait on state (the store's contents, a port answering), never on time alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from nvtest import SHARED_DATA

STATE_TIMEOUT = 120.0  # s: only a bound on a wait for state, never a measured duration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, timeout: float = STATE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class CollectorProcess:
    data_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)  # more options of `netvigil collector`
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self) -> Path:
        return self.data_dir / "store"

    @property
    def journal(self) -> Path:
        return self.data_dir / "collector" / "journal"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
        env.update(
            NETVIGIL_DATA_DIR=str(self.data_dir),
            NETVIGIL_COLLECTOR__TEST_LISTS=str(SHARED_DATA / "ooni" / "test-lists"),
            NETVIGIL_COLLECTOR__DRAIN_DELAY="0.05",
            NETVIGIL_COLLECTOR__WEB_CONNECTIVITY_HELPERS='["https://th.example.org"]',
        )
        env.update(self.env)
        return env

    def start(self) -> CollectorProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.data_dir / f"collector-{self.port}.log"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "netvigil",
                    "collector",
                    "--port",
                    str(self.port),
                    *self.args,
                ],
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill -9 takes the drainer too
            )
        wait_for(self._answers, f"the collector on port {self.port}")
        return self

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            text = self.log.read_text() if self.log else ""
            raise AssertionError(f"the collector exited ({self.proc.returncode}): {text[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill9(self) -> None:
        """SIGKILL the collector and its drainer (its whole process group), at once."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)

    def stored_uids(self) -> list[str]:
        """measurement_uid of every raw-tier row (with repeats, if any were stored twice)."""
        from netvigil.store import open_store

        if not (self.store / "_commits.jsonl").exists():
            return []
        store = open_store(self.store, writable=False)
        try:
            con = store.connect()  # type: ignore[attr-defined]
            rows = con.execute("select measurement_uid from raw").fetchall()
            con.close()
        finally:
            store.close()
        return [r[0] for r in rows]

    def raw_lines(self) -> dict[str, bytes]:
        from netvigil.store import open_store

        store = open_store(self.store, writable=False)
        try:
            con = store.connect()  # type: ignore[attr-defined]
            rows = con.execute("select measurement_uid, line from raw").fetchall()
            con.close()
        finally:
            store.close()
        return {uid: bytes(line) for uid, line in rows}

    def wait_stored(self, uids: set[str]) -> None:
        wait_for(lambda: uids <= set(self.stored_uids()), f"{len(uids)} measurements stored")


def fixture_measurement(name: str = "dnsBlockingNXDOMAIN") -> dict[str, Any]:
    path = SHARED_DATA / "ooni" / "probecli_minipipeline" / "generated" / name / "measurement.json"
    value: dict[str, Any] = orjson.loads(path.read_bytes())
    return value


def open_report(client: httpx.Client, m: dict[str, Any], **changes: Any) -> httpx.Response:
    body = {
        "data_format_version": "0.2.0",
        "format": "json",
        "probe_asn": m["probe_asn"],
        "probe_cc": m["probe_cc"],
        "software_name": "ooniprobe-cli",
        "software_version": "3.20.0",
        "test_name": m["test_name"],
        "test_version": m["test_version"],
        **changes,
    }
    return client.post("/report", json=body)


def submission(m: dict[str, Any]) -> bytes:
    return b'{"format":"json","content":' + orjson.dumps(m) + b"}"
