"""facebook_messenger: do Messenger's hosts resolve inside Facebook's network and answer TCP?

As probe-cli's experiment (OONI ts-019, test version 0.2.x): a DNS lookup of every host of the
catalogue's ``dns`` component that is not also a TCP endpoint (``stun.fbsbx.com``) and a lookup
plus TCP connect to every ``tcp`` endpoint, all at once. Per host (OONI's key names come from the
catalogue's ``keys``): ``facebook_<key>_dns_consistent`` is false when the lookup failed or an
answer's ASN is not one of the service's ``asns`` (Facebook's AS32934), and then the connect is
not judged (``facebook_<key>_reachable`` null); else ``_reachable`` says whether the connect
worked. ``facebook_dns_blocking`` / ``facebook_tcp_blocking`` are true when any host was
inconsistent / unreachable.

Answers' ASNs come from the probe's IP table (``probe.ip_table``), as OONI's probe takes them
from its own ASN database. Without one the probe cannot tell, and writes null for every DNS key
(the analysis then judges TCP only) instead of calling every answer inconsistent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from netvigil.probe.app_control import control_keys, records
from netvigil.probe.nettest import InputKind, Measured, Nettest, Session
from netvigil.probe.nettests.telegram import _down
from netvigil.probe.steps import Trace
from netvigil.probe.targets import CONNECT, RESOLVE, Outcome, dns_target, tcp_target


async def measure(_: str | None, session: Session) -> Measured:
    assert session.apps is not None
    apps, net = session.apps, session.network
    service = apps.service("facebook_messenger")
    expected = set(service.asns)
    trace = Trace()
    tcp = [e for e in service.endpoints if e.component == "tcp" and e.port and e.key]
    tcp_hosts = {e.host for e in tcp}
    dns_only = [e for e in service.endpoints if e.protocol == "dns" and e.host not in tcp_hosts]
    keys: dict[str, Any] = {"agent": "redirect", "failed_operation": None, "failure": None}
    for e in [*tcp, *dns_only]:
        keys[f"facebook_{e.key}_dns_consistent"] = None
        keys[f"facebook_{e.key}_reachable"] = None
    dns_blocking: bool | None = False if apps.asn_of is not None else None
    tcp_blocking = False

    def judge(key: str, got: Outcome, connects: bool) -> None:
        nonlocal dns_blocking, tcp_blocking
        consistent: bool | None
        if got.failed_operation == RESOLVE:
            consistent = False
        elif apps.asn_of is None:
            consistent = None
        else:
            consistent = all(apps.asn_of(ip) in expected for ip in got.addresses)
        keys[f"facebook_{key}_dns_consistent"] = consistent
        if consistent is False:
            dns_blocking = True
            return  # the DNS lied or failed: the connect says nothing about Facebook
        if connects:
            reachable = got.failed_operation != CONNECT
            keys[f"facebook_{key}_reachable"] = reachable
            tcp_blocking = tcp_blocking or not reachable

    async def connect_one(host: str, port: int, key: str) -> None:
        judge(key, await tcp_target(trace, net, host, port, apps.asn_of), True)

    async def lookup_one(host: str, key: str) -> None:
        judge(key, await dns_target(trace, net, host, apps.asn_of), False)

    await asyncio.gather(
        *(connect_one(e.host, e.port, e.key) for e in tcp if e.port and e.key),
        *(lookup_one(e.host, e.key) for e in dns_only if e.key),
    )
    keys["facebook_dns_blocking"] = dns_blocking
    keys["facebook_tcp_blocking"] = tcp_blocking
    url = f"https://{tcp[0].host}/"
    control = await control_keys(session, url, trace, bool(dns_blocking or tcp_blocking))
    return Measured({**keys, **records(trace), **control}, trace)


def cells(summary: Mapping[str, Any]) -> tuple[str, ...]:
    def flag(v: Any) -> str:
        return "null" if v is None else ("blocked" if v else "ok")

    return (
        flag(summary.get("facebook_dns_blocking")),
        flag(summary.get("facebook_tcp_blocking")),
        _down(summary),
    )


NETTEST = Nettest(
    name="facebook_messenger",
    version="0.2.1",  # probe-cli's facebook_messenger, whose keys and records we follow
    inputs=InputKind.NONE,
    measure=measure,
    summary_keys=("facebook_dns_blocking", "facebook_tcp_blocking", "x_platform_down"),
    columns=("DNS", "TCP", "platform"),
    cells=cells,
    extensions={"dnst": 0, "httpt": 0, "netevents": 0, "tcpconnect": 0, "tlshandshake": 0},
    uses_helper=True,
)
