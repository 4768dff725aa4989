"""Derive netvigil's compact indicator table from the World Bank / OWID files in shared econ data.

Usage::

    python scripts/derive_indicators.py                       # writes the committed package table
    python scripts/derive_indicators.py --econ DIR --output FILE

One row per ISO 3166 alpha-2 country and year (2000 onwards) with GDP (current US$), population,
internet users (% of population), mobile cellular subscriptions and fixed broadband subscriptions
per 100 people. World Bank files carry ISO3 codes *and* aggregate codes (AFW, ARB, WLD...); OWID
files carry ISO3 and a blank code for aggregates. Both are joined on ISO3 through
country-codes.csv, which drops the aggregates (and Kosovo's non-ISO ``XKX``) by construction.

Only the standard library is used so the derivation has no moving parts beyond the input files.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ECON = REPO.parent / "shared" / "data" / "econ"
DEFAULT_OUTPUT = REPO / "src" / "netvigil" / "impact" / "data" / "indicators.csv"

FIRST_YEAR = 2000
COLUMNS = (
    "iso2",
    "year",
    "gdp_usd",
    "population",
    "internet_pct",
    "mobile_per_100",
    "broadband_per_100",
)
ATTRIBUTION = (
    "Source: World Bank World Development Indicators (NY.GDP.MKTP.CD, SP.POP.TOTL, "
    "IT.NET.USER.ZS, IT.CEL.SETS.P2, IT.NET.BBND.P2; ITU data), CC BY 4.0; packaged by "
    "datasets.org (PDDL) and Our World in Data (CC BY 4.0)."
)

Series = dict[tuple[str, int], float]


def _rows(path: Path) -> Iterator[dict[str, str]]:
    # utf-8-sig: the World Bank bulk files start with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def iso3_to_iso2(econ: Path) -> dict[str, str]:
    return {
        row["ISO3166-1-Alpha-3"]: row["ISO3166-1-Alpha-2"]
        for row in _rows(econ / "country-codes.csv")
        if row["ISO3166-1-Alpha-3"] and row["ISO3166-1-Alpha-2"]
    }


def long_series(
    rows: Iterable[dict[str, str]], code: str, value: str, iso: dict[str, str]
) -> Series:
    """``Country Code,Year,Value``-style files (datasets.org and OWID exports)."""
    out: Series = {}
    for row in rows:
        iso2 = iso.get(row[code])
        year = int(row["Year"])
        if iso2 is None or year < FIRST_YEAR or row[value] == "":
            continue
        out[iso2, year] = float(row[value])
    return out


def wide_series(rows: Iterable[dict[str, str]], iso: dict[str, str]) -> Series:
    """The World Bank bulk layout: one row per code, one column per year."""
    out: Series = {}
    for row in rows:
        iso2 = iso.get(row["Country Code"])
        if iso2 is None:
            continue
        for column, cell in row.items():
            if column and column.isdigit() and int(column) >= FIRST_YEAR and cell:
                out[iso2, int(column)] = float(cell)
    return out


def _fmt(value: float | None, digits: int) -> str:
    if value is None:
        return ""
    if digits == 0:
        return str(round(value))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _gdp(value: float | None) -> str:
    # Six significant figures: far below the uncertainty of any cost model, keeps the file small.
    return "" if value is None else str(round(float(f"{value:.6g}")))


def derive(econ: Path) -> str:
    """The table as CSV text (deterministic: sorted by country then year)."""
    iso = iso3_to_iso2(econ)
    gdp = long_series(_rows(econ / "gdp.csv"), "Country Code", "Value", iso)
    pop = long_series(_rows(econ / "population.csv"), "Country Code", "Value", iso)
    net = wide_series(_rows(econ / "wb_internet_users_pct_IT.NET.USER.ZS.csv"), iso)
    mob = long_series(
        _rows(econ / "owid_mobile_cellular_subscriptions_per_100.csv"),
        "Code",
        "Mobile cellular subscriptions",
        iso,
    )
    bb = long_series(
        _rows(econ / "owid_fixed_broadband_per_100.csv"),
        "Code",
        "Fixed broadband subscriptions",
        iso,
    )
    keys = sorted(set(gdp) | set(pop) | set(net) | set(mob) | set(bb))
    buffer = io.StringIO()
    buffer.write(f"# {ATTRIBUTION}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for key in keys:
        writer.writerow(
            (
                key[0],
                key[1],
                _gdp(gdp.get(key)),
                _fmt(pop.get(key), 0),
                _fmt(net.get(key), 2),
                _fmt(mob.get(key), 2),
                _fmt(bb.get(key), 2),
            )
        )
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--econ", type=Path, default=DEFAULT_ECON, help="../shared/data/econ")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="CSV to write")
    args = parser.parse_args()
    text = derive(args.econ)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    rows = text.count("\n") - 2
    print(f"wrote {args.output} ({rows} rows, {len(text.encode()) // 1024} KiB)")


if __name__ == "__main__":
    main()
