"""Inputs: bad URL/CSV lines are reported as file:line and every good line is still measured."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from probe_servers import World
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.probe.inputs import Inputs, from_test_list
from nvtest import shared_path


def measured(out: Path) -> list[str]:
    return [json.loads(line)["input"] for line in out.read_text().splitlines()]


def test_bad_lines_of_a_url_file_are_reported_and_the_rest_measured(
    world: World, tmp_path: Path
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(
        f"# my list\n{world.http}/\n\nnot a url\nftp://example.org/\n{world.http}/redirect/1\n"
    )
    out = tmp_path / "m.jsonl"
    result = CliRunner().invoke(
        app, ["probe", "--yes", "-o", str(out), "--input-file", str(urls)], env=world.env()
    )
    assert result.exit_code == 0, result.output
    assert f"{urls}:4: field 'url'" in result.output
    assert f"{urls}:5: field 'url'" in result.output and "scheme must be http" in result.output
    assert sorted(measured(out)) == sorted([f"{world.http}/", f"{world.http}/redirect/1"])


def test_bad_lines_of_a_test_list_are_reported_and_the_category_filter_applies(
    world: World, tmp_path: Path
) -> None:
    lst = tmp_path / "xx.csv"
    lst.write_text(
        "url,category_code,category_description,date_added,source,notes\n"
        f"{world.http}/,NEWS,News Media,2024-01-01,netvigil,\n"
        f"{world.http}/redirect/1,HUMR,Human Rights,2024-01-01,netvigil,\n"
        "http://broken line,NEWS,News Media,2024-01-01,netvigil,\n"
        f"{world.http}/redirect/2,NEWS\n"
        f"{world.http}/redirect/3,NE WS,News Media,2024-01-01,netvigil,\n"
    )
    out = tmp_path / "m.jsonl"
    args = ["probe", "--yes", "-o", str(out), "--test-list", str(lst), "--category", "news"]
    result = CliRunner().invoke(app, args, env=world.env())
    assert result.exit_code == 0, result.output
    assert f"{lst}:4: field 'url'" in result.output
    assert f"{lst}:5: expected 6 fields, found 2" in result.output
    assert f"{lst}:6: field 'category_code'" in result.output
    assert measured(out) == [f"{world.http}/"]
    m = json.loads(out.read_text())
    assert m["annotations"]["category_code"] == "NEWS"


def test_a_test_list_without_the_url_column_is_rejected_at_line_1(tmp_path: Path) -> None:
    lst = tmp_path / "bad.csv"
    lst.write_text("address,category\nhttp://x/,NEWS\n")
    result = CliRunner().invoke(app, ["probe", "--yes", "--test-list", str(lst)])
    assert result.exit_code == 2
    assert f"{lst}:1: header lacks column(s) url, category_code" in result.output
    assert "nothing to measure" in result.output


def test_citizen_labs_global_list_reads_without_rejections() -> None:
    path = shared_path("ooni", "test-lists", "global.csv")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    expected = list(dict.fromkeys(r["url"] for r in rows if r["category_code"] == "NEWS"))
    got = Inputs()
    from_test_list(path, {"NEWS"}, got)
    assert got.rejected == []
    assert [t.url for t in got.targets] == expected
    assert len(expected) > 50


def test_missing_input_file_names_the_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["probe", "--yes", "-f", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    # the root prints errors through Rich, which may wrap: compare with white space collapsed
    assert "nope.txt: no such file" in " ".join(result.output.split())


def test_bad_annotation_is_an_input_error(world: World, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["probe", "--yes", "-o", str(tmp_path / "m"), "-a", "novalue", f"{world.http}/"]
    )
    assert result.exit_code == 2
    assert "--annotation" in result.output and "KEY=VALUE" in result.output


def test_markup_in_an_input_line_or_url_does_not_stop_the_run(world: World, tmp_path: Path) -> None:
    """security-audit L2: Rich read "[/]" as markup and the run died; values are now escaped."""
    urls = tmp_path / "urls.txt"
    urls.write_text(f"[/] bad line\n{world.http}/[/]\n{world.http}/\n")
    out = tmp_path / "m.jsonl"
    args = ["probe", "--yes", "-o", str(out), "--input-file", str(urls)]
    result = CliRunner().invoke(app, args, env=world.env(COLUMNS="200"))  # no cell cut short
    assert result.exit_code == 0, result.output
    assert "[/] bad line" in result.output  # shown as it is, not swallowed as a tag
    assert f"{world.http}/[/]" in " ".join(result.stdout.split())  # its row in the table
    assert sorted(measured(out)) == sorted([f"{world.http}/[/]", f"{world.http}/"])


def test_markup_in_the_output_path_is_printed_as_it_is(world: World, tmp_path: Path) -> None:
    """security-audit L2: the summary printed the --output path with markup on."""
    out = tmp_path / "run[bold]one[/bold].jsonl"
    args = ["probe", "--yes", "--no-ip-lookup", "-o", str(out), f"{world.http}/"]
    result = CliRunner().invoke(app, args, env=world.env(COLUMNS="400"))
    assert result.exit_code == 0, result.output
    assert f"1 measurement(s) appended to {out}" in result.output
