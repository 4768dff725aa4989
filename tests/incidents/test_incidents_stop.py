"""STOP import/export against Access Now's own workbook and CSV (../shared/data/stop).

Expected figures are counted here independently with openpyxl/csv, never by the importer.
"Non-empty data row": a row below the sheet's header with at least one cell that is neither
empty nor only whitespace. The "Need more details" sheet has no header (every row is data) and
its rows are imported as drafts, so they are not in the published counts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.incidents import IncidentFilter, Tracker
from netvigil.incidents.model import STOP_COLUMNS

runner = CliRunner()
WORKBOOK = ("stop", "Keepiton_raw_dataset_2016-2022.xlsx")
CSV_2020 = ("stop", "KeepItOn-STOP-Data-2020.csv")


@pytest.fixture
def shared_path(shared_data: Path) -> Any:
    """shared_path(*parts): a file of ../shared/data, or skip saying it is absent."""

    def find(*parts: str) -> Path:
        path = shared_data.joinpath(*parts)
        if not path.is_file():
            pytest.skip(f"reference data {path} is absent")
        return path

    return find


def _nonblank(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() == "")


def _expected_per_year(path: Path) -> dict[str, int]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    counts: Counter[str] = Counter()
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if sheet.title == "Need more details":
            continue  # drafts, not Access Now's count
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        data = [r for r in rows[1:] if any(_nonblank(c) for c in r)]
        if sheet.title.strip() == "2016+2017+2018":
            year_at = header.index("year")
            counts.update(str(int(r[year_at])) for r in data)
        else:
            counts[sheet.title.split()[0]] += len(data)
    book.close()
    return dict(counts)


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_workbook_counts_per_year_equal_rows_per_sheet(db_url: str, shared_path: Any) -> None:
    path = shared_path(*WORKBOOK)
    expected = _expected_per_year(path)
    # Also what PROVENANCE.md states for the sheets whose count it gives unambiguously.
    assert expected["2022"] == 187 and expected["2019"] == 213
    assert sum(expected[y] for y in ("2016", "2017", "2018")) == 377

    out = _invoke("incidents", "import", str(path), "--db", db_url)
    assert "created 1121, updated 0, unchanged 0" in out
    stats = json.loads(_invoke("incidents", "stats", "--by", "year", "--json", "--db", db_url))
    assert stats == expected

    again = _invoke("incidents", "import", str(path), "--db", db_url)
    assert "created 0, updated 0, unchanged 1121" in again
    assert json.loads(_invoke("incidents", "stats", "--by", "year", "--json", "--db", db_url)) == (
        expected
    )
    with Tracker(db_url) as tracker:
        assert tracker.count_incidents(public=False) == 1121  # 1118 published + 3 drafts
        # Every yearly report is a published row; the site lists one incident per shutdown
        # (the 27 later reports of carried-over shutdowns point at the first: see linking).
        every_report = IncidentFilter(canonical=False, limit=None)
        assert tracker.count_incidents(every_report, public=True) == sum(expected.values())
        assert tracker.count_incidents(public=True) == sum(expected.values()) - 27
        # One audit entry per import that changed something, listing every created row id.
        entries = [e for e in tracker.audit_entries() if e.action == "import"]
        assert len(entries) == 1 and len(entries[0].detail["created"]) == 1121
        assert tracker.verify_audit().ok


def test_bad_cells_reported_and_rows_kept(tmp_path: Path, shared_path: Any) -> None:
    path = shared_path(*WORKBOOK)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cell = next(book["2019"].iter_rows(min_row=24, max_row=24, values_only=True))[2]
    book.close()
    assert cell == "Unkown "  # the source's own typo, in the end_date column
    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    out = " ".join(_invoke("incidents", "import", str(path), "--db", url).split())
    assert "9 unparseable cells kept as raw values" in out
    assert "sheet '2019' row 24 column 'end_date' (C24): 'Unkown ' is not a date" in out
    with Tracker(url) as tracker:
        rows = [
            i
            for i in tracker.iter_incidents(public=False)
            if (i.stop_sheet, i.stop_row) == ("2019", 24)
        ]
    assert len(rows) == 1
    assert rows[0].end_date is None and rows[0].stop_raw["end_date"] == "Unkown "
    assert rows[0].country == "Sudan" or rows[0].country  # the rest of the row is there


def test_synthetic_bad_cells(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2023 Data"
    sheet.append(list(STOP_COLUMNS))
    good = ["Actual", dt.datetime(2023, 5, 9), "Pakistan"] + [None] * (len(STOP_COLUMNS) - 3)
    # An unformatted Excel serial number: 44927 is 2023-01-01 in Excel's 1900 date system.
    serial = ["Actual", 44927, "Iran", None, "Tehran"]
    bad = ["Actual", "next tuesday", "Pakistan", None, "Islamabad"]
    sheet.append(good)
    sheet.append([None, "  "])  # blank: not a data row
    sheet.append(bad)
    sheet.append(serial)
    path = tmp_path / "stop.xlsx"
    book.save(path)
    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    out = " ".join(_invoke("incidents", "import", str(path), "--db", url).split())
    assert "'2023 Data': 3 data rows" in out and "created 3" in out
    assert "sheet '2023 Data' row 4 column 'start_date' (B4): 'next tuesday' is not a date" in out
    assert json.loads(_invoke("incidents", "stats", "--by", "year", "--json", "--db", url)) == {
        "2023": 3
    }
    with Tracker(url) as tracker:
        dates = sorted((i.stop_row, i.start_date) for i in tracker.iter_incidents(public=True))
    assert dates == [(2, dt.date(2023, 5, 9)), (4, None), (5, dt.date(2023, 1, 1))]


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()  # the importer trims outer whitespace (raw keeps it)


def test_round_trip_is_lossless_and_matches_the_source(
    tmp_path: Path, db_url: str, shared_path: Any
) -> None:
    path = shared_path(*WORKBOOK)
    first = f"sqlite:///{tmp_path / 'first.sqlite'}"
    _invoke("incidents", "import", str(path), "--db", first)
    export1 = tmp_path / "export1.csv"
    _invoke(
        "incidents", "export", "--all", "--format", "stop-csv", "-o", str(export1), "--db", first
    )
    out = _invoke("incidents", "import", str(export1), "--db", db_url)
    assert "created 1121" in out
    export2 = tmp_path / "export2.csv"
    _invoke(
        "incidents", "export", "--all", "--format", "stop-csv", "-o", str(export2), "--db", db_url
    )
    assert export1.read_text() == export2.read_text()
    assert "created 0, updated 0, unchanged 1121" in _invoke(
        "incidents", "import", str(export2), "--db", db_url
    )

    # Every STOP cell of the 2020-2022 sheets, as openpyxl reads it, is in the export.
    exported = {
        (r["stop_sheet"], int(r["stop_row"])): r
        for r in csv.DictReader(io.StringIO(export1.read_text()))
    }
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    checked = 0
    for title in ("2022 Data", "2021 Data", "2020 Data"):
        rows = list(book[title].iter_rows(values_only=True))
        header = [str(h).strip().lower() for h in rows[0]]
        for number, values in enumerate(rows[1:], start=2):
            if not any(_nonblank(c) for c in values):
                continue
            record = exported[(title, number)]
            for column, value in zip(header, values, strict=False):
                if column == "end_date" and isinstance(value, str):
                    continue  # "Ongoing" text in a date column: kept in stop_raw only
                assert record[column] == _fmt(value), (title, number, column)
                checked += 1
    book.close()
    assert checked > 20_000


def test_csv_2020_edition(tmp_path: Path, shared_path: Any) -> None:
    path = shared_path(*CSV_2020)
    with path.open(encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    assert "start_date" not in lines[0] and "start_date" in lines[1]  # line 1 is a note
    expected = sum(1 for r in lines[2:] if any(c.strip() for c in r))
    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    out = " ".join(_invoke("incidents", "import", str(path), "--db", url).split())
    assert f"{expected} data rows (2019 schema)" in out and f"created {expected}" in out
    assert json.loads(_invoke("incidents", "stats", "--by", "year", "--json", "--db", url)) == {
        "2020": expected
    }
    by_country = json.loads(_invoke("incidents", "stats", "--by", "country", "--json", "--db", url))
    assert by_country["India"] == sum(1 for r in lines[2:] if r and r[7].strip() == "India")


@pytest.mark.parametrize("name", ["notes.txt", "missing.xlsx"])
def test_bad_file_is_one_clear_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("hello")
    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    result = runner.invoke(app, ["incidents", "import", str(path), "--db", url])
    assert result.exit_code == 2
    assert name in result.output and "Traceback" not in result.output
