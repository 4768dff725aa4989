"""The verdict tier: one record per measurement, what the rules decided about it.

The fields printed by ``netvigil verdict`` (``to_json_dict``) are exactly the ones issue 3 names;
``domain`` and ``blocking_type`` are extra columns kept for aggregation (OONI's API groups by
domain and by a blocking-type bucket). Vocabulary: ``docs/outcomes.md``; rule ids:
``docs/rules.md``.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Outcome = Literal["ok", "anomaly", "confirmed", "failure"]

# `blocking` as OONI's web_connectivity reports it: False, one of these strings, or None (unknown).
Blocking = bool | str | None

JSON_FIELDS: tuple[str, ...] = (
    "measurement_uid",
    "input",
    "test_name",
    "probe_cc",
    "probe_asn",
    "measurement_start_time",
    "blocking",
    "accessible",
    "dns_consistency",
    "outcome",
    "blocking_detail",
    "fingerprint",
    "rule_id",
    "rules_version",
)


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """What happened in one measurement, and which versioned rule decided it.

    ``blocking``/``accessible``/``dns_consistency`` follow OONI's web_connectivity meaning (for
    other tests: ``blocking`` is the bucket string or False, ``accessible`` whether the service
    worked, ``dns_consistency`` None). ``outcome`` is one of OONI's non-overlapping buckets.
    """

    measurement_uid: str
    input: str | None
    test_name: str
    probe_cc: str
    probe_asn: str
    measurement_start_time: str
    blocking: Blocking
    accessible: bool | None
    dns_consistency: str | None
    outcome: Outcome
    blocking_detail: str | None
    fingerprint: str | None
    rule_id: str
    rules_version: str
    domain: str | None = None
    blocking_type: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The issue's fields, in the issue's order (what ``netvigil verdict`` prints)."""
        return {name: getattr(self, name) for name in JSON_FIELDS}
