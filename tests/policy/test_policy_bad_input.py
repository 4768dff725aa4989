"""Bad input is refused with its file, line (CSV) or record path (JSON) and field, and nothing
is stored: unknown jurisdiction, date order violated, missing source, and their kin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netvigil._errors import InputError
from netvigil.cli.main import app
from netvigil.incidents import Actor, Tracker
from netvigil.policy import io
from netvigil.policy.repository import DEMO_DATA, Policy


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    """The demo dataset as CSV tables, to break one cell at a time."""
    folder = tmp_path / "tables"
    io.write_csv_dir(io.read_json(DEMO_DATA), folder)
    return folder


def _lines(path: Path) -> list[str]:
    """Physical lines as written (CRLF; cells never hold a newline in these rows)."""
    return path.read_bytes().decode("utf-8-sig").split("\r\n")


def _replace_line(path: Path, line: int, old: str, new: str) -> None:
    lines = _lines(path)
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig"))


def _error(folder: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        io.read_csv_dir(folder)
    return caught.value


def test_unknown_jurisdiction_names_file_line_and_field(tables: Path) -> None:
    _replace_line(tables / "instruments.csv", 3, ",HK,", ",Hongkong,")
    error = _error(tables)
    assert (error.path, error.line, error.field) == (
        str(tables / "instruments.csv"),
        3,
        "jurisdiction",
    )
    assert error.render().startswith(f"{tables / 'instruments.csv'}:3: field 'jurisdiction': ")
    assert "unknown jurisdiction 'Hongkong'" in error.message


def test_date_order_violated_names_the_event_row(tables: Path) -> None:
    events = tables / "instrument_events.csv"
    text = _lines(events)
    # The Cybersecurity Law's entry into force, moved before its adoption.
    line = next(i for i, t in enumerate(text, 1) if "cn-cybersecurity-law,entry_into_force" in t)
    _replace_line(events, line, "2017-06-01", "2016-06-01")
    error = _error(tables)
    assert (error.path, error.line, error.field) == (str(events), line, "date")
    assert "entry_into_force (2016-06-01) is before adoption (2016-11-07)" in error.message


def test_end_before_start_and_period_order(tables: Path) -> None:
    events = tables / "instrument_events.csv"
    text = _lines(events)
    line = next(i for i, t in enumerate(text, 1) if "2022-02-28,day,2022-03-11" in t)
    _replace_line(events, line, "2022-03-11", "2022-02-01")
    error = _error(tables)
    assert (error.line, error.field) == (line, "end_date")
    figures = tables.parent / "figures.csv"
    shutil.copy(tables / "transparency_figures.csv", figures)
    _replace_line(figures, 2, "2012-12-31", "2011-12-31")
    with pytest.raises(InputError) as caught:
        io.read_figures_csv(figures)
    assert (caught.value.line, caught.value.field) == (2, "period_end")


def test_missing_source_names_the_row(tables: Path) -> None:
    events = tables / "instrument_events.csv"
    url = "https://www.elegislation.gov.hk/hk/cap241"
    text_lines = _lines(events)
    assert url not in "".join(text_lines)  # the ordinance's text sources the instrument only
    line = next(i for i, t in enumerate(text_lines, 1) if "2019-10-04" in t)
    source = text_lines[line - 1].rsplit(",", 1)[1]
    _replace_line(events, line, source, "")
    error = _error(tables)
    assert (error.line, error.field) == (line, "source_url")
    assert "source URL is required" in error.message


def test_unknown_column_and_bad_vocabulary(tables: Path) -> None:
    _replace_line(tables / "signatories.csv", 1, "affiliation", "affilliation")
    error = _error(tables)
    assert (error.line, error.field) == (1, "affilliation")
    _replace_line(tables / "signatories.csv", 1, "affilliation", "affiliation")
    _replace_line(tables / "responses.csv", 2, ",pause,", ",paused,")
    error = _error(tables)
    assert (error.line, error.field) == (
        2,
        "response",
    ) and "'paused' is not one of" in error.message


def test_json_errors_name_the_record_path(tmp_path: Path) -> None:
    data = json.loads(DEMO_DATA.read_text(encoding="utf-8"))
    data["instruments"][3]["history"][5]["source_url"] = ""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        io.read_json(path)
    assert caught.value.field == "instruments[3].history[5].source_url"
    data["instruments"][3]["history"][5]["source_url"] = "https://example.org"
    data["statements"][0]["signatories"][2]["country"] = "Atlantis"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        io.read_json(path)
    assert caught.value.field == "statements[0].signatories[2].country"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        io.read_json(path)
    assert caught.value.line == 1


def test_cli_refuses_bad_input_with_one_line_and_stores_nothing(
    tables: Path, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    # Last statement row broken: everything before it must not be stored either.
    statements = tables / "statements.csv"
    text = statements.read_bytes().decode("utf-8-sig")
    start = text.index("\nun-cybercrime-ahc-letter") + 1
    # The line a text editor shows: list cells hold one item per line, so rows span lines.
    last = text[:start].count("\n") + 1
    tail = text[start:].replace(",UN,", ",Narnia,", 1)
    statements.write_bytes((text[:start] + tail).encode("utf-8-sig"))
    result = CliRunner().invoke(app, ["policy", "import", str(tables), "--db", db])
    assert result.exit_code == 2
    assert f"statements.csv:{last}: field 'jurisdictions'" in result.output
    with Tracker(db) as tracker:
        assert Policy(tracker).export_records(public=False).count() == {
            "instruments": 0, "responses": 0, "figures": 0, "statements": 0,
        }  # fmt: skip


def test_editor_may_not_import_published_records(tmp_path: Path) -> None:
    with Tracker(f"sqlite:///{tmp_path / 't.sqlite'}") as tracker:
        from netvigil._errors import PermissionDeniedError

        with pytest.raises(PermissionDeniedError):
            Policy(tracker).load_demo(Actor("ed@example.org", "editor"))
