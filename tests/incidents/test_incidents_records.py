"""One incident per shutdown, readable records, on Access Now's own files (../shared/data/stop).

Expected figures are Access Now's (counts per report year, as in test_incidents_stop) and the
carry-over pairs are named here from the sheets (the same country and start date reported in
two report years), not from the linker's output.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from netvigil.incidents import Actor, IncidentFilter, Tracker, public_dict
from netvigil.incidents.model import Incident
from netvigil.incidents.stop_io import read_stop
from nvtest import shared_path

ACCESS_NOW = {"2016": 75, "2017": 106, "2018": 196, "2019": 213, "2020": 159, "2021": 182,
              "2022": 187}  # fmt: skip
ADMIN = Actor("cli:test", "admin")

# The review's 13: rows of the 2022 sheet for shutdowns that began in 2021 and are the 2021
# sheet's rows of the same country and start date (China's Signal block: 2021 row 46, 2022 row 8).
REVIEW_PAIRS = {
    ("2022 Data", 3): ("2021 Data", 12),  # Uganda, from 2021-01-12
    ("2022 Data", 4): ("2021 Data", 15),  # Iran, Signal, from 2021-01-25
    ("2022 Data", 5): ("2021 Data", 40),  # Russia, throttling, from 2021-03-10
    ("2022 Data", 6): ("2021 Data", 43),  # Oman, Clubhouse, from 2021-03-14
    ("2022 Data", 7): ("2021 Data", 44),  # Jordan, Clubhouse, from 2021-03-15
    ("2022 Data", 8): ("2021 Data", 46),  # China, Signal, from 2021-03-16
    ("2022 Data", 9): ("2021 Data", 75),  # Nigeria, Twitter, 2021-06-04 to 2022-01-13
    ("2022 Data", 10): ("2021 Data", 105),  # Myanmar, Hpakant and Sagaing, from 2021-08-20
    ("2022 Data", 11): ("2021 Data", 116),  # Myanmar, Sagaing townships, from 2021-09-14
    ("2022 Data", 12): ("2021 Data", 120),  # Myanmar, Chin state, from 2021-09-23
    ("2022 Data", 13): ("2021 Data", 121),  # Myanmar, Sagaing townships, from 2021-09-26
    ("2022 Data", 14): ("2021 Data", 130),  # Turkmenistan, from 2021-10-20
    ("2022 Data", 15): ("2021 Data", 141),  # Uzbekistan, from 2021-11-03
}
# The other shutdowns reported in two or three report years (earlier sheets): later row ->
# the first report of the shutdown.
OTHER_PAIRS = {
    ("2022 Data", 2): ("2020 Data", 144),  # Ethiopia, Tigray, from 2020-11-04 (three years)
    ("2021 Data", 6): ("2020 Data", 144),
    ("2021 Data", 2): ("2020 Data", 2),  # Pakistan, FATA, 2016-06-12 to 2021-12-28
    ("2021 Data", 3): ("2019", 146),  # Myanmar, Rakhine, from 2019-06-22 (three years)
    ("2020 Data", 3): ("2019", 146),
    ("2021 Data", 4): ("2020 Data", 5),  # India, Jammu and Kashmir, from 2019-08-05
    ("2021 Data", 5): ("2020 Data", 20),  # Myanmar, five townships, from 2020-02-03
    ("2021 Data", 7): ("2020 Data", 151),  # Uganda, throttling, from 2020-11-21
    ("2021 Data", 9): ("2020 Data", 160),  # Jordan, 2020-12-31 to 2021-01-04
    ("2020 Data", 4): ("2019", 169),  # India, Kashmir Valley, from 2019-08-03
    ("2020 Data", 6): ("2019", 180),  # Bangladesh, Cox's Bazar camps, from 2019-09-10
    ("2019", 2): ("2016+2017+2018 ", 224),  # Chad, from 2018-03-28
    ("2019", 5): ("2016+2017+2018 ", 374),  # Sudan, from 2018-12-21
    ("2019", 6): ("2016+2017+2018 ", 378),  # DR Congo, from 2018-12-31
}


def _import(tracker: Tracker, *names: str) -> None:
    for name in names:
        rows, _ = read_stop(shared_path("stop", name))
        tracker.import_stop_rows(rows, ADMIN, source=name)


WORKBOOK = "Keepiton_raw_dataset_2016-2022.xlsx"
CSV_2020 = "KeepItOn-STOP-Data-2020.csv"


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Tracker:
    """The workbook, then the 2020 CSV (the order a reader of docs/incidents.md would use)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('both') / 't.sqlite'}"
    tracker = Tracker(url)
    _import(tracker, WORKBOOK, CSV_2020)
    return tracker


def _rows(tracker: Tracker) -> dict[int, Incident]:
    with tracker.session() as s:
        return {i.id: i for i in s.scalars(select(Incident))}


def test_counts_per_report_year_stay_access_nows_and_imports_are_idempotent(
    both: Tracker, tmp_path: Path
) -> None:
    assert both.stats("year") == ACCESS_NOW
    before = {i.id: (i.same_as_id, i.link_kind) for i in _rows(both).values()}
    for name in (CSV_2020, WORKBOOK):
        rows, _ = read_stop(shared_path("stop", name))
        again = both.import_stop_rows(rows, ADMIN, source=name)
        assert (again.created, again.updated, again.links) == (0, 0, [])
        assert both.stats("year") == ACCESS_NOW
    assert {i.id: (i.same_as_id, i.link_kind) for i in _rows(both).values()} == before
    # The other order ends in the same links and counts.
    other = Tracker(f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        _import(other, CSV_2020)
        assert other.stats("year") == {"2020": 155}  # the CSV alone is its own edition's count
        _import(other, WORKBOOK)
        assert other.stats("year") == ACCESS_NOW
        kinds = Counter(i.link_kind for i in _rows(other).values())
        assert kinds == Counter(i.link_kind for i in _rows(both).values())
    finally:
        other.close()


def test_the_2020_csv_merges_into_the_workbook_with_reasons(both: Tracker) -> None:
    rows = _rows(both)
    csv_rows = [i for i in rows.values() if i.stop_sheet == "KeepItOn-STOP-Data-2020"]
    assert len(csv_rows) == 155
    kinds = Counter(i.link_kind for i in csv_rows)
    assert kinds == {"edition": 145, "superseded": 10}
    for row in csv_rows:
        assert row.link_reason
        if row.link_kind == "edition":
            target = rows[row.same_as_id]  # type: ignore[index]
            assert target.stop_sheet == "2020 Data" and target.country_code == row.country_code
            assert abs((target.start_date - row.start_date).days) <= 31  # type: ignore[operator]
    # Each workbook row is matched at most once.
    targets = [i.same_as_id for i in csv_rows if i.link_kind == "edition"]
    assert len(targets) == len(set(targets))
    by_line = {i.stop_row: i for i in csv_rows}
    # CSV line 7 (ID 5, Koregaon Bhima, 2020-01-01) is the workbook's "2020 Data" row 7.
    merged = by_line[7]
    assert (rows[merged.same_as_id].stop_sheet, rows[merged.same_as_id].stop_row) == (  # type: ignore[index]
        "2020 Data",
        7,
    )
    # CSV line 144 (ID 142, the J&K order 124(TSTS) of 2020-11-28) is in no workbook row.
    assert by_line[144].link_kind == "superseded" and by_line[144].same_as_id is None


def test_carry_over_reports_are_one_incident(both: Tracker) -> None:
    rows = _rows(both)
    where = {(i.stop_sheet, i.stop_row): i for i in rows.values()}
    linked = {
        (i.stop_sheet, i.stop_row): (rows[i.same_as_id].stop_sheet, rows[i.same_as_id].stop_row)
        for i in rows.values()
        if i.link_kind == "carry_over" and i.same_as_id is not None
    }
    # Each later report points at the shutdown's first report (a chain ends at its root).
    expected = {**REVIEW_PAIRS, **OTHER_PAIRS}
    expected[("2022 Data", 8)] = ("2021 Data", 46)
    roots = dict(expected)
    for later, earlier in expected.items():
        while earlier in roots:
            earlier = roots[earlier]
        roots[later] = earlier
    assert linked == roots
    assert len(linked) == 27 and set(REVIEW_PAIRS) <= set(linked)
    # China's Signal block: one public incident, both yearly reports listed, 2022 redirects.
    signal = where[("2021 Data", 46)]
    assert both.get_incident(signal.id, public=True).link_kind is None
    later = both.linked_reports(signal.id, public=True)
    assert [(r.stop_sheet, r.stop_row) for r in later] == [("2022 Data", 8)]
    listed = both.list_incidents(IncidentFilter(country="CN", limit=None), public=True)
    assert signal.id in {i.id for i in listed}
    assert where[("2022 Data", 8)].id not in {i.id for i in listed}


def test_site_records_are_titled_and_never_show_impossible_durations(both: Tracker) -> None:
    records = [public_dict(i) for i in both.list_incidents(IncidentFilter(limit=None), public=True)]
    assert len(records) == 1118 - 27
    titles = [r["title"] for r in records]
    assert not [t for t in titles if not t or "untitled" in t.lower()]
    assert not [r for r in records if not r["title_zh_hant"]]
    negative = [
        r["id"]
        for r in records
        if str(r["stop"]["duration"] or "").lstrip().startswith("-")
        or (r["duration_days"] is not None and r["duration_days"] < 0)
    ]
    assert negative == []
    # The flags are there for editors: 37 rows carry the =DAYS() artefact of a blank end.
    every = both.list_incidents(IncidentFilter(limit=None, canonical=False), public=False)
    assert sum("negative_duration" in (i.quality_flags or []) for i in every) >= 37
    iran = next(
        r for r in records if r["country_code"] == "IR" and r["stop"]["start_date"] == "2022-09-21"
        and r["codes"]["network"] == "mobile"
    )  # fmt: skip
    assert iran["title"] == "Iran: nationwide mobile internet shutdowns, 21 Sep – 3 Oct 2022"
    assert iran["title_zh_hant"] == "伊朗：全國行動網路斷網，2022年9月21日至10月3日"
    windows = [w for e in iran["episodes"] for w in e["windows"]]
    assert len(windows) == 13 and windows[0]["start_time"] == "16:00:00"
    assert windows[0]["end_time"] is None and windows[0]["timezone"] == "Asia/Tehran"


def test_one_name_per_country(both: Tracker) -> None:
    by_country = both.stats("country")
    assert by_country["Iran"] == 29 and "Iran (Islamic Republic of)" not in by_country
    assert by_country["DR Congo"] == 7
    assert "Taiwan, Province of China" not in by_country
    iran = both.count_incidents(IncidentFilter(country="Iran (Islamic Republic of)"), public=True)
    assert iran == both.count_incidents(IncidentFilter(country="IR"), public=True)
