"""The intake journal: accepted measurements on disk, fsync'd, before the client hears 200.

Why a journal rather than a store commit per request: a commit writes three Parquet files and
takes the store's lock (milliseconds each), so a collector committing per request would accept a
few hundred measurements a second. Instead every accepted measurement is appended to a journal
file and the requests of the moment share one ``fdatasync`` (group commit): while one sync runs,
the next requests queue, and the following sync covers them all. A request is answered only after
the sync that covers it. A drainer process (``collector.drain``) then moves the journal into the
store in batches, through ingest's analysis, and the store drops what it already holds, so a
measurement journaled twice (a client retrying after a crash) is stored once.

Layout: ``<journal_dir>/<ns>-<pid>-<rand>.seg``, one file per writer process at a time (a new one
when it passes ``segment_bytes``), held with ``flock`` while its writer lives, so the drainer knows
a file is finished when it can lock it. Each record is a frame::

    b"NVJ1" | length (u32 LE) | crc32 of the payload (u32 LE) | payload (the measurement bytes)

A write that fails (disk full) is cut off again with ``ftruncate`` and its requests get a 503, so a
frame is either whole or at the end of the file (a crash in the middle of a write: the drainer
ignores a torn last frame, which no client was told was accepted).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import secrets
import struct
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"NVJ1"
HEADER = struct.Struct("<4sII")
SUFFIX = ".seg"


class JournalError(Exception):
    """The journal could not be written (the request is answered 503, nothing acknowledged)."""


def frame(payload: bytes) -> bytes:
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The appending side, used by one process (the collector's event loop)."""

    def __init__(self, directory: Path, segment_bytes: int = 64 << 20) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._fd = -1
        self._size = 0
        self._open_segment()
        # One thread does every write and sync, in order: the event loop never blocks on disk.
        self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._pending: list[bytes] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._flushing = False
        self._flusher: asyncio.Task[None] | None = None
        self.syncs = 0  # group commits done (the benchmark prints records per sync)
        self.records = 0

    def _open_segment(self) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # "being written": the drainer leaves its tail alone
        fsync_dir(self.directory)
        if self._fd >= 0:
            os.close(self._fd)  # releases the old segment's lock: it is finished
        self._fd, self._size = fd, 0

    async def append(self, payload: bytes) -> None:
        """Return once ``payload`` is on disk (fdatasync'd); JournalError if it cannot be."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._pending.append(frame(payload))
        self._waiters.append(waiter)
        if not self._flushing:
            self._flushing = True
            self._flusher = loop.create_task(self._flush())  # referenced: not collected early
        await waiter

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                data, waiters = b"".join(self._pending), self._waiters
                self._pending, self._waiters = [], []
                try:
                    await loop.run_in_executor(self._disk, self._write, data)
                except OSError as exc:
                    error = JournalError(f"cannot write the intake journal: {exc.strerror}")
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_exception(error)
                    continue
                self.syncs += 1
                self.records += len(waiters)
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
        finally:
            self._flushing = False

    def _write(self, data: bytes) -> None:
        try:
            view = memoryview(data)
            while view:
                done = os.write(self._fd, view)
                view = view[done:]
            os.fdatasync(self._fd)
        except OSError:
            os.ftruncate(self._fd, self._size)  # no partial frame before the next write
            raise
        self._size += len(data)
        if self._size >= self.segment_bytes:
            self._open_segment()

    def close(self) -> None:
        self._disk.shutdown(wait=True)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(frozen=True)
class Record:
    segment: str
    end: int  # offset just past this record's frame
    payload: bytes


@dataclass
class Scan:
    """What one read of a segment found."""

    records: list[Record]
    end: int  # where the next read starts (after the last whole frame, or skipped bytes)
    skipped: int = 0  # corrupt bytes passed over (a damaged disk block; never acknowledged data)


def segments(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob(f"*{SUFFIX}"))


def finished(path: Path) -> bool:
    """Whether no writer holds ``path`` any more (its writer rotated, exited or was killed)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also drops our shared lock
    return True


def scan(path: Path, start: int, limit: int, final: bool) -> Scan:
    """Whole frames of ``path`` from ``start``, up to ``limit`` records.

    ``final``: the writer is gone, so an incomplete frame at the end is a torn write (never
    acknowledged) and is passed over instead of waited for.
    """
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read()
    records: list[Record] = []
    at, skipped = 0, 0
    while len(records) < limit:
        if len(data) - at < HEADER.size:
            break
        magic, length, crc = HEADER.unpack_from(data, at)
        end = at + HEADER.size + length
        if magic == MAGIC and end <= len(data):
            payload = data[at + HEADER.size : end]
            if zlib.crc32(payload) == crc:
                records.append(Record(path.name, start + end, payload))
                at = end
                continue
        elif magic == MAGIC and not final:
            break  # the rest of this frame is still being written
        elif magic == MAGIC:
            break  # a torn last frame
        # A damaged frame: look for the next one.
        following = data.find(MAGIC, at + 1)
        if following < 0:
            if not final:
                break
            following = len(data)
        skipped += following - at
        at = following
    if final and len(records) < limit:
        at = max(at, len(data))  # nothing more will come: the torn tail is done with
    return Scan(records, start + at, skipped)


def iter_payloads(path: Path) -> Iterator[bytes]:
    """Every whole record of a segment (tests and tools)."""
    found = scan(path, 0, 1 << 62, final=True)
    for record in found.records:
        yield record.payload
