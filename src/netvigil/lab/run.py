"""Running the real probe on lab scenarios and comparing its verdicts with OONI's.

The probe is ``python -m netvigil probe`` run in the client namespace (the system resolver there
is the lab's "ISP" resolver); its helper is ``netvigil helper`` in the open namespace. One probe
process per scenario, so each measurement carries ``annotations.lab_scenario``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netvigil.lab.plan import OPEN_IP, Scenario
from netvigil.lab.topology import Lab

# Short timeouts keep a full run fast; each is still well above the lab's sub-millisecond RTTs,
# so only a fault (blackhole, throttling) can make a step time out.
LAB_TIMEOUTS = {
    "dns_timeout": 2.0,
    "tcp_timeout": 3.0,
    "tls_timeout": 3.0,
    "http_timeout": 5.0,
    "control_timeout": 20.0,
}
UNREACHABLE_PORT = 8099  # a port of the open namespace where no helper listens
VERDICT_KEYS = ("blocking", "accessible", "dns_consistency")


@dataclass(frozen=True)
class Verdict:
    blocking: str | bool | None
    accessible: bool | None
    dns_consistency: str | None

    @classmethod
    def of(cls, measurement: dict[str, object]) -> Verdict:
        keys = measurement.get("test_keys")
        tk = keys if isinstance(keys, dict) else {}
        return cls(tk.get("blocking"), tk.get("accessible"), tk.get("dns_consistency"))

    def render(self) -> str:
        return " / ".join(
            json.dumps(v) for v in (self.blocking, self.accessible, self.dns_consistency)
        )


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    measurement: dict[str, object] | None  # None: the probe produced nothing (see error)
    error: str | None
    expected: Verdict | None  # OONI's, when its QA scenarios are available

    @property
    def measured(self) -> Verdict | None:
        return None if self.measurement is None else Verdict.of(self.measurement)

    @property
    def matches(self) -> bool | None:
        if self.expected is None:
            return None
        return self.measured == self.expected


def expected_verdict(ooni_dir: Path | None, name: str) -> Verdict | None:
    """OONI's verdict for scenario ``name`` from its ``measurement.json``, if available."""
    if ooni_dir is None:
        return None
    path = ooni_dir / name / "measurement.json"
    if not path.is_file():
        return None
    return Verdict.of(json.loads(path.read_text(encoding="utf-8")))


def probe_argv(
    lab: Lab,
    output: Path,
    inputs: list[str],
    annotations: dict[str, str] | None = None,
    test: str | None = None,
) -> list[str]:
    """``netvigil probe`` in the lab's client namespace; ``inputs``: URLs and input options.

    ``test`` names the nettest (``--test``); None runs the probe's default, web_connectivity.
    """
    notes = [a for k, v in (annotations or {}).items() for a in ("--annotation", f"{k}={v}")]
    selected = [] if test is None else ["--test", test]
    return lab.exec_argv(
        "client",
        sys.executable,
        "-m",
        "netvigil",
        "probe",
        "--yes",
        "--no-progress",
        "--output",
        str(output),
        *selected,
        *notes,
        *inputs,
    )


def probe_environment(lab: Lab, timeouts: dict[str, float] | None = None) -> dict[str, str]:
    """The process environment of a probe in the lab: ours minus NETVIGIL_*, plus the lab's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env["XDG_DATA_HOME"] = str(lab.run_dir / "probe-data")  # consent record and spool
    env["XDG_CONFIG_HOME"] = str(lab.run_dir / "probe-config")  # no stray config file
    env.update(lab.probe_env(**(timeouts if timeouts is not None else LAB_TIMEOUTS)))
    return env


class ProbeProcesses:
    """The probe processes of a run, so that an interrupted run kills them at once.

    Why: on Ctrl-C the worker threads kept waiting for their probes (each up to its own
    timeouts), a probe could still be started after the lab's teardown had listed what to kill,
    and the interpreter joins those threads before it exits, so under load ``lab run`` took
    more than a minute to stop. Now no probe starts after :meth:`stop`, and every running one
    (its own session: ``ip netns exec`` and the probe) is killed by it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self._stopped = False

    def start(self, argv: list[str], **options: Any) -> subprocess.Popen[str] | None:
        with self._lock:
            if self._stopped:
                return None
            proc = subprocess.Popen(argv, start_new_session=True, text=True, **options)
            self._running.add(proc)
            return proc

    def done(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._running.discard(proc)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for proc in running:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


def _run_one(
    lab: Lab,
    scenario: Scenario,
    out_dir: Path,
    env: dict[str, str],
    ooni_dir: Path | None,
    probes: ProbeProcesses,
) -> ScenarioResult:
    output = out_dir / f"{scenario.name}.jsonl"
    argv = probe_argv(lab, output, [scenario.url], {"lab_scenario": scenario.name})
    if not scenario.control_reachable:  # nothing listens there: the control request fails
        env = {**env, "NETVIGIL_PROBE__HELPER_URL": f"http://{OPEN_IP}:{UNREACHABLE_PORT}/"}
    expected = expected_verdict(ooni_dir, scenario.name)
    proc = probes.start(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=lab.run_dir
    )
    if proc is None:
        return ScenarioResult(scenario, None, "interrupted before the probe started", expected)
    try:
        stdout, stderr = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
    finally:
        probes.done(proc)
    lines = output.read_text(encoding="utf-8").splitlines() if output.exists() else []
    measurement = json.loads(lines[-1]) if lines else None
    error = None
    if measurement is None:
        tail = (stderr or stdout).strip().splitlines()[-3:]
        error = f"probe exit {proc.returncode}: {' | '.join(tail)}"
    return ScenarioResult(scenario, measurement, error, expected)


def run_scenarios(
    lab: Lab,
    scenarios: tuple[Scenario, ...],
    output: Path,
    ooni_dir: Path | None,
    parallel: int = 6,
) -> list[ScenarioResult]:
    """Probe every scenario (a few at once: they use distinct names and addresses)."""
    out_dir = lab.run_dir / "measurements"
    out_dir.mkdir(exist_ok=True)
    env = probe_environment(lab)
    probes = ProbeProcesses()
    pool = ThreadPoolExecutor(max_workers=parallel)
    try:
        results = list(
            pool.map(lambda s: _run_one(lab, s, out_dir, env, ooni_dir, probes), scenarios)
        )
    except BaseException:
        # Ctrl-C (or SIGTERM, which running_lab turns into it): no probe starts any more, the
        # running ones are killed, so the threads end now and the lab's teardown follows.
        probes.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    with output.open("ab") as out:
        for result in results:
            if result.measurement is not None:
                out.write(json.dumps(result.measurement, ensure_ascii=False).encode() + b"\n")
    return results
