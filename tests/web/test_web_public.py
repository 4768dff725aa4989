"""Public pages: what a visitor and an API client see, and that both see the same data."""

from __future__ import annotations

import csv
import io
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import BACKENDS, Seeded


@BACKENDS
def test_incident_page_and_json_twin_show_the_same_record(
    client: TestClient, seeded: Seeded
) -> None:
    data = client.get(f"/incidents/{seeded.published_id}.json").json()
    html = client.get(f"/incidents/{seeded.published_id}").text
    record = data["incident"]
    assert record["id"] == seeded.published_id
    assert record["title"] == "Mobile internet cut in Manipur"
    for text in (
        record["title"],
        record["summary"],
        record["stop"]["area_name"],
        record["stop"]["ordered_by"],
        record["episodes"][0]["area_name"],
        record["legal_basis"][0]["instrument"]["name"],
        record["legal_basis"][0]["articles"],
        *(ev["value"] for ev in record["evidence"]),
        "ab" * 32,
    ):
        assert text in html, text
    assert f'href="/legal/{seeded.instrument_id}"' in html


def test_list_page_and_json_twin_list_the_same_incidents(
    client: TestClient, seeded: Seeded
) -> None:
    data = client.get("/incidents.json").json()
    html = client.get("/incidents").text
    ids_json = [inc["id"] for inc in data["incidents"]]
    ids_html = [int(i) for i in re.findall(r'<td><a href="/incidents/(\d+)">', html)]
    assert ids_json == ids_html == [seeded.published_id]
    assert data["total"] == 1


@BACKENDS
def test_filters_select_by_country_year_type_platform(client: TestClient, seeded: Seeded) -> None:
    def ids(query: str) -> list[int]:
        response = client.get(f"/incidents.json?{query}")
        assert response.status_code == 200, response.text
        return [inc["id"] for inc in response.json()["incidents"]]

    hit = [seeded.published_id]
    assert ids("country=IN") == hit
    assert ids("country=in") == hit
    assert ids("country=PK") == []
    assert ids("year=2023") == hit
    assert ids("year=2021") == []
    assert ids("type=Shutdown") == hit
    assert ids("type=Throttle") == []
    assert ids("platform=whatsapp") == hit
    assert ids("platform=telegram") == []
    assert ids("status=published") == hit
    # Non-public statuses are not a way in: the filter itself is refused.
    response = client.get("/incidents.json?status=reported")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_csv_export_of_a_filtered_list(client: TestClient, seeded: Seeded) -> None:
    response = client.get("/incidents.csv?country=IN")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["id"]) for r in rows] == [seeded.published_id]
    assert rows[0]["area_name"] == "Manipur"
    assert rows[0]["start_date"] == "2023-05-03"
    assert list(csv.DictReader(io.StringIO(client.get("/incidents.csv?country=PK").text))) == []


def test_csv_cells_cannot_start_a_spreadsheet_formula() -> None:
    from netvigil.web._render import csv_cell

    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("-3") == "-3"  # numbers stay numbers
    assert csv_cell(None) == ""


def test_drafts_and_withdrawn_incidents_are_404_like_missing_ones(
    client: TestClient, seeded: Seeded
) -> None:
    for incident_id in (seeded.draft_id, seeded.withdrawn_id, 999_999):
        response = client.get(f"/incidents/{incident_id}.json")
        assert response.status_code == 404
        assert response.json() == {
            "error": {"status": 404, "message": f"unknown incident '{incident_id}'"}
        }
        assert client.get(f"/incidents/{incident_id}").status_code == 404


@BACKENDS
def test_country_and_legal_pages(client: TestClient, seeded: Seeded) -> None:
    country = client.get("/countries/IN.json").json()
    assert country["country"] == {"code": "IN", "name": "India", "incident_count": 1}
    assert country["by_year"] == [{"year": 2023, "count": 1}]
    assert [i["id"] for i in country["incidents"]] == [seeded.published_id]
    instruments = country["policy"]["instruments"]
    assert [li["name_en"] for li in instruments] == ["Telecommunications Act 2023"]
    assert "India" in client.get("/countries/in").text
    countries = client.get("/countries.json").json()["countries"]
    assert countries == [{"code": "IN", "name": "India", "incident_count": 1}]
    assert client.get("/countries/QQ.json").status_code == 404

    legal = client.get(f"/legal/{seeded.instrument_id}.json").json()
    assert legal["instrument"]["jurisdiction"] == "IN"
    assert [i["id"] for i in legal["incidents"]] == [seeded.published_id]
    html = client.get(f"/legal/{seeded.instrument_id}").text
    assert "Telecommunications Act 2023" in html and "Mobile internet cut in Manipur" in html
    assert client.get("/legal.json?jurisdiction=IN").json()["instruments"][0]["id"] == (
        seeded.instrument_id
    )


def test_impact_estimate_is_served_with_the_incident(client: TestClient, seeded: Seeded) -> None:
    from netvigil.impact import estimate

    impact = client.get(f"/incidents/{seeded.published_id}/impact.json").json()["impact"]
    # Three calendar days (start and end day counted, as STOP does), mobile-only, national.
    expected = estimate("IN", 72.0, scope="national", shutdown_type="mobile", year=2023)
    assert impact["people_affected"] == expected.people_affected
    assert impact["range"] == expected.range.to_json_dict()
    assert impact["inputs"]["hours"] == 72.0
    html = client.get(f"/incidents/{seeded.published_id}").text
    assert f"{expected.people_affected:,}" in html


def test_openapi_lists_the_public_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/incidents.json",
        "/incidents.csv",
        "/incidents/{incident_id}.json",
        "/countries/{code}.json",
        "/legal/{instrument_id}.json",
    ):
        assert path in spec["paths"], path
    assert not any(p.startswith("/editor") for p in spec["paths"])
    assert client.get("/docs").status_code == 200


@BACKENDS
def test_cached_pages_follow_writes_from_another_process(
    app: FastAPI, client: TestClient, seeded: Seeded, db_url: str
) -> None:
    from netvigil.incidents import Tracker
    from netvigil.web._cache import PublicPageCache

    def cache() -> PublicPageCache:
        layer = app.middleware_stack
        while not isinstance(layer, PublicPageCache):
            layer = layer.app  # type: ignore[attr-defined]
        return layer

    assert client.get("/incidents.json").json()["total"] == 1
    client.get("/incidents.json")
    assert cache().hits >= 1  # the second request came from memory
    # A separate Tracker on the same database stands for `netvigil incidents` in another process.
    other = Tracker(db_url)
    try:
        for status in ("corroborated", "verified"):  # four eyes: another verifies
            other.set_status(seeded.draft_id, status, seeded.editor)
        other.set_status(seeded.draft_id, "published", seeded.admin)
    finally:
        other.close()
    data = client.get("/incidents.json").json()
    assert data["total"] == 2
    assert seeded.draft_id in [inc["id"] for inc in data["incidents"]]
    assert client.get(f"/incidents/{seeded.draft_id}.json").status_code == 200
