"""The editor's forms in real Chromium against a real uvicorn server and a real analytical store.

An editor creates an incident from the controlled lists, adds an episode with daily windows,
links a legal instrument, uploads a document, attaches a measurement that is in the store (its
verdict is shown) and one that is not (refused with a clear message); the timeline on the public
page draws the windows once an admin publishes it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from web_support import PASSWORD, web_settings

from netvigil.cli.main import app as cli_app
from netvigil.incidents import Tracker
from netvigil.store import open_store
from netvigil.web import create_app
from nvtest import shared_path

pytestmark = pytest.mark.browser
MEASUREMENTS = ("ooni", "nettest_examples", "examples.jsonl")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, dict[str, Any]]:
    """A store holding OONI's real example measurements; one uid with its verdict."""
    root = tmp_path / "store"
    monkeypatch.setenv("NETVIGIL_STORE", str(root))
    result = CliRunner().invoke(cli_app, ["ingest", "--json", str(shared_path(*MEASUREMENTS))])
    assert result.exit_code == 0, result.output
    con = open_store(root, writable=False).connect()
    try:
        uid, outcome, test_name, cc = con.execute(
            "SELECT measurement_uid, outcome, test_name, probe_cc FROM verdicts "
            "WHERE test_name = 'web_connectivity' ORDER BY measurement_uid LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return root, uid, {"outcome": outcome, "test_name": test_name, "probe_cc": cc}


@pytest.fixture
def server(
    tmp_path: Path, store: tuple[Path, str, dict[str, Any]]
) -> Iterator[tuple[str, Tracker]]:
    import uvicorn

    db_url = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    tracker = Tracker(db_url)
    tracker.create_user("editor@example.org", PASSWORD, role="editor", name="Edna Editor")
    tracker.create_user("admin@example.org", PASSWORD, role="admin", name="Ada Admin")
    settings = web_settings(tmp_path, db_url, secure_cookies=False).model_copy(
        update={"store": str(store[0])}
    )
    app = create_app(settings, tracker=tracker)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", tracker
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        tracker.close()


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.edit button[type=submit]")
    page.wait_for_url(f"{base}/editor")


def test_editor_builds_a_cited_incident(
    server: tuple[str, Tracker],
    store: tuple[Path, str, dict[str, Any]],
    browser: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    base, tracker = server
    _, uid, verdict = store
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    _login(page, base, "editor@example.org")

    # Create: controlled lists, no free-text type; the title is left to be generated.
    page.click("text=New incident")
    page.select_option("select[name=country_code]", "IQ")
    page.fill("input[name=start_date]", "2023-06-11")
    page.fill("input[name=end_date]", "2023-06-13")
    page.select_option("select[name='vocab:scope']", "national")
    page.select_option("select[name='vocab:type']", "shutdown")
    page.select_option("select[name='vocab:network']", "mobile")
    page.select_option("select[name='vocab:justification']", "exams")
    page.select_option("select[name=whatsapp_affected]", "No")
    page.select_option("select[name=instagram_affected]", "No")
    page.fill("input[name=reporter_contact]", "signal:+964-PRIVATE-REPORTER")
    page.click("form.edit button[type=submit]")
    page.wait_for_url(f"{base}/editor/incidents/*")
    incident_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    expect(page.locator("h1")).to_contain_text("Iraq: nationwide mobile internet shutdown")

    # An episode with daily windows: the exam hours, 06:00-08:00 local time, three days.
    form = page.locator("#add-episode")
    form.locator("input[name=area_name]").fill("Nationwide")
    form.locator("input[name=timezone]").fill("Asia/Baghdad")
    form.locator("input[name=window_from]").fill("2023-06-11")
    form.locator("input[name=window_to]").fill("2023-06-13")
    form.locator("input[name=window_start]").fill("06:00")
    form.locator("input[name=window_end]").fill("08:00")
    form.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("Episode added with 3 daily windows")
    expect(page.locator("details.episode textarea[name=windows]")).to_have_value(
        "2023-06-11 06:00-08:00\n2023-06-12 06:00-08:00\n2023-06-13 06:00-08:00\n"
    )

    # Link a law (recorded from the form, then cited with its article).
    law = page.locator("#link-law")
    law.locator("select[name=instrument_id]").select_option("new")
    law.locator("input[name=name]").fill("Iraqi Communications and Media Commission Order 2023")
    law.locator("select[name=kind]").select_option("regulation")
    law.locator("input[name=articles]").fill("art. 2")
    law.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("Legal basis linked")
    cited = page.locator("a[href^='/legal/']", has_text="Media Commission Order 2023")
    expect(cited).to_be_visible()

    # Upload a document: stored by its SHA-256.
    order = tmp_path / "order.pdf"
    order.write_bytes(b"%PDF-1.4\n% exam shutdown order\n1 0 obj << >> endobj\n%%EOF\n")
    upload = page.locator("#upload-document")
    upload.locator("input[name=document]").set_input_files(str(order))
    upload.locator("input[name=description]").fill("Ministry order")
    upload.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("Document stored")
    import hashlib

    digest = hashlib.sha256(order.read_bytes()).hexdigest()
    expect(page.locator("ul.evidence")).to_contain_text(digest)
    expect(page.locator("ul.evidence")).to_contain_text("application/pdf")

    # A measurement that is in the store: attached with its verdict.
    measure = page.locator("#attach-measurement")
    measure.locator("input[name=value]").fill(uid)
    measure.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("Evidence attached")
    item = page.locator("ul.evidence li", has_text=uid)
    expect(item).to_contain_text(f"Verdict: {verdict['outcome']}")
    expect(item).to_contain_text(verdict["test_name"])

    # One that is not: refused, saying why, and nothing attached.
    missing = "20230611T000000Z_webconnectivity_IQ_0_n1_doesnotexist"
    page.locator("#attach-measurement input[name=value]").fill(missing)
    page.locator("#attach-measurement button[type=submit]").click()
    alert = page.locator("p.error[role=alert]")
    expect(alert).to_contain_text(f"measurement '{missing}' is not in the analytical store")
    expect(alert).to_contain_text("ingest the measurement first")
    assert missing not in page.locator("ul.evidence").inner_text()

    for status in ("corroborated", "verified"):
        page.select_option("select[name=status]", status)
        page.click("text=Change status")
    page.click("text=Log out")
    _login(page, base, "admin@example.org")
    page.goto(f"{base}/editor/incidents/{incident_id}")
    page.select_option("select[name=status]", "published")
    page.click("text=Change status")
    expect(page.locator("h1 .status")).to_have_text("published")
    page.click("text=Log out")

    # The public page: generated title, the three windows drawn, the verdict, the document.
    page.goto(f"{base}/incidents/{incident_id}")
    expect(page.locator("h1")).to_contain_text("Iraq: nationwide mobile internet shutdown")
    assert page.locator("figure.timeline rect.tl-window").count() == 3
    expect(page.locator(".impact")).to_contain_text("daily windows: 3 windows, 6 h")
    expect(page.locator("ul.evidence")).to_contain_text(f"Verdict: {verdict['outcome']}")
    document = page.locator(f"a[href='/files/{digest}']")
    expect(document).to_have_text("order.pdf")
    assert "PRIVATE-REPORTER" not in page.content()
    record = tracker.get_incident(incident_id, public=True)
    assert [len(e.windows) for e in record.episodes] == [3]
    assert [b.instrument.name_en for b in record.legal_basis] == [
        "Iraqi Communications and Media Commission Order 2023"
    ]
