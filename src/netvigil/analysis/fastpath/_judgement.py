"""What a test's rules decide, and the small readers every test's rules share.

A :class:`Judgement` carries OONI's three-way meaning in ``blocking``: ``False`` (ok), a string
naming what was blocked (anomaly) or ``None`` (failure: the measurement cannot tell), plus the
rule that decided. ``blocking_type`` is netvigil's finer bucket, ``<test>_<component>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from netvigil.analysis.rules import Rule

# Where the rules of the tests other than web_connectivity come from: OONI's fastpath scoring
# (ooni/backend fastpath/fastpath/core.py), whose flags ../shared/data/ooni/nettest_examples
# records at commit 32d8349dc544.
FASTPATH = "ooni/backend fastpath/fastpath/core.py {}"
EMPTY: Mapping[str, Any] = {}


class Judgement(msgspec.Struct, frozen=True, kw_only=True):
    blocking: bool | str | None
    accessible: bool | None
    rule_id: str
    blocking_type: str | None = None
    dns_consistency: str | None = None


def ok(rule_id: str, *, accessible: bool | None = True) -> Judgement:
    return Judgement(blocking=False, accessible=accessible, rule_id=rule_id)


def blocked(test: str, component: str, rule_id: str) -> Judgement:
    return Judgement(
        blocking=component, accessible=False, rule_id=rule_id, blocking_type=f"{test}_{component}"
    )


def failed(rule_id: str) -> Judgement:
    return Judgement(blocking=None, accessible=None, rule_id=rule_id)


def rule(rule_id: str, condition: str, function: str) -> Rule:
    """A rule that follows one of OONI's fastpath scoring functions."""
    return Rule(rule_id, condition, FASTPATH.format(function))


def obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else EMPTY


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a list (anything else: none), as fastpath iterates its events."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def tcp_counts(tk: Mapping[str, Any]) -> tuple[int, int]:
    """(reached, unreachable) TCP endpoints of ``tcp_connect`` (``status.success`` true/false;
    anything else is unknown and not counted), as fastpath's ``_extract_tcp_connect``."""
    reached = unreachable = 0
    for entry in objects(tk.get("tcp_connect")):
        success = obj(entry.get("status")).get("success")
        if success is True:
            reached += 1
        elif success is False:
            unreachable += 1
    return reached, unreachable


def has_unknown_failure(tk: Mapping[str, Any], keys: Sequence[str] | None = None) -> bool:
    """A ``*_failure`` key starting with ``unknown_failure``: the probe met an error it could
    not classify, which fastpath takes as a failed measurement (``_detect_unknown_failure``)."""
    names = keys if keys is not None else [k for k in tk if k.endswith("_failure")]
    for name in names:
        value = tk.get(name)
        if isinstance(value, str) and value.startswith("unknown_failure"):
            return True
    return False
