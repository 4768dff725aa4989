"""What hangs off an incident: episodes with daily windows, evidence, private sources, and the
legal basis linking it to legal instruments (policy records, :mod:`netvigil.policy`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netvigil._errors import InputError, UnknownEntityError
from netvigil.incidents import audit
from netvigil.incidents._base import TrackerBase, incident_row, load_options
from netvigil.incidents.model import (
    EVIDENCE_KINDS,
    DailyWindow,
    Episode,
    Evidence,
    Incident,
    IncidentSource,
    LegalBasis,
)
from netvigil.incidents.roles import Actor, guard_published, require

if TYPE_CHECKING:
    from netvigil.policy.model import Instrument


def _check_episode(
    start_at: dt.datetime | None,
    end_at: dt.datetime | None,
    windows: list[tuple[dt.date, dt.time | None, dt.time | None]] | None,
    timezone: str,
) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if start_at and end_at and end_at < start_at:
        raise InputError("episode ends before it starts", field="end_at")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {timezone!r}", field="timezone") from None
    days = [d for d, _, _ in windows or []]
    if len(days) != len(set(days)):
        raise InputError("two daily windows on the same day", field="windows")


def check_http_url(value: str) -> str:
    """A link a reader can follow: http(s), a host, no spaces; InputError otherwise."""
    from urllib.parse import urlsplit

    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"a URL must start with http:// or https:// and name a host, got {text[:200]!r}",
            field="value",
        )
    if any(c.isspace() or ord(c) < 32 for c in text):
        raise InputError("a URL cannot contain spaces", field="value")
    return text


class TrackerAttachments(TrackerBase):
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
        timezone: str = "UTC",
    ) -> Episode:
        """Add one interruption (area + span), optionally with the daily windows it ran in."""
        require(actor, "editor", "add episodes")
        _check_episode(start_at, end_at, windows, timezone)

        def work(s: Session) -> Episode:
            incident = incident_row(s, incident_id)
            guard_published(incident, actor)
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
                DailyWindow(day=d, start_time=a, end_time=b, timezone=timezone)
                for d, a, b in (windows or [])
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

    def update_episode(
        self,
        episode_id: int,
        actor: Actor,
        *,
        area_name: str | None,
        start_at: dt.datetime | None,
        end_at: dt.datetime | None,
        windows: list[tuple[dt.date, dt.time | None, dt.time | None]],
        timezone: str = "UTC",
        notes: str | None = None,
    ) -> Episode:
        """Replace an episode's area, span and daily windows (an editor's episode, or one read
        from STOP's text: it becomes the editor's, so a re-import leaves it alone)."""
        require(actor, "editor", "edit episodes")
        _check_episode(start_at, end_at, windows, timezone)

        def work(s: Session) -> Episode:
            episode = s.get(Episode, episode_id)
            if episode is None:
                raise UnknownEntityError("episode", str(episode_id))
            guard_published(incident_row(s, episode.incident_id), actor)
            episode.area_name, episode.start_at, episode.end_at = area_name, start_at, end_at
            episode.notes = notes
            episode.origin = "editor"
            episode.windows = [
                DailyWindow(day=d, start_time=a, end_time=b, timezone=timezone)
                for d, a, b in windows
            ]
            s.flush()
            audit.append(
                s,
                actor=actor.name,
                action="episode",
                entity="incident",
                entity_id=episode.incident_id,
                detail={"episode_id": episode.id, "updated": True, "windows": len(windows)},
            )
            return episode

        return self._write(work)

    def delete_episode(self, episode_id: int, actor: Actor) -> int:
        """Remove an episode and its windows; returns its incident's id."""
        require(actor, "editor", "delete episodes")

        def work(s: Session) -> int:
            episode = s.get(Episode, episode_id)
            if episode is None:
                raise UnknownEntityError("episode", str(episode_id))
            incident_id = episode.incident_id
            guard_published(incident_row(s, incident_id), actor)
            s.delete(episode)
            audit.append(
                s,
                actor=actor.name,
                action="episode",
                entity="incident",
                entity_id=incident_id,
                detail={"episode_id": episode_id, "deleted": True},
            )
            return incident_id

        return self._write(work)

    def attach_evidence(
        self,
        incident_id: int,
        kind: str,
        value: str,
        actor: Actor,
        sha256: str | None = None,
        description: str | None = None,
        *,
        media_type: str | None = None,
        size_bytes: int | None = None,
        verdict: dict[str, Any] | None = None,
    ) -> Evidence:
        """Attach evidence. A measurement must come with the ``verdict`` found for it in the
        analytical store (netvigil.incidents.evidence.measurement_verdict): an id nobody can
        check is refused."""
        require(actor, "editor", "attach evidence")
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
        if kind == "url":
            value = check_http_url(value)
        if kind == "document" and sha256 is None:
            raise InputError("a document needs its SHA-256", field="sha256")
        if kind == "measurement" and not verdict:
            raise InputError(
                f"measurement {value.strip()!r} was not checked against the analytical store",
                field="value",
                hint="attach it from the editor or the CLI, which look its verdict up",
            )

        def work(s: Session) -> Evidence:
            guard_published(incident_row(s, incident_id), actor)  # evidence shows on public pages
            item = Evidence(
                incident_id=incident_id,
                kind=kind,
                value=value.strip(),
                sha256=sha256,
                description=description,
                media_type=media_type,
                size_bytes=size_bytes,
                verdict=dict(verdict or {}),
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
        require(actor, "editor", "add sources")

        def work(s: Session) -> IncidentSource:
            incident_row(s, incident_id)
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

    # Legal instruments are policy records (netvigil.policy: history, provisions, statements);
    # these three keep the tracker's own callers (``incidents law add``, legal-basis pickers).

    def add_legal_instrument(self, data: Mapping[str, Any], actor: Actor) -> Instrument:
        """Record an instrument from the tracker's old fields (name, kind, jurisdiction,
        articles, adopted_on, in_force_on, repealed_on, links, summary); see
        :func:`netvigil.policy.legacy.instrument_from_legacy`."""
        from netvigil.policy.legacy import instrument_from_legacy
        from netvigil.policy.records import PolicyRecords
        from netvigil.policy.repository import Policy

        policy = Policy(self)  # type: ignore[arg-type]
        summary = policy.import_records(
            PolicyRecords(instruments=(instrument_from_legacy(data),)),
            actor,
            source="legal instrument",
        )
        return policy.get_instrument(summary.ids["instruments"][0], public=False)

    def get_legal_instrument(self, instrument_id: int, *, public: bool) -> Instrument:
        """The instrument (published only when ``public``); see :meth:`incidents_under`."""
        from netvigil.policy.repository import Policy

        return Policy(self).get_instrument(instrument_id, public=public)  # type: ignore[arg-type]

    def list_legal_instruments(self, jurisdiction: str | None = None) -> list[Instrument]:
        """Published instruments, optionally of one jurisdiction."""
        from netvigil.policy.repository import Policy

        return Policy(self).list_instruments(public=True, jurisdiction=jurisdiction)  # type: ignore[arg-type]

    def incidents_under(self, instrument_id: int, *, public: bool) -> list[Incident]:
        """Incidents that cite the instrument as their legal basis."""
        query = (
            select(Incident)
            .join(LegalBasis)
            .where(LegalBasis.instrument_id == instrument_id)
            .options(*load_options(public))
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
        require(actor, "editor", "link a legal basis")

        def work(s: Session) -> LegalBasis:
            incident = incident_row(s, incident_id)
            guard_published(incident, actor)
            from netvigil.policy.model import Instrument

            if s.get(Instrument, instrument_id) is None:
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
