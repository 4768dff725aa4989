"""The webhook channel: Alertmanager's v4 JSON POSTed to the subscriber's URL.

Headers: ``Content-Type: application/json``, ``X-Netvigil-Delivery`` (the delivery's id: the same
on every retry, so a receiver can drop a repeat), and, when the subscription has a secret,
``X-Netvigil-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the exact body under that secret
(GitHub's scheme: compare it in constant time). The host is resolved and checked at each attempt
and the connection goes to the checked address (:mod:`netvigil.notify.destinations`); redirects
are not followed. A 2xx answer delivers; 408, 429 and 5xx answers and network errors are retried;
other 4xx answers fail for good (the receiver refuses it; retrying would not change that).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING

import httpx
import orjson

from netvigil import __version__
from netvigil._errors import InputError
from netvigil.notify.channels import DeliveryError
from netvigil.notify.destinations import Network, parse_target, resolve

if TYPE_CHECKING:
    from netvigil.notify.deliveries import Job

SIGNATURE_HEADER = "X-Netvigil-Signature-256"
DELIVERY_HEADER = "X-Netvigil-Delivery"
RETRIED = frozenset({408, 425, 429})


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(job: Job) -> bytes:
    return orjson.dumps(job.notification)


class Webhook:
    def __init__(self, *, allow: Sequence[Network], timeout: float = 10.0) -> None:
        self.allow = tuple(allow)
        self.timeout = timeout

    async def send(self, job: Job) -> None:
        try:
            target = parse_target(job.target or "")
            address = await resolve(target, self.allow)
        except InputError as exc:
            # A host that now resolves to an internal address stays refused; one that does not
            # resolve at the moment may come back.
            raise DeliveryError(exc.message, permanent="internal" in exc.message) from None
        body = body_of(job)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"netvigil/{__version__}",
            DELIVERY_HEADER: job.key,
            "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
        }
        if job.secret:
            headers[SIGNATURE_HEADER] = signature(job.secret, body)
        literal = f"[{address}]" if address.version == 6 else str(address)
        url = f"{target.scheme}://{literal}:{target.port}{target.path}"
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                response = await client.post(
                    url, content=body, headers=headers, extensions=extensions
                )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{target.host}: {type(exc).__name__}: {exc}") from None
        if 200 <= response.status_code < 300:
            return
        code = response.status_code
        permanent = 400 <= code < 500 and code not in RETRIED
        raise DeliveryError(f"{target.host} answered HTTP {code}", permanent=permanent)
