"""Verdicts of the instant-messaging and circumvention tests, from their own summary test keys.

Each test's probe already reduces its endpoints to a few documented keys (ooni/spec ts-018
whatsapp, ts-019 facebook_messenger, ts-020 telegram, ts-023 tor, ts-029 signal); OONI's
fastpath scores a measurement from those keys, and so do we. A key that is missing or of the
wrong type makes the measurement a ``failure`` (we cannot tell ok from blocked), never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from netvigil.analysis.rules import Rule


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


def telegram(tk: Mapping[str, Any]) -> ServiceAnalysis:
    return _decide(
        "telegram",
        [
            ("tcp", _flag(tk, "telegram_tcp_blocking")),
            ("http", _flag(tk, "telegram_http_blocking")),
            ("web", _status_blocked(tk, "telegram_web_status")),
        ],
    )


def whatsapp(tk: Mapping[str, Any]) -> ServiceAnalysis:
    return _decide(
        "whatsapp",
        [
            ("endpoints", _status_blocked(tk, "whatsapp_endpoints_status")),
            ("web", _status_blocked(tk, "whatsapp_web_status")),
            ("registration", _status_blocked(tk, "registration_server_status")),
        ],
    )


def signal(tk: Mapping[str, Any]) -> ServiceAnalysis:
    return _decide("signal", [("backend", _status_blocked(tk, "signal_backend_status"))])


def facebook_messenger(tk: Mapping[str, Any]) -> ServiceAnalysis:
    return _decide(
        "facebook",
        [
            ("dns", _flag(tk, "facebook_dns_blocking")),
            ("tcp", _flag(tk, "facebook_tcp_blocking")),
        ],
        dns_part="dns",
    )


_TOR_KINDS = ("or_port_dirauth", "dir_port", "obfs4", "or_port")


def tor(tk: Mapping[str, Any]) -> ServiceAnalysis:
    """A kind of target is blocked when there were some and none was reachable."""
    parts: list[tuple[str, bool | None]] = []
    for kind in _TOR_KINDS:
        total, reached = tk.get(f"{kind}_total"), tk.get(f"{kind}_accessible")
        if not isinstance(total, int) or not isinstance(reached, int):
            parts.append((kind, None))
        elif total > 0:
            parts.append((kind, reached <= 0))
    return _decide("tor", parts)


ANALYZERS: dict[str, Callable[[Mapping[str, Any]], ServiceAnalysis]] = {
    "telegram": telegram,
    "whatsapp": whatsapp,
    "signal": signal,
    "facebook_messenger": facebook_messenger,
    "tor": tor,
}

_COMPONENTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "telegram": (
        "ts-020-telegram.md",
        [
            ("tcp", "telegram_tcp_blocking is true (no data-centre endpoint reachable over TCP)"),
            ("http", "telegram_http_blocking is true (no data-centre endpoint answered HTTP)"),
            ("web", 'telegram_web_status is "blocked" (web.telegram.org unreachable)'),
        ],
    ),
    "whatsapp": (
        "ts-018-whatsapp.md",
        [
            ("endpoints", 'whatsapp_endpoints_status is "blocked"'),
            ("web", 'whatsapp_web_status is "blocked"'),
            ("registration", 'registration_server_status is "blocked"'),
        ],
    ),
    "signal": ("ts-029-signal.md", [("backend", 'signal_backend_status is "blocked"')]),
    "facebook": (
        "ts-019-facebook-messenger.md",
        [
            ("dns", "facebook_dns_blocking is true (an endpoint resolved outside Facebook's AS)"),
            ("tcp", "facebook_tcp_blocking is true (an endpoint unreachable over TCP)"),
        ],
    ),
    "tor": (
        "ts-023-tor.md",
        [
            (kind, f"{kind}_total > 0 and {kind}_accessible == 0 (no such target reachable)")
            for kind in _TOR_KINDS
        ],
    ),
}


def _service_rules() -> tuple[Rule, ...]:
    out: list[Rule] = []
    for test, (spec, parts) in _COMPONENTS.items():
        source = _SPEC.format(spec)
        for name, condition in parts:
            out.append(Rule(f"{test}.{name}.blocked.v1", f"{condition}: outcome=anomaly", source))
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


SERVICE_RULES: tuple[Rule, ...] = _service_rules()
