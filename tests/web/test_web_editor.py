"""The editor area's forms and list over HTTP (TestClient; the Chromium test drives the same
forms in a browser): controlled fields, paging and search, refused evidence, document access."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from web_support import Seeded, csrf_token, login

from netvigil.incidents import IncidentFilter


def _post(client: TestClient, url: str, data: dict[str, str], **kw: object) -> object:
    token = csrf_token(client, "/editor")
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False, **kw)


def test_the_edit_form_shows_codes_and_saving_it_unchanged_changes_nothing(
    client: TestClient, seeded: Seeded
) -> None:
    tracker = seeded.tracker
    login(client, seeded.editor.name)
    page = client.get(f"/editor/incidents/{seeded.draft_id}/edit").text
    assert '<option value="IN" selected>' in page
    before = tracker.get_incident(seeded.draft_id, public=False)
    values = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', page))
    values.update(re.findall(r'<input type="date" name="([^"]+)" value="([^"]*)"', page))
    values.update(
        (m.group(1), m.group(2))
        for m in re.finditer(
            r'<select name="([^"]+)"[^>]*>(?:(?!</select>).)*?<option value="([^"]*)" selected>',
            page,
            re.S,
        )
    )
    response = _post(client, f"/editor/incidents/{seeded.draft_id}/edit", values)
    assert response.status_code == 303  # type: ignore[attr-defined]
    after = tracker.get_incident(seeded.draft_id, public=False)
    assert (after.country, after.country_code, after.start_date, after.area_name) == (
        before.country,
        before.country_code,
        before.start_date,
        before.area_name,
    )
    # Choosing a code writes the codebook's STOP text, and the code comes back from it.
    values["vocab:type"] = "throttling"
    values["vocab:scope"] = "national"
    _post(client, f"/editor/incidents/{seeded.draft_id}/edit", values)
    changed = tracker.get_incident(seeded.draft_id, public=False)
    assert (changed.shutdown_type, changed.type_code) == ("Throttle", "throttling")
    assert (changed.geo_scope, changed.scope_code) == ("National", "national")
    bad = _post(client, f"/editor/incidents/{seeded.draft_id}/edit", {**values, "vocab:type": "x"})
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert "expected one of shutdown, throttling" in bad.text  # type: ignore[attr-defined]


def test_the_editor_list_pages_searches_and_filters(client: TestClient, seeded: Seeded) -> None:
    tracker = seeded.tracker
    for n in range(55):
        tracker.create_incident(
            {"country": "Pakistan", "start_date": f"2021-01-{n % 28 + 1:02d}",
             "area_name": f"Town {n}"},
            seeded.editor,
        )  # fmt: skip
    login(client, seeded.viewer.name)
    first = client.get("/editor").text
    assert "58 incidents" in first and "showing 1–50" in first
    assert 'rel="next"' in first
    second = client.get("/editor?offset=50").text
    assert "showing 51–58" in second and 'rel="prev"' in second
    found = client.get("/editor?q=Town+17").text
    assert "1 incident" in found and "Pakistan: internet shutdown in Town 17" in found
    assert "Manipur" in client.get(f"/editor?q=%23{seeded.published_id}").text
    assert "3 incidents" in client.get("/editor?country=IN").text
    assert "55 incidents" in client.get("/editor?country=PK&year=2021").text
    assert client.get("/editor?type=nonsense").status_code == 422
    total = tracker.count_incidents(IncidentFilter(), public=False)
    assert total == 58


def test_a_measurement_not_in_the_store_is_refused_clearly(
    client: TestClient, seeded: Seeded
) -> None:
    login(client, seeded.editor.name)
    response = _post(
        client,
        f"/editor/incidents/{seeded.draft_id}/evidence",
        {"kind": "measurement", "value": "20240101T000000Z_webconnectivity_IN_1_n1_x"},
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert "there is no analytical store at" in text and "netvigil ingest FILE" in text
    evidence = seeded.tracker.get_incident(seeded.draft_id, public=False).evidence
    assert [e.kind for e in evidence] == []


def test_uploads_are_typed_capped_and_served_only_when_published(
    client: TestClient, seeded: Seeded
) -> None:
    login(client, seeded.admin.name)

    def upload(incident_id: int, name: str, body: bytes) -> object:
        token = csrf_token(client, "/editor")
        return client.post(
            f"/editor/incidents/{incident_id}/document",
            data={"csrf_token": token},
            files={"document": (name, body, "application/pdf")},
            follow_redirects=False,
        )

    script = upload(seeded.draft_id, "order.pdf", b"<html><script>alert(1)</script></html>")
    assert script.status_code == 400  # type: ignore[attr-defined]
    assert "order.pdf: is not an accepted type" in script.text  # type: ignore[attr-defined]
    big = upload(seeded.draft_id, "big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024))
    assert big.status_code == 400  # type: ignore[attr-defined]
    assert "larger than the 10 MiB limit" in big.text  # type: ignore[attr-defined]
    pdf = b"%PDF-1.4\n% order\n%%EOF\n"
    assert upload(seeded.draft_id, "order.pdf", pdf).status_code == 303  # type: ignore[attr-defined]
    (item,) = seeded.tracker.get_incident(seeded.draft_id, public=False).evidence
    assert item.media_type == "application/pdf" and item.size_bytes == len(pdf)
    # Editors can read it; the public cannot while the incident is a draft.
    assert client.get(f"/editor/files/{item.sha256}").content == pdf
    client.cookies.clear()
    assert client.get(f"/files/{item.sha256}").status_code == 404
    login(client, seeded.admin.name)
    assert upload(seeded.published_id, "same.pdf", pdf).status_code == 303  # type: ignore[attr-defined]
    client.cookies.clear()
    served = client.get(f"/files/{item.sha256}")
    assert served.status_code == 200 and served.content == pdf
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("attachment")
