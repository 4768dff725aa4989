"""The policy records' one door to the database: imports, editor saves, lists and pages.

It works on an open :class:`netvigil.incidents.Tracker` (same database, same transactions, same
hash-chained audit log, so the web cache sees every write)::

    policy = Policy(tracker)
    summary = policy.import_records(records, actor, source="demo.json")  # upsert by slug
    policy.list_instruments(jurisdiction="HK", public=True)
    policy.get_statement(3, public=True)          # UnknownEntityError unless published

Writes are all-or-nothing: records are validated before (:mod:`netvigil.policy.records`), then
references (instrument slugs, incident natural keys) are resolved inside the transaction, and any
error rolls everything back. Roles: editors write drafts; publishing, importing published records
and changing a published record need an admin (as for incidents).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from netvigil._errors import UnknownEntityError
from netvigil.incidents import Actor, Tracker, audit
from netvigil.incidents.model import Incident, LegalBasis
from netvigil.incidents.roles import require
from netvigil.policy import records as rec
from netvigil.policy import serialise
from netvigil.policy.model import (
    Demand,
    Instrument,
    InstrumentEvent,
    PlatformResponse,
    Provision,
    Signatory,
    Statement,
    TransparencyFigure,
)

DEMO_DATA = Path(__file__).with_name("data") / "demo.json"
R = TypeVar("R")


@dataclass(frozen=True)
class ImportSummary:
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    audit_seq: int | None
    ids: dict[str, list[int]]  # ids of the records written, per kind, in input order


def _instrument_options() -> list[Any]:
    return [
        selectinload(Instrument.events),
        selectinload(Instrument.provisions),
    ]


def _statement_options() -> list[Any]:
    return [
        selectinload(Statement.demands),
        selectinload(Statement.signatories),
        selectinload(Statement.instruments),
        selectinload(Statement.incidents).load_only(
            Incident.id, Incident.title, Incident.country_code, Incident.status,
            Incident.natural_key,
        ),
    ]  # fmt: skip


def _text_columns(record: Any, *stems: str) -> dict[str, Any]:
    return {
        f"{stem}_{lang}": getattr(record, f"{stem}_{lang}")
        for stem in stems
        for lang in ("en", "zh_hant", "zh_hans")
    }


class Policy:
    """Policy records on ``tracker``'s database; see the module docstring."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    # --- writes ---

    def import_records(
        self, records: rec.PolicyRecords, actor: Actor, *, source: str = "import"
    ) -> ImportSummary:
        """Create or update every record (by slug; figures by company, jurisdiction, kind and
        period) in one transaction, with one audit entry."""
        require(actor, "editor", "write policy records")
        statuses = [r.status for r in records.instruments]
        statuses += [r.status for r in records.responses]
        statuses += [r.status for r in records.statements]
        publishing = "published" in statuses
        if publishing or records.figures:
            require(actor, "admin", "publish policy records")

        def work(s: Session) -> ImportSummary:
            counts: dict[str, dict[str, int]] = {"created": {}, "updated": {}, "unchanged": {}}
            ids: dict[str, list[int]] = {}

            def tally(kind: str, outcome: str, row_id: int) -> None:
                counts[outcome][kind] = counts[outcome].get(kind, 0) + 1
                ids.setdefault(kind, []).append(row_id)

            for item in records.instruments:
                tally("instruments", *self._put_instrument(s, item, actor))
            for response in records.responses:
                tally("responses", *self._put_response(s, response, actor))
            for fig in records.figures:
                tally("figures", *self._put_figure(s, fig))
            for st in records.statements:
                tally("statements", *self._put_statement(s, st, actor))
            entry = None
            if counts["created"] or counts["updated"]:
                entry = audit.append(
                    s,
                    actor=actor.name,
                    action="import",
                    entity="policy",
                    entity_id=source[:200],
                    detail={k: v for k, v in counts.items()},
                )
            return ImportSummary(
                counts["created"],
                counts["updated"],
                counts["unchanged"],
                None if entry is None else entry.seq,
                ids,
            )

        return self.tracker._write(work)

    def _existing(self, s: Session, model: Any, slug: str, actor: Actor) -> Any:
        row = s.scalar(select(model).where(model.slug == slug))
        if row is not None and row.status == "published":
            require(actor, "admin", "change a published policy record")
        return row

    def _instruments_by_slug(
        self, s: Session, slugs: Sequence[str], where: rec.Where
    ) -> list[Instrument]:
        found = {i.slug: i for i in s.scalars(select(Instrument).where(Instrument.slug.in_(slugs)))}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            raise where.error("instruments", f"unknown instrument slug(s): {', '.join(missing)}")
        return [found[slug] for slug in slugs]

    def _put_instrument(
        self, s: Session, item: rec.InstrumentRecord, actor: Actor
    ) -> tuple[str, int]:
        row = self._existing(s, Instrument, item.slug, actor)
        if row is not None and serialise.instrument_record(row) == item:
            return "unchanged", row.id
        outcome = "updated" if row is not None else "created"
        if row is None:
            row = Instrument(slug=item.slug)
            s.add(row)
        row.status = item.status
        row.kind = item.kind
        row.jurisdiction = item.jurisdiction
        for name in ("name", "short_name"):
            for lang in ("en", "zh_hant", "zh_hans"):
                setattr(row, f"{name}_{lang}", getattr(item, f"{name}_{lang}"))
        for key, value in _text_columns(item, "summary").items():
            setattr(row, key, value)
        row.source_url = item.source_url
        row.links = list(item.links)
        row.events = [
            InstrumentEvent(
                kind=e.kind,
                date=e.date,
                date_precision=e.date_precision,
                end_date=e.end_date,
                **_text_columns(e, "title"),
                place=e.place,
                votes_for=e.votes_for,
                votes_against=e.votes_against,
                abstentions=e.abstentions,
                source_url=e.source_url,
            )
            for e in item.history
        ]
        row.provisions = [
            Provision(
                concern=p.concern,
                article=p.article,
                **_text_columns(p, "note"),
                source_url=p.source_url,
            )
            for p in item.provisions
        ]
        s.flush()
        return outcome, row.id

    def _put_response(self, s: Session, item: rec.ResponseRecord, actor: Actor) -> tuple[str, int]:
        row = self._existing(s, PlatformResponse, item.slug, actor)
        if row is not None and serialise.response_record(row) == item:
            return "unchanged", row.id
        outcome = "updated" if row is not None else "created"
        instruments = self._instruments_by_slug(s, item.instruments, item.at)
        if row is None:
            row = PlatformResponse(slug=item.slug)
            s.add(row)
        for name in ("status", "company", "jurisdiction", "demand_kind", "response",
                     "announced_on", "announced_precision", "effective_from", "ended_on",
                     "source_url"):  # fmt: skip
            setattr(row, name, getattr(item, name))
        for key, value in _text_columns(item, "summary").items():
            setattr(row, key, value)
        row.links = list(item.links)
        row.instruments = instruments
        s.flush()
        return outcome, row.id

    def _put_figure(self, s: Session, item: rec.FigureRecord) -> tuple[str, int]:
        row = s.scalar(
            select(TransparencyFigure).where(
                TransparencyFigure.company == item.company,
                TransparencyFigure.jurisdiction == item.jurisdiction,
                TransparencyFigure.demand_kind == item.demand_kind,
                TransparencyFigure.period_start == item.period_start,
                TransparencyFigure.period_end == item.period_end,
            )
        )
        if row is not None and serialise.figure_record(row) == item:
            return "unchanged", row.id
        outcome = "updated" if row is not None else "created"
        if row is None:
            row = TransparencyFigure()
            s.add(row)
        for f in dataclasses.fields(item):
            setattr(row, f.name, getattr(item, f.name))
        s.flush()
        return outcome, row.id

    def _put_statement(
        self, s: Session, item: rec.StatementRecord, actor: Actor
    ) -> tuple[str, int]:
        row = self._existing(s, Statement, item.slug, actor)
        if row is not None and serialise.statement_record(row) == item:
            return "unchanged", row.id
        outcome = "updated" if row is not None else "created"
        instruments = self._instruments_by_slug(s, item.instruments, item.at)
        incidents = self._incidents(s, item.incidents, item.at)
        if row is None:
            row = Statement(slug=item.slug)
            s.add(row)
        for name in ("status", "kind", "title_en", "title_zh_hant", "title_zh_hans", "date",
                     "date_precision", "response_received", "source_url"):  # fmt: skip
            setattr(row, name, getattr(item, name))
        for key, value in _text_columns(item, "summary", "outcome").items():
            setattr(row, key, value)
        row.addressees = list(item.addressees)
        row.authors = list(item.authors)
        row.jurisdictions = list(item.jurisdictions)
        row.links = list(item.links)
        row.instruments = instruments
        row.incidents = incidents
        row.demands = [
            Demand(position=n, **_text_columns(d, "text"), outcome=d.outcome)
            for n, d in enumerate(item.demands, start=1)
        ]
        row.signatories = [
            Signatory(
                position=n,
                kind=g.kind,
                name=g.name,
                country=g.country,
                affiliation=g.affiliation,
                group_label=g.group,
            )
            for n, g in enumerate(item.signatories, start=1)
        ]
        s.flush()
        return outcome, row.id

    def _incidents(self, s: Session, keys: Sequence[str], where: rec.Where) -> list[Incident]:
        """Incidents by natural key (portable between databases) or ``#<id>``."""
        out = []
        for key in keys:
            if key.startswith("#") and key[1:].isdigit():
                incident = s.get(Incident, int(key[1:]))
            else:
                incident = s.scalar(select(Incident).where(Incident.natural_key == key))
            if incident is None:
                raise where.error("incidents", f"unknown incident {key!r}")
            out.append(incident)
        return out

    def load_demo(self, actor: Actor, path: Path = DEMO_DATA) -> ImportSummary:
        from netvigil.policy.io import read_json

        return self.import_records(read_json(path), actor, source=f"demo:{path.name}")

    # --- reads ---

    def _all(self, query: Any) -> list[Any]:
        with self.tracker.session() as s:
            return list(s.scalars(query))

    def _one(self, query: Any, kind: str, ident: int) -> Any:
        with self.tracker.session() as s:
            row = s.scalar(query)
        if row is None:
            raise UnknownEntityError(kind, str(ident))
        return row

    def list_instruments(
        self,
        *,
        public: bool,
        jurisdiction: str | None = None,
        kind: str | None = None,
        concern: str | None = None,
    ) -> list[Instrument]:
        query = select(Instrument).options(*_instrument_options())
        if public:
            query = query.where(Instrument.status == "published")
        if jurisdiction:
            code = jurisdiction.upper()
            query = query.where(
                or_(Instrument.jurisdiction == code, Instrument.jurisdiction.like(f"{code}-%"))
            )
        if kind:
            query = query.where(Instrument.kind == kind)
        if concern:
            query = query.where(
                Instrument.id.in_(
                    select(Provision.instrument_id).where(Provision.concern == concern)
                )
            )
        return self._all(query.order_by(Instrument.jurisdiction, Instrument.name_en))

    def get_instrument(self, instrument_id: int, *, public: bool) -> Instrument:
        query = select(Instrument).where(Instrument.id == instrument_id)
        if public:
            query = query.where(Instrument.status == "published")
        row: Instrument = self._one(
            query.options(*_instrument_options()), "legal instrument", instrument_id
        )
        return row

    def instrument_links(
        self, instrument_id: int, *, public: bool
    ) -> tuple[list[LegalBasis], list[PlatformResponse], list[Statement]]:
        """What cites an instrument: incidents (legal basis), platform responses, statements."""
        bases = select(LegalBasis).join(Incident).where(LegalBasis.instrument_id == instrument_id)
        bases = bases.options(selectinload(LegalBasis.incident).load_only(
            Incident.id, Incident.title, Incident.country_code, Incident.status,
            Incident.start_date,
        ))  # fmt: skip
        responses = (
            select(PlatformResponse)
            .where(PlatformResponse.instruments.any(Instrument.id == instrument_id))
            .options(selectinload(PlatformResponse.instruments))
            .order_by(PlatformResponse.announced_on, PlatformResponse.id)
        )
        statements = (
            select(Statement)
            .where(Statement.instruments.any(Instrument.id == instrument_id))
            .options(*_statement_options())
            .order_by(Statement.date, Statement.id)
        )
        if public:
            bases = bases.where(Incident.status == "published")
            responses = responses.where(PlatformResponse.status == "published")
            statements = statements.where(Statement.status == "published")
        return self._all(bases), self._all(responses), self._all(statements)

    def list_responses(
        self, *, public: bool, jurisdiction: str | None = None, company: str | None = None
    ) -> list[PlatformResponse]:
        query = select(PlatformResponse).options(selectinload(PlatformResponse.instruments))
        if public:
            query = query.where(PlatformResponse.status == "published")
        if jurisdiction:
            query = query.where(PlatformResponse.jurisdiction == jurisdiction.upper())
        if company:
            query = query.where(PlatformResponse.company == company)
        return self._all(query.order_by(PlatformResponse.announced_on, PlatformResponse.company))

    def get_response(self, response_id: int, *, public: bool) -> PlatformResponse:
        query = select(PlatformResponse).where(PlatformResponse.id == response_id)
        if public:
            query = query.where(PlatformResponse.status == "published")
        row: PlatformResponse = self._one(
            query.options(selectinload(PlatformResponse.instruments)),
            "platform response",
            response_id,
        )
        return row

    def list_figures(
        self, *, jurisdiction: str | None = None, company: str | None = None
    ) -> list[TransparencyFigure]:
        """Transparency-report figures (published data: figures have no draft state)."""
        query = select(TransparencyFigure)
        if jurisdiction:
            query = query.where(TransparencyFigure.jurisdiction == jurisdiction.upper())
        if company:
            query = query.where(TransparencyFigure.company == company)
        return self._all(
            query.order_by(
                TransparencyFigure.company,
                TransparencyFigure.jurisdiction,
                TransparencyFigure.period_start,
            )
        )

    def list_statements(self, *, public: bool, jurisdiction: str | None = None) -> list[Statement]:
        query = select(Statement).options(*_statement_options())
        if public:
            query = query.where(Statement.status == "published")
        rows: list[Statement] = self._all(query.order_by(Statement.date.desc(), Statement.id))
        if jurisdiction:
            # A statement concerns a jurisdiction it names or whose instruments it cites (few
            # statements: filtered here rather than through JSON columns in SQL).
            code = jurisdiction.upper()
            rows = [
                r
                for r in rows
                if code in (r.jurisdictions or [])
                or any(i.jurisdiction.split("-")[0] == code for i in r.instruments)
            ]
        return rows

    def get_statement(self, statement_id: int, *, public: bool) -> Statement:
        query = select(Statement).where(Statement.id == statement_id)
        if public:
            query = query.where(Statement.status == "published")
        row: Statement = self._one(query.options(*_statement_options()), "statement", statement_id)
        return row

    def export_records(self, *, public: bool) -> rec.PolicyRecords:
        """Every record (published only when ``public``) as records, ready for io.write_*."""
        return rec.PolicyRecords(
            instruments=tuple(
                serialise.instrument_record(r) for r in self.list_instruments(public=public)
            ),
            responses=tuple(
                serialise.response_record(r) for r in self.list_responses(public=public)
            ),
            figures=tuple(serialise.figure_record(r) for r in self.list_figures()),
            statements=tuple(
                serialise.statement_record(r)
                for r in sorted(self.list_statements(public=public), key=lambda r: r.id)
            ),
        )


__all__ = ["DEMO_DATA", "ImportSummary", "Policy"]
