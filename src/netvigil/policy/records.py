"""Validated policy records: what an import, an export, the demo dataset and the editor forms share.

Pure: plain dicts (from JSON, CSV rows or forms) become frozen dataclasses, or an
:class:`InputError` naming the file, the line (CSV) or record path (JSON) and the field, with what
was expected. Checked here: required fields, every source URL, vocabularies, jurisdictions (ISO
3166-1/3166-2 or an international body of :data:`vocab.INTERNATIONAL_BODIES`), dates and their
order (an event's end after its start; the lifecycle order of :data:`vocab.DATE_ORDER`).
References between records (a response's instruments, a statement's incidents) are checked by
the repository, which knows what is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netvigil._errors import InputError
from netvigil.policy import vocab

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")


@dataclass(frozen=True)
class Where:
    """Where a record came from, for error messages: a file, a CSV line, a JSON record path."""

    path: str | None = None
    line: int | None = None
    pointer: str = ""  # e.g. "instruments[2].history[1]." (JSON) or "" (CSV: columns are fields)

    def error(self, field_name: str, message: str) -> InputError:
        return InputError(message, path=self.path, line=self.line, field=self.pointer + field_name)

    def child(self, pointer: str, line: int | None = None) -> Where:
        return Where(self.path, self.line if line is None else line, self.pointer + pointer)


_NOWHERE = Where()


# --- field checks: (value, where, name) -> clean value ---


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _required(value: Any, where: Where, name: str) -> str:
    text = _text(value)
    if text is None:
        raise where.error(name, "is required")
    return text


def _url(value: Any, where: Where, name: str, *, required: bool) -> str | None:
    text = _text(value)
    if text is None:
        if required:
            raise where.error(name, "a source URL is required (https://...)")
        return None
    if not text.startswith(("https://", "http://")) or " " in text:
        raise where.error(name, f"expected an http(s) URL, got {text!r}")
    return text


def _date(value: Any, where: Where, name: str, *, required: bool) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = _text(value)
    if text is None:
        if required:
            raise where.error(name, "a date is required (YYYY-MM-DD)")
        return None
    # Month or year precision may be written as 2017-10 or 2017 (stored as its first day).
    for pattern, fmt in ((r"^\d{4}$", "%Y"), (r"^\d{4}-\d{2}$", "%Y-%m")):
        if re.match(pattern, text):
            return dt.datetime.strptime(text, fmt).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise where.error(name, f"expected a date YYYY-MM-DD, got {text!r}") from None


def _precision(value: Any, raw_date: Any, where: Where, name: str) -> str:
    text = _text(value)
    if text is None:  # inferred from how the date was written
        raw = _text(raw_date) or ""
        return "year" if re.match(r"^\d{4}$", raw) else "month" if len(raw) == 7 else "day"
    if text not in vocab.DATE_PRECISIONS:
        raise where.error(name, f"expected one of {', '.join(vocab.DATE_PRECISIONS)}")
    return text


def _choice(
    value: Any, choices: Sequence[str], where: Where, name: str, default: str | None
) -> str:
    text = _text(value) or default
    if text is None:
        raise where.error(name, f"is required: one of {', '.join(choices)}")
    if text not in choices:
        raise where.error(name, f"{text!r} is not one of {', '.join(choices)}")
    return text


def _jurisdiction(value: Any, where: Where, name: str) -> str:
    text = _required(value, where, name)
    code = vocab.check_jurisdiction(text)
    if code is None:
        raise where.error(
            name,
            f"unknown jurisdiction {text!r}: expected an ISO 3166 code (HK, IN-JK) or one of "
            f"{', '.join(vocab.INTERNATIONAL_BODIES)}",
        )
    return code


def _country(value: Any, where: Where, name: str) -> str | None:
    text = _text(value)
    if text is None:
        return None
    code = vocab.check_jurisdiction(text)
    if code is None or len(code) != 2 or code in vocab.INTERNATIONAL_BODIES:
        raise where.error(name, f"unknown country {text!r}: expected an ISO 3166-1 code")
    return code


def _int(value: Any, where: Where, name: str) -> int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = int(text.replace(",", ""))
    except ValueError:
        raise where.error(name, f"expected a whole number, got {text!r}") from None
    if number < 0:
        raise where.error(name, f"expected a count (0 or more), got {number}")
    return number


def _share(value: Any, where: Where, name: str) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise where.error(name, f"expected a percentage 0-100, got {text!r}") from None
    if not 0 <= number <= 100:
        raise where.error(name, f"expected a percentage 0-100, got {number}")
    return number


def _list(value: Any) -> tuple[str, ...]:
    """A list from JSON, or from text with one item per line (CSV cells, form textareas)."""
    if value is None:
        return ()
    items = value.splitlines() if isinstance(value, str) else [str(v) for v in value]
    return tuple(t for t in (i.strip() for i in items) if t)


def _slug(value: Any, where: Where, name: str = "slug") -> str:
    text = _required(value, where, name)
    if not SLUG_RE.match(text):
        raise where.error(name, f"expected lower-case letters, digits and '-', got {text!r}")
    return text


def slugify(text: str) -> str:
    """A slug for a new record from its name (editor forms)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:100] or "record"


def _texts(data: Mapping[str, Any], stem: str) -> dict[str, str | None]:
    return {f"{stem}_{lang}": _text(data.get(f"{stem}_{lang}")) for lang in vocab.LANGS}


# --- records ---


@dataclass(frozen=True)
class EventRecord:
    kind: str
    date: dt.date
    date_precision: str = "day"
    end_date: dt.date | None = None
    title_en: str | None = None
    title_zh_hant: str | None = None
    title_zh_hans: str | None = None
    place: str | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    abstentions: int | None = None
    source_url: str | None = None
    at: Where = field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class ProvisionRecord:
    concern: str
    article: str
    note_en: str | None = None
    note_zh_hant: str | None = None
    note_zh_hans: str | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class InstrumentRecord:
    slug: str
    kind: str
    jurisdiction: str
    name_en: str
    status: str = "published"
    short_name_en: str | None = None
    name_zh_hant: str | None = None
    short_name_zh_hant: str | None = None
    name_zh_hans: str | None = None
    short_name_zh_hans: str | None = None
    summary_en: str | None = None
    summary_zh_hant: str | None = None
    summary_zh_hans: str | None = None
    source_url: str | None = None
    links: tuple[str, ...] = ()
    history: tuple[EventRecord, ...] = ()
    provisions: tuple[ProvisionRecord, ...] = ()


@dataclass(frozen=True)
class ResponseRecord:
    slug: str
    company: str
    jurisdiction: str
    demand_kind: str
    response: str
    announced_on: dt.date
    source_url: str
    status: str = "published"
    announced_precision: str = "day"
    effective_from: dt.date | None = None
    ended_on: dt.date | None = None
    summary_en: str | None = None
    summary_zh_hant: str | None = None
    summary_zh_hans: str | None = None
    links: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()  # instrument slugs
    at: Where = field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class FigureRecord:
    company: str
    jurisdiction: str
    demand_kind: str
    period_start: dt.date
    period_end: dt.date
    source_url: str
    requests: int | None = None
    accounts_specified: int | None = None
    complied_share: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class DemandRecord:
    text_en: str
    text_zh_hant: str | None = None
    text_zh_hans: str | None = None
    outcome: str = "unknown"


@dataclass(frozen=True)
class SignatoryRecord:
    name: str
    kind: str = "organisation"
    country: str | None = None
    affiliation: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class StatementRecord:
    slug: str
    kind: str
    title_en: str
    date: dt.date
    source_url: str
    status: str = "published"
    title_zh_hant: str | None = None
    title_zh_hans: str | None = None
    date_precision: str = "day"
    addressees: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    summary_en: str | None = None
    summary_zh_hant: str | None = None
    summary_zh_hans: str | None = None
    outcome_en: str | None = None
    outcome_zh_hant: str | None = None
    outcome_zh_hans: str | None = None
    response_received: str = "unknown"
    links: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()  # instrument slugs
    incidents: tuple[str, ...] = ()  # incident natural keys
    demands: tuple[DemandRecord, ...] = ()
    signatories: tuple[SignatoryRecord, ...] = ()
    at: Where = field(default=_NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class PolicyRecords:
    """A set of records of every kind: one import, one export, the demo dataset."""

    instruments: tuple[InstrumentRecord, ...] = ()
    responses: tuple[ResponseRecord, ...] = ()
    figures: tuple[FigureRecord, ...] = ()
    statements: tuple[StatementRecord, ...] = ()

    def count(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)) for f in dataclasses.fields(self)}


# --- building records from dicts ---


def event(data: Mapping[str, Any], where: Where, *, require_source: bool = True) -> EventRecord:
    start = _date(data.get("date"), where, "date", required=True)
    end = _date(data.get("end_date"), where, "end_date", required=False)
    assert start is not None
    if end is not None and end < start:
        raise where.error("end_date", f"ends ({end}) before it starts ({start})")
    return EventRecord(
        kind=_choice(data.get("kind"), vocab.EVENT_KINDS, where, "kind", None),
        date=start,
        date_precision=_precision(
            data.get("date_precision"), data.get("date"), where, "date_precision"
        ),
        end_date=end,
        **_texts(data, "title"),
        place=_text(data.get("place")),
        votes_for=_int(data.get("votes_for"), where, "votes_for"),
        votes_against=_int(data.get("votes_against"), where, "votes_against"),
        abstentions=_int(data.get("abstentions"), where, "abstentions"),
        source_url=_url(data.get("source_url"), where, "source_url", required=require_source),
        at=where,
    )


def provision(data: Mapping[str, Any], where: Where) -> ProvisionRecord:
    return ProvisionRecord(
        concern=_choice(data.get("concern"), vocab.CONCERNS, where, "concern", None),
        article=_required(data.get("article"), where, "article"),
        **_texts(data, "note"),
        source_url=_url(data.get("source_url"), where, "source_url", required=False),
    )


def check_date_order(history: Sequence[EventRecord], where: Where) -> None:
    """Refuse a history whose lifecycle steps are out of order (vocab.DATE_ORDER)."""
    first: dict[str, EventRecord] = {}
    for item in history:
        if item.kind not in first or item.date < first[item.kind].date:
            first[item.kind] = item
    for later, earlier in vocab.DATE_ORDER:
        if later in first and earlier in first and first[later].date < first[earlier].date:
            bad = first[later]
            at = bad.at if bad.at is not _NOWHERE else where
            raise at.error(
                "date",
                f"date order violated: {later} ({bad.date}) is before "
                f"{earlier} ({first[earlier].date})",
            )


def instrument(
    data: Mapping[str, Any],
    where: Where = _NOWHERE,
    *,
    history: Sequence[EventRecord] | None = None,
    provisions: Sequence[ProvisionRecord] | None = None,
    require_source: bool = True,
) -> InstrumentRecord:
    """An instrument from a dict; nested ``history``/``provisions`` come from the dict (JSON)
    unless given already built (CSV keeps them in their own tables)."""
    if history is None:
        history = [
            event(e, where.child(f"history[{i}]."), require_source=require_source)
            for i, e in enumerate(data.get("history") or [])
        ]
    if provisions is None:
        provisions = [
            provision(p, where.child(f"provisions[{i}]."))
            for i, p in enumerate(data.get("provisions") or [])
        ]
    check_date_order(history, where)
    return InstrumentRecord(
        slug=_slug(data.get("slug"), where),
        kind=_choice(data.get("kind"), vocab.INSTRUMENT_KINDS, where, "kind", None),
        jurisdiction=_jurisdiction(data.get("jurisdiction"), where, "jurisdiction"),
        name_en=_required(data.get("name_en"), where, "name_en"),
        status=_choice(data.get("status"), vocab.RECORD_STATUSES, where, "status", "published"),
        short_name_en=_text(data.get("short_name_en")),
        name_zh_hant=_text(data.get("name_zh_hant")),
        short_name_zh_hant=_text(data.get("short_name_zh_hant")),
        name_zh_hans=_text(data.get("name_zh_hans")),
        short_name_zh_hans=_text(data.get("short_name_zh_hans")),
        **_texts(data, "summary"),
        source_url=_url(data.get("source_url"), where, "source_url", required=require_source),
        links=_urls(data.get("links"), where),
        history=tuple(sorted(history, key=lambda e: e.date)),
        provisions=tuple(provisions),
    )


def _urls(value: Any, where: Where) -> tuple[str, ...]:
    links = _list(value)
    for link in links:
        _url(link, where, "links", required=False)
    return links


def response(data: Mapping[str, Any], where: Where = _NOWHERE) -> ResponseRecord:
    announced = _date(data.get("announced_on"), where, "announced_on", required=True)
    effective = _date(data.get("effective_from"), where, "effective_from", required=False)
    ended = _date(data.get("ended_on"), where, "ended_on", required=False)
    assert announced is not None
    if ended is not None and ended < (effective or announced):
        raise where.error("ended_on", f"ends ({ended}) before it took effect")
    return ResponseRecord(
        slug=_slug(data.get("slug"), where),
        company=_required(data.get("company"), where, "company"),
        jurisdiction=_jurisdiction(data.get("jurisdiction"), where, "jurisdiction"),
        demand_kind=_choice(
            data.get("demand_kind"), vocab.DEMAND_KINDS, where, "demand_kind", None
        ),
        response=_choice(data.get("response"), vocab.RESPONSES, where, "response", None),
        announced_on=announced,
        announced_precision=_precision(
            data.get("announced_precision"), data.get("announced_on"), where, "announced_precision"
        ),
        effective_from=effective,
        ended_on=ended,
        source_url=_url(data.get("source_url"), where, "source_url", required=True) or "",
        status=_choice(data.get("status"), vocab.RECORD_STATUSES, where, "status", "published"),
        **_texts(data, "summary"),
        links=_urls(data.get("links"), where),
        instruments=_list(data.get("instruments")),
        at=where,
    )


def figure(data: Mapping[str, Any], where: Where = _NOWHERE) -> FigureRecord:
    start = _date(data.get("period_start"), where, "period_start", required=True)
    end = _date(data.get("period_end"), where, "period_end", required=True)
    assert start is not None and end is not None
    if end < start:
        raise where.error("period_end", f"date order violated: the period ends ({end}) before "
                                        f"it starts ({start})")  # fmt: skip
    return FigureRecord(
        company=_required(data.get("company"), where, "company"),
        jurisdiction=_jurisdiction(data.get("jurisdiction"), where, "jurisdiction"),
        demand_kind=_choice(
            data.get("demand_kind"), vocab.DEMAND_KINDS, where, "demand_kind", "user_data"
        ),
        period_start=start,
        period_end=end,
        source_url=_url(data.get("source_url"), where, "source_url", required=True) or "",
        requests=_int(data.get("requests"), where, "requests"),
        accounts_specified=_int(data.get("accounts_specified"), where, "accounts_specified"),
        complied_share=_share(data.get("complied_share"), where, "complied_share"),
        note=_text(data.get("note")),
    )


def demand(data: Mapping[str, Any], where: Where) -> DemandRecord:
    return DemandRecord(
        **{k: v for k, v in _texts(data, "text").items() if k != "text_en"},
        text_en=_required(data.get("text_en"), where, "text_en"),
        outcome=_choice(data.get("outcome"), vocab.DEMAND_OUTCOMES, where, "outcome", "unknown"),
    )


def signatory(data: Mapping[str, Any], where: Where) -> SignatoryRecord:
    return SignatoryRecord(
        name=_required(data.get("name"), where, "name"),
        kind=_choice(data.get("kind"), vocab.SIGNATORY_KINDS, where, "kind", "organisation"),
        country=_country(data.get("country"), where, "country"),
        affiliation=_text(data.get("affiliation")),
        group=_text(data.get("group")),
    )


def statement(
    data: Mapping[str, Any],
    where: Where = _NOWHERE,
    *,
    demands: Sequence[DemandRecord] | None = None,
    signatories: Sequence[SignatoryRecord] | None = None,
) -> StatementRecord:
    if demands is None:
        demands = [
            demand(d, where.child(f"demands[{i}]."))
            for i, d in enumerate(data.get("demands") or [])
        ]
    if signatories is None:
        signatories = [
            signatory(s, where.child(f"signatories[{i}]."))
            for i, s in enumerate(data.get("signatories") or [])
        ]
    day = _date(data.get("date"), where, "date", required=True)
    assert day is not None
    return StatementRecord(
        slug=_slug(data.get("slug"), where),
        kind=_choice(data.get("kind"), vocab.STATEMENT_KINDS, where, "kind", "joint_statement"),
        title_en=_required(data.get("title_en"), where, "title_en"),
        date=day,
        source_url=_url(data.get("source_url"), where, "source_url", required=True) or "",
        status=_choice(data.get("status"), vocab.RECORD_STATUSES, where, "status", "published"),
        title_zh_hant=_text(data.get("title_zh_hant")),
        title_zh_hans=_text(data.get("title_zh_hans")),
        date_precision=_precision(
            data.get("date_precision"), data.get("date"), where, "date_precision"
        ),
        addressees=_list(data.get("addressees")),
        authors=_list(data.get("authors")),
        jurisdictions=tuple(
            _jurisdiction(j, where, "jurisdictions") for j in _list(data.get("jurisdictions"))
        ),
        **_texts(data, "summary"),
        **_texts(data, "outcome"),
        response_received=_choice(
            data.get("response_received"),
            vocab.RESPONSE_RECEIVED,
            where,
            "response_received",
            "unknown",
        ),
        links=_urls(data.get("links"), where),
        instruments=_list(data.get("instruments")),
        incidents=_list(data.get("incidents")),
        demands=tuple(demands),
        signatories=tuple(signatories),
        at=where,
    )


# --- back to plain dicts (JSON export; the CSV tables flatten these) ---


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    return value


def to_dict(record: Any) -> dict[str, Any]:
    """A record as JSON-ready data: the same shape the importer reads."""
    return {
        f.name: _plain(getattr(record, f.name))
        for f in dataclasses.fields(record)
        if f.name != "at"
    }
