"""Every template rendered with hostile values in the data it shows (security audit M1).

On c7f86ae templates passed data through ``{{ _(value) }}`` (a status, an evidence or instrument
kind, the impact note with the country code), and Jinja's ``_()`` marked the result safe: a
stored ``<meta http-equiv="refresh">`` sent visitors off-site and a ``%`` gave HTTP 500. Here the
seeded tracker's values are overwritten in the database (as an old import could have stored
them), every page of the site is fetched as an admin, and each template must have been rendered
with no live injected markup and no server error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from web_support import Seeded, login

from netvigil.web._render import TEMPLATES_DIR

HOSTILE = '<meta http-equiv="refresh" content="0;url=https://evil.example/">%s{% raw %}'
SHORT = "<b>%s"  # too long for the 2-character country code: SQLite stores it all the same


def _poison(seeded: Seeded) -> None:
    with seeded.tracker.engine.begin() as con:
        con.execute(text("UPDATE incidents SET status = :v, country_code = :cc WHERE id = :id"),
                    {"v": HOSTILE, "cc": SHORT, "id": seeded.draft_id})  # fmt: skip
        con.execute(text("UPDATE incidents SET title = :v WHERE id = :id"),
                    {"v": HOSTILE, "id": seeded.published_id})  # fmt: skip
        con.execute(text("UPDATE evidence SET kind = :v"), {"v": HOSTILE})
        con.execute(text("UPDATE policy_instruments SET kind = :v"), {"v": HOSTILE})


def _urls(seeded: Seeded) -> list[str]:
    pub, draft, law = seeded.published_id, seeded.draft_id, seeded.instrument_id
    notice = "?notice=" + HOSTILE.replace("%", "%25").replace("#", "%23").replace("&", "%26")
    return [
        "/", "/incidents", f"/incidents/{pub}", "/countries", f"/countries/{seeded.country_code}",
        "/legal", f"/legal/{law}", "/responses", f"/responses/{seeded.response_id}",
        "/statements", f"/statements/{seeded.statement_id}", "/incidents/999999",
        "/editor", "/editor?status=reported", "/editor/incidents/new", f"/editor/incidents/{pub}",
        f"/editor/incidents/{draft}{notice}", f"/editor/incidents/{draft}/edit",
        "/editor/policy", "/editor/policy/instruments/new",
        f"/editor/policy/instruments/{law}/edit",
        "/editor/policy/responses/new", f"/editor/policy/responses/{seeded.response_id}/edit",
        "/editor/policy/statements/new",
        f"/editor/policy/statements/{seeded.statement_id}/edit",
    ]  # fmt: skip


def test_m1_every_template_escapes_hostile_data(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    env = app.state.templates.env
    rendered: set[str] = set()
    get_template = env.get_template

    def recording(name: Any, *args: Any, **kwargs: Any) -> Any:
        rendered.add(str(name))
        return get_template(name, *args, **kwargs)

    env.get_template = recording
    env.cache = None  # includes and imports go through get_template again
    _poison(seeded)
    client.get("/login")  # the login page, before logging in
    login(client, seeded.admin.name)
    pages = {url: client.get(url) for url in _urls(seeded)}
    errors = {url: r.status_code for url, r in pages.items() if r.status_code >= 500}
    assert errors == {}
    for url, response in pages.items():
        assert "<meta http-equiv" not in response.text, url
        assert "<b>%s" not in response.text, url
    escaped = "&lt;meta http-equiv=&#34;refresh&#34;"
    shown = [url for url, r in pages.items() if escaped in r.text]
    # the values did reach the pages that show them through _(): status, kinds, impact note
    assert f"/editor/incidents/{seeded.draft_id}" in " ".join(shown)
    assert f"/incidents/{seeded.published_id}" in shown and "/editor" in shown
    assert f"/legal/{seeded.instrument_id}" in shown
    every = {p.name for p in Path(TEMPLATES_DIR).glob("*.html")}
    assert every - rendered == set()
