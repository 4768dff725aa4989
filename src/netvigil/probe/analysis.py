"""The probe's verdict fields, from the one copy of OONI's rules in ``netvigil.analysis``.

The probe does not carry rules of its own: ``analyze_web_connectivity`` (OONI's classic analysis,
checked against OONI's verdicts on its QA scenarios) computes the comparison fields
(body_proportion > 0.7, status/headers/title match) and blocking/accessible/dns_consistency, and
the probe writes them into ``test_keys`` where OONI Probe writes them.
"""

from __future__ import annotations

from typing import Any

from netvigil.analysis.webconnectivity import analyze_web_connectivity


def verdict_keys(test_keys: dict[str, Any], url: str) -> dict[str, Any]:
    """OONI's comparison and verdict fields for ``test_keys`` (null when undecidable)."""
    a = analyze_web_connectivity(test_keys, input_url=url)
    keys: dict[str, Any] = {
        # OONI Probe writes 0 (not null) when there was nothing to compare.
        "body_proportion": a.body_proportion if a.body_proportion is not None else 0,
        "body_length_match": a.body_length_match,
        "headers_match": a.headers_match,
        "status_code_match": a.status_code_match,
        "title_match": a.title_match,
        "dns_consistency": a.dns_consistency,
        "blocking": a.blocking,
        "accessible": a.accessible,
        # netvigil's finer detail and the deciding rule: added fields, OONI's are unchanged.
        "x_blocking_detail": a.blocking_detail,
        "x_rule_id": a.rule_id,
    }
    failure = test_keys.get("http_experiment_failure")
    if failure is not None and failure == test_keys.get("dns_experiment_failure"):
        # After a failed depth-0 lookup OONI's http_experiment_failure is the analysis's
        # deciding failure: the DNS failure for NXDOMAIN, but null when the name exists without
        # addresses and the control agrees (websiteDownNoAddrs).
        keys["http_experiment_failure"] = a.http_experiment_failure
    return keys
