"""The helper's HTTP server: a tiny ASGI app served by uvicorn.

POST ``/`` with a control request returns the answer as JSON; ``GET /`` says what this is and
``GET /ip`` gives the caller's address (a probe's public address, for scrubbing). Bad
requests get a 400 with ``{"error": ...}`` (never a traceback); bodies are capped at 64 KiB.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from netvigil.helper.control import AsnLookup, BadControlRequest, answer, parse_request
from netvigil.probe.fetch import Network

MAX_REQUEST_BYTES = 64 * 1024

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class HelperApp:
    """ASGI application answering OONI's test-helper protocol."""

    def __init__(self, net: Network, asn_of: AsnLookup | None = None) -> None:
        self.net = net
        self.asn_of = asn_of  # ip_info's ASNs (OONI's helper: its GeoIP database), else 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] == "GET" and scope.get("path") == "/ip":
            # The caller's address as seen from here: a probe learns its public address before
            # measuring, to scrub it from what it stores (netvigil.probe.iplookup).
            await _reply(send, 200, {"ip": client_address(scope)})
            return
        if scope["method"] == "GET":
            await _reply(send, 200, {"service": "netvigil test helper", "protocol": "oohelperd"})
            return
        if scope["method"] != "POST":
            await _reply(send, 405, {"error": "use POST / with a control request"})
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > MAX_REQUEST_BYTES:
            # Refused at once: a client announcing 10^12 bytes and sending five was held open
            # waiting for the rest (security audit L3).
            await _reply(send, 413, {"error": f"request larger than {MAX_REQUEST_BYTES} bytes"})
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body.extend(message.get("body", b""))
            more = bool(message.get("more_body"))
            if len(body) > MAX_REQUEST_BYTES:
                await _reply(send, 413, {"error": f"request larger than {MAX_REQUEST_BYTES} bytes"})
                return
        try:
            request = parse_request(orjson.loads(bytes(body)))
        except orjson.JSONDecodeError:
            await _reply(send, 400, {"error": "the body is not JSON"})
            return
        except BadControlRequest as exc:
            await _reply(send, 400, {"error": str(exc)})
            return
        await _reply(send, 200, await answer(request, self.net, self.asn_of))


def client_address(scope: Scope) -> str | None:
    """The peer's address (an IPv4-mapped one as IPv4, as a dual-stack socket reports it)."""
    client = scope.get("client")
    if not client:
        return None
    host = str(client[0])
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host
    mapped = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
    return str(mapped or addr)


async def _reply(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = orjson.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
