"""Signals and blocking events from our own verdicts, through a real store built by `ingest`."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import orjson
import pytest
from tests.conftest import shared_path
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.store import open_store

runner = CliRunner()


def test_verdict_signals_count_measurements_per_country_and_asn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = shared_path("ooni", "probecli_minipipeline")
    files = sorted(base.glob("generated/*/measurement.json"))[:12]
    ccs = {orjson.loads(f.read_bytes())["probe_cc"] for f in files}
    monkeypatch.setenv("NETVIGIL_STORE", str(tmp_path / "store"))
    result = runner.invoke(app, ["ingest", "--json", *map(str, files)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["signals", "import", "--format", "verdicts"])
    assert result.exit_code == 0, result.output
    stored = open_store(tmp_path / "store", writable=False).signals()
    rows = [dataclasses.asdict(point) for point in stored]
    volume = {
        r["entity_code"]: r["value"]
        for r in rows
        if r["entity_type"] == "country" and r["signal"] == "measurements"
    }
    # Every measurement counted once per country, whatever hour it falls in.
    assert sum(volume.values()) == len(files) and set(volume) == ccs - {"ZZ"}
    shares = [r["value"] for r in rows if r["signal"].endswith("ok_share")]
    assert shares and all(0.0 <= v <= 1.0 for v in shares)
    # Privacy: nothing that looks like an IP address reaches the signals.
    ip = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
    assert not any(ip.search(str(value)) for r in rows for value in r.values())
    result = runner.invoke(app, ["detect", "--json"])
    assert result.exit_code == 0, result.output
