"""The lab's life cycle: `lab run` end to end, `up`/`down`, Ctrl-C, collisions, clear errors.

Every test checks that nothing is left behind: no namespace, /etc/netns directory, run directory
or process of the lab.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.lab import topology
from netvigil.lab.plan import make_plan
from netvigil.lab.scenarios import select
from nvtest import SHARED_DATA, running_as_root

OONI = SHARED_DATA / "ooni" / "probecli_minipipeline" / "generated"


def _needs_lab() -> None:
    if not running_as_root():
        pytest.skip("the censorship lab needs root (network namespaces, iptables)")
    missing = [t for t in ("ip", "iptables", "tc", "ss") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"the censorship lab needs {', '.join(missing)}")


def _leftovers(prefix: str) -> list[str]:
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found = [n.split()[0] for n in names.splitlines() if n.startswith(prefix)]
    for root in (topology.NETNS_ETC, topology.RUN_ROOT):
        if root.is_dir():
            found += [str(p) for p in root.iterdir() if p.name.startswith(prefix)]
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def _netvigil(*args: str) -> list[str]:
    return [sys.executable, "-m", "netvigil", *args]


@pytest.mark.lab
def test_lab_run_writes_annotated_measurements_and_removes_everything(tmp_path: Path) -> None:
    _needs_lab()
    out = tmp_path / "lab.jsonl"
    prefix = f"nvr{os.getpid() % 1000}"
    done = subprocess.run(
        _netvigil(
            "lab",
            "run",
            "--yes",
            "--prefix",
            prefix,
            "--ooni-scenarios",
            str(OONI),
            "-s",
            "successWithHTTPS",
            "-s",
            "dnsBlockingNXDOMAIN",
            "--output",
            str(out),
        ),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "2/2 scenarios match" in done.stderr
    names = [
        json.loads(line)["annotations"]["lab_scenario"] for line in out.read_text().splitlines()
    ]
    assert sorted(names) == ["dnsBlockingNXDOMAIN", "successWithHTTPS"]
    assert _leftovers(prefix) == []


@pytest.mark.lab
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupting_a_run_removes_everything(tmp_path: Path, signum: int) -> None:
    _needs_lab()
    prefix = f"nvi{signum}{os.getpid() % 1000}"
    proc = subprocess.Popen(
        _netvigil("lab", "run", "--yes", "--prefix", prefix, "--output", str(tmp_path / "x.jsonl")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    pids: list[int] = []
    while time.monotonic() < deadline:  # wait until probes are running inside the lab
        lab_ns = [n for n in _leftovers(prefix) if n.endswith("-client") and "/" not in n]
        if lab_ns:
            pids = [
                int(p)
                for p in subprocess.run(
                    ["ip", "netns", "pids", lab_ns[0]], capture_output=True, text=True
                ).stdout.split()
            ]
            if pids:
                break
        time.sleep(0.2)
    assert pids, "the probe never started in the lab"
    state = json.loads(next(topology.RUN_ROOT.glob(f"{prefix}*/state.json")).read_text())
    proc.send_signal(signum)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert _leftovers(prefix) == []
    assert not [p for p in pids + state["pids"] if _alive(p)]


@pytest.mark.lab
def test_up_then_down_leaves_nothing() -> None:
    _needs_lab()
    prefix = f"nvu{os.getpid() % 1000}"
    up = subprocess.run(
        _netvigil("lab", "up", "--prefix", prefix, "--no-helper", "-s", "successWithHTTP"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        assert up.returncode == 0, up.stderr
        assert f"ip netns exec {prefix}-client netvigil probe" in up.stdout
        pids = json.loads((topology.RUN_ROOT / prefix / "state.json").read_text())["pids"]
        assert pids and all(_alive(p) for p in pids)
    finally:
        down = subprocess.run(
            _netvigil("lab", "down", "--prefix", prefix), capture_output=True, text=True, timeout=60
        )
    assert down.returncode == 0, down.stderr
    assert _leftovers(prefix) == []
    assert not [p for p in pids if _alive(p)]


@pytest.mark.lab
def test_a_second_lab_with_the_same_prefix_is_refused_and_the_first_survives() -> None:
    _needs_lab()
    prefix = f"nvd{os.getpid() % 1000}"
    plan = make_plan(select(["successWithHTTP"]))
    first = topology.build(prefix, plan)
    try:
        with pytest.raises(topology.EnvironmentProblem, match="already exists"):
            topology.build(prefix, plan)
        assert all(_alive(p) for p in first.pids)
        assert len(topology.existing_namespaces(prefix)) == 4
    finally:
        topology.teardown(prefix)
    assert _leftovers(prefix) == []


def test_unknown_scenario_is_named_with_suggestions(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["lab", "run", "--yes", "-s", "dnsBlockingNXDOMAN", "-o", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 2
    assert "dnsBlockingNXDOMAN" in result.output
    assert "dnsBlockingNXDOMAIN" in result.output  # the suggestion


def test_without_root_the_lab_refuses_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Running python as another user is impossible here (/root is private), so the effective
    # uid is what is substituted: everything after it is the real check.
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    result = CliRunner().invoke(app, ["lab", "down", "--prefix", "nvx"])
    assert result.exit_code == 3
    assert "needs root" in result.output
