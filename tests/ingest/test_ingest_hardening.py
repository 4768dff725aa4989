"""Hostile and odd input to ingest and `netvigil verdict` (audit H3, L2, L6; reader review).

Each test names the finding it covers; each failed on c7f86ae, where the line was stored (and
then broke every time-based query), judged, or hung the run.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.ingest import sources
from netvigil.ingest.sources import Damage, Line, read_lines
from netvigil.store import open_store
from netvigil.store.parquet_files import batch_id_of
from nvtest import shared_path

runner = CliRunner()
GENERATED = ("ooni", "probecli_minipipeline", "generated")


def _good() -> dict[str, object]:
    path = shared_path(*GENERATED, "dnsBlockingNXDOMAIN", "measurement.json")
    value: dict[str, object] = json.loads(path.read_bytes())
    return value


def _ingest(store: Path, *args: str) -> tuple[dict[str, int], str]:
    result = runner.invoke(app, ["ingest", "--json", "-j", "1", "--store", str(store), *args])
    assert result.exit_code == 0, result.output
    summary: dict[str, int] = orjson.loads(result.output.strip().splitlines()[-1])
    return summary, result.output


def _agg(store: Path, *args: str) -> str:
    result = runner.invoke(app, ["agg", "--store", str(store), *args])
    assert result.exit_code == 0, result.output
    return result.output


# Audit H3: an impossible date was stored under day=<text> and broke every time-based query.
@pytest.mark.parametrize("start", ["2024-02-30 12:00:00", "2024-13-45 00:00:00",
                                   "2024-ab-cd 00:00:00", "2024-0/-01 00:00:00"])  # fmt: skip
def test_h3_an_impossible_date_is_a_bad_line_naming_file_line_and_field(
    tmp_path: Path, start: str
) -> None:
    m = _good()
    poison = dict(m, measurement_start_time=start)
    path = tmp_path / "poison.jsonl"
    path.write_bytes(orjson.dumps(m) + b"\n" + orjson.dumps(poison) + b"\n")
    store = tmp_path / "store"
    summary, output = _ingest(store, str(path))
    assert summary["ingested"] == 1 and summary["bad"] == 1
    assert f"{path}:2: field 'measurement_start_time'" in output
    assert all(p.name.startswith("day=20") and len(p.name) == 14 for p in store.glob("*/day=*"))
    days = orjson.loads(_agg(store, "--axis-x", "measurement_start_day", "--format", "json"))
    assert [row["measurement_start_day"] for row in days["result"]] == ["2024-02-12"]


def _poison_store(store: Path, day: str) -> None:
    """What c7f86ae left behind: committed files of every tier under a day that is no date."""
    with open_store(store) as handle:
        live = [f for tier in ("raw", "observations", "verdicts") for f in handle._live(tier)]
        moves = []
        for name in live:
            tier, _, rest = name.partition("/")
            copy = store / "_staging" / handle.writer / f"{tier}-{Path(rest).name}"
            shutil.copy(store / name, copy)
            moves.append((copy, f"{tier}/day={day}/{Path(rest).name.replace('part-', 'part-x')}"))
        with handle._locked():
            handle._refresh()
            handle._publish(moves, batch_id=batch_id_of(handle.writer), rows={"raw": 1})


# Audit H3: queries never fail on a stored row, and `analyze --rebuild` repairs such a store.
def test_h3_a_store_holding_a_bad_day_is_still_read_and_the_rebuild_moves_it_aside(
    tmp_path: Path,
) -> None:
    path = tmp_path / "good.jsonl"
    path.write_bytes(orjson.dumps(_good()) + b"\n")
    store = tmp_path / "store"
    _ingest(store, str(path))
    _poison_store(store, "2024-02-30")
    assert list(store.glob("raw/day=2024-02-30/*.parquet"))
    # c7f86ae: both failed with "Unable to cast '2024-02-30' (from hive partition column)"
    days = orjson.loads(_agg(store, "--axis-x", "measurement_start_day"))
    assert [row["measurement_start_day"] for row in days["result"]] == ["2024-02-12"]
    since = orjson.loads(_agg(store, "--since", "2024-02-01"))
    assert since["result"]["measurement_count"] == 1
    rebuilt = runner.invoke(app, ["analyze", "--rebuild", "-j", "1", "--store", str(store)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "moved 3 file(s)" in rebuilt.output
    assert not list(store.glob("*/day=2024-02-30"))
    kept = sorted(p.relative_to(store).parts[1] for p in store.glob("_quarantine/*/day=*/*"))
    assert kept == ["observations", "raw", "verdicts"]
    with open_store(store, writable=False) as handle:
        con = handle.connect()
        assert con.execute("SELECT count(*) FROM raw").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM verdicts").fetchone() == (1,)


def _line_problem(tmp_path: Path, **fields: object) -> str:
    m = _good()
    keys = dict(m["test_keys"])  # type: ignore[call-overload]
    for name, value in list(fields.items()):
        if name.startswith("tk_"):
            keys[name[3:]] = value
            del fields[name]
    path = tmp_path / "one.jsonl"
    path.write_bytes(orjson.dumps({**m, **fields, "test_keys": keys}) + b"\n")
    summary, output = _ingest(tmp_path / "store", str(path))
    assert summary["ingested"] == 0 and summary["bad"] == 1, output
    return output


# Audit L6: probe_cc, test_name and probe_asn were taken as any string; wrong types inside
# web_connectivity's test_keys were skipped silently and still gave a confident verdict.
@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"probe_cc": "ΑΒ"}, "probe_cc"),
        ({"probe_cc": "ir"}, "probe_cc"),
        ({"test_name": "../../evil"}, "test_name"),
        ({"test_name": ""}, "test_name"),
        ({"probe_asn": "banana"}, "probe_asn"),
        ({"probe_asn": "AS99999999999"}, "probe_asn"),
        ({"tk_queries": "x"}, "test_keys.queries"),
        ({"tk_requests": 5}, "test_keys.requests"),
        ({"tk_tcp_connect": [1, 2]}, "test_keys.tcp_connect[0]"),
        ({"tk_control": [1]}, "test_keys.control"),
    ],
)
def test_l6_ingest_names_the_bad_envelope_or_test_keys_field(
    tmp_path: Path, fields: dict[str, object], named: str
) -> None:
    assert f"one.jsonl:1: field '{named}'" in _line_problem(tmp_path, **fields)


# Audit L6: `netvigil verdict` judged three lines that ingest refuses.
@pytest.mark.parametrize(
    "fields", [{"probe_asn": 3320}, {"probe_cc": "IRN"}, {"input": ["a", "b"]}]
)
def test_l6_verdict_refuses_what_ingest_refuses(tmp_path: Path, fields: dict[str, object]) -> None:
    good, bad = _good(), {**_good(), **fields}
    path = tmp_path / "two.jsonl"
    path.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\n")
    result = runner.invoke(app, ["verdict", str(path)])
    assert result.exit_code == 0
    assert len([ln for ln in result.stdout.splitlines() if ln.startswith("{")]) == 1
    assert f"{path}:2: field '{next(iter(fields))}'" in result.output


# Reader review: `netvigil verdict README.md` printed 78 errors and exited 0.
def test_verdict_exits_non_zero_when_nothing_was_judged(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("# not a measurement\nhello\n")
    result = runner.invoke(app, ["verdict", str(path)])
    assert result.exit_code == 2
    assert "no measurement in" in result.output and "2 bad line(s)" in result.output


# Reader review: ingest read OONI's analysis.json / observations.json as 225 bad lines.
def test_ingest_skips_json_files_that_are_not_measurements_with_one_line(tmp_path: Path) -> None:
    folder = shared_path("ooni", "probecli_minipipeline")
    summary, output = _ingest(tmp_path / "store", str(folder))
    assert summary["ingested"] == 56 and summary["bad"] == 0
    skipped = [ln for ln in output.splitlines() if ln.startswith("skipped ")]
    assert len(skipped) == 1 and skipped[0].startswith("skipped 225 JSON file(s)")
    assert "warning" not in output


# Audit L6: a FIFO inside an ingested directory hung `ingest` forever.
@pytest.mark.timeout(120)
def test_l6_a_fifo_inside_a_directory_is_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.jsonl").write_bytes(orjson.dumps(_good()) + b"\n")
    os.mkfifo(folder / "x.jsonl")  # nobody ever writes to it: reading it would block forever
    summary, _ = _ingest(tmp_path / "store", str(folder))
    assert summary["files"] == 1 and summary["ingested"] == 1


# Audit L6: devices named on the command line are refused with a clear error.
def test_l6_a_device_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "--store", str(tmp_path / "s"), "/dev/zero"])
    assert result.exit_code == 2
    assert "/dev/zero: not a regular file, a directory or a pipe" in result.output


# Audit L6: a 100 MB line was held whole and stored; now it is skipped in bounded pieces.
@pytest.mark.parametrize("compressed", [False, True])
def test_l6_an_overlong_line_is_skipped_and_the_next_one_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compressed: bool
) -> None:
    monkeypatch.setattr(sources, "MAX_LINE_BYTES", 4096)
    good = orjson.dumps({"test_name": "x"})
    body = good + b"\n" + b'{"pad": "' + b"a" * 300_000 + b'"}\n' + good + b"\n"
    path = tmp_path / ("big.jsonl.gz" if compressed else "big.jsonl")
    path.write_bytes(gzip.compress(body) if compressed else body)
    items = list(read_lines(path))
    assert [type(i) for i in items] == [Line, Damage, Line]
    assert [i.number for i in items] == [1, 2, 3]
    assert isinstance(items[1], Damage) and "line longer than" in items[1].reason


# Audit L2 (ingest): a "[/]" in a file name or a value stopped the run with a MarkupError.
def test_l2_rich_markup_in_a_bad_line_is_printed_not_interpreted(tmp_path: Path) -> None:
    path = tmp_path / "odd[red]name.jsonl"
    path.write_bytes(orjson.dumps({**_good(), "probe_cc": "[/]"}) + b"\n")
    summary, output = _ingest(tmp_path / "store", str(path))
    assert summary["bad"] == 1
    assert "odd[red]name.jsonl:1: field 'probe_cc'" in output and "got '[/]'" in output
