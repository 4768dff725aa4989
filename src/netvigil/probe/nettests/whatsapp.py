"""whatsapp: can WhatsApp's endpoints, registration service and web client be reached? (ts-018)

As probe-cli's experiment (test version 0.11.x): a TCP connect to every endpoint host of the
catalogue's ``endpoints`` component on each of its ports (``e1..e16.whatsapp.net`` on 443 and
5222), an HTTPS GET of the registration service and one of the web client, all at once.
``whatsapp_endpoints_status`` is ``ok`` as soon as one endpoint connect succeeds; a host is in
``whatsapp_endpoints_blocked`` only when it failed on every port (both 443 and 5222);
``registration_server_status`` / ``whatsapp_web_status`` are ``blocked`` with the failure when
their request failed at any step. ``whatsapp_endpoints_dns_inconsistent`` stays empty, as in
probe-cli since 0.9.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from typing import Any

from netvigil.probe.app_control import control_keys, records
from netvigil.probe.nettest import InputKind, Measured, Nettest, Session
from netvigil.probe.nettests.telegram import _down
from netvigil.probe.steps import Trace
from netvigil.probe.targets import http_target, tcp_target


async def measure(_: str | None, session: Session) -> Measured:
    assert session.apps is not None
    apps, net = session.apps, session.network
    service = apps.service("whatsapp")
    trace = Trace()
    endpoints = [e for e in service.endpoints if e.component == "endpoints" and e.port]
    ports = Counter(e.host for e in endpoints)  # a host is blocked when all its ports failed
    web = next(e.url for e in service.endpoints if e.component == "web" and e.url)
    registration = next(e.url for e in service.endpoints if e.component == "registration" and e.url)
    failed: Counter[str] = Counter()
    keys: dict[str, Any] = {
        "agent": "redirect",
        "failed_operation": None,
        "failure": None,
        "registration_server_failure": "unknown_failure",
        "registration_server_status": "blocked",
        "whatsapp_endpoints_blocked": [],
        "whatsapp_endpoints_dns_inconsistent": [],
        "whatsapp_endpoints_status": "blocked",
        "whatsapp_web_failure": "unknown_failure",
        "whatsapp_web_status": "blocked",
    }

    async def endpoint(host: str, port: int) -> None:
        got = await tcp_target(trace, net, host, port, apps.asn_of)
        if got.failure is None:
            keys["whatsapp_endpoints_status"] = "ok"
            return
        failed[host] += 1
        if failed[host] == ports[host]:
            keys["whatsapp_endpoints_blocked"].append(host)

    async def fetch(url: str, status: str, failure: str) -> None:
        got = await http_target(trace, net, url, asn_of=apps.asn_of)
        keys[failure] = got.failure
        keys[status] = "ok" if got.failure is None else "blocked"

    await asyncio.gather(
        *(endpoint(e.host, e.port) for e in endpoints if e.port),
        fetch(registration, "registration_server_status", "registration_server_failure"),
        fetch(web, "whatsapp_web_status", "whatsapp_web_failure"),
    )
    blocked = any(
        keys[k] == "blocked"
        for k in ("whatsapp_endpoints_status", "registration_server_status", "whatsapp_web_status")
    )
    control = await control_keys(session, web, trace, blocked)
    return Measured({**keys, **records(trace), **control}, trace)


def cells(summary: Mapping[str, Any]) -> tuple[str, ...]:
    def status(key: str, failure: str | None = None) -> str:
        text = str(summary.get(key) or "null")
        return text + (f" ({summary[failure]})" if failure and summary.get(failure) else "")

    return (
        status("whatsapp_endpoints_status"),
        status("registration_server_status", "registration_server_failure"),
        status("whatsapp_web_status", "whatsapp_web_failure"),
        _down(summary),
    )


NETTEST = Nettest(
    name="whatsapp",
    version="0.11.0",  # probe-cli's whatsapp, whose keys and records we follow
    inputs=InputKind.NONE,
    measure=measure,
    summary_keys=(
        "whatsapp_endpoints_status",
        "registration_server_status",
        "registration_server_failure",
        "whatsapp_web_status",
        "whatsapp_web_failure",
        "x_platform_down",
    ),
    columns=("endpoints", "registration", "web", "platform"),
    cells=cells,
    extensions={"dnst": 0, "httpt": 0, "netevents": 0, "tcpconnect": 0, "tlshandshake": 0},
    uses_helper=True,
)
