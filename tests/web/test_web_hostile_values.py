"""Every template rendered with hostile values in the data it shows (security audit M1).

On c7f86ae templates passed data through ``{{ _(value) }}`` (a status, an evidence or instrument
kind, the impact note with the country code), and Jinja's ``_()`` marked the result safe: a
stored ``<meta http-equiv="refresh">`` sent visitors off-site and a ``%`` gave HTTP 500. Here
hostile values reach the pages through every kind of data they show:

- **tracker**: the seeded tracker's values overwritten in the database (as an old import could
  have stored them): statuses, titles, kinds, the country code, private sources, policy records;
- **subscriptions**: a subscription's name and entity, created as a user would;
- **store**: the analytical store, written through its public interface: a measurement as an
  anonymous probe could submit it (its input URL and domain, the title of the page it fetched,
  its annotations, which no page shows), signals and detected events with hostile entities,
  signal names and detectors, and the draft incident that notify opens from such an event.

Every page of the site is then fetched as an admin: each template must have been rendered, with
no live injected markup, no JSON island a ``</script>`` could close, and no server error; and
each source's value must have reached pages, escaped (so the test cannot pass by showing nothing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax import saxutils

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select, text
from web_support import Seeded, login, web_settings

from netvigil._settings import Settings
from netvigil.models.events import Event
from netvigil.models.signals import SignalPoint
from netvigil.web import create_app
from netvigil.web._render import TEMPLATES_DIR
from nvtest import shared_path


def hostile(source: str) -> str:
    """A value that, unescaped, redirects the visitor, fails %-formatting (``%s``), is Jinja
    syntax, and closes any <script> it is put in; the URL names the data source it came from."""
    return (
        f'<meta http-equiv="refresh" content="0;url=https://evil.example/{source}">%s'
        "{% raw %}</script><script>alert(1)</script>"
    )


HOSTILE = hostile("tracker")
SHORT = "<b>%s"  # too long for the 2-character country code: SQLite stores it all the same
# The store's values. Host names, region codes and entity parts admit no spaces: these do.
STORE = hostile("store")
HOST = f"{SHORT}.example"  # a measured domain, as a probe can submit it
REGION = f"IR-{SHORT}"  # a region code (one word)
BLOCKING = Event(
    entity=f"country:IR/asn:AS12880/domain:{HOST}", kind="blocking",
    start=dt.datetime(2024, 6, 4, 11, tzinfo=dt.UTC), end=None, score=9.0, signals=(STORE,),
    detector="cusum", detector_version=STORE,
    detected_at=dt.datetime(2024, 6, 4, 12, tzinfo=dt.UTC),
)  # fmt: skip
OUTAGE = Event(
    entity=f"region:{REGION}", kind="outage",
    start=dt.datetime(2024, 6, 4, 6, tzinfo=dt.UTC), end=dt.datetime(2024, 6, 4, 9, tzinfo=dt.UTC),
    score=5000.0, signals=(STORE,), detector=STORE, detector_version="1.0",
    detected_at=dt.datetime(2024, 6, 4, 7, tzinfo=dt.UTC),
)  # fmt: skip
SUBSCRIPTION = hostile("subscription")


def _poison(seeded: Seeded) -> None:
    with seeded.tracker.engine.begin() as con:
        con.execute(text("UPDATE incidents SET status = :v, country_code = :cc WHERE id = :id"),
                    {"v": HOSTILE, "cc": SHORT, "id": seeded.draft_id})  # fmt: skip
        con.execute(text("UPDATE incidents SET title = :v WHERE id = :id"),
                    {"v": HOSTILE, "id": seeded.published_id})  # fmt: skip
        con.execute(text("UPDATE evidence SET kind = :v WHERE kind = 'document'"), {"v": HOSTILE})
        con.execute(text("UPDATE incident_sources SET description = :v, reporter_name = :v"),
                    {"v": HOSTILE})  # fmt: skip
        con.execute(text("UPDATE policy_instruments SET kind = :v, name_en = :v, summary_en = :v"),
                    {"v": HOSTILE})  # fmt: skip
        con.execute(text("UPDATE policy_responses SET company = :v, summary_en = :v"),
                    {"v": HOSTILE})  # fmt: skip
        con.execute(text("UPDATE policy_statements SET title_en = :v, summary_en = :v"),
                    {"v": HOSTILE})  # fmt: skip
        con.execute(text("UPDATE policy_statement_demands SET text_en = :v"), {"v": HOSTILE})
        con.execute(text("UPDATE policy_signatories SET name = :v"), {"v": HOSTILE})


def _swap(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_swap(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, old, new) for k, v in value.items()}
    return value


def hostile_measurement() -> bytes:
    """OONI's QA measurement of a block page (httpDiffWithConsistentDNS), as a probe could
    submit it: the measured site's host name, its URL, the page's title and the annotations
    hostile; a new envelope (Iran, AS12880, June 2024)."""
    path = shared_path("ooni", "probecli_minipipeline", "generated", "httpDiffWithConsistentDNS")
    data = _swap(orjson.loads((path / "measurement.json").read_bytes()), "www.example.com", HOST)
    for request in data["test_keys"]["requests"]:
        response = request["response"]
        response["body"] = response["body"].replace("<title>Access Denied", f"<title>{STORE}")
    stamp = "2024-06-04 12:00:00"
    data.update(
        input=f"http://{HOST}/{STORE}", annotations={"note": STORE}, probe_cc="IR",
        probe_asn="AS12880", measurement_start_time=stamp, test_start_time=stamp,
        report_id="20240604T120000Z_webconnectivity_IR_12880_n1_hostile",
    )  # fmt: skip
    return orjson.dumps(data)


def seed_hostile_store(url: str, tmp: Path) -> str:
    """The store at ``url``: the measurement above ingested as a user would, signals named
    hostile for Iran and the hostile region, and the two events. Returns the measurement's uid."""
    from netvigil.ingest import run
    from netvigil.store import open_store

    lines = tmp / "hostile.jsonl"
    lines.write_bytes(hostile_measurement() + b"\n")
    start = int(dt.datetime(2024, 6, 3, tzinfo=dt.UTC).timestamp())
    points = [
        SignalPoint(kind, code, STORE, start + h * 3600, 50.0 + h % 5)
        for kind, code in (("region", REGION), ("country", "IR"))
        for h in range(48)
    ]
    with open_store(url) as store:
        report = run([str(lines)], store, on_error="fail")
        assert report.ingested == 1, report
        store.write_signals(points, source="hostile")
        store.upsert_events([BLOCKING, OUTAGE])
        [uid] = store.verdicts().column("measurement_uid").to_pylist()
    return str(uid)


def cite(seeded: Seeded, store_url: str, uid: str) -> None:
    """The published incident cites the measurement and both events, as the editor area
    attaches them (their verdict and snapshot read from the store)."""
    from netvigil.incidents.evidence import event_snapshot, measurement_verdict

    tracker, editor = seeded.tracker, seeded.admin
    verdict = measurement_verdict(store_url, uid)
    tracker.attach_evidence(seeded.published_id, "measurement", uid, editor, verdict=verdict)
    for event in (BLOCKING, OUTAGE):
        snapshot = event_snapshot(store_url, event.event_id)
        tracker.attach_evidence(
            seeded.published_id, "event", event.event_id, editor, verdict=snapshot
        )


def subscribe(seeded: Seeded) -> tuple[str, str]:
    """A subscription of the admin with a hostile name and region entity, as the form makes it;
    returns its unsubscribe and feed tokens."""
    from netvigil.notify import Owner, Subscriptions, check_request

    request = check_request(
        {"name": SUBSCRIPTION, "entities": [f"region:{REGION}", "country:IR"], "channel": "atom"},
        allow=[],
    )
    owner = Owner(user_id=seeded.admin.user_id, name=seeded.admin.name)
    row = Subscriptions(seeded.tracker).create(request, owner)
    assert row.name == SUBSCRIPTION and f"region:{REGION}" in row.entities
    return str(row.unsubscribe_token), str(row.feed_token)


def draft_from_events(seeded: Seeded, settings: Settings) -> int:
    """One round of notify over the store: it opens the draft incident of the ongoing (hostile)
    blocking event, and records the alerts of the subscription."""
    from netvigil.incidents.model import Incident
    from netvigil.notify import Notifier

    notifier = Notifier(settings.notify, seeded.tracker, store_url=settings.store_url)
    report = asyncio.run(notifier.tick())
    assert report.drafts.get("created") == 1, report
    with seeded.tracker.session() as s:
        found = s.scalar(select(Incident.id).where(Incident.event_entity == BLOCKING.entity))
    assert found is not None
    return int(found)


@pytest.fixture
def hostile_app(tmp_path: Path, seeded: Seeded, db_url: str) -> tuple[FastAPI, dict[str, Any]]:
    """The site over the seeded tracker and a store of hostile data, every source poisoned."""
    settings = web_settings(tmp_path, db_url).model_copy(update={"store": str(tmp_path / "store")})
    uid = seed_hostile_store(settings.store_url, tmp_path)
    unsubscribe, feed = subscribe(seeded)
    ids = {
        "uid": uid,
        "unsubscribe": unsubscribe,
        "feed": feed,
        "event_draft": draft_from_events(seeded, settings),  # before an incident cites the event
    }
    cite(seeded, settings.store_url, uid)
    _poison(seeded)
    return create_app(settings, tracker=seeded.tracker), ids


def _urls(seeded: Seeded) -> list[str]:
    pub, draft, law = seeded.published_id, seeded.draft_id, seeded.instrument_id
    notice = "?notice=" + HOSTILE.replace("%", "%25").replace("#", "%23").replace("&", "%26")
    return [
        "/", "/incidents", f"/incidents/{pub}", "/countries", f"/countries/{seeded.country_code}",
        "/legal", f"/legal/{law}", "/responses", f"/responses/{seeded.response_id}",
        "/statements", f"/statements/{seeded.statement_id}", "/incidents/999999",
        "/editor", "/editor?status=reported", "/editor/incidents/new", f"/editor/incidents/{pub}",
        f"/editor/incidents/{draft}{notice}", f"/editor/incidents/{draft}/edit",
        "/editor/policy", "/editor/policy/instruments/new",
        f"/editor/policy/instruments/{law}/edit",
        "/editor/policy/responses/new", f"/editor/policy/responses/{seeded.response_id}/edit",
        "/editor/policy/statements/new",
        f"/editor/policy/statements/{seeded.statement_id}/edit",
    ]  # fmt: skip


def _chart_urls(client: TestClient) -> list[str]:
    """The chart builder's chart of Iran's measured domains, its embed and its verification."""
    builder = "/chart?probe_cc=IR&axis_x=domain&since=2024-06-01&until=2024-06-30"
    built = client.get(builder.replace("/chart", "/chart.json")).json()["chart"]
    return [builder, built["embed_url"], built["verify_url"]]


def _store_urls(seeded: Seeded, ids: dict[str, Any]) -> list[str]:
    """The observatory's and notify's pages that show the store's and the subscription's data."""
    pub = seeded.published_id
    return [
        "/countries/IR", "/asn/AS12880", f"/regions/{quote(REGION, safe='')}", f"/m/{ids['uid']}",
        "/verify/" + quote(f"{SHORT}-{SHORT}", safe=""),  # a hostile id, reflected
        *(f"/events/{quote(e.event_id, safe=':')}" for e in (BLOCKING, OUTAGE)),
        f"/incidents/{pub}/notice", f"/editor/incidents/{pub}/notice",
        "/editor/subscriptions", f"/unsubscribe/{ids['unsubscribe']}",
        f"/editor/incidents/{ids['event_draft']}", f"/editor/incidents/{ids['event_draft']}/edit",
        # not templates, but pages all the same: the Atom feeds of the hostile entities
        f"/feeds/subscriptions/{ids['feed']}.atom", "/feeds/countries/IR.atom",
        f"/feeds/entities/{quote('region:' + REGION, safe=':')}.atom",
    ]  # fmt: skip


SCRIPT_RE = re.compile(r"<script[^>]*>(.*?)</script>", re.S)


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _texts(v)


def islands(page: str) -> list[str]:
    """Every string in the page's JSON islands (<script type="application/json">)."""
    return [t for i in SCRIPT_RE.findall(page) if i.strip() for t in _texts(json.loads(i))]


def shown(page: str, value: str, *, xml: bool = False) -> bool:
    """Whether ``value`` is on the page escaped: as HTML text, or in a JSON island (a chart's
    spec, whose "<" are escaped as \\u003c); in a feed, as XML text."""
    if xml:
        return saxutils.escape(value) in page
    return str(escape(value)) in page or any(value in t for t in islands(page))


def test_m1_every_template_escapes_hostile_data(
    hostile_app: tuple[FastAPI, dict[str, Any]], seeded: Seeded
) -> None:
    app, ids = hostile_app
    env = app.state.templates.env
    rendered: set[str] = set()
    get_template = env.get_template

    def recording(name: Any, *args: Any, **kwargs: Any) -> Any:
        rendered.add(str(name))
        return get_template(name, *args, **kwargs)

    env.get_template = recording
    env.cache = None  # includes and imports go through get_template again
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/login")  # the login page, before logging in
        login(client, seeded.admin.name)
        charts = _chart_urls(client)
        urls = _urls(seeded) + _store_urls(seeded, ids) + charts
        pages = {url: client.get(url) for url in urls}
    errors = {url: r.status_code for url, r in pages.items() if r.status_code >= 500}
    assert errors == {}
    for url, response in pages.items():
        assert "<meta http-equiv" not in response.text, url
        assert "<b>%s" not in response.text, url
        assert "<script>alert" not in response.text, url
        # JSON islands (chart specs, labels) escape "<": no value can close the <script>.
        for island in SCRIPT_RE.findall(response.text):
            assert "<" not in island, url
            if island.strip():
                json.loads(island)
    escaped = "&lt;meta http-equiv=&#34;refresh&#34;"
    shown_urls = [url for url, r in pages.items() if escaped in r.text]
    # the values did reach the pages that show them through _(): status, kinds, impact note
    assert f"/editor/incidents/{seeded.draft_id}" in " ".join(shown_urls)
    assert f"/incidents/{seeded.published_id}" in shown_urls and "/editor" in shown_urls
    assert f"/legal/{seeded.instrument_id}" in shown_urls
    # ... and each source's values reached the pages of that source (one at least per template
    # added since: home, country, network, region, measurement, event, notice, subscriptions,
    # unsubscribe, the event's draft; the charts below), escaped.
    ok = {url: r.text for url, r in pages.items() if r.status_code == 200}
    event_pages = [f"/events/{quote(e.event_id, safe=':')}" for e in (BLOCKING, OUTAGE)]
    region, draft = f"/regions/{quote(REGION, safe='')}", f"/editor/incidents/{ids['event_draft']}"
    expect = {
        "tracker": (HOSTILE, [f"/incidents/{seeded.published_id}/notice", "/", "/legal",
                              f"/responses/{seeded.response_id}", f"/m/{ids['uid']}",
                              f"/statements/{seeded.statement_id}", *event_pages,
                              f"/editor/incidents/{seeded.published_id}"]),
        "store": (STORE, ["/", "/countries/IR", region, f"/m/{ids['uid']}", *event_pages,
                          f"{draft}/edit", "/feeds/countries/IR.atom"]),  # edit: the summary
        "store host": (HOST, ["/", "/asn/AS12880", "/countries/IR", f"/m/{ids['uid']}", draft,
                              "/feeds/countries/IR.atom"]),
        "store region": (REGION, [region, "/editor/subscriptions"]),
        "subscription": (SUBSCRIPTION, ["/editor/subscriptions",
                                        f"/unsubscribe/{ids['unsubscribe']}",
                                        f"/feeds/subscriptions/{ids['feed']}.atom"]),
    }  # fmt: skip
    missing = {
        (source, url)
        for source, (value, urls) in expect.items()
        for url in urls
        if url not in ok or not shown(ok[url], value, xml=url.endswith(".atom"))
    }
    assert missing == set()
    assert [u for u in charts if u not in ok or not shown(ok[u], HOST)] == []
    # The charts' JSON islands carry "</script>" from the data, escaped: the signal's name on the
    # region page, the incident's title on the country page's timeline.
    assert STORE in islands(ok[region]) and HOSTILE in islands(ok["/countries/IN"])
    every = {p.name for p in Path(TEMPLATES_DIR).glob("*.html")}
    assert every - rendered == set()
