"""Is an app blocked here, or down everywhere? The app tests' question to the control helper.

OONI's app tests have no control: an app whose servers are down for everyone reads as blocked.
When a netvigil app test finds something blocked, it asks the test helper (the same protocol as
web_connectivity's control, from an unfiltered network) to fetch the app's main URL and connect
to every endpoint the probe could not reach. If the helper fails too, the platform is down, not
blocked here. Netvigil's additions to OONI's test keys (``x_`` keys, which OONI's tools ignore):

- ``x_control_request`` / ``x_control`` / ``x_control_failure``: what was asked and answered;
- ``x_platform_down``: true when the helper could not fetch the URL nor reach any of those
  endpoints either; false when it could; null when it was not asked or did not answer.
"""

from __future__ import annotations

from typing import Any

import msgspec

from netvigil.analysis.app_keys import platform_down
from netvigil.probe.control import ask_helper, control_request
from netvigil.probe.nettest import Session
from netvigil.probe.steps import Trace

MAX_ENDPOINTS = 32  # the helper's limit per request


def failed_endpoints(trace: Trace) -> list[str]:
    """``ip:port`` of every failed TCP connect of the measurement, once each."""
    seen: dict[str, None] = {}
    for entry in trace.tcp_connect:
        if not entry.status.success:
            host = f"[{entry.ip}]" if ":" in entry.ip else entry.ip
            seen[f"{host}:{entry.port}"] = None
    return list(seen)[:MAX_ENDPOINTS]


async def control_keys(session: Session, url: str, trace: Trace, blocked: bool) -> dict[str, Any]:
    """The ``x_control*`` and ``x_platform_down`` keys (the helper is asked only if ``blocked``)."""
    keys: dict[str, Any] = {
        "x_control_request": None,
        "x_control": None,
        "x_control_failure": None,
        "x_platform_down": None,
    }
    if not blocked:
        return keys
    request = control_request(url, [], 0)
    request["tcp_connect"] = failed_endpoints(trace)
    control, failure = await ask_helper(session.client, session.helper_url, request)
    keys.update(
        x_control_request=request,
        x_control=control,
        x_control_failure=failure,
        x_platform_down=platform_down(control),
    )
    return keys


def records(trace: Trace) -> dict[str, Any]:
    """The five record lists of OONI's test keys, in the order the steps finished."""
    return {
        "network_events": msgspec.to_builtins(trace.network_events),
        "queries": msgspec.to_builtins(trace.queries),
        "requests": msgspec.to_builtins(trace.requests),
        "tcp_connect": msgspec.to_builtins(trace.tcp_connect),
        "tls_handshakes": msgspec.to_builtins(trace.tls_handshakes),
    }
