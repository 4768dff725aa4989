"""What the lab is made of, as data: addresses, sites, faults, and the plan derived from them.

Everything here is pure: :func:`make_plan` turns scenarios into the lab zone (the truth the clean
resolvers serve), the lying resolver's table, the web servers' content and the censor's faults.
The topology module turns the plan into namespaces, rules and processes.

Addresses are TEST-NET only (RFC 5737) plus loopback::

    client  192.0.2.2/26  --  192.0.2.1    censor    198.51.100.1/25 -- 198.51.100.2  servers
    open    192.0.2.66/26 --  192.0.2.65   (router)                     (+ local 203.0.113.0/24,
                                                                          198.51.100.128/25)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LAB_SUBNETS = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
ZONE = "lab.example"  # RFC 2606 reserved name: never a real site

CLIENT_NET, CENSOR_CLIENT_IP, CLIENT_IP = "192.0.2.0/26", "192.0.2.1", "192.0.2.2"
OPEN_NET, CENSOR_OPEN_IP, OPEN_IP = "192.0.2.64/26", "192.0.2.65", "192.0.2.66"
SERVERS_NET, CENSOR_SERVERS_IP, SERVERS_IP = "198.51.100.0/25", "198.51.100.1", "198.51.100.2"
# Whole ranges routed locally in the servers namespace, so any address in them is a live host.
SITE_RANGE = "203.0.113.0/24"
BENCH_RANGE = "198.51.100.128/25"

ISP_RESOLVER = "198.51.100.53"  # the client's system resolver (its "ISP")
PUBLIC_RESOLVER = "198.51.100.54"  # the probe's extra UDP resolver (a "public" one)
LYING_RESOLVER = "198.51.100.66"  # where the censor DNATs queries for censored names
HELPER_PORT = 8080
BLOCK_PAGE_IP = "203.0.113.200"  # block page server (transparent DNAT or lying DNS)
GHOST_IP = "203.0.113.201"  # ghost-DNS target: block page on :80, :443 refused
PROXY_IP = "203.0.113.202"  # a transparent proxy serving the real sites
BOGON_IP = "10.10.34.35"  # the bogon OONI's dnsBlockingBOGON scenario uses
HANG_UP_IP = "203.0.113.204"  # where the censor sends connections it hangs up on (EOF)
REFUSER_IP = "203.0.113.203"  # a host refusing :443 (the censor also refuses its :80)
# HTTPS with a bad certificate (pki.BAD_KINDS): address -> the port its :443 is redirected to.
BAD_TLS = {
    "expired": ("203.0.113.210", 8443),
    "unknown-authority": ("203.0.113.211", 8444),
    "wrong-name": ("203.0.113.212", 8445),
}

BLOCK_PAGE_HTML = (
    "<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
    "<p>This website has been blocked by order of the authorities.</p></body></html>"
)

# chain: httpbin-like /redirect/N; captcha: a 503 challenge for the client's network only;
# client-redirect: the 302 to redirect_to for the client's network only, the page for others
Content = Literal["page", "large", "chain", "captcha", "client-redirect"]


@dataclass(frozen=True)
class Site:
    """A name in the lab zone and what the web servers serve for it."""

    host: str
    address: str | None  # None: the name exists but has no A record
    content: Content = "page"
    redirect_to: str | None = None  # answer every request with a 302 to this URL


@dataclass(frozen=True)
class DnsLie:
    """The censor DNATs queries for ``host`` to the lying resolver, which answers ``answer``."""

    host: str
    answer: tuple[str, ...] | None  # None: NXDOMAIN


@dataclass(frozen=True)
class Blackhole:
    address: str  # every packet from the client to it is dropped


@dataclass(frozen=True)
class ResetOnSni:
    host: str  # TLS ClientHellos naming it get a TCP RST


@dataclass(frozen=True)
class ResetOnHost:
    host: str  # HTTP requests with this Host header get a TCP RST


@dataclass(frozen=True)
class RefuseConnect:
    address: str  # SYNs to address:port are answered with RST (connection refused)
    port: int


@dataclass(frozen=True)
class BlockPage:
    address: str  # HTTP to it is DNATed to the block page server


@dataclass(frozen=True)
class HangUp:
    address: str  # TCP from the client to it is DNATed to a middlebox that closes (EOF)


@dataclass(frozen=True)
class Throttle:
    address: str  # traffic from it towards the client goes through tc tbf
    rate_kbit: int = 16


@dataclass(frozen=True)
class Loss:
    address: str  # packets from the client to it are dropped at random
    probability: float


@dataclass(frozen=True)
class DropPort:
    address: str  # TCP from the client to address:port is dropped (the other ports work)
    port: int


@dataclass(frozen=True)
class Down:
    """Not censorship: the host at ``address`` refuses every connection, from everyone (the
    probe and the test helper alike): a platform outage. Applied in the servers namespace."""

    address: str


Fault = (
    DnsLie
    | Blackhole
    | ResetOnSni
    | ResetOnHost
    | RefuseConnect
    | BlockPage
    | HangUp
    | Throttle
    | Loss
    | DropPort
    | Down
)


@dataclass(frozen=True)
class PortMap:
    """A server-side mapping (not censorship): TCP to ``address:port`` is served by the lab's
    server on ``to`` (the app scenarios: plain HTTP on :443 of Telegram's data centres, 5222 of
    WhatsApp's endpoints, Tor's OR and directory ports)."""

    address: str
    port: int
    to: int


@dataclass(frozen=True)
class Scenario:
    """One OONI QA scenario reproduced in the lab."""

    name: str  # OONI's scenario name (a directory of probecli_minipipeline/generated)
    url: str  # what the probe measures in the lab
    sites: tuple[Site, ...]
    faults: tuple[Fault, ...] = ()
    why: str = ""  # one line: what the censor (or the web) does
    control_reachable: bool = True  # False: the probe is given a helper URL nobody answers


@dataclass(frozen=True)
class LabPlan:
    """Everything the servers and the censor need, derived from the scenarios."""

    scenarios: tuple[Scenario, ...]
    sites: tuple[Site, ...]
    faults: tuple[Fault, ...]
    zone: dict[str, list[str]] = field(default_factory=dict)  # truth: host -> A records
    lies: dict[str, list[str] | None] = field(default_factory=dict)  # host -> A or NXDOMAIN
    port_maps: tuple[PortMap, ...] = ()  # the servers' own port mappings (app scenarios)
    obfs4_port: int | None = None  # a Tor obfs4 bridge (obfs4proxy) listens here (app scenarios)

    def web_config(self) -> dict[str, object]:
        """What the web server process reads (JSON-able)."""
        return {
            "sites": {
                s.host: {"content": s.content, "redirect_to": s.redirect_to} for s in self.sites
            },
            "block_page_addresses": [BLOCK_PAGE_IP, GHOST_IP],
            "block_page_html": BLOCK_PAGE_HTML,
            "challenged_network": CLIENT_NET,
        }

    def dns_config(self) -> dict[str, object]:
        """What the DNS server processes read (JSON-able)."""
        return {"zone": self.zone, "lies": self.lies}

    def dns_names(self) -> list[str]:
        return sorted({s.host for s in self.sites})


def make_plan(
    scenarios: tuple[Scenario, ...],
    extra_sites: tuple[Site, ...] = (),
    extra_faults: tuple[Fault, ...] = (),
    port_maps: tuple[PortMap, ...] = (),
    obfs4_port: int | None = None,
) -> LabPlan:
    """The plan serving ``scenarios`` (plus benchmark sites and faults) in one lab build."""
    sites: dict[str, Site] = {}
    for site in [s for sc in scenarios for s in sc.sites] + list(extra_sites):
        previous = sites.setdefault(site.host, site)
        if previous != site:
            raise ValueError(f"site {site.host} is defined twice, differently")
    faults = tuple(dict.fromkeys([f for sc in scenarios for f in sc.faults] + list(extra_faults)))
    zone = {h: ([s.address] if s.address else []) for h, s in sites.items()}
    lies: dict[str, list[str] | None] = {}
    for fault in faults:
        if isinstance(fault, DnsLie):
            lies[fault.host] = None if fault.answer is None else list(fault.answer)
    return LabPlan(
        tuple(scenarios),
        tuple(sites.values()),
        faults,
        zone,
        lies,
        tuple(dict.fromkeys(port_maps)),
        obfs4_port,
    )
