"""Security of the tracker site: roles, CSRF, login throttle, cookies, headers, no private data
in anything public, and one error shape on every route."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import (
    BACKENDS,
    PASSWORD,
    PRIVATE,
    Seeded,
    all_routes,
    csrf_token,
    login,
    web_settings,
)

from netvigil.web import create_app

EDITOR_PREFIXES = ("/editor", "/login", "/logout")


def _public_urls(app: FastAPI, seeded: Seeded) -> list[str]:
    """Every public GET route, with its path parameters filled from the seeded data (drafts
    included: a public route asked for a draft must not show it either)."""
    urls: list[str] = []
    for method, path in all_routes(app):
        if method != "GET" or path.startswith((*EDITOR_PREFIXES, "/static", "/docs")):
            continue
        if "{incident_id" in path:
            for iid in (seeded.published_id, seeded.draft_id, seeded.withdrawn_id):
                urls.append(re.sub(r"\{incident_id[^}]*\}", str(iid), path))
        elif "{code}" in path:
            urls.append(path.replace("{code}", seeded.country_code))
        elif "{instrument_id" in path:
            urls.append(re.sub(r"\{instrument_id[^}]*\}", str(seeded.instrument_id), path))
        elif "{statement_id" in path:
            for sid in (seeded.statement_id, seeded.draft_statement_id):
                urls.append(re.sub(r"\{statement_id[^}]*\}", str(sid), path))
        elif "{response_id" in path:
            for rid in (seeded.response_id, seeded.draft_response_id):
                urls.append(re.sub(r"\{response_id[^}]*\}", str(rid), path))
        else:
            urls.append(path)
    with_filters = []
    for url in urls:
        if url.startswith("/incidents") and "{" not in url and url.count("/") == 1:
            with_filters += [f"{url}?country=IN", f"{url}?year=2024", f"{url}?status=published"]
    return urls + with_filters


@BACKENDS
def test_public_routes_never_show_private_fields_or_drafts(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    urls = _public_urls(app, seeded)
    assert len(urls) > 20  # the crawl really covers the site
    seen_published = False
    for lang in ("en", "zh_Hant", "zh_Hans"):
        for url in urls:
            sep = "&" if "?" in url else "?"
            response = client.get(f"{url}{sep}lang={lang}")
            # The subscription API needs its bearer token (401 without).
            allowed = (200, 404, 401) if url.startswith("/api/") else (200, 404)
            assert response.status_code in allowed, (url, response.status_code)
            assert PRIVATE.lower() not in response.text.lower(), f"private data leaked on {url}"
            assert "example.org" not in response.text, f"an editor email leaked on {url}"
            seen_published |= "Mobile internet cut in Manipur" in response.text
    assert seen_published  # the crawl did render real content


def test_editor_area_shows_the_private_fields_to_editors(
    client: TestClient, seeded: Seeded
) -> None:
    login(client, seeded.editor.name)
    page = client.get(f"/editor/incidents/{seeded.published_id}").text
    assert f"+91-{PRIVATE}-contact" in page and f"{PRIVATE}-notes" in page
    assert f"{PRIVATE}-draft title" in client.get("/editor").text


def _ask_json(client: TestClient, method: str, url: str) -> tuple[int, object]:
    response = client.request(
        method, url, headers={"Accept": "application/json"}, follow_redirects=False
    )
    if response.status_code < 400:
        return response.status_code, None
    assert response.headers["content-type"] == "application/json", (method, url, response.text)
    return response.status_code, response.json()


@BACKENDS
def test_every_route_answers_errors_in_one_json_shape(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    checked = 0
    for method, path in all_routes(app):
        if path.startswith(("/static", "/docs", "/openapi")):
            continue
        url = re.sub(r"\{[a-z_]+:int\}", "987654", path).replace("{code}", "QQ")
        if url == path:  # no path parameter to make unknown: send an invalid query instead
            url = f"{path}?limit=0&year=oops&status=bogus"
        status, body = _ask_json(client, method, url)
        if status < 400:  # a page without parameters: a wrong method is its error case
            status, body = _ask_json(client, "PATCH", path)
        assert status >= 400, (method, url, status)
        assert isinstance(body, dict) and set(body) == {"error"}, (method, url, body)
        error = body["error"]
        assert set(error) == {"status", "message"}, (method, url, body)
        assert error["status"] == status and isinstance(error["message"], str) and error["message"]
        checked += 1
    assert checked >= 20
    for method, url in (("GET", "/no/such/page"), ("DELETE", "/incidents.json")):
        status, body = _ask_json(client, method, url)
        assert status in (404, 405) and body == {
            "error": {"status": status, "message": body["error"]["message"]}
        }


def test_anonymous_visitors_cannot_use_the_editor_area(client: TestClient, seeded: Seeded) -> None:
    page = client.get("/editor", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    token = csrf_token(client)  # a valid token of an anonymous session does not help
    response = client.post(
        f"/editor/incidents/{seeded.draft_id}/status",
        data={"status": "corroborated", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 401
    response = client.post(
        "/editor/incidents/new", data={"title": "x", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 401
    assert seeded.tracker.get_incident(seeded.draft_id, public=False).status == "reported"


def _post_form(client: TestClient, url: str, data: dict[str, str]) -> int:
    token = csrf_token(client, "/editor")
    response = client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)
    return response.status_code


@BACKENDS
def test_editors_cannot_publish_and_viewers_cannot_edit(client: TestClient, seeded: Seeded) -> None:
    tracker = seeded.tracker
    for status in ("corroborated", "verified"):
        tracker.set_status(seeded.draft_id, status, seeded.editor)
    login(client, seeded.editor.name)
    url = f"/editor/incidents/{seeded.draft_id}/status"
    assert _post_form(client, url, {"status": "published"}) == 403
    assert tracker.get_incident(seeded.draft_id, public=False).status == "verified"
    # Nor can an editor withdraw or change a published incident (admin-only moves).
    assert (
        _post_form(
            client, f"/editor/incidents/{seeded.published_id}/status", {"status": "withdrawn"}
        )
        == 403
    )
    assert (
        _post_form(client, f"/editor/incidents/{seeded.published_id}/edit", {"title": "defaced"})
        == 403
    )
    assert tracker.get_incident(seeded.published_id, public=True).title != "defaced"

    client.cookies.clear()
    login(client, seeded.viewer.name)
    assert client.get("/editor").status_code == 200  # viewers read drafts
    assert _post_form(client, "/editor/incidents/new", {"title": "by a viewer"}) == 403
    assert (
        _post_form(
            client,
            f"/editor/incidents/{seeded.draft_id}/evidence",
            {"kind": "url", "value": "https://example.net/x"},
        )
        == 403
    )

    client.cookies.clear()
    login(client, seeded.admin.name)
    assert _post_form(client, url, {"status": "published"}) == 303
    assert tracker.get_incident(seeded.draft_id, public=True).status == "published"


@BACKENDS
def test_form_posts_without_a_valid_csrf_token_are_refused(
    app: FastAPI, client: TestClient, seeded: Seeded
) -> None:
    login(client, seeded.admin.name)
    before = len(seeded.tracker.list_incidents(public=False))
    episode = seeded.tracker.add_episode(seeded.draft_id, seeded.editor, area_name="Imphal")
    forms = [
        ("/editor/incidents/new", {"title": "forged"}),
        (f"/editor/incidents/{seeded.draft_id}/edit", {"title": "forged"}),
        (f"/editor/incidents/{seeded.draft_id}/evidence", {"kind": "url", "value": "http://f"}),
        (f"/editor/incidents/{seeded.draft_id}/document", {"description": "forged"}),
        (f"/editor/incidents/{seeded.draft_id}/episodes", {"area_name": "forged"}),
        (f"/editor/incidents/{seeded.draft_id}/legal", {"instrument_id": "new", "name": "f"}),
        (f"/editor/episodes/{episode.id}/edit", {"area_name": "forged"}),
        (f"/editor/episodes/{episode.id}/delete", {}),
        (f"/editor/incidents/{seeded.draft_id}/status", {"status": "withdrawn"}),
        (f"/editor/incidents/{seeded.draft_id}/dismiss", {"reason": "forged"}),
        (f"/editor/incidents/{seeded.draft_id}/merge", {"other": str(seeded.published_id)}),
        ("/editor/subscriptions", {"entities": "country:IN", "channel": "atom"}),
        ("/editor/subscriptions/1/delete", {}),
        ("/editor/tokens", {"label": "forged"}),
        ("/logout", {}),
    ]
    for kind, record_id in (("instruments", seeded.instrument_id),
                            ("responses", seeded.draft_response_id),
                            ("statements", seeded.draft_statement_id)):  # fmt: skip
        forms += [
            (f"/editor/policy/{kind}/new", {"name_en": "forged", "title_en": "forged"}),
            (f"/editor/policy/{kind}/{record_id}/edit", {"summary_en": "forged"}),
        ]
    posted = {
        re.sub(r"/editor/policy/(\w+)/\d+/", r"/editor/policy/\1/{record_id:int}/", url)
        .replace(f"episodes/{episode.id}/", "episodes/{episode_id:int}/")
        .replace(f"incidents/{seeded.draft_id}", "incidents/{incident_id:int}")
        .replace("subscriptions/1/", "subscriptions/{subscription_id:int}/")
        for url, _ in forms
    }
    # Not forms of a session: the API takes a bearer token (no cookie, so no CSRF), and an
    # unsubscribe link's unguessable token is its own authority (RFC 8058 one-click POST).
    unsessioned = {"/login", "/api/subscriptions", "/unsubscribe/{token}"}
    assert posted == {path for method, path in all_routes(app) if method == "POST"} - unsessioned
    other = TestClient(app, base_url="https://testserver")
    foreign_token = csrf_token(other)  # valid, but for another session
    for url, data in forms:
        for token in (None, "", "forged", foreign_token):
            payload = data if token is None else {**data, "csrf_token": token}
            response = client.post(url, data=payload, follow_redirects=False)
            assert response.status_code == 403, (url, token, response.status_code)
            assert "CSRF" in response.text
    assert len(seeded.tracker.list_incidents(public=False)) == before
    assert seeded.tracker.get_incident(seeded.draft_id, public=False).status == "reported"
    assert client.get("/editor").status_code == 200  # still logged in: logout was refused too
    policy = seeded.tracker.list_legal_instruments()
    assert [i.name_en for i in policy] == ["Telecommunications Act 2023"]  # nothing forged
    # And the login form itself (login CSRF).
    fresh = TestClient(app, base_url="https://testserver")
    response = fresh.post("/login", data={"username": seeded.admin.name, "password": PASSWORD})
    assert response.status_code == 403


def test_login_is_throttled_after_five_failures(client: TestClient, seeded: Seeded) -> None:
    token = csrf_token(client)
    for _ in range(5):
        response = client.post(
            "/login",
            data={
                "username": seeded.editor.name,
                "password": "wrong password",
                "csrf_token": token,
            },
        )
        assert response.status_code == 401
    response = client.post(
        "/login", data={"username": seeded.editor.name, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429  # even the right password waits now
    assert int(response.headers["retry-after"]) > 0
    assert client.get("/editor", follow_redirects=False).status_code == 303  # not logged in


def test_session_cookie_flags_and_fresh_session_on_login(
    client: TestClient, seeded: Seeded
) -> None:
    client.get("/login")
    before = client.cookies.get("netvigil_session")
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"username": seeded.editor.name, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "netvigil_session=" in cookie
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" in cookie.lower()
    assert client.cookies.get("netvigil_session") != before


def test_plain_http_mode_drops_only_the_secure_flag(
    tmp_path: Path, db_url: str, seeded: Seeded
) -> None:
    app = create_app(web_settings(tmp_path, db_url, secure_cookies=False), tracker=seeded.tracker)
    with TestClient(app) as plain:
        cookie = plain.get("/login").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie
        login(plain, seeded.editor.name)
        assert plain.get("/editor").status_code == 200


@pytest.mark.parametrize("url", ["/incidents", "/incidents.json", "/no/such", "/login"])
def test_security_headers_on_every_kind_of_response(client: TestClient, url: str) -> None:
    headers = client.get(url).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_public_pages_set_no_session_cookie(client: TestClient, seeded: Seeded) -> None:
    for url in ("/incidents", f"/incidents/{seeded.published_id}", "/incidents.json"):
        assert "set-cookie" not in client.get(url).headers, url


def test_login_redirect_stays_on_this_site(client: TestClient, seeded: Seeded) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "username": seeded.editor.name,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/editor"
