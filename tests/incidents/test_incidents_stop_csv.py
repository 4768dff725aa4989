"""A stop-csv file edited outside netvigil is checked column by column (security audit M2).

On c7f86ae ``netvigil incidents import`` of our own stop-csv format stored any status and any
country code (the source of M1's injection, and an HTTP 500 when such a status was changed), and
crashed with a traceback on a bad number or JSON cell. Each bad cell must now be one error line
naming the file, the row and the column, with exit code 2 and nothing stored.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.incidents import IncidentFilter, Tracker
from netvigil.incidents.stop import EXPORT_COLUMNS

runner = CliRunner()


def _csv(path: Path, **cells: str) -> Path:
    row = dict.fromkeys(EXPORT_COLUMNS, "")
    row.update(natural_key="x:1", status="published", country="India", geo_scope="National",
               start_date="2021-01-01", end_date="2021-01-03", stop_raw_json="{}")  # fmt: skip
    row.update(cells)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    return path


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("status", "bogus", "expected one of reported, corroborated"),
        ("status", "<script>alert(1)</script>", "expected one of reported"),
        ("country_code", "TOOLONG", "expected a two-letter country code"),
        ("country_code", '<meta http-equiv="refresh">', "expected a two-letter country code"),
        ("report_year", "abc", "expected a whole number from 1990 to 2100"),
        ("report_year", "99999999999999999999", "expected a whole number from 1990 to 2100"),
        ("stop_row", "x", "expected a whole number from 1 to"),
        ("import_problems_json", "{bad", "expected a JSON list of objects"),
        ("import_problems_json", '{"a": 1}', "expected a JSON list of objects"),
        ("stop_raw_json", "[1, 2]", "expected a JSON object"),
        ("natural_key", "", "expected the record's key"),
        ("facebook_affected", "y" * 41, "expected at most 40 characters"),
    ],
)
def test_m2_a_bad_cell_names_file_row_and_column(
    tmp_path: Path, column: str, value: str, expected: str
) -> None:
    path = _csv(tmp_path / "edited.csv", **{column: value})
    db = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    result = runner.invoke(app, ["incidents", "import", str(path), "--db", db])
    assert result.exit_code == 2, result.output
    assert f"{path}:2: field '{column}': {expected}" in result.output
    assert "Traceback" not in result.output
    with Tracker(db) as tracker:
        assert tracker.count_incidents(IncidentFilter(), public=False) == 0


def test_m2_a_good_row_still_imports(tmp_path: Path) -> None:
    path = _csv(tmp_path / "edited.csv", country_code="IN", report_year="2021", stop_row="7")
    db = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    result = runner.invoke(app, ["incidents", "import", str(path), "--db", db])
    assert result.exit_code == 0, result.output
    with Tracker(db) as tracker:
        assert tracker.count_incidents(IncidentFilter(), public=False) == 1
