"""Store-and-forward: every measurement is one JSONL line, on disk as soon as it is complete.

The file is opened (and proven writable) before any measuring starts. Each line goes out in a
single ``write(2)`` on an ``O_APPEND`` descriptor, so a kill -9 can lose at most the measurement in
flight, never a completed line or half of one; ``fsync`` then makes it survive a power cut too.
The spool is what ``netvigil ingest`` and later uploads read.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import orjson

from netvigil._errors import EnvironmentProblem


class Spool:
    """An append-only JSONL file of measurements."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot write measurements to {path}: {exc.strerror or exc}",
                hint="choose a writable file with --output FILE.jsonl or set NETVIGIL_PROBE__SPOOL",
            ) from exc
        if path.is_dir():
            os.close(self._fd)
            raise EnvironmentProblem(f"cannot write measurements to {path}: it is a directory")
        self.written = 0

    async def append(self, measurement: dict[str, Any]) -> None:
        line = orjson.dumps(measurement) + b"\n"
        try:
            done = os.write(self._fd, line)
            while done < len(line):  # a short write only happens on a full disk or a signal
                done += os.write(self._fd, line[done:])
            self.written += 1
            # fsync can take milliseconds; keep it off the event loop so sockets keep flowing.
            await asyncio.get_running_loop().run_in_executor(None, os.fsync, self._fd)
        except OSError as exc:  # a full disk or a failing device mid-run (audit L5)
            raise EnvironmentProblem(
                f"cannot write measurements to {self.path}: {exc.strerror or exc};"
                f" the {self.written} completed before are in it",
                hint="free space or choose another --output, then run the rest again",
            ) from exc

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
