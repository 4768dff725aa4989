"""raw measurement -> observations -> verdict: pure transforms with versioned rules.

Public names (everything else in this package is an implementation detail):

- ``measurement_uid(m)``: deterministic id from the measurement's content.
- ``observations_of(m)``: one ``Observation`` per DNS answer / TCP / TLS / HTTP step;
  ``ObservationColumns``: the same rows of many measurements as one Arrow table (ingest).
- ``verdict_of(m, fingerprints=..., uid=...)``: the ``Verdict`` (never raises on odd data).
- ``analyze_web_connectivity(test_keys)``: OONI's blocking/accessible/dns_consistency plus our
  ``blocking_detail``; the probe calls it too, so probe and pipeline share one set of rules.
- ``Fingerprints``: OONI's blockpage fingerprints, ``Fingerprints.load(dir_or_url)``.
- ``is_bogon(ip)``: whether an address can never be a public server's (the helper uses it too).
- ``RULES_VERSION`` and ``RULES`` (every rule id with its condition and source), including
  OONI's known exceptions (``fastpath.EXCEPTIONS``).
"""

from __future__ import annotations

from netvigil.analysis import fastpath, legacy_python
from netvigil.analysis._uid import measurement_uid
from netvigil.analysis._webobs import is_bogon
from netvigil.analysis.fingerprints import Fingerprint, Fingerprints
from netvigil.analysis.observations import ObservationColumns, observation_rows, observations_of
from netvigil.analysis.rules import BASE_RULES, RULES_VERSION, Rule
from netvigil.analysis.services import SERVICE_RULES
from netvigil.analysis.verdict import verdict_of
from netvigil.analysis.webconnectivity import WebConnectivityAnalysis, analyze_web_connectivity

# services.py's summary-key rules still decide telegram and whatsapp measurements without
# events, and signal's backend status; facebook_messenger and tor follow fastpath's rules.
_SUMMARY_RULES = tuple(
    r for r in SERVICE_RULES if r.rule_id.split(".")[0] in ("telegram", "whatsapp", "signal")
)
RULES: tuple[Rule, ...] = (
    *BASE_RULES,
    *legacy_python.RULES,
    *_SUMMARY_RULES,
    *fastpath.RULES,
)

__all__ = [
    "RULES",
    "RULES_VERSION",
    "Fingerprint",
    "Fingerprints",
    "ObservationColumns",
    "Rule",
    "WebConnectivityAnalysis",
    "analyze_web_connectivity",
    "is_bogon",
    "measurement_uid",
    "observation_rows",
    "observations_of",
    "verdict_of",
]
