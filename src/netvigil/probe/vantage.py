"""Where the probe measures from: probe_cc / probe_asn / resolver, never the probe's address.

Sources, in order: the settings (``probe.probe_cc`` / ``probe.probe_asn``), else a MaxMind-format
database (``probe.mmdb_path``) looked up with the probe's public IP (given with ``--public-ip`` or
``probe.public_ips``, or learned by ``netvigil.probe.iplookup``; used for the lookup and for
scrubbing, never stored), else ``ZZ`` / ``AS0``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import dns.resolver

from netvigil._errors import ConfigError, InputError
from netvigil._settings import ProbeSettings
from netvigil.analysis.iptable import record_fields
from netvigil.probe.nettest import VantagePoint


def system_resolver_ip() -> str:
    """The first nameserver of /etc/resolv.conf (OONI's ``client_resolver``), or ''."""
    try:
        servers = dns.resolver.Resolver(configure=True).nameservers
    except (dns.resolver.NoResolverConfiguration, OSError):
        return ""
    return str(servers[0]) if servers else ""


def mmdb_lookup(path: Path, ip: str) -> tuple[str | None, str | None, str]:
    """(country code, 'AS<n>', network name) of ``ip`` in a GeoLite2/DB-IP/ipinfo-style mmdb."""
    import maxminddb

    try:
        with maxminddb.open_database(str(path)) as db:
            record: Any = db.get(ip)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise ConfigError(f"probe.mmdb_path {path}: cannot read it as an MMDB file: {exc}") from exc
    if not isinstance(record, dict):
        return None, None, ""
    asn, cc = record_fields(record)
    name = record.get("autonomous_system_organization") or record.get("as_name") or ""
    return cc, (f"AS{asn}" if asn is not None else None), str(name)


def vantage_point(
    probe: ProbeSettings,
    public_ip: str | None,
    learned: frozenset[str] = frozenset(),
) -> VantagePoint:
    """The run's vantage point. ``public_ip`` (``--public-ip``), ``probe.public_ips`` and the
    addresses ``learned`` by the public-address lookup feed the country/ASN lookup and the scrub
    list; when there is none, the measurements are marked (``public_ip_unknown``)."""
    given = [*probe.public_ips, *([public_ip] if public_ip is not None else [])]
    private: set[str] = set(learned)
    for text in given:
        try:
            private.add(str(ipaddress.ip_address(text)))
        except ValueError as exc:
            raise InputError(f"{text!r} is not an IP address", field="--public-ip") from exc
    first = next((a for a in [*given, *sorted(learned)] if a in private), None)
    cc, asn, name = probe.probe_cc, probe.probe_asn, ""
    if probe.mmdb_path is not None and first is not None:
        found_cc, found_asn, name = mmdb_lookup(probe.mmdb_path, str(ipaddress.ip_address(first)))
        # Explicit settings win over the database (a user may withhold their country).
        cc = cc if cc != "ZZ" else (found_cc or "ZZ")
        asn = asn if asn != "AS0" else (found_asn or "AS0")
    resolver = system_resolver_ip()
    return VantagePoint(
        probe_cc=cc,
        probe_asn=asn,
        probe_network_name=name,
        resolver_ip=resolver if resolver not in private else "",
        private_addresses=frozenset(private),
        public_ip_unknown=not private,
    )
