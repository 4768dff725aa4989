"""The observatory's JSON and HTML over the seed of tests/sitekit.py (no browser): chart ids and
their verification, OONI's aggregation API, search, localised data in three languages, typed
JSON routes, read-only CORS, OpenGraph and hreflang on every page."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from netvigil.analysis import RULES_VERSION


def _digest(chart: dict[str, Any]) -> str:
    """The documented recipe (docs/api.md), recomputed here without the site's code."""
    body = {"chart": chart["kind"], "query": chart["query"], "data": chart["data"],
            "rules_version": chart["rules_version"]}  # fmt: skip
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def test_verify_confirms_an_unchanged_chart_and_rejects_a_tampered_one(
    observatory_client: TestClient,
) -> None:
    client = observatory_client
    chart = client.get("/countries/IR.json").json()["observatory"]["charts"]["verdicts"]
    assert chart["rules_version"] == RULES_VERSION
    digest, _, token = chart["id"].partition("-")
    assert digest == _digest(chart)  # anyone can check the id from the chart's JSON
    ok = client.get(f"/verify/{chart['id']}.json").json()
    assert ok["confirmed"] is True and ok["chart"]["data"] == chart["data"]
    assert "Confirmed." in client.get(f"/verify/{chart['id']}").text
    # A tampered chart: one count changed. Its digest no longer matches, and the site says so.
    tampered = {**chart, "data": [dict(chart["data"][0], count=chart["data"][0]["count"] + 1),
                                  *chart["data"][1:]]}  # fmt: skip
    forged = f"{_digest(tampered)}-{token}"
    rejected = client.get(f"/verify/{forged}.json").json()
    assert rejected["confirmed"] is False and rejected["current_id"] == chart["id"]
    assert "Rejected." in client.get(f"/verify/{forged}").text
    # A query changed under a kept digest (another window) is rejected too.
    query = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    query["since"] = "2019-11-12"
    other = base64.urlsafe_b64encode(orjson.dumps(query, option=orjson.OPT_SORT_KEYS)).decode()
    assert client.get(f"/verify/{digest}-{other.rstrip('=')}.json").json()["confirmed"] is False
    assert client.get("/verify/not-an-id.json").json()["confirmed"] is False


def test_aggregation_api_follows_ooni(observatory_client: TestClient) -> None:
    client = observatory_client
    total = client.get("/api/v1/aggregation?probe_cc=IR").json()
    assert total["dimension_count"] == 0
    result = total["result"]
    outcomes = ("ok_count", "anomaly_count", "confirmed_count", "failure_count")
    assert sum(result[k] for k in outcomes) == result["measurement_count"] > 1000
    by_day = client.get("/api/v1/aggregation?probe_cc=IR&axis_x=measurement_start_day").json()
    assert sum(r["measurement_count"] for r in by_day["result"]) == result["measurement_count"]
    csv = client.get("/api/v1/aggregation?probe_cc=IR&axis_x=measurement_start_day&format=CSV")
    lines = csv.text.strip().splitlines()
    counts = "anomaly_count,confirmed_count,failure_count,measurement_count,ok_count"
    assert lines[0] == f"measurement_start_day,{counts}"
    assert len(lines) == len(by_day["result"]) + 1
    for bad, name in (("probe_cc=Iran", "probe_cc"), ("axis_x=colour", "axis_x"),
                      ("since=yesterday", "since"), ("colour=red", "colour"),
                      ("format=XML", "format")):  # fmt: skip
        response = client.get(f"/api/v1/aggregation?{bad}")
        assert response.status_code == 400 and response.json()["error"]["message"].startswith(name)
    cors = client.get("/api/v1/aggregation?probe_cc=IR", headers={"Origin": "https://a.example"})
    assert cors.headers["access-control-allow-origin"] == "*"


def test_search_by_description_operator_dates_asn_and_bad_parameters(
    observatory_client: TestClient,
) -> None:
    client = observatory_client

    def ids(query: str) -> set[int]:
        response = client.get(f"/incidents.json?{query}&limit=500")
        assert response.status_code == 200, response.text
        return {i["id"] for i in response.json()["incidents"]}

    # Operators: STOP's "telecom operators involved" column.
    mtn = ids("q=MTN")
    assert mtn and all(
        "mtn" in (i["stop"]["telcos_involved"] or "").lower() or "mtn" in str(i).lower()
        for i in client.get("/incidents.json?q=MTN&limit=500").json()["incidents"]
    )
    assert any(
        "mtn" in (i["stop"]["telcos_involved"] or "").lower()
        and "mtn" not in " ".join(str(i["stop"][k] or "") for k in ("area_name", "event")).lower()
        for i in client.get("/incidents.json?q=MTN&limit=500").json()["incidents"]
    )
    # Description: the details of the government's justification.
    exams = client.get("/incidents.json?q=exam&country=IQ&limit=500").json()["incidents"]
    assert exams and all(
        "exam" in " ".join(str(v) for v in (i["summary"], *i["stop"].values())).lower()
        for i in exams
    )
    # Dates: only incidents that started in the range.
    in_2019 = client.get("/incidents.json?country=IR&since=2019-01-01&until=2019-12-31").json()
    assert in_2019["total"] > 0
    assert all(
        "2019-01-01" <= i["stop"]["start_date"] <= "2019-12-31" for i in in_2019["incidents"]
    )
    # Service filter (alias of platform) and ASN filter.
    assert ids("service=whatsapp&country=IR") == ids("platform=whatsapp&country=IR") != set()
    assert client.get("/incidents.json?asn=AS0").json()["total"] == 0
    # Unknown or malformed parameters are a 400 that names the parameter.
    for query, name in (("colour=red", "colour"), ("since=2019-13-45", "since"),
                        ("year=abc", "year"), ("country=Narnia", "country"),
                        ("asn=ASX", "asn"), ("platform=myspace", "platform")):  # fmt: skip
        response = client.get(f"/incidents.json?{query}")
        assert response.status_code == 400, query
        assert response.json()["error"]["message"].startswith(name), response.json()
    assert client.get("/countries/IR?colour=red").status_code == 400


@pytest.mark.parametrize(
    ("lang", "code", "name", "date"),
    [
        ("zh_Hant", "HK", "香港", "2019年8月20日"),
        ("zh_Hans", "HK", "香港", "2019年8月20日"),
        ("zh_Hant", "IR", "伊朗", "2019年11月10日"),
        ("zh_Hans", "IR", "伊朗", "2019年11月10日"),
        ("zh_Hant", "CD", "剛果民主共和國", "2018年12月25日"),
        ("zh_Hans", "CD", "刚果民主共和国", "2018年12月25日"),
        ("en", "CD", "DR Congo", "Dec 25, 2018"),
    ],
)
def test_country_pages_localise_names_and_dates(
    observatory_client: TestClient, lang: str, code: str, name: str, date: str
) -> None:
    page = observatory_client.get(f"/countries/{code}?lang={lang}").text
    assert f"<h1>{name} " in page
    assert date in page  # the window's first day, in CLDR's format for the language
    tag = {"en": "en", "zh_Hant": "zh-Hant", "zh_Hans": "zh-Hans"}[lang]
    assert f'<html lang="{tag}">' in page
    assert set(re.findall(r'hreflang="([^"]+)"', page)) == {"en", "zh-Hant", "zh-Hans"}
    if lang == "zh_Hans":
        assert "测量" in page and "測量" not in page
    # The JSON twin stays language-neutral.
    twin = observatory_client.get(f"/countries/{code}.json?lang={lang}").json()
    assert twin["observatory"]["window"]["since"][:4] in ("2018", "2019")


@pytest.mark.parametrize(
    ("header", "lang"), [("zh-HK", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-CN", "zh-Hans")]
)
def test_language_from_accept_language_and_cookie(
    observatory_client: TestClient, header: str, lang: str
) -> None:
    observatory_client.cookies.clear()  # an earlier ?lang= left its cookie
    page = observatory_client.get("/countries/IR", headers={"Accept-Language": header}).text
    assert f'<html lang="{lang}">' in page
    cookie = {"zh-Hant": "zh_Hant", "zh-Hans": "zh_Hans"}[lang]
    observatory_client.cookies.set("lang", cookie)
    try:
        assert f'<html lang="{lang}">' in observatory_client.get("/").text
    finally:
        observatory_client.cookies.clear()


def test_every_json_route_declares_its_model_and_follows_it(
    observatory_client: TestClient,
) -> None:
    client = observatory_client
    schema = client.get("/openapi.json").json()
    undeclared = [
        path
        for path, ops in schema["paths"].items()
        if (path.endswith(".json") or path.startswith("/api/"))
        and not ops["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    ]
    assert undeclared == []
    from netvigil.web import _schemas as s

    home = client.get("/index.json").json()
    event = home["open_without_data"][0]["url"]
    chart = client.get("/countries/IR.json").json()["observatory"]["charts"]["verdicts"]
    uid = client.get("/api/v1/aggregation").json()  # any JSON; the uid comes from the store
    assert uid["dimension_count"] == 0
    checks: list[tuple[type[Any], str]] = [
        (s.Home, "/index.json"),
        (s.CountryPage, "/countries/IR.json"),
        (s.CountryPage, "/countries/HK.json"),
        (s.IncidentList, "/incidents.json?country=IR"),
        (s.CountryList, "/countries.json"),
        (s.EventPage, event + ".json"),
        (s.Chart, chart["embed_url"].replace("/embed/verdicts", "/embed/verdicts.json")),
        (s.Verification, f"/verify/{chart['id']}.json"),
        (s.ChartBuilder, "/chart.json?probe_cc=IR&axis_x=probe_asn"),
        (s.Aggregation, "/api/v1/aggregation?probe_cc=IR&axis_x=domain"),
        (s.Region, "/regions/IR-Tehran.json"),
    ]
    for model, url in checks:
        response = client.get(url)
        assert response.status_code == 200, url
        model.model_validate(response.json())


def test_cors_is_read_only_and_on_data_only(observatory_client: TestClient) -> None:
    client = observatory_client
    origin = {"Origin": "https://news.example"}
    data = client.get("/countries/IR.json", headers=origin)
    assert data.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in data.headers
    assert "access-control-allow-origin" not in client.get("/countries/IR", headers=origin).headers
    assert "access-control-allow-origin" not in client.get("/login", headers=origin).headers
    preflight = client.options(
        "/countries/IR.json",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400  # only GET and HEAD are allowed


@pytest.mark.parametrize(
    "path", ["/", "/countries/IR", "/chart", "/incidents", "/legal", "/regions/IR-Tehran"]
)
def test_every_page_has_opengraph_tags(observatory_client: TestClient, path: str) -> None:
    page = observatory_client.get(path).text
    for prop in ("og:title", "og:description", "og:url", "og:site_name", "og:locale"):
        match = re.search(rf'<meta property="{prop}" content="([^"]+)">', page)
        assert match and match.group(1).strip(), (path, prop)
