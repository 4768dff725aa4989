"""What a nettest is: its name, what it takes as input, how it measures, and its summary columns.

A nettest (OONI's word for one test, such as ``web_connectivity`` or ``telegram``) is a
:class:`Nettest` record in ``netvigil/probe/nettests/<name>.py``, registered by name in
``netvigil/probe/nettests/__init__.py``. It only builds ``test_keys``: the runner gives it the
run's :class:`Session`, and the shared envelope (``netvigil.probe.envelope``) wraps what it
returns with the report id, times, vantage point and annotations, and scrubs the probe's
addresses. See docs/probe.md, "Writing a nettest".

This module stays cheap to import (no sockets, no HTTP client): the command line reads the
registry to print its help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from netvigil.probe.apps import AppContext
    from netvigil.probe.fetch import Network
    from netvigil.probe.steps import Trace


class InputKind(StrEnum):
    """What a nettest measures, one measurement each (OONI's input policies, simplified)."""

    URLS = "urls"  # URLs from arguments, a URL file or a Citizen Lab test list
    ENDPOINTS = "endpoints"  # HOST:PORT from arguments or a file
    NONE = "none"  # no input: the nettest knows its targets and runs once per run


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
    # The public address is not known (lookup failed or off, none given): only the sockets'
    # own addresses can be scrubbed, and each measurement says so (public_ip_unknown).
    public_ip_unknown: bool = False


@dataclass(frozen=True)
class Session:
    """What a run lends every measurement of every nettest in it."""

    vantage: VantagePoint
    network: Network  # timeouts, resolver, TLS trust, body cap, loopback policy
    helper_url: str
    client: httpx.AsyncClient  # for the test helper (only nettests that use one touch it)
    # The messaging and Tor tests' catalogue, IP table, Signal CAs and tor targets (None when
    # the run has none of those tests).
    apps: AppContext | None = None


@dataclass(frozen=True)
class Measured:
    """A nettest's result: its ``test_keys`` and the trace of the sockets it used.

    The trace tells the envelope what to scrub: the local addresses the sockets were bound to
    are the probe's own and are replaced everywhere; the addresses it connected to are servers'
    and stay.
    """

    test_keys: dict[str, Any]
    trace: Trace


def _plain(value: Any) -> str:
    """A summary value as JSON spells it (null, true, false), strings as they are."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@dataclass(frozen=True, eq=False)  # one instance per nettest: compared and hashed by identity
class Nettest:
    """One test the probe can run; see the module docstring."""

    name: str  # OONI's test_name
    version: str  # test_version: the OONI Probe version whose data format the test follows
    inputs: InputKind
    # measure(input, session): input is None for InputKind.NONE.
    measure: Callable[[str | None, Session], Awaitable[Measured]]
    # test_keys fields printed by `--json` and given to ``cells`` for the summary table.
    summary_keys: tuple[str, ...]
    columns: tuple[str, ...] = ()  # the table's columns after the input; default summary_keys
    # One table row (one string per column) from the summary; default: each value as JSON.
    cells: Callable[[Mapping[str, Any]], tuple[str, ...]] | None = None
    # The envelope's ``extensions`` (OONI's versions of the record formats used) and whether
    # the test asks the control test helper (then ``test_helpers`` names it, else it is absent).
    extensions: Mapping[str, int] = field(default_factory=dict)
    uses_helper: bool = False

    def summary(self, test_keys: Mapping[str, Any]) -> dict[str, Any]:
        return {key: test_keys.get(key) for key in self.summary_keys}

    def header(self) -> tuple[str, ...]:
        return self.columns or self.summary_keys

    def row(self, summary: Mapping[str, Any]) -> tuple[str, ...]:
        if self.cells is not None:
            return self.cells(summary)
        return tuple(_plain(summary.get(key)) for key in self.summary_keys)
