"""The public observatory under load: page weight of a first visit and server time.

    python bench/site_load.py                 # build the data (once) under bench/out/site, measure
    python bench/site_load.py --requests 400  # more requests per page

Data: the tracker holds 3,000 published incidents (Access Now's STOP data as imported, plus
copies of its rows under new keys to reach the count); the store holds 1,000,000 verdicts
(generated rows over 48 countries, 90 days, Citizen Lab URLs, OONI's outcome mix), the real
outage series of ../shared/data/outages/real_signals and the events ``netvigil detect`` finds in
them. Figures printed:

- **page weight**: bytes transferred (headers and bodies, as sent: gzip where the server
  compresses) for a first visit of the home page in Chromium, with its scripts and map: <= 500 KB;
- **server time**: p50/p95/p99 of sequential requests to ``/`` and ``/countries/IR``, measured
  from the client on loopback (time to the whole response), with the response cache as
  deployed and with it off (every request rendered): p95 < 100 ms. The machine's load average
  is printed beside them: on a shared machine the figures move with it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

INCIDENTS = 3_000
VERDICTS = 1_000_000
OUT = REPO / "bench" / "out" / "site"


def build_tracker(url: str) -> int:
    from netvigil.incidents import Tracker
    from netvigil.incidents.stop_io import read_stop
    from netvigil.policy.repository import Policy
    from nvtest import shared_path
    from sitekit import ADMIN

    tracker = Tracker(url)
    rows = []
    for name in ("Keepiton_raw_dataset_2016-2022.xlsx", "KeepItOn-STOP-Data-2020.csv"):
        found, _ = read_stop(shared_path("stop", name))
        rows.extend(found)
    tracker.import_stop_rows(rows, ADMIN, source="stop")
    # Copies of STOP rows, a few days later each, so that none is the same shutdown as another.
    copies = []
    for n in range(INCIDENTS - tracker.count_incidents(public=True)):
        row = rows[n % len(rows)]
        shift = dt.timedelta(days=3 + n // len(rows))
        fields = dict(row.fields)
        for key in ("start_date", "end_date"):
            if isinstance(fields.get(key), dt.date):
                fields[key] = fields[key] + shift
        copies.append(dataclasses.replace(row, natural_key=f"{row.natural_key}#bench{n}",
                                          fields=fields))  # fmt: skip
    tracker.import_stop_rows(copies, ADMIN, source="bench-copies")
    Policy(tracker).load_demo(ADMIN)
    total = tracker.count_incidents(public=True)
    tracker.close()
    return total


def verdict_batches(count: int, seed: int = 7) -> Any:
    """Verdict rows as the analysis writes them (no raw lines: only the verdict tier is read)."""
    from netvigil.analysis import RULES_VERSION
    from netvigil.ingest.synthetic import COUNTRIES
    from netvigil.models.tables import rows_table
    from netvigil.models.verdicts import Verdict
    from netvigil.store import Batch
    from nvtest import shared_path

    rng = random.Random(seed)
    with open(shared_path("ooni", "test-lists", "global.csv"), encoding="utf-8") as fh:
        urls = [line.split(",", 1)[0] for line in fh.read().splitlines()[1:] if line]
    asns = {cc: [f"AS{rng.randrange(1000, 400000)}" for _ in range(8)] for cc in COUNTRIES}
    start = dt.datetime(2024, 1, 1)
    # OONI's mix, roughly: most measurements ok, a few anomalies, fewer confirmed and failures.
    outcomes = ["ok"] * 86 + ["anomaly"] * 8 + ["confirmed"] * 2 + ["failure"] * 4
    blocking = {"ok": "false", "anomaly": "dns", "confirmed": "http-diff", "failure": None}
    chunk = 100_000
    for first in range(0, count, chunk):
        rows, days, ccs = [], [], []
        for i in range(first, min(count, first + chunk)):
            cc = rng.choice(COUNTRIES)
            when = start + dt.timedelta(seconds=rng.randrange(90 * 86400))
            url = rng.choice(urls)
            outcome = rng.choice(outcomes)
            domain = url.split("/")[2] if "//" in url else None
            rows.append(
                (f"{when:%Y%m%d%H%M%S}.000000_{cc}_webconnectivity_{i:016x}", url,
                 "web_connectivity", cc, rng.choice(asns[cc]), when.strftime("%Y-%m-%d %H:%M:%S"),
                 blocking[outcome], outcome == "ok", None, outcome, None, None,
                 f"web.{outcome}.v1", RULES_VERSION, domain,
                 None if outcome == "ok" else blocking[outcome])
            )  # fmt: skip
            days.append(when.strftime("%Y-%m-%d"))
            ccs.append(cc)
        yield Batch(raw=None, observations=None, verdicts=rows_table(rows, Verdict, days, ccs))


def build_store(url: str) -> None:
    from netvigil.detect.runner import detect_store
    from netvigil.store import open_store
    from sitekit import real_signal_points

    store = open_store(url)
    try:
        for done, batch in enumerate(verdict_batches(VERDICTS), start=1):
            store.commit(batch)
            print(f"  verdicts: {done * 100_000:,}", flush=True)
        for series_id, points in real_signal_points():
            store.write_signals(points, source=f"real-{series_id}")
        detect_store(store, detectors=["netvigil"])
    finally:
        store.close()


def serve(app: Any) -> tuple[str, Any]:
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def page_weight(base: str) -> tuple[int, list[tuple[str, int]]]:
    from playwright.sync_api import sync_playwright

    sizes: list[tuple[str, int]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page()  # a fresh profile: a first visit, nothing cached
        responses: list[Any] = []
        page.on("response", lambda r: responses.append(r))
        page.goto(base + "/")
        page.wait_for_selector("figure.chart:not([data-rendered])", state="detached")
        for response in responses:
            size = response.request.sizes()
            sizes.append((response.url.removeprefix(base), size["responseHeadersSize"]
                          + size["responseBodySize"]))  # fmt: skip
        browser.close()
    return sum(s for _, s in sizes), sizes


def latencies(base: str, path: str, n: int) -> list[float]:
    import httpx

    out = []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get(path)  # warm: the first request of a page opens readers and fills caches
        for _ in range(n):
            began = time.perf_counter()
            response = client.get(path)
            out.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.text[:200]
    return out


def figures(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms  (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per page and setting")
    parser.add_argument("--out", type=Path, default=OUT, help="where the data is built (kept)")
    args = parser.parse_args()
    from netvigil._settings import load_settings
    from netvigil.store import open_store
    from netvigil.store.aggregation import AggregationQuery
    from netvigil.web import create_app

    args.out.mkdir(parents=True, exist_ok=True)
    tracker_url = f"sqlite:///{args.out / 'tracker.sqlite'}"
    store_url = str(args.out / "store")
    if not (args.out / "tracker.sqlite").exists():
        print("building the tracker (3,000 incidents)...", flush=True)
        build_tracker(tracker_url)
    if not (args.out / "store").exists():
        print("building the store (1,000,000 verdicts, real signals, events)...", flush=True)
        build_store(store_url)
    from netvigil.incidents import Tracker

    tracker = Tracker(tracker_url)
    incidents = tracker.count_incidents(public=True)
    tracker.close()
    [total] = open_store(store_url, writable=False).aggregate(AggregationQuery())
    print(f"data: {incidents:,} published incidents, {total['measurement_count']:,} verdicts")

    for cache in (True, False):
        settings = load_settings(
            data_dir=args.out / "data", db=tracker_url, store=store_url,
            web={"response_cache": cache, "secure_cookies": False},
        )  # fmt: skip
        base, server = serve(create_app(settings))
        if cache:
            weight, parts = page_weight(base)
            print(f"home page, first visit: {weight / 1024:.0f} KB transferred (target <= 500 KB)")
            for url, size in sorted(parts, key=lambda p: -p[1])[:8]:
                print(f"  {size / 1024:7.1f} KB  {url}")
        for path in ("/", "/countries/IR"):
            load = os.getloadavg()[0]
            ms = latencies(base, path, args.requests)
            label = "cache on " if cache else "cache off"
            print(f"{label} {path:15s} {figures(ms)}  load avg {load:.1f}")
        server.should_exit = True
        time.sleep(0.5)


if __name__ == "__main__":
    main()
