"""OONI's aggregation API, the chart builder, embeddable charts and chart verification.

- ``/api/v1/aggregation``: OONI's parameters and semantics (``docs/store.md``), JSON as OONI's
  API answers, or CSV with ``format=CSV``;
- ``/chart``: any aggregation drawn, every parameter in the URL (a permalink);
- ``/embed/{kind}``: one chart alone, the only pages another site may frame (``_security``);
- ``/verify/{chart_id}``: rebuilds the chart an id names and says whether it still matches.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from netvigil.store.aggregation import AXES, COUNTS, TIME_GRAINS, as_csv, as_ooni_json
from netvigil.web import _charts as charts
from netvigil.web import _schemas as schemas
from netvigil.web._render import render
from netvigil.web._site import chart, sources, strict

router = APIRouter(tags=["observatory"])


@router.get(
    "/api/v1/aggregation", name="aggregation", operation_id="aggregation",
    response_model=schemas.Aggregation,
    summary="OONI's measurement aggregation: counts per axis value (JSON, or CSV with format=CSV)",
)  # fmt: skip
def aggregation(request: Request) -> Response:
    """Parameters as OONI's API: ``probe_cc, probe_asn, test_name, domain, input,
    category_code, since, until`` (``since <= measurement_start_time < until``), ``axis_x``,
    ``axis_y``, ``time_grain`` (hour, day, week, month), ``format`` (JSON or CSV). The four
    counts do not overlap and sum to ``measurement_count``."""
    params = strict(request, (*charts.AGGREGATION_PARAMS, "format"))
    fmt = params.pop("format", "JSON").upper()
    if fmt not in ("JSON", "CSV"):
        raise HTTPException(400, "format: expected JSON or CSV")
    try:
        query = charts.aggregation_query(params)
    except charts.ChartQueryError as exc:
        raise HTTPException(400, str(exc)) from None
    rows = sources(request).store.aggregate(query, test_lists=sources(request).test_lists)
    if fmt == "CSV":
        return Response(
            as_csv(rows, query),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="aggregation.csv"'},
        )
    import orjson

    return Response(orjson.dumps(as_ooni_json(rows, query)), media_type="application/json")


def _builder_data(request: Request) -> dict[str, Any]:
    params = strict(request, charts.AGGREGATION_PARAMS)
    query = {k: v for k, v in params.items() if v}
    if not query.get("axis_x"):
        query["axis_x"] = "measurement_start_day"
    src = sources(request)
    built = chart(src, "aggregation", query)
    return {
        "params": query,
        "chart": built,
        "axes": list(AXES),
        "time_grains": list(TIME_GRAINS),
        "counts": list(COUNTS),
        "api_url": "/api/v1/aggregation?" + request.url.query
        if request.url.query
        else "/api/v1/aggregation",
        "json_url": "/chart.json" + (f"?{request.url.query}" if request.url.query else ""),
    }


@router.get(
    "/chart.json", name="chart_builder.json", operation_id="chart_builder_json",
    response_model=schemas.ChartBuilder, summary="The chart builder's chart (JSON)",
)  # fmt: skip
@router.get(
    "/chart", name="chart_builder", operation_id="chart_builder_html", response_class=Response,
    summary="Build a chart of any aggregation; every parameter is in the URL (HTML)",
)  # fmt: skip
def chart_builder(request: Request) -> Response:
    return render(request, "chart.html", _builder_data(request))


@router.get(
    "/embed/{kind}.json", name="embed.json", operation_id="embed_json",
    response_model=schemas.Chart, summary="One chart and its data, with its verifiable id (JSON)",
)  # fmt: skip
@router.get(
    "/embed/{kind}", name="embed", operation_id="embed_html", response_class=Response,
    summary="One chart alone, to frame in another site (HTML)",
)  # fmt: skip
def embed(request: Request, kind: str) -> Response:
    """``kind`` is verdicts, signals, timeline, map or aggregation; the parameters are the
    chart's query (the ``embed_url`` of any chart on the site)."""
    kind = kind.removesuffix(".json")
    try:
        query = charts.check_params(kind, dict(request.query_params))
    except charts.ChartQueryError as exc:
        raise HTTPException(400 if kind in charts.BUILDERS else 404, str(exc)) from None
    built = chart(sources(request), kind, query)
    return render(request, "embed.html", built)


@router.get(
    "/verify/{chart_id}.json", name="verify.json", operation_id="verify_json",
    response_model=schemas.Verification, summary="Check a chart's id against the data now (JSON)",
)  # fmt: skip
@router.get(
    "/verify/{chart_id}", name="verify", operation_id="verify_html", response_class=Response,
    summary="Check a chart's id against the data now (HTML)",
)  # fmt: skip
def verify(request: Request, chart_id: str) -> Response:
    """Rebuilds the chart from the query in its id and compares the digest of query, data and
    rules version: confirmed, or rejected with the id the query gives now."""
    strict(request, ())
    chart_id = chart_id.removesuffix(".json")
    try:
        result = charts.verify(sources(request), chart_id)
    except charts.ChartQueryError as exc:
        result = {
            "chart_id": chart_id,
            "confirmed": False,
            "message": f"rejected: {exc}",
            "chart": None,
        }
    result["json_url"] = f"/verify/{chart_id}.json"
    return render(request, "verify.html", result)
