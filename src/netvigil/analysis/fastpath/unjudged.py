"""ndt, dash, dns_consistency, riseupvpn: tests OONI records but does not call anomalies.

OONI's fastpath has stubs for these (ndt, the legacy dns_consistency), turned scoring off
(riseupvpn since 2023-10-17) or only tells a finished measurement from a failed one (dash):
they are never an anomaly. We say so rather than guess: ``accessible`` stays null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netvigil.analysis.fastpath._judgement import Judgement, failed, ok, rule


def ndt(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    return ok("ndt.unscored.v1", accessible=None)


def dns_consistency(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    return ok("dns_consistency.unscored.v1", accessible=None)


def riseupvpn(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    return ok("riseupvpn.unscored.v1", accessible=None)


def dash(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    if not tk:
        return failed("dash.empty.v1")
    if tk.get("failure") is not None:
        return failed("dash.failure.v1")  # a network error is no evidence of blocking here
    return ok("dash.ok.v1", accessible=None)


RULES = (
    rule("ndt.unscored.v1", "every measurement: ok (fastpath's score_ndt is a stub), "
         "accessible null", "score_ndt"),
    rule("dns_consistency.unscored.v1", "the legacy dns_consistency test: ok (not scored), "
         "accessible null", "score_dns_consistency"),
    rule("riseupvpn.unscored.v1", "every measurement: ok, accessible null (OONI turned its "
         "scoring off on 2023-10-17, ooni/backend#745)", "score_riseupvpn"),
    rule("dash.ok.v1", "no failure: ok, accessible null", "score_dash"),
    rule("dash.failure.v1", "failure set (any): failure", "score_dash"),
    rule("dash.empty.v1", "test_keys empty: failure", "score_dash"),
)  # fmt: skip
