"""The lab's web server: every site of the lab zone, the block page and the transparent proxy.

    ip netns exec NS python -m netvigil.lab.web_server --config web.json --port 443 \
        --cert chain.pem --key key.pem

One uvicorn process per port, bound to 0.0.0.0 in the servers namespace, where whole TEST-NET
ranges are routed locally: so any lab address is a live web host. What it serves depends on the
address the client reached (the block page addresses serve the block page, whatever the name)
and otherwise on the Host header (a site's page, a large file, or a redirect). A name it does not
know gets the default page, which is also what the proxy address serves for every name.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LARGE_BYTES = 4 << 20  # the large file: enough that a throttled link cannot deliver it in time
_CHUNK = 64 << 10


def default_page(host: str) -> bytes:
    """A page shaped like OONI's QA 'Default Web Page' (about 1.5 kB)."""
    para = (
        "<p>This domain is for use in illustrative examples in documents. You may use this "
        "domain in literature without prior coordination or asking for permission.</p>\n"
    )
    return (
        "<!doctype html>\n<html>\n<head>\n<title>Default Web Page</title>\n"
        '<meta charset="utf-8" />\n<meta name="viewport" content="width=device-width" />\n'
        "</head>\n<body>\n<div>\n<h1>Default Web Page</h1>\n"
        + para * 5
        + f"<p>Served in the netvigil lab for {host}.</p>\n</div>\n</body>\n</html>\n"
    ).encode()


def captcha_page() -> bytes:
    """A CDN's "checking your browser" page (about 8 kB, like OONI's QA one)."""
    filler = "<!-- challenge data " + "x" * 60 + " -->\n"
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<title>Attention Required!</title>\n</head>\n<body>\n"
        "<h1>Please complete the security check to access the site</h1>\n"
        + filler * 100
        + "</body>\n</html>\n"
    ).encode()


class LabSites:
    """The ASGI application."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.sites: dict[str, dict[str, Any]] = config["sites"]
        self.block_addresses = set(config["block_page_addresses"])
        self.block_page = config["block_page_html"].encode()
        self.challenged = ipaddress.ip_network(config.get("challenged_network", "192.0.2.0/26"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").rsplit(":", 1)[0].lower()
        local = (scope.get("server") or ("", 0))[0]
        site = self.sites.get(host, {"content": "page", "redirect_to": None})
        if local in self.block_addresses:
            await _reply(send, 200, self.block_page)
        elif site.get("redirect_to") and (
            site["content"] != "client-redirect" or self._challenged(scope)
        ):
            await _reply(send, 302, b"", [(b"location", site["redirect_to"].encode())])
        elif site["content"] == "chain" and scope["path"].startswith("/redirect/"):
            # httpbin's /redirect/N: N more redirects before the page.
            left = int(scope["path"].rsplit("/", 1)[1] or 0)
            location = f"/redirect/{left - 1}" if left > 1 else "/"
            await _reply(send, 302, b"", [(b"location", location.encode())])
        elif site["content"] == "captcha":
            # Like a CDN challenging a network it distrusts: the client's network gets a 503
            # CAPTCHA page, everyone else (the test helper) the site; same CDN headers for both.
            cdn = [(b"alt-svc", b'h3=":443"'), (b"cf-ray", b"68013f3b0c7d498b-LAB")]
            if self._challenged(scope):
                await _reply(send, 503, captcha_page(), cdn)
            else:
                await _reply(send, 200, default_page(host), cdn)
        elif site["content"] == "large":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/octet-stream"),
                        (b"content-length", str(LARGE_BYTES).encode()),
                    ],
                }
            )
            chunk = b"\x00" * _CHUNK
            for _ in range(LARGE_BYTES // _CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        else:
            # Like the web servers of OONI's QA (netem), real sites send an uncommon header the
            # block page lacks, so OONI's headers_match can tell them apart.
            await _reply(send, 200, default_page(host), [(b"alt-svc", b'h3=":443"')])

    def _challenged(self, scope: Scope) -> bool:
        """Whether the request comes from the client's network (not the test helper's)."""
        client = (scope.get("client") or ("", 0))[0]
        return ipaddress.ip_address(client or "0.0.0.0") in self.challenged


async def _reply(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


BLOCK_PAGE_PORT = 8081  # the servers namespace REDIRECTs :80 of the block page addresses here


async def serve_block_page(port: int, html: bytes) -> None:
    """A censor's block page, answered the way middleboxes inject them.

    Not uvicorn: an injected block page carries no server headers at all (OONI's QA block page
    has none), just a status line, a content type and a body delimited by closing the
    connection; a web framework would add Date, Server and Content-Length.
    """
    import asyncio

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html)
            await writer.drain()
        except (
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
        ):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "0.0.0.0", port, backlog=1024)
    async with server:
        await server.serve_forever()


HANG_UP_PORT = 8090  # the servers namespace REDIRECTs every port of the hang-up address here


async def serve_hang_up(port: int) -> None:
    """A middlebox that lets the connection open, reads what the client sends, then hangs up.

    The client sees a clean FIN after its request or ClientHello: OONI's ``eof_error``. Not a
    web server on purpose: it never answers.
    """
    import asyncio

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.read(1 << 16), 10)
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(hang_up, "0.0.0.0", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m netvigil.lab.web_server")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", type=Path, help="certificate chain (serve TLS)")
    parser.add_argument("--key", type=Path)
    parser.add_argument("--block-page", action="store_true", help="serve only the block page")
    parser.add_argument("--hang-up", action="store_true", help="read, then close (EOF)")
    args = parser.parse_args(argv)
    if args.hang_up:
        import asyncio
        import contextlib

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_hang_up(args.port))
        return
    config = json.loads(args.config.read_text(encoding="utf-8"))
    if args.block_page:
        import asyncio
        import contextlib

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_block_page(args.port, config["block_page_html"].encode()))
        return
    app = LabSites(config)
    uvicorn.run(
        app,
        host="0.0.0.0",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
        timeout_keep_alive=5,
        ssl_certfile=str(args.cert) if args.cert else None,
        ssl_keyfile=str(args.key) if args.key else None,
    )


if __name__ == "__main__":
    main()
