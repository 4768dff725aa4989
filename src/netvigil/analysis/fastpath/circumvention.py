"""psiphon, openvpn, meek_fronted_requests_test, stunreachability: can a tunnel be set up?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netvigil.analysis.fastpath._judgement import Judgement, blocked, failed, obj, ok, rule
from netvigil.analysis.fastpath.exceptions import discarding


def psiphon(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    known = discarding("psiphon", m)
    if known is not None:
        return failed(known.exception_id)
    bootstrap_time = tk.get("bootstrap_time", 0)
    if tk.get("failure") is None:
        if bootstrap_time == 0:
            return failed("psiphon.no_bootstrap.v1")
        return ok("psiphon.ok.v1")
    # ours: failing before the tunnel was up (bootstrap) or while using it (tunnel)
    component = "bootstrap" if not bootstrap_time else "tunnel"
    return blocked("psiphon", component, "psiphon.failure.v1")


def openvpn(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    success = tk.get("success")
    if success is False:
        return blocked("openvpn", "handshake", "openvpn.failure.v1")
    if success is None:
        return failed("openvpn.no_result.v1")
    return ok("openvpn.ok.v1")


def meek_fronted_requests_test(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    requests = tk.get("requests") or ()
    if not isinstance(requests, list) or not requests:
        return failed("meek.no_requests.v1")
    score = 0.0
    for request in requests:
        response = obj(request).get("response", {})
        if response is None or obj(response).get("code", 0) != 200:
            return blocked("meek_fronted_requests_test", "front", "meek.response.blocked.v1")
        headers = obj(response).get("headers", {})
        if isinstance(headers, list):  # older reports list [name, [values]] pairs
            pairs = [h for h in headers if isinstance(h, list) and len(h) > 1 and h[1]]
            headers = {h[0]: h[1][0] for h in pairs}
        server = obj(headers).get("Server", "")
        if not (isinstance(server, str) and server.startswith("ECAcc ")):
            score += 0.5
    if score > 0.5:
        return blocked("meek_fronted_requests_test", "front", "meek.server.blocked.v1")
    return ok("meek.ok.v1")


def stunreachability(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    if tk.get("failure"):
        return blocked("stunreachability", "binding", "stunreachability.failure.v1")
    return ok("stunreachability.ok.v1")


RULES = (
    rule("psiphon.ok.v1", "no failure and a bootstrap_time: ok", "score_psiphon"),
    rule("psiphon.failure.v1", "failure set: anomaly; blocking bootstrap when there is no "
         "bootstrap_time, else tunnel (ours)", "score_psiphon"),
    rule("psiphon.no_bootstrap.v1", "no failure but bootstrap_time 0 or missing: failure",
         "score_psiphon"),
    rule("openvpn.failure.v1", "success false: anomaly, blocking handshake", "score_openvpn"),
    rule("openvpn.ok.v1", "success true: ok", "score_openvpn"),
    rule("openvpn.no_result.v1", "success missing or null: failure", "score_openvpn"),
    rule("meek.no_requests.v1", "no requests: failure", "score_meek_fronted_requests_test"),
    rule("meek.response.blocked.v1", "a request without a response or whose status is not "
         "200: anomaly, blocking front", "score_meek_fronted_requests_test"),
    rule("meek.server.blocked.v1", "0.5 per response whose Server header does not start with "
         "\"ECAcc \" > 0.5: anomaly", "score_meek_fronted_requests_test"),
    rule("meek.ok.v1", "every response 200 from the expected front: ok",
         "score_meek_fronted_requests_test"),
    rule("stunreachability.failure.v1", "failure set: anomaly, blocking binding (test_name "
         "stunreachability only: fastpath does not score the name stun_reachability)",
         "score_stunreachability"),
    rule("stunreachability.ok.v1", "no failure: ok", "score_stunreachability"),
)  # fmt: skip
