"""telegram, whatsapp, signal, facebook_messenger: OONI fastpath's scoring, finer detail ours.

OONI's fastpath does not trust the probes' summary flags for telegram and whatsapp (some probe
versions set them wrongly) and recomputes from the recorded endpoints and requests; we do the
same. A measurement without those events (netvigil's hand-written fixtures, summary-only data)
is judged from its summary keys by ``netvigil.analysis.services``, which fastpath would call an
anomaly (telegram: 0.5 + 0.5 for no evidence) or a failure (whatsapp): docs/outcomes.md lists it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from netvigil.analysis import services
from netvigil.analysis.app_keys import platform_down
from netvigil.analysis.fastpath._judgement import (
    Judgement,
    blocked,
    failed,
    has_unknown_failure,
    obj,
    objects,
    ok,
    rule,
    tcp_counts,
)
from netvigil.analysis.fastpath.exceptions import BY_ID, discarding
from netvigil.analysis.rules import Rule
from netvigil.models.catalogue import Catalogue, Service, load_catalogue

_WA_WEB_FLAG = BY_ID["ooni.whatsapp.web_false_positive.v1"]
_FB_DNS_FLAG = BY_ID["ooni.facebook_messenger.dns_flag_workaround.v1"]


def _service(test: str, catalogue: Catalogue | None) -> Service:
    found = (catalogue or load_catalogue()).by_nettest(test)
    return found if found is not None else _default(test)


def _default(test: str) -> Service:
    found = load_catalogue().by_nettest(test)
    assert found is not None  # the shipped catalogue has every messaging test
    return found


def _web_hosts(service: Service, component: str) -> frozenset[str]:
    return frozenset(e.host.lower() for e in service.endpoints if e.component == component)


def _urls(service: Service, component: str) -> frozenset[str]:
    return frozenset(e.url for e in service.endpoints if e.component == component and e.url)


def _platform_down(test: str, tk: Mapping[str, Any], service: Service) -> Judgement | None:
    """netvigil's own rule before OONI's: the control helper could not reach the app either,
    so the app is down everywhere, not blocked here (``x_control``, docs/outcomes.md)."""
    if platform_down(tk.get("x_control")):
        return Judgement(
            blocking=False, accessible=False, rule_id=f"{service.rule_prefix}.platform_down.v1"
        )
    return None


def telegram(
    m: Mapping[str, Any], tk: Mapping[str, Any], catalogue: Catalogue | None = None
) -> Judgement:
    """Failed share of TCP endpoints + failed share of data-centre requests (0.5 each when
    there are none) + 1 when web.telegram.org is blocked; an anomaly above 0.5."""
    service = _service("telegram", catalogue)
    down = _platform_down("telegram", tk, service)
    if down is not None:
        return down
    web_hosts = _web_hosts(service, "web")
    reached, unreachable = tcp_counts(tk)
    http_ok = http_failed = 0
    for request in objects(tk.get("requests")):
        url = obj(request.get("request")).get("url")
        if not isinstance(url, str):
            return failed("telegram.malformed_request.v1")
        if (urlsplit(url).hostname or "").lower() in web_hosts:
            continue  # web.telegram.org counts through telegram_web_status
        if request.get("failure") is None:
            http_ok += 1
        else:
            http_failed += 1
    if reached + unreachable == 0 and http_ok + http_failed == 0:
        return _summary(services.ANALYZERS["telegram"](tk))
    shares: list[tuple[str, float]] = []
    if reached + unreachable:
        shares.append(("tcp", unreachable / (reached + unreachable)))
    if http_ok + http_failed:
        shares.append(("http", http_failed / (http_ok + http_failed)))
    web_blocked = tk.get("telegram_web_status") == "blocked"
    score = sum(s for _, s in shares) + 0.5 * (2 - len(shares)) + (1.0 if web_blocked else 0.0)
    if score <= 0.5:
        return ok("telegram.share.ok.v1")
    worst = max(shares, key=lambda part: part[1], default=("web", 0.0))
    component = worst[0] if worst[1] > 0.5 or not web_blocked else "web"
    return blocked("telegram", component, "telegram.share.blocked.v1")


def whatsapp(
    m: Mapping[str, Any], tk: Mapping[str, Any], catalogue: Catalogue | None = None
) -> Judgement:
    """Web app and registration requests must succeed, and one endpoint be reachable."""
    service = _service("whatsapp", catalogue)
    down = _platform_down("whatsapp", tk, service)
    if down is not None:
        return down
    web_urls, registration_urls = _urls(service, "web"), _urls(service, "registration")
    if "requests" not in tk:
        return _whatsapp_summary(m, tk)
    web_failure = tk.get("whatsapp_web_failure")
    if has_unknown_failure(tk) or (
        isinstance(web_failure, str) and "unknown_failure 'ascii' co" in web_failure
    ):
        return failed("whatsapp.unknown_failure.v1")
    requests = objects(tk.get("requests"))
    if not requests:
        return failed("whatsapp.no_requests.v1")
    web_ok: bool | None = None
    registration_ok: bool | None = None
    for request in requests:
        url = obj(request.get("request")).get("url", "")
        if url in web_urls:
            web_ok = request.get("failure", True) in (None, "", False)
        elif url in registration_urls:
            registration_ok = request.get("failure") is None
    if web_ok is None or registration_ok is None:
        return failed("whatsapp.missing_request.v1")
    if not web_ok:
        return blocked("whatsapp", "web", "whatsapp.requests.blocked.v1")
    if not registration_ok:
        return blocked("whatsapp", "registration", "whatsapp.requests.blocked.v1")
    reached, unreachable = tcp_counts(tk)
    if reached + unreachable == 0:
        return failed("whatsapp.no_endpoints.v1")
    if reached == 0:
        return blocked("whatsapp", "endpoints", "whatsapp.endpoints.none_reachable.v1")
    if tk.get("whatsapp_web_status") == "blocked" and _WA_WEB_FLAG.applies(m):
        return ok(_WA_WEB_FLAG.exception_id)  # the probe's flag said blocked; it is not read
    return ok("whatsapp.events.ok.v1")


def _whatsapp_summary(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    if tk.get("whatsapp_web_status") == "blocked" and _WA_WEB_FLAG.applies(m):
        judged = _summary(services.ANALYZERS["whatsapp"]({**tk, "whatsapp_web_status": "ok"}))
        return judged if judged.blocking else ok(_WA_WEB_FLAG.exception_id)
    return _summary(services.ANALYZERS["whatsapp"](tk))


def signal(
    m: Mapping[str, Any], tk: Mapping[str, Any], catalogue: Catalogue | None = None
) -> Judgement:
    """OONI's known broken versions first, then the probe's own failure, then the backend."""
    down = _platform_down("signal", tk, _service("signal", catalogue))
    if down is not None:
        return down
    try:
        known = discarding("signal", m)
    except ValueError:
        return failed("signal.unreadable_envelope.v1")
    if known is not None:
        return failed(known.exception_id)
    # a missing key counts as failed, as fastpath reads it (every real signal measurement has both)
    if tk.get("failed_operation", True) or tk.get("failure", True):
        return failed("signal.probe_failure.v1")
    return _summary(services.ANALYZERS["signal"](tk))


_FB_ALL_GOOD = (
    "facebook_b_api_dns_consistent", "facebook_b_api_reachable", "facebook_b_graph_dns_consistent",
    "facebook_b_graph_reachable", "facebook_dns_blocking", "facebook_edge_dns_consistent",
    "facebook_edge_reachable", "facebook_star_dns_consistent", "facebook_star_reachable",
    "facebook_stun_dns_consistent",
)  # fmt: skip
_FB_ENDPOINTS = (
    "b_api", "b_graph", "edge", "external_cdn", "scontent_cdn", "star",
)  # fmt: skip


def facebook_messenger(
    m: Mapping[str, Any], tk: Mapping[str, Any], catalogue: Catalogue | None = None
) -> Judgement:
    """0.5 per endpoint key that is false (DNS-inconsistent, unreachable) and per blocking flag
    that is true; an anomaly above 0.5. Never a failure (fastpath has no failure rule here)."""
    down = _platform_down("facebook_messenger", tk, _service("facebook_messenger", catalogue))
    if down is not None:
        return down
    if all(tk.get(k) is True for k in _FB_ALL_GOOD) and tk.get("facebook_tcp_blocking") is False:
        # every endpoint fine but the DNS flag set: the probe bug fastpath works around
        return Judgement(
            blocking=False, accessible=True, rule_id=_FB_DNS_FLAG.exception_id,
            dns_consistency="consistent",
        )  # fmt: skip
    dns_bad = [tk.get(f"facebook_{e}_dns_consistent") is False for e in (*_FB_ENDPOINTS, "stun")]
    tcp_bad = [tk.get(f"facebook_{e}_reachable") is False for e in _FB_ENDPOINTS]
    dns_flag, tcp_flag = tk.get("facebook_dns_blocking"), tk.get("facebook_tcp_blocking")
    score = 0.5 * (sum(dns_bad) + sum(tcp_bad) + (dns_flag is True) + (tcp_flag is True))
    consistency = None
    if isinstance(dns_flag, bool):
        consistency = "inconsistent" if dns_flag else "consistent"
    if score <= 0.5:
        return Judgement(blocking=False, accessible=True, rule_id="facebook.score.ok.v1",
                         dns_consistency=consistency)  # fmt: skip
    component = "dns" if dns_flag is True or any(dns_bad) else "tcp"
    return Judgement(
        blocking=component, accessible=False, rule_id="facebook.score.blocked.v1",
        blocking_type=f"facebook_{component}", dns_consistency=consistency,
    )  # fmt: skip


def _summary(sa: services.ServiceAnalysis) -> Judgement:
    return Judgement(
        blocking=sa.blocking,
        accessible=sa.accessible,
        rule_id=sa.rule_id,
        blocking_type=sa.blocking_type,
        dns_consistency=sa.dns_consistency,
    )


PLATFORM_DOWN = ("telegram", "whatsapp", "signal", "facebook")
RULES = (
    *(
        Rule(
            f"{prefix}.platform_down.v1",
            "x_control (netvigil's probe asked its test helper after seeing a failure): the "
            "helper could neither fetch the app's URL nor reach any endpoint the probe could "
            "not: the platform is down everywhere, not blocked here: ok, accessible false "
            "(checked before OONI's rules)",
            "netvigil (no OONI rule: OONI's app tests have no control)",
        )
        for prefix in PLATFORM_DOWN
    ),
    rule("telegram.share.blocked.v1", "failed share of tcp_connect endpoints + failed share of "
         "data-centre requests (0.5 each when there are none) + 1 if telegram_web_status is "
         "\"blocked\" > 0.5 (the probe's telegram_*_blocking flags are not read): anomaly; "
         "blocking: tcp or http when over half of them failed, else web",
         "score_measurement_telegram"),
    rule("telegram.share.ok.v1", "the same score <= 0.5: ok", "score_measurement_telegram"),
    rule("telegram.malformed_request.v1", "a request without request.url: failure",
         "score_measurement_telegram"),
    rule("whatsapp.requests.blocked.v1", "the request to https://web.whatsapp.com/ (blocking "
         "web) or https://v.whatsapp.net/v2/register (registration) failed (the probe's "
         "*_status flags are not read, ooni/probe-engine#341): anomaly",
         "score_measurement_whatsapp"),
    rule("whatsapp.endpoints.none_reachable.v1", "both requests succeeded but no tcp_connect "
         "endpoint was reachable: anomaly, blocking endpoints", "score_measurement_whatsapp"),
    rule("whatsapp.events.ok.v1", "both requests succeeded and an endpoint was reachable: ok",
         "score_measurement_whatsapp"),
    rule("whatsapp.no_requests.v1", "requests empty or null: failure",
         "score_measurement_whatsapp"),
    rule("whatsapp.missing_request.v1", "no request to the web app or to the registration "
         "server: failure", "score_measurement_whatsapp"),
    rule("whatsapp.no_endpoints.v1", "no tcp_connect result: failure",
         "score_measurement_whatsapp"),
    rule("whatsapp.unknown_failure.v1", "a *_failure key starts with unknown_failure: failure",
         "score_measurement_whatsapp, _detect_unknown_failure"),
    rule("signal.probe_failure.v1", "failed_operation or failure set (or missing): failure",
         "score_signal"),
    rule("signal.unreadable_envelope.v1", "test_version, annotations.engine_version or "
         "measurement_start_time unreadable: failure", "score_signal"),
    rule("facebook.score.blocked.v1", "0.5 per *_dns_consistent or *_reachable key that is "
         "false and per facebook_dns_blocking / facebook_tcp_blocking that is true > 0.5: "
         "anomaly; blocking dns when a DNS key says so, else tcp",
         "score_measurement_facebook_messenger"),
    rule("facebook.score.ok.v1", "the same score <= 0.5: ok",
         "score_measurement_facebook_messenger"),
)  # fmt: skip
