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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from netvigil.incidents.audit_data import state_for
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
    key = None if entity_id is None else str(entity_id)
    detail = dict(detail or {})
    # The digest of what this write left (netvigil.incidents.audit_data): direct database
    # edits of incidents, sources and users then show against the log (security audit M7).
    detail |= state_for(session, entity, key, detail)
    fields: dict[str, Any] = {
        "seq": 1 if last is None else last.seq + 1,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": key,
        "detail": _jsonable(detail),
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
    # (entity, entity_id, detail) of the entries checked, for audit_data.expected_states
    described: tuple[tuple[str, str | None, dict[str, Any]], ...] = ()


_COLUMNS = ("seq", "at", "actor", "action", "entity", "entity_id", "detail", "prev_hash", "hash")


def _rows(session: Session) -> Iterator[dict[str, Any] | str]:
    """The log's rows as plain values, read without the ORM's JSON decoding, so that a corrupt
    ``detail`` is reported as tampering instead of stopping the check (audit M7); a string
    instead of a row says why the log cannot be read at all."""
    query = text(f"SELECT {', '.join(_COLUMNS)} FROM audit_log ORDER BY seq")
    try:
        result = session.execute(query)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        yield f"the audit log cannot be read (dropped or damaged?): {cause}"
        return
    for row in result:
        yield dict(zip(_COLUMNS, row, strict=True))


def verify(session: Session, *, expect_head: str | None = None) -> AuditReport:
    """Walk the chain in ``seq`` order; report the first entry that does not check out."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    described: list[tuple[str, str | None, dict[str, Any]]] = []
    for row in _rows(session):
        if isinstance(row, str):
            return AuditReport(False, count, prev, expected_seq, row)
        detail = row["detail"]
        if isinstance(detail, str | bytes):
            try:
                detail = json.loads(detail)
            except ValueError:
                return AuditReport(False, count, prev, row["seq"], "detail is not valid JSON")
        if not isinstance(detail, dict):
            return AuditReport(False, count, prev, row["seq"], "detail is not a JSON object")
        fields = {name: row[name] for name in _COLUMNS if name != "hash"} | {"detail": detail}
        if row["seq"] != expected_seq:
            return AuditReport(
                False, count, prev, row["seq"], f"entry {expected_seq} is missing (deleted?)"
            )
        if row["prev_hash"] != prev:
            return AuditReport(
                False,
                count,
                prev,
                row["seq"],
                "prev_hash does not match the entry before it (deleted or reordered entries)",
            )
        if entry_hash(fields) != row["hash"]:
            return AuditReport(False, count, prev, row["seq"], "content does not match its hash")
        described.append((str(row["entity"]), row["entity_id"], detail))
        prev = row["hash"]
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
    return AuditReport(True, count, prev, described=tuple(described))
