"""Impact estimator throughput: estimates/s for the web app's incident pages and the CLI.

Prints: cold load of the packaged indicator table, ``estimate()`` calls per second over a mix of
countries and shutdown types, the ratio to the bare Brookings + Deloitte formulas on the same inputs
(the cost of validation, lookups and the typed record), and peak RSS.

    python bench/impact_estimates.py            # 20,000 estimates
    python bench/impact_estimates.py --n 5000
"""

from __future__ import annotations

import argparse
import resource
import time

from netvigil.impact import estimate
from netvigil.impact import methods as m
from netvigil.impact.indicators import load_table

CASES = (
    {"country": "IN", "hours": 72.0, "scope": "regional", "share": 0.05, "shutdown_type": "mobile"},
    {"country": "Iran", "hours": 24.0},
    {"country": "BR", "hours": 24.0, "shutdown_type": "service", "services": ("whatsapp",)},
    {"country": "ET", "hours": 720.0, "scope": "regional", "share": 0.35, "year": 2016},
    {"country": "GB", "hours": 1.5, "severity": 0.4},
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="estimates to run")
    args = parser.parse_args()

    start = time.perf_counter()
    load_table()
    load_s = time.perf_counter() - start

    start = time.perf_counter()
    for i in range(args.n):
        estimate(**CASES[i % len(CASES)])  # type: ignore[arg-type]
    est_rate = args.n / (time.perf_counter() - start)

    # Baseline: the two formulas alone on fixed inputs, no validation, lookup or record.
    start = time.perf_counter()
    for i in range(args.n):
        hours = CASES[i % len(CASES)]["hours"]
        assert isinstance(hours, float)
        m.brookings_cost(gdp_usd=3e12, hours=hours, internet_economy_share=0.05)
        m.deloitte_cost(gdp_usd=3e12, hours=hours, tier="high")
    base_rate = args.n / (time.perf_counter() - start)

    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"indicator table cold load: {load_s * 1000:.1f} ms")
    print(f"estimate(): {est_rate:,.0f} estimates/s over {args.n:,} calls")
    slower = base_rate / est_rate
    print(f"bare formulas baseline: {base_rate:,.0f}/s; estimate() is {slower:.1f}x slower")
    print(f"peak RSS: {rss_mib:.1f} MiB")


if __name__ == "__main__":
    main()
