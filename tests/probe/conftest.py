"""Servers the probe tests measure: all on 127.0.0.1, started once per session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from probe_servers import (
    CertAuthority,
    LoopThread,
    WebBehaviour,
    World,
    closed_port,
    start_dns,
    start_helper,
    start_web,
)

ZONE = {"site.test": ["127.0.0.1"], "localhost": ["127.0.0.1"], "nodata.test": []}


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    ca = CertAuthority(tmp_path_factory.mktemp("ca"))
    loop = LoopThread()
    how = WebBehaviour(public_ip="203.0.113.77", slow_seconds=0.4)
    http = loop.run(start_web("127.0.0.1", 0, how))
    https = loop.run(start_web("127.0.0.1", 0, how, ca.issue("localhost")))
    wrong = loop.run(start_web("127.0.0.1", 0, how, ca.issue("elsewhere.test")))
    expired = loop.run(start_web("127.0.0.1", 0, how, ca.issue("localhost", expired=True)))
    dns_port = closed_port()
    loop.run(start_dns("127.0.0.1", dns_port, ZONE))
    helper_port = closed_port()
    helper = start_helper("127.0.0.1", helper_port, f"127.0.0.1:{dns_port}", ca.bundle)

    def port(server: object) -> int:
        return int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

    yield World(
        http=f"http://127.0.0.1:{port(http)}",
        https=f"https://localhost:{port(https)}",
        wrong_name=f"https://localhost:{port(wrong)}",
        expired=f"https://localhost:{port(expired)}",
        dns=f"127.0.0.1:{dns_port}",
        helper_url=f"http://127.0.0.1:{helper_port}/",
        ca_bundle=ca.bundle,
        behaviour=how,
    )
    helper.should_exit = True
    loop.stop()


@pytest.fixture
def probe_env(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """The world's settings in this test's environment (the root fixture cleared NETVIGIL_*)."""
    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    return world


def repo_env(**extra: str) -> dict[str, str]:
    """The environment for a `python -m netvigil` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(extra)
    return env
