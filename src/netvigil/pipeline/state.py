"""The pipeline's state on disk: its cursor in the store, the detectors, their checkpoints.

One file per store (``<state_dir>/<hash of the store URL>.state``), replaced atomically (written
beside, fsynced, renamed, directory fsynced) after the tick's signals and events are in the store.
So a ``kill -9`` at any moment leaves either the previous state or the new one: with the previous
one the next tick does the same work again, and the store drops what it already holds (the same
signal source replaced, the same event versions not written twice). Nothing acknowledged is lost
because the state never runs ahead of the store.

A lock (``flock`` on ``<hash>.lock``, held for the pipeline's life) keeps a second pipeline off
the same store: it stops with a clear error instead of doing the same work twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

import msgspec

from netvigil._errors import EnvironmentProblem, StoreError

FORMAT = 1


class Checkpoint(msgspec.Struct):
    """The detectors' state before the bin ``at`` was stepped (``detect.live.dumps``)."""

    at: int
    live: bytes


class PipelineState(msgspec.Struct):
    """What the pipeline remembers between ticks (see docs/pipeline.md)."""

    format: int
    store: str  # the store URL as printed (no password), to say which store this is about
    bin: int  # seconds; a state is only ever used with the bin width it was built with
    window: int  # bins per volume window
    cursor: int = 0  # the verdict feed's cursor: every commit up to it has been read
    generation: str | None = None  # the verdict tier's generation at the cursor
    stepped: int = 0  # the next bin to step (every bin before it has been stepped)
    live: bytes = b""  # detect.live state after the bins before ``stepped``
    checkpoints: list[Checkpoint] = []  # oldest first: where a replay of late data starts


def state_paths(state_dir: Path, store_url: str) -> tuple[Path, Path]:
    name = hashlib.sha256(store_url.encode()).hexdigest()[:16]
    return state_dir / f"{name}.state", state_dir / f"{name}.lock"


class StateFile:
    """The state file of one store, locked for this process's life."""

    def __init__(self, state_dir: Path, store_url: str) -> None:
        self.path, lock = state_paths(state_dir, store_url)
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot write pipeline state in {state_dir}: {exc}") from exc
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(self._fd)
            raise StoreError(
                f"another pipeline (pid {holder}) is already running on this store",
                hint=f"stop it first; its lock is {lock}",
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def load(self) -> PipelineState | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            state = msgspec.msgpack.decode(data, type=PipelineState)
        except msgspec.DecodeError as exc:
            raise StoreError(
                f"pipeline state {self.path} is not readable: {exc}",
                hint="remove it: the pipeline then starts again from the last day of data",
            ) from exc
        return state if state.format == FORMAT else None

    def save(self, state: PipelineState) -> None:
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(msgspec.msgpack.encode(state))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
