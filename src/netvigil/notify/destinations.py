"""Where a webhook may be sent: never to this host or an internal network unless allow-listed.

A webhook URL is chosen by a subscriber, so the notifier must not become a way to reach services
behind it (the security audit's H2 on the test helper is the same threat). The rule:

- ``http`` or ``https``, a host, no credentials in the URL, a valid port;
- every address the host resolves to must be **global** (not loopback, unspecified, private,
  link-local such as 169.254.169.254, shared, multicast, reserved or documentation space; an
  IPv4-mapped IPv6 address is judged as the IPv4 address it carries), or inside a network of the
  ``notify.webhook_allow`` setting (``127.0.0.1/32`` for a receiver on this host);
- at send time the host is resolved again, checked again, and the connection goes to the checked
  address (no window for DNS rebinding between the check and the connection); redirects are not
  followed.

The standard library's ``ipaddress`` decides what is global; no maintained Python library does
this check over httpx's connection (the ones that exist wrap ``requests``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from netvigil._errors import InputError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_URL = 2000


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (lower case), for the Host header and TLS
    port: int
    path: str  # path and query


def allow_networks(allow: Iterable[str]) -> tuple[Network, ...]:
    out = []
    for text in allow:
        try:
            out.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise InputError(
                f"{text!r} is not a network such as 127.0.0.1/32", field="notify.webhook_allow"
            ) from None
    return tuple(out)


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and not address.is_reserved


def allowed(address: Address, allow: Sequence[Network]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return is_public(address) or any(address in net for net in allow)


def parse_target(url: str) -> Target:
    """The URL's parts, or an InputError (field ``url``) saying what is wrong with it."""
    text = (url or "").strip()
    if not text:
        raise InputError("a webhook needs a URL", field="url")
    if len(text) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in text):
        raise InputError("the webhook URL is too long or contains spaces", field="url")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise InputError(
            f"the webhook URL must start with https:// or http://: {text!r}", field="url"
        )
    if parts.username is not None or parts.password is not None:
        raise InputError(
            "the webhook URL must not carry credentials; use the subscription's HMAC secret",
            field="url",
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InputError(f"the webhook URL's port is not valid: {text!r}", field="url") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise InputError(f"the webhook URL has no host: {text!r}", field="url")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path)


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _refuse(target: Target, address: Address) -> InputError:
    return InputError(
        f"the webhook host {target.host} is {address}, an internal or non-public address: "
        "webhooks are never sent to this host or internal networks",
        field="url",
        hint="allow it explicitly with the notify.webhook_allow setting (e.g. 127.0.0.1/32)",
    )


def check_addresses(
    target: Target, addresses: Iterable[Address], allow: Sequence[Network]
) -> Address:
    """The first address, once every one is allowed (a name answering one public and one
    internal address is refused as a whole)."""
    found = list(addresses)
    if not found:
        raise InputError(f"the webhook host {target.host} does not resolve", field="url")
    for address in found:
        if not allowed(address, allow):
            raise _refuse(target, address)
    return found[0]


def _addresses(infos: Iterable[tuple[object, ...]]) -> list[Address]:
    out: list[Address] = []
    for info in infos:
        sockaddr = info[4]
        assert isinstance(sockaddr, tuple)
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in out:
            out.append(address)
    return out


def check_url(url: str, allow: Sequence[Network]) -> Target:
    """Checked when a subscription is made (blocking DNS lookup)."""
    target = parse_target(url)
    literal = _literal(target.host)
    if literal is not None:
        check_addresses(target, [literal], allow)
        return target
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise InputError(f"the webhook host {target.host} does not resolve", field="url") from None
    check_addresses(target, _addresses(infos), allow)
    return target


async def resolve(target: Target, allow: Sequence[Network]) -> Address:
    """Checked again at send time; the connection goes to the address returned."""
    literal = _literal(target.host)
    if literal is not None:
        return check_addresses(target, [literal], allow)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise InputError(f"the webhook host {target.host} does not resolve", field="url") from None
    return check_addresses(target, _addresses(infos), allow)
