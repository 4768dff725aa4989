"""The policy pages over HTTP (TestClient on a real SQLite tracker with the demo dataset): the
Hong Kong country page, an instrument's drawn timeline, a statement's signatories, CSV and JSON
twins, three languages, and the editor forms with their roles."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from netvigil._settings import load_settings
from netvigil.incidents import Actor, Tracker
from netvigil.policy.repository import Policy
from netvigil.web import create_app

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    tracker = Tracker(url)
    Policy(tracker).load_demo(Actor("cli:test", "admin"))
    tracker.create_user("ed@example.org", PASSWORD, role="editor")
    tracker.create_user("ad@example.org", PASSWORD, role="admin")
    app = create_app(load_settings(data_dir=tmp_path / "data", db=url, web={}), tracker=tracker)
    with TestClient(app, base_url="https://testserver") as c:
        yield c
    tracker.close()


def _ids(client: TestClient) -> dict[str, int]:
    out = {i["slug"]: i["id"] for i in client.get("/legal.json").json()["instruments"]}
    out |= {s["slug"]: s["id"] for s in client.get("/statements.json").json()["statements"]}
    return out


def test_hong_kong_country_page_shows_instruments_responses_and_the_letter(
    client: TestClient,
) -> None:
    data = client.get("/countries/HK.json").json()["policy"]
    assert {i["slug"] for i in data["instruments"]} == {
        "hk-emergency-regulations-ordinance", "hk-national-security-law",
    }  # fmt: skip
    assert {r["company"] for r in data["responses"]} >= {"Facebook", "Twitter", "Google"}
    assert [s["slug"] for s in data["statements"]] == ["keepiton-hong-kong-2019"]
    page = client.get("/countries/HK?lang=en").text
    for text in ("Emergency Regulations Ordinance", "National Security Law", "Facebook",
                 "paused", "#KeepItOn: letter to Hong Kong"):  # fmt: skip
        assert text in page, text
    zh = client.get("/countries/HK?lang=zh_Hant").text
    assert "緊急法" in zh and "香港國安法" in zh and "已暫停" in zh and "聯合聲明及公開信" in zh


def test_un_convention_page_draws_its_timeline(client: TestClient) -> None:
    un = _ids(client)["un-cybercrime-convention"]
    record = client.get(f"/legal/{un}.json").json()["instrument"]
    page = client.get(f"/legal/{un}?lang=en").text
    svg = page[page.index("<svg") : page.index("</svg>")]
    # One numbered marker per event of the history, and the same numbered list under it.
    assert svg.count("<circle") == len(record["history"]) == 22
    assert re.findall(r'<li id="event-(\d+)"', page) == [str(n) for n in range(1, 23)]
    assert "2017" in svg and "2025" in svg and "Hanoi" in page and "Vienna" in page
    assert "Votes: 79 for, 60 against, 33 abstentions" in page
    # JSON is language-neutral and carries no drawing.
    assert client.get(f"/legal/{un}.json?lang=zh_Hant").json()["instrument"] == record
    history = list(
        csv.DictReader(io.StringIO(client.get(f"/legal/{un}.csv").text.lstrip("\ufeff")))
    )
    assert len(history) == 22 and all(row["source_url"].startswith("http") for row in history)


def test_statement_page_lists_signatories_and_demands(client: TestClient) -> None:
    sid = _ids(client)["un-cybercrime-amend-or-reject-2024"]
    data = client.get(f"/statements/{sid}.json").json()["statement"]
    assert data["signatory_count"] == len(data["signatories"]) > 100
    page = client.get(f"/statements/{sid}?lang=zh_Hant").text
    assert '<html lang="zh-Hant">' in page
    assert "修訂或否決" in page and "聯署者" in page
    assert "Electronic Frontier Foundation" in page and "未達成" in page
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/statements/{sid}.csv").text.lstrip("\ufeff")))
    )
    assert rows[0] == {"name": "Access Now", "kind": "organisation", "country": "US",
                       "affiliation": "", "group": rows[0]["group"]}  # fmt: skip
    assert {"Douwe Korff", "Valerie Steeves"} <= {
        r["name"] for r in rows if r["kind"] == "individual"
    }
    hans = client.get(f"/statements/{sid}?lang=zh_Hans").text
    assert '<html lang="zh-Hans">' in hans and "修订或否决" in hans and "联署者" in hans


def test_filters_and_bad_filters(client: TestClient) -> None:
    treaties = client.get("/legal.json?kind=treaty").json()["instruments"]
    assert [i["slug"] for i in treaties] == ["un-cybercrime-convention"]
    localising = client.get("/legal.json?concern=data_localisation").json()["instruments"]
    assert [i["slug"] for i in localising] == ["cn-cybersecurity-law"]
    bad = client.get("/legal.json?kind=decree")
    assert bad.status_code == 422 and "kind" in bad.json()["error"]["message"]
    assert client.get("/statements/9999").status_code == 404
    figures = client.get("/responses/figures.csv").text
    assert "Google,HK,user_data,2014-01-01,2014-06-30,359,371,48" in figures


def _login(client: TestClient, email: str) -> str:
    token = CSRF_RE.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    credentials = {"username": email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data=credentials, follow_redirects=False)
    assert response.status_code == 303
    return token


def _form_token(client: TestClient, path: str) -> str:
    return CSRF_RE.search(client.get(path).text).group(1)  # type: ignore[union-attr]


def test_editor_drafts_a_statement_and_an_admin_publishes_it(client: TestClient) -> None:
    _login(client, "ed@example.org")
    token = _form_token(client, "/editor/policy/statements/new")
    form = {
        "csrf_token": token, "status": "draft", "kind": "open_letter",
        "title_en": "Keep Myanmar online", "date": "2024-02-01",
        "source_url": "https://example.net/letter", "jurisdictions": "MM",
        "demands": "Restore mobile data | 恢復流動數據 | 恢复移动数据",
        "signatories": "Access Now | US\nProf. X | | individual | University Y",
        "response_received": "unknown",
    }  # fmt: skip
    saved = client.post("/editor/policy/statements/new", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    edit_url = saved.headers["location"].split("?")[0]
    record_id = int(edit_url.split("/")[-2])
    assert client.get(f"/statements/{record_id}").status_code == 404  # a draft is not public
    page = client.get(edit_url).text
    assert "Prof. X |  | individual | University Y" in page and "恢復流動數據" in page
    # An editor cannot publish; the form comes back with the reason.
    refused = client.post(edit_url, data={**form, "status": "published"})
    assert refused.status_code == 403 and "needs admin" in refused.text
    # A bad line is named.
    form_bad = {**form, "signatories": "Access Now | US\nSomeone | Narnia"}
    bad = client.post(edit_url, data=form_bad)
    assert bad.status_code == 400 and "signatories line 2: country" in bad.text
    client.post("/logout", data={"csrf_token": token})
    client.cookies.clear()

    _login(client, "ad@example.org")
    as_admin = {**form, "csrf_token": _form_token(client, edit_url), "status": "published"}
    published = client.post(edit_url, data=as_admin, follow_redirects=False)
    assert published.status_code == 303
    public = client.get(f"/statements/{record_id}.json").json()["statement"]
    assert [s["name"] for s in public["signatories"]] == ["Access Now", "Prof. X"]
    assert public["demands"][0]["text_zh_hant"] == "恢復流動數據"


def test_instrument_form_refuses_history_out_of_order(client: TestClient) -> None:
    _login(client, "ed@example.org")
    token = _form_token(client, "/editor/policy/instruments/new")
    form = {
        "csrf_token": token, "status": "draft", "kind": "law", "jurisdiction": "MM",
        "name_en": "Cyber Security Law", "source_url": "https://example.net/law",
        "history": "2025-01-01 | entry_into_force | https://example.net/a\n"
                   "2025-02-01 | adoption | https://example.net/b",
    }  # fmt: skip
    response = client.post("/editor/policy/instruments/new", data=form)
    assert response.status_code == 400
    assert "history line 1: field" in response.text or "date order violated" in response.text
    assert "entry_into_force (2025-01-01) is before adoption (2025-02-01)" in response.text
