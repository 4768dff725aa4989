"""The editor workflow end to end in real headless Chromium against a real uvicorn server.

Debian's ``/usr/bin/chromium`` is driven by Playwright (never ``playwright install``). An editor
logs in, creates an incident with a private source and evidence, moves it to verified; an admin
publishes it; the public page shows it (and not its private source); a screenshot is saved.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import PASSWORD, REPO_ROOT, web_settings

from netvigil.incidents import Tracker
from netvigil.web import create_app

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Tracker]]:
    import uvicorn

    db_url = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    tracker = Tracker(db_url)
    tracker.create_user("editor@example.org", PASSWORD, role="editor", name="Edna Editor")
    tracker.create_user("admin@example.org", PASSWORD, role="admin", name="Ada Admin")
    # Plain http on loopback: the Secure flag would stop the browser sending the cookie back.
    app = create_app(web_settings(tmp_path, db_url, secure_cookies=False), tracker=tracker)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
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


def _login(page: object, base: str, email: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", email)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("form.edit button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/editor")  # type: ignore[attr-defined]


def test_editor_creates_admin_publishes_public_sees(
    server: tuple[str, Tracker], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, tracker = server
    page = browser.new_page(viewport={"width": 1200, "height": 1100})
    _login(page, base, "editor@example.org")
    page.click("text=New incident")
    page.fill("input[name=title]", "Nationwide mobile shutdown during exams")
    page.fill("textarea[name=summary]", "Mobile data cut nationwide for exam days.")
    page.select_option("select[name=country_code]", "IQ")
    page.fill("input[name=start_date]", "2023-06-11")
    page.fill("input[name=end_date]", "2023-06-12")
    page.select_option("select[name='vocab:scope']", "national")
    page.select_option("select[name='vocab:type']", "shutdown")
    page.select_option("select[name='vocab:network']", "mobile")
    page.fill("input[name=reporter_contact]", "signal:+964-PRIVATE-REPORTER")
    page.click("form.edit button[type=submit]")
    page.wait_for_url(f"{base}/editor/incidents/*")
    incident_id = int(page.url.rsplit("/", 1)[1])

    page.select_option("#attach-link select[name=kind]", "url")
    page.fill("#attach-link input[name=value]", "https://explorer.ooni.org/m/20230611-iq-example")
    page.fill("#attach-link input[name=description]", "OONI measurement showing the outage")
    page.click("#attach-link button[type=submit]")
    expect(page.locator("ul >> text=explorer.ooni.org")).to_be_visible()
    for status in ("corroborated", "verified"):
        page.select_option("select[name=status]", status)
        page.click("text=Change status")
        expect(page.locator("h1 .status")).to_have_text(status)
    # An editor is not offered "published".
    options = page.locator("select[name=status] option").all_inner_texts()
    assert "published" not in options
    page.click("text=Log out")

    _login(page, base, "admin@example.org")
    page.goto(f"{base}/editor/incidents/{incident_id}")
    page.select_option("select[name=status]", "published")
    page.click("text=Change status")
    expect(page.locator("h1 .status")).to_have_text("published")
    artifacts = REPO_ROOT / "tests" / "_artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / "web_editor_incident.png"), full_page=True)
    page.click("text=Log out")

    page.goto(f"{base}/incidents/{incident_id}")
    expect(page.locator("h1")).to_contain_text("Nationwide mobile shutdown during exams")
    expect(page.locator("text=OONI measurement showing the outage")).to_be_visible()
    expect(page.locator(".impact")).to_contain_text("People affected")
    assert "PRIVATE-REPORTER" not in page.content()
    assert "example.org" not in page.content()
    page.goto(f"{base}/incidents")
    expect(page.locator("table.incidents")).to_contain_text("Nationwide mobile shutdown")
    page.goto(f"{base}/incidents/{incident_id}")
    shot = artifacts / "web_public_incident.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
    assert tracker.get_incident(incident_id, public=True).status == "published"


def test_api_docs_render_from_the_server_alone(server: tuple[str, Tracker], browser: Any) -> None:
    """/docs renders Swagger UI with the machine offline: every request stays on the server."""
    base, _tracker = server
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "CSP" in msg.text else None)
    page.goto(f"{base}/docs")
    page.wait_for_selector("text=/incidents.json", timeout=20_000)  # operations listed
    assert requested and all(url.startswith(base) for url in requested), requested
    assert blocked == []
