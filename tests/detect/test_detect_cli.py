"""The detect and signals commands, in-process, on real files and a real store directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
from tests.conftest import shared_path
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.store import open_store

runner = CliRunner()
START = 1_700_000_000 - 1_700_000_000 % 86400


def outage_csv(path: Path, *, header: str = "timestamp,value") -> Path:
    i = np.arange(6 * 288)
    x = 1000 + 200 * np.sin(2 * np.pi * i / 288)
    x[5 * 288 : 5 * 288 + 24] = 30.0  # two hours at 3%: day 5, 00:00-02:00
    path.write_text(
        header + "\n" + "".join(f"{START + 300 * k},{v:.2f}\n" for k, v in enumerate(x))
    )
    return path


def test_series_json_is_one_object_per_event_with_the_documented_keys(tmp_path: Path) -> None:
    csv_path = outage_csv(tmp_path / "ir.csv")
    result = runner.invoke(
        app, ["detect", "--series", str(csv_path), "--entity", "country:ir", "--json"]
    )
    assert result.exit_code == 0, result.output
    [line] = result.output.strip().splitlines()
    event = orjson.loads(line)
    assert set(event) == {"entity", "start", "end", "score", "detector"}
    assert event["entity"] == "country:IR" and event["detector"] == "netvigil"
    day5 = START + 5 * 86400
    assert event["start"] == _iso(day5) and event["end"] == _iso(day5 + 7200)


def test_ioda_detector_on_the_same_file(tmp_path: Path) -> None:
    csv_path = outage_csv(tmp_path / "ir.csv")
    result = runner.invoke(
        app,
        [
            "detect",
            "--series",
            str(csv_path),
            "--entity",
            "country:IR",
            "--detector",
            "ioda",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    events = [orjson.loads(x) for x in result.output.strip().splitlines()]
    assert any(e["start"] == _iso(START + 5 * 86400) for e in events)
    assert all(e["detector"] == "ioda" for e in events)


def test_bad_series_file_is_one_line_error_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,value\n0,1\n300,abc\n")
    result = runner.invoke(app, ["detect", "--series", str(path), "--entity", "country:IR"])
    assert result.exit_code == 2
    assert "bad.csv:3" in result.output and "'value'" in result.output
    assert "Traceback" not in result.output


def test_unknown_detector_suggests_the_known_ones(tmp_path: Path) -> None:
    csv_path = outage_csv(tmp_path / "ir.csv")
    result = runner.invoke(
        app, ["detect", "--series", str(csv_path), "--entity", "country:IR", "--detector", "x"]
    )
    assert result.exit_code == 2 and "ioda" in result.output and "netvigil" in result.output


def test_signals_import_then_detect_over_the_store_is_idempotent(tmp_path: Path) -> None:
    plain = tmp_path / "signals.csv"
    i = np.arange(6 * 288)
    x = 500 + 100 * np.sin(2 * np.pi * i / 288)
    x[5 * 288 + 100 : 5 * 288 + 130] = 0.0
    plain.write_text(
        "entity_type,entity_code,signal,timestamp,value\n"
        + "".join(f"country,ir,ping-slash24,{START + 300 * k},{v:.1f}\n" for k, v in enumerate(x))
    )
    store = tmp_path / "store"
    env = {"NETVIGIL_STORE": str(store)}
    for _ in range(2):  # importing the same file twice must not duplicate anything
        result = runner.invoke(app, ["signals", "import", str(plain)], env=env)
        assert result.exit_code == 0, result.output
    assert len(open_store(store, writable=False).signals()) == len(x)  # each point once
    for _ in range(2):
        result = runner.invoke(app, ["detect", "--json"], env=env)
        assert result.exit_code == 0, result.output
    [event] = [orjson.loads(x) for x in result.output.strip().splitlines()]
    assert event["entity"] == "country:IR" and event["signals"] == ["ping-slash24"]
    assert event["start"] == _iso(START + (5 * 288 + 100) * 300)
    assert len(open_store(store, writable=False).events().events) == 1


def test_signals_import_reports_the_bad_line(tmp_path: Path) -> None:
    plain = tmp_path / "signals.csv"
    plain.write_text(
        "entity_type,entity_code,signal,timestamp,value\n"
        "country,IR,x,1700000000,1\n"
        "planet,Earth,x,1700000300,1\n"
    )
    result = runner.invoke(
        app, ["signals", "import", str(plain)], env={"NETVIGIL_STORE": str(tmp_path / "s")}
    )
    assert result.exit_code == 2
    assert "signals.csv:3" in result.output and "entity_type" in result.output
    assert not (tmp_path / "s" / "signals").exists() or not any(
        (tmp_path / "s" / "signals").glob("*.parquet")
    )


def test_ioda_signals_json_import(tmp_path: Path) -> None:
    doc = {
        "type": "signals",
        "error": None,
        "data": [
            [
                {
                    "entityType": "country",
                    "entityCode": "GH",
                    "datasource": "ping-slash24",
                    "subtype": "",
                    "from": 1700000000,
                    "until": 1700001800,
                    "step": 600,
                    "nativeStep": 600,
                    "values": [100, None, 98],
                },
                {
                    "entityType": "country",
                    "entityCode": "GH",
                    "datasource": "ping-slash24-loss",
                    "subtype": "",
                    "from": 1700000000,
                    "until": 1700001800,
                    "step": 600,
                    "nativeStep": 600,
                    "values": [[{"agg_values": {"loss_pct": 1}}]],
                },
            ]
        ],
    }
    path = tmp_path / "gh.json"
    path.write_bytes(orjson.dumps(doc))
    result = runner.invoke(
        app,
        ["signals", "import", str(path), "--format", "ioda"],
        env={"NETVIGIL_STORE": str(tmp_path / "s")},
    )
    assert result.exit_code == 0, result.output
    assert "2 points (1 skipped)" in result.output
    table = open_store(tmp_path / "s", writable=False).signals()
    assert [(r.signal, r.timestamp, r.value) for r in table] == [
        ("ping-slash24", 1700000000, 100.0),
        ("ping-slash24", 1700001200, 98.0),
    ]


def test_mrt_import_into_the_store(tmp_path: Path) -> None:
    mrt = shared_path("outages", "bgpkit_examples_local_only_updates.bz2")
    result = runner.invoke(
        app,
        ["signals", "import", str(mrt), "--format", "mrt"],
        env={"NETVIGIL_STORE": str(tmp_path / "s")},
    )
    assert result.exit_code == 0, result.output
    assert "85 MRT records" in result.output


def test_evaluate_json_has_the_documented_shape(tmp_path: Path) -> None:
    outages = shared_path("outages", "ioda_investigated_outages_cleaned_phase1+2.csv")
    real = shared_path("outages", "real_signals")
    result = runner.invoke(
        app,
        [
            "detect",
            "evaluate",
            "--detector",
            "ioda",
            "--detector",
            "netvigil",
            "--real",
            str(real),
            "--seed",
            "3",
            "--series",
            "6",
            "--days",
            "10",
            "--outages",
            str(outages),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    synth, real_report = report["synthetic"], report["real"]
    assert set(synth["detectors"]) == set(real_report["detectors"]) == {"ioda", "netvigil"}
    assert synth["seeds"] == [3] and synth["series"] == 6
    assert synth["labels"]["used"] == 1663 and synth["labels"]["bad_rows"] == 41
    assert {"line", "reason"} <= set(synth["labels"]["bad"][0])
    assert real_report["series"] == 46
    assert set(real_report["datasets"]) == {"IR-2019-11", "VE-2019-07", "KE-2016-06"}
    keys = {"precision", "recall", "f1", "mean_series_f1", "median_delay_minutes"}
    for name in ("ioda", "netvigil"):
        assert keys <= set(synth["detectors"][name])
        one = real_report["detectors"][name]
        for scores in (one["overall"], one["held_out"], *one["datasets"].values()):
            assert keys <= set(scores) and 0.0 <= scores["f1"] <= 1.0


def test_evaluate_table_puts_real_data_first_and_names_what_was_tuned() -> None:
    real = shared_path("outages", "real_signals")
    result = runner.invoke(
        app, ["detect", "evaluate", "--real", str(real), "--no-synthetic"], terminal_width=160
    )
    assert result.exit_code == 0, result.output
    assert "real KE-2016-06" in result.output and "synthetic" not in result.output
    assert "chosen on IR-2019-11, KE-2016-06" in result.output


def test_evaluate_real_needs_the_directory_layout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", "evaluate", "--real", str(tmp_path), "--no-synthetic"])
    assert result.exit_code == 2 and "manifest.csv" in result.output


def _iso(epoch: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_since_and_entity_filter_the_store(tmp_path: Path) -> None:
    plain = tmp_path / "signals.csv"
    i = np.arange(6 * 288)
    x = 500 + 100 * np.sin(2 * np.pi * i / 288)
    x[5 * 288 + 100 : 5 * 288 + 130] = 0.0
    rows = "".join(
        f"{etype},{code},ping-slash24,{START + 300 * k},{v:.1f}\n"
        for etype, code in (("country", "IR"), ("asn", "AS12880"))
        for k, v in enumerate(x)
    )
    plain.write_text("entity_type,entity_code,signal,timestamp,value\n" + rows)
    env = {"NETVIGIL_STORE": str(tmp_path / "store")}
    assert runner.invoke(app, ["signals", "import", str(plain)], env=env).exit_code == 0
    both = runner.invoke(app, ["detect", "--json"], env=env)
    assert {orjson.loads(x)["entity"] for x in both.output.splitlines()} == {
        "country:IR",
        "asn:AS12880",
    }
    one = runner.invoke(app, ["detect", "--json", "--entity", "asn:12880"], env=env)
    assert [orjson.loads(x)["entity"] for x in one.output.splitlines()] == ["asn:AS12880"]
    # Only the last day: a one-day history gives the seasonal detector nothing to compare with.
    late = _iso(START + 5 * 86400)[:10]
    none = runner.invoke(app, ["detect", "--json", "--since", late], env=env)
    assert none.exit_code == 0 and none.output.strip() == ""
    bad = runner.invoke(app, ["detect", "--since", "last tuesday"], env=env)
    assert bad.exit_code == 2 and "since" in bad.output
