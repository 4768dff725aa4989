"""Running many URLs at once: a bounded pool of measurers, a cap per host, one spool.

Concurrency is asyncio (no process per URL): ``concurrency`` workers pull URLs from a queue and a
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from netvigil._errors import ConfigError
from netvigil._settings import ProbeSettings
from netvigil.probe.control import helper_client
from netvigil.probe.fetch import Network, split_target
from netvigil.probe.inputs import Target
from netvigil.probe.spool import Spool
from netvigil.probe.webconnectivity import (
    RunContext,
    VantagePoint,
    measure,
    new_report_id,
    ooni_time,
)


@dataclass(frozen=True)
class Outcome:
    """One line of the run's summary table."""

    url: str
    blocking: Any
    accessible: Any
    dns_consistency: Any
    control_failure: str | None
    error: str | None = None  # a netvigil bug while measuring (the URL has no measurement)


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
    )


async def run_probe(
    targets: list[Target],
    probe: ProbeSettings,
    vantage: VantagePoint,
    spool: Spool,
    annotations: dict[str, str],
    concurrency: int,
    on_done: Callable[[Outcome], None] = lambda _: None,
) -> list[Outcome]:
    """Measure every target, appending each measurement to ``spool`` as it completes."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=max(8, concurrency)))
    network = probe_network(probe)
    now = time.time()
    queue: asyncio.Queue[Target] = asyncio.Queue()
    for target in targets:
        queue.put_nowait(target)
    per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(probe.per_host)
    )
    outcomes: list[Outcome] = []
    async with helper_client(network.tls, probe.control_timeout, concurrency) as client:
        run = RunContext(
            vantage=vantage,
            network=network,
            helper_url=probe.helper_url,
            client=client,
            annotations=annotations,
            report_id=new_report_id(vantage, now),
            test_start_time=ooni_time(now),
        )

        async def worker() -> None:
            while not queue.empty():
                target = queue.get_nowait()
                async with per_host[split_target(target.url)[1]]:
                    outcome = await _measure_one(target, run, spool)
                outcomes.append(outcome)
                on_done(outcome)

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(targets)) or 1)))
    return outcomes


async def _measure_one(target: Target, run: RunContext, spool: Spool) -> Outcome:
    annotations = dict(run.annotations)
    if target.category_code:
        annotations["category_code"] = target.category_code
    try:
        m = await measure(target.url, _with_annotations(run, annotations))
    except Exception as exc:  # a bug must not cost the rest of the run its measurements
        return Outcome(target.url, None, None, None, None, error=f"{type(exc).__name__}: {exc}")
    await spool.append(m)
    tk = m["test_keys"]
    return Outcome(
        target.url, tk["blocking"], tk["accessible"], tk["dns_consistency"], tk["control_failure"]
    )


def _with_annotations(run: RunContext, annotations: dict[str, str]) -> RunContext:
    if annotations == run.annotations:
        return run
    return replace(run, annotations=annotations)
