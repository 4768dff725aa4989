"""Load benchmark of the public tracker: 200 requests/s for 30 s on loopback, p50/p99 latency.

Seeds a temporary SQLite tracker with 3,000 published incidents (the whole STOP workbook through
the tracker's importer, the rest synthesised through the repository), starts ``netvigil serve`` as
a separate process on 127.0.0.1, then drives an open-loop load: request i is sent at
``t0 + i / rate`` whether or not earlier ones have answered, so a slow server cannot slow the
generator down and hide its own latency (no coordinated omission). Latency is measured from each
request's scheduled send time. Half the requests fetch the public list as JSON (random filters and
pages), half fetch incident pages (HTML).

Target (issue 5): p99 under 100 ms and no errors.

    python bench/tracker_load.py            # 200 req/s for 30 s
    python bench/tracker_load.py --rate 400 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
STOP_WORKBOOK = REPO.parent / "shared" / "data" / "stop" / "Keepiton_raw_dataset_2016-2022.xlsx"
TARGET_INCIDENTS = 3000
REQUEST_TIMEOUT_S = 5.0
CLIENTS = 32
CONNECTIONS_PER_CLIENT = 8


@dataclass(frozen=True)
class Outcome:
    url: str
    latency_s: float  # from the scheduled send time to the last byte
    service_s: float  # from the actual send time to the last byte
    status: int  # 0 when the request failed without an answer
    error: str | None
    at_s: float = 0.0  # scheduled send time, seconds from the start of the load


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SYNTH_COUNTRIES = (
    "India",
    "Iran",
    "Ethiopia",
    "Myanmar",
    "Pakistan",
    "Iraq",
    "Sudan",
    "Syria",
    "Russia",
    "Türkiye",
    "Venezuela",
    "Bangladesh",
    "Cuba",
    "Kazakhstan",
    "Senegal",
)
SYNTH_TYPES = ("Shutdown", "Throttle", "Shutdown, Throttle")


def seed(db_url: str, target: int, rng: random.Random) -> tuple[list[int], list[str]]:
    """Fill the tracker; return the published incident ids and their country codes.

    The STOP workbook goes through the tracker's importer; the remainder up to ``target`` is
    synthesised through the repository's public API (create, evidence, status workflow), so
    every row is a record the web app would really serve.
    """
    from netvigil.incidents import Actor, IncidentFilter, Tracker
    from netvigil.incidents.stop_io import read_stop

    tracker = Tracker(db_url)
    try:
        if tracker.count_incidents(public=True) >= target:  # a --db seeded by an earlier run
            published = tracker.list_incidents(IncidentFilter(limit=None), public=True)
            return [i.id for i in published], sorted({i.country_code or "ZZ" for i in published})
        admin = tracker.create_user("bench-admin@example.org", "bench-password", role="admin")
        if STOP_WORKBOOK.is_file():
            rows, _ = read_stop(STOP_WORKBOOK)
            result = tracker.import_stop_rows(rows, admin, source=STOP_WORKBOOK.name)
            print(f"imported the STOP workbook: {result.created} incidents")
        else:
            print(f"STOP workbook absent ({STOP_WORKBOOK}): synthesising everything")
        have = tracker.count_incidents(public=True)
        for i in range(max(0, target - have)):
            start = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(0, 7 * 365))
            end = start + dt.timedelta(days=rng.randrange(0, 10))
            country = rng.choice(SYNTH_COUNTRIES)
            incident = tracker.create_incident(
                {
                    "title": f"Synthetic shutdown {i} in {country}",
                    "country": country,
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "geo_scope": rng.choice(("National", "Regional", "Local")),
                    "area_name": f"Region {rng.randrange(1, 40)}",
                    "shutdown_type": rng.choice(SYNTH_TYPES),
                    "affected_network": rng.choice(("Mobile", "Broadband, Mobile")),
                    "shutdown_extent": "Full network",
                    "whatsapp_affected": rng.choice(("Yes", "No")),
                    "internal_notes": "synthetic record for the load benchmark",
                },
                admin,
            )
            tracker.attach_evidence(
                incident.id, "url", f"https://explorer.ooni.org/m/synthetic-{i}", admin
            )
            for status in ("corroborated", "verified"):  # four eyes: another verifies
                tracker.set_status(incident.id, status, Actor("verifier@example.org", "editor"))
            tracker.set_status(incident.id, "published", admin)
        published = tracker.list_incidents(IncidentFilter(limit=None), public=True)
        ids = [inc.id for inc in published]
        countries = sorted({inc.country_code for inc in published if inc.country_code})
        return ids, countries
    finally:
        tracker.close()


def start_server(
    db_url: str, port: int, data_dir: Path, cache: bool, workers: int
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NETVIGIL_DATA_DIR": str(data_dir)}
    env["NETVIGIL_WEB__RESPONSE_CACHE"] = "true" if cache else "false"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netvigil",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            db_url,
            "--insecure-cookies",
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"netvigil serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/incidents.json?limit=1", timeout=1).is_success:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("netvigil serve did not answer within 30 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children (uvicorn's workers), from Linux
    /proc, to report CPU per request: a figure that other load on the machine does not inflate,
    unlike latency."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # itself, or ppid == pid
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def plan_urls(ids: list[int], countries: list[str], count: int, rng: random.Random) -> list[str]:
    years = [str(y) for y in range(2016, 2023)]
    urls = []
    for i in range(count):
        if i % 2 == 0:
            choice = rng.random()
            if choice < 0.4:
                urls.append(f"/incidents.json?offset={rng.randrange(0, 2900, 50)}")
            elif choice < 0.8:
                urls.append(f"/incidents.json?country={rng.choice(countries)}")
            else:
                urls.append(f"/incidents.json?year={rng.choice(years)}")
        else:
            urls.append(f"/incidents/{rng.choice(ids)}")
    return urls


async def drive(base: str, urls: list[str], rate: float, max_duration_s: float) -> list[Outcome]:
    # Many small pools rather than one big one: httpcore's pool scans its whole queue on every
    # request, so a single 256-connection pool under backlog became the bottleneck itself.
    limits = httpx.Limits(max_connections=CONNECTIONS_PER_CLIENT)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, limits=limits, timeout=REQUEST_TIMEOUT_S)
            )
            for _ in range(CLIENTS)
        ]
        loop = asyncio.get_running_loop()
        t0 = loop.time() + 0.2

        async def one(i: int, url: str) -> Outcome:
            scheduled = t0 + i / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            sent = loop.time()
            try:
                response = await clients[i % CLIENTS].get(url)
                await response.aread()
                status, error = response.status_code, None
                if status != 200:
                    error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                status, error = 0, type(exc).__name__
            done = loop.time()
            return Outcome(url, done - scheduled, done - sent, status, error, i / rate)

        tasks = [asyncio.create_task(one(i, url)) for i, url in enumerate(urls)]
        # Bounded in time as well as count: whatever has not finished by then counts as an error.
        finished, pending = await asyncio.wait(
            tasks, timeout=max_duration_s + REQUEST_TIMEOUT_S + 5
        )
        for task in pending:
            task.cancel()
        outcomes = [t.result() for t in finished]
        outcomes += [Outcome("?", float("inf"), float("inf"), 0, "unfinished") for _ in pending]
        return outcomes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(outcomes: list[Outcome], rate: float, duration: float, wall_s: float) -> None:
    ok = [o for o in outcomes if o.error is None]
    errors = [o for o in outcomes if o.error is not None]
    print(
        f"requests: {len(outcomes)} planned at {rate:g}/s for {duration:g} s; wall {wall_s:.1f} s"
    )
    print(f"achieved rate: {len(outcomes) / wall_s:.1f} req/s; errors: {len(errors)}")
    for kind, pick in (
        ("all", ok),
        ("list JSON", [o for o in ok if ".json" in o.url]),
        ("incident page", [o for o in ok if ".json" not in o.url]),
    ):
        if not pick:
            continue
        lat = [o.latency_s * 1000 for o in pick]
        svc = [o.service_s * 1000 for o in pick]
        print(
            f"{kind:>14}: n={len(pick)} p50={percentile(lat, 0.5):.1f} ms "
            f"p99={percentile(lat, 0.99):.1f} ms max={max(lat):.1f} ms "
            f"(service time p50={percentile(svc, 0.5):.1f} p99={percentile(svc, 0.99):.1f} ms; "
            f"mean {statistics.fmean(lat):.1f} ms)"
        )
    windows: dict[int, list[float]] = {}
    for o in ok:
        windows.setdefault(int(o.at_s // 5) * 5, []).append(o.latency_s * 1000)
    print(
        "p99 by 5 s window: "
        + ", ".join(f"{w}s {percentile(v, 0.99):.0f} ms" for w, v in sorted(windows.items()))
    )
    if errors:
        kinds: dict[str, int] = {}
        for o in errors:
            kinds[o.error or "?"] = kinds.get(o.error or "?", 0) + 1
        print("error kinds:", kinds)
    p99 = percentile([o.latency_s * 1000 for o in ok], 0.99) if ok else float("inf")
    verdict = "MET" if p99 < 100 and not errors else "MISSED"
    print(f"target p99 < 100 ms with no errors: {verdict}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the load generator (incl. seeding): {rss_mb:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--incidents", type=int, default=TARGET_INCIDENTS)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="SQLite file to seed once and reuse on later runs (default: a fresh temporary one)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="serve with web.response_cache off (worst case)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="netvigil serve --workers (default: 2 cores)"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=5.0,
        help="seconds of the same load before the measurement, not counted (workers booting, "
        "templates compiling); its own URLs, so the measured ones are not pre-cached",
    )
    args = parser.parse_args()
    with contextlib.suppress(ImportError):
        import uvloop  # the generator's own overhead should not be what is measured

        uvloop.install()

    with tempfile.TemporaryDirectory(prefix="nv-load-") as tmp:
        data_dir = Path(tmp)
        db_path = args.db.resolve() if args.db else data_dir / "incidents.sqlite"
        db_url = f"sqlite:///{db_path}"
        t = time.perf_counter()
        ids, countries = seed(db_url, args.incidents, random.Random(args.seed))
        print(f"{len(ids)} published incidents ready in {time.perf_counter() - t:.1f} s")
        port = free_port()
        server = start_server(db_url, port, data_dir, cache=not args.no_cache, workers=args.workers)
        try:
            rng = random.Random(args.seed)
            urls = plan_urls(ids, countries, int(args.rate * args.duration), rng)
            # Warm-up outside the measurement (every worker up, templates compiled), with URLs of
            # another draw so that it does not fill the cache with the measured ones.
            warm_urls = plan_urls(
                ids, countries, max(1, int(args.rate * args.warmup)), random.Random(args.seed + 1)
            )
            warm = asyncio.run(drive(f"http://127.0.0.1:{port}", warm_urls, args.rate, args.warmup))
            print(
                f"warm-up: {len(warm)} requests over {args.warmup:g} s, not counted "
                f"(p99 {percentile([o.latency_s * 1000 for o in warm], 0.99):.0f} ms)"
            )
            cpu0 = cpu_seconds(server.pid)
            t = time.perf_counter()
            outcomes = asyncio.run(
                drive(f"http://127.0.0.1:{port}", urls, args.rate, args.duration)
            )
            report(outcomes, args.rate, args.duration, time.perf_counter() - t)
            cpu = cpu_seconds(server.pid) - cpu0
            answered = sum(1 for o in outcomes if o.status)
            wall = time.perf_counter() - t
            print(
                f"server CPU: {cpu:.1f} s ({100 * cpu / wall:.0f}% of one core) for {answered} "
                f"answered requests = {1000 * cpu / max(1, answered):.2f} ms CPU per request "
                f"(~{answered / cpu if cpu else float('inf'):.0f} req/s per free core)"
            )
            load1, load5, _ = os.getloadavg()
            print(
                f"machine: {os.cpu_count()} CPUs, load avg {load1:.1f} (1 min) {load5:.1f} (5 min)"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
