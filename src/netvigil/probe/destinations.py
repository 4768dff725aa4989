"""Which addresses the probe and the test helper may connect to (security audit H2).

A measurement connects only to addresses it has just resolved (or been given as literals) and
checked here: the check and the connection use the same address, so there is no DNS-rebinding
window, and every redirect hop is resolved and checked again (``netvigil.probe.fetch``).

Refused by default, on both sides: unspecified (``0.0.0.0``, ``::``), loopback, private
(RFC 1918, ``fc00::/7``), shared (CGNAT ``100.64/10``), link-local (``169.254/16`` with the
cloud metadata service ``169.254.169.254``, ``fe80::/10``), multicast, broadcast and reserved
ranges, documentation and benchmark ranges, and every other bogon of OONI's list
(``netvigil.analysis.is_bogon``); an IPv6 address that embeds an IPv4 one (IPv4-mapped
``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4, Teredo) is
judged by the IPv4 address too, since a connection to ``::ffff:127.0.0.1`` reaches 127.0.0.1.
Python's ``is_loopback`` alone let ``0.0.0.0`` and ``::ffff:127.0.0.1`` through (the audit's
bypass).

Opening a door, per side: ``allow`` networks are always allowed (the lab's TEST-NET ranges),
``loopback`` allows loopback (tests on 127.0.0.1), and the probe's ``internal`` (opt-in,
``probe.connect_internal``) allows every other non-public address but the unspecified ones: a
censor's block page on a private address can then be fetched, as OONI's probe does.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from netvigil.analysis import is_bogon

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_COMPATIBLE = ipaddress.ip_network("::/96")


def parse_networks(values: Iterable[str], field: str) -> tuple[Network, ...]:
    """CIDR ranges (or single addresses) of an allow-list setting; ValueError names the bad one."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{field}: {value!r} is not an address or CIDR range") from exc
    return tuple(out)


def _embedded_v4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and would reach) in its bits."""
    found: list[ipaddress.IPv4Address] = []
    if addr.is_loopback or addr.is_unspecified:  # ::1 and :: are themselves, not ::/96 ones
        return found
    if addr.ipv4_mapped is not None:
        found.append(addr.ipv4_mapped)
    if addr.sixtofour is not None:
        found.append(addr.sixtofour)
    if addr.teredo is not None:
        found.extend(addr.teredo)
    if addr in _COMPATIBLE or addr in _NAT64 or addr in _NAT64_LOCAL:
        found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return found


def _kind(addr: Address) -> str | None:
    """Why ``addr`` itself is not a public destination, or None."""
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_multicast:
        return "multicast"
    if addr.is_private:
        return "private"
    if addr.is_reserved:
        return "reserved"
    if not addr.is_global or is_bogon(str(addr)):
        return "not public"
    return None


@dataclass(frozen=True)
class DestinationPolicy:
    """The addresses one side may connect to; see the module docstring."""

    allow: tuple[Network, ...] = ()
    loopback: bool = False  # allow 127.0.0.0/8 and ::1 (and their embedded forms)
    internal: bool = False  # allow every non-public address but loopback and unspecified ones

    def refusal(self, ip: str) -> str | None:
        """Why a connection to ``ip`` is refused ("loopback", "private"...), None if allowed."""
        return _refusal(self, ip)

    def allowed(self, ips: Iterable[str]) -> list[str]:
        return [ip for ip in ips if self.refusal(ip) is None]


@lru_cache(maxsize=4096)
def _refusal(policy: DestinationPolicy, ip: str) -> str | None:
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    # An address that carries an IPv4 one is judged by what it reaches: the IPv4 address (the
    # wrapper ranges, ::ffff:0:0/96 and the like, are never public themselves).
    embedded = _embedded_v4(addr) if isinstance(addr, ipaddress.IPv6Address) else []
    candidates: list[Address] = [*embedded] if embedded else [addr]
    if any(c in net for c in (addr, *embedded) for net in policy.allow if c.version == net.version):
        return None
    for candidate in candidates:
        kind = _kind(candidate)
        if kind is None:
            continue
        if kind == "loopback" and policy.loopback:
            continue
        if kind not in ("loopback", "unspecified") and policy.internal:
            continue
        return kind if candidate is addr else f"{kind} (inside {ip})"
    return None
