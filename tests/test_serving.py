"""The two servers (tracker, test helper): a busy port and slow clients (audit L3, reader review).

On c7f86ae ``netvigil serve`` printed "netvigil tracker on http://..." and then failed on a busy
port, and both servers kept a connection that trickled its request head (slowloris) or never
sent its announced body for as long as the client liked. The deadlines are shortened here so
that the test waits on the server closing the connection (an observable state), not on a clock.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from netvigil.cli import _serving
from netvigil.cli.main import app as cli
from netvigil.helper.server import HelperApp
from netvigil.probe.fetch import Network
from netvigil.probe.runner import tls_context


@pytest.fixture
def busy_port() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


# Reader review: "If the port is in use it first prints 'netvigil tracker on http://...'".
@pytest.mark.parametrize("command", ["serve", "helper"])
def test_a_busy_port_is_one_clear_error_before_any_listening_line(
    busy_port: int, command: str, tmp_path: Path
) -> None:
    args = [command, "--port", str(busy_port)]
    result = CliRunner().invoke(cli, args, env={"NETVIGIL_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 3
    assert f"cannot listen on 127.0.0.1:{busy_port}: Address already in use" in result.output
    assert "tracker on" not in result.output and "listening" not in result.output


@pytest.fixture
def helper_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    monkeypatch.setattr(_serving, "HEAD_TIMEOUT", 1.0)
    monkeypatch.setattr(_serving, "BODY_TIMEOUT", 1.0)
    sock = _serving.bind("127.0.0.1", 0)
    net = Network(tls=tls_context(None), udp_resolver=None)
    config = uvicorn.Config(HelperApp(net), http=_serving.DeadlineHttp, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()

    def started() -> None:
        while not server.started:
            threading.Event().wait(0.01)
        ready.set()

    threading.Thread(target=started, daemon=True).start()
    assert ready.wait(30)
    yield sock.getsockname()
    server.should_exit = True
    thread.join(30)


def _closed_by_server(address: Any, sent: bytes) -> bytes:
    """Send ``sent``, then read until the server closes the connection; what it answered."""
    with socket.create_connection(address, timeout=30) as conn:  # 30 s: only a hung test
        conn.sendall(sent)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
        return answer


# Audit L3: a request head trickled forever held the connection forever.
def test_l3_a_slow_request_head_is_cut_off(helper_server: tuple[str, int]) -> None:
    assert _closed_by_server(helper_server, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ") == b""


# Audit L3: a body announced and never sent held the connection (helper: Content-Length 10^12).
def test_l3_a_body_that_never_comes_is_cut_off(helper_server: tuple[str, int]) -> None:
    head = b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a"'
    assert _closed_by_server(helper_server, head) == b""
    huge = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\nhello"
    answer = _closed_by_server(helper_server, huge)
    assert answer.startswith(b"HTTP/1.1 413")


def test_l3_a_normal_request_is_answered(helper_server: tuple[str, int]) -> None:
    answer = _closed_by_server(
        helper_server, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200") and b"netvigil test helper" in answer
