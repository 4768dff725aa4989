"""web_connectivity: is a URL blocked, and how? One URL -> OONI's Web Connectivity test_keys.

The measuring is :func:`netvigil.probe.fetch.fetch` plus the control request, started together as
soon as the depth-0 addresses are known; the verdict (``blocking``, ``accessible``,
``dns_consistency`` and the comparison fields) is computed by ``netvigil.analysis`` — one copy of
OONI's rules for the probe and the pipeline (``netvigil.probe.analysis``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import msgspec

from netvigil.probe.analysis import verdict_keys
from netvigil.probe.control import ask_helper, control_request
from netvigil.probe.fetch import fetch, split_target
from netvigil.probe.nettest import InputKind, Measured, Nettest, Session
from netvigil.probe.steps import Trace


async def measure(url: str | None, session: Session) -> Measured:
    """Measure ``url``: DNS, TCP, TLS and HTTP with redirects, and the control, at once."""
    assert url is not None  # InputKind.URLS: the runner always gives one
    trace = Trace()
    _, _, port, _, _ = split_target(url)
    addresses: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()

    async def control() -> tuple[dict[str, Any] | None, str | None]:
        addrs = await addresses
        request = control_request(url, addrs, port)
        return await ask_helper(session.client, session.helper_url, request)

    control_task = asyncio.create_task(control())
    try:
        result = await fetch(trace, session.network, url, on_addresses=addresses)
        control_body, control_failure = await control_task
    finally:
        control_task.cancel()
    test_keys: dict[str, Any] = {
        "agent": "redirect",
        "client_resolver": session.vantage.resolver_ip,
        "retries": None,
        "socksproxy": None,
        "network_events": msgspec.to_builtins(trace.network_events),
        "queries": msgspec.to_builtins(trace.queries),
        "tcp_connect": msgspec.to_builtins(trace.tcp_connect),
        "tls_handshakes": msgspec.to_builtins(trace.tls_handshakes),
        # OONI lists the last request first (requests[0] is the final redirect hop).
        "requests": msgspec.to_builtins(trace.requests[::-1]),
        "x_control_request": control_request(url, result.addresses, port),
        "control": control_body,
        "control_failure": control_failure,
        "dns_experiment_failure": result.dns_failure,
        "http_experiment_failure": result.failure,
    }
    test_keys.update(verdict_keys(test_keys, url))
    return Measured(test_keys, trace)


def cells(summary: Mapping[str, Any]) -> tuple[str, str, str]:
    """The summary table's row: blocking (with the control's failure), accessible, DNS."""
    blocking = "null" if summary["blocking"] is None else str(summary["blocking"])
    if summary["control_failure"]:
        blocking += f" (control: {summary['control_failure']})"
    accessible = summary["accessible"]
    return (
        blocking,
        "null" if accessible is None else str(accessible).lower(),
        str(summary["dns_consistency"] or "null"),
    )


NETTEST = Nettest(
    name="web_connectivity",
    version="0.5.28",  # the OONI Probe version whose data format we follow
    inputs=InputKind.URLS,
    measure=measure,
    summary_keys=("blocking", "accessible", "dns_consistency", "control_failure"),
    columns=("blocking", "accessible", "dns_consistency"),
    cells=cells,
    extensions={"dnst": 0, "httpt": 0, "netevents": 0, "tcpconnect": 0, "tlshandshake": 0},
    uses_helper=True,
)
