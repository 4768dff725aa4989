"""tor: can Tor's directory authorities and bridges of the target list be reached? (OONI ts-023)

Per target of the list (``probe.tor_targets`` / ``--tor-targets``, OONI's format), by its
protocol: ``dir_port`` a GET of ``/tor/status-vote/current/consensus.z`` over HTTP; ``or_port``
and ``or_port_dirauth`` a connect and a TLS handshake (Tor's certificates are self-signed: not
verified, as OONI's probe); ``obfs4`` a connect and the obfs4 handshake (through Debian's
``obfs4proxy``, ``netvigil.probe.obfs4``); anything else a TCP connect. Each target's records go
under ``targets[<id>]`` with its ``failure``, its ``summary`` (``connect`` / ``handshake``
failures) and its address, name and protocol; the test keys count, per protocol, the targets
(``<protocol>_total``) and those reached (``<protocol>_accessible``). A private bridge's address
(``"source": "bridgedb"``) is replaced by ``[scrubbed]`` everywhere, as OONI's probe does.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any

from netvigil.probe.app_control import records
from netvigil.probe.envelope import scrub
from netvigil.probe.nettest import InputKind, Measured, Nettest, Session
from netvigil.probe.steps import Trace, endpoint
from netvigil.probe.targets import CONNECT, Outcome, http_target, tcp_target, tls_target
from netvigil.probe.tor_targets import PROTOCOLS, TorTarget

CONSENSUS = "/tor/status-vote/current/consensus.z"
CONCURRENCY = 8  # targets measured at once (OONI measures them one after another)


def _no_verify() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _measure_target(target: TorTarget, session: Session) -> tuple[dict[str, Any], Trace]:
    net, trace = session.network, Trace()
    host, port = target.host_port
    handshake = True
    if target.protocol == "dir_port":
        url = f"http://{endpoint(host, port)}{CONSENSUS}"
        got: Outcome = await http_target(trace, net, url)
    elif target.protocol in ("or_port", "or_port_dirauth"):
        got = await tls_target(trace, net, host, port, _no_verify(), None)
    elif target.protocol == "obfs4":
        from netvigil.probe.obfs4 import obfs4_target

        got = await obfs4_target(trace, net, target)
    else:
        got = await tcp_target(trace, net, host, port, None)
        handshake = False
    connect_failure = got.failure if got.failed_operation in (CONNECT, "resolve") else None
    summary: dict[str, Any] = {"connect": {"failure": connect_failure}}
    if handshake and connect_failure is None:
        summary["handshake"] = {"failure": got.failure}
    result: dict[str, Any] = {
        "agent": "redirect",
        "failure": got.failure,
        **{k: v or None for k, v in records(trace).items()},
        "summary": summary,
        "target_address": target.address,
        "target_name": target.name or None,
        "target_protocol": target.protocol,
    }
    if target.private:
        secret = {host, target.address, endpoint(host, port)}
        result = scrub(result, secret)
    return result, trace


async def measure(_: str | None, session: Session) -> Measured:
    assert session.apps is not None
    targets = session.apps.tor_targets
    gate = asyncio.Semaphore(CONCURRENCY)
    trace = Trace()

    async def one(target: TorTarget) -> tuple[dict[str, Any], Trace]:
        async with gate:
            return await _measure_target(target, session)

    done = await asyncio.gather(*(one(t) for t in targets))
    keys: dict[str, Any] = {}
    for protocol in PROTOCOLS:
        mine = [r for t, (r, _) in zip(targets, done, strict=True) if t.protocol == protocol]
        keys[f"{protocol}_total"] = len(mine)
        keys[f"{protocol}_accessible"] = sum(1 for r in mine if r["failure"] is None)
    keys["targets"] = {t.id: r for t, (r, _) in zip(targets, done, strict=True)}
    for _result, sub in done:  # the probe's own addresses, for the envelope to scrub
        trace.own_addresses |= sub.own_addresses
        trace.tcp_connect += sub.tcp_connect
    return Measured(keys, trace)


def cells(summary: Mapping[str, Any]) -> tuple[str, ...]:
    def count(protocol: str) -> str:
        total, reached = summary.get(f"{protocol}_total"), summary.get(f"{protocol}_accessible")
        return "-" if not total else f"{reached}/{total}"

    return tuple(count(p) for p in ("or_port_dirauth", "dir_port", "obfs4", "or_port"))


NETTEST = Nettest(
    name="tor",
    version="0.3.0",  # the target format and keys of probe-cli's tor (ts-023, 2020-01-30)
    inputs=InputKind.NONE,
    measure=measure,
    summary_keys=tuple(f"{p}_{k}" for p in PROTOCOLS for k in ("total", "accessible")),
    columns=("directory authorities (OR)", "directory ports", "obfs4 bridges", "OR bridges"),
    cells=cells,
    extensions={"dnst": 0, "httpt": 0, "netevents": 0, "tcpconnect": 0, "tlshandshake": 0},
)
