"""The probe's public addresses, learned before measuring so that they can be scrubbed (audit H1).

Behind NAT the probe's sockets only know a private address, while servers (CDN and captcha
pages, "your IP is" pages) echo the public one. As OONI Probe does before a run (its iplookup),
we ask a service that sees us from outside: by default the test helper itself (``GET <helper>/ip``
on ``netvigil helper``; ``probe.ip_lookup_url`` names another one), once over IPv4 and once over
IPv6, so both public addresses are known when the network has both. The answer may be JSON
(``{"ip": "..."}``, as ``netvigil helper`` and ipify give), ``ip=...`` lines (Cloudflare's
``/cdn-cgi/trace``) or a bare address. The addresses are used to scrub and for the optional
country/ASN lookup, and never stored.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
import orjson

FAMILIES = {"IPv4": "0.0.0.0", "IPv6": "::"}  # the local address that picks a family


@dataclass(frozen=True)
class Lookup:
    """What the lookup learned; ``problem`` says why nothing was, for the run's warning."""

    addresses: frozenset[str]
    problem: str | None = None


def lookup_url(helper_url: str, configured: str | None) -> str:
    """``probe.ip_lookup_url``, else the helper's ``/ip``."""
    return configured or urljoin(helper_url if helper_url.endswith("/") else helper_url + "/", "ip")


def parse_answer(body: bytes) -> str | None:
    """The address in a lookup service's answer, normalised; None if there is none."""
    text = body.decode("utf-8", errors="replace").strip()
    candidates: list[str] = []
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        candidates += [str(value[k]) for k in ("ip", "client_ip", "address") if k in value]
    elif isinstance(value, str):
        candidates.append(value)
    candidates += [ln.removeprefix("ip=") for ln in text.splitlines() if ln.startswith("ip=")]
    candidates.append(text)
    for candidate in candidates:
        try:
            addr = ipaddress.ip_address(candidate.strip())
        except ValueError:
            continue
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(addr)
    return None


async def _ask(url: str, tls: ssl.SSLContext, timeout: float, local: str) -> str:
    transport = httpx.AsyncHTTPTransport(verify=tls, local_address=local, retries=0)
    async with httpx.AsyncClient(
        transport=transport, timeout=httpx.Timeout(timeout), trust_env=False
    ) as client:
        response = await client.get(url, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise ValueError(f"{url} answered HTTP {response.status_code}")
    found = parse_answer(response.content[:4096])
    if found is None:
        raise ValueError(f"{url} answered no address")
    return found


async def public_addresses(url: str, tls: ssl.SSLContext, timeout: float) -> Lookup:
    """Ask ``url`` over each address family; the addresses learned, or why none was."""
    results = await asyncio.gather(
        *(_ask(url, tls, timeout, local) for local in FAMILIES.values()), return_exceptions=True
    )
    found = frozenset(r for r in results if isinstance(r, str))
    if found:
        return Lookup(found)
    reasons = "; ".join(
        f"{family}: {_reason(r)}"
        for family, r in zip(FAMILIES, results, strict=True)
        if isinstance(r, BaseException)
    )
    return Lookup(frozenset(), f"cannot learn the public address from {url} ({reasons})")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return str(exc) or type(exc).__name__
