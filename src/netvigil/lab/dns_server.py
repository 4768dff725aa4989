"""The lab's DNS servers: a clean resolver serving the lab zone, and the censor's lying resolver.

    ip netns exec NS python -m netvigil.lab.dns_server --config dns.json --listen IP:53 [--lie]

Why our own small server rather than a real one (unbound, bind, dnsmasq): none is installed here,
the lab must start in a fraction of a second with a zone generated per run, and the lying mode
needs per-name answers chosen by the scenario. dnspython does all the wire-format work; this module
only chooses answers. It speaks UDP and TCP (RFC 7766 framing), A and AAAA (no IPv6 in the lab:
AAAA is always an empty NOERROR for an existing name), and answers NXDOMAIN outside the zone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path
from typing import cast

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TTL = 60


class Answers:
    """Chooses the answer to a query: the zone's truth, or (``lie``) the censor's table first."""

    def __init__(
        self, zone: dict[str, list[str]], lies: dict[str, list[str] | None], lie: bool
    ) -> None:
        self.zone = {k.lower().rstrip("."): v for k, v in zone.items()}
        self.lies = {k.lower().rstrip("."): v for k, v in lies.items()} if lie else {}

    def respond(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # malformed packets are dropped, as a real server would
            return None
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.RA
        if not query.question:
            reply.set_rcode(dns.rcode.FORMERR)
            return reply.to_wire()
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        if name in self.lies:
            addresses = self.lies[name]
        elif name in self.zone:
            addresses = self.zone[name]
        else:
            addresses = None
        if addresses is None:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A and addresses:
            reply.answer.append(
                dns.rrset.from_text_list(
                    question.name, TTL, dns.rdataclass.IN, dns.rdatatype.A, addresses
                )
            )
        return reply.to_wire()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        out = self.answers.respond(data)
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)


async def _tcp_client(
    answers: Answers, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            size = int.from_bytes(await reader.readexactly(2), "big")
            out = answers.respond(await reader.readexactly(size))
            if out is None:
                break
            writer.write(len(out).to_bytes(2, "big") + out)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(answers: Answers, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Udp(answers), local_addr=(host, port)
    )
    server = await asyncio.start_server(lambda r, w: _tcp_client(answers, r, w), host, port)
    await stop.wait()
    transport.close()
    server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m netvigil.lab.dns_server")
    parser.add_argument("--config", type=Path, required=True, help="JSON with zone and lies")
    parser.add_argument("--listen", required=True, help="IP:PORT")
    parser.add_argument("--lie", action="store_true", help="answer the censor's lies first")
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text(encoding="utf-8"))
    host, _, port = args.listen.rpartition(":")
    asyncio.run(serve(Answers(config["zone"], config["lies"], args.lie), host, int(port)))


if __name__ == "__main__":
    main()
