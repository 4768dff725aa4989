"""Impact of tracker incidents: hours from daily windows, cost so far, regional shares from the
area's places, services already blocked, and a reason where no estimate is possible."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from netvigil._errors import InputError
from netvigil.impact import estimate
from netvigil.impact.blocked import Block
from netvigil.impact.incident import IncidentFacts, NoEstimate, incident_impact
from netvigil.impact.places import area_share
from nvtest import REPO, shared_path

TODAY = dt.date(2026, 12, 3)


def _facts(**kw: object) -> IncidentFacts:
    base: dict[str, object] = dict(
        country_code="IR", start_date=dt.date(2022, 9, 21), end_date=dt.date(2022, 10, 3),
        ongoing=False, last_report_year=2022, scope_code="national", area_name="Nationwide",
        extent_code="full_network", type_code="shutdown", network_code="mobile", services=(),
        episode_hours=None, windows=0,
    )  # fmt: skip
    base.update(kw)
    return IncidentFacts(**base)  # type: ignore[arg-type]


def test_daily_windows_count_hours_not_days() -> None:
    days = incident_impact(_facts(), today=TODAY)
    hours = incident_impact(_facts(episode_hours=13 * 8.0, windows=13), today=TODAY)
    assert not isinstance(days, NoEstimate) and not isinstance(hours, NoEstimate)
    assert days.estimate["inputs"]["hours"] == 13 * 24.0  # both ends counted, as STOP counts
    assert hours.estimate["inputs"]["hours"] == 104.0
    assert hours.basis["hours_rule"] == "daily windows: 13 windows, 104 h"
    expected = estimate("IR", 104.0, shutdown_type="mobile", year=2022)
    assert hours.estimate["range"] == expected.range.to_json_dict()


def test_an_ongoing_shutdown_gets_its_cost_so_far_and_a_daily_rate() -> None:
    facts = _facts(
        country_code="CN", start_date=dt.date(2021, 3, 16), end_date=None, ongoing=True,
        last_report_year=2022, extent_code="service_based", services=("signal",),
        network_code="mobile_and_broadband",
    )  # fmt: skip
    result = incident_impact(facts, today=TODAY)
    assert not isinstance(result, NoEstimate)
    # Access Now last reported it ongoing in 2022: costed to the end of that year, not today.
    assert result.basis["as_of"] == "2022-12-31" and result.basis["ongoing"] is True
    days = (dt.date(2022, 12, 31) - dt.date(2021, 3, 16)).days + 1
    assert result.estimate["inputs"]["hours"] == days * 24.0
    rate = result.basis["daily_rate_usd"]["central"]
    assert abs(rate * days - result.estimate["range"]["central"]) <= days


def test_services_already_blocked_are_not_counted_again() -> None:
    cn = _facts(country_code="CN", start_date=dt.date(2022, 5, 1), end_date=dt.date(2022, 5, 2),
                extent_code="service_based", services=("whatsapp", "facebook"))  # fmt: skip
    refused = incident_impact(cn, today=TODAY)
    assert isinstance(refused, NoEstimate) and refused.reason == "services_already_blocked"
    # Signal was blocked by an earlier incident still going on (known from the tracker).
    signal = _facts(country_code="CN", start_date=dt.date(2022, 5, 1),
                    end_date=dt.date(2022, 5, 2), extent_code="service_based",
                    services=("whatsapp", "signal", "youtube"))  # fmt: skip
    blocks = [Block("signal", dt.date(2021, 3, 16), "netvigil incident #232")]
    assert isinstance(incident_impact(signal, today=TODAY, tracker_blocks=blocks), NoEstimate)
    # Before WhatsApp's block (September 2017) it is counted; Facebook (2009) still is not.
    early = _facts(country_code="CN", start_date=dt.date(2016, 5, 1), end_date=dt.date(2016, 5, 1),
                   extent_code="service_based", services=("whatsapp", "facebook"))  # fmt: skip
    result = incident_impact(early, today=TODAY)
    assert not isinstance(result, NoEstimate)
    assert result.estimate["inputs"]["services"] == ["whatsapp"]
    assert [b["service"] for b in result.basis["services_already_blocked"]] == ["facebook"]


def test_the_cli_refuses_to_cost_services_blocked_for_years() -> None:
    with pytest.raises(InputError, match="already blocked in China"):
        estimate("CN", 24, shutdown_type="service", services=["whatsapp", "facebook"],
                 on=TODAY)  # fmt: skip
    # Without a date (a hypothetical block) the services are costed as asked.
    assert estimate("CN", 24, shutdown_type="service", services=["whatsapp"]).people_affected > 0


def test_regional_share_from_the_places_the_area_names() -> None:
    shopian = area_share("IN", "Shopian district in Jammu and Kashmir")
    valley = area_share("IN", "Kashmir Valley, Jammu and Kashmir")
    assert shopian is not None and shopian.places == ("Shopian",)
    assert valley is not None and valley.places == ("Kashmir Valley",)
    assert 0 < shopian.share < valley.share < 0.01
    regional = incident_impact(
        _facts(country_code="IN", scope_code="local", area_name="Shopian district in Jammu and "
               "Kashmir", start_date=dt.date(2022, 2, 25), end_date=dt.date(2022, 2, 25)),
        today=TODAY,
    )  # fmt: skip
    assert not isinstance(regional, NoEstimate)
    assert regional.estimate["inputs"]["scope"] == "regional"
    assert regional.estimate["inputs"]["region_share"] == pytest.approx(shopian.share)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"country_code": None}, "no_country"),
        ({"country_code": "TW"}, "no_indicators"),
        ({"start_date": None}, "no_start"),
        ({"end_date": dt.date(2022, 9, 1)}, "impossible_dates"),
        ({"scope_code": "local", "area_name": None}, "area_not_recorded"),
        ({"scope_code": "local", "area_name": "A bunch of cell towers"}, "area_unresolved"),
        ({"extent_code": "service_based", "services": ()}, "services_not_recorded"),
        ({"extent_code": "service_based", "services": ("clubhouse",)}, "services_not_costed"),
    ],
)
def test_a_clear_reason_where_no_estimate_is_possible(
    changes: dict[str, object], reason: str
) -> None:
    result = incident_impact(_facts(**changes), today=TODAY)
    assert isinstance(result, NoEstimate) and result.reason == reason
    assert result.message.startswith("No estimate: ")


def test_coverage_of_the_stop_incidents_is_at_least_90_percent() -> None:
    shared_path("stop", "Keepiton_raw_dataset_2016-2022.xlsx")  # skips when absent
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "impact_coverage.py"), "--today", "2026-12-03",
         "--json"],
        check=True, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    import json

    result = json.loads(run.stdout)
    assert result["incidents"] == 1118 - 27  # one per shutdown
    assert result["share"] >= 0.90
    assert sum(result["reasons"].values()) == result["incidents"] - result["with_estimate"]


def test_docs_compare_with_the_keepiton_hong_kong_figure() -> None:
    doc = (REPO / "docs" / "impact.md").read_text(encoding="utf-8")
    result = estimate("HK", 24, year=2019)
    for value in (
        result.range.low,
        result.range.central,
        result.range.high,
        result.method("brookings").cost_usd,
    ):
        assert f"{round(value):,}" in doc
    gdp = result.to_json_dict()["inputs"]["gdp_usd"]["value"]
    assert f"{425e6 / (gdp / 365):.1%}" in doc  # the letter's share of a day's GDP
    assert result.range.high < 425e6  # netvigil's range does not reach it (the docs say why)
