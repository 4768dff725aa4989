"""The multi-vantage lab: several client networks, each behind its own censor, one core router.

::

    client-a 192.0.2.2/28  -- 192.0.2.1  censor-a 192.0.2.130/30 --+
    client-b 192.0.2.18/28 -- 192.0.2.17 censor-b 192.0.2.134/30 --+-- core -- 198.51.100.2 servers
    client-c 192.0.2.34/28 -- 192.0.2.33 censor-c 192.0.2.138/30 --+    |     (DNS, web, the sites:
                                                                         |      203.0.113.0/24)
                                         open 192.0.2.66/26 ------------+
                                         test helper :8080, collector :8100

Each client network has its own country and ASN (ISO 3166's user-assigned codes ``XA``..., and
RFC 5398's documentation ASNs ``AS64496``...), so that its probe's measurements carry them. Each
censor starts clean; faults are switched on and off while the lab runs (:func:`switch`): the
same rules as the single-network lab (``censor.fault_rules``), on that censor only. The open
namespace reaches the servers through the core alone, so the test helper sees the uncensored
network; the collector listens there too, reached by every client through its censor (so a
network that is cut off cannot upload). Everything is TEST-NET and sealed as in ``topology``:
every router drops what is not addressed to the lab's subnets and its default route is a
dead-end veth.

This module only builds networks (no processes): ``observe`` starts the servers, the helper,
the collector, the pipeline and the probes.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from netvigil._errors import EnvironmentProblem
from netvigil.lab import censor
from netvigil.lab.plan import (
    BENCH_RANGE,
    ISP_RESOLVER,
    LYING_RESOLVER,
    OPEN_IP,
    PUBLIC_RESOLVER,
    SERVERS_IP,
    SITE_RANGE,
    Fault,
)
from netvigil.lab.topology import Lab, _servers_firewall

CORE_OPEN_IP = "192.0.2.65"
CORE_SERVERS_IP = "198.51.100.1"
COLLECTOR_PORT = 8100


@dataclass(frozen=True)
class Network:
    """One client network of the lab: a client namespace behind its own censor."""

    index: int  # 0, 1, 2...: its addresses
    cc: str
    asn: str

    @property
    def letter(self) -> str:
        return "abcdefgh"[self.index]

    @property
    def client(self) -> str:
        return f"client-{self.letter}"

    @property
    def censor(self) -> str:
        return f"censor-{self.letter}"

    @property
    def client_ip(self) -> str:
        return f"192.0.2.{16 * self.index + 2}"

    @property
    def gateway_ip(self) -> str:  # the censor, seen from the client
        return f"192.0.2.{16 * self.index + 1}"

    @property
    def subnet(self) -> str:
        return f"192.0.2.{16 * self.index}/28"

    @property
    def uplink_ip(self) -> str:  # the censor, seen from the core
        return f"192.0.2.{130 + 4 * self.index}"

    @property
    def core_ip(self) -> str:  # the core, seen from the censor
        return f"192.0.2.{129 + 4 * self.index}"

    @property
    def name(self) -> str:
        return f"network {self.letter.upper()} ({self.cc}, {self.asn})"


NETWORKS = (
    Network(0, "XA", "AS64496"),
    Network(1, "XB", "AS64497"),
    Network(2, "XC", "AS64498"),
)


def run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise EnvironmentProblem(f"lab setup failed: {' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


def _ip(lab: Lab, role: str, command: str) -> None:
    run(["ip", "-n", lab.ns(role), *command.split()])


def _sysctl(lab: Lab, role: str, key: str, value: str) -> None:
    run(lab.exec_argv(role, "sh", "-c", f"echo {value} > /proc/sys/{key}"))


def _link(lab: Lab, near: str, near_name: str, near_ip: str, far: str, far_name: str,
          far_ip: str, plen: int) -> None:  # fmt: skip
    _ip(lab, near, f"link add name {near_name} type veth peer name {far_name} netns {lab.ns(far)}")
    _ip(lab, near, f"addr add {near_ip}/{plen} dev {near_name}")
    _ip(lab, far, f"addr add {far_ip}/{plen} dev {far_name}")
    _ip(lab, near, f"link set {near_name} up")
    _ip(lab, far, f"link set {far_name} up")


def roles(networks: tuple[Network, ...]) -> list[str]:
    return ["core", "servers", "open"] + [r for n in networks for r in (n.censor, n.client)]


def build_networks(lab: Lab, networks: tuple[Network, ...]) -> None:
    """Namespaces, links, routes and the routers' seals (no faults yet)."""
    for role in roles(networks):
        run(["ip", "netns", "add", lab.ns(role)])
        for key in ("all", "default"):
            _sysctl(lab, role, f"net/ipv6/conf/{key}/disable_ipv6", "1")
        _ip(lab, role, "link set lo up")
    _link(lab, "core", "to-servers", CORE_SERVERS_IP, "servers", "to-core", SERVERS_IP, 25)
    _link(lab, "core", "to-open", CORE_OPEN_IP, "open", "to-core", OPEN_IP, 26)
    _ip(lab, "servers", f"route add default via {CORE_SERVERS_IP}")
    _ip(lab, "open", f"route add default via {CORE_OPEN_IP}")
    for local in (SITE_RANGE, BENCH_RANGE):
        _ip(lab, "core", f"route add {local} via {SERVERS_IP}")
        _ip(lab, "servers", f"route add local {local} dev lo")
    for addr in (ISP_RESOLVER, PUBLIC_RESOLVER, LYING_RESOLVER):
        _ip(lab, "servers", f"addr add {addr}/32 dev lo")
    for net in networks:
        up = f"to-{net.censor}"
        _link(lab, "core", up, net.core_ip, net.censor, "to-core", net.uplink_ip, 30)
        _ip(lab, "core", f"route add {net.subnet} via {net.uplink_ip}")
        link = censor.CLIENT_LINK
        _link(lab, net.censor, link, net.gateway_ip, net.client, "to-censor", net.client_ip, 28)
        _ip(lab, net.client, f"route add default via {net.gateway_ip}")
        _ip(lab, net.censor, f"route add default via {net.core_ip}")
    for router in ["core", *(n.censor for n in networks)]:
        _sysctl(lab, router, "net/ipv4/ip_forward", "1")
        for table, rule in censor.iptables_rules(()):
            run(lab.exec_argv(router, "iptables", "-w", "-t", table, *rule))
    # The core's default route leads into a veth whose other end is also in the core: a packet
    # that escaped every seal could still reach nothing outside the lab.
    _ip(lab, "core", "link add name dead-end type veth peer name dead-end-peer")
    _ip(lab, "core", "link set dead-end up")
    _ip(lab, "core", "link set dead-end-peer up")
    _ip(lab, "core", "route add default dev dead-end")
    _servers_firewall(lab)  # which server answers which address (block page, refusals)


def switch(lab: Lab, net: Network, fault: Fault, on: bool) -> None:
    """Switch ``fault`` on (or off) on the censor of ``net``, for its client's packets only."""
    for table, rule in censor.fault_rules(fault):
        verb = rule[0] if on else "-D"
        run(lab.exec_argv(net.censor, "iptables", "-w", "-t", table, verb, *rule[1:]))


def cut_off(lab: Lab, net: Network, on: bool) -> None:
    """A shutdown of ``net``: its censor forwards nothing to or from the client's link."""
    verb = "-I" if on else "-D"
    for direction in ("-i", "-o"):
        rule = ["FORWARD", direction, censor.CLIENT_LINK, "-j", "DROP"]
        run(lab.exec_argv(net.censor, "iptables", "-w", verb, *rule))


def take_down(lab: Lab, address: str, on: bool) -> None:
    """A platform down for everyone: the servers drop every packet to ``address`` (what a
    flood that saturates it looks like from outside: connections time out), from every network
    and from the test helper alike."""
    verb = "-I" if on else "-D"
    run(lab.exec_argv("servers", "iptables", "-w", verb, "INPUT", "-d", address, "-j", "DROP"))
