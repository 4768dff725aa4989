"""The embedded store and ClickHouse (chdb) side by side: ingest, aggregation, disk, memory.

    python bench/store_scale.py                       # 200k measurements, 10M and 100M rows
    python bench/store_scale.py --measurements 1000000 --rows 10000000 --big-rows 100000000

1. **Ingest** of N generated measurements (real test_keys under drawn envelopes, ~18 KB each, as
   bench/analysis_throughput.py) through ``netvigil.ingest.run`` with ``--workers`` processes
   into each backend: measurements/s per core (CPU of the parent, which runs chdb's engine in
   process, plus the workers and the fork server), disk bytes per measurement (every tier),
   peak RSS. Ingesting 10 million full measurements takes hours on a 2-core machine (~4,000
   measurements/s per core): the rate per core is what scales, and is measured on N.
2. **Aggregation** over R verdict rows (default 10 million) written into each backend through
   ``commit`` (as bench/analysis_throughput.py writes them): probe_cc x day, domain x probe_cc
   and blocking_type x day, through ``store.aggregate`` (the code ``netvigil agg`` runs), cold
   (first query of a fresh store object) and warm (best of three).
3. **100 million verdict rows on chdb**, generated inside ClickHouse from ``numbers()`` under one
   committed batch, then probe_cc x day (target: under 1 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_throughput import (  # noqa: E402
    bench_ingest,
    mixed_templates,
    test_list_urls,
    write_verdict_rows,
)
from netvigil.ingest import synthetic  # noqa: E402
from netvigil.store import open_store  # noqa: E402
from netvigil.store.aggregation import AggregationQuery  # noqa: E402

QUERIES = {
    "probe_cc x day": AggregationQuery(axis_x="measurement_start_day", axis_y="probe_cc"),
    "domain x probe_cc": AggregationQuery(axis_x="domain", axis_y="probe_cc"),
    "blocking_type x day": AggregationQuery(axis_x="blocking_type", axis_y="measurement_start_day"),
}


def disk_bytes(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm(store: Any) -> Any:
    """Where warm queries run: chdb's engine held open between them (a cold query of chdb also
    pays for opening the engine, ~50-100 ms, which a process serving queries pays once)."""
    from contextlib import nullcontext

    conn = getattr(store, "conn", None)
    return conn.session() if conn is not None else nullcontext()


def time_queries(url: str) -> dict[str, tuple[float, float, int]]:
    """query -> (cold s, best warm s, rows counted)."""
    out = {}
    for name, query in QUERIES.items():
        store = open_store(url, writable=False)
        started = time.perf_counter()
        rows = store.aggregate(query)
        cold = time.perf_counter() - started
        warm = float("inf")
        with _warm(store):
            for _ in range(3):
                started = time.perf_counter()
                rows = store.aggregate(query)
                warm = min(warm, time.perf_counter() - started)
        store.close()
        out[name] = (cold, warm, sum(int(r["measurement_count"]) for r in rows))
    return out


BIG_INSERT = """INSERT INTO netvigil.verdicts_g0
SELECT
    concat(formatDateTime(t, '%Y%m%d%H%i%S'), '.000000_', cc, '_webconnectivity_',
           lower(hex(cityHash64(number)))) AS measurement_uid,
    concat('https://', d) AS input,
    'web_connectivity' AS test_name,
    cc AS probe_cc,
    concat('AS', toString(1000 + cityHash64(number, 3) % 400)) AS probe_asn,
    t AS measurement_start_time,
    if(o = 'ok', 'false', 'dns') AS blocking,
    o = 'ok' AS accessible,
    NULL AS dns_consistency,
    o AS outcome,
    NULL AS blocking_detail,
    NULL AS fingerprint,
    'bench.synthetic' AS rule_id,
    'bench' AS rules_version,
    d AS domain,
    if(o = 'ok', NULL, 'dns') AS blocking_type,
    toDate(t) AS day,
    cc,
    {batch:String} AS batch
FROM (
    SELECT number,
        toDateTime('2024-01-01 00:00:00', 'UTC') + (cityHash64(number, 1) % (30 * 86400)) AS t,
        {countries:Array(String)}[1 + cityHash64(number, 2) % length({countries:Array(String)})]
            AS cc,
        concat('site', toString(cityHash64(number, 4) % 2000), '.example') AS d,
        multiIf(cityHash64(number, 5) % 100 < 75, 'ok', cityHash64(number, 5) % 100 < 90,
                'anomaly', cityHash64(number, 5) % 100 < 92, 'confirmed', 'failure') AS o
    FROM numbers({rows:UInt64})
)"""


def big_chdb(work: Path, rows: int) -> dict[str, Any]:
    """Generate ``rows`` verdict rows inside chdb, commit them, time probe_cc x day."""
    from netvigil.store.clickhouse import ClickHouseStore

    url = f"chdb:{work / 'big'}"
    started = time.perf_counter()
    with ClickHouseStore(url) as store:
        batch = "bench-numbers"

        def generate(client: Any) -> None:
            client.command(
                BIG_INSERT,
                parameters={"batch": batch, "rows": rows, "countries": list(synthetic.COUNTRIES)},
                settings={"max_insert_threads": os.cpu_count() or 1},
            )
            assert store._claim(client, 1, batch, "measurements", "", {"verdicts": rows})

        store.conn.run(generate)
    generated = time.perf_counter() - started
    reader = open_store(url, writable=False)
    query = QUERIES["probe_cc x day"]
    started = time.perf_counter()
    result = reader.aggregate(query)
    cold = time.perf_counter() - started
    warm = float("inf")
    with _warm(reader):
        for _ in range(3):
            started = time.perf_counter()
            result = reader.aggregate(query)
            warm = min(warm, time.perf_counter() - started)
    counted = sum(int(r["measurement_count"]) for r in result)
    reader.close()
    return {
        "generated_s": generated,
        "cold_s": cold,
        "warm_s": warm,
        "counted": counted,
        "groups": len(result),
        "bytes_per_row": disk_bytes(work / "big") / rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measurements", type=int, default=200_000, help="ingested (full)")
    parser.add_argument("--rows", type=int, default=10_000_000, help="verdict rows, both")
    parser.add_argument("--big-rows", type=int, default=100_000_000, help="verdict rows, chdb")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--work", type=Path, default=None, help="scratch directory (kept)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="netvigil-store-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {work}")
    stores = {"embedded": str(work / "embedded"), "chdb": f"chdb:{work / 'chdb'}"}
    paths = {"embedded": work / "embedded", "chdb": work / "chdb"}
    try:
        made = synthetic.lines(mixed_templates(), test_list_urls(), args.measurements, seed=3)
        files, input_bytes = synthetic.write_files(work / "input", made)
        print(f"input: {args.measurements:,} measurements, {input_bytes / 1e6:,.0f} MB JSON")
        ingest = {}
        for name, url in stores.items():
            ingest[name] = bench_ingest(files, url, args.workers, None)  # type: ignore[arg-type]
            ingest[name]["disk"] = disk_bytes(paths[name])
            ingest[name]["rss"] = peak_rss_mb()
        print(f"\n1. ingest of {args.measurements:,} full measurements, --workers {args.workers}")
        print(f"{'':34}{'embedded':>14}{'chdb':>14}")
        rows = [
            ("measurements stored", lambda r: f"{r['measurements']:,.0f}"),
            ("wall s", lambda r: f"{r['wall']:.1f}"),
            ("CPU s (parent+workers+server)", lambda r: f"{r['total_cpu']:.1f}"),
            ("measurements/s per core", lambda r: f"{r['measurements'] / r['total_cpu']:,.0f}"),
            ("measurements/s wall", lambda r: f"{r['measurements'] / r['wall']:,.0f}"),
            ("disk bytes per measurement", lambda r: f"{r['disk'] / r['measurements']:,.0f}"),
            (
                "  (input bytes per measurement)",
                lambda r: f"{input_bytes / r['measurements']:,.0f}",
            ),
            ("peak RSS MB: this process", lambda r: f"{r['rss']:,.0f}"),
            ("peak RSS MB: largest worker", lambda r: f"{r['worker_peak_rss_mb']:,.0f}"),
        ]
        for label, show in rows:
            print(f"{label:34}{show(ingest['embedded']):>14}{show(ingest['chdb']):>14}")
        for name in stores:
            shutil.rmtree(paths[name])
        shutil.rmtree(work / "input")

        print(f"\n2. aggregation over {args.rows:,} verdict rows (store.aggregate = netvigil agg)")
        timings, written = {}, {}
        for name, url in stores.items():
            written[name] = write_verdict_rows(url, args.rows)  # type: ignore[arg-type]
            timings[name] = time_queries(url)
        print(f"{'':34}{'embedded':>14}{'chdb':>14}")
        line = f"{'write s':34}{written['embedded']:>14.1f}{written['chdb']:>14.1f}"
        print(line)
        for query in QUERIES:
            for i, label in ((0, "cold s"), (1, "warm s")):
                values = [timings[n][query][i] for n in stores]
                print(f"{query + ', ' + label:34}{values[0]:>14.3f}{values[1]:>14.3f}")
            counted = [timings[n][query][2] for n in stores]
            assert counted[0] == counted[1] == args.rows, counted
        per_row = [disk_bytes(paths[n]) / args.rows for n in stores]
        print(f"{'disk bytes per verdict row':34}{per_row[0]:>14.1f}{per_row[1]:>14.1f}")
        print(f"{'peak RSS MB (this process)':34}{peak_rss_mb():>28,.0f}")
        for name in stores:
            shutil.rmtree(paths[name])

        if args.big_rows:
            print(f"\n3. {args.big_rows:,} verdict rows on chdb, generated with numbers()")
            big = big_chdb(work, args.big_rows)
            assert big["counted"] == args.big_rows, big
            print(f"generated and committed in {big['generated_s']:.1f} s")
            print(
                f"probe_cc x day: cold {big['cold_s']:.3f} s, warm {big['warm_s']:.3f} s"
                f" ({big['groups']:,} groups; target < 1 s)"
            )
            print(f"disk bytes per verdict row: {big['bytes_per_row']:.1f}")
            print(f"peak RSS MB (this process, engine in process): {peak_rss_mb():,.0f}")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (other work on the machine)")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
