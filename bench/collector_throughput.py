"""Collector throughput: measurements/s accepted durably, latency at a fixed rate, peak RSS.

Starts ``netvigil collector`` (uvicorn on 127.0.0.1, a fresh data dir, rate limits off) and
submits ~18 KB OONI measurements (netvigil.ingest.synthetic: the real fixtures' test_keys under
new envelopes, reports opened at the collector) over keep-alive HTTP/1.1 connections with a
minimal asyncio client (so that the client's own CPU stays small on a 2-core machine):

1. **accepted durably**: N submissions as fast as C connections allow; every 200 comes after
   the fsync of the intake journal that covers it. Printed: measurements/s and MB/s, from the
   first request to the last answer; then how long the drainer took to have all of them in the
   store (raw, observations, verdicts), i.e. the sustained end-to-end rate.
2. **latency at a fixed rate**: an open-loop schedule of R submissions/s for S seconds (each
   latency is counted from its scheduled send time, so a stalled server cannot hide queueing).
3. **peak RSS** of the collector process and of its drainer process (VmHWM).

    python bench/collector_throughput.py                 # 20,000 measurements, 500/s x 20 s
    python bench/collector_throughput.py --quick         # 4,000 measurements, 500/s x 6 s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data" / "ooni"
sys.path.insert(0, str(REPO / "src"))

from netvigil.ingest import synthetic  # noqa: E402


def templates() -> list[synthetic.Template]:
    found = sorted(SHARED.glob("probecli_minipipeline/*/*/measurement.json"))
    measurements = []
    for path in found:
        try:
            measurements.append(json.loads(path.read_bytes()))
        except ValueError:
            continue
    return synthetic.templates_of(measurements)


def test_list_urls() -> list[str]:
    import csv

    with open(SHARED / "test-lists" / "global.csv", encoding="utf-8") as fh:
        return [row["url"] for row in csv.DictReader(fh)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Connection:
    """One keep-alive HTTP/1.1 connection: a request at a time, Content-Length bodies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length = 0
        for line in raw.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def open_reports(port: int, lines: list[dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    conn = await Connection.open(port)
    reports: dict[tuple[str, str, str], str] = {}
    for m in lines:
        key = (m["test_name"], m["probe_cc"], m["probe_asn"])
        if key in reports:
            continue
        body = {
            "probe_cc": key[1],
            "probe_asn": key[2],
            "test_name": key[0],
            "software_name": "bench",
            "software_version": "0.1.0",
            "test_version": str(m.get("test_version") or "0.0.1"),
            "data_format_version": "0.2.0",
            "format": "json",
        }
        status, answer = await conn.post("/report", orjson.dumps(body))
        if status != 200:
            raise SystemExit(f"open report: {status} {answer[:200]!r}")
        reports[key] = orjson.loads(answer)["report_id"]
    conn.close()
    return reports


def requests_for(port: int, count: int, seed: int) -> list[tuple[str, bytes]]:
    """(path, body) of ``count`` submissions with report ids the collector issued."""
    parsed = [
        orjson.loads(line)
        for line in synthetic.lines(templates(), test_list_urls(), count, seed=seed)
    ]
    reports = asyncio.run(open_reports(port, parsed))
    out = []
    for m in parsed:
        m["report_id"] = reports[(m["test_name"], m["probe_cc"], m["probe_asn"])]
        content = orjson.dumps(m)
        out.append((f"/report/{m['report_id']}", b'{"format":"json","content":' + content + b"}"))
    return out


async def flood(port: int, requests: list[tuple[str, bytes]], connections: int) -> float:
    """Send everything as fast as ``connections`` allow; returns seconds to the last 200."""
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    conns = [await Connection.open(port) for _ in range(connections)]
    failures: list[str] = []

    async def worker(conn: Connection) -> None:
        while not queue.empty():
            path, body = queue.get_nowait()
            status, answer = await conn.post(path, body)
            if status != 200:
                failures.append(f"{status} {answer[:200]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    seconds = time.perf_counter() - started
    for conn in conns:
        conn.close()
    if failures:
        raise SystemExit(f"{len(failures)} submissions failed, first: {failures[0]}")
    return seconds


async def paced(
    port: int, requests: list[tuple[str, bytes]], rate: float, connections: int
) -> list[float]:
    """Open loop at ``rate`` per second; latency of each from its scheduled time."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await Connection.open(port))
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2

    async def one(when: float, path: str, body: bytes) -> None:
        conn = await idle.get()
        status, answer = await conn.post(path, body)
        latencies.append(loop.time() - when)
        idle.put_nowait(conn)
        if status != 200:
            raise SystemExit(f"submission failed: {status} {answer[:200]!r}")

    tasks = []
    for i, (path, body) in enumerate(requests):
        when = start + i / rate
        delay = when - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(when, path, body)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait().close()
    return latencies


def stored_rows(store: Path) -> int:
    try:
        text = (store / "_commits.jsonl").read_bytes()
    except FileNotFoundError:
        return 0
    total = 0
    for line in text.splitlines():
        try:
            total += int(orjson.loads(line).get("rows", {}).get("raw", 0))
        except ValueError:
            continue
    return total


def cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def drainer_pid(journal: Path) -> int | None:
    """The drainer's pid, which it writes into the journal's drain.lock."""
    try:
        return int((journal / "drain.lock").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (its children not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            out[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def family(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    out = [pid]
    for child in children(pid):
        out += family(child)
    return out


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the collector exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)


def wait_stored(store: Path, count: int, proc: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    while stored_rows(store) < count:
        if proc.poll() is not None:
            raise SystemExit("the collector died while draining")
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measurements", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1, help="collector server processes")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.measurements, args.seconds = 4_000, 6.0
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    work = Path(tempfile.mkdtemp(prefix="nv-collector-bench-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(
        NETVIGIL_DATA_DIR=str(work),
        NETVIGIL_COLLECTOR__RATE_LIMIT_SUBMIT="",
        NETVIGIL_COLLECTOR__RATE_LIMIT_CHECK_IN="",
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netvigil",
            "collector",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        cwd=work,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, proc)
        flood_requests = requests_for(port, args.measurements, seed=1)
        paced_count = int(args.rate * args.seconds)
        paced_requests = requests_for(port, paced_count, seed=2)
        size = sum(len(b) for _, b in flood_requests) / len(flood_requests)
        print(
            f"{len(flood_requests)} measurements, {size / 1000:.1f} KB average body, "
            f"collector --workers {args.workers}, load average before: {os.getloadavg()[0]:.2f}"
        )
        pids = family(proc.pid)
        before, mine = cpu_of(pids), time.process_time()
        seconds = asyncio.run(flood(port, flood_requests, args.connections))
        after, mine = cpu_of(pids), time.process_time() - mine
        rate = len(flood_requests) / seconds
        used = {pid: after.get(pid, 0) - before.get(pid, 0) for pid in pids}
        drainer = drainer_pid(work / "collector" / "journal")
        print(
            f"accepted durably: {rate:,.0f} measurements/s ({rate * size / 1e6:.1f} MB/s), "
            f"{args.connections} connections, {seconds:.2f} s"
        )
        per = 1e6 / len(flood_requests)
        print(
            f"CPU per measurement while accepting: collector "
            f"{sum(v for p, v in used.items() if p != drainer) * per:.0f} us, "
            f"drainer {used.get(drainer or -1, 0) * per:.0f} us, "
            f"this client {mine * per:.0f} us"
        )
        drained = wait_stored(work / "store", len(flood_requests), proc)
        total = seconds + drained
        print(
            f"in the store (raw + observations + verdicts) {drained:.2f} s after the last 200: "
            f"{len(flood_requests) / total:,.0f} measurements/s end to end"
        )
        if drainer is not None:
            spent = cpu_of([drainer]).get(drainer, 0.0) - before.get(drainer, 0.0)
            cost = spent * per
            print(
                f"drainer: {cost:.0f} us CPU per measurement (ingest's analysis + store commits), "
                f"{1e6 / cost:,.0f} measurements/s per core"
            )
        server = sum(v for p, v in used.items() if p != drainer) * per
        print(
            f"CPU ceiling on 2 free cores (client elsewhere): "
            f"{2e6 / (server + (cost if drainer else 0)):,.0f} measurements/s accepted and drained"
        )
        latencies = sorted(asyncio.run(paced(port, paced_requests, args.rate, args.connections)))
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[int(len(latencies) * 0.99)] * 1000
        print(
            f"at {args.rate:.0f} submissions/s for {args.seconds:.0f} s: "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
        )
        wait_stored(work / "store", len(flood_requests) + paced_count, proc)
        servers = [p for p in family(proc.pid) if p != drainer and "resource_tracker" not in cmd(p)]
        print(
            "peak RSS: "
            + ", ".join(f"server {p} {peak_rss_mb(p):.0f} MB" for p in servers)
            + (f", drainer {peak_rss_mb(drainer):.0f} MB" if drainer else "")
        )
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
