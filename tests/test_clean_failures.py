"""Bad input to the command line is one clear line and an exit code (security audit L5, L7-L9).

Each case gave a traceback (or a silently wrong answer) on c7f86ae: non-UTF-8 and huge values
for the tracker, an impossible impact, a store that cannot be written, a spool on a full
device, formulas in an aggregation CSV, a URL with port 0, viewers reading reporters' contacts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.probe.fetch import split_target
from netvigil.store.aggregation import AggregationQuery, as_csv

runner = CliRunner()
CREATE = ["incidents", "create", "--country", "Iran", "--start-date", "2024-01-02"]


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"NETVIGIL_DATA_DIR": str(tmp_path / "d")})
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


# Audit L5: UnicodeEncodeError, OverflowError and a 2^32+ AS number from `incidents create/show`.
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*CREATE, "--title", "bad\udcffbyte"], "field 'title': expected UTF-8 text"),
        ([*CREATE, "--field", "report_year=99999999999999999999"],
         "field 'report_year': expected a year from 1990 to 2100"),
        ([*CREATE, "--field", "asns=AS99999999999999999999"],
         "field 'asns': AS numbers go from 0 to 4294967295"),
        (["incidents", "show", "99999999999999999999"], "a number is too large"),
        (["incidents", "publish", "99999999999999999999"], "a number is too large"),
    ],
)  # fmt: skip
def test_l5_tracker_input_errors_are_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    code, output = _run(tmp_path, *args)
    assert code == 2 and f"error: {message}" in output


# Audit L5 and L8: `impact --hours 1e308` was an OverflowError; 10^11 hours gave US$ 1.9x10^17;
# --year 1800 silently used 2000's indicators.
@pytest.mark.parametrize(
    ("option", "value", "field"),
    [("--hours", "1e308", "hours"), ("--hours", "99999999999", "hours"),
     ("--hours", "1e-300", "hours"), ("--year", "1800", "year"), ("--year", "-1", "year")],
)  # fmt: skip
def test_l8_absurd_impact_inputs_are_refused(
    tmp_path: Path, option: str, value: str, field: str
) -> None:
    args = ["impact", "--country", "HK", "--hours", "24", option, value]
    code, output = _run(tmp_path, *args)
    assert code == 2 and f"error: field '{field}':" in output


def test_l8_an_incident_spanning_millennia_gets_no_estimate() -> None:
    import datetime as dt

    from netvigil.impact.incident import NoEstimate, facts_from_record, incident_impact

    record = {"country_code": "HK", "codes": {"scope": "national"},
              "stop": {"start_date": "0001-01-01", "end_date": "9999-12-31"}}  # fmt: skip
    result = incident_impact(facts_from_record(record), today=dt.date(2024, 1, 1))
    assert isinstance(result, NoEstimate) and result.reason == "implausible_duration"
    plausible = {**record, "stop": {"start_date": "2019-08-05", "end_date": "2020-03-04"}}
    assert not isinstance(
        incident_impact(facts_from_record(plausible), today=dt.date(2024, 1, 1)), NoEstimate
    )


# Audit L5: a store on a file system that cannot be written gave an OSError traceback.
def test_l5_an_unwritable_store_is_one_line(tmp_path: Path) -> None:
    line = tmp_path / "m.jsonl"
    line.write_text("{}\n")
    code, output = _run(tmp_path, "ingest", "--store", "/proc/netvigil-store", str(line))
    assert code == 4 and "error: cannot write to store /proc/netvigil-store" in output


# Audit L5: a spool that failed during the run (a full disk) gave an OSError traceback.
def test_l5_a_spool_on_a_full_device_is_one_line(tmp_path: Path) -> None:
    from netvigil.probe.spool import Spool

    spool = Spool(Path("/dev/full"))
    import asyncio

    from netvigil._errors import EnvironmentProblem

    with pytest.raises(EnvironmentProblem, match="cannot write measurements to /dev/full"):
        asyncio.run(spool.append({"x": 1}))
    spool.close()


# Audit L7: `agg --format csv` wrote formulas from input URLs as they were.
def test_l7_aggregation_csv_escapes_formulas(tmp_path: Path) -> None:
    rows = [
        {"domain": "+1+cmd|x!a0", "measurement_count": 1},
        {"domain": "=cmd|", "measurement_count": -1},
        {"domain": "-5", "measurement_count": 2},
    ]
    text = as_csv(rows, AggregationQuery(axis_x="domain"))
    lines = text.splitlines()
    assert lines[1].startswith("'+1+cmd|x!a0,") and lines[2].startswith("'=cmd|,")
    assert lines[3].startswith("-5,")  # a number stays a number


# Audit L9: port 0 was measured on port 80.
def test_l9_port_0_is_refused() -> None:
    with pytest.raises(ValueError, match="port 0 is not a port"):
        split_target("http://127.0.0.1:0/")
    assert split_target("http://127.0.0.1:8080/")[2] == 8080
