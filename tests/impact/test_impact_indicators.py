"""The committed indicator table: reproducible from ../shared, faithful, shipped in the wheel."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pycountry
import pytest

from netvigil._errors import InputError, UnknownEntityError
from netvigil.impact import estimate, resolve_country
from netvigil.impact.indicators import load_table
from netvigil.impact.methods import DeloitteThresholds
from nvtest import REPO, shared_path

COMMITTED = REPO / "src/netvigil/impact/data/indicators.csv"


def test_rederiving_from_shared_data_gives_the_committed_table(tmp_path: Path) -> None:
    econ = shared_path("econ")
    out = tmp_path / "indicators.csv"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts/derive_indicators.py"),
            "--econ",
            str(econ),
            "--output",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == COMMITTED.read_bytes()


def test_table_matches_world_bank_source_and_drops_aggregates() -> None:
    # GDP of the UK in 2019 as published in gdp.csv (World Bank long format), 6 significant digits.
    with shared_path("econ", "gdp.csv").open(encoding="utf-8") as handle:
        raw = next(
            float(r["Value"])
            for r in csv.DictReader(handle)
            if r["Country Code"] == "GBR" and r["Year"] == "2019"
        )
    table = load_table()
    assert table["GB"]["gdp_usd"][2019] == pytest.approx(raw, rel=1e-6)
    iso2 = {c.alpha_2 for c in pycountry.countries}
    assert set(table) <= iso2  # no World Bank aggregates (WLD, ARB, AFW...) survived the join
    assert len(table) > 200


def test_table_is_compact_and_credits_its_source() -> None:
    text = COMMITTED.read_text(encoding="utf-8")
    assert len(text.encode()) < 400_000
    assert "World Bank World Development Indicators" in text.splitlines()[0]
    assert "CC BY 4.0" in text.splitlines()[0]


def test_wheel_ships_the_table(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    wheel = next(
        iter(WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"]))
    )
    with zipfile.ZipFile(wheel) as archive:
        assert "netvigil/impact/data/indicators.csv" in archive.namelist()


@pytest.mark.parametrize(
    ("name", "alpha_2"),
    [("HK", "HK"), ("hkg", "HK"), ("Hong Kong", "HK"), ("iran", "IR"), ("Russia", "RU")],
)
def test_country_by_code_or_name(name: str, alpha_2: str) -> None:
    assert resolve_country(name).alpha_2 == alpha_2


def test_unknown_country_lists_closest_matches() -> None:
    with pytest.raises(UnknownEntityError) as caught:
        resolve_country("Ethiopa")
    assert "Ethiopia (ET)" in caught.value.suggestions


def test_year_without_data_falls_back_to_nearest_and_says_so() -> None:
    # Internet users stop at 2022/2023; asking for next year (the latest a user may ask for)
    # uses the last year with data and records it.
    from datetime import date

    year = date.today().year + 1
    result = estimate("GB", 24, year=year).to_json_dict()
    internet = result["inputs"]["internet_pct"]
    assert internet["year"] < year
    assert str(year) in internet["fallback"]
    # The table starts in 2000: 1995 falls forward to 2000.
    early = estimate("GB", 24, year=1995).to_json_dict()["inputs"]["gdp_usd"]
    assert early["year"] == 2000 and "fallback" in early


def test_country_without_world_bank_series_is_a_clear_error() -> None:
    # Taiwan has an ISO code but no World Bank series.
    with pytest.raises(InputError, match="Taiwan"):
        estimate("TW", 24)


def test_docs_tables_are_the_scripts_output() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts/impact_comparison.py")],
        check=True,
        capture_output=True,
        text=True,
    )
    docs = (REPO / "docs/impact.md").read_text(encoding="utf-8")
    comparison, tiers = result.stdout.split("\n\n", 1)
    assert comparison.strip() in docs
    assert tiers.strip() in docs
    assert "| India, Jul 2015-Jun 2016 (22 shutdowns) | 968 |" in comparison


def test_deloitte_cutoffs_in_code_are_the_derived_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    # The thresholds netvigil ships must be the ones the documented derivation gives.
    spec = importlib.util.spec_from_file_location(
        "impact_comparison", REPO / "scripts/impact_comparison.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    shipped = DeloitteThresholds()
    assert module.tier_cutoffs() == (shipped.high, shipped.medium)
