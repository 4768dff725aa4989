"""The shapes of the JSON routes, declared on each route so that ``/docs`` shows real schemas.

Views build plain dicts (one view serves the HTML page and its JSON twin) and return them
through ``render``; these models document those dicts and a test checks every JSON route's
output against its model (``tests/web/test_web_schemas.py``). Nested records that other packages
own (an incident's 45 STOP cells, an impact estimate's inputs) are typed as objects with their
main fields and allow the rest.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Open(BaseModel):
    """A record whose main fields are typed; other fields may follow."""

    model_config = ConfigDict(extra="allow")


# --- errors -----------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    status: int
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


# --- charts and events --------------------------------------------------------------------------
class Chart(Open):
    id: str  # <16 hex digits of SHA-256 over query, data and rules version>-<query, base64url>
    kind: str  # verdicts, signals, timeline, map, aggregation
    title: str
    query: dict[str, Any]
    rules_version: str
    data: Any  # rows the chart draws, one mark each (signals: {points, events})
    verify_url: str
    embed_url: str


class Event(Open):
    id: str
    entity: str
    entity_label: str
    country_code: str | None
    kind: str  # outage, blocking, platform_outage...
    start: str
    end: str | None
    ongoing: bool
    score: float
    signals: list[str]
    detector: str
    detector_version: str
    detected_at: str
    url: str


class IncidentBrief(Open):
    id: int
    country_code: str | None
    date: str | None
    end: str | None
    title: str
    title_zh_hant: str
    title_zh_hans: str
    url: str


class Headline(Open):
    published_incidents: int
    countries_with_incidents: int
    ongoing_incidents: int
    ongoing_events: int
    ongoing_events_by_kind: dict[str, int]
    measurements: int
    measured_countries: int
    detected_events: int


class Home(BaseModel):
    now: str
    headline: Headline
    ongoing_events: list[Event]
    recent_events: list[Event]
    open_without_data: list[Event]  # left open by the detector, but their data stopped
    ongoing_incidents: list[IncidentBrief]
    latest_incidents: list[IncidentBrief]
    map: Chart
    json_url: str


class Window(BaseModel):
    since: str
    until: str
    grain: str


class DomainCounts(Open):
    domain: str
    confirmed_count: int
    anomaly_count: int
    measurement_count: int


class ServiceCounts(Open):
    service: str
    label: str
    measurement_count: int
    ok_count: int
    anomaly_count: int
    confirmed_count: int
    failure_count: int


class NetworkCount(BaseModel):
    asn: str
    measurement_count: int


class Coverage(BaseModel):
    measurement_count: int
    network_count: int
    networks: list[NetworkCount]


class ImpactTotals(Open):
    incidents: int
    estimated: int
    people_affected: int
    cost_usd: dict[str, int]
    currency: str
    method: str
    without_estimate: list[dict[str, Any]]


class CountryObservatory(BaseModel):
    window: Window
    charts: dict[str, Chart]
    blocked_domains: list[DomainCounts]
    services: list[ServiceCounts]
    coverage: Coverage
    events: list[Event]
    event_count: int
    impact: ImpactTotals


# --- tracker pages ------------------------------------------------------------------------------
class Incident(Open):
    """An incident as ``netvigil.incidents.public_dict`` gives it."""

    id: int
    status: str
    title: str
    title_zh_hant: str
    summary: str | None
    country_code: str | None
    report_year: int | None
    country_names: dict[str, str | None]
    codes: dict[str, str | None]
    services: list[str]
    duration_days: float | None
    stop: dict[str, Any]
    outage: dict[str, Any]
    episodes: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    legal_basis: list[dict[str, Any]]


class IncidentList(BaseModel):
    filters: dict[str, Any]
    total: int
    offset: int
    limit: int
    incidents: list[Incident]
    next_url: str | None
    prev_url: str | None
    json_url: str
    csv_url: str


class IncidentPage(BaseModel):
    incident: Incident
    reports: list[dict[str, Any]]
    impact: dict[str, Any] | None
    impact_note: str | None
    json_url: str


class CountryName(BaseModel):
    code: str
    name: str
    incident_count: int


class CountryList(BaseModel):
    countries: list[CountryName]
    json_url: str


class YearCount(BaseModel):
    year: int
    count: int


class CountryPage(BaseModel):
    country: CountryName
    by_year: list[YearCount]
    incidents: list[Incident]
    policy: dict[str, list[dict[str, Any]]]
    observatory: CountryObservatory
    json_url: str


class Network(BaseModel):
    asn: str
    countries: list[dict[str, Any]]
    window: Window
    charts: dict[str, Chart]
    blocked_domains: list[DomainCounts]
    events: list[Event]
    json_url: str


class Region(BaseModel):
    region: str
    name: str
    country_code: str | None
    window: Window
    charts: dict[str, Chart]
    events: list[Event]
    json_url: str


# --- evidence -----------------------------------------------------------------------------------
class Step(BaseModel):
    idx: int
    kind: str  # dns, tcp, tls, http
    transaction_id: int | None
    fields: dict[str, Any]


class Verdict(Open):
    measurement_uid: str
    test_name: str
    probe_cc: str
    probe_asn: str
    measurement_start_time: str
    outcome: str  # ok, anomaly, confirmed, failure
    blocking: str | None
    blocking_detail: str | None
    rule_id: str
    rules_version: str


class Measurement(BaseModel):
    measurement_uid: str
    verdict: Verdict
    observations: list[Step]
    raw_url: str | None
    ooni_explorer_url: str
    incidents: list[IncidentBrief]
    json_url: str


class EventPage(BaseModel):
    event: Event
    incidents: list[IncidentBrief]
    chart: Chart | None
    json_url: str


# --- aggregation, builder, verification ---------------------------------------------------------
class AggregationRow(Open):
    """Axis values (those asked for) then the counts."""

    anomaly_count: int
    confirmed_count: int
    failure_count: int
    measurement_count: int
    ok_count: int


class Aggregation(BaseModel):
    dimension_count: int
    result: list[AggregationRow] | AggregationRow
    v: int


class ChartBuilder(BaseModel):
    params: dict[str, str]
    chart: Chart
    axes: list[str]
    time_grains: list[str]
    counts: list[str]
    api_url: str
    json_url: str


class Verification(Open):
    chart_id: str
    confirmed: bool
    message: str
    chart: Chart | None
    json_url: str


# --- policy records (netvigil.policy.serialise) -------------------------------------------------
class PolicyList(Open):
    filters: dict[str, Any]
    json_url: str


class InstrumentPage(Open):
    instrument: dict[str, Any]
    incidents: list[dict[str, Any]]
    responses: list[dict[str, Any]]
    statements: list[dict[str, Any]]


class ResponsePage(Open):
    response: dict[str, Any]


class StatementPage(Open):
    statement: dict[str, Any]


class IncidentImpact(BaseModel):
    incident_id: int
    impact: dict[str, Any]


# --- subscriptions and notices (netvigil.notify) ------------------------------------------------
class Subscription(BaseModel):
    """A subscription as its owner sees it: never the webhook's HMAC secret, only ``signed``."""

    id: int
    name: str | None
    entities: list[str]
    kinds: list[str]
    min_score: float | None
    channel: str
    target: str | None
    signed: bool
    language: str
    active: bool
    feed_url: str
    unsubscribe_url: str
    created_at: str | None


class SubscriptionList(BaseModel):
    subscriptions: list[Subscription]


class NoticeText(Open):
    heading: str
    what: str | None
    where: str
    since: str | None
    until: str | None


class Notice(Open):
    """A published incident's disruption notice, in English and Traditional Chinese."""

    incident: int
    url: str
    four_eyes: bool
    published_at: str | None
    sources: list[Any]
    legal_basis: list[dict[str, Any]]
    impact: dict[str, Any]
    languages: dict[str, NoticeText]
