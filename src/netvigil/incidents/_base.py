"""The tracker's connection, transactions and loading options, shared by its parts."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, defer, selectinload, sessionmaker

from netvigil._errors import StoreError, UnknownEntityError
from netvigil.incidents.db import open_engine, upgrade
from netvigil.incidents.model import (
    Episode,
    Incident,
    LegalBasis,
)

T = TypeVar("T")
_PRIVATE_COLUMNS = (
    "internal_notes", "created_by", "updated_by", "verified_by", "dismissed_reason",
)  # fmt: skip


def load_options(public: bool, *, stop_source: bool = False) -> list[Any]:
    opts: list[Any] = [
        selectinload(Incident.episodes).selectinload(Episode.windows),
        selectinload(Incident.evidence),
        selectinload(Incident.legal_basis).joinedload(LegalBasis.instrument),
    ]
    if public:
        # Private columns are not even read for public callers (and touching one raises), which
        # also spares parsing the large stop_raw JSON on every list page.
        hidden = _PRIVATE_COLUMNS if stop_source else ("stop_raw", *_PRIVATE_COLUMNS)
        opts.extend(defer(getattr(Incident, name), raiseload=True) for name in hidden)
    else:
        opts.append(selectinload(Incident.sources))
    return opts


class TrackerBase:
    """Engine, migrations, sessions and the retrying write transaction."""

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        password_hasher: Any = None,
        single_person_publication: bool = False,
    ) -> None:
        """Open (and migrate) the tracker at ``url``. ``password_hasher`` is an
        ``argon2.PasswordHasher``; the default is argon2-cffi's (RFC 9106 low-memory profile).
        Tests pass a cheaper argon2id one to stay fast; hashes made with either verify.
        ``single_person_publication``: let whoever verified an incident publish it too (four
        eyes waived, for one-person deployments; each such publication is marked)."""
        from argon2 import PasswordHasher

        self.single_person_publication = single_person_publication

        self._hasher: PasswordHasher = password_hasher or PasswordHasher()
        self.url = url
        self.engine = open_engine(url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ---

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (no commit)."""
        with self._sessions() as session:
            yield session

    def _write(self, work: Callable[[Session], T], attempts: int = 8) -> T:
        """Run ``work`` in one transaction; retry when another writer took the audit seq or the
        SQLite lock first (the whole transaction is replayed, so the chain stays linear)."""
        for attempt in range(attempts):
            try:
                with self._sessions.begin() as session:
                    return work(session)
            except IntegrityError as exc:
                if "audit_log" not in str(exc) or attempt == attempts - 1:
                    raise StoreError(f"tracker write refused by the database: {exc.orig}") from exc
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == attempts - 1:
                    raise StoreError(f"tracker database error: {exc.orig}") from exc
            except SQLAlchemyError as exc:
                raise StoreError(f"tracker database error: {exc}") from exc
            # Jittered backoff so the writers that collided do not collide again in lockstep.
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise AssertionError("unreachable")


def incident_row(s: Session, incident_id: int) -> Incident:
    incident = s.get(Incident, incident_id)
    if incident is None:
        raise UnknownEntityError("incident", str(incident_id))
    return incident
