"""Running nettests: each one's inputs by a bounded pool of measurers, a cap per host, one spool.

The nettests of a run go one after another (as OONI Probe runs a group), each with its own report
(id, start time). A nettest that takes inputs is measured once per input; one that takes none, once.
Concurrency is asyncio (no process per URL): ``concurrency`` workers pull inputs from a queue and a
per-host semaphore keeps at most ``per_host`` measurements on one host at a time, so a long list
of one site does not hammer it. getaddrinfo runs in a thread pool sized to the concurrency,
because the loop's default pool (min(32, cpus+4)) would serialise DNS on small machines.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netvigil._errors import ConfigError
from netvigil._settings import ProbeSettings
from netvigil.probe.apps import AppContext
from netvigil.probe.control import helper_client
from netvigil.probe.destinations import DestinationPolicy, parse_networks
from netvigil.probe.envelope import Report, measurement
from netvigil.probe.fetch import Network, split_target
from netvigil.probe.inputs import Target
from netvigil.probe.nettest import InputKind, Nettest, Session, VantagePoint
from netvigil.probe.spool import Spool
from netvigil.probe.steps import split_endpoint


@dataclass(frozen=True)
class Outcome:
    """One measurement's line in the run's summary: its nettest's summary fields."""

    nettest: Nettest
    input: str | None  # None for a nettest without input
    summary: dict[str, Any]  # nettest.summary_keys -> values (all None after an error)
    error: str | None = None  # a netvigil bug while measuring (the input has no measurement)


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """System CAs plus ``ca_bundle`` (the lab's CA); HTTP/1.1 only, since we speak h11."""
    context = ssl.create_default_context()
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"CA bundle {ca_bundle}: cannot load it: {exc}") from exc
    context.set_alpn_protocols(["http/1.1"])
    return context


def resolver_address(text: str) -> tuple[str, int]:
    """``IP[:PORT]`` or ``[v6]:PORT`` -> (ip, port); ConfigError when malformed."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    try:
        return str(ipaddress.ip_address(host)), int(port or 53)
    except ValueError as exc:
        raise ConfigError(f"resolver {text!r}: expected IP:PORT such as 8.8.8.8:53") from exc


def probe_network(probe: ProbeSettings) -> Network:
    return Network(
        tls=tls_context(probe.ca_bundle),
        udp_resolver=resolver_address(probe.resolver) if probe.resolver else None,
        use_system_resolver=True,
        dns_timeout=probe.dns_timeout,
        tcp_timeout=probe.tcp_timeout,
        tls_timeout=probe.tls_timeout,
        http_timeout=probe.http_timeout,
        max_body=probe.max_body_bytes,
        connect_loopback=probe.connect_loopback,
        destinations=DestinationPolicy(
            allow=parse_networks(probe.allow_destinations, "probe.allow_destinations"),
            loopback=probe.connect_loopback,
            internal=probe.connect_internal,
        ),
    )


def planned(nettests: Sequence[Nettest], targets: Sequence[Target]) -> int:
    """How many measurements a run makes: one per input, or one for a test without input."""
    return sum(1 if t.inputs is InputKind.NONE else len(targets) for t in nettests)


async def run_probe(
    nettests: Sequence[Nettest],
    targets: Sequence[Target],
    probe: ProbeSettings,
    vantage: VantagePoint,
    spool: Spool,
    annotations: dict[str, str],
    concurrency: int,
    on_done: Callable[[Outcome], None] = lambda _: None,
    apps: AppContext | None = None,
    report_ids: Mapping[str, str] | None = None,
) -> list[Outcome]:
    """Run every nettest on ``targets`` (or once, without input), appending to ``spool``.

    ``report_ids``: a collector's report id per test name (check-in), else the probe's own.
    ``apps``: what the messaging and Tor tests read (``netvigil.probe.apps.load_apps``, loaded
    by the caller before anything is measured); ``report_ids``: a collector's report id per test
    name (check-in), else the probe's own."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=max(8, concurrency)))
    network = probe_network(probe)
    outcomes: list[Outcome] = []
    async with helper_client(network.tls, probe.control_timeout, concurrency) as client:
        session = Session(vantage, network, probe.helper_url, client, apps)
        for test in nettests:
            issued = (report_ids or {}).get(test.name)
            report = Report.open(
                test, vantage, probe.helper_url, annotations, time.time(), report_id=issued
            )
            inputs: list[Target | None] = [None] if test.inputs is InputKind.NONE else list(targets)
            outcomes += await _run_report(
                report, inputs, session, spool, probe.per_host, concurrency, on_done
            )
    return outcomes


async def _run_report(
    report: Report,
    inputs: list[Target | None],
    session: Session,
    spool: Spool,
    per_host_cap: int,
    concurrency: int,
    on_done: Callable[[Outcome], None],
) -> list[Outcome]:
    queue: asyncio.Queue[Target | None] = asyncio.Queue()
    for target in inputs:
        queue.put_nowait(target)
    per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(per_host_cap)
    )
    outcomes: list[Outcome] = []

    async def worker() -> None:
        while not queue.empty():
            target = queue.get_nowait()
            async with per_host[_host(report.nettest.inputs, target)]:
                outcome = await _measure_one(report, target, session, spool)
            outcomes.append(outcome)
            on_done(outcome)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(inputs)) or 1)))
    return outcomes


def _host(kind: InputKind, target: Target | None) -> str:
    """The host an input measures, for the per-host cap ('' for a test without input)."""
    if target is None:
        return ""
    if kind is InputKind.ENDPOINTS:
        return split_endpoint(target.url)[0]
    return split_target(target.url)[1]


async def _measure_one(
    report: Report, target: Target | None, session: Session, spool: Spool
) -> Outcome:
    test = report.nettest
    input_ = None if target is None else target.url
    annotations = dict(report.annotations)
    if target is not None and target.category_code:
        annotations["category_code"] = target.category_code
    try:
        started_wall, started = time.time(), time.monotonic()
        measured = await test.measure(input_, session)
        runtime = time.monotonic() - started
        m = measurement(report, input_, annotations, started_wall, runtime, measured)
    except Exception as exc:  # a bug must not cost the rest of the run its measurements
        return Outcome(test, input_, test.summary({}), error=f"{type(exc).__name__}: {exc}")
    await spool.append(m)
    return Outcome(test, input_, test.summary(m["test_keys"]))
