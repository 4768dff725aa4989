"""Where measurements come from: files and directory trees, read as numbered lines.

Accepted inputs: OONI JSONL (``.jsonl``, ``.json`` lines, the probe's spool), gzip-compressed
JSONL (``.jsonl.gz``, ``.gz``), OONI's S3 archive layout (``raw/YYYYMMDD/HH/CC/<test>/*.jsonl.gz``,
walked in sorted order) and single pretty-printed JSON documents (``.json``/``.jsonc``, with
``//`` comment lines stripped). Reading is streaming: a line at a time, never a whole JSONL file.

A damaged file is data, not a crash: a gzip stream cut in the middle (EOFError / zlib.error)
keeps every line read before the cut and reports the cut as a bad line.

This is netvigil's one measurement reader: ``ingest`` parses the lines in its workers with
:func:`parse_line`, ``netvigil verdict`` reads whole files with :func:`read_measurements`.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
from isal import isal_zlib

from netvigil._errors import InputError

_MEASUREMENT_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".jsonc", ".gz")
# A single JSON document bigger than this is not a measurement (the largest OONI ones are a few MB).
MAX_DOCUMENT_BYTES = 64 << 20
# A line longer than this is reported and skipped without being held whole (security audit L6: a
# 100 MB line used to be stored, at 5x its size in memory).
MAX_LINE_BYTES = 64 << 20
_OVERLONG = f"line longer than {MAX_LINE_BYTES} bytes: not a measurement, skipped"
# A plain JSONL file bigger than this (e.g. a long-running probe's spool) is cut into line-aligned
# spans so that several workers share it; gzip streams cannot be entered in the middle.
SPLIT_BYTES = 32 << 20
_GZ_BLOCK = 256 << 10


@dataclass(frozen=True)
class Line:
    """One candidate measurement: its bytes and where it came from."""

    number: int  # 1-based line number (for a single JSON document: 1)
    data: bytes
    complete: bool  # False: the file ended without a newline after it (maybe truncated)


@dataclass(frozen=True)
class Damage:
    """Part of a file that could not be read (reported as ``file:line: reason``)."""

    number: int
    reason: str


@dataclass(frozen=True)
class Span:
    """A line-aligned byte range ``[start, end)`` of a plain JSONL file."""

    path: Path
    start: int
    end: int
    first_line: int  # number of the span's first line in the file
    last: bool  # the span ends the file


def split(path: Path, parts: int) -> list[Span] | None:
    """Cut a big plain JSONL file into about ``parts`` spans; None when it is not worth it."""
    size = path.stat().st_size
    if parts < 2 or size < SPLIT_BYTES or path.name.endswith((".gz", ".jsonc")):
        return None
    with open(path, "rb") as fh:
        if _is_document(path, fh.read(4096)):
            return None
        count = max(2, min(parts * 4, size // (SPLIT_BYTES // 4)))
        cuts = [0]
        for k in range(1, count):
            fh.seek(k * size // count)
            fh.readline()  # move to the start of the next line
            if cuts[-1] < fh.tell() < size:
                cuts.append(fh.tell())
        cuts.append(size)
        spans, line = [], 1
        for start, end in pairwise(cuts):
            spans.append(Span(path, start, end, line, end == size))
            fh.seek(start)
            remaining = end - start
            while remaining:  # line numbers of later spans: count the newlines before them
                block = fh.read(min(remaining, 16 << 20))
                line += block.count(b"\n")
                remaining -= len(block)
    return spans


def read_span(span: Span) -> Iterator[Line | Damage]:
    """The lines of one span of a plain JSONL file."""
    number, position = span.first_line - 1, span.start
    try:
        with open(span.path, "rb") as fh:
            fh.seek(span.start)
            while position < span.end:
                raw = fh.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                position += len(raw)
                number += 1
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    position += _skip_line(fh)
                    yield Damage(number, _OVERLONG)
                    continue
                data = raw.strip()
                if data:
                    yield Line(number, data, raw.endswith(b"\n"))
    except OSError as exc:
        yield Damage(number + 1, f"cannot read: {exc}")


@dataclass(frozen=True)
class Parsed:
    """One line parsed: its JSON value, or why it is not JSON (``value`` is then None)."""

    number: int
    value: Any
    problem: str | None


def parse_line(line: Line) -> Parsed:
    try:
        return Parsed(line.number, orjson.loads(line.data), None)
    except orjson.JSONDecodeError as exc:
        if not line.complete:
            return Parsed(line.number, None, f"truncated line (file ends without a newline): {exc}")
        return Parsed(line.number, None, f"invalid JSON: {exc}")


def read_measurements(path: Path) -> Iterator[Parsed | Damage]:
    """Each line of a file parsed, in order, then a Damage if the file is cut or unreadable."""
    for item in read_lines(path):
        yield item if isinstance(item, Damage) else parse_line(item)


def is_measurement_file(path: Path) -> bool:
    name = path.name
    return not name.startswith(".") and name.endswith(_MEASUREMENT_SUFFIXES)


def discover(paths: Iterable[Path]) -> list[Path]:
    """The measurement files named or contained (recursively, sorted) in ``paths``."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()  # S3 layout: day/hour/country/test order, deterministic
                # Regular files only: a FIFO or a device met in a tree would block the run or
                # never end (audit L6); a pipe is read only when named on the command line.
                found.extend(
                    Path(root) / f
                    for f in sorted(files)
                    if is_measurement_file(Path(f)) and (Path(root) / f).is_file()
                )
        elif path.is_file() or path.is_fifo():  # a pipe: `netvigil ingest <(zcat ...)`
            found.append(path)
        elif path.exists():
            raise InputError("not a regular file, a directory or a pipe", path=path)
        else:
            raise InputError("no such file or directory", path=path)
    return found


def not_measurement_documents(paths: Iterable[Path]) -> set[Path]:
    """The single-JSON-document files among ``paths`` that hold no measurement envelope.

    OONI's test fixtures keep ``analysis.json`` and ``observations.json`` beside each
    ``measurement.json``: a folder of them is skipped with one summary line rather than
    reported as hundreds of bad lines. A document is a measurement candidate when it is an
    object with ``test_name``, ``test_keys`` or ``measurement_start_time``; anything else (the
    pipeline's outputs, a bare ``test_keys``, a list) is not one.
    """
    skipped: set[Path] = set()
    for path in paths:
        if path.name.endswith(".gz") or not path.is_file():
            continue
        try:
            with open(path, "rb") as fh:
                if not _is_document(path, fh.peek(4096)[:4096]):
                    continue
                data = fh.read(MAX_DOCUMENT_BYTES + 1)
        except OSError:
            continue  # read_lines reports it
        if len(data) > MAX_DOCUMENT_BYTES:
            continue
        try:
            value = orjson.loads(_strip_comments(data))
        except orjson.JSONDecodeError:
            continue  # reported as invalid JSON, with its line
        if not isinstance(value, dict) or not _ENVELOPE_KEYS & value.keys():
            skipped.add(path)
    return skipped


_ENVELOPE_KEYS = frozenset({"test_name", "test_keys", "measurement_start_time"})


def _is_document(path: Path, head: bytes) -> bool:
    """A single (pretty-printed) JSON document rather than JSON lines."""
    if path.name.endswith(".jsonc"):
        return True
    if not path.name.endswith(".json"):
        return False
    first = head.lstrip()
    # One object per line starts with "{" and has its first newline after a closing brace.
    newline = first.find(b"\n")
    return first.startswith(b"{") and (newline == -1 or not first[:newline].rstrip().endswith(b"}"))


def _strip_comments(data: bytes) -> bytes:
    # JSONC as OONI's test data uses it: whole-line // comments only (a "//" inside a string,
    # as in every URL, must survive, so no inline stripping).
    return b"\n".join(ln for ln in data.split(b"\n") if not ln.lstrip().startswith(b"//"))


def read_lines(path: Path) -> Iterator[Line | Damage]:
    """The lines of one file, in order, then a Damage if the file is cut or unreadable."""
    gz = path.name.endswith(".gz")
    number = 0
    try:
        if gz:
            yield from _read_gz_lines(path)
            return
        with open(path, "rb") as fh:
            head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
            if not gz and _is_document(path, head):
                data = fh.read(MAX_DOCUMENT_BYTES + 1)
                if len(data) > MAX_DOCUMENT_BYTES:
                    yield Damage(1, f"JSON document larger than {MAX_DOCUMENT_BYTES} bytes")
                    return
                yield Line(1, _strip_comments(data), True)
                return
            while raw := fh.readline(MAX_LINE_BYTES + 1):
                number += 1
                complete = raw.endswith(b"\n")
                if len(raw) > MAX_LINE_BYTES and not complete:
                    _skip_line(fh)
                    yield Damage(number, _OVERLONG)
                    continue
                data = raw.strip()
                if data:
                    yield Line(number, data, complete)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Damage(number + 1, f"compressed stream cut or corrupt after line {number}: {exc}")
    except OSError as exc:
        yield Damage(number + 1, f"cannot read: {exc}")


def _skip_line(fh: Any) -> int:
    """Read past the rest of the current line in bounded pieces; returns the bytes skipped."""
    skipped = 0
    while piece := fh.readline(1 << 20):
        skipped += len(piece)
        if piece.endswith(b"\n"):
            break
    return skipped


def _read_gz_lines(path: Path) -> Iterator[Line | Damage]:
    """The lines of a gzip file (one or more members), then a Damage if it is cut or corrupt.

    Inflated with ISA-L (``isal``), about twice as fast as zlib on OONI's files. ISA-L's
    decompressor cannot be copied, which the recovery of a corrupt stream needs, so on a corrupt
    byte the file is read again with zlib, from the first line not yet yielded.
    """
    yielded = 0
    for item in _gz_lines(path, isal_zlib):
        if isinstance(item, _Corrupt):
            break
        yielded += 1 if isinstance(item, Line) else 0
        yield item
    else:
        return
    for item in _gz_lines(path, zlib):
        if isinstance(item, Line) and item.number <= yielded:
            continue
        yield item.damage if isinstance(item, _Corrupt) else item


@dataclass(frozen=True)
class _Corrupt:
    damage: Damage


def _gz_lines(path: Path, inflate: Any) -> Iterator[Line | Damage | _Corrupt]:
    """The lines of a gzip file with ``inflate`` (a zlib-like module); a corrupt byte ends them
    with a :class:`_Corrupt`, a cut file or a read error with a :class:`Damage`.

    Why not ``gzip.open``: GzipFile reads through an 8 KB buffer, so a ~18 KB line costs several
    Python-level reads; decompressing 256 KB blocks and splitting them is ~15% cheaper. Every
    member's CRC and length are checked (wbits=31), and every complete line before a cut or a
    corrupt byte is yielded before the Damage.
    """
    number = 0
    stream = _GzStream(inflate)
    rest = b""
    overlong = False  # inside a line longer than MAX_LINE_BYTES: dropped until its newline
    error: Exception | None = None
    try:
        with open(path, "rb") as fh:
            block = fh.read(_GZ_BLOCK)
            while block and error is None:
                out, error = stream.feed(block)
                pieces = out.split(b"\n")
                if rest:  # only the first line of the block is joined (no copy of the block)
                    pieces[0] = rest + pieces[0]
                rest = pieces.pop()
                for raw in pieces:
                    number += 1
                    if overlong or len(raw) > MAX_LINE_BYTES:
                        overlong = False
                        yield Damage(number, _OVERLONG)
                        continue
                    data = raw.strip()
                    if data:
                        yield Line(number, data, True)
                if len(rest) > MAX_LINE_BYTES:
                    rest, overlong = b"", True
                block = fh.read(_GZ_BLOCK)
            if error is None and not stream.ended and fh.tell() > 0:  # empty file: no lines
                error = EOFError(
                    "Compressed file ended before the end-of-stream marker was reached"
                )
    except OSError as exc:
        yield Damage(number + 1, f"cannot read: {exc}")
        return
    if error is not None:
        reason = f"compressed stream cut or corrupt after line {number}: {error}"
        damage = Damage(number + 1, reason)
        yield damage if isinstance(error, EOFError) else _Corrupt(damage)
        return
    if overlong:
        yield Damage(number + 1, _OVERLONG)
        return
    data = rest.strip()
    if data:
        yield Line(number + 1, data, False)


class _GzStream:
    """Decompresses concatenated gzip members; on a corrupt byte, keeps what came before it."""

    def __init__(self, inflate: Any) -> None:
        self.inflate = inflate
        self.decompressor = inflate.decompressobj(wbits=31)
        self.ended = False  # the last member so far ended properly

    def feed(self, block: bytes) -> tuple[bytes, Exception | None]:
        saved = self.decompressor.copy() if hasattr(self.decompressor, "copy") else None
        out: list[bytes] = []
        try:
            self._feed(block, out)
            return b"".join(out), None
        except self.inflate.error as exc:
            if out or saved is None:  # keep what came before the corrupt member
                return b"".join(out), exc
            # Again in small steps from the state before the block, to keep every byte that
            # decompressed before the corrupt one (zlib drops a failed call's whole output).
            self.decompressor, out = saved, []
            for i in range(0, len(block), 1024):
                try:
                    self._feed(block[i : i + 1024], out)
                except self.inflate.error as exc:
                    return b"".join(out), exc
            return b"".join(out), None

    def _feed(self, data: bytes, out: list[bytes]) -> None:
        out.append(self.decompressor.decompress(data))
        while self.decompressor.eof:
            tail = self.decompressor.unused_data.lstrip(b"\0")  # zero padding, as gzip allows
            self.ended = True
            if not tail:
                break
            self.decompressor = self.inflate.decompressobj(wbits=31)  # the next member
            self.ended = False
            out.append(self.decompressor.decompress(tail))
