"""The messaging and Tor scenarios of the lab: every app x every kind of interference, as data.

Each (app, scenario) pair gets its own copy of the app's endpoints: the service catalogue's
hosts renamed under the lab zone (``web.telegram.org`` -> ``web.tg-dns.lab.example``) and its
addresses mapped to TEST-NET ones (203.0.113.64-199), written as a catalogue file the probe
reads (``NETVIGIL_CATALOGUE``), exactly as a deployment would give its own endpoints. So one lab
build serves every pair at once, and a fault on one pair touches no other.

The expected test keys of each pair are written here from the tests' specifications (OONI's
ts-018/019/020/023/029 and probe-cli's experiments): what OONI's probe would write, never what
netvigil's probe wrote. A pair that does not apply (Signal uses one port only, Facebook
Messenger's test does no TLS, Tor's targets are addresses) is listed with its reason, never
silently left out.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from netvigil.lab.plan import (
    BLOCK_PAGE_IP,
    ZONE,
    Blackhole,
    DnsLie,
    Down,
    DropPort,
    Fault,
    PortMap,
    ResetOnSni,
    Site,
    Throttle,
)
from netvigil.lab.web_server import HANG_UP_PORT
from netvigil.models.catalogue import Endpoint, Service, load_catalogue

APPS = ("telegram", "whatsapp", "signal", "facebook_messenger", "tor")
SCENARIOS = (
    "reachable",
    "dnsBlocked",
    "tcpBlockedOnePort",
    "tcpBlockedAllPorts",
    "tlsBlockedBySni",
    "throttled",
    "downEverywhere",
)
WHY = {
    "reachable": "no interference",
    "dnsBlocked": "the censor's resolver lies about every name of the app",
    "tcpBlockedOnePort": "the censor drops one port of the app's servers (others work)",
    "tcpBlockedAllPorts": "the censor drops every packet to the app's servers",
    "tlsBlockedBySni": "the censor resets TLS handshakes naming the app's hosts",
    "throttled": "the censor throttles the app's servers to 128 kbit/s",
    "downEverywhere": "the app's servers refuse everyone, the test helper too (an outage)",
}
NOT_APPLICABLE = {
    ("signal", "tcpBlockedOnePort"): "Signal's test uses one port (443)",
    ("facebook_messenger", "tcpBlockedOnePort"): "Messenger's test uses one port (443)",
    ("facebook_messenger", "tlsBlockedBySni"): "Messenger's test does no TLS (TCP connects)",
    ("tor", "dnsBlocked"): "Tor's targets are addresses: nothing is resolved",
    ("tor", "tlsBlockedBySni"): "Tor's TLS names no real host in its SNI",
}
SHORT = {
    "telegram": "tg",
    "whatsapp": "wa",
    "signal": "sg",
    "facebook_messenger": "fb",
    "tor": "tor",
}
SCENARIO_SHORT = {
    "reachable": "ok",
    "dnsBlocked": "dns",
    "tcpBlockedOnePort": "port",
    "tcpBlockedAllPorts": "tcp",
    "tlsBlockedBySni": "sni",
    "throttled": "slow",
    "downEverywhere": "down",
}
FIRST_ADDRESS = ipaddress.IPv4Address("203.0.113.64")
LAST_ADDRESS = ipaddress.IPv4Address("203.0.113.199")
FACEBOOK_ASN = 32934
THROTTLE_KBIT = 128  # slow, yet every handshake of the apps fits in the lab's timeouts
OR_PORT, DIR_PORT, OBFS4_PORT = 9001, 9030, 9443
ALL_ENDPOINTS = "<every endpoint host>"  # expected whatsapp_endpoints_blocked: all of them


@dataclass(frozen=True)
class Expected:
    keys: dict[str, Any]  # the summary keys OONI's probe would write
    outcome: str  # netvigil's verdict: ok / anomaly / failure
    blocking: bool | str | None  # ... and its blocking value
    platform_down: bool | None = None  # x_platform_down (tor: never asked)


@dataclass(frozen=True)
class AppScenario:
    app: str
    scenario: str
    tag: str  # the pair's DNS label, e.g. "tg-dns"
    service: Service | None  # the lab's copy of the app's service (None: tor)
    sites: tuple[Site, ...]
    faults: tuple[Fault, ...]
    port_maps: tuple[PortMap, ...]
    expected: Expected
    tor_targets: tuple[dict[str, Any], ...] = ()  # obfs4 entries get the bridge's cert later
    hosts: dict[str, str] = field(default_factory=dict)  # real host -> lab host

    @property
    def name(self) -> str:
        return f"{self.app}/{self.scenario}"

    def addresses(self) -> list[str]:
        return sorted({s.address for s in self.sites if s.address})


def _addresses() -> Iterator[str]:
    current = FIRST_ADDRESS
    while current <= LAST_ADDRESS:
        yield str(current)
        current += 1


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _lab_service(
    real: Service, tag: str, next_address: Iterator[str]
) -> tuple[Service, tuple[Site, ...], dict[str, str]]:
    """The service with its hosts renamed into the lab zone and its addresses in TEST-NET.

    Names of one app share addresses as the real ones do (WhatsApp's e1..e16 answer from the
    same few addresses; Messenger's hosts from Facebook's): one address per component."""
    hosts: dict[str, str] = {}
    sites: dict[str, Site] = {}
    by_component: dict[str, str] = {}
    endpoints: list[Endpoint] = []
    for e in real.endpoints:
        if e.host not in hosts:
            if _is_ip(e.host):
                hosts[e.host] = next(next_address)  # a data centre: an address of its own
            else:
                label = e.host.split(".")[0]
                hosts[e.host] = f"{label}.{tag}.{ZONE}"
                shared = "dns" if e.component == "dns" else e.component
                if real.name == "facebook_messenger":
                    shared = "all"  # Messenger's hosts all answer from Facebook's network
                elif real.name == "signal":
                    shared = e.host  # Signal's hosts are on different networks (CDNs, clouds)
                if shared not in by_component:
                    by_component[shared] = next(next_address)
                sites[hosts[e.host]] = Site(hosts[e.host], by_component[shared])
        endpoints.append(Endpoint(e.component, e.protocol, hosts[e.host], e.port, e.path, e.key))
    data_centres = {h for h in hosts.values() if _is_ip(h)}
    for address in data_centres:
        sites[f"dc-{address.replace('.', '-')}.{tag}.{ZONE}"] = Site(
            f"dc-{address.replace('.', '-')}.{tag}.{ZONE}", address
        )
    lab = replace(real, endpoints=tuple(endpoints))  # the real service, lab endpoints
    return lab, tuple(sites.values()), hosts


def catalogue_toml(service: Service) -> str:
    """The lab's catalogue file for one service (TOML: JSON strings and arrays are valid TOML)."""
    q = json.dumps
    lines = ["version = 1", "", f"[services.{service.name}]"]
    lines += [f"label = {q(service.label)}", f"kind = {q(service.kind)}"]
    for key in ("nettest", "spec", "dns_component", "stop_column", "impact_name"):
        value = getattr(service, key)
        if value is not None:
            lines.append(f"{key} = {q(value)}")
    lines.append(f"rule_prefix = {q(service.rule_prefix)}")
    lines.append(f"asns = {q(list(service.asns))}")
    comps = [
        f"{{ name = {q(c.name)}, key = {q(c.key)}, reads = {q(c.reads)}, "
        f"condition = {q(c.condition)} }}"
        for c in service.components
    ]
    lines.append("components = [\n  " + ",\n  ".join(comps) + "\n]")
    groups: dict[tuple[str, str, str | None, int | None], list[Endpoint]] = {}
    for e in service.endpoints:
        groups.setdefault((e.component, e.protocol, e.path, e.port), []).append(e)
    rows = []
    for (component, protocol, path, port), members in groups.items():
        row = f"{{ component = {q(component)}, protocol = {q(protocol)}, "
        row += f"hosts = {q([m.host for m in members])}"
        if port is not None:
            row += f", ports = [{port}]"
        if path is not None:
            row += f", path = {q(path)}"
        if any(m.key for m in members):
            row += f", keys = {q([m.key for m in members])}"
        rows.append(row + " }")
    lines.append("endpoints = [\n  " + ",\n  ".join(rows) + "\n]")
    return "\n".join(lines) + "\n"


def _faults(
    app: str, scenario: str, service: Service, sites: tuple[Site, ...]
) -> tuple[Fault, ...]:
    real_names = [h for h in {e.host for e in service.endpoints} if not _is_ip(h)]
    addresses = sorted({s.address for s in sites if s.address})
    if scenario == "dnsBlocked":
        # Messenger's test judges DNS by ASN: the censor answers with its block page server
        # (outside Facebook's network); the others get NXDOMAIN.
        answer = (BLOCK_PAGE_IP,) if app == "facebook_messenger" else None
        return tuple(DnsLie(n, answer) for n in real_names)
    if scenario == "tcpBlockedOnePort":
        if app == "telegram":  # the data centres' 443 (80 still works)
            dcs = {e.host for e in service.endpoints if e.component == "http" and _is_ip(e.host)}
            return tuple(DropPort(a, 443) for a in sorted(dcs))
        ports = {e.host: e for e in service.endpoints if e.component == "endpoints"}
        endpoint_addresses = {s.address for s in sites if s.host in ports and s.address}
        return tuple(DropPort(a, 5222) for a in sorted(endpoint_addresses))  # whatsapp's 5222
    if scenario == "tcpBlockedAllPorts":
        return tuple(Blackhole(a) for a in addresses)
    if scenario == "tlsBlockedBySni":
        https = {e.host for e in service.endpoints if e.protocol == "https"}
        return tuple(ResetOnSni(h) for h in sorted(https))
    if scenario == "throttled":
        return tuple(Throttle(a, THROTTLE_KBIT) for a in addresses)
    if scenario == "downEverywhere":
        return tuple(Down(a) for a in addresses)
    return ()


def _port_maps(app: str, service: Service, sites: tuple[Site, ...]) -> tuple[PortMap, ...]:
    if app == "telegram":  # the data centres speak plain HTTP on 443: the lab's :80 server
        dcs = {e.host for e in service.endpoints if e.component == "http" and _is_ip(e.host)}
        return tuple(PortMap(a, 443, 80) for a in sorted(dcs))
    if app == "whatsapp":  # 5222 (XMPP-like chat): anything that accepts the connection
        hosts = {e.host for e in service.endpoints if e.component == "endpoints"}
        found = sorted({s.address for s in sites if s.host in hosts and s.address})
        return tuple(PortMap(a, 5222, HANG_UP_PORT) for a in found)
    return ()


def _expected(app: str, scenario: str) -> Expected:
    """What OONI's probe would write, and netvigil's verdict, per the tests' specifications."""
    failure = {
        "dnsBlocked": "dns_nxdomain_error",
        "tcpBlockedAllPorts": "generic_timeout_error",
        "tlsBlockedBySni": "connection_reset",
        "downEverywhere": "connection_refused",
    }.get(scenario)
    down = True if scenario == "downEverywhere" else None
    blocked_here = scenario in ("dnsBlocked", "tcpBlockedAllPorts", "tlsBlockedBySni")
    if blocked_here:
        down = False  # the helper reaches what the probe could not
    ok_verdict: tuple[str, bool | str | None] = ("ok", False)
    out_down: tuple[str, bool | str | None] = ("ok", False)  # an outage: ok, not accessible
    if app == "telegram":
        dcs_blocked = scenario in ("tcpBlockedAllPorts", "downEverywhere")
        web_blocked = scenario not in ("reachable", "throttled", "tcpBlockedOnePort")
        keys: dict[str, Any] = {
            "telegram_tcp_blocking": dcs_blocked,
            "telegram_http_blocking": dcs_blocked,
            "telegram_web_status": "blocked" if web_blocked else "ok",
            "telegram_web_failure": failure if web_blocked else None,
        }
        verdict: tuple[str, bool | str | None] = {
            "dnsBlocked": ("anomaly", "web"),
            "tlsBlockedBySni": ("anomaly", "web"),
            "tcpBlockedAllPorts": ("anomaly", "tcp"),
            # fastpath's share score: 6 of 13 connects and 6 of 12 data-centre requests
            # failed (0.46 + 0.5 > 0.5), although the probe's flags say not blocked
            "tcpBlockedOnePort": ("anomaly", "http"),
            "downEverywhere": out_down,
        }.get(scenario, ok_verdict)
        return Expected(keys, verdict[0], verdict[1], down)
    if app == "whatsapp":
        endpoints_blocked = scenario in ("dnsBlocked", "tcpBlockedAllPorts", "downEverywhere")
        https_blocked = scenario in ("dnsBlocked", "tcpBlockedAllPorts", "tlsBlockedBySni")
        https_blocked = https_blocked or scenario == "downEverywhere"
        keys = {
            "whatsapp_endpoints_status": "blocked" if endpoints_blocked else "ok",
            "whatsapp_endpoints_blocked": ALL_ENDPOINTS if endpoints_blocked else [],
            "registration_server_status": "blocked" if https_blocked else "ok",
            "registration_server_failure": failure if https_blocked else None,
            "whatsapp_web_status": "blocked" if https_blocked else "ok",
            "whatsapp_web_failure": failure if https_blocked else None,
        }
        verdict = {
            "dnsBlocked": ("anomaly", "web"),
            "tlsBlockedBySni": ("anomaly", "web"),
            "tcpBlockedAllPorts": ("anomaly", "web"),
            "downEverywhere": out_down,
        }.get(scenario, ok_verdict)
        return Expected(keys, verdict[0], verdict[1], down)
    if app == "signal":
        blocked = scenario in ("dnsBlocked", "tcpBlockedAllPorts", "tlsBlockedBySni")
        blocked = blocked or scenario == "downEverywhere"
        keys = {
            "signal_backend_status": "blocked" if blocked else "ok",
            "signal_backend_failure": failure if blocked else None,
        }
        verdict = (
            out_down
            if scenario == "downEverywhere"
            else (("anomaly", "backend") if blocked else ok_verdict)
        )
        return Expected(keys, verdict[0], verdict[1], down)
    if app == "facebook_messenger":
        dns = scenario == "dnsBlocked"
        tcp = scenario in ("tcpBlockedAllPorts", "downEverywhere")
        keys = {"facebook_dns_blocking": dns, "facebook_tcp_blocking": tcp}
        verdict = {
            "dnsBlocked": ("anomaly", "dns"),
            "tcpBlockedAllPorts": ("anomaly", "tcp"),
            "downEverywhere": out_down,
        }.get(scenario, ok_verdict)
        return Expected(keys, verdict[0], verdict[1], down)
    # tor: one directory authority (OR and directory port), one OR bridge, one obfs4 bridge
    reached = {"dir_port": 1, "or_port_dirauth": 1, "or_port": 1, "obfs4": 1}
    if scenario == "tcpBlockedOnePort":
        reached["dir_port"] = 0
    if scenario in ("tcpBlockedAllPorts", "downEverywhere"):
        reached = dict.fromkeys(reached, 0)
    keys = {f"{p}_{k}": (1 if k == "total" else reached[p]) for p in reached for k in (
        "total", "accessible")}  # fmt: skip
    if scenario in ("tcpBlockedAllPorts", "downEverywhere"):
        # no control for Tor (bridges are never shown to a helper): an outage reads as blocking
        return Expected(keys, "anomaly", "obfs4", None)
    return Expected(keys, "ok", False, None)


def _tor_pair(scenario: str, tag: str, next_address: Iterator[str]) -> AppScenario:
    dirauth, bridge, obfs4 = next(next_address), next(next_address), next(next_address)
    sites = tuple(Site(f"{n}.{tag}.{ZONE}", a) for n, a in (
        ("dirauth", dirauth), ("bridge", bridge), ("obfs4", obfs4)))  # fmt: skip
    targets = (
        {"id": f"{dirauth}:{OR_PORT}", "address": f"{dirauth}:{OR_PORT}",
         "protocol": "or_port_dirauth", "name": f"lab-{tag}"},
        {"id": f"{dirauth}:{DIR_PORT}", "address": f"{dirauth}:{DIR_PORT}",
         "protocol": "dir_port", "name": f"lab-{tag}"},
        {"id": f"or-{tag}", "address": f"{bridge}:{OR_PORT}", "protocol": "or_port",
         "source": "bridgedb"},
        {"id": f"obfs4-{tag}", "address": f"{obfs4}:{OBFS4_PORT}", "protocol": "obfs4",
         "params": {"iat-mode": ["0"]}},
    )  # fmt: skip
    maps = (PortMap(dirauth, OR_PORT, 443), PortMap(dirauth, DIR_PORT, 80),
            PortMap(bridge, OR_PORT, 443))  # fmt: skip
    faults: tuple[Fault, ...] = ()
    addresses = (dirauth, bridge, obfs4)
    if scenario == "tcpBlockedOnePort":
        faults = (DropPort(dirauth, DIR_PORT),)
    elif scenario == "tcpBlockedAllPorts":
        faults = tuple(Blackhole(a) for a in addresses)
    elif scenario == "throttled":
        faults = tuple(Throttle(a, THROTTLE_KBIT) for a in addresses)
    elif scenario == "downEverywhere":
        faults = tuple(Down(a) for a in addresses)
    return AppScenario(
        "tor", scenario, tag, None, sites, faults, maps, _expected("tor", scenario), targets
    )


def catalogue() -> tuple[AppScenario, ...]:
    """Every applicable (app, scenario) pair, with its own names, addresses and faults."""
    shipped = load_catalogue()
    next_address = _addresses()
    out: list[AppScenario] = []
    for app in APPS:
        for scenario in SCENARIOS:
            if (app, scenario) in NOT_APPLICABLE:
                continue
            tag = f"{SHORT[app]}-{SCENARIO_SHORT[scenario]}"
            if app == "tor":
                out.append(_tor_pair(scenario, tag, next_address))
                continue
            real = shipped.by_nettest(app)
            assert real is not None
            service, sites, hosts = _lab_service(real, tag, next_address)
            faults = _faults(app, scenario, service, sites)
            maps = _port_maps(app, service, sites)
            expected = _expected(app, scenario)
            out.append(
                AppScenario(app, scenario, tag, service, sites, faults, maps, expected, (), hosts)
            )
    return tuple(out)


def ip_table_csv(pairs: tuple[AppScenario, ...]) -> str:
    """The probe's IP table in the lab: Messenger's lab addresses are Facebook's (AS32934)."""
    rows = ["network,asn,country"]
    for pair in pairs:
        if pair.app == "facebook_messenger":
            rows += [f"{a}/32,{FACEBOOK_ASN},US" for a in pair.addresses()]
    return "\n".join(rows) + "\n"
