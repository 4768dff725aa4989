"""The append-only, hash-chained audit log.

Each entry's ``hash`` is SHA-256 over a canonical serialisation (JSON, sorted keys, no spaces,
UTF-8) of the entry's fields *including the previous entry's hash*, so changing, deleting or
reordering any entry breaks every link after it. ``seq`` counts 1, 2, 3... without gaps.
Truncating the newest entries leaves a valid shorter chain: compare ``verify(...).head`` with a
head hash kept elsewhere (``netvigil incidents audit verify --expect-head HASH``) to catch that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netvigil.incidents.model import AuditEntry

GENESIS = "0" * 64


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes that are hashed: every field but ``hash``, as canonical JSON."""
    body = {k: entry[k] for k in ("seq", "at", "actor", "action", "entity", "entity_id")}
    body["detail"] = entry["detail"]
    body["prev_hash"] = entry["prev_hash"]
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so what is hashed is exactly what the JSON column gives back.
    result: dict[str, Any] = json.loads(json.dumps(detail, default=str, ensure_ascii=False))
    return result


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add the next entry to the chain inside ``session``'s transaction (flushed, not committed).

    Two concurrent writers compute the same ``seq``; the loser fails on the primary key at
    commit and the repository retries its whole transaction.
    """
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    fields: dict[str, Any] = {
        "seq": 1 if last is None else last.seq + 1,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": _jsonable(detail or {}),
        "prev_hash": GENESIS if last is None else last.hash,
    }
    row = AuditEntry(**fields, hash=entry_hash(fields))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    entries: int
    head: str  # hash of the last entry checked (GENESIS for an empty log)
    first_bad_seq: int | None = None
    reason: str | None = None


def verify(session: Session, *, expect_head: str | None = None) -> AuditReport:
    """Walk the chain in ``seq`` order; report the first entry that does not check out."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for row in rows:
        fields = {
            "seq": row.seq,
            "at": row.at,
            "actor": row.actor,
            "action": row.action,
            "entity": row.entity,
            "entity_id": row.entity_id,
            "detail": row.detail,
            "prev_hash": row.prev_hash,
        }
        if row.seq != expected_seq:
            return AuditReport(
                False, count, prev, row.seq, f"entry {expected_seq} is missing (deleted?)"
            )
        if row.prev_hash != prev:
            return AuditReport(
                False,
                count,
                prev,
                row.seq,
                "prev_hash does not match the entry before it (deleted or reordered entries)",
            )
        if entry_hash(fields) != row.hash:
            return AuditReport(False, count, prev, row.seq, "content does not match its hash")
        prev = row.hash
        expected_seq += 1
        count += 1
    if expect_head is not None and expect_head != prev:
        return AuditReport(
            False,
            count,
            prev,
            expected_seq,
            "the chain ends before the expected head (newest entries deleted?)",
        )
    return AuditReport(True, count, prev)
