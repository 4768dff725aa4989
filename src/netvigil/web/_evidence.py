"""Evidence pages: one measurement (``/m/{measurement_uid}``) and one detected event
(``/events/{event_id}``), each also JSON, and the measurement's original line as a download.

A measurement page shows the stored verdict, the blocking detail, the observations step by step
(derived from the stored line by ``netvigil.analysis``, as the ingest derived them) and the
incidents that cite it. An event page shows the signal chart around the event, the evidence the
detector used, and the incidents that cite it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from netvigil.web import _observatory as obs
from netvigil.web import _schemas as schemas
from netvigil.web import _tracker as tracked
from netvigil.web._render import render, request_language
from netvigil.web._site import chart, sources, strict

router = APIRouter(tags=["observatory"])
# How much of the signal around an event its page draws.
BEFORE_EVENT = dt.timedelta(days=2)
AFTER_EVENT = dt.timedelta(days=1)
MAX_UID = 200

# The steps of a measurement in the order a probe takes them, with what each row shows.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "dns": ("hostname", "dns_engine", "dns_query_type", "dns_answer", "dns_answer_is_bogon",
            "control_dns_answer_match", "failure", "control_dns_failure"),
    "tcp": ("ip", "port", "ok", "failure", "control_tcp_ok", "control_tcp_failure"),
    "tls": ("ip", "port", "tls_server_name", "tls_version", "ok", "failure", "control_tls_ok",
            "control_tls_failure"),
    "http": ("http_request_url", "http_response_status_code", "http_response_body_length",
             "http_response_title", "failure", "control_http_response_status_code",
             "control_http_response_body_length", "control_http_failure"),
}  # fmt: skip


def _uid(raw: str) -> str:
    uid = raw.removesuffix(".json")
    if not uid or len(uid) > MAX_UID or not all(c.isalnum() or c in "._-" for c in uid):
        raise HTTPException(404, f"unknown measurement {raw[:MAX_UID]!r}")
    return uid


def _verdict(request: Request, uid: str) -> dict[str, Any]:
    table = sources(request).store.verdicts(measurement_uids=[uid])
    rows = table.to_pylist()
    if not rows:
        raise HTTPException(404, f"unknown measurement {uid!r}")
    row = rows[0]
    when = row.get("measurement_start_time")
    if isinstance(when, dt.datetime):
        row["measurement_start_time"] = when.replace(tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    row["day"] = str(row.get("day") or "")
    return {k: v for k, v in row.items() if k not in ("cc",)}


def observation_steps(line: bytes, uid: str) -> list[dict[str, Any]]:
    """The measurement's steps (one row per DNS answer / TCP / TLS / HTTP), with only the fields
    that step has."""
    from netvigil.analysis import observations_of

    steps = []
    for o in observations_of(orjson.loads(line), uid=uid):
        fields = {name: getattr(o, name) for name in STEP_FIELDS.get(o.kind, ())}
        steps.append(
            {"idx": o.observation_idx, "kind": o.kind, "transaction_id": o.transaction_id,
             "fields": {k: v for k, v in fields.items() if v is not None}}
        )  # fmt: skip
    return steps


def _measurement_path(uid: str) -> str:
    return f"/m/{uid}"


@router.get(
    "/m/{measurement_uid}.json", name="measurement.json", operation_id="measurement_json",
    response_model=schemas.Measurement, summary="One measurement: verdict and observations (JSON)",
)  # fmt: skip
@router.get(
    "/m/{measurement_uid}", name="measurement", operation_id="measurement_html",
    response_class=Response, summary="One measurement: verdict and observations (HTML)",
)  # fmt: skip
def measurement(request: Request, measurement_uid: str) -> Response:
    """The stored verdict of one measurement, its blocking detail, its steps and the incidents
    citing it; the original measurement is at ``/m/{uid}/raw.json``."""
    strict(request, ())
    uid = _uid(measurement_uid)
    verdict = _verdict(request, uid)
    line = sources(request).store.raw_measurement(uid)
    data = {
        "measurement_uid": uid,
        "verdict": verdict,
        "observations": [] if line is None else observation_steps(line, uid),
        "raw_url": f"/m/{uid}/raw.json" if line is not None else None,
        "ooni_explorer_url": f"https://explorer.ooni.org/m/{uid}",
        "incidents": tracked.incidents_citing(request.app.state.tracker, "measurement", uid),
        "json_url": f"/m/{uid}.json",
    }
    return render(request, "measurement.html", data)


@router.get(
    "/m/{measurement_uid}/raw.json", name="measurement_raw", operation_id="measurement_raw",
    summary="The original measurement as stored (OONI's data format; the probe's address is "
    "never stored)", response_model=dict[str, Any],
)  # fmt: skip
def measurement_raw(request: Request, measurement_uid: str) -> Response:
    strict(request, ())
    uid = _uid(measurement_uid)
    line = sources(request).store.raw_measurement(uid)
    if line is None:
        raise HTTPException(404, f"unknown measurement {uid!r}")
    return Response(
        line,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{uid}.json"'},
    )


@router.get(
    "/events/{event_id:path}", name="event", operation_id="event",
    response_model=schemas.EventPage,
    summary="One detected event: its signals around it, evidence, linked incidents "
    "(HTML; JSON when the path ends in .json)",
)  # fmt: skip
def event(request: Request, event_id: str) -> Response:
    """An outage, blocking or platform event: the chart of its entity's signals around it with
    the event shaded, what the detector saw, the incidents citing it."""
    strict(request, ())
    wanted = event_id.removesuffix(".json")
    src = sources(request)
    lang = "en" if request.url.path.endswith(".json") else request_language(request)
    found = obs.find_event(src.store, wanted, lang)
    if found is None:
        raise HTTPException(404, f"unknown event {wanted!r}")
    start = dt.datetime.fromisoformat(found["start"].replace("Z", "+00:00"))
    end = (
        dt.datetime.now(dt.UTC)
        if found["end"] is None
        else dt.datetime.fromisoformat(found["end"].replace("Z", "+00:00"))
    )
    since, until = (start - BEFORE_EVENT).date(), (end + AFTER_EVENT).date()
    outer = found["entity"].split("/")[0]
    data: dict[str, Any] = {
        "event": found,
        "incidents": tracked.incidents_citing(src.tracker, "event", wanted),
        "json_url": obs.event_url(wanted) + ".json",
    }
    if outer.split(":")[0] in ("country", "region", "asn"):
        query = {"entity": outer, "since": since.isoformat(), "until": until.isoformat()}
        data["chart"] = chart(src, "signals", query)
    else:
        data["chart"] = None
    return render(request, "event.html", data)
