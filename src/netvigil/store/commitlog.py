"""The embedded store's commit log, its commit lock and the leases of live writers.

Why these three (the concurrency design of docs/store.md):

- ``_commits.jsonl``: one line per commit naming the files it adds (and drops), with a ``seq``
  that only grows. The line is the commit point; readers take the log's word for what exists.
  Each process reads it incrementally (:class:`LogState`), so catching up with what other writers
  committed costs only the new lines.
- ``.lock``: held (``flock``) only around a commit, never while a writer analyzes or stages. A
  writer waits for it at most ``timeout`` seconds, then fails with a message naming the holder.
- ``_writers/<id>.lock``: each writer holds its own lease for its whole life. Cleanup (under the
  commit lock) removes only the staged files of writers whose lease nobody holds any more, so a
  writer starting up never deletes a live writer's work.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from netvigil._errors import StoreError

COMMIT_LOG = "_commits.jsonl"
LOCK_FILE = ".lock"
WRITERS = "_writers"
DEFAULT_LOCK_TIMEOUT = 60.0  # seconds a writer waits for a commit of another writer


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Commit:
    """One line of the log."""

    seq: int
    batch: str
    files: tuple[str, ...]
    drops: tuple[str, ...]
    rows: dict[str, int]
    at: float  # wall-clock seconds (time.time()) of the commit


class LogState:
    """What the commit log says, read incrementally (complete lines only).

    A line still being appended by another writer, or torn by a crash, has no newline yet: it is
    not read, and ``offset`` stays before it.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / COMMIT_LOG
        self.offset = 0
        self.seq = 0
        self.lines = 0
        self.files: dict[str, int] = {}  # every file ever committed -> seq of its commit
        self.dropped: set[str] = set()
        self.at: dict[int, float] = {}  # seq -> commit time
        self.rows: dict[int, dict[str, int]] = {}  # seq -> rows per tier (the verdict feed)

    def refresh(self) -> list[Commit]:
        """Read the lines appended since the last call; returns them."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        new = [self._take(orjson.loads(line)) for line in data[:end].splitlines() if line]
        self.offset += end
        return new

    def _take(self, record: dict[str, Any]) -> Commit:
        self.lines += 1
        # Lines written before netvigil 0.2 carry no seq: their position in the log is theirs.
        seq = int(record.get("seq", self.lines))
        commit = Commit(
            seq=seq,
            batch=str(record.get("batch", "")),
            files=tuple(record.get("files", ())),
            drops=tuple(record.get("drops", ())),
            rows=dict(record.get("rows", {})),
            at=float(record.get("at", 0.0)),
        )
        self.seq = max(self.seq, seq)
        self.at[seq] = commit.at
        self.rows[seq] = commit.rows
        for name in commit.files:
            self.files[name] = seq
        self.dropped.update(commit.drops)
        return commit

    def live(self, prefix: str) -> dict[str, int]:
        """Committed, not dropped files under ``prefix`` (store-relative) -> their seq."""
        return {
            f: s for f, s in self.files.items() if f.startswith(prefix) and f not in self.dropped
        }

    def append(self, record: dict[str, Any]) -> Commit:
        """Append one commit line (the caller holds the commit lock and has just refreshed).

        Bytes after the last complete line can only be a line torn by a crashed writer (nobody
        else appends while we hold the lock): they are cut off first.
        """
        line = orjson.dumps({"seq": self.seq + 1, **record}) + b"\n"
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size != self.offset:
                os.ftruncate(fd, self.offset)
            os.pwrite(fd, line, self.offset)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)
        self.offset += len(line)
        return self._take(orjson.loads(line))

    def repair(self) -> None:
        """Cut a torn last line off the log (caller holds the commit lock, has refreshed)."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size > self.offset:
            with open(self.path, "r+b") as fh:
                fh.truncate(self.offset)
                fh.flush()
                os.fsync(fh.fileno())


@contextmanager
def commit_lock(root: Path, timeout: float) -> Iterator[None]:
    """Hold the store's commit lock; wait at most ``timeout`` seconds for it."""
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        pause = 0.002
        seen = b""
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # The timeout is for one holder: when the lock changed hands meanwhile (each
                # taking writes a new stamp), others are making progress and the wait goes on
                # (many short holders, as chdb's per-operation engine, must not starve a waiter).
                stamp = os.pread(fd, 64, 0)
                if stamp != seen:
                    seen, deadline = stamp, time.monotonic() + timeout
                if time.monotonic() >= deadline:
                    holder = (stamp.decode(errors="replace").split() or ["?"])[0]
                    raise StoreError(
                        f"store {root}: another writer (pid {holder}) has held the commit lock"
                        f" for more than {timeout:g} s",
                        hint="try again when it has finished, or raise store_lock_timeout",
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        try:
            os.ftruncate(fd, 0)
            # who holds it (for the message), and since when (a new stamp for each taking)
            os.pwrite(fd, f"{os.getpid()} {time.monotonic_ns()}\n".encode(), 0)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class WriterLease:
    """A writer's claim on its staging area: a lock file it holds (``flock``) while it lives.

    The file appears under its final name already locked (created under a hidden name, locked,
    then renamed), so nobody can take a starting writer for a dead one.
    """

    def __init__(self, root: Path) -> None:
        folder = root / WRITERS
        folder.mkdir(exist_ok=True)
        self.id = secrets.token_hex(6)
        hidden = folder / f".{self.id}.tmp"
        self._fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.write(self._fd, f"{os.getpid()}\n".encode())
        os.replace(hidden, folder / f"{self.id}.lock")

    def release(self, root: Path) -> None:
        if self._fd < 0:
            return
        (root / WRITERS / f"{self.id}.lock").unlink(missing_ok=True)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = -1


def writer_alive(root: Path, writer: str) -> bool:
    """Whether the writer ``writer`` still holds its lease."""
    try:
        fd = os.open(root / WRITERS / f"{writer}.lock", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def dead_writers(root: Path) -> Iterator[str]:
    """Writers whose lease nobody holds; their lease file is removed after the caller is done
    with each one (the caller holds the commit lock)."""
    folder = root / WRITERS
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        fd = os.open(entry, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # alive (or starting: its hidden file is locked from the start)
            if entry.name.endswith(".lock"):
                yield entry.name.removesuffix(".lock")
            entry.unlink(missing_ok=True)
        finally:
            os.close(fd)
