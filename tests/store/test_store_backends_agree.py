"""`netvigil agg` prints the same bytes on the embedded store and on ClickHouse (chdb).

Both stores ingest the same input: OONI's 50 QA scenario measurements, the real measurements of
../shared (OONI's archive examples of every test, 2015-2023, and a real Pakistani web
connectivity measurement), and 100,000 generated ones (real test_keys under drawn envelopes,
~2 KB each so the suite stays quick; 45 days across a month boundary; Citizen Lab URLs so that
category_code joins). Then every query below runs through the command line on each store, in
OONI's JSON and in CSV, and the outputs must be identical byte for byte. Nothing here computes
an expected answer: the two engines' SQL (DuckDB over Parquet, ClickHouse) are the check on each
other, and test_store_agg.py checks the counts themselves.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.ingest import run, synthetic
from netvigil.store import open_store
from nvtest import shared_path

GENERATED = 100_000
REAL_UNTIL = "2024-01-01"  # the real measurements are older than every generated one
QUERIES: list[list[str]] = [
    [],
    ["--axis-x", "probe_cc"],
    ["--axis-x", "measurement_start_day", "--axis-y", "probe_cc"],
    ["--axis-x", "domain", "--axis-y", "probe_cc"],
    ["--axis-x", "blocking_type", "--axis-y", "measurement_start_day"],
    ["--axis-x", "test_name"],
    ["--axis-x", "probe_asn", "--probe-cc", "ir"],
    ["--axis-x", "measurement_start_day", "--time-grain", "hour", "--probe-cc", "PK"],
    ["--axis-x", "measurement_start_day", "--time-grain", "week"],
    ["--axis-x", "measurement_start_day", "--time-grain", "month", "--axis-y", "blocking_type"],
    ["--axis-x", "category_code", "--axis-y", "probe_cc"],
    ["--axis-x", "probe_cc", "--category-code", "NEWS"],
    ["--axis-x", "blocking_type", "--since", "2024-02-25", "--until", "2024-03-03T12:00:00"],
    ["--axis-x", "probe_asn", "--test-name", "web_connectivity", "--probe-cc", "PK"],
    ["--axis-x", "test_name", "--probe-asn", "AS8376"],  # a Jordanian network of the examples
    ["--axis-x", "probe_cc", "--domain", "example.com"],
    # the real measurements alone
    ["--axis-x", "test_name", "--axis-y", "blocking_type", "--until", REAL_UNTIL],
    ["--axis-x", "measurement_start_day", "--until", REAL_UNTIL, "--time-grain", "month"],
    ["--axis-x", "probe_cc", "--axis-y", "probe_asn", "--until", REAL_UNTIL],
    ["--axis-x", "domain", "--until", REAL_UNTIL],
]


def _real_inputs() -> list[Path]:
    base = shared_path("ooni", "probecli_minipipeline")
    scenarios = sorted(base.glob("generated/*/measurement.json"))
    assert len(scenarios) == 50
    manual = sorted((base / "manual").glob("*.json*"))
    examples = shared_path("ooni", "nettest_examples", "examples.jsonl")
    return [*scenarios, *manual, examples]


def _urls(lists: Path) -> list[str]:
    urls: set[str] = set()
    for name in ("global.csv", "ir.csv", "pk.csv", "cn.csv"):
        path = lists / name
        if path.exists():
            with open(path, encoding="utf-8", newline="") as fh:
                urls.update(row["url"] for row in csv.DictReader(fh))
    return sorted(urls)[:400]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    base = tmp_path_factory.mktemp("agree")
    lists = shared_path("ooni", "test-lists")
    templates = synthetic.templates_of([json.loads(p.read_bytes()) for p in _real_inputs()[:50]])
    made = synthetic.lines(
        templates, _urls(lists), GENERATED, seed=15, start=datetime(2024, 2, 10), days=45,
        mean_bytes=2_000,
    )  # fmt: skip
    files, _ = synthetic.write_files(base / "generated", made, per_file=10_000)
    inputs = [str(p) for p in [*_real_inputs(), *files]]
    urls = (str(base / "embedded"), f"chdb:{base / 'chdb'}")
    for url in urls:
        with open_store(url) as store:
            report = run(inputs, store, workers=2, on_error="ignore")
        assert report.ingested > GENERATED + 100 and report.duplicates == 0
    return urls[0], urls[1], lists


def _agg(url: str, lists: Path, args: list[str], fmt: str) -> str:
    result = CliRunner().invoke(
        app, ["agg", "--store", url, "--test-lists", str(lists), "--format", fmt, *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("args", QUERIES, ids=[" ".join(q) or "total" for q in QUERIES])
def test_agg_prints_the_same_on_both_backends(
    stores: tuple[str, str, Path], args: list[str]
) -> None:
    embedded, clickhouse, lists = stores
    for fmt in ("json", "csv"):
        expected = _agg(embedded, lists, args, fmt)
        assert _agg(clickhouse, lists, args, fmt) == expected
    body = json.loads(expected if fmt == "json" else _agg(embedded, lists, args, "json"))
    result = body["result"]
    assert (result if isinstance(result, list) else [result]) != []  # not trivially equal


def test_the_stores_hold_every_measurement_once(stores: tuple[str, str, Path]) -> None:
    embedded, clickhouse, _ = stores
    left = open_store(embedded, writable=False).verdicts(columns=["measurement_uid", "outcome"])
    right = open_store(clickhouse, writable=False).verdicts(columns=["measurement_uid", "outcome"])
    assert left.num_rows == right.num_rows > GENERATED
    assert left.sort_by("measurement_uid").equals(right.sort_by("measurement_uid"))
