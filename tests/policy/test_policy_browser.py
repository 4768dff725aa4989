"""Policy pages in real headless Chromium (Debian's /usr/bin/chromium through Playwright) against
a real uvicorn server with the demo dataset: the UN convention's drawn timeline and the #KeepItOn
letter's signatories, in English and Traditional Chinese, and the Hong Kong country page.
Screenshots go to tests/_artifacts/ (not committed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netvigil._settings import load_settings
from netvigil.incidents import Actor, Tracker
from netvigil.policy.repository import Policy
from netvigil.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    import uvicorn

    url = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    tracker = Tracker(url)
    policy = Policy(tracker)
    policy.load_demo(Actor("cli:test", "admin"))
    ids = {i.slug: i.id for i in policy.list_instruments(public=True)}
    ids |= {s.slug: s.id for s in policy.list_statements(public=True)}
    settings = load_settings(data_dir=tmp_path / "data", db=url, web={"secure_cookies": False})
    app = create_app(settings, tracker=tracker)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:  # wait on the server's own state
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", ids
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        tracker.close()


@pytest.fixture
def page(server: tuple[str, dict[str, int]]) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1200, "height": 900})
        finally:
            browser.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_un_convention_timeline_in_english_and_traditional_chinese(
    server: tuple[str, dict[str, int]], page: Any
) -> None:
    from playwright.sync_api import expect

    base, ids = server
    page.goto(f"{base}/legal/{ids['un-cybercrime-convention']}?lang=en")
    expect(page.locator("h1")).to_have_text("UN Convention against Cybercrime")
    chart = page.locator("figure.timeline-chart svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 800 and box["height"] > 100  # drawn, not collapsed
    assert page.locator("svg g.tl-event").count() == 22
    assert page.locator("svg text.tl-year").first.text_content() == "2017"
    # Every marker has a hover title naming its step; the list under the drawing reads the same.
    first = page.locator("svg g.tl-event").first.locator("title").text_content() or ""
    assert first.startswith("1. October 2017") and "proposal" in first
    history = page.locator("ol.history > li")
    expect(history).to_have_count(22)
    expect(history.nth(6)).to_contain_text("Ad Hoc Committee: first session")
    expect(history.nth(6)).to_contain_text("New York")
    expect(history.nth(21)).to_contain_text("Hanoi")
    expect(page.locator("table.policy").first).to_contain_text("cross-border data sharing")
    _shot(page, "policy_un_timeline_en")

    page.click("nav.langs a[hreflang='zh-Hant']")  # the reader switches language
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("h1")).to_have_text("聯合國網絡犯罪公約")
    expect(history.nth(6)).to_contain_text("特設委員會：第一屆會議")
    expect(history.nth(6)).to_contain_text("談判會議")
    expect(page.locator("h2").nth(0)).to_have_text("歷程")
    assert page.locator("svg g.tl-event").count() == 22
    expect(page.locator("svg text.tl-lane-label").first).to_have_text("起草")
    _shot(page, "policy_un_timeline_zh_hant")


def test_keepiton_letter_signatories_in_english_and_traditional_chinese(
    server: tuple[str, dict[str, int]], page: Any
) -> None:
    from playwright.sync_api import expect

    base, ids = server
    page.goto(f"{base}/statements/{ids['keepiton-hong-kong-2019']}?lang=en")
    expect(page.locator("h1")).to_contain_text("#KeepItOn")
    rows = page.locator("table.signatories tbody tr")
    expect(rows).to_have_count(12)
    expect(rows.nth(2)).to_contain_text("Digital Rights Watch")
    expect(rows.nth(2)).to_contain_text("Australia")
    expect(page.locator("ol.demands > li")).to_have_count(4)
    expect(page.locator("main")).to_contain_text("Emergency Regulations Ordinance")
    _shot(page, "policy_keepiton_en")

    page.goto(f"{base}/statements/{ids['keepiton-hong-kong-2019']}?lang=zh_Hant")
    expect(page.locator("h1")).to_have_text("#KeepitOn：維護互聯網開放和安全之連署信")
    expect(rows).to_have_count(12)
    expect(rows.nth(2)).to_contain_text("澳洲")
    expect(page.locator("#signatories")).to_contain_text("聯署者")
    expect(page.locator("main")).to_contain_text("緊急法")
    # The signatories download is a CSV with every name.
    with page.expect_download() as download:
        page.click("text=聯署者名單（CSV）")
    saved = download.value.path()
    assert saved is not None and Path(saved).read_text(encoding="utf-8-sig").count("\n") == 13
    _shot(page, "policy_keepiton_zh_hant")


def test_hong_kong_country_page_in_the_browser(
    server: tuple[str, dict[str, int]], page: Any
) -> None:
    from playwright.sync_api import expect

    base, _ids = server
    page.goto(f"{base}/countries/HK?lang=en")
    section = page.locator("section.policy-records")
    expect(section.locator("table").nth(0)).to_contain_text("National Security Law")
    expect(section.locator("table").nth(0)).to_contain_text("Emergency Regulations Ordinance")
    expect(section.locator("table").nth(1)).to_contain_text("Facebook")
    expect(section.locator("table").nth(1)).to_contain_text("Telegram")
    expect(section.locator("table").nth(2)).to_contain_text("#KeepItOn")
    _shot(page, "policy_country_hk")
