"""Editor forms for policy records: instruments, platform responses, statements (HTML only).

Plain fields are inputs; lists are textareas with one item per line, and the nested tables
(history, provisions, demands, signatories) one row per line with ``|`` between cells, in the
column order the form shows. A save goes through the same validation and repository as an import
(:mod:`netvigil.policy.records`, :meth:`Policy.import_records`), so a form can store nothing an
import would refuse; a bad line comes back with the form, naming the field and line. Editors
save drafts; publishing and changing a published record needs an admin (the repository checks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from netvigil._errors import InputError, PermissionDeniedError
from netvigil.incidents import Actor
from netvigil.policy import records as rec
from netvigil.policy import serialise, vocab
from netvigil.policy.records import PolicyRecords
from netvigil.web._auth import check_csrf, require_editor, require_viewer
from netvigil.web._i18n import N_
from netvigil.web._render import render

router = APIRouter(include_in_schema=False)

LANG_FIELDS = ("en", "zh_hant", "zh_hans")
# (field, label, widget); widget "list" = one item per line, "rows" = a table as text.
FORMS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "instruments": (
        ("slug", N_("Slug (key in imports; from the name when empty)"), "text"),
        ("status", N_("Status"), "status"),
        ("kind", N_("Kind"), "kind"),
        ("jurisdiction", N_("Jurisdiction (ISO code such as HK, or UN)"), "text"),
        ("name_en", N_("Official name (English)"), "text"),
        ("short_name_en", N_("Short name (English)"), "text"),
        ("name_zh_hant", N_("Official name (Traditional Chinese)"), "text"),
        ("short_name_zh_hant", N_("Short name (Traditional Chinese)"), "text"),
        ("name_zh_hans", N_("Official name (Simplified Chinese)"), "text"),
        ("short_name_zh_hans", N_("Short name (Simplified Chinese)"), "text"),
        ("summary_en", N_("Summary (English)"), "textarea"),
        ("summary_zh_hant", N_("Summary (Traditional Chinese)"), "textarea"),
        ("summary_zh_hans", N_("Summary (Simplified Chinese)"), "textarea"),
        ("source_url", N_("Source URL (the text of the instrument)"), "text"),
        ("links", N_("Other links, one per line"), "list"),
        ("history", N_("History, one event per line: date[..end] | kind | source URL | title | "
                       "place | title (Traditional) | title (Simplified) | for/against/abstain"),
         "rows"),
        ("provisions", N_("Provisions of concern, one per line: concern | article | source URL | "
                          "note | note (Traditional) | note (Simplified)"), "rows"),
    ),
    "responses": (
        ("slug", N_("Slug (key in imports; from the company when empty)"), "text"),
        ("status", N_("Status"), "status"),
        ("company", N_("Company"), "text"),
        ("jurisdiction", N_("Jurisdiction (ISO code such as HK, or UN)"), "text"),
        ("demand_kind", N_("Demand"), "demand_kind"),
        ("response", N_("Response"), "response"),
        ("announced_on", N_("Announced (YYYY-MM-DD, or YYYY-MM)"), "text"),
        ("effective_from", N_("In effect from (YYYY-MM-DD)"), "text"),
        ("ended_on", N_("Ended (YYYY-MM-DD)"), "text"),
        ("summary_en", N_("Summary (English)"), "textarea"),
        ("summary_zh_hant", N_("Summary (Traditional Chinese)"), "textarea"),
        ("summary_zh_hans", N_("Summary (Simplified Chinese)"), "textarea"),
        ("source_url", N_("Source URL"), "text"),
        ("links", N_("Other links, one per line"), "list"),
        ("instruments", N_("Instruments it answers (slugs, one per line)"), "list"),
    ),
    "statements": (
        ("slug", N_("Slug (key in imports; from the title when empty)"), "text"),
        ("status", N_("Status"), "status"),
        ("kind", N_("Kind"), "statement_kind"),
        ("title_en", N_("Title (English)"), "text"),
        ("title_zh_hant", N_("Title (Traditional Chinese)"), "text"),
        ("title_zh_hans", N_("Title (Simplified Chinese)"), "text"),
        ("date", N_("Date (YYYY-MM-DD, or YYYY-MM)"), "text"),
        ("addressees", N_("Addressees, one per line"), "list"),
        ("authors", N_("Authors, one per line"), "list"),
        ("jurisdictions", N_("Jurisdictions it concerns (codes, one per line)"), "list"),
        ("summary_en", N_("Summary (English)"), "textarea"),
        ("summary_zh_hant", N_("Summary (Traditional Chinese)"), "textarea"),
        ("summary_zh_hans", N_("Summary (Simplified Chinese)"), "textarea"),
        ("demands", N_("Demands, one per line: text | text (Traditional) | text (Simplified) | "
                       "outcome"), "rows"),
        ("response_received", N_("Response received"), "response_received"),
        ("outcome_en", N_("What happened next (English)"), "textarea"),
        ("outcome_zh_hant", N_("What happened next (Traditional Chinese)"), "textarea"),
        ("outcome_zh_hans", N_("What happened next (Simplified Chinese)"), "textarea"),
        ("signatories", N_("Signatories, one per line: name | country code | organisation or "
                           "individual | affiliation | group"), "rows"),
        ("instruments", N_("Instruments it concerns (slugs, one per line)"), "list"),
        ("incidents", N_("Incidents it concerns (#id or natural key, one per line)"), "list"),
        ("source_url", N_("Source URL (where the text is published)"), "text"),
        ("links", N_("Other links, one per line"), "list"),
    ),
}  # fmt: skip
CHOICES: dict[str, Sequence[str]] = {
    "status": vocab.RECORD_STATUSES,
    "kind": vocab.INSTRUMENT_KINDS,
    "statement_kind": vocab.STATEMENT_KINDS,
    "demand_kind": vocab.DEMAND_KINDS,
    "response": vocab.RESPONSES,
    "response_received": vocab.RESPONSE_RECEIVED,
}
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "history": ("date", "kind", "source_url", "title_en", "place", "title_zh_hant",
                "title_zh_hans", "votes"),
    "provisions": ("concern", "article", "source_url", "note_en", "note_zh_hant", "note_zh_hans"),
    "demands": ("text_en", "text_zh_hant", "text_zh_hans", "outcome"),
    "signatories": ("name", "country", "kind", "affiliation", "group"),
}  # fmt: skip
HEADINGS = {
    "instruments": N_("Legal instrument"),
    "responses": N_("Platform response"),
    "statements": N_("Statement"),
}


# --- record <-> form text ---


def _row_text(kind: str, item: dict[str, Any]) -> str:
    if kind == "history":
        date = item["date"] + (f"..{item['end_date']}" if item.get("end_date") else "")
        votes = [item.get(k) for k in ("votes_for", "votes_against", "abstentions")]
        cells = [date, *(item.get(c) for c in ROW_COLUMNS[kind][1:-1]),
                 "/".join("" if v is None else str(v) for v in votes) if any(
                     v is not None for v in votes) else ""]  # fmt: skip
    else:
        cells = [item.get(c) for c in ROW_COLUMNS[kind]]
    while cells and not cells[-1]:
        cells.pop()
    return " | ".join("" if c is None else str(c) for c in cells)


def form_values(kind: str, record: dict[str, Any]) -> dict[str, str]:
    """The form's text for a stored record (its export dict)."""
    out: dict[str, str] = {}
    for field, _, widget in FORMS[kind]:
        value = record.get(field)
        if widget == "rows":
            out[field] = "\n".join(_row_text(field, item) for item in value or [])
        elif widget == "list":
            out[field] = "\n".join(str(v) for v in value or [])
        else:
            out[field] = "" if value is None else str(value)
    return out


def _parse_rows(field: str, text: str) -> list[dict[str, Any]]:
    columns = ROW_COLUMNS[field]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > len(columns):
            raise InputError(
                f"line {number} has {len(cells)} cells; expected at most {len(columns)}: "
                + " | ".join(columns),
                field=field,
            )
        row: dict[str, Any] = dict(zip(columns, cells, strict=False))
        if field == "history":
            date, _, end = (row.get("date") or "").partition("..")
            row["date"], row["end_date"] = date.strip(), end.strip() or None
            votes = [v.strip() for v in (row.pop("votes", "") or "").split("/")]
            for key, value in zip(("votes_for", "votes_against", "abstentions"), votes,
                                  strict=False):  # fmt: skip
                row[key] = value or None
        rows.append(row)
    return rows


def record_from_form(kind: str, form: dict[str, str]) -> Any:
    """A validated record from the submitted form text."""
    data: dict[str, Any] = dict(form)
    name = {"instruments": "name_en", "responses": "company", "statements": "title_en"}[kind]
    if not data.get("slug") and data.get(name):
        base = rec.slugify(data[name])
        data["slug"] = f"{base}-{rec.slugify(data.get('announced_on', ''))}".rstrip("-") if (
            kind == "responses") else base  # fmt: skip
    for field, _, widget in FORMS[kind]:
        if widget == "rows":
            data[field] = _parse_rows(field, form.get(field, ""))
    where = rec.Where()
    if kind == "instruments":
        history = [rec.event(e, rec.Where(pointer=f"history line {i}: "))
                   for i, e in enumerate(data["history"], 1)]  # fmt: skip
        provisions = [rec.provision(p, rec.Where(pointer=f"provisions line {i}: "))
                      for i, p in enumerate(data["provisions"], 1)]  # fmt: skip
        return rec.instrument(data, where, history=history, provisions=provisions)
    if kind == "responses":
        return rec.response(data, where)
    demands = [rec.demand(d, rec.Where(pointer=f"demands line {i}: "))
               for i, d in enumerate(data["demands"], 1)]  # fmt: skip
    signatories = [rec.signatory(s, rec.Where(pointer=f"signatories line {i}: "))
                   for i, s in enumerate(data["signatories"], 1)]  # fmt: skip
    return rec.statement(data, where, demands=demands, signatories=signatories)


# --- routes ---


def _stored(request: Request, kind: str, record_id: int) -> dict[str, Any]:
    policy = request.app.state.policy
    if kind == "instruments":
        return rec.to_dict(
            serialise.instrument_record(policy.get_instrument(record_id, public=False))
        )
    if kind == "responses":
        return rec.to_dict(serialise.response_record(policy.get_response(record_id, public=False)))
    return rec.to_dict(serialise.statement_record(policy.get_statement(record_id, public=False)))


PUBLIC_PATHS = {"instruments": "/legal", "responses": "/responses", "statements": "/statements"}


def _page(
    request: Request,
    kind: str,
    *,
    action: str,
    values: dict[str, str],
    error: str | None = None,
    notice: str | None = None,
    public_url: str | None = None,
    status_code: int = 200,
) -> Response:
    data = {
        "kind": kind,
        "heading": HEADINGS[kind],
        "action": action,
        "fields": FORMS[kind],
        "choices": CHOICES,
        "values": values,
        "error": error,
        "notice": notice,
        "public_url": public_url,
    }
    return render(request, "policy_editor_form.html", data, status_code=status_code)


@router.get("/editor/policy")
def policy_home(request: Request, user: Actor = Depends(require_viewer)) -> Response:
    policy = request.app.state.policy
    data = {
        "instruments": [serialise.instrument_ref(i) | {"status": i.status}
                        for i in policy.list_instruments(public=False)],
        "responses": [serialise.public_response(r, public=False)
                      for r in policy.list_responses(public=False)],
        "statements": [serialise.public_statement(s, public=False)
                       for s in policy.list_statements(public=False)],
        "can_edit": user.can("editor"),
    }  # fmt: skip
    return render(request, "policy_editor_list.html", data)


def _register(kind: str) -> None:
    base = f"/editor/policy/{kind}"

    def new_page(request: Request, user: Actor = Depends(require_editor)) -> Response:
        return _page(request, kind, action=f"{base}/new", values={"status": "draft"})

    async def save(request: Request, record_id: int | None, user: Actor) -> Response:
        form = await request.form()
        values = {field: str(form.get(field) or "").strip() for field, _, _ in FORMS[kind]}
        action = f"{base}/new" if record_id is None else f"{base}/{record_id}/edit"
        if record_id is not None:  # the slug is the record's key: editing never forks a copy
            values["slug"] = _stored(request, kind, record_id)["slug"]
        try:
            record = record_from_form(kind, values)
            summary = request.app.state.policy.import_records(
                PolicyRecords(**{kind: (record,)}), user, source=f"editor:{kind}"
            )
        except (InputError, PermissionDeniedError) as exc:
            code = 403 if isinstance(exc, PermissionDeniedError) else 400
            return _page(request, kind, action=action, values=values, error=exc.render(),
                         status_code=code)  # fmt: skip
        saved_id = summary.ids[kind][0]
        return RedirectResponse(f"{base}/{saved_id}/edit?saved=1", status_code=303)

    async def create(request: Request, user: Actor = Depends(require_editor)) -> Response:
        return await save(request, None, user)

    def edit_page(
        request: Request, record_id: int, saved: int = 0, user: Actor = Depends(require_editor)
    ) -> Response:
        record = _stored(request, kind, record_id)
        public_url = (
            f"{PUBLIC_PATHS[kind]}/{record_id}" if record["status"] == "published" else None
        )
        return _page(
            request, kind, action=f"{base}/{record_id}/edit", values=form_values(kind, record),
            notice=N_("Saved.") if saved else None, public_url=public_url,
        )  # fmt: skip

    async def update(
        request: Request, record_id: int, user: Actor = Depends(require_editor)
    ) -> Response:
        return await save(request, record_id, user)

    routes: list[tuple[str, str, Callable[..., Any], list[Any]]] = [
        ("GET", f"{base}/new", new_page, []),
        ("POST", f"{base}/new", create, [Depends(check_csrf)]),
        ("GET", f"{base}/{{record_id:int}}/edit", edit_page, []),
        ("POST", f"{base}/{{record_id:int}}/edit", update, [Depends(check_csrf)]),
    ]
    for method, path, view, deps in routes:
        router.add_api_route(path, view, methods=[method], dependencies=deps,
                             name=f"policy_editor_{kind}_{view.__name__}")  # fmt: skip


for _kind in FORMS:
    _register(_kind)
