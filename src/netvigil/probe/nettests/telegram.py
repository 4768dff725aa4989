"""telegram: can Telegram's data centres and its web client be reached? (OONI ts-020).

As probe-cli's experiment (test version 0.3.x): a POST over plain HTTP to every data centre on
every port of the catalogue's ``http`` component (80 and 443: the data centres speak HTTP, not
TLS, on 443), and an HTTPS GET of the web client (``web`` component). The summary keys follow
probe-cli, result by result as they complete: ``telegram_tcp_blocking`` and
``telegram_http_blocking`` start true; a data-centre request that succeeds clears both, one that
fails after its connect succeeded clears the TCP one; ``telegram_web_status`` is ``blocked``
(with ``telegram_web_failure``) when the web request failed at any step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from netvigil.probe.app_control import control_keys, records
from netvigil.probe.nettest import InputKind, Measured, Nettest, Session
from netvigil.probe.steps import Trace
from netvigil.probe.targets import CONNECT, Outcome, http_target


async def measure(_: str | None, session: Session) -> Measured:
    assert session.apps is not None
    apps, net = session.apps, session.network
    service = apps.service("telegram")
    trace = Trace()
    web = [e.url for e in service.endpoints if e.component == "web" and e.url]
    dcs = [e.url for e in service.endpoints if e.component == "http" and e.url]
    keys: dict[str, Any] = {
        "agent": "redirect",
        "failed_operation": None,
        "failure": None,
        "telegram_http_blocking": True,
        "telegram_tcp_blocking": True,
        "telegram_web_failure": None,
        "telegram_web_status": "ok",
    }

    async def web_one(url: str) -> None:
        got = await http_target(trace, net, url, asn_of=apps.asn_of)
        if got.failure is not None:
            keys["telegram_web_status"] = "blocked"
            keys["telegram_web_failure"] = got.failure

    async def dc_one(url: str) -> None:
        got: Outcome = await http_target(trace, net, url, method="POST", asn_of=apps.asn_of)
        if got.failure is None:
            keys["telegram_http_blocking"] = keys["telegram_tcp_blocking"] = False
        elif got.failed_operation != CONNECT:
            keys["telegram_tcp_blocking"] = False

    await asyncio.gather(*(web_one(u) for u in web if u), *(dc_one(u) for u in dcs if u))
    blocked = (
        keys["telegram_tcp_blocking"]
        or keys["telegram_http_blocking"]
        or keys["telegram_web_status"] == "blocked"
    )
    control = await control_keys(session, web[0] if web else dcs[0], trace, blocked)
    return Measured({**keys, **records(trace), **control}, trace)


def cells(summary: Mapping[str, Any]) -> tuple[str, ...]:
    def flag(v: Any) -> str:
        return "null" if v is None else ("blocked" if v else "ok")

    return (
        flag(summary.get("telegram_tcp_blocking")),
        flag(summary.get("telegram_http_blocking")),
        str(summary.get("telegram_web_status") or "null")
        + (f" ({summary['telegram_web_failure']})" if summary.get("telegram_web_failure") else ""),
        _down(summary),
    )


def _down(summary: Mapping[str, Any]) -> str:
    down = summary.get("x_platform_down")
    return "down everywhere" if down else ("blocked here" if down is False else "")


NETTEST = Nettest(
    name="telegram",
    version="0.3.1",  # probe-cli's telegram, whose keys and records we follow
    inputs=InputKind.NONE,
    measure=measure,
    summary_keys=(
        "telegram_tcp_blocking",
        "telegram_http_blocking",
        "telegram_web_status",
        "telegram_web_failure",
        "x_platform_down",
    ),
    columns=("data centres (TCP)", "data centres (HTTP)", "web", "platform"),
    cells=cells,
    extensions={"dnst": 0, "httpt": 0, "netevents": 0, "tcpconnect": 0, "tlshandshake": 0},
    uses_helper=True,
)
