"""Entities: what a signal, an event, a URL or a subscription is about, one spelling each.

An entity is ``kind:code``: ``country:HK``, ``asn:AS4760``, ``region:1473`` (IODA's region ids),
``service:telegram`` (a name of the service catalogue) or ``domain:lihkg.com``. A **scope** narrows
one down with ``/``: ``country:IR/asn:AS197207/service:tor`` is Tor as measured in one network of
Iran, which is how blocking events are named. :meth:`Entity.parse` normalises what people type
(``country:hk``, ``asn:4760``) and rejects anything else with a message saying what was expected;
``str()`` gives the one spelling that is stored, published and compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from netvigil._errors import InputError

EntityKind = Literal["country", "region", "asn", "service", "domain"]
KINDS: tuple[EntityKind, ...] = get_args(EntityKind)
# The kinds an outage signal (own volume, BGP, IODA, external series) can be about.
NETWORK_KINDS: tuple[EntityKind, ...] = ("country", "region", "asn")
SCOPE_SEPARATOR = "/"

_SERVICE = re.compile(r"[a-z0-9][a-z0-9_]*")
# A host as a URL carries it (urlsplit's hostname: lower case, IDN or punycode, IP literals): no
# separator and no space, so that a scope string always splits back into the same entities.
_DOMAIN = re.compile(r"[^\s/]+")
_EXAMPLES = {
    "country": "country:XX",
    "region": "region:<code>",
    "asn": "asn:AS<number>",
    "service": "service:<name>",
    "domain": "domain:<host>",
}


@dataclass(frozen=True, slots=True, order=True)
class Entity:
    """One entity; build it with :meth:`parse` or :meth:`of`, which check and normalise."""

    kind: EntityKind
    code: str

    @classmethod
    def parse(cls, text: str, *, kinds: Iterable[str] = KINDS) -> Entity:
        """``kind:code`` -> Entity; ``kinds`` limits what is accepted (e.g. network kinds)."""
        allowed = tuple(kinds)
        kind, sep, code = str(text).strip().partition(":")
        kind = kind.strip().lower()
        if not sep or kind not in allowed or not code.strip():
            *first, last = [_EXAMPLES.get(k, f"{k}:...") for k in allowed]
            examples = f"{', '.join(first)} or {last}" if first else last
            raise InputError(f"entity {text!r} must look like {examples}", field="entity")
        return cls.of(kind, code)

    @classmethod
    def of(cls, kind: str, code: str) -> Entity:
        """The entity of ``kind`` and ``code``, normalised; InputError when ``code`` is wrong."""
        code = str(code).strip()
        if kind == "country":
            if len(code) != 2 or not code.isascii() or not code.isalpha():
                raise InputError(f"country code {code!r} must be two letters", field="entity")
            return cls("country", code.upper())
        if kind == "asn":
            digits = code[2:] if code.upper().startswith("AS") else code
            if not digits.isascii() or not digits.isdigit():
                raise InputError(f"ASN {code!r} must look like AS12345", field="entity")
            return cls("asn", f"AS{int(digits)}")
        if kind == "region":
            if not code or SCOPE_SEPARATOR in code or any(c.isspace() for c in code):
                raise InputError(f"region code {code!r} must be one word", field="entity")
            return cls("region", code)
        if kind == "service":
            name = code.lower()
            if not _SERVICE.fullmatch(name):
                raise InputError(
                    f"service name {code!r} must be lower-case letters, digits and _",
                    field="entity",
                )
            return cls("service", name)
        if kind == "domain":
            host = code.lower().rstrip(".")
            if not _DOMAIN.fullmatch(host) or len(host) > 253:
                raise InputError(f"domain {code!r} must be a host name", field="entity")
            return cls("domain", host)
        raise InputError(f"entity kind {kind!r} must be one of {', '.join(KINDS)}", field="entity")

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"


def parse_scope(text: str) -> tuple[Entity, ...]:
    """``country:IR/asn:AS197207/service:tor`` -> its entities, outermost first."""
    parts = str(text).split(SCOPE_SEPARATOR)
    if not all(part.strip() for part in parts):
        raise InputError(f"scope {text!r} has an empty part", field="entity")
    return tuple(Entity.parse(part) for part in parts)


def format_scope(entities: Iterable[Entity]) -> str:
    """The stored spelling of a scope: its entities joined by ``/``."""
    return SCOPE_SEPARATOR.join(str(e) for e in entities)
