"""http_header_field_manipulation, http_invalid_request_line, http_requests, tcp_connect,
browser_web: middleboxes that rewrite what the probe sends, and plain reachability checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from netvigil.analysis.fastpath._judgement import Judgement, blocked, failed, obj, ok, rule
from netvigil.analysis.fastpath.exceptions import BY_ID

_TAMPERING_FLAG = BY_ID["ooni.http_invalid_request_line.tampering_flag.v1"]
_HHFM = "http_header_field_manipulation"


def http_header_field_manipulation(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    """The helper echoes the headers it received: any difference from what was sent (but the
    ``Connection: close`` it may add or drop) is a middlebox rewriting them."""
    requests = tk.get("requests")
    if not isinstance(requests, list) or not requests or not isinstance(requests[0], dict):
        return failed("hhfm.no_request.v1")
    response = requests[0].get("response", {})
    if not isinstance(response, dict):
        return failed("hhfm.no_request.v1")
    body = response.get("body")
    if body is None:
        return blocked(_HHFM, "response", "hhfm.no_body.v1")  # the middlebox ate the answer
    try:
        echoed = orjson.loads(body)["headers_dict"]
    except (orjson.JSONDecodeError, TypeError, KeyError, IndexError):
        return blocked(_HHFM, "headers", "hhfm.malformed_echo.v1")
    try:  # where fastpath raises (and stores nothing), we call it a failure
        received = {(name, values[0]) for name, values in echoed.items()}
        sent = set(obj(obj(requests[0].get("request")).get("headers")).items())
    except (TypeError, KeyError, IndexError, AttributeError):
        return failed("hhfm.unreadable.v1")
    received.discard(("Connection", "close"))
    sent.discard(("Connection", "close"))
    if received == sent:
        return ok("hhfm.same_headers.v1")
    return blocked(_HHFM, "headers", "hhfm.headers_changed.v1")


def http_invalid_request_line(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    sent, received = tk.get("sent") or [], tk.get("received") or []
    if not isinstance(sent, list) or not isinstance(received, list) or not (sent or received):
        return failed("hirl.nothing_sent.v1")
    if any(s != r for s, r in zip(sent, received, strict=False)):
        return blocked("http_invalid_request_line", "request_line", "hirl.changed.v1")
    if tk.get("tampering") is True:
        return ok(_TAMPERING_FLAG.exception_id)  # the flag says tampering; the lines match
    return ok("hirl.same.v1")


def http_requests(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    """The legacy test: the page over the probe's network against the page over Tor."""
    # fastpath reads these two at the envelope's level, where they never are (kept as it does)
    if m.get("control_failure") or m.get("experiment_failure"):
        return failed("http_requests.incomplete.v1")
    length_match, headers_match = tk.get("body_length_match"), tk.get("headers_match")
    if length_match is None or headers_match is None:
        return failed("http_requests.incomplete.v1")
    if not (length_match and headers_match):
        return blocked("http_requests", "page", "http_requests.diff.v1")
    return ok("http_requests.match.v1")


def tcp_connect(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    if not m.get("input"):
        return failed("tcp_connect.no_input.v1")
    if tk.get("connection") == "success":
        return ok("tcp_connect.ok.v1")
    return blocked("tcp_connect", "connect", "tcp_connect.failure.v1")


def browser_web(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    result = tk.get("result")
    if result == "ok":
        return ok("browser_web.ok.v1")
    if result == "error":
        return blocked("browser_web", "load", "browser_web.error.v1")
    return failed("browser_web.no_result.v1")


_HIRL = "score_http_invalid_request_line"
RULES = (
    rule("hhfm.headers_changed.v1", "the headers the helper echoes (headers_dict, first "
         "value) differ from those sent, Connection: close aside: anomaly, blocking headers",
         "score_measurement_hhfm"),
    rule("hhfm.same_headers.v1", "the helper echoes the headers sent: ok",
         "score_measurement_hhfm"),
    rule("hhfm.no_body.v1", "a response without body: anomaly (total tampering), blocking "
         "response", "score_measurement_hhfm"),
    rule("hhfm.malformed_echo.v1", "a body that is not the helper's JSON echo: anomaly, "
         "blocking headers", "score_measurement_hhfm"),
    rule("hhfm.unreadable.v1", "an echo or sent headers that cannot be compared (not name -> "
         "values, unhashable values): failure", "score_measurement_hhfm"),
    rule("hhfm.no_request.v1", "no request or no response object: failure",
         "score_measurement_hhfm"),
    rule("hirl.changed.v1", "a request line received differs from the one sent: anomaly, "
         "blocking request_line", _HIRL),
    rule("hirl.same.v1", "every request line came back unchanged: ok", _HIRL),
    rule("hirl.nothing_sent.v1", "sent and received both empty: failure", _HIRL),
    rule("http_requests.diff.v1", "body_length_match or headers_match false: anomaly, "
         "blocking page (fingerprints on the non-Tor responses can confirm)",
         "score_http_requests"),
    rule("http_requests.match.v1", "body_length_match and headers_match true: ok",
         "score_http_requests"),
    rule("http_requests.incomplete.v1", "body_length_match or headers_match null: failure",
         "score_http_requests"),
    rule("tcp_connect.ok.v1", "connection is \"success\": ok", "score_tcp_connect"),
    rule("tcp_connect.failure.v1", "any other connection result: anomaly, blocking connect",
         "score_tcp_connect"),
    rule("tcp_connect.no_input.v1", "no input (the endpoint): failure", "score_tcp_connect"),
    rule("browser_web.ok.v1", "result \"ok\": ok", "score_browser_web"),
    rule("browser_web.error.v1", "result \"error\": anomaly, blocking load",
         "score_browser_web"),
    rule("browser_web.no_result.v1", "any other result: failure", "score_browser_web"),
)  # fmt: skip
