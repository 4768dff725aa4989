"""The systemd units: installed by `netvigil service install`, valid for systemd, identical to
docs/systemd/, and the probe service's command does a whole run against a real collector."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from probe_servers import World
from typer.testing import CliRunner

from collectorkit import CollectorProcess
from netvigil.analysis import measurement_uid
from netvigil.cli.main import app
from netvigil.cli.service import CONFIGS, rendered
from nvtest import REPO, shared_path


def test_docs_hold_the_units_and_sample_configs_the_installer_writes() -> None:
    docs = REPO / "docs" / "systemd"
    for kind in ("probe", "collector"):
        for name, text in rendered(kind).items():
            assert (docs / name).read_text() == text, name
        assert (docs / f"netvigil-{kind}.toml").read_text() == CONFIGS[kind]


def test_install_writes_units_systemd_accepts(tmp_path: Path) -> None:
    dest, config = tmp_path / "units", tmp_path / "etc" / "netvigil.toml"
    result = CliRunner().invoke(
        app,
        [
            "service",
            "install",
            "probe",
            "--dest",
            str(dest),
            "--config-file",
            str(config),
            "--no-enable",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in dest.iterdir()) == [
        "netvigil-probe.service",
        "netvigil-probe.timer",
    ]
    assert config.read_text() == CONFIGS["probe"]
    service = (dest / "netvigil-probe.service").read_text()
    assert f"--config {config} probe --yes" in service
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    check = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            str(dest / "netvigil-probe.service"),
            str(dest / "netvigil-probe.timer"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    bad = CliRunner().invoke(app, ["service", "install", "prober", "--no-enable"])
    assert bad.exit_code == 2 and "probe or collector" in bad.output


@pytest.fixture
def collector(tmp_path: Path, world: World) -> Iterator[CollectorProcess]:
    shared_path("ooni", "test-lists", "global.csv")
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "global.csv").write_text(
        "url,category_code,category_description,date_added,source,notes\n"
        f"{world.http}/timer,NEWS,News Media,2024-01-01,test,\n"
    )
    running = CollectorProcess(
        tmp_path / "collector", env={"NETVIGIL_COLLECTOR__TEST_LISTS": str(lists)}
    ).start()
    try:
        yield running
    finally:
        running.stop()


def test_the_probe_service_command_checks_in_measures_and_uploads(
    world: World, collector: CollectorProcess, tmp_path: Path
) -> None:
    dest, config = tmp_path / "units", tmp_path / "netvigil.toml"
    config.write_text(CONFIGS["probe"].replace("https://collector.example.org", collector.url))
    result = CliRunner().invoke(
        app,
        [
            "service",
            "install",
            "probe",
            "--dest",
            str(dest),
            "--config-file",
            str(config),
            "--no-enable",
        ],
    )
    assert result.exit_code == 0, result.output
    exec_start = next(
        line
        for line in (dest / "netvigil-probe.service").read_text().splitlines()
        if line.startswith("ExecStart=")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(world.env(), NETVIGIL_DATA_DIR=str(tmp_path / "state"))  # StateDirectory's role
    done = subprocess.run(
        shlex.split(exec_start.removeprefix("ExecStart=")),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    spool = tmp_path / "state" / "spool" / "measurements.jsonl"
    [line] = [x for x in spool.read_bytes().split(b"\n") if x]
    assert orjson.loads(line)["input"] == f"{world.http}/timer"  # the check-in's URL
    assert "uploaded 1" in done.stderr
    collector.wait_stored({measurement_uid(orjson.loads(line))})
