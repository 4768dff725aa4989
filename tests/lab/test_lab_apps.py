"""The messaging and Tor tests in the lab: every app x every scenario, as OONI would see it.

One lab build with every (app, scenario) pair of ``netvigil.lab.apps`` (each with its own names,
addresses and faults); the real probe runs each app test once per pair. For each pair: the
summary keys the probe wrote equal the ones the tests' specifications give (written in
``lab/apps.py``, never taken from the probe), the analysis's verdict is the expected one (an
outage everywhere reads as a platform outage, not as blocking), and the keys the analysis
re-derives from the recorded events equal the probe's. The table is printed and is the one in
docs/lab.md. As root nothing is skipped; without root the module says why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netvigil.lab import topology
from netvigil.lab.app_run import AppResult, app_plan, markdown_table, run_app_scenarios
from netvigil.lab.apps import APPS, NOT_APPLICABLE, SCENARIOS, catalogue
from netvigil.lab.plan import CLIENT_IP
from nvtest import REPO, running_as_root

pytestmark = pytest.mark.lab
PAIRS = catalogue()


@dataclass(frozen=True)
class AppRun:
    results: list[AppResult]
    output: Path


@pytest.fixture(scope="module")
def app_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppRun]:
    if not running_as_root():
        pytest.skip("the censorship lab needs root (network namespaces, iptables)")
    missing = [t for t in ("ip", "iptables", "tc", "ss") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"the censorship lab needs {', '.join(missing)}")
    # obfs4proxy is not optional as root: the lab raises (an error, not a skip) without it
    output = tmp_path_factory.mktemp("apps") / "apps.jsonl"
    prefix = f"nva{os.getpid() % 100000}"
    with topology.running_lab(prefix, app_plan(PAIRS)) as lab:
        topology.start_helper(lab)
        results = run_app_scenarios(lab, PAIRS, output)
        yield AppRun(results, output)


def test_every_app_and_scenario_is_measured_or_says_why_not() -> None:
    run = {(p.app, p.scenario) for p in PAIRS}
    for app in APPS:
        for scenario in SCENARIOS:
            assert ((app, scenario) in run) != ((app, scenario) in NOT_APPLICABLE), (app, scenario)
    assert len(PAIRS) == 30


def _result(app_run: AppRun, name: str) -> AppResult:
    return next(r for r in app_run.results if r.pair.name == name)


@pytest.mark.parametrize("name", [p.name for p in PAIRS])
def test_probe_keys_verdict_and_rederived_keys(app_run: AppRun, name: str) -> None:
    r = _result(app_run, name)
    assert r.measurement is not None, r.error
    assert r.key_mismatches == {}  # (written, expected by the specification)
    assert r.derived_mismatches == {}  # (written, re-derived by the analysis from the events)
    assert (r.outcome, r.blocking) == (r.pair.expected.outcome, r.pair.expected.blocking)
    assert r.platform_down == r.pair.expected.platform_down


def test_the_table_is_printed_and_is_docs_lab_md(
    app_run: AppRun, capsys: pytest.CaptureFixture[str]
) -> None:
    table = markdown_table(app_run.results)
    with capsys.disabled():
        print("\n" + table)
    docs = (REPO / "docs" / "lab.md").read_text(encoding="utf-8")
    assert table in docs


def test_measurements_are_oonis_format_and_keep_no_secret(app_run: AppRun) -> None:
    raw = app_run.output.read_text(encoding="utf-8")
    assert not re.search(rf"(?<![\d.]){re.escape(CLIENT_IP)}(?![\d])", raw)
    lines = [json.loads(line) for line in raw.splitlines()]
    assert sorted(m["annotations"]["lab_scenario"] for m in lines) == sorted(p.name for p in PAIRS)
    for m in lines:
        assert m["probe_ip"] == "127.0.0.1" and m["data_format_version"] == "0.2.0"
        assert m["input"] is None and m["test_name"] in APPS
        tk = m["test_keys"]
        if m["test_name"] == "tor":
            # the private bridge (source bridgedb) is scrubbed, the public authority is not
            bridge = next(t for t in tk["targets"].values() if t["target_protocol"] == "or_port")
            assert bridge["target_address"] == "[scrubbed]"
            auth = next(t for t in tk["targets"].values() if t["target_protocol"] == "dir_port")
            assert auth["target_address"] != "[scrubbed]"
        else:
            for key in ("network_events", "queries", "tcp_connect", "requests", "tls_handshakes"):
                assert isinstance(tk[key], list), (m["test_name"], key)
