"""Verdicts of the instant-messaging and circumvention tests, from their own summary test keys.

Each test's probe already reduces its endpoints to a few documented keys (ooni/spec ts-018
whatsapp, ts-019 facebook_messenger, ts-020 telegram, ts-023 tor, ts-029 signal); OONI's
fastpath scores a measurement from those keys, and so do we. Which keys, and how each is read,
is data: the components of each service in the catalogue (``netvigil.models.catalogue``). A key
that is missing or of the wrong type makes the measurement a ``failure`` (we cannot tell ok from
blocked), never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import msgspec

from netvigil.analysis.rules import Rule
from netvigil.models.catalogue import Catalogue, Service, load_catalogue


class ServiceAnalysis(msgspec.Struct, frozen=True, kw_only=True):
    blocking: bool | str | None  # False, the first blocked component, or None (failure)
    accessible: bool | None
    dns_consistency: str | None
    rule_id: str
    blocking_type: str | None  # e.g. "telegram_tcp"; None when not blocked


_SPEC = "ooni/spec nettests/{}; OONI fastpath scoring"


def _status_blocked(tk: Mapping[str, Any], key: str) -> bool | None:
    """``"ok"``/``"blocked"`` status keys: True/False, None when missing or unknown."""
    value = tk.get(key)
    return {"blocked": True, "ok": False}.get(value) if isinstance(value, str) else None


def _flag(tk: Mapping[str, Any], key: str) -> bool | None:
    value = tk.get(key)
    return value if isinstance(value, bool) else None


def _decide(
    test: str, parts: list[tuple[str, bool | None]], dns_part: str | None = None
) -> ServiceAnalysis:
    """Blocked if any component is blocked; failure if a component is unknown; else ok."""
    consistency = None
    for name, blocked in parts:
        if name == dns_part and blocked is not None:
            consistency = "inconsistent" if blocked else "consistent"
    for name, blocked in parts:
        if blocked:
            return ServiceAnalysis(
                blocking=name,
                accessible=False,
                dns_consistency=consistency,
                rule_id=f"{test}.{name}.blocked.v1",
                blocking_type=f"{test}_{name}",
            )
    if any(blocked is None for _, blocked in parts):
        return ServiceAnalysis(
            blocking=None,
            accessible=None,
            dns_consistency=consistency,
            rule_id=f"{test}.incomplete.v1",
            blocking_type=None,
        )
    return ServiceAnalysis(
        blocking=False,
        accessible=True,
        dns_consistency=consistency,
        rule_id=f"{test}.ok.v1",
        blocking_type=None,
    )


def _counts_blocked(tk: Mapping[str, Any], key: str) -> bool | _NotTried | None:
    """``<key>_total`` / ``<key>_accessible``: blocked when some were tried and none reached."""
    total, reached = tk.get(f"{key}_total"), tk.get(f"{key}_accessible")
    if not isinstance(total, int) or not isinstance(reached, int):
        return None
    return reached <= 0 if total > 0 else NOT_TRIED


class _NotTried:
    """A component with no target in this measurement: neither evidence nor a failure."""


NOT_TRIED = _NotTried()
_READERS: dict[str, Callable[[Mapping[str, Any], str], bool | _NotTried | None]] = {
    "flag": _flag,
    "status": _status_blocked,
    "counts": _counts_blocked,
}


def analyze_service(service: Service, tk: Mapping[str, Any]) -> ServiceAnalysis:
    """The verdict of one measurement of ``service``'s test, from its components' summary keys."""
    parts: list[tuple[str, bool | None]] = []
    for c in service.components:
        blocked = _READERS[c.reads](tk, c.key)
        if not isinstance(blocked, _NotTried):
            parts.append((c.name, blocked))
    return _decide(service.rule_prefix, parts, service.dns_component)


def _analyzers(catalogue: Catalogue) -> dict[str, Callable[[Mapping[str, Any]], ServiceAnalysis]]:
    return {s.nettest: partial(analyze_service, s) for s in catalogue.measured() if s.nettest}


# test_name -> its analysis, for the services of the catalogue shipped with netvigil (whose
# components are the rules: changing them is a rule change, under RULES_VERSION).
ANALYZERS = _analyzers(load_catalogue())


def service_rules(catalogue: Catalogue) -> tuple[Rule, ...]:
    out: list[Rule] = []
    for service in catalogue.measured():
        test = service.rule_prefix
        source = _SPEC.format(service.spec)
        for c in service.components:
            condition = f"{c.condition}: outcome=anomaly"
            out.append(Rule(f"{test}.{c.name}.blocked.v1", condition, source))
        out.append(Rule(f"{test}.ok.v1", "every component reachable: outcome=ok", source))
        out.append(
            Rule(
                f"{test}.incomplete.v1",
                "a summary key is missing or of the wrong type and nothing is blocked: "
                "outcome=failure",
                source,
            )
        )
    return tuple(out)


SERVICE_RULES: tuple[Rule, ...] = service_rules(load_catalogue())
