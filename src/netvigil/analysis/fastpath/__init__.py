"""The verdicts of every test OONI's fastpath scores, besides web_connectivity.

``JUDGES[test_name](measurement, test_keys)`` gives a :class:`Judgement` with OONI's meaning
(ok / anomaly / failure, from ooni/backend ``fastpath/fastpath/core.py``'s ``score_*``
functions) and netvigil's finer component where the test has one. A test fastpath does not
score (dnscheck, urlgetter, the spec's ``stun_reachability`` spelling...) has no judge: OONI
calls those a failure, and so does ``verdict_of`` (``any.unknown_test.v1``).

``RULES`` lists every rule with its source; ``EXCEPTIONS`` (``exceptions.py``) the probe
versions and flags OONI discards or ignores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from netvigil.analysis.fastpath import circumvention, http_tests, messaging, tor, unjudged
from netvigil.analysis.fastpath._judgement import Judgement
from netvigil.analysis.fastpath.exceptions import EXCEPTION_RULES, EXCEPTIONS, KnownException
from netvigil.analysis.rules import Rule

Judge = Callable[[Mapping[str, Any], Mapping[str, Any]], Judgement]

JUDGES: dict[str, Judge] = {
    "telegram": messaging.telegram,
    "whatsapp": messaging.whatsapp,
    "signal": messaging.signal,
    "facebook_messenger": messaging.facebook_messenger,
    "tor": tor.tor,
    "vanilla_tor": tor.vanilla_tor,
    "torsf": tor.torsf,
    "psiphon": circumvention.psiphon,
    "openvpn": circumvention.openvpn,
    "meek_fronted_requests_test": circumvention.meek_fronted_requests_test,
    "stunreachability": circumvention.stunreachability,
    "http_header_field_manipulation": http_tests.http_header_field_manipulation,
    "http_invalid_request_line": http_tests.http_invalid_request_line,
    "http_requests": http_tests.http_requests,
    "tcp_connect": http_tests.tcp_connect,
    "browser_web": http_tests.browser_web,
    "ndt": unjudged.ndt,
    "dash": unjudged.dash,
    "dns_consistency": unjudged.dns_consistency,
    "riseupvpn": unjudged.riseupvpn,
}

RULES: tuple[Rule, ...] = (
    *messaging.RULES,
    *tor.RULES,
    *circumvention.RULES,
    *http_tests.RULES,
    *unjudged.RULES,
    *EXCEPTION_RULES,
)

__all__ = ["EXCEPTIONS", "JUDGES", "RULES", "Judge", "Judgement", "KnownException"]
