"""`netvigil impact` in-process: the JSON a user scripts against, the table, and bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["impact", *args], terminal_width=200)
    return result.exit_code, result.output


def test_json_has_the_documented_keys_and_consistent_range() -> None:
    code, out = run(
        "--country",
        "HK",
        "--hours",
        "24",
        "--scope",
        "national",
        "--type",
        "full",
        "--year",
        "2019",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["people_affected"] > 5_000_000  # 7.5M people, >90% online
    assert set(data["methods"]) == {"brookings", "deloitte", "netvigil"}
    for method in data["methods"].values():
        assert method["cost_usd"] > 0
    low, central, high = (data["range"][k] for k in ("low", "central", "high"))
    assert 0 < low <= central <= high
    assert data["inputs"]["gdp_usd"]["year"] == 2019
    assert data["inputs"]["population"]["source"] == "World Bank WDI SP.POP.TOTL"
    assert data["inputs"]["internet_economy_share"]["source"] == "estimated"


def test_service_shutdown_with_severity() -> None:
    code, out = run(
        "--country",
        "Brazil",
        "--hours",
        "24",
        "--type",
        "service",
        "--services",
        "whatsapp,facebook",
        "--severity",
        "0.8",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["inputs"]["services"] == ["whatsapp", "facebook"]
    assert data["inputs"]["service_share"]["value"] == pytest.approx(0.19)
    assert data["methods"]["netvigil"]["severity"] == 0.8


def test_readable_table_without_json() -> None:
    code, out = run("--country", "IN", "--hours", "12", "--scope", "regional", "--share", "0.3")
    assert code == 0, out
    assert "brookings" in out and "deloitte" in out and "people affected" in out
    assert "World Bank" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--country", "Hongkong", "--hours", "24"], "did you mean: Hong Kong (HK)"),
        (["--country", "GB", "--hours", "0"], "field 'hours'"),
        (["--country", "GB", "--hours", "-5"], "positive number of hours"),
        (
            ["--country", "GB", "--hours", "5", "--scope", "regional", "--share", "1.2"],
            "field 'share': must be between 0 and 1",
        ),
        (
            ["--country", "GB", "--hours", "5", "--scope", "regional", "--share", "-0.1"],
            "must be between 0 and 1",
        ),
        (["--country", "GB", "--hours", "5", "--scope", "regional"], "needs the affected share"),
        (["--country", "GB", "--hours", "5", "--severity", "2"], "field 'severity'"),
        (
            ["--country", "GB", "--hours", "5", "--type", "service", "--services", "whatsap"],
            "did you mean: whatsapp",
        ),
        (["--country", "GB", "--hours", "5", "--type", "satellite"], "full, mobile or service"),
    ],
)
def test_bad_input_is_one_clear_line_with_exit_code_2(args: list[str], expected: str) -> None:
    code, out = run(*args)
    assert code == 2, out
    assert expected in out
    assert "Traceback" not in out


def test_year_fallback_is_stated_in_json() -> None:
    # Ethiopia has no mobile subscription figure for 2018-2019 in the source: 2017 is used.
    code, out = run(
        "--country", "ET", "--hours", "24", "--type", "mobile", "--year", "2019", "--json"
    )
    assert code == 0, out
    mobile = json.loads(out)["inputs"]["mobile_per_100"]
    assert mobile["year"] == 2017 and "nearest year" in mobile["fallback"]
