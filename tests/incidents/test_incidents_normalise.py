"""The codebook, durations, hours read from STOP's words and generated titles (pure functions).

Each case is a cell as Access Now's sheets write it (spellings copied from the 2016-2022
workbook and the 2020 CSV), with what a reader should get.
"""

from __future__ import annotations

import datetime as dt

import pytest

from netvigil.incidents.hours import read_hours
from netvigil.incidents.normalise import normalise
from netvigil.incidents.titles import TitleFacts, generate


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"shutdown_type": "Throttle"}, {"type_code": "throttling"}),
        ({"shutdown_type": "Throttling"}, {"type_code": "throttling"}),  # 2016-2018
        ({"shutdown_type": "Shutdown, Throttle"}, {"type_code": "shutdown_and_throttling"}),
        ({"shutdown_type": "Shutdown and throttle"}, {"type_code": "shutdown_and_throttling"}),
        # 2016-2018's type group says what was cut: type shutdown, extent from it.
        ({"shutdown_type": "Service-based"},
         {"type_code": "shutdown", "extent_code": "service_based"}),
        ({"shutdown_type": "Mobile Internet"},
         {"type_code": "shutdown", "extent_code": "full_network"}),
        ({"shutdown_extent": "Full and Service-based"}, {"extent_code": "full_and_service"}),
        ({"affected_network": "Broadband Internet, Mobile Internet"},
         {"network_code": "mobile_and_broadband"}),
        ({"affected_network": "Mobile and broadband"}, {"network_code": "mobile_and_broadband"}),
        ({"geo_scope": "Level  2"}, {"scope_code": "regional"}),
        ({"geo_scope": "Level 1"}, {"scope_code": "local"}),
        ({"geo_scope": "It only affected one city, county, or village"}, {"scope_code": "local"}),
        ({"geo_scope": "Multi-regional"}, {"scope_code": "multi_regional"}),
        # Since 2019 "national" is "more than one state" with the area written as nationwide.
        ({"geo_scope": "Level 3", "area_name": "National"}, {"scope_code": "national"}),
        (
            {"geo_scope": "It affected locations in more than one state, province, or region",
             "area_name": "Nationwide except for HK SAR"},
            {"scope_code": "national"},
        ),
        (
            {"geo_scope": "It affected locations in more than one state, province, or region",
             "area_name": "Tigray, Amhara"},
            {"scope_code": "multi_regional"},
        ),
        ({"actual_cause": "Political Instability"}, {"cause_code": "political_instability"}),
        ({"actual_cause": "Religious Holiday/ Annversary"}, {"cause_code": "religious_event"}),
        ({"gov_justification": "Fake News/ Hate Speech"}, {"justification_code": "hate_speech"}),
        ({"ordered_by": "Law Enforcemnet"}, {"ordered_by_code": "law_enforcement"}),
        ({"ordered_by": "Uknown"}, {"ordered_by_code": "unknown"}),
    ],
)  # fmt: skip
def test_every_generation_maps_onto_one_code(
    cells: dict[str, str], expected: dict[str, str]
) -> None:
    result = normalise(cells)
    assert result.unmapped == []
    for column, code in expected.items():
        assert result.codes[column] == code, column


def test_values_no_vocabulary_knows_are_reported_not_guessed() -> None:
    result = normalise({"shutdown_type": "Blackout", "geo_scope": "Province-wide"})
    assert result.codes["type_code"] is None and result.codes["scope_code"] is None
    assert {(u.vocabulary, u.value) for u in result.unmapped} == {
        ("type", "Blackout"),
        ("scope", "Province-wide"),
    }


def test_services_from_flags_and_free_text() -> None:
    cells = {"facebook_affected": "Yes", "twitter_affected": "No",
             "other_affected": "YouTube, Viber, Snapchat and Facebook Messenger"}  # fmt: skip
    assert normalise(cells).services == [
        "facebook", "facebook_messenger", "youtube", "viber", "snapchat"
    ]  # fmt: skip


def test_durations_are_recomputed_and_impossible_ones_flagged() -> None:
    ok = normalise({"start_date": dt.date(2022, 9, 21), "end_date": dt.date(2022, 10, 3),
                    "duration": "13"})  # fmt: skip
    assert (ok.duration_days, ok.flags) == (13, [])
    # =DAYS(end, start) over a blank end: minus the start's Excel serial (China's Signal block).
    blank_end = normalise({"start_date": dt.date(2021, 3, 16), "duration": "-44270"})
    assert (blank_end.duration_days, blank_end.flags) == (None, ["negative_duration"])
    backwards = normalise({"start_date": dt.date(2020, 5, 18), "end_date": dt.date(2020, 5, 17)})
    assert (backwards.duration_days, backwards.flags) == (None, ["end_before_start"])


def test_daily_windows_read_from_stop_words() -> None:
    cells = {
        "start_date": dt.date(2022, 9, 21),
        "end_date": dt.date(2022, 10, 3),
        "event": "Daily curfew-style shutdowns were imposed on Iran's three largest mobile "
        "networks from around 4:00pm to midnight (local time) between Sep. 21 and Oct. 3 "
        "(13 days straight)",
    }
    (found,) = read_hours(cells, "IR")
    assert found.timezone == "Asia/Tehran" and found.start_at is None
    assert [(w.day, w.start, w.end) for w in found.windows][:2] == [
        (dt.date(2022, 9, 21), dt.time(16), None),
        (dt.date(2022, 9, 22), dt.time(16), None),
    ]
    assert len(found.windows) == 13 and found.windows[-1].day == dt.date(2022, 10, 3)


def test_windows_across_new_year_and_spans_in_utc() -> None:
    srinagar = {
        "start_date": dt.date(2021, 12, 31),
        "event": "Mobile internet was suspended in Srinagar from 15:00 to 21:00 daily between "
        "Dec. 31 and Jan. 2.",
    }
    (daily,) = read_hours(srinagar, "IN")
    assert [w.day for w in daily.windows] == [
        dt.date(2021, 12, 31), dt.date(2022, 1, 1), dt.date(2022, 1, 2)
    ]  # fmt: skip
    kulgam = {
        "start_date": dt.date(2022, 1, 9),
        "event": "Mobile internet was suspended in Kulgam from 17:00 on Jan. 9 to 13:00 on "
        "Jan. 10.",
    }
    (span,) = read_hours(kulgam, "IN")
    assert span.start_at == dt.datetime(2022, 1, 9, 11, 30, tzinfo=dt.UTC)  # 17:00 IST
    assert span.end_at == dt.datetime(2022, 1, 10, 7, 30, tzinfo=dt.UTC)
    iran = {
        "start_date": dt.date(2022, 11, 21),
        "event": "the internet was suspended between 15:00 and 19:00 UTC on Nov. 21.",
    }
    (one,) = read_hours(iran, "IR")
    assert one.timezone == "UTC" and [(w.start, w.end) for w in one.windows] == [
        (dt.time(15), dt.time(19))
    ]


def test_no_hours_are_invented() -> None:
    assert (
        read_hours({"event": "Internet was cut for a few hours on the days of the exams."}, "IQ")
        == []
    )
    assert read_hours({"event": "The police shut down the internet at 10:00."}, "IN") == []


def _facts(**kw: object) -> TitleFacts:
    base: dict[str, object] = dict(
        country_code="CN", country="China", area_name="Nationwide except for HK SAR",
        scope_code="national", type_code="shutdown", extent_code="service_based",
        network_code="mobile_and_broadband", services=("signal",),
        start_date=dt.date(2021, 3, 16), end_date=None, ongoing=True, report_year=2021,
        recurring=False,
    )  # fmt: skip
    base.update(kw)
    return TitleFacts(**base)  # type: ignore[arg-type]


def test_titles_in_english_and_traditional_chinese() -> None:
    assert generate(_facts()) == "China: Signal blocked nationwide, since 16 Mar 2021"
    assert generate(_facts(), "zh_Hant") == "中國：全國封鎖 Signal，2021年3月16日起"
    hk = _facts(country_code="HK", scope_code="local", area_name="Admiralty",
                extent_code="full_network", network_code="mobile", services=(),
                end_date=dt.date(2021, 3, 17), ongoing=False)  # fmt: skip
    assert generate(hk) == "Hong Kong: mobile internet shutdown in Admiralty, 16–17 Mar 2021"
    assert generate(hk, "zh_Hant").startswith("香港：Admiralty 行動網路斷網")
