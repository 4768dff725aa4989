"""Country indicators (World Bank WDI via the committed table) and country-name resolution.

The table ``data/indicators.csv`` is derived by ``scripts/derive_indicators.py`` from the files in
``../shared/data/econ`` and shipped as package data. A lookup never silently invents a figure: a
year without data falls back to the nearest year that has one, and the returned
:class:`Indicator` records both the year asked for and the year used.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from netvigil._errors import InputError
from netvigil.models import countries
from netvigil.models.countries import Country as Country  # re-exported (impact's API)

ATTRIBUTION = (
    "World Bank WDI, CC BY 4.0. Source: World Bank World Development Indicators "
    "(NY.GDP.MKTP.CD, SP.POP.TOTL, IT.NET.USER.ZS, IT.CEL.SETS.P2, IT.NET.BBND.P2; ITU data), "
    "CC BY 4.0; packaged by datasets.org (PDDL) and Our World in Data (CC BY 4.0)."
)

# indicator name -> (World Bank code, unit) ; the order is the table's column order.
INDICATORS: dict[str, tuple[str, str]] = {
    "gdp_usd": ("NY.GDP.MKTP.CD", "current US$"),
    "population": ("SP.POP.TOTL", "people"),
    "internet_pct": ("IT.NET.USER.ZS", "% of population"),
    "mobile_per_100": ("IT.CEL.SETS.P2", "subscriptions per 100 people"),
    "broadband_per_100": ("IT.NET.BBND.P2", "subscriptions per 100 people"),
}


@dataclass(frozen=True)
class Indicator:
    """One figure used by an estimate, with the year it comes from."""

    name: str
    value: float
    year: int
    requested_year: int

    @property
    def fallback(self) -> bool:
        return self.year != self.requested_year

    def to_json_dict(self) -> dict[str, Any]:
        code, unit = INDICATORS[self.name]
        out: dict[str, Any] = {
            "value": self.value,
            "year": self.year,
            "unit": unit,
            "source": f"World Bank WDI {code}",
        }
        if self.fallback:
            out["fallback"] = (
                f"no {self.name} for {self.requested_year}; nearest year with data is {self.year}"
            )
        return out


# country -> indicator -> {year: value}
Table = dict[str, dict[str, dict[int, float]]]


def parse_table(text: str) -> Table:
    """Parse the committed CSV (lines starting with ``#`` are the attribution)."""
    body = "".join(line for line in io.StringIO(text) if not line.startswith("#"))
    table: Table = {}
    for row in csv.DictReader(io.StringIO(body)):
        per_country = table.setdefault(row["iso2"], {name: {} for name in INDICATORS})
        year = int(row["year"])
        for name in INDICATORS:
            if row[name]:
                per_country[name][year] = float(row[name])
    return table


@cache
def load_table() -> Table:
    """The packaged table, read once per process (it is immutable package data)."""
    text = resources.files("netvigil.impact").joinpath("data/indicators.csv").read_text("utf-8")
    return parse_table(text)


def nearest_year(years: list[int], requested: int) -> int:
    """The year closest to ``requested``; on a tie the earlier one (published, not projected)."""
    return min(years, key=lambda year: (abs(year - requested), year))


def lookup(table: Table, country: Country, name: str, year: int) -> Indicator | None:
    """``name`` for ``country`` in ``year``, or the nearest year; None if the country has none."""
    series = table.get(country.alpha_2, {}).get(name, {})
    if not series:
        return None
    used = year if year in series else nearest_year(sorted(series), year)
    return Indicator(name=name, value=series[used], year=used, requested_year=year)


def require(table: Table, country: Country, name: str, year: int) -> Indicator:
    found = lookup(table, country, name, year)
    if found is None:
        code, _ = INDICATORS[name]
        raise InputError(
            f"no {name} ({code}) for {country.name} ({country.alpha_2}) in the World Bank table",
            field="country",
            hint="the World Bank publishes no series for some territories (e.g. Taiwan)",
        )
    return found


def latest_year(table: Table, country: Country) -> int:
    """Default year of an estimate: the latest year with a GDP figure for the country."""
    years = table.get(country.alpha_2, {}).get("gdp_usd", {})
    if not years:
        raise InputError(
            f"no GDP figure for {country.name} ({country.alpha_2}) in the World Bank table",
            field="country",
        )
    return max(years)


def resolve_country(name: str) -> Country:
    """A country from an ISO code or any name (netvigil.models.countries: the one resolver)."""
    return countries.resolve(name)
