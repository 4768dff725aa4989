"""The observatory in real headless Chromium over a real uvicorn server and the seed of
``tests/sitekit.py`` (STOP, OONI's own measurements, the real outage series, generated data).

Each page's charts must render, with exactly the marks and values of the page's JSON twin (one
mark per data row, read back from the SVG's ARIA labels); no request may leave the server and no
Content-Security-Policy violation may happen; axe-core (vendored from npm, tests/web/vendor)
finds no serious or critical violation. Screenshots go to tests/_artifacts/observatory/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from web_support import REPO_ROOT, web_settings

from netvigil.web import create_app
from sitekit import Site

pytestmark = pytest.mark.browser
SHOTS = REPO_ROOT / "tests" / "_artifacts" / "observatory"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
VENDOR = REPO_ROOT / "src" / "netvigil" / "web" / "static" / "vendor"


@pytest.fixture(scope="module")
def site(observatory: tuple[Path, Site]) -> Iterator[tuple[str, Site, TestClient]]:
    import uvicorn

    root, seeded = observatory
    settings = web_settings(root, seeded.tracker_url, secure_cookies=False)
    settings = settings.model_copy(update={"store": seeded.store_url})
    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        with TestClient(app, base_url="http://testserver") as client:
            yield f"http://127.0.0.1:{port}", seeded, client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Visit:
    """A page opened in Chromium, with every request and every console error recorded."""

    def __init__(self, browser: Any, base: str, path: str, name: str) -> None:
        self.base = base
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(base + path)
        # Every chart drawn (or failed): the renderer marks each figure when done.
        self.page.wait_for_selector("figure.chart:not([data-rendered])", state="detached")
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.shot = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(self.shot), full_page=True)
        print(f"screenshot: {self.shot}")

    def figures(self) -> list[dict[str, Any]]:
        """Each chart's spec as the page embeds it and what was drawn."""
        out = []
        for figure in self.page.locator("figure.chart").all():
            spec = orjson.loads(figure.locator("script.chart-spec").text_content() or "")
            marks: dict[str, list[str]] = {}
            for group in figure.locator("svg g[aria-description]").all():
                labels = group.locator("[aria-label]").evaluate_all(
                    "els => els.map(e => e.getAttribute('aria-label'))"
                )
                name = group.get_attribute("aria-description") or ""
                marks[name] = marks.get(name, []) + labels
            out.append(
                {"spec": spec, "state": figure.get_attribute("data-rendered"), "marks": marks,
                 "stamp": figure.locator("text.chart-stamp").all_text_contents()}
            )  # fmt: skip
        return out

    def check_clean(self) -> None:
        outside = [u for u in self.requests if not u.startswith(self.base) and u != "data:,"]
        assert outside == [], f"requests left the server: {outside}"
        assert self.errors == [], self.errors

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations. The script is served to the page from
        the test (routed), so the page's own CSP applies unchanged."""
        self.page.route(f"{self.base}/__axe.js", lambda route: route.fulfill(
            path=str(AXE), content_type="application/javascript"))  # fmt: skip
        self.page.add_script_tag(url=f"{self.base}/__axe.js")
        result = self.page.evaluate("async () => (await axe.run()).violations")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in result
            if v["impact"] in ("serious", "critical")
        ]


def expected_marks(spec: dict[str, Any]) -> dict[str, list[str]]:
    """The marks a chart must show, computed here from its JSON (the renderer's contract)."""
    kind, data = spec["kind"], spec["data"]
    if kind == "verdicts":
        return {"verdicts": [f"{d['date']} · {d['outcome']} · {d['count']}" for d in data]}
    if kind == "signals":
        events = [f"{e['kind']} · {e['start']} · {e['end'] or 'ongoing'}" for e in data["events"]]
        return {"events": events, "signals": sorted({p["signal"] for p in data["points"]})}
    if kind == "timeline":
        return {"timeline": [f"{m['date']} · {m['kind']} · {m['label']}" for m in data]}
    if kind == "map":
        world = orjson.loads((VENDOR / "countries-110m-2.0.2.json").read_bytes())
        shapes = {g.get("id") for g in world["objects"]["countries"]["geometries"]}
        points = {
            p["id"] for p in orjson.loads((VENDOR / "small-countries-2.0.2.json").read_bytes())
        }
        label = "{cc} · {status} · {events} · {incidents}"
        return {
            "map-countries": [label.format(**d) for d in data if d["numeric"] in shapes],
            "map-points": [label.format(**d) for d in data if d["numeric"] in points - shapes],
        }  # fmt: skip
    if kind == "aggregation":
        ax, ay = spec["query"]["axis_x"], spec["query"].get("axis_y")
        out = []
        for row in data:
            for outcome in ("ok", "anomaly", "confirmed", "failure"):
                if row[f"{outcome}_count"]:
                    parts = [row[ax] if row[ax] is not None else "—"]
                    if ay:
                        parts.append(row[ay] if row[ay] is not None else "—")
                    out.append(
                        " · ".join(str(p) for p in [*parts, outcome, row[f"{outcome}_count"]])
                    )
        return {"aggregation": out}
    raise AssertionError(kind)


def check_charts(visit: Visit, twins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every chart drawn, equal to its twin (same id), with exactly the twin's marks."""
    drawn = visit.figures()
    assert [f["spec"]["id"] for f in drawn] == [t["id"] for t in twins]
    for figure, twin in zip(drawn, twins, strict=True):
        assert figure["state"] == "true", twin["kind"]
        assert figure["spec"] == twin
        wanted = expected_marks(twin)
        for name, labels in wanted.items():
            got = figure["marks"].get(name, [])
            assert sorted(got) == sorted(labels), (twin["kind"], name, len(got), len(labels))
        # The id and where to verify it are printed on the chart itself (so in its exports).
        assert twin["id"].split("-")[0] in figure["stamp"][0]
        assert figure["stamp"][1].endswith(twin["verify_url"])
    return drawn


def test_home_shows_what_is_going_on_now(site: tuple[str, Site, TestClient], browser: Any) -> None:
    base, seeded, client = site
    visit = Visit(browser, base, "/", "home")
    [figure] = visit.figures()
    at = figure["spec"]["query"]["at"]
    twin = client.get(f"/embed/map.json?at={quote(at)}").json()
    [drawn] = check_charts(visit, [twin])
    # The generated outage going on now colours Myanmar; ongoing STOP shutdowns colour others.
    statuses = {d["cc"]: d["status"] for d in twin["data"]}
    assert statuses["MM"] == "outage" and statuses["CN"] == "incident"
    assert len(drawn["marks"]["map-countries"]) > 10
    page = visit.page
    assert page.locator(f"a[href='/events/{seeded.ongoing_event}']").count() >= 1
    # The 2019 Iranian events left open by a series that stopped are not "going on".
    home = client.get("/index.json").json()
    assert [e["id"] for e in home["ongoing_events"]] == [seeded.ongoing_event]
    assert any(e["entity"] == "country:IR" for e in home["open_without_data"])
    assert (
        home["latest_incidents"][0]["title"] in page.locator(".incident-list").nth(1).inner_text()
    )
    visit.check_clean()
    assert (v := visit.axe()) == [], v


def test_country_page_draws_verdicts_signals_and_incidents_on_one_axis(
    site: tuple[str, Site, TestClient], browser: Any
) -> None:
    base, seeded, client = site
    twin = client.get("/countries/IR.json").json()["observatory"]
    visit = Visit(browser, base, "/countries/IR", "country_IR")
    charts = twin["charts"]
    check_charts(visit, [charts["verdicts"], charts["signals"], charts["timeline"]])
    # One time axis: the three charts share the window.
    assert {tuple(c["query"][k] for k in ("since", "until")) for c in charts.values()} == {
        (twin["window"]["since"], twin["window"]["until"])
    }
    assert twin["window"]["since"] <= "2019-11-16" <= twin["window"]["until"]
    assert any(e["id"] == seeded.iran_event for e in charts["signals"]["data"]["events"])
    assert any(m["url"] == f"/incidents/{seeded.iran_incident}" for m in charts["timeline"]["data"])
    assert twin["coverage"]["measurement_count"] == sum(
        d["count"] for d in charts["verdicts"]["data"]
    )
    assert twin["impact"]["estimated"] > 0 and twin["impact"]["people_affected"] > 0
    visit.check_clean()
    assert (v := visit.axe()) == [], v


def test_hong_kong_page(site: tuple[str, Site, TestClient], browser: Any) -> None:
    base, _, client = site
    twin = client.get("/countries/HK.json").json()["observatory"]
    visit = Visit(browser, base, "/countries/HK", "country_HK")
    check_charts(visit, [twin["charts"][k] for k in ("verdicts", "signals", "timeline")])
    # The Emergency Regulations Ordinance's 2019 history is on the timeline.
    labels = [m["label"] for m in twin["charts"]["timeline"]["data"]]
    assert any("Emergency Regulations Ordinance" in label for label in labels)
    visit.check_clean()
    Visit(browser, base, "/countries/HK?lang=zh_Hant", "country_HK_zh_Hant").check_clean()


def test_measurement_page(site: tuple[str, Site, TestClient], browser: Any) -> None:
    base, seeded, client = site
    uid = seeded.real_uids[0]
    twin = client.get(f"/m/{uid}.json").json()
    visit = Visit(browser, base, f"/m/{uid}", "measurement")
    page = visit.page
    assert page.locator("p.verdict strong").inner_text() == twin["verdict"]["outcome"]
    assert page.locator("ol.steps > li").count() == len(twin["observations"]) > 0
    assert page.locator(f"a[href='/incidents/{seeded.iran_incident}']").count() == 1
    raw = client.get(twin["raw_url"])
    assert raw.status_code == 200 and "attachment" in raw.headers["content-disposition"]
    assert orjson.loads(raw.content)["test_name"] == twin["verdict"]["test_name"]
    visit.check_clean()
    assert (v := visit.axe()) == [], v


def test_event_page(site: tuple[str, Site, TestClient], browser: Any) -> None:
    base, seeded, client = site
    path = f"/events/{seeded.iran_event}"
    twin = client.get(path + ".json").json()
    visit = Visit(browser, base, path, "event")
    check_charts(visit, [twin["chart"]])
    assert [e["id"] for e in twin["chart"]["data"]["events"]] == [seeded.iran_event]
    assert [i["id"] for i in twin["incidents"]] == [seeded.iran_incident]
    assert visit.page.locator(f"a[href='/incidents/{seeded.iran_incident}']").count() == 1
    visit.check_clean()
    assert (v := visit.axe()) == [], v


def test_chart_builder_and_its_permalink(site: tuple[str, Site, TestClient], browser: Any) -> None:
    base, _, client = site
    query = "probe_cc=IR&axis_x=measurement_start_day&axis_y=test_name"
    twin = client.get(f"/chart.json?{query}").json()
    visit = Visit(browser, base, f"/chart?{query}", "chart_builder")
    check_charts(visit, [twin["chart"]])
    api = client.get(f"/api/v1/aggregation?{query}").json()
    assert api["result"] == twin["chart"]["data"] and api["dimension_count"] == 2
    # The form keeps every parameter: submitting it again draws the same chart.
    page = visit.page
    page.select_option("select[name=axis_y]", "")
    page.select_option("select[name=axis_x]", "domain")
    page.click("form.builder button[type=submit]")
    page.wait_for_selector("figure.chart[data-rendered=true]")
    assert "axis_x=domain" in page.url and "probe_cc=IR" in page.url
    assert (v := visit.axe()) == [], v
    visit.check_clean()


def test_an_embed_renders_alone_and_may_be_framed(
    site: tuple[str, Site, TestClient], browser: Any
) -> None:
    base, _, client = site
    country = client.get("/countries/IR.json").json()["observatory"]["charts"]["verdicts"]
    response = client.get(country["embed_url"])
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    assert client.get("/countries/IR").headers["x-frame-options"] == "DENY"
    twin = client.get(
        country["embed_url"].replace("/embed/verdicts", "/embed/verdicts.json")
    ).json()
    assert twin == country
    visit = Visit(browser, base, country["embed_url"], "embed_verdicts")
    check_charts(visit, [twin])
    visit.check_clean()
