"""Serving an ASGI app (the tracker, the test helper) on a socket bound before we say so.

Why not ``uvicorn.run(host=..., port=...)``: it binds inside the server, so a command printed
"listening on ..." and only then failed on a busy port (reader review). Here the socket is bound
first and a failure is one clear error (exit 3).

Why the protocol subclass: uvicorn has no deadline for reading a request's head or body, so a
client trickling a header byte every few seconds held a connection forever (security audit L3,
slowloris). :class:`DeadlineHttp` closes a connection whose request head is not complete
``HEAD_TIMEOUT`` seconds after its first byte (or after the connection opened), or whose body is
not complete ``BODY_TIMEOUT`` seconds after its head; idle keep-alive connections close after
``KEEP_ALIVE`` seconds (uvicorn's own timer) and at most ``limit_concurrency`` connections are
served at once (the rest get 503).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from netvigil._errors import EnvironmentProblem

HEAD_TIMEOUT = 10.0  # s from a request's first byte (or the connection) to its last header
BODY_TIMEOUT = 60.0  # s from its head to the end of its body (a 10 MB upload on a slow link)
KEEP_ALIVE = 5  # s an idle keep-alive connection stays open


class DeadlineHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines on reading a request (see the module doc)."""

    _deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEAD_TIMEOUT)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(HEAD_TIMEOUT)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(BODY_TIMEOUT)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; EnvironmentProblem (exit 3) if it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise EnvironmentProblem(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="is another server using this port? choose another with --port",
        ) from exc
    sock.set_inheritable(True)
    return sock


def serve(
    app: Any,
    sock: socket.socket,
    *,
    workers: int = 1,
    limit_concurrency: int = 1000,
    **options: Any,
) -> None:
    """Run ``app`` (an ASGI app, or an import string with ``factory=True`` for several
    ``workers``) on the bound ``sock`` until Ctrl-C."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        app,
        http=DeadlineHttp,
        workers=workers,
        timeout_keep_alive=KEEP_ALIVE,
        limit_concurrency=limit_concurrency,
        log_level="warning",
        **options,
    )
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            config.load_app()
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
