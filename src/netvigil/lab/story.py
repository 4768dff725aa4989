"""The lab's story, as data: the sites, what happens to them, and what the observatory must say.

Four sites, measured by every network's probe each run: a news site, Signal's website (the
catalogue maps ``signal.org`` to the Signal service), Telegram's web client (``web.telegram.org``,
Telegram) and a wiki nobody touches. The real names of the two services are used inside the sealed
lab, served by its own DNS and web servers at TEST-NET addresses (as OONI's QA lab serves
``www.example.com``), so that their measurements are about the services.

The steps, each switched on at its T0 and waited for on the store's state (never on a clock):

* **a1** network A's censor starts spoofing DNS answers for the news site -> a ``blocking`` event
  of network A about ``domain:news.lab.example``;
* **a2** then it resets TLS connections naming Signal (SNI) -> ``blocking`` of ``service:signal``;
* **b** Telegram's web server goes down for everyone (it drops every packet, as under a flood):
  every network and the test helper fail to reach it -> ``platform_outage`` of
  ``service:telegram`` and no blocking event about Telegram in any network; then it comes back;
* **c** network C is shut down: its censor forwards nothing, so its probe can reach neither the
  sites nor the collector; it keeps measuring (every measurement fails) into its spool. The
  pipeline sees the network's volume vanish -> ``outage`` of ``asn:AS64498``; then the network
  returns, the spool is uploaded and fills the gap, and the outage ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from netvigil.analysis.rules import LEGACY, WC
from netvigil.lab.networks import NETWORKS, Network, cut_off, switch, take_down
from netvigil.lab.plan import BLOCK_PAGE_IP, DnsLie, ResetOnSni, Site
from netvigil.lab.topology import Lab

# Verdicts decided without the control's answer (the probe reached no test helper): what a
# cut-off network's measurements get (the pipeline's bins do not count them as usable).
NO_CONTROL = frozenset({WC.NO_CONTROL, WC.DNS_NO_CONTROL, LEGACY.CONTROL_UNREACHABLE})

NEWS = Site("news.lab.example", "203.0.113.100")
SIGNAL = Site("signal.org", "203.0.113.101")
TELEGRAM = Site("web.telegram.org", "203.0.113.102")
WIKI = Site("wiki.lab.example", "203.0.113.103")
SITES = (NEWS, SIGNAL, TELEGRAM, WIKI)
URLS = (f"http://{NEWS.host}/", f"https://{SIGNAL.host}/", f"https://{TELEGRAM.host}/",
        f"http://{WIKI.host}/")  # fmt: skip
A, _B, C = NETWORKS
SPOOF = DnsLie(NEWS.host, (BLOCK_PAGE_IP,))  # the censor's resolver points it to a block page
RESET = ResetOnSni(SIGNAL.host)
Row = Mapping[str, Any]


def _network(net: Network) -> str:
    return f"country:{net.cc}/asn:{net.asn}"


@dataclass(frozen=True)
class Step:
    """One change to the lab and the evidence the observatory must produce."""

    key: str
    title: str
    start: Callable[[Lab], None]
    stop: Callable[[Lab], None] | None  # undone once its event is seen (None: left on)
    shows: Callable[[Row], bool]  # a verdict row that shows the change
    kind: str  # the event expected
    entity: str
    # Keep the change until this network's probe has spooled this many runs since T0 (a
    # shutdown should outlast its detection, so that there is a gap for the spool to fill).
    hold: tuple[Network, int] | None = None


def _is(row: Row, net: Network, host: str | None = None) -> bool:
    return row["probe_cc"] == net.cc and (host is None or row.get("domain") == host)


def _down(row: Row) -> bool:
    return str(row.get("blocking")).lower() == "false" and row.get("accessible") is False


STEPS = (
    Step(
        "a1",
        f"{A.name} spoofs DNS answers for {NEWS.host}",
        lambda lab: switch(lab, A, SPOOF, True),
        None,
        lambda row: _is(row, A, NEWS.host) and row["outcome"] in ("anomaly", "confirmed"),
        "blocking",
        f"{_network(A)}/domain:{NEWS.host}",
    ),
    Step(
        "a2",
        f"{A.name} resets TLS naming {SIGNAL.host} (Signal)",
        lambda lab: switch(lab, A, RESET, True),
        None,
        lambda row: _is(row, A, SIGNAL.host) and row["outcome"] in ("anomaly", "confirmed"),
        "blocking",
        f"{_network(A)}/service:signal",
    ),
    Step(
        "b",
        f"{TELEGRAM.host} (Telegram) goes down for everyone",
        lambda lab: take_down(lab, str(TELEGRAM.address), True),
        lambda lab: take_down(lab, str(TELEGRAM.address), False),
        lambda row: row.get("domain") == TELEGRAM.host and _down(row),
        "platform_outage",
        "service:telegram",
    ),
    Step(
        "c",
        f"{C.name} is shut down",
        lambda lab: cut_off(lab, C, True),
        lambda lab: cut_off(lab, C, False),
        lambda row: _is(row, C) and (row["outcome"] == "failure" or row["rule_id"] in NO_CONTROL),
        "outage",
        f"asn:{C.asn}",
        hold=(C, 2),
    ),
)


def censorship_of(event_entity: str, kind: str, service: str) -> bool:
    """Whether an event is a blocking of ``service`` in some network (what step b must not
    produce)."""
    return kind == "blocking" and event_entity.endswith(f"/service:{service}")
