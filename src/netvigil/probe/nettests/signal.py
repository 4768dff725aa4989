"""signal: can Signal's service hosts be reached over TLS with Signal's own CAs? (OONI ts-029)

As probe-cli's experiment (test version 0.2.x): an HTTPS GET of every host of the catalogue's
``backend`` https endpoints, verifying against the system CAs plus Signal's pinned CAs (the
``signal_ca`` setting replaces Signal's, as probe-cli's ``SignalCA`` option does for its tests;
the lab gives its own CA there), and the DNS lookup of ``uptime.signal.org`` that OONI performs
and ignores. ``signal_backend_status`` is ``blocked`` as soon as one request fails, with that
request's failure as ``signal_backend_failure`` (the last to fail, in the order they finished).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from netvigil.probe.app_control import control_keys, records
from netvigil.probe.nettest import InputKind, Measured, Nettest, Session
from netvigil.probe.nettests.telegram import _down
from netvigil.probe.steps import Trace
from netvigil.probe.targets import dns_target, http_target


async def measure(_: str | None, session: Session) -> Measured:
    assert session.apps is not None and session.apps.signal_tls is not None
    apps, net = session.apps, session.network
    service = apps.service("signal")
    trace = Trace()
    urls = [e.url for e in service.endpoints if e.protocol == "https" and e.url]
    lookups = [e.host for e in service.endpoints if e.protocol == "dns"]
    keys: dict[str, Any] = {
        "agent": "redirect",
        "failed_operation": None,
        "failure": None,
        "signal_backend_failure": None,
        "signal_backend_status": "ok",
    }

    async def backend(url: str) -> None:
        got = await http_target(trace, net, url, context=apps.signal_tls, asn_of=apps.asn_of)
        if got.failure is not None:
            keys["signal_backend_status"] = "blocked"
            keys["signal_backend_failure"] = got.failure

    await asyncio.gather(
        *(backend(u) for u in urls if u), *(dns_target(trace, net, h, apps.asn_of) for h in lookups)
    )
    blocked = keys["signal_backend_status"] == "blocked"
    control = await control_keys(session, urls[0], trace, blocked)
    return Measured({**keys, **records(trace), **control}, trace)


def cells(summary: Mapping[str, Any]) -> tuple[str, ...]:
    failure = summary.get("signal_backend_failure")
    return (
        str(summary.get("signal_backend_status") or "null") + (f" ({failure})" if failure else ""),
        _down(summary),
    )


NETTEST = Nettest(
    name="signal",
    version="0.2.5",  # probe-cli's signal, whose hosts, keys and records we follow
    inputs=InputKind.NONE,
    measure=measure,
    summary_keys=("signal_backend_status", "signal_backend_failure", "x_platform_down"),
    columns=("backend", "platform"),
    cells=cells,
    extensions={"dnst": 0, "httpt": 0, "netevents": 0, "tcpconnect": 0, "tlshandshake": 0},
    uses_helper=True,
)
