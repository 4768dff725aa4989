"""Compare netvigil's impact range with published figures for historical shutdowns.

Usage::

    python scripts/impact_comparison.py    # prints the Markdown tables used in docs/impact.md

The scope, type and shares below are *our* reading of each case (stated in the table), since the
published reports give totals, not per-incident inputs. tests/impact checks that the table in
docs/impact.md is exactly this script's output.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from netvigil.impact import estimate
from netvigil.impact import methods as m
from netvigil.impact.indicators import load_table

# Deloitte tier cut-offs: countries whose GDP per head is within this band of a tier's implied
# income, in the year before the report.
INCOME_BAND = (0.7, 1.4)
TIER_YEAR = 2015


@dataclass(frozen=True)
class Case:
    label: str
    published_usd: float
    source: str
    country: str
    hours: float
    year: int
    scope: str = "national"
    share: float | None = None
    shutdown_type: str = "full"
    services: tuple[str, ...] = ()
    reading: str = ""


CASES = (
    Case(
        "India, Jul 2015-Jun 2016 (22 shutdowns)",
        968e6,
        "Brookings 2016",
        "IN",
        70.54 * 24,
        2014,
        scope="regional",
        share=0.05,
        shutdown_type="mobile",
        reading="state-level mobile data cuts; 5% = Gujarat's share of India's population",
    ),
    Case(
        "Iraq, exam shutdowns 2015-16",
        210e6,
        "Brookings 2016",
        "IQ",
        2.75 * 24,
        2014,
        reading="national full shutdowns",
    ),
    Case(
        "Ethiopia, 2015-16",
        8.5e6,
        "Brookings 2016",
        "ET",
        30 * 24,
        2014,
        scope="regional",
        share=0.35,
        reading="Oromia protests; 35% = Oromia's share of the population",
    ),
    Case(
        "Brazil, WhatsApp block May 2016",
        39e6,
        "Brookings 2016",
        "BR",
        24,
        2014,
        shutdown_type="service",
        services=("whatsapp",),
        reading="national service block (the case the service weight is calibrated on)",
    ),
    Case(
        "India 2020 (8,927 hours)",
        2.8e9,
        "Top10VPN 2020",
        "IN",
        8927,
        2020,
        scope="regional",
        share=0.01,
        shutdown_type="mobile",
        reading="mostly Jammu & Kashmir mobile data; 1% of India's population",
    ),
    Case(
        "Myanmar 2021 (>12,000 hours)",
        2.8e9,
        "Top10VPN 2021",
        "MM",
        12000,
        2021,
        shutdown_type="mobile",
        reading="national mobile data blackout after the coup",
    ),
)


def _m(value: float) -> str:
    """US$ millions, 3 significant figures (the methods are not more precise than that)."""
    millions = value / 1e6
    return f"{millions:,.3g}" if millions < 1000 else f"{millions:,.0f}"


def comparison_markdown() -> str:
    lines = [
        "| case | published (US$M) | source | netvigil reading | Brookings | Deloitte "
        "| netvigil low / central / high | published in range? |",
        "|---|---:|---|---|---:|---:|---|---|",
    ]
    for case in CASES:
        result = estimate(
            case.country,
            case.hours,
            scope=case.scope,
            share=case.share,
            shutdown_type=case.shutdown_type,
            services=case.services,
            year=case.year,
        )
        r = result.range
        inside = (
            "yes"
            if r.low <= case.published_usd <= r.high
            else ("above" if case.published_usd > r.high else "below")
        )
        reading = f"{case.scope} {case.shutdown_type}, {case.year} indicators: {case.reading}"
        brookings = _m(result.method("brookings").cost_usd)
        deloitte = _m(result.method("deloitte").cost_usd)
        lines.append(
            f"| {case.label} | {_m(case.published_usd)} | {case.source} | {reading} "
            f"| {brookings} | {deloitte} "
            f"| {_m(r.low)} / {_m(r.central)} / {_m(r.high)} | {inside} |"
        )
    return "\n".join(lines) + "\n"


def tier_medians() -> dict[m.DeloitteTier, tuple[float, int, float]]:
    """Per tier: (implied GDP per head, countries in the band, their median internet users %).

    Deloitte's two published forms give the GDP per head of its "average" country per tier:
    (US$ per day per person) / (share of daily GDP) x 365.
    """
    table = load_table()
    out: dict[m.DeloitteTier, tuple[float, int, float]] = {}
    for tier in ("high", "medium", "low"):
        income = m.DELOITTE_USD_PER_10M_PEOPLE[tier] / 10e6 / m.DELOITTE_GDP_SHARE[tier] * 365
        pcts = []
        for series in table.values():
            gdp = series["gdp_usd"].get(TIER_YEAR)
            people = series["population"].get(TIER_YEAR)
            pct = series["internet_pct"].get(TIER_YEAR)
            if not (gdp and people and pct is not None):
                continue
            if INCOME_BAND[0] * income <= gdp / people <= INCOME_BAND[1] * income:
                pcts.append(pct)
        out[tier] = (income, len(pcts), statistics.median(pcts))
    return out


def tier_cutoffs() -> tuple[float, float]:
    """(high, medium) cut-offs: midpoints of adjacent tiers' medians, rounded to 5 points."""
    med = tier_medians()
    high = (med["high"][2] + med["medium"][2]) / 2
    medium = (med["medium"][2] + med["low"][2]) / 2
    return round(high / 5) * 5, round(medium / 5) * 5


def tiers_markdown() -> str:
    lines = [
        "| tier | implied GDP per head (US$) | countries within 0.7-1.4x in 2015 "
        "| their median internet users % |",
        "|---|---:|---:|---:|",
    ]
    for tier, (income, count, median) in tier_medians().items():
        lines.append(f"| {tier} | {income:,.0f} | {count} | {median:.1f} |")
    high, medium = tier_cutoffs()
    lines.append("")
    lines.append(f"Cut-offs (midpoints, rounded to 5): high >= {high:g}%, medium >= {medium:g}%.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(comparison_markdown())
    print(tiers_markdown(), end="")
