"""The web_connectivity nettest: one URL -> one OONI measurement (envelope + test_keys).

The measuring is :func:`netvigil.probe.fetch.fetch` plus the control request, started together as
soon as the depth-0 addresses are known; the verdict (``blocking``, ``accessible``,
``dns_consistency`` and the comparison fields) is computed by ``netvigil.analysis`` — one copy of
OONI's rules for the probe and the pipeline.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec

from netvigil import __version__
from netvigil.probe.analysis import verdict_keys
from netvigil.probe.control import ask_helper, control_request
from netvigil.probe.fetch import Network, fetch, split_target
from netvigil.probe.steps import Trace

TEST_NAME = "web_connectivity"
TEST_VERSION = "0.5.28"  # the OONI Probe version whose data format we follow
REDACTED_IP = "127.0.0.1"  # OONI's value for probe_ip: the real address is never recorded
SCRUBBED = "[scrubbed]"  # OONI's replacement for the probe's address inside recorded data


@dataclass(frozen=True)
class VantagePoint:
    """What a run says about where it measures from (never the probe's address)."""

    probe_cc: str = "ZZ"
    probe_asn: str = "AS0"
    probe_network_name: str = ""
    resolver_ip: str = ""
    resolver_asn: str = "AS0"
    resolver_network_name: str = ""
    # Addresses of this probe to scrub from everything recorded (the public one when known).
    private_addresses: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RunContext:
    """Constants of one probe run, shared by all its measurements."""

    vantage: VantagePoint
    network: Network
    helper_url: str
    client: httpx.AsyncClient
    annotations: dict[str, str]
    report_id: str
    test_start_time: str


def ooni_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def new_report_id(vantage: VantagePoint, now: float) -> str:
    """OONI's report id shape: ``<UTC time>_webconnectivity_<cc>_<asn>_n1_<random>``."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    asn = vantage.probe_asn.removeprefix("AS")
    return f"{stamp}_webconnectivity_{vantage.probe_cc}_{asn}_n1_{secrets.token_hex(8)}"


async def measure(url: str, run: RunContext) -> dict[str, Any]:
    """Measure ``url`` and return the OONI measurement (as plain JSON values)."""
    started_wall, started = time.time(), time.monotonic()
    trace = Trace()
    _, _, port, _, _ = split_target(url)
    addresses: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()

    async def control() -> tuple[dict[str, Any] | None, str | None]:
        addrs = await addresses
        return await ask_helper(run.client, run.helper_url, control_request(url, addrs, port))

    control_task = asyncio.create_task(control())
    try:
        result = await fetch(trace, run.network, url, on_addresses=addresses)
        control_body, control_failure = await control_task
    finally:
        control_task.cancel()
    test_keys: dict[str, Any] = {
        "agent": "redirect",
        "client_resolver": run.vantage.resolver_ip,
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
    measurement = envelope(url, run, started_wall, time.monotonic() - started, test_keys)
    # The probe's own addresses: what its sockets were bound to, plus its public address when
    # known. An address the probe connected *to* is a server's, public in DNS, and stays.
    targets = {t.ip for t in trace.tcp_connect}
    own = (run.vantage.private_addresses | trace.own_addresses) - targets - {REDACTED_IP}
    scrubbed: dict[str, Any] = scrub(measurement, own)
    return scrubbed


def envelope(
    url: str, run: RunContext, started: float, runtime: float, test_keys: dict[str, Any]
) -> dict[str, Any]:
    v = run.vantage
    return {
        "annotations": {"platform": "linux", "engine_name": "netvigil", **run.annotations},
        "data_format_version": "0.2.0",
        "extensions": {"dnst": 0, "httpt": 0, "netevents": 0, "tcpconnect": 0, "tlshandshake": 0},
        "input": url,
        "measurement_start_time": ooni_time(started),
        "probe_asn": v.probe_asn,
        "probe_cc": v.probe_cc,
        "probe_ip": REDACTED_IP,
        "probe_network_name": v.probe_network_name,
        "report_id": run.report_id,
        "resolver_asn": v.resolver_asn,
        "resolver_ip": v.resolver_ip,
        "resolver_network_name": v.resolver_network_name,
        "software_name": "netvigil",
        "software_version": __version__,
        "test_helpers": {"backend": {"address": run.helper_url, "type": _helper_type(run)}},
        "test_name": TEST_NAME,
        "test_runtime": round(runtime, 6),
        "test_start_time": run.test_start_time,
        "test_version": TEST_VERSION,
        "test_keys": test_keys,
    }


def _helper_type(run: RunContext) -> str:
    return "https" if run.helper_url.startswith("https") else "http"


def scrub(value: Any, addresses: frozenset[str] | set[str]) -> Any:
    """Replace every one of ``addresses``, wherever it appears, by ``[scrubbed]``.

    Servers echo the client's address (in bodies, headers, redirect URLs); OONI scrubs the
    probe's IP from the whole measurement and so do we, in keys and values alike.
    """
    targets = sorted((a for a in addresses if a), key=len, reverse=True)
    if not targets:
        return value
    pattern = re.compile(
        r"(?<![0-9A-Za-z.:])(?:" + "|".join(re.escape(a) for a in targets) + r")(?![0-9A-Za-z])"
    )
    return _walk(value, pattern)


def _walk(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(SCRUBBED, value)
    if isinstance(value, dict):
        return {_walk(k, pattern): _walk(v, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, pattern) for v in value]
    return value
