"""The tracker's one door to its database: every read and write of incidents goes through here.

API (for the CLI and the web app)::

    tracker = Tracker(url)                       # or Tracker.from_settings(settings); migrates
    admin = tracker.create_user("a@x.org", "pw", role="admin")      # -> Actor
    actor = tracker.authenticate("a@x.org", "pw")                   # -> Actor | None
    inc = tracker.create_incident({"country": "Iran", ...}, actor)  # status "reported"
    tracker.update_incident(inc.id, {"title": "..."}, actor)
    tracker.set_status(inc.id, "corroborated", actor)               # workflow, see TRANSITIONS
    tracker.attach_evidence(inc.id, "measurement", "20240101T...", actor)
    law = tracker.add_legal_instrument({"name": ..., "kind": "law", "jurisdiction": "IN"}, actor)
    tracker.link_legal_basis(inc.id, law.id, actor, articles="s. 144")
    tracker.list_incidents(IncidentFilter(country="IN"), public=True)  # published only
    tracker.get_incident(inc.id, public=True)    # UnknownEntityError unless published
    public_dict(inc) / private_dict(inc)         # netvigil.incidents.serialise: the ONLY ones

Returned ORM objects are detached with their relations loaded (episodes with windows, evidence,
legal basis with instrument; sources only when ``public=False``), so a caller can render them
after the session is gone without lazy loads (no N+1).

Roles: viewers read drafts; editors create, edit drafts, attach evidence, move status up to
``verified`` and back; only admins publish, withdraw or edit a published incident
(:class:`PermissionDeniedError` otherwise). Every write appends to the hash-chained audit log in
the same transaction.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, defer, selectinload, sessionmaker

from netvigil._errors import InputError, PermissionDeniedError, StoreError, UnknownEntityError
from netvigil.incidents import audit
from netvigil.incidents.db import open_engine, upgrade
from netvigil.incidents.fields import coerce_incident_fields, coerce_instrument_fields
from netvigil.incidents.model import (
    EVIDENCE_KINDS,
    PLATFORMS,
    ROLES,
    STATUSES,
    AuditEntry,
    DailyWindow,
    Episode,
    Evidence,
    Incident,
    IncidentSource,
    LegalBasis,
    LegalInstrument,
    User,
)

if TYPE_CHECKING:
    from netvigil._settings import Settings
    from netvigil.incidents.stop import StopRow

T = TypeVar("T")

# Allowed status moves. Everything may be withdrawn (safety beats "never delete"); a withdrawn
# incident can be reopened as reported.
TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"corroborated", "withdrawn"}),
    "corroborated": frozenset({"verified", "reported", "withdrawn"}),
    "verified": frozenset({"published", "corroborated", "withdrawn"}),
    "published": frozenset({"withdrawn"}),
    "withdrawn": frozenset({"reported"}),
}
ADMIN_ONLY_STATUSES = frozenset({"published"})
_PRIVATE_COLUMNS = ("internal_notes", "created_by", "updated_by")


@dataclass(frozen=True)
class Actor:
    """Who acts: a tracker user (``user_id`` set) or the local operator of the CLI."""

    name: str  # the user's email, or "cli:<login>"
    role: str  # ROLES
    user_id: int | None = None

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class IncidentFilter:
    """Filters of the incident list; ``None`` means "any"."""

    country: str | None = None  # ISO alpha-2 (case-insensitive) or the STOP country name
    year: int | None = None  # report year
    shutdown_type: str | None = None  # STOP shutdown_type, case-insensitive
    platform: str | None = None  # a key of PLATFORMS: rows where that column is "Yes"
    status: str | None = None  # ignored for public lists (always "published")
    limit: int | None = 100
    offset: int = 0


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    problems: list[dict[str, Any]]
    audit_seq: int | None


def _loaders(public: bool, *, stop_source: bool = False) -> list[Any]:
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


class Tracker:
    def __init__(self, url: str, *, migrate: bool = True, password_hasher: Any = None) -> None:
        """Open (and migrate) the tracker at ``url``. ``password_hasher`` is an
        ``argon2.PasswordHasher``; the default is argon2-cffi's (RFC 9106 low-memory profile).
        Tests pass a cheaper argon2id one to stay fast; hashes made with either verify."""
        from argon2 import PasswordHasher

        self._hasher: PasswordHasher = password_hasher or PasswordHasher()
        self.url = url
        self.engine = open_engine(url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings, url: str | None = None) -> Tracker:
        return cls(url or settings.tracker_url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Tracker:
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

    # --- users ---

    def create_user(
        self,
        email: str,
        password: str,
        *,
        role: str,
        name: str | None = None,
        actor: Actor | None = None,
    ) -> Actor:
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}", field="role")
        if "@" not in email:
            raise InputError("expected an email address", field="email")
        if len(password) < 8:
            raise InputError("password must have at least 8 characters", field="password")
        hashed = self._hasher.hash(password)
        who = actor.name if actor else "cli"

        def work(s: Session) -> Actor:
            if s.scalar(select(User.id).where(User.email == email.lower())) is not None:
                raise InputError(f"user {email} already exists", field="email")
            user = User(email=email.lower(), name=name, role=role, password_hash=hashed)
            s.add(user)
            s.flush()
            audit.append(
                s,
                actor=who,
                action="create",
                entity="user",
                entity_id=user.id,
                detail={"email": user.email, "role": role},
            )
            return Actor(user.email, role, user.id)

        return self._write(work)

    def authenticate(self, email: str, password: str) -> Actor | None:
        """The user's Actor if the password matches (argon2id), else None."""
        from argon2.exceptions import InvalidHashError, VerificationError

        hasher = self._hasher
        with self.session() as s:
            user = s.scalar(select(User).where(User.email == email.lower(), User.active))
        if user is None:
            hasher.hash(password)  # same work either way: do not reveal which emails exist
            return None
        try:
            hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return Actor(user.email, user.role, user.id)

    def get_user(self, user_id: int) -> Actor | None:
        with self.session() as s:
            user = s.get(User, user_id)
        return None if user is None or not user.active else Actor(user.email, user.role, user.id)

    def list_users(self) -> list[User]:
        with self.session() as s:
            return list(s.scalars(select(User).order_by(User.id)))

    # --- incidents ---

    def create_incident(self, data: Mapping[str, Any], actor: Actor) -> Incident:
        _require(actor, "editor", "create incidents")
        values = coerce_incident_fields(data)
        status = values.pop("status", "reported")
        if status != "reported":
            raise InputError("new incidents start as 'reported'", field="status")

        def work(s: Session) -> Incident:
            incident = Incident(
                natural_key=f"nv:{uuid.uuid4()}",
                status=status,
                **values,
                created_by=actor.name,
                updated_by=actor.name,
            )
            s.add(incident)
            s.flush()
            audit.append(
                s,
                actor=actor.name,
                action="create",
                entity="incident",
                entity_id=incident.id,
                detail={"fields": values},
            )
            return incident

        return self.get_incident(self._write(work).id, public=False)

    def update_incident(self, incident_id: int, data: Mapping[str, Any], actor: Actor) -> Incident:
        _require(actor, "editor", "edit incidents")
        values = coerce_incident_fields(data)
        if "status" in values:
            raise InputError("change the status with set_status", field="status")

        def work(s: Session) -> None:
            incident = _get(s, incident_id)
            if incident.status == "published":
                _require(actor, "admin", "edit a published incident")
            changed = {
                k: {"from": getattr(incident, k), "to": v}
                for k, v in values.items()
                if getattr(incident, k) != v
            }
            for key in changed:
                setattr(incident, key, values[key])
            if changed:
                incident.updated_by = actor.name
                audit.append(
                    s,
                    actor=actor.name,
                    action="update",
                    entity="incident",
                    entity_id=incident.id,
                    detail={"changed": changed},
                )

        self._write(work)
        return self.get_incident(incident_id, public=False)

    def set_status(
        self, incident_id: int, status: str, actor: Actor, note: str | None = None
    ) -> Incident:
        if status not in STATUSES:
            raise InputError(f"status must be one of {', '.join(STATUSES)}", field="status")
        _require(actor, "editor", "change an incident's status")

        def work(s: Session) -> None:
            incident = _get(s, incident_id)
            old = incident.status
            if status not in TRANSITIONS[old]:
                allowed = ", ".join(sorted(TRANSITIONS[old]))
                raise InputError(
                    f"incident {incident_id} is {old!r}: it can move to {allowed}", field="status"
                )
            if status in ADMIN_ONLY_STATUSES or old == "published":
                _require(actor, "admin", f"move an incident from {old} to {status}")
            incident.status = status
            incident.updated_by = actor.name
            if status == "published":
                incident.published_at = dt.datetime.now(dt.UTC)
            audit.append(
                s,
                actor=actor.name,
                action="status",
                entity="incident",
                entity_id=incident_id,
                detail={"from": old, "to": status, "note": note},
            )

        self._write(work)
        return self.get_incident(incident_id, public=False)

    def get_incident(self, incident_id: int, *, public: bool) -> Incident:
        """The incident with its relations; public callers only ever see published ones."""
        with self.session() as s:
            query = select(Incident).where(Incident.id == incident_id).options(*_loaders(public))
            if public:
                query = query.where(Incident.status == "published")
            incident = s.scalar(query)
        if incident is None:
            raise UnknownEntityError("incident", str(incident_id))
        return incident

    def list_incidents(
        self, filters: IncidentFilter | None = None, *, public: bool
    ) -> list[Incident]:
        f = filters or IncidentFilter()
        query = _filtered(select(Incident), f, public).options(*_loaders(public))
        query = query.order_by(Incident.start_date.desc().nulls_last(), Incident.id.desc()).offset(
            f.offset
        )
        if f.limit is not None:
            query = query.limit(f.limit)
        with self.session() as s:
            return list(s.scalars(query))

    def count_incidents(self, filters: IncidentFilter | None = None, *, public: bool) -> int:
        query = _filtered(select(func.count(Incident.id)), filters or IncidentFilter(), public)
        with self.session() as s:
            return int(s.scalar(query) or 0)

    # --- episodes, evidence, sources, legal basis ---

    def add_episode(
        self,
        incident_id: int,
        actor: Actor,
        *,
        area_name: str | None = None,
        start_at: dt.datetime | None = None,
        end_at: dt.datetime | None = None,
        shutdown_type: str | None = None,
        region_code: str | None = None,
        asns: list[int] | None = None,
        notes: str | None = None,
        windows: list[tuple[dt.date, dt.time | None, dt.time | None]] | None = None,
    ) -> Episode:
        """Add one interruption (area + span), optionally with the daily windows it ran in."""
        _require(actor, "editor", "add episodes")
        if start_at and end_at and end_at < start_at:
            raise InputError("episode ends before it starts", field="end_at")

        def work(s: Session) -> Episode:
            incident = _get(s, incident_id)
            _guard_published(incident, actor)
            episode = Episode(
                incident_id=incident_id,
                area_name=area_name,
                start_at=start_at,
                end_at=end_at,
                shutdown_type=shutdown_type,
                region_code=region_code,
                asns=list(asns or []),
                notes=notes,
            )
            episode.windows = [
                DailyWindow(day=d, start_time=a, end_time=b) for d, a, b in (windows or [])
            ]
            s.add(episode)
            s.flush()
            audit.append(
                s,
                actor=actor.name,
                action="episode",
                entity="incident",
                entity_id=incident_id,
                detail={
                    "episode_id": episode.id,
                    "area_name": area_name,
                    "windows": len(episode.windows),
                },
            )
            return episode

        return self._write(work)

    def attach_evidence(
        self,
        incident_id: int,
        kind: str,
        value: str,
        actor: Actor,
        sha256: str | None = None,
        description: str | None = None,
    ) -> Evidence:
        _require(actor, "editor", "attach evidence")
        if kind not in EVIDENCE_KINDS:
            raise InputError(
                f"evidence kind must be one of {', '.join(EVIDENCE_KINDS)}", field="kind"
            )
        if not value.strip():
            raise InputError("evidence needs a value (id, URL or file name)", field="value")
        if sha256 is not None:
            sha256 = sha256.lower()
            if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
                raise InputError("sha256 must be 64 hex digits", field="sha256")
        if kind == "document" and sha256 is None:
            raise InputError("a document needs its SHA-256", field="sha256")

        def work(s: Session) -> Evidence:
            _guard_published(_get(s, incident_id), actor)  # evidence shows on public pages
            item = Evidence(
                incident_id=incident_id,
                kind=kind,
                value=value.strip(),
                sha256=sha256,
                description=description,
                added_by=actor.name,
            )
            s.add(item)
            s.flush()
            audit.append(
                s,
                actor=actor.name,
                action="evidence",
                entity="incident",
                entity_id=incident_id,
                detail={
                    "evidence_id": item.id,
                    "kind": kind,
                    "value": item.value,
                    "sha256": sha256,
                },
            )
            return item

        return self._write(work)

    def add_source(
        self,
        incident_id: int,
        actor: Actor,
        *,
        description: str | None = None,
        url: str | None = None,
        reporter_name: str | None = None,
        reporter_contact: str | None = None,
    ) -> IncidentSource:
        """A PRIVATE source / reporter contact (never in any public view)."""
        _require(actor, "editor", "add sources")

        def work(s: Session) -> IncidentSource:
            _get(s, incident_id)
            src = IncidentSource(
                incident_id=incident_id,
                description=description,
                url=url,
                reporter_name=reporter_name,
                reporter_contact=reporter_contact,
                added_by=actor.name,
            )
            s.add(src)
            s.flush()
            # The audit log is private too, but keep contacts out of it all the same.
            audit.append(
                s,
                actor=actor.name,
                action="source",
                entity="incident",
                entity_id=incident_id,
                detail={"source_id": src.id},
            )
            return src

        return self._write(work)

    def add_legal_instrument(self, data: Mapping[str, Any], actor: Actor) -> LegalInstrument:
        _require(actor, "editor", "add legal instruments")
        values = coerce_instrument_fields(data)

        def work(s: Session) -> LegalInstrument:
            law = LegalInstrument(**values)
            s.add(law)
            s.flush()
            audit.append(
                s,
                actor=actor.name,
                action="create",
                entity="legal_instrument",
                entity_id=law.id,
                detail={"fields": values},
            )
            return law

        return self._write(work)

    def get_legal_instrument(self, instrument_id: int, *, public: bool) -> LegalInstrument:
        """The instrument (laws are public either way; its incidents: :meth:`incidents_under`)."""
        with self.session() as s:
            law = s.get(LegalInstrument, instrument_id)
            if law is None:
                raise UnknownEntityError("legal instrument", str(instrument_id))
            return law

    def list_legal_instruments(self, jurisdiction: str | None = None) -> list[LegalInstrument]:
        query = select(LegalInstrument).order_by(LegalInstrument.jurisdiction, LegalInstrument.name)
        if jurisdiction:
            query = query.where(LegalInstrument.jurisdiction == jurisdiction)
        with self.session() as s:
            return list(s.scalars(query))

    def incidents_under(self, instrument_id: int, *, public: bool) -> list[Incident]:
        """Incidents that cite the instrument as their legal basis."""
        query = (
            select(Incident)
            .join(LegalBasis)
            .where(LegalBasis.instrument_id == instrument_id)
            .options(*_loaders(public))
            .order_by(Incident.id)
        )
        if public:
            query = query.where(Incident.status == "published")
        with self.session() as s:
            return list(s.scalars(query))

    def link_legal_basis(
        self,
        incident_id: int,
        instrument_id: int,
        actor: Actor,
        *,
        articles: str | None = None,
        note: str | None = None,
    ) -> LegalBasis:
        _require(actor, "editor", "link a legal basis")

        def work(s: Session) -> LegalBasis:
            incident = _get(s, incident_id)
            _guard_published(incident, actor)
            if s.get(LegalInstrument, instrument_id) is None:
                raise UnknownEntityError("legal instrument", str(instrument_id))
            link = LegalBasis(
                incident_id=incident_id, instrument_id=instrument_id, articles=articles, note=note
            )
            s.add(link)
            s.flush()
            audit.append(
                s,
                actor=actor.name,
                action="legal_basis",
                entity="incident",
                entity_id=incident_id,
                detail={"instrument_id": instrument_id, "articles": articles},
            )
            return link

        return self._write(work)

    # --- STOP import, statistics, audit ---

    def import_stop_rows(
        self,
        rows: list[StopRow],
        actor: Actor,
        *,
        source: str,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Upsert rows by natural key in one transaction with one audit entry listing row ids."""
        from netvigil.incidents.stop import apply_row

        _require(actor, "admin", "import published STOP data")

        def work(s: Session) -> ImportResult:
            existing = {
                inc.natural_key: inc
                for inc in s.scalars(
                    select(Incident).where(Incident.natural_key.in_([r.natural_key for r in rows]))
                )
            }
            created: list[list[Any]] = []
            updated: list[list[Any]] = []
            unchanged = 0
            problems: list[dict[str, Any]] = []
            for done, row in enumerate(rows, start=1):
                problems.extend(row.problems)
                incident = existing.get(row.natural_key)
                if incident is None:
                    incident = Incident(natural_key=row.natural_key, created_by=actor.name)
                    apply_row(incident, row)
                    s.add(incident)
                    s.flush()
                    existing[row.natural_key] = incident
                    created.append([row.sheet, row.row, incident.id])
                elif apply_row(incident, row):
                    incident.updated_by = actor.name
                    s.flush()
                    updated.append([row.sheet, row.row, incident.id])
                else:
                    unchanged += 1
                if progress is not None:
                    progress(done)
            entry = None
            if created or updated:
                entry = audit.append(
                    s,
                    actor=actor.name,
                    action="import",
                    entity="file",
                    entity_id=source,
                    detail={
                        "created": created,
                        "updated": updated,
                        "unchanged": unchanged,
                        "problems": len(problems),
                    },
                )
            return ImportResult(
                len(created),
                len(updated),
                unchanged,
                problems,
                None if entry is None else entry.seq,
            )

        return self._write(work, attempts=2)

    def stats(
        self, by: str, *, public: bool = True, convention: str = "incidents"
    ) -> dict[str, int]:
        """Counts per report year, country (STOP name) or shutdown type: STOP incidents, or
        Cloudflare-style outages / IODA-style events (see :mod:`netvigil.incidents.counting`)."""
        from netvigil.incidents import counting

        if convention not in counting.CONVENTIONS:
            raise InputError(
                f"--count must be one of {', '.join(counting.CONVENTIONS)}", field="count"
            )
        if convention != "incidents":
            if by not in ("year", "country", "type"):
                raise InputError("--by must be one of year, country, type", field="by")
            return counting.tally(self.iter_incidents(public=public), by, convention)
        columns = {
            "year": Incident.report_year,
            "country": Incident.country,
            "type": Incident.shutdown_type,
        }
        if by not in columns:
            raise InputError(f"--by must be one of {', '.join(columns)}", field="by")
        col = columns[by]
        query = select(col, func.count(Incident.id)).group_by(col)
        if public:
            query = query.where(Incident.status == "published")
        with self.session() as s:
            pairs = [(("unknown" if k is None else str(k)), int(n)) for k, n in s.execute(query)]
        out: dict[str, int] = {}
        for key, n in sorted(pairs):
            out[key] = out.get(key, 0) + n
        return out

    def verify_audit(self, expect_head: str | None = None) -> audit.AuditReport:
        with self.session() as s:
            return audit.verify(s, expect_head=expect_head)

    def audit_entries(self, limit: int = 100) -> list[AuditEntry]:
        with self.session() as s:
            query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
            return list(s.scalars(query))

    def iter_incidents(
        self, *, public: bool, stop_source: bool = False, batch: int = 500
    ) -> Iterator[Incident]:
        """Every incident (published only when public), in id order, for exports.
        ``stop_source`` also loads the original STOP row and import problems (Access Now's
        public data, needed by the stop-csv export) for public callers."""
        last = 0
        while True:
            query = select(Incident).where(Incident.id > last).order_by(Incident.id).limit(batch)
            query = query.options(*_loaders(public, stop_source=stop_source))
            if public:
                query = query.where(Incident.status == "published")
            with self.session() as s:
                chunk = list(s.scalars(query))
            if not chunk:
                return
            yield from chunk
            last = chunk[-1].id


def _require(actor: Actor, role: str, what: str) -> None:
    if not actor.can(role):
        raise PermissionDeniedError(f"{actor.name} ({actor.role}) may not {what}: needs {role}")


def _guard_published(incident: Incident, actor: Actor) -> None:
    if incident.status == "published":
        _require(actor, "admin", "change a published incident")


def _get(s: Session, incident_id: int) -> Incident:
    incident = s.get(Incident, incident_id)
    if incident is None:
        raise UnknownEntityError("incident", str(incident_id))
    return incident


def _filtered(query: Any, f: IncidentFilter, public: bool) -> Any:
    if public:
        query = query.where(Incident.status == "published")
    elif f.status:
        query = query.where(Incident.status == f.status)
    if f.country:
        if len(f.country) == 2:
            query = query.where(Incident.country_code == f.country.upper())
        else:
            query = query.where(func.lower(Incident.country) == f.country.lower())
    if f.year is not None:
        query = query.where(Incident.report_year == f.year)
    if f.shutdown_type:
        query = query.where(func.lower(Incident.shutdown_type) == f.shutdown_type.lower())
    if f.platform:
        column = PLATFORMS.get(f.platform.lower())
        if column is None:
            raise InputError(f"platform must be one of {', '.join(PLATFORMS)}", field="platform")
        query = query.where(getattr(Incident, column) == "Yes")
    return query
