"""Evidence an editor brings: uploaded documents, stored by content, and measurement ids, checked
against the analytical store.

**Documents** are stored content-addressed under ``<data_dir>/evidence/<aa>/<sha256>`` (written to
a temporary file, fsynced, renamed: a crash leaves no half file under a real name, and the same
document uploaded twice is stored once). Uploads above the size cap are refused while they are
read, and only the types listed in :data:`ALLOWED_TYPES` are kept, recognised from their bytes
(the ``filetype`` library), never from the name or the browser's word: an HTML or script file
renamed ``.pdf`` is refused.

**Measurements**: the uid must be in the analytical store (``netvigil.store.open_store``); the
verdict found there is recorded with the evidence, so the public page shows what the measurement
says without reaching into the store.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netvigil._errors import InputError
from netvigil._files import private_dir

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Media types kept: documents and images people attach to shutdown reports (orders, screenshots,
# statements), and plain text / CSV. Anything a browser would run is refused.
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "text/plain": "plain text",
}
_SHA256_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    path: Path


def _media_type(head: bytes) -> str | None:
    import filetype

    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    # filetype knows binary formats only: text is UTF-8 without NUL bytes, and not markup.
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return None
        text = head[: exc.start].decode("utf-8")
    if "\x00" in text:
        return None
    if text.lstrip()[:1] == "<":  # HTML/SVG/XML: would run in a browser
        return None
    return "text/plain"


def is_sha256(value: str) -> bool:
    return len(value) == 64 and set(value) <= _SHA256_HEX


class EvidenceFiles:
    """Content-addressed document storage under ``root`` with a size cap per file."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path_of(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise InputError("expected 64 lower-case hex digits", field="sha256")
        return self.root / sha256[:2] / sha256

    def save(self, chunks: Iterable[bytes], filename: str) -> StoredFile:
        """Store the bytes; InputError (naming the file) when too big or of a refused type."""
        private_dir(self.root)  # documents may name sources: owner-only (audit M8)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise InputError(
                            f"is larger than the {self.max_bytes // (1024 * 1024)} MiB limit",
                            path=filename,
                        )
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise InputError("is empty", path=filename)
            media_type = _media_type(head)
            if media_type not in ALLOWED_TYPES:
                allowed = ", ".join(ALLOWED_TYPES.values())
                found = f" (looks like {media_type})" if media_type else ""
                raise InputError(
                    f"is not an accepted type{found}; accepted: {allowed}", path=filename
                )
            sha = digest.hexdigest()
            final = self.path_of(sha)
            private_dir(final.parent)
            if final.exists():
                tmp.unlink()
            else:
                os.replace(tmp, final)
                dir_fd = os.open(final.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            return StoredFile(sha, size, media_type, final)
        finally:
            if tmp.exists():
                tmp.unlink()


VERDICT_FIELDS = (
    "measurement_uid",
    "test_name",
    "input",
    "probe_cc",
    "probe_asn",
    "measurement_start_time",
    "outcome",
    "blocking",
    "blocking_detail",
    "rule_id",
    "rules_version",
)


def measurement_verdict(store_location: str | Path, uid: str) -> dict[str, Any]:
    """The verdict of measurement ``uid`` in the analytical store at ``store_location``;
    InputError when there is no store there or the uid is not in it."""
    from netvigil.store import open_store

    uid = uid.strip()
    root = Path(str(store_location).removeprefix("file://"))
    if not uid:
        raise InputError("a measurement id is required", field="value")
    embedded = ":" not in str(store_location).removeprefix("file://")
    if embedded and not root.is_dir():
        raise InputError(
            f"there is no analytical store at {root}, so measurement {uid!r} cannot be checked",
            field="value",
            hint="ingest the measurement first: netvigil ingest FILE",
        )
    with open_store(str(store_location), writable=False) as store:
        table = store.verdicts(columns=VERDICT_FIELDS, measurement_uids=[uid])
    row = table.to_pylist()[0] if table.num_rows else None
    if row is None:
        raise InputError(
            f"measurement {uid!r} is not in the analytical store ({root}): no verdict to attach",
            field="value",
            hint="check the id, or ingest the measurement first: netvigil ingest FILE",
        )
    return {k: (v.isoformat(sep=" ") if hasattr(v, "isoformat") else v) for k, v in row.items()}


def event_snapshot(store_location: str | Path, event_id: str) -> dict[str, Any]:
    """The detected event ``event_id`` as the store holds it (its public JSON), to attach as
    evidence; InputError when there is no store there or no such event in it."""
    from netvigil.store import open_store

    event_id = event_id.strip()
    if not event_id:
        raise InputError("an event id is required", field="value")
    root = Path(str(store_location).removeprefix("file://"))
    embedded = ":" not in str(store_location).removeprefix("file://")
    if embedded and not root.is_dir():
        raise InputError(
            f"there is no analytical store at {root}, so event {event_id!r} cannot be checked",
            field="value",
        )
    with open_store(str(store_location), writable=False) as store:
        found = next((s.event for s in store.events().events if s.event.event_id == event_id), None)
    if found is None:
        raise InputError(
            f"event {event_id!r} is not in the analytical store ({root})",
            field="value",
            hint="copy the id from `netvigil detect --json` or the event's page",
        )
    return {"event_id": event_id, **found.to_json()}
