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
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from netvigil._errors import InputError, PermissionDeniedError, UnknownEntityError
from netvigil.incidents import audit, audit_data
from netvigil.incidents._base import incident_row, load_options
from netvigil.incidents.attachments import TrackerAttachments
from netvigil.incidents.drafts import TrackerDrafts
from netvigil.incidents.fields import coerce_incident_fields
from netvigil.incidents.model import (
    STATUSES,
    AuditEntry,
    Incident,
)
from netvigil.incidents.normalise import refresh
from netvigil.incidents.roles import ADMIN_ONLY_STATUSES, TRANSITIONS, Actor, require
from netvigil.incidents.users import TrackerUsers

if TYPE_CHECKING:
    from netvigil._settings import Settings
    from netvigil.incidents.stop import StopRow


__all__ = [
    "ADMIN_ONLY_STATUSES",
    "TRANSITIONS",
    "Actor",
    "ImportResult",
    "IncidentFilter",
    "Tracker",
]


@dataclass(frozen=True)
class IncidentFilter:
    """Filters of the incident list; ``None`` means "any"."""

    country: str | None = None  # ISO code or any name netvigil.models.countries resolves
    year: int | None = None  # report year
    shutdown_type: str | None = None  # a type code (vocab.TYPE) or a STOP spelling of one
    platform: str | None = None  # a service name ("whatsapp"): in the incident's services
    status: str | None = None  # ignored for public lists (always "published")
    scope: str | None = None  # a scope code (vocab.SCOPE)
    network: str | None = None  # a network code (vocab.NETWORK)
    cause: str | None = None  # a cause code (vocab.CAUSE)
    # words in the title, description (summary, event, cause and justification details), area,
    # country, services or operators; or an id
    q: str | None = None
    asn: str | None = None  # an affected network ("AS197207"): in the outage's or an episode's
    since: dt.date | None = None  # started on or after
    until: dt.date | None = None  # started on or before
    # One incident per shutdown: only rows no other row stands for (None: public lists only).
    canonical: bool | None = None
    limit: int | None = 100
    offset: int = 0


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    problems: list[dict[str, Any]]
    audit_seq: int | None
    unmapped: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (vocab, col, value)
    links: list[dict[str, Any]] = field(default_factory=list)  # links made or changed
    episodes: int = 0  # incidents whose hours read from STOP's text were (re)written


class Tracker(TrackerUsers, TrackerAttachments, TrackerDrafts):
    """The repository: see the module docstring for the API."""

    @classmethod
    def from_settings(cls, settings: Settings, url: str | None = None) -> Tracker:
        return cls(
            url or settings.tracker_url,
            single_person_publication=settings.incidents.single_person_publication,
        )

    # --- incidents ---

    def create_incident(self, data: Mapping[str, Any], actor: Actor) -> Incident:
        require(actor, "editor", "create incidents")
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
            refresh(incident)
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
        require(actor, "editor", "edit incidents")
        values = coerce_incident_fields(data)
        if "status" in values:
            raise InputError("change the status with set_status", field="status")

        def work(s: Session) -> None:
            incident = incident_row(s, incident_id)
            if incident.status == "published":
                require(actor, "admin", "edit a published incident")
            changed = {
                k: {"from": getattr(incident, k), "to": v}
                for k, v in values.items()
                if getattr(incident, k) != v
            }
            for key in changed:
                setattr(incident, key, values[key])
            refresh(incident)
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
        require(actor, "editor", "change an incident's status")

        def work(s: Session) -> None:
            incident = incident_row(s, incident_id)
            old = incident.status
            if status not in TRANSITIONS[old]:
                allowed = ", ".join(sorted(TRANSITIONS[old]))
                raise InputError(
                    f"incident {incident_id} is {old!r}: it can move to {allowed}", field="status"
                )
            if status in ADMIN_ONLY_STATUSES or old == "published":
                require(actor, "admin", f"move an incident from {old} to {status}")
            if status == "dismissed" and not (note or "").strip():
                raise InputError("say why the draft is dismissed", field="reason")
            detail: dict[str, Any] = {"from": old, "to": status, "note": note}
            if status == "published":
                detail["four_eyes"] = self._four_eyes(incident, actor)
                incident.self_published = not detail["four_eyes"]
                incident.published_at = dt.datetime.now(dt.UTC)
            if status == "verified":
                incident.verified_by = actor.name
            elif old == "verified" and status != "published":
                incident.verified_by = None
            if status == "dismissed":
                incident.dismissed_reason = (note or "").strip()[:2000]
            incident.status = status
            incident.updated_by = actor.name
            audit.append(
                s,
                actor=actor.name,
                action="status",
                entity="incident",
                entity_id=incident_id,
                detail=detail,
            )

        self._write(work)
        return self.get_incident(incident_id, public=False)

    def _four_eyes(self, incident: Incident, actor: Actor) -> bool:
        """Whether someone other than the verifier publishes; refused when it is the same person,
        unless this deployment allows it (``incidents.single_person_publication``)."""
        if incident.verified_by is None or incident.verified_by != actor.name:
            return True
        if not self.single_person_publication:
            raise PermissionDeniedError(
                f"{actor.name} verified incident {incident.id}, so another person must publish "
                "it (four eyes)",
                hint="a one-person deployment can allow it: incidents.single_person_publication"
                " = true (each such publication is marked on the page and in the audit log)",
            )
        return False

    def get_incident(self, incident_id: int, *, public: bool) -> Incident:
        """The incident with its relations; public callers only ever see published ones."""
        with self.session() as s:
            query = (
                select(Incident).where(Incident.id == incident_id).options(*load_options(public))
            )
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
        query = _filtered(select(Incident), f, public).options(*load_options(public))
        query = query.order_by(Incident.start_date.desc().nulls_last(), Incident.id.desc()).offset(
            f.offset
        )
        if f.limit is not None:
            query = query.limit(f.limit)
        with self.session() as s:
            return list(s.scalars(query))

    def linked_reports(self, incident_id: int, *, public: bool) -> list[Incident]:
        """The rows that report the same shutdown as ``incident_id`` (later yearly reports;
        other editions too when not public), oldest report first."""
        query = (
            select(Incident)
            .where(Incident.same_as_id == incident_id)
            .options(*load_options(public))
            .order_by(Incident.report_year, Incident.id)
        )
        if public:
            query = query.where(Incident.status == "published", Incident.link_kind == "carry_over")
        with self.session() as s:
            return list(s.scalars(query))

    def count_incidents(self, filters: IncidentFilter | None = None, *, public: bool) -> int:
        query = _filtered(select(func.count(Incident.id)), filters or IncidentFilter(), public)
        with self.session() as s:
            return int(s.scalar(query) or 0)

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
        from sqlalchemy.orm import selectinload

        from netvigil.incidents.importer import relink, sync_episodes
        from netvigil.incidents.model import Episode
        from netvigil.incidents.normalise import normalise
        from netvigil.incidents.stop import apply_row

        require(actor, "admin", "import published STOP data")

        def work(s: Session) -> ImportResult:
            keys = [r.natural_key for r in rows]
            existing: dict[str, Incident] = {}
            for at in range(0, len(keys), 500):  # bounded IN lists (SQLite variable limit)
                chunk = (
                    select(Incident)
                    .where(Incident.natural_key.in_(keys[at : at + 500]))
                    .options(selectinload(Incident.episodes).selectinload(Episode.windows))
                )
                existing.update((inc.natural_key, inc) for inc in s.scalars(chunk))
            new: dict[str, tuple[StopRow, Incident]] = {}
            changed: dict[str, tuple[StopRow, Incident]] = {}
            unchanged = 0
            problems: list[dict[str, Any]] = []
            unmapped: dict[tuple[str, str, str], int] = {}
            with_hours = 0
            for done, row in enumerate(rows, start=1):
                problems.extend(row.problems)
                for u in normalise(row.fields).unmapped:
                    key = (u.vocabulary, u.column, u.value)
                    unmapped[key] = unmapped.get(key, 0) + 1
                incident = existing.get(row.natural_key)
                if incident is None:
                    incident = Incident(natural_key=row.natural_key, created_by=actor.name)
                    apply_row(incident, row)
                    incident.episodes = []
                    sync_episodes(incident, row)
                    s.add(incident)
                    existing[row.natural_key] = incident
                    new[row.natural_key] = (row, incident)
                    with_hours += bool(incident.episodes)
                else:
                    touched = apply_row(incident, row)
                    if sync_episodes(incident, row):
                        touched = True
                        with_hours += 1
                    if touched:
                        incident.updated_by = actor.name
                        if row.natural_key not in new:
                            changed[row.natural_key] = (row, incident)
                    else:
                        unchanged += 1
                if progress is not None:
                    progress(done)
            s.flush()  # one batched INSERT/UPDATE round (ids are known after it)
            links = relink(s)
            created = [[row.sheet, row.row, inc.id] for row, inc in new.values()]
            updated = [[row.sheet, row.row, inc.id] for row, inc in changed.values()]
            entry = None
            if created or updated or links:
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
                        "links": [[c["id"], c["same_as"], c["kind"]] for c in links],
                    },
                )
            return ImportResult(
                len(created),
                len(updated),
                unchanged,
                problems,
                None if entry is None else entry.seq,
                unmapped,
                links,
                with_hours,
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
            reports = (i for i in self.iter_incidents(public=public) if counted_report(i))
            return counting.tally(reports, by, convention)
        columns = {
            "year": Incident.report_year,
            "country": Incident.country_code,
            "type": Incident.type_code,
        }
        if by not in columns:
            raise InputError(f"--by must be one of {', '.join(columns)}", field="by")
        col = columns[by]
        query = select(col, func.count(Incident.id)).where(COUNTED).group_by(col)
        if public:
            query = query.where(Incident.status == "published")
        with self.session() as s:
            pairs = [(counting.group_name(by, k), int(n)) for k, n in s.execute(query)]
        out: dict[str, int] = {}
        for key, n in sorted(pairs):
            out[key] = out.get(key, 0) + n
        return out

    def verify_audit(self, expect_head: str | None = None) -> audit.AuditReport:
        with self.session() as s:
            return audit.verify(s, expect_head=expect_head)

    def verify_data(self, report: audit.AuditReport) -> audit_data.DataReport:
        """Incidents, sources and users against the digests of an intact log (audit M7)."""
        with self.session() as s:
            return audit_data.reconcile(s, audit_data.expected_states(report.described))

    def seal_audit(self, actor: Actor) -> int:
        """Record the present state of every incident and user in the log; returns its seq."""
        require(actor, "admin", "seal the audit log")

        def work(s: Session) -> int:
            states = audit_data.seal_states(s)
            entry = audit.append(
                s, actor=actor.name, action="seal", entity="tracker", entity_id=None,
                detail={"states": states},
            )  # fmt: skip
            return entry.seq

        return self._write(work)

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
            query = query.options(*load_options(public, stop_source=stop_source))
            if public:
                query = query.where(Incident.status == "published")
            with self.session() as s:
                chunk = list(s.scalars(query))
            if not chunk:
                return
            yield from chunk
            last = chunk[-1].id


# Rows Access Now counts: every yearly report, but not another edition's copy of a row.
COUNTED = or_(Incident.link_kind.is_(None), Incident.link_kind == "carry_over")


def counted_report(incident: Incident) -> bool:
    return incident.link_kind in (None, "carry_over")


def _code(vocabulary: str, value: str) -> str:
    """A vocabulary code from a code or any STOP spelling of one (InputError otherwise)."""
    from netvigil.incidents.vocab import BY_NAME, value_key

    vocab = BY_NAME[vocabulary]
    if value in vocab.codes():
        return value
    for column in vocab.columns:
        code = vocab.values.get(column, {}).get(value_key(value))
        if code is not None:
            return code
    raise InputError(f"expected one of {', '.join(vocab.codes())}", field=vocabulary)


def _json_list_has(column: Any, asn: str) -> Any:
    """Whether a JSON list of ASNs (numbers, or "AS123" strings) holds ``asn``, matched in the
    list's text so that SQLite and PostgreSQL run the same query."""
    number = asn.upper().removeprefix("AS")
    text = cast(column, String)
    patterns = [f'%"AS{number}"%', f"%[{number}]%", f"%[{number},%", f"% {number},%",
                f"% {number}]%", f"%,{number},%", f"%,{number}]%"]  # fmt: skip
    return or_(*(text.like(p) for p in patterns))


def _filtered(query: Any, f: IncidentFilter, public: bool) -> Any:
    from netvigil.models import countries

    if public:
        query = query.where(Incident.status == "published")
    elif f.status:
        query = query.where(Incident.status == f.status)
    if f.canonical if f.canonical is not None else public:
        query = query.where(Incident.link_kind.is_(None))
    if f.country:
        code = countries.code_for(f.country)
        if code is not None:
            query = query.where(Incident.country_code == code)
        else:
            query = query.where(func.lower(Incident.country) == f.country.lower())
    if f.year is not None:
        query = query.where(Incident.report_year == f.year)
    if f.shutdown_type:
        query = query.where(Incident.type_code == _code("type", f.shutdown_type))
    for name, column in (
        ("scope", Incident.scope_code),
        ("network", Incident.network_code),
        ("cause", Incident.cause_code),
    ):
        value = getattr(f, name)
        if value:
            query = query.where(column == _code(name, value))
    if f.platform:
        from netvigil.incidents.vocab import SERVICE_PATTERNS

        name = f.platform.strip().lower()
        if name not in SERVICE_PATTERNS:
            raise InputError(
                f"platform must be one of {', '.join(SERVICE_PATTERNS)}", field="platform"
            )
        # services is a JSON list of names: match the quoted name in its text (both databases).
        query = query.where(cast(Incident.services, String).like(f'%"{name}"%'))
    if f.asn:
        from netvigil.incidents.model import Episode

        in_episode = select(Episode.id).where(
            Episode.incident_id == Incident.id, _json_list_has(Episode.asns, f.asn)
        )
        query = query.where(or_(_json_list_has(Incident.asns, f.asn), in_episode.exists()))
    if f.since is not None:
        query = query.where(Incident.start_date >= f.since)
    if f.until is not None:
        query = query.where(Incident.start_date <= f.until)
    if f.q and f.q.strip():
        text = f.q.strip()
        if text.lstrip("#").isdigit():
            query = query.where(Incident.id == int(text.lstrip("#")))
        else:
            for word in text.split()[:6]:
                pattern = f"%{word.lower()}%"
                query = query.where(
                    or_(
                        *(
                            func.lower(column).like(pattern)
                            for column in (
                                Incident.title,
                                Incident.title_zh,
                                Incident.summary,
                                Incident.area_name,
                                Incident.country,
                                Incident.event,
                                Incident.other_affected,
                                Incident.actual_cause_details,
                                Incident.gov_just_details,
                                Incident.telcos_involved,
                                Incident.ordered_by,
                                cast(Incident.services, String),
                            )
                        )
                    )
                )
    return query
