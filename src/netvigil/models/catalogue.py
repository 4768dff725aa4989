"""The service catalogue: each service once, with every name it goes by and its rule data.

One record per service (telegram, whatsapp, signal, facebook_messenger, tor, the platforms of
Access Now's STOP columns, the platforms the impact estimator costs) says what it is called on
the site, in STOP's codebook and in ``netvigil impact``; which OONI test measures it and which
summary keys of that test's ``test_keys`` the verdict reads (its **components**); and what the
test connects to (**endpoints**), its websites (domains) and the networks it answers from
(ASNs). That is data, in ``services.toml`` beside this module: the lab can map the endpoints to
its TEST-NET addresses and a deployment can update them (the ``catalogue`` setting names its own
copy) without a code change. ``docs/services.md`` describes the file.

:func:`load_catalogue` checks the file whole before anything uses it and names the service and
field of every problem.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import msgspec

from netvigil._errors import InputError, UnknownEntityError
from netvigil.models.entities import Entity

DEFAULT_PATH = Path(__file__).with_name("services.toml")

ServiceKind = Literal["messaging", "social", "video", "circumvention", "telecom"]
Reads = Literal["flag", "status", "counts"]
Protocol = Literal["dns", "tcp", "http", "https"]

_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}")


# --- the file's shape (msgspec checks types and unknown fields, naming the path of a problem) --
class _ComponentFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    key: str
    reads: Reads
    condition: str


class _EndpointFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    component: str
    protocol: Protocol
    hosts: list[str]
    ports: list[int] = []
    path: str | None = None
    # OONI's name of each host in its test_keys (facebook_<key>_reachable), parallel to hosts.
    keys: list[str] = []


class _ServiceFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    label: str
    kind: ServiceKind
    nettest: str | None = None
    spec: str | None = None
    rule_prefix: str | None = None
    dns_component: str | None = None
    stop_column: str | None = None
    impact_name: str | None = None
    aliases: list[str] = []
    mentions: str | None = None
    domains: list[str] = []
    asns: list[int] = []
    components: list[_ComponentFile] = []
    endpoints: list[_EndpointFile] = []


# --- the records the rest of netvigil reads ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Component:
    """A part of a service its test judges separately, and the summary key that says how."""

    name: str  # e.g. "tcp"; rule ids are <rule_prefix>.<name>.blocked.v1
    key: str  # the test_keys key (for ``counts``: the prefix of <key>_total / <key>_accessible)
    reads: Reads
    condition: str  # what "blocked" means, as docs/rules.md prints it


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One thing a test connects to: a lookup of ``host``, or ``protocol`` to ``host:port``."""

    component: str
    protocol: Protocol
    host: str  # a host name or an IP address
    port: int | None  # None for a DNS lookup
    path: str | None = None  # http / https: the path fetched
    key: str | None = None  # OONI's name of the host in the test's keys (b_api, stun...)

    @property
    def url(self) -> str | None:
        if self.protocol not in ("http", "https") or self.port is None:
            return None
        default = 80 if self.protocol == "http" else 443
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == default else f":{self.port}"
        return f"{self.protocol}://{host}{port}{self.path or '/'}"


@dataclass(frozen=True, slots=True)
class Service:
    name: str  # the one name: entities (service:<name>), signals, events, the site's filters
    label: str
    kind: ServiceKind
    nettest: str | None
    spec: str | None
    rule_prefix: str
    dns_component: str | None
    stop_column: str | None
    impact_name: str | None
    aliases: tuple[str, ...]
    mentions: str | None  # regex (case-insensitive) finding it in STOP's free text
    domains: tuple[str, ...]
    asns: tuple[int, ...]
    components: tuple[Component, ...]
    endpoints: tuple[Endpoint, ...]

    @property
    def entity(self) -> Entity:
        return Entity("service", self.name)

    def names(self) -> tuple[str, ...]:
        """Every spelling that means this service (name, impact name, aliases), lower case."""
        found = (self.name, self.impact_name, *self.aliases)
        return tuple(dict.fromkeys(n for n in found if n))


@dataclass(frozen=True)
class Catalogue:
    services: tuple[Service, ...]
    source: str  # the file it was read from

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services)

    def __len__(self) -> int:
        return len(self.services)

    def get(self, name: str) -> Service:
        """The service called ``name`` (any of its spellings); a clear error if there is none."""
        found = self.find(name)
        if found is None:
            known = [s.name for s in self.services]
            close = difflib.get_close_matches(name.strip().lower(), known, n=3, cutoff=0.5)
            raise UnknownEntityError("service", name, close or known)
        return found

    def find(self, name: str) -> Service | None:
        wanted = name.strip().lower()
        return next((s for s in self.services if wanted in s.names()), None)

    def by_nettest(self, test_name: str) -> Service | None:
        """The service an OONI test measures (``facebook_messenger`` -> Facebook Messenger)."""
        return next((s for s in self.services if s.nettest == test_name), None)

    @property
    def nettests(self) -> frozenset[str]:
        return frozenset(s.nettest for s in self.services if s.nettest)

    def measured(self) -> tuple[Service, ...]:
        """The services that have their own test (their verdicts are per-service signals)."""
        return tuple(s for s in self.services if s.nettest)

    def impact_names(self) -> tuple[str, ...]:
        """What ``netvigil impact --services`` accepts, sorted."""
        return tuple(sorted(s.impact_name for s in self.services if s.impact_name))

    def by_impact_name(self, name: str) -> Service | None:
        return next((s for s in self.services if s.impact_name == name), None)

    def stop_columns(self) -> dict[str, str]:
        """Service name -> its STOP ``*_affected`` column, for the services STOP has one for."""
        return {s.name: s.stop_column for s in self.services if s.stop_column}

    def mention_patterns(self) -> dict[str, str]:
        """Service name -> the regular expression that finds it in STOP's free text."""
        return {s.name: s.mentions for s in self.services if s.mentions}

    def labels(self) -> dict[str, str]:
        """Service name -> the name shown on the site."""
        return {s.name: s.label for s in self.services}

    def of_domain(self, domain: str) -> Service | None:
        """The service a website belongs to (``m.youtube.com`` -> YouTube), if any."""
        host = domain.strip().lower().rstrip(".")
        for s in self.services:
            if any(host == d or host.endswith("." + d) for d in s.domains):
                return s
        return None


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """The catalogue in ``path`` (default: the one shipped with netvigil), checked whole."""
    if path is None:
        return _default()
    return _load(Path(path))


@cache
def _default() -> Catalogue:
    return _load(DEFAULT_PATH)


def _load(path: Path) -> Catalogue:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the service catalogue: {exc}", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not TOML: {exc}", path=path) from None
    version = raw.get("version")
    if version != 1:
        raise InputError(
            f"version {version!r} is not one this netvigil reads (1)", path=path, field="version"
        )
    unknown = sorted(set(raw) - {"version", "services"})
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}", path=path, field=unknown[0])
    tables = raw.get("services")
    if not isinstance(tables, dict) or not tables:
        raise InputError("a [services.<name>] table expected", path=path, field="services")
    services = tuple(
        _service(name, _convert(table, path, f"services.{name}"), path)
        for name, table in tables.items()
    )
    _check_unique(services, path)
    return Catalogue(services, str(path))


def _convert(table: object, path: Path, where: str) -> _ServiceFile:
    try:
        return msgspec.convert(table, _ServiceFile)
    except msgspec.ValidationError as exc:
        # msgspec says "Expected `int`, got `str` - at `$.asns[0]`"
        message, _, at = str(exc).partition(" - at ")
        inside = at.strip("`").removeprefix("$")  # "" or ".asns[0]"
        raise InputError(message, path=path, field=where + inside) from None


def _service(name: str, s: _ServiceFile, path: Path) -> Service:
    def bad(field: str, message: str) -> InputError:
        return InputError(message, path=path, field=f"services.{name}.{field}")

    if not _NAME.fullmatch(name):
        raise bad("name", f"{name!r}: lower-case letters, digits and _ expected")
    components = tuple(Component(c.name, c.key, c.reads, c.condition) for c in s.components)
    parts = {c.name for c in components}
    if len(parts) != len(components):
        raise bad("components", "two components have the same name")
    if s.nettest is not None and not components:
        raise bad("components", f"the {s.nettest} test needs at least one component to judge")
    if s.dns_component is not None and s.dns_component not in parts:
        raise bad("dns_component", f"{s.dns_component!r} is not one of its components")
    endpoints: list[Endpoint] = []
    for i, group in enumerate(s.endpoints):
        where = f"endpoints[{i}]"
        if group.component not in parts:
            raise bad(f"{where}.component", f"{group.component!r} is not one of its components")
        if group.protocol == "dns" and group.ports:
            raise bad(f"{where}.ports", "a DNS lookup has no port")
        if group.protocol != "dns" and not group.ports:
            raise bad(f"{where}.ports", f"{group.protocol} needs at least one port")
        for port in group.ports:
            if not 0 < port < 65536:
                raise bad(f"{where}.ports", f"{port} is not a TCP port (1-65535)")
        if group.path is not None and not group.path.startswith("/"):
            raise bad(f"{where}.path", f"{group.path!r} must start with /")
        if not group.hosts:
            raise bad(f"{where}.hosts", "at least one host expected")
        if group.keys and len(group.keys) != len(group.hosts):
            raise bad(f"{where}.keys", "one key per host expected (or none)")
        for key in group.keys:
            if not _NAME.fullmatch(key):
                raise bad(f"{where}.keys", f"{key!r}: lower-case letters, digits and _ expected")
        for n, host in enumerate(group.hosts):
            if not _is_host(host):
                raise bad(f"{where}.hosts", f"{host!r} is neither an IP address nor a host name")
            path_ = group.path if group.protocol in ("http", "https") else None
            ports: list[int | None] = [*group.ports] or [None]
            for number in ports:
                named = group.keys[n] if group.keys else None
                endpoints.append(
                    Endpoint(group.component, group.protocol, host, number, path_, named)
                )
    for asn in s.asns:
        if not 0 < asn < 2**32:
            raise bad("asns", f"{asn} is not an AS number")
    for domain in s.domains:
        if not _HOST.fullmatch(domain):
            raise bad("domains", f"{domain!r} is not a host name")
    if s.mentions is not None:
        try:
            re.compile(s.mentions)
        except re.error as exc:
            raise bad("mentions", f"not a regular expression: {exc}") from None
    if s.stop_column is not None and not s.stop_column.endswith("_affected"):
        raise bad("stop_column", f"{s.stop_column!r}: STOP's platform columns end in _affected")
    return Service(
        name=name,
        label=s.label,
        kind=s.kind,
        nettest=s.nettest,
        spec=s.spec,
        rule_prefix=s.rule_prefix or name,
        dns_component=s.dns_component,
        stop_column=s.stop_column,
        impact_name=s.impact_name,
        aliases=tuple(a.strip().lower() for a in s.aliases),
        mentions=s.mentions,
        domains=tuple(s.domains),
        asns=tuple(s.asns),
        components=components,
        endpoints=tuple(endpoints),
    )


def _is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        # "149.154.175.500" is a mistyped address, not a name (no top-level domain is numeric)
        return bool(_HOST.fullmatch(text)) and not text.rsplit(".", 1)[-1].isdigit()


def _check_unique(services: tuple[Service, ...], path: Path) -> None:
    """No two services may share a spelling, a test, a STOP column or a rule prefix."""
    seen: dict[tuple[str, str], str] = {}
    for s in services:
        keys = [("name", n) for n in s.names()]
        keys += [("nettest", s.nettest)] if s.nettest else []
        keys += [("stop_column", s.stop_column)] if s.stop_column else []
        keys += [("rule_prefix", s.rule_prefix)] if s.nettest else []
        for key in keys:
            other = seen.setdefault(key, s.name)
            if other != s.name:
                raise InputError(
                    f"{key[0]} {key[1]!r} is used by both {other} and {s.name}",
                    path=path,
                    field=f"services.{s.name}",
                )
