"""The published cost methods and the people-affected rule, as pure functions.

Every assumption is a named parameter with its source; ``docs/impact.md`` gives the formulas.
Costs are in current US$ of the GDP year used. Nothing here reads files or settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DAYS_PER_YEAR = 365.0
HOURS_PER_DAY = 24.0

# --- Brookings (West 2016) -------------------------------------------------------------------
# Internet-economy share of GDP, BCG "The Internet Economy in the G-20" (Connected World, 2012)
# projections for 2016 -- the figures West (2016) used. Only the shares we could check against a
# public citation are listed (docs/impact.md gives the citations): UK, South Korea, China, India,
# US from the G-20 report's ranking as quoted by the G20 National Internet Development Report
# (2016) and Information Age (2012); Indonesia's 1.4% (the bottom of BCG's range) as quoted by
# MIT Technology Review (2016) about West's paper.
PUBLISHED_INTERNET_ECONOMY_SHARE: dict[str, float] = {
    "GB": 0.124,
    "KR": 0.080,
    "CN": 0.069,
    "IN": 0.056,
    "US": 0.054,
    "ID": 0.014,
}
PUBLISHED_SHARE_SOURCE = "BCG Connected World (2012), 2016 projection, as used by West (2016)"

# Elsewhere the share is estimated from internet penetration, as NetBlocks' COST estimates the
# "digital economy extent" from ICT indicators for non-G20 countries: BCG's G-20 average share
# (5.3% of GDP in 2016, The Economist 2012-04-16) at the G-20's internet penetration (50.2%,
# G20 National Internet Development Report 2016), scaled linearly with the country's penetration
# and kept within BCG's published range (1.4%..12.4%).
G20_AVERAGE_SHARE = 0.053
G20_INTERNET_PCT = 50.2
SHARE_FLOOR = 0.014
SHARE_CEILING = 0.124

# A blocked platform takes this share of the internet economy with it. Calibrated on West's own
# service case: Brazil's one-day WhatsApp block of May 2016 cost US$39M, which with this module's
# estimated Brazilian share (2014 GDP and penetration) is ~0.10 of the internet economy for a day.
# The same weight is applied to every major platform: we have no per-platform economics. Which
# platforms are costed is the service catalogue's (the services with an ``impact_name``).
DEFAULT_SERVICE_WEIGHT = 0.10

# --- Deloitte (2016) ------------------------------------------------------------------------
DeloitteTier = Literal["high", "medium", "low"]
# Share of daily GDP lost per day of a full national shutdown, by connectivity tier, and the
# equivalent published US$ per day per 10 million people (Deloitte 2016, executive summary).
DELOITTE_GDP_SHARE: dict[DeloitteTier, float] = {"high": 0.019, "medium": 0.010, "low": 0.004}
DELOITTE_USD_PER_10M_PEOPLE: dict[DeloitteTier, float] = {
    "high": 23.6e6,
    "medium": 6.6e6,
    "low": 0.6e6,
}


@dataclass(frozen=True)
class DeloitteThresholds:
    """Internet users (% of population) at which a country enters a tier.

    Deloitte does not publish cut-offs we could check. These are netvigil's: the published
    US$/10M people and %GDP figures imply a GDP per head of ~$45k (high), ~$24k (medium) and
    ~$5.5k (low); in WDI 2015 the median internet penetration of countries within 0.7-1.4x of
    those incomes is 85%, 73% and 46%, and the cut-offs are the midpoints rounded to 5 points
    (``scripts/impact_comparison.py`` prints the derivation; a test keeps them in step).
    """

    high: float = 80.0
    medium: float = 60.0


def deloitte_tier(
    internet_pct: float, thresholds: DeloitteThresholds | None = None
) -> DeloitteTier:
    cut = thresholds or DeloitteThresholds()
    if internet_pct >= cut.high:
        return "high"
    if internet_pct >= cut.medium:
        return "medium"
    return "low"


# --- shared scaling ---------------------------------------------------------------------------
def mobile_access_share(mobile_per_100: float, broadband_per_100: float) -> float:
    """Share of internet access that is mobile: mobile cellular over mobile + fixed broadband
    subscriptions (the World Bank subscription data West used; cellular counts all SIMs, so this
    overstates mobile data access where voice-only or multi-SIM use is common)."""
    total = mobile_per_100 + broadband_per_100
    return mobile_per_100 / total if total > 0 else 0.0


def service_share(services: tuple[str, ...], weight: float = DEFAULT_SERVICE_WEIGHT) -> float:
    """Share of the internet economy lost when ``services`` are blocked: independent weights,
    combined as 1 - prod(1 - w) so that blocking every platform never exceeds the whole."""
    kept = 1.0
    for _ in services:
        kept *= 1.0 - weight
    return 1.0 - kept


def internet_economy_share(alpha_2: str, internet_pct: float) -> tuple[float, str]:
    """(share of GDP, "published" | "estimated") for Brookings' method."""
    published = PUBLISHED_INTERNET_ECONOMY_SHARE.get(alpha_2)
    if published is not None:
        return published, "published"
    estimated = G20_AVERAGE_SHARE * internet_pct / G20_INTERNET_PCT
    return min(SHARE_CEILING, max(SHARE_FLOOR, estimated)), "estimated"


# --- the methods --------------------------------------------------------------------------------
def brookings_cost(
    *,
    gdp_usd: float,
    hours: float,
    internet_economy_share: float,
    region_share: float = 1.0,
    access_share: float = 1.0,
    service_share: float = 1.0,
) -> float:
    """West (2016): daily GDP x internet-economy share x days, scaled by the affected share of
    the population (regional), of access (mobile-only) and of the internet economy (services)."""
    daily_gdp = gdp_usd / DAYS_PER_YEAR
    days = hours / HOURS_PER_DAY
    return daily_gdp * internet_economy_share * days * region_share * access_share * service_share


def deloitte_cost(
    *,
    gdp_usd: float,
    hours: float,
    tier: DeloitteTier,
    region_share: float = 1.0,
    access_share: float = 1.0,
    service_share: float = 1.0,
) -> float:
    """Deloitte (2016): the tier's share of daily GDP per day of a full shutdown. Deloitte costs
    full national shutdowns; partial ones are scaled like Brookings' (netvigil's extension)."""
    daily_gdp = gdp_usd / DAYS_PER_YEAR
    days = hours / HOURS_PER_DAY
    return daily_gdp * DELOITTE_GDP_SHARE[tier] * days * region_share * access_share * service_share


def deloitte_per_capita_cost(*, population: float, hours: float, tier: DeloitteTier) -> float:
    """Deloitte's other published form: US$ per day per 10 million people (full, national)."""
    return DELOITTE_USD_PER_10M_PEOPLE[tier] * population / 10e6 * hours / HOURS_PER_DAY


def people_affected(
    *, population: float, internet_pct: float, region_share: float = 1.0, access_share: float = 1.0
) -> int:
    """Internet users who lose access: population x internet users % x the affected shares."""
    return round(population * internet_pct / 100.0 * region_share * access_share)
