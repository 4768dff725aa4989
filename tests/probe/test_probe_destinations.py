"""The test helper and the probe cannot be pointed at internal services (security audit H2).

On c7f86ae only ``is_loopback`` was refused, so ``0.0.0.0`` and ``::ffff:127.0.0.1`` (which reach
services bound to 127.0.0.1) gave the helper's caller the status, title and headers of an
internal page and a port scan of the helper's host, and made the probe store a local service's
page. The internal service here is the world's web server on 127.0.0.1: it logs every request,
so "refused" means it saw nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rdatatype
import dns.rrset
import pytest
from probe_servers import LoopThread, World, closed_port
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.helper.control import BadControlRequest, answer, parse_request
from netvigil.probe.destinations import DestinationPolicy, parse_networks
from netvigil.probe.fetch import Network
from netvigil.probe.runner import tls_context

REFUSED = {
    "127.0.0.1": "loopback",
    "127.9.9.9": "loopback",
    "::1": "loopback",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "::ffff:127.0.0.1": "loopback (inside ::ffff:127.0.0.1)",
    "::ffff:0.0.0.0": "unspecified (inside ::ffff:0.0.0.0)",
    "::127.0.0.1": "loopback (inside ::127.0.0.1)",
    "64:ff9b::7f00:1": "loopback (inside 64:ff9b::7f00:1)",
    "2002:7f00:1::1": "loopback (inside 2002:7f00:1::1)",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",  # the cloud metadata service
    "fe80::1": "link-local",
    "fc00::1": "private",
    "224.0.0.251": "multicast",
    "ff02::1": "multicast",
    "255.255.255.255": "private",
    "240.0.0.1": "private",
    "100.64.0.1": "not public",  # carrier-grade NAT
    "192.0.2.10": "private",  # documentation (the lab's ranges)
}


# Audit H2: every internal class is refused by default, in every IPv6 wrapping.
@pytest.mark.parametrize(("ip", "why"), sorted(REFUSED.items()))
def test_h2_internal_destinations_are_refused(ip: str, why: str) -> None:
    assert DestinationPolicy().refusal(ip) == why


@pytest.mark.parametrize("ip", ["93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34"])
def test_h2_public_destinations_are_allowed(ip: str) -> None:
    assert DestinationPolicy().refusal(ip) is None


def test_h2_the_lab_allow_list_and_the_opt_ins_open_only_what_they_name() -> None:
    lab = DestinationPolicy(allow=parse_networks(["192.0.2.0/24", "198.51.100.0/24"], "x"))
    assert lab.refusal("192.0.2.10") is None and lab.refusal("::ffff:198.51.100.2") is None
    assert lab.refusal("10.10.34.35") == "private" and lab.refusal("127.0.0.1") == "loopback"
    loopback = DestinationPolicy(loopback=True)
    assert loopback.refusal("::ffff:127.0.0.1") is None
    assert loopback.refusal("0.0.0.0") == "unspecified"  # not loopback, whatever it reaches
    internal = DestinationPolicy(internal=True)  # probe.connect_internal: block pages on 10/8
    assert internal.refusal("10.10.34.35") is None and internal.refusal("fe80::1") is None
    assert internal.refusal("127.0.0.1") == "loopback" and internal.refusal("::") == "unspecified"


def _port(world: World) -> int:
    return int(world.http.rsplit(":", 1)[1])


def _helper_answer(body: dict[str, Any], net: Network | None = None) -> dict[str, Any]:
    net = net or Network(tls=tls_context(None), udp_resolver=None, tcp_timeout=2, http_timeout=2)
    result: dict[str, Any] = asyncio.run(answer(parse_request(body), net))
    return result


# Audit H2: the bypasses of the audit's reproduction, against the helper with its defaults.
@pytest.mark.parametrize("host", ["0.0.0.0", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"])
def test_h2_the_helper_fetches_and_scans_nothing_internal(world: World, host: str) -> None:
    port = _port(world)
    tag = f"/?h2-helper-{host.strip('[]').replace(':', '-')}"
    control = _helper_answer(
        {
            "http_request": f"http://{host}:{port}{tag}",
            "tcp_connect": [f"{host}:{port}", f"0.0.0.0:{port}", "169.254.169.254:80"],
        }
    )
    assert control["tcp_connect"] == {}  # no port scan of the helper's own host
    assert control["http_request"]["status_code"] == -1
    assert control["http_request"]["title"] == ""
    assert tag not in world.behaviour.requests


class _RebindingDns(asyncio.DatagramProtocol):
    """Answers ``first`` to the first query for a name and ``then`` to every later one."""

    def __init__(self, first: str, then: str) -> None:
        self.first, self.then, self.asked = first, then, 0
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.RA
        question = query.question[0]
        if question.rdtype == dns.rdatatype.A:
            ip = self.first if self.asked == 0 else self.then
            self.asked += 1
            reply.answer.append(dns.rrset.from_text_list(question.name, 0, "IN", "A", [ip]))
        self.transport.sendto(reply.to_wire(), addr)


# Audit H2: a name that resolves to a checked address and then to an internal one (DNS
# rebinding), and a redirect from an allowed server to an internal one: both are refused,
# because every hop is resolved, checked and connected to by the same address.
def test_h2_no_dns_rebinding_and_every_redirect_hop_is_checked(world: World) -> None:
    loop = LoopThread()
    try:
        dns_port = closed_port()
        protocol = _RebindingDns("127.0.0.2", "127.0.0.1")

        async def start() -> Any:
            return await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: protocol, local_addr=("127.0.0.1", dns_port)
            )

        loop.run(start())
        redirect_port = closed_port("127.0.0.2")
        internal = f"http://127.0.0.1:{_port(world)}/?h2-hop"

        async def redirector() -> Any:
            async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(
                    f"HTTP/1.1 302 Found\r\nLocation: {internal}\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n".encode()
                )
                await writer.drain()
                writer.close()

            return await asyncio.start_server(handle, "127.0.0.2", redirect_port)

        loop.run(redirector())
        # The helper may reach 127.0.0.2 (allow-listed) and nothing else internal.
        net = Network(
            tls=tls_context(None),
            udp_resolver=("127.0.0.1", dns_port),
            use_system_resolver=False,
            tcp_timeout=2,
            http_timeout=2,
            destinations=DestinationPolicy(allow=(ipaddress.ip_network("127.0.0.2/32"),)),
        )
        rebound = _helper_answer(
            {"http_request": f"http://rebind.test:{_port(world)}/?h2-rebind"}, net
        )
        assert protocol.asked >= 2  # it did answer 127.0.0.1 after the first time
        assert "/?h2-rebind" not in world.behaviour.requests
        assert all(not k.startswith("127.0.0.1") for k in rebound["tcp_connect"])
        hop = _helper_answer({"http_request": f"http://127.0.0.2:{redirect_port}/"}, net)
        assert hop["http_request"]["status_code"] == 302  # the allowed hop, and no further
        assert "/?h2-hop" not in world.behaviour.requests
    finally:
        loop.stop()


def test_h2_at_most_the_documented_number_of_endpoints() -> None:
    endpoints = [f"93.184.216.{i}:80" for i in range(33)]
    with pytest.raises(BadControlRequest, match="at most 32"):
        parse_request({"http_request": "http://example.org/", "tcp_connect": endpoints})


# Audit H2 (probe): the same bypasses made the probe store a local service's page.
def test_h2_the_probe_refuses_internal_destinations_by_default(
    world: World, tmp_path: Path
) -> None:
    port = _port(world)
    urls = [f"http://0.0.0.0:{port}/?h2-probe-a", f"http://[::ffff:127.0.0.1]:{port}/?h2-probe-b"]
    out = tmp_path / "m.jsonl"
    helper = f"http://127.0.0.1:{closed_port()}/"  # no helper: only the probe could fetch
    env = world.env(NETVIGIL_PROBE__CONNECT_LOOPBACK="false", NETVIGIL_PROBE__HELPER_URL=helper)
    result = CliRunner().invoke(
        app, ["probe", "--yes", "--no-progress", "-o", str(out), *urls], env=env
    )
    assert result.exit_code == 0, result.output
    measurements = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(measurements) == 2
    for m in measurements:
        assert m["test_keys"]["tcp_connect"] == [] and m["test_keys"]["requests"] == []
    assert not [r for r in world.behaviour.requests if r.startswith("/?h2-probe")]
