"""Each method reproduces its published rule on hand-computed cases.

Expected numbers are computed here by hand from the committed table's raw figures (read with the
csv module, not through netvigil) and the published constants, never by calling the code twice.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from netvigil.impact import estimate

TABLE = Path(__file__).resolve().parents[2] / "src/netvigil/impact/data/indicators.csv"


def row(iso2: str, year: int) -> dict[str, float]:
    with TABLE.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    for item in csv.DictReader(lines):
        if item["iso2"] == iso2 and int(item["year"]) == year:
            return {k: float(v) for k, v in item.items() if k not in ("iso2", "year") and v}
    raise AssertionError(f"{iso2} {year} missing from the committed table")


def test_deloitte_high_connectivity_full_day_is_1_9_percent_of_daily_gdp() -> None:
    # UK 2019: 92.5% internet users -> high tier; one full national day = 1.9% of GDP/365.
    gb = row("GB", 2019)
    result = estimate("GB", 24, year=2019)
    assert result.method("deloitte").basis["tier"] == "high"
    assert result.method("deloitte").cost_usd == pytest.approx(gb["gdp_usd"] / 365 * 0.019)


def test_deloitte_medium_and_low_tiers() -> None:
    # Mexico 2019: 69.6% -> medium (1.0%); Ethiopia 2015: 13.9% -> low (0.4%), over 3 days.
    mx, et = row("MX", 2019), row("ET", 2015)
    medium = estimate("MX", 24, year=2019).method("deloitte")
    low = estimate("ET", 72, year=2015).method("deloitte")
    assert (medium.basis["tier"], low.basis["tier"]) == ("medium", "low")
    assert medium.cost_usd == pytest.approx(mx["gdp_usd"] / 365 * 0.010)
    assert low.cost_usd == pytest.approx(et["gdp_usd"] / 365 * 0.004 * 3)


def test_deloitte_per_ten_million_people_form() -> None:
    # Deloitte's other form: $23.6M per day per 10 million people in a high-connectivity country.
    gb = row("GB", 2019)
    deloitte = estimate("GB", 48, year=2019).method("deloitte")
    assert deloitte.basis["per_10m_people_form_usd"] == round(23.6e6 * gb["population"] / 1e7 * 2)


def test_brookings_uses_published_bcg_share_for_india() -> None:
    # West (2016) used BCG's 2016 projection: India's internet economy = 5.6% of GDP.
    india = row("IN", 2014)
    brookings = estimate("India", 24 * 10, year=2014).method("brookings")
    assert brookings.basis["share_source"] == "published"
    assert brookings.cost_usd == pytest.approx(india["gdp_usd"] / 365 * 0.056 * 10)


def test_brookings_estimates_share_from_penetration_and_reproduces_brazil_whatsapp_day() -> None:
    # Brazil has no published share: 5.3% x 54.55 / 50.2 = 5.759%. A one-day WhatsApp block takes
    # 10% of that: West (2016) reported US$39M for Brazil's May 2016 WhatsApp day.
    br = row("BR", 2014)
    share = 0.053 * br["internet_pct"] / 50.2
    result = estimate("BR", 24, year=2014, shutdown_type="service", services=["whatsapp"])
    brookings = result.method("brookings")
    assert brookings.basis["share_source"] == "estimated"
    assert brookings.cost_usd == pytest.approx(br["gdp_usd"] / 365 * share * 0.10)
    assert brookings.cost_usd == pytest.approx(39e6, rel=0.05)


def test_estimated_share_stays_in_bcg_range() -> None:
    # Ethiopia 2015 (13.9%) would give 1.47%... 2014 (7.7%) gives 0.81% -> floored at 1.4%.
    assert estimate("ET", 24, year=2014).method("brookings").basis["internet_economy_share"] == (
        0.014
    )


def test_regional_mobile_shutdown_scales_by_population_and_mobile_share() -> None:
    # India 2019, mobile data cut in a region holding 5% of the population, for 3 days.
    india = row("IN", 2019)
    mobile = india["mobile_per_100"] / (india["mobile_per_100"] + india["broadband_per_100"])
    result = estimate("IN", 72, year=2019, scope="regional", share=0.05, shutdown_type="mobile")
    expected = india["gdp_usd"] / 365 * 0.056 * 3 * 0.05 * mobile
    assert result.method("brookings").cost_usd == pytest.approx(expected)
    people = india["population"] * india["internet_pct"] / 100 * 0.05 * mobile
    assert result.people_affected == round(people)


def test_people_affected_national() -> None:
    hk = row("HK", 2022)
    result = estimate("HK", 24, year=2022)
    assert result.people_affected == round(hk["population"] * hk["internet_pct"] / 100)


def test_two_services_combine_without_exceeding_the_whole() -> None:
    gb = row("GB", 2019)
    result = estimate(
        "GB", 24, year=2019, shutdown_type="service", services=["whatsapp", "facebook"]
    )
    assert result.method("brookings").cost_usd == pytest.approx(
        gb["gdp_usd"] / 365 * 0.124 * (1 - 0.9 * 0.9)
    )


def test_netvigil_central_and_range_with_observed_severity() -> None:
    # Throttling observed as 60% loss: central = sqrt(B * D) * 0.6; low/high at 0.5/0.7.
    result = estimate("GB", 24, year=2019, severity=0.6)
    b = result.method("brookings").cost_usd
    d = result.method("deloitte").cost_usd
    assert result.method("netvigil").cost_usd == pytest.approx((b * d) ** 0.5 * 0.6)
    assert result.range.low == pytest.approx(min(b, d) * 0.5)
    assert result.range.high == pytest.approx(max(b, d) * 0.7)
    assert result.range.low < result.range.central < result.range.high


def test_estimated_share_widens_the_range() -> None:
    # Hong Kong's share is estimated: Brookings' bound is divided / multiplied by 2.
    result = estimate("HK", 24, year=2022)
    b = result.method("brookings").cost_usd
    d = result.method("deloitte").cost_usd
    assert result.range.high == pytest.approx(max(2 * b, d))
    assert result.range.low == pytest.approx(min(b / 2, d))


def test_every_iso_country_gives_an_ordered_range_or_a_clear_error() -> None:
    # No country or shutdown type may crash or produce low > central > high; territories the
    # World Bank does not cover must be a NetvigilError naming the missing series.
    import pycountry

    from netvigil._errors import NetvigilError

    estimated = 0
    for record in pycountry.countries:
        for kwargs in ({}, {"shutdown_type": "mobile", "severity": 0.5}):
            try:
                result = estimate(record.alpha_2, 5, **kwargs)  # type: ignore[arg-type]
            except NetvigilError as exc:
                assert "World Bank table" in exc.message
                continue
            estimated += 1
            assert 0 < result.range.low <= result.range.central <= result.range.high
            assert result.people_affected >= 0
    assert estimated > 380  # ~200 countries x 2 types
