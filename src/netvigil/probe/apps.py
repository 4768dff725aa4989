"""What the messaging and Tor tests read besides the network: the catalogue, ASNs, CAs, targets.

Loaded once per run, before consent is asked and before any packet is sent, so a bad catalogue
(an endpoint that is not an address nor a name, a missing component), an unreadable IP table or
CA file, or a tor target list that does not parse stops the run with one clear error naming the
file and field. Only what the selected tests need is loaded.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from netvigil._errors import ConfigError, InputError
from netvigil.models.catalogue import Catalogue, Service, load_catalogue
from netvigil.probe.tor_targets import TorTarget, load_targets

SIGNAL_CA = Path(__file__).with_name("signal_ca.pem")
APP_TESTS = ("telegram", "whatsapp", "signal", "facebook_messenger", "tor")
# The components (and their protocols) each test measures: the catalogue must give them.
NEEDED: dict[str, tuple[tuple[str, str], ...]] = {
    "telegram": (("web", "https"), ("http", "http")),
    "whatsapp": (("endpoints", "tcp"), ("web", "https"), ("registration", "https")),
    "signal": (("backend", "https"),),
    "facebook_messenger": (("dns", "dns"), ("tcp", "tcp")),
}


@dataclass(frozen=True)
class AppContext:
    catalogue: Catalogue
    asn_of: Callable[[str], int | None] | None  # the IP table's lookup, None without one
    signal_tls: ssl.SSLContext | None
    tor_targets: tuple[TorTarget, ...] = ()

    def service(self, test: str) -> Service:
        found = self.catalogue.by_nettest(test)
        assert found is not None  # load_apps checked it
        return found


def signal_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system CAs plus Signal's own (or, in the lab, ``ca_file`` instead of Signal's)."""
    context = ssl.create_default_context()
    source = ca_file or SIGNAL_CA
    try:
        context.load_verify_locations(cafile=str(source))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"signal CA {source}: cannot load it: {exc}") from exc
    context.set_alpn_protocols(["http/1.1"])
    return context


def load_apps(
    tests: Sequence[str],
    *,
    catalogue: Path | None,
    ip_table: Path | None,
    signal_ca: Path | None,
    tor_targets: Path | None,
) -> AppContext | None:
    """The context of the app tests among ``tests`` (None when there are none)."""
    wanted = [t for t in tests if t in APP_TESTS]
    if not wanted:
        return None
    cat = load_catalogue(catalogue)
    for test in wanted:
        if test != "tor":
            _check_service(cat, test)
    asn_of = None
    if ip_table is not None:
        from netvigil.analysis.iptable import IpTable

        asn_of = IpTable.load(ip_table).asn_of
    targets: tuple[TorTarget, ...] = ()
    if "tor" in wanted:
        if tor_targets is None:
            raise InputError(
                "the tor test needs a target list",
                field="--tor-targets",
                hint="give a file in OONI's format (docs/probe.md) with --tor-targets FILE "
                "or the probe.tor_targets setting",
            )
        targets = load_targets(tor_targets)
    tls = signal_context(signal_ca) if "signal" in wanted else None
    return AppContext(cat, asn_of, tls, targets)


def _check_service(cat: Catalogue, test: str) -> None:
    service = cat.by_nettest(test)
    if service is None:
        raise InputError(
            f"the catalogue has no service measured by {test}", path=cat.source, field="services"
        )
    for component, protocol in NEEDED[test]:
        if not any(e.component == component and e.protocol == protocol for e in service.endpoints):
            raise InputError(
                f"{test} needs {protocol} endpoints for its {component!r} component",
                path=cat.source,
                field=f"services.{service.name}.endpoints",
            )
    if test == "facebook_messenger":
        unnamed = [e.host for e in service.endpoints if e.key is None]
        if unnamed:
            raise InputError(
                f"every facebook_messenger endpoint needs its OONI key (no key for {unnamed[0]})",
                path=cat.source,
                field=f"services.{service.name}.endpoints.keys",
            )
