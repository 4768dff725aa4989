"""Verdict-tier micro-benchmark: verdict_of / observations_of per second per core.

Runs on OONI's 56 web_connectivity measurements (../shared/data/ooni/probecli_minipipeline) as
decoded dicts, so it measures the analysis alone; ``analysis_throughput.py`` measures ingest end
to end. Baselines in the same process: a bare ``orjson.loads`` of the same documents, and for
fingerprints a plain loop over every ``contains`` pattern (what one automaton replaces).

    python bench/verdict_rate.py --seconds 3
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from netvigil.analysis import Fingerprints, measurement_uid, observations_of, verdict_of

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ooni"


def rate(fn: Callable[[Any], object], items: list[Any], seconds: float) -> float:
    """Calls per CPU second of ``fn`` over ``items``, repeated for at least ``seconds``."""
    start = time.process_time()
    n = 0
    while time.process_time() - start < seconds:
        for item in items:
            fn(item)
        n += len(items)
    return n / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per figure")
    args = parser.parse_args()
    paths = sorted((SHARED / "probecli_minipipeline").glob("*/*/measurement.json"))
    if not paths:
        raise SystemExit(f"reference data absent under {SHARED}")
    blobs = [p.read_bytes() for p in paths]
    docs = [orjson.loads(b) for b in blobs]
    fps = Fingerprints.load(SHARED / "blocking-fingerprints")
    size = sum(len(orjson.dumps(d)) for d in docs) / len(docs)
    print(f"{len(docs)} measurements, mean {size / 1024:.1f} KiB, {len(fps)} fingerprints")

    parse = rate(orjson.loads, blobs, args.seconds)
    figures = {
        "orjson.loads (baseline)": parse,
        "measurement_uid": rate(measurement_uid, docs, args.seconds),
        "verdict_of": rate(verdict_of, docs, args.seconds),
        "verdict_of + fingerprints": rate(
            lambda m: verdict_of(m, fingerprints=fps), docs, args.seconds
        ),
        "observations_of": rate(observations_of, docs, args.seconds),
    }
    for name, value in figures.items():
        print(f"{name:28s} {value:10,.0f} /s per core   {value / parse:5.2f}x parse")

    # Fingerprint matching on an 18 KB page without a blockpage (the common case).
    body = ("<p>" + "lorem ipsum dolor sit amet, consectetur adipiscing elit " * 8 + "</p>\n") * 40
    body = body[:18_000]
    patterns = [fp.pattern for fp in fps.rows if fp.location_found == "body"]
    contains = [p for p in patterns if p]
    aho = rate(fps.match_body, [body], args.seconds)
    naive = rate(lambda b: [p for p in contains if p in b], [body], args.seconds)
    print(f"match_body 18 KB (automaton)  {aho:10,.0f} /s   naive loop {naive:,.0f} /s")
    print(f"  automaton is {aho / naive:.1f}x the loop over {len(contains)} patterns")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
