"""Probe throughput on loopback (no lab, no root): the 1,000-URL mix of issue 2, locally.

80% reachable pages, 10% blackholed (SYNs dropped: a full backlog), 10% reset after the request,
spread over 250 loopback addresses (127.0.0.x / 127.0.1.x) so the per-host cap acts as on real
lists. The helper is ``python -m netvigil helper`` in its own process, as in the lab. Prints the
URLs/s at default concurrency, at concurrency 1 (sequential, as OONI Probe runs) on the first 100
URLs of the same mix, the speed-up and peak RSS. The lab version is bench/probe_throughput.py.

    python bench/probe_loopback.py [--urls 1000] [--sequential 100] [--tcp-timeout 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from netvigil._settings import ProbeSettings
from netvigil.probe.inputs import Target
from netvigil.probe.nettest import VantagePoint
from netvigil.probe.nettests import nettest
from netvigil.probe.runner import run_probe
from netvigil.probe.spool import Spool

PAGE = b"<html><head><title>bench</title></head><body>" + b"x" * 2000 + b"</body></html>"
OK_HOSTS = [f"127.0.0.{i}" for i in range(1, 201)]
RESET_HOSTS = [f"127.0.1.{i}" for i in range(1, 26)]
HOLE_HOSTS = [f"127.0.2.{i}" for i in range(1, 26)]
PORT = 18480


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
        return
    host = writer.get_extra_info("sockname")[0]
    if host in RESET_HOSTS:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01" + b"\x00" * 7)
        writer.transport.abort()
        return
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(PAGE)}\r\nConnection: close\r\n\r\n"
    writer.write(head.encode() + PAGE)
    try:
        await writer.drain()
    finally:
        writer.close()


def serve() -> list[socket.socket]:
    """Web servers on the reachable and reset hosts; full-backlog listeners on the holes."""
    loop = asyncio.new_event_loop()
    started = threading.Event()

    async def main() -> None:
        await asyncio.start_server(handle, OK_HOSTS + RESET_HOSTS, PORT, backlog=1024)
        started.set()

    threading.Thread(
        target=lambda: (loop.run_until_complete(main()), loop.run_forever()), daemon=True
    ).start()
    started.wait(10)
    keep: list[socket.socket] = []
    for host in HOLE_HOSTS:
        listener = socket.socket()
        listener.bind((host, PORT))
        listener.listen(0)
        keep += [listener, socket.create_connection((host, PORT))]
    return keep


def urls(n: int) -> list[Target]:
    out = []
    for i in range(n):
        kind = i % 10
        hosts = HOLE_HOSTS if kind == 8 else RESET_HOSTS if kind == 9 else OK_HOSTS
        out.append(Target(f"http://{hosts[i % len(hosts)]}:{PORT}/page/{i}"))
    return out


def run(targets: list[Target], probe: ProbeSettings, concurrency: int, spool: Path) -> float:
    start = time.perf_counter()
    s = Spool(spool)
    try:
        web = [nettest("web_connectivity")]
        asyncio.run(run_probe(web, targets, probe, VantagePoint(), s, {}, concurrency))
    finally:
        s.close()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=1000)
    ap.add_argument("--sequential", type=int, default=100)
    ap.add_argument("--tcp-timeout", type=float, default=ProbeSettings().tcp_timeout)
    args = ap.parse_args()
    keep = serve()
    helper_port = 18481
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    helper = subprocess.Popen(
        [sys.executable, "-m", "netvigil", "helper", "--port", str(helper_port)],
        env=env
        | {
            "NETVIGIL_PROBE__TCP_TIMEOUT": str(args.tcp_timeout),
            "NETVIGIL_HELPER__CONNECT_LOOPBACK": "true",  # its servers are on 127.0.0.1
        },
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{helper_port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        probe = ProbeSettings(
            helper_url=f"http://127.0.0.1:{helper_port}/",
            resolver="127.0.0.1:9",  # nothing answers: the extra UDP lookup must not slow us
            tcp_timeout=args.tcp_timeout,
            connect_loopback=True,  # the benchmark's servers are on 127.0.0.0/8
        )
        with tempfile.TemporaryDirectory() as tmp:
            targets = urls(args.urls)
            t_all = run(targets, probe, probe.concurrency, Path(tmp) / "all.jsonl")
            lines = (Path(tmp) / "all.jsonl").read_text().count("\n")
            t_seq = run(targets[: args.sequential], probe, 1, Path(tmp) / "seq.jsonl")
        rate_all, rate_seq = len(targets) / t_all, args.sequential / t_seq
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"cpus: {os.cpu_count()}  tcp_timeout: {args.tcp_timeout}s")
        print(
            f"concurrency {probe.concurrency}: {len(targets)} URLs in {t_all:.1f} s "
            f"= {rate_all:.1f} URLs/s ({lines} measurements written)"
        )
        print(f"concurrency 1: {args.sequential} URLs in {t_seq:.1f} s = {rate_seq:.2f} URLs/s")
        print(f"speed-up: {rate_all / rate_seq:.1f}x   peak RSS: {rss:.0f} MiB")
    finally:
        helper.terminate()
        helper.wait(10)
        for s in keep:
            s.close()


if __name__ == "__main__":
    main()
