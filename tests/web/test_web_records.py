"""The public site over Access Now's own data (../shared/data/stop): what a journalist reads."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import web_settings

from netvigil.incidents import Actor, Tracker
from netvigil.incidents.model import Incident
from netvigil.incidents.stop_io import read_stop
from netvigil.web import create_app
from nvtest import shared_path


@pytest.fixture(scope="module")
def stop_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Tracker]]:
    root = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{root / 't.sqlite'}"
    tracker = Tracker(url)
    for name in ("Keepiton_raw_dataset_2016-2022.xlsx", "KeepItOn-STOP-Data-2020.csv"):
        rows, _ = read_stop(shared_path("stop", name))
        tracker.import_stop_rows(rows, Actor("cli:test", "admin"), source=name)
    app = create_app(web_settings(root, url), tracker=tracker)
    with TestClient(app, base_url="https://testserver") as client:
        yield client, tracker
    tracker.close()


def _row(tracker: Tracker, sheet: str, row: int) -> Incident:
    with tracker.session() as s:
        found = s.scalar(
            select(Incident).where(Incident.stop_sheet == sheet, Incident.stop_row == row)
        )
    assert found is not None
    return found


def test_filters_offer_one_label_per_code(stop_site: tuple[TestClient, Tracker]) -> None:
    client, _ = stop_site
    for lang in ("en", "zh_Hant"):
        page = client.get(f"/incidents?lang={lang}").text
        for name in ("type", "scope", "network", "cause", "platform", "country"):
            block = re.search(rf'<select name="{name}">(.*?)</select>', page, re.S)
            assert block, name
            options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', block.group(1))
            values = [v for v, _ in options if v]
            labels = [label for v, label in options if v]
            assert len(values) == len(set(values)) and len(labels) == len(set(labels)), name
        types = re.search(r'<select name="type">(.*?)</select>', page, re.S).group(1)  # type: ignore[union-attr]
        assert len(re.findall(r'<option value="\w', types)) == 4  # four codes, not ten spellings
    throttled = client.get("/incidents.json?type=throttling&limit=500").json()["total"]
    assert throttled == client.get("/incidents.json?type=Throttle&limit=500").json()["total"] > 50


def test_one_name_per_country_and_search(stop_site: tuple[TestClient, Tracker]) -> None:
    client, _ = stop_site
    by_code = client.get("/incidents.json?country=IR").json()["total"]
    assert (
        client.get("/incidents.json?country=Iran (Islamic Republic of)").json()["total"] == by_code
    )
    assert client.get("/incidents.json?country=伊朗").json()["total"] == by_code
    assert client.get("/incidents.json?country=Narnia").status_code == 400
    signal = client.get("/incidents.json?q=Signal&country=CN").json()["incidents"]
    assert [i["title"] for i in signal] == ["China: Signal blocked nationwide, since 16 Mar 2021"]
    since = client.get("/incidents.json?since=2022-09-21&until=2022-09-21&country=IR").json()
    assert {i["stop"]["start_date"] for i in since["incidents"]} == {"2022-09-21"}
    countries = client.get("/countries.json").json()["countries"]
    names = [c["name"] for c in countries]
    assert "Iran" in names and len(names) == len(set(names))
    assert client.get("/countries/TW.json").json()["country"]["name"] == "Taiwan"


def test_a_later_yearly_report_leads_to_the_one_incident(
    stop_site: tuple[TestClient, Tracker],
) -> None:
    client, tracker = stop_site
    first, later = _row(tracker, "2021 Data", 46), _row(tracker, "2022 Data", 8)
    response = client.get(f"/incidents/{later.id}", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == f"/incidents/{first.id}"
    data = client.get(f"/incidents/{first.id}.json").json()
    assert [(r["report_year"], r["sheet"], r["row"]) for r in data["reports"]] == [
        (2021, "2021 Data", 46),
        (2022, "2022 Data", 8),
    ]
    assert data["incident"]["stop"]["duration"] is None  # the sheet's -44270 is not published
    page = client.get(f"/incidents/{first.id}?lang=en").text
    assert "-44270" not in page and "China: Signal blocked nationwide" in page
    assert data["impact"]["incident_basis"]["as_of"] == "2022-12-31"
    home = client.get("/incidents?lang=en").text
    assert "Untitled" not in home and "未命名" not in client.get("/incidents?lang=zh_Hant").text
