"""Helpers of the web tests (constants, seeding, login): imported as ``from web_support import``
by the tests and by conftest.py; fixtures stay in conftest.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from netvigil._settings import Settings, load_settings
from netvigil.incidents import Actor, Tracker
from netvigil.incidents.model import Incident

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# Every private value seeded below contains this, so one substring search finds any leak.
PRIVATE = "PRIVMARK"


@dataclass(frozen=True)
class Seeded:
    tracker: Tracker
    admin: Actor
    editor: Actor
    viewer: Actor
    published_id: int
    draft_id: int
    withdrawn_id: int
    instrument_id: int
    country_code: str
    statement_id: int = 0  # a published statement citing the instrument and incidents
    response_id: int = 0  # a published platform response
    draft_statement_id: int = 0  # policy drafts: never on a public page
    draft_response_id: int = 0


def web_settings(tmp_path: Path, db_url: str, **web: object) -> Settings:
    return load_settings(data_dir=tmp_path / "data", db=db_url, web=web)


def seed(tracker: Tracker) -> Seeded:
    """A published incident (with private sources/notes), a draft and a withdrawn one."""
    admin = tracker.create_user(f"admin-{PRIVATE}@example.org", PASSWORD, role="admin")
    editor = tracker.create_user(f"editor-{PRIVATE}@example.org", PASSWORD, role="editor")
    viewer = tracker.create_user(f"viewer-{PRIVATE}@example.org", PASSWORD, role="viewer")
    published = tracker.create_incident(
        {
            "title": "Mobile internet cut in Manipur",
            "summary": "Mobile data suspended across the state after clashes.",
            "country": "India",
            "start_date": "2023-05-03",
            "end_date": "2023-05-05",
            "geo_scope": "National",
            "area_name": "Manipur",
            "shutdown_type": "Shutdown",
            "shutdown_extent": "Full network",
            "affected_network": "Mobile",
            "ordered_by": "State home department",
            "whatsapp_affected": "Yes",
            "internal_notes": f"{PRIVATE}-notes: confirmed by a contact at the operator",
        },
        editor,
    )
    tracker.add_source(
        published.id,
        editor,
        description=f"{PRIVATE}-source journalist in Imphal",
        url=f"https://signal.example/{PRIVATE}-source-url",
        reporter_name=f"{PRIVATE}-reporter-name",
        reporter_contact=f"+91-{PRIVATE}-contact",
    )
    tracker.attach_evidence(
        published.id,
        "measurement",
        "20230503T101010Z_webconnectivity_IN_55836_n1_abc",
        editor,
        description="OONI web_connectivity shows DNS failures",
        # As the editor area records it from the analytical store (tested in test_web_editor).
        verdict={
            "measurement_uid": "20230503T101010Z_webconnectivity_IN_55836_n1_abc",
            "test_name": "web_connectivity",
            "probe_cc": "IN",
            "probe_asn": "AS55836",
            "outcome": "anomaly",
            "blocking": "dns",
        },
    )
    tracker.attach_evidence(
        published.id,
        "document",
        "order-2023-05-03.pdf",
        editor,
        sha256="ab" * 32,
        description="Suspension order",
    )
    tracker.add_episode(published.id, editor, area_name="Imphal West")
    law = tracker.add_legal_instrument(
        {
            "name": "Telecommunications Act 2023",
            "kind": "law",
            "jurisdiction": "IN",
            "articles": "s. 20(2)",
        },
        admin,  # instruments are published policy records: an admin's to publish
    )
    tracker.link_legal_basis(published.id, law.id, editor, articles="s. 20(2)(b)")
    for status in ("corroborated", "verified"):  # four eyes: another verifies
        tracker.set_status(published.id, status, editor)
    tracker.set_status(published.id, "published", admin)

    draft = tracker.create_incident(
        {
            "title": f"{PRIVATE}-draft title",
            "summary": f"{PRIVATE}-draft summary",
            "country": "India",
            "start_date": "2024-01-01",
            "area_name": f"{PRIVATE}-draft-area",
        },
        editor,
    )
    tracker.add_source(draft.id, editor, reporter_contact=f"{PRIVATE}-draft-contact")
    withdrawn = tracker.create_incident(
        {"title": f"{PRIVATE}-withdrawn title", "country": "India", "start_date": "2022-02-02"},
        editor,
    )
    tracker.set_status(withdrawn.id, "withdrawn", admin)
    # import_problems is only written by the STOP importer; set it directly to cover it too.
    with tracker._sessions.begin() as s:
        row = s.get(Incident, published.id)
        assert row is not None
        row.import_problems = [{"sheet": "x", "row": 1, "column": "c", "raw": f"{PRIVATE}-raw"}]
    statement_id, response_id, draft_statement_id, draft_response_id = _seed_policy(
        tracker, admin, editor, published.id, draft.id
    )
    return Seeded(
        tracker, admin, editor, viewer, published.id, draft.id, withdrawn.id, law.id, "IN",
        statement_id, response_id, draft_statement_id, draft_response_id,
    )  # fmt: skip


def _seed_policy(
    tracker: Tracker, admin: Actor, editor: Actor, published_id: int, draft_id: int
) -> tuple[int, int, int, int]:
    """Published policy records citing the instrument (and, for the statement, the published
    incident and the draft one, which must not show); drafts with private markers."""
    from netvigil.policy import records as rec
    from netvigil.policy.repository import Policy

    policy = Policy(tracker)
    src = "https://news.example.net/story"
    response = {"slug": "telco-refuses", "company": "Telco", "jurisdiction": "IN",
                "demand_kind": "shutdown_order", "response": "challenge_in_court",
                "announced_on": "2023-05-10", "source_url": src,
                "instruments": ["in-telecommunications-act-2023"]}  # fmt: skip
    statement = {"slug": "keep-manipur-online", "kind": "open_letter", "date": "2023-05-06",
                 "title_en": "Keep Manipur online", "source_url": src, "jurisdictions": ["IN"],
                 "instruments": ["in-telecommunications-act-2023"],
                 "incidents": [f"#{published_id}", f"#{draft_id}"],
                 "demands": [{"text_en": "Restore mobile data"}],
                 "signatories": [{"name": "Freedom Foundation", "country": "IN"}]}  # fmt: skip
    published = policy.import_records(
        rec.PolicyRecords(responses=(rec.response(response),),
                          statements=(rec.statement(statement),)), admin)  # fmt: skip
    drafts = policy.import_records(
        rec.PolicyRecords(
            responses=(rec.response({**response, "slug": "private-response", "status": "draft",
                                     "company": f"{PRIVATE}-company"}),),
            statements=(rec.statement({**statement, "slug": "private-letter", "status": "draft",
                                       "title_en": f"{PRIVATE}-letter title"}),),
        ),
        editor,
    )  # fmt: skip
    return (
        published.ids["statements"][0], published.ids["responses"][0],
        drafts.ids["statements"][0], drafts.ids["responses"][0],
    )  # fmt: skip


BACKENDS = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def csrf_token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def all_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route of the app, including included routers."""
    out: list[tuple[str, str]] = []

    def walk(routes: list[object]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
                continue
            path = getattr(route, "path", None)
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD" and path is not None:
                    out.append((method, path))

    walk(list(app.routes))
    return out
