"""A nettest without input, registered only by the registry's tests (one module, one line).

It fetches the test world's ``/echo`` page (which prints the client's public address), so a run
shows what the shared runner and envelope give every nettest: one measurement per run, the
envelope of a test without helper, and the probe's address scrubbed from its records.
"""

from __future__ import annotations

import msgspec

from netvigil.probe.fetch import fetch
from netvigil.probe.nettest import InputKind, Measured, Nettest, Session
from netvigil.probe.steps import Trace

PAGE = ""  # the world's /echo URL, set by the test that registers this nettest


async def measure(input_: str | None, session: Session) -> Measured:
    assert input_ is None
    trace = Trace()
    result = await fetch(trace, session.network, PAGE)
    test_keys = {
        "requests": msgspec.to_builtins(trace.requests),
        "echo_failure": result.failure,
        "echo_reachable": result.failure is None,
    }
    return Measured(test_keys, trace)


NETTEST = Nettest(
    name="echo_page",
    version="0.0.1",
    inputs=InputKind.NONE,
    measure=measure,
    summary_keys=("echo_reachable", "echo_failure"),
    extensions={"httpt": 0},
)
