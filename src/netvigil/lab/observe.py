"""``netvigil lab observe``: the observatory running in the lab, and the story it tells.

Inside the sandbox (``lab.sandbox``) it builds the multi-network lab (``lab.networks``), starts
the lab's servers, the test helper and the collector in the open namespace, the pipeline (``netvigil
pipeline run``) and one probe per network (``netvigil probe --every ... --upload``), all real
processes; then it plays the story's steps (``lab.story``). Each step is switched on at its T0;
an observer reads the store (read-only) every half second and notes when each verdict and each
event version first appeared, and the step ends when its event is there (waiting on the store's
state, with a time limit only to stop a broken run). Time is compressed: probes every few
seconds and bins of a few seconds instead of minutes, said in the output.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netvigil._errors import EnvironmentProblem
from netvigil.lab.networks import COLLECTOR_PORT, NETWORKS, Network, build_networks
from netvigil.lab.plan import (
    HELPER_PORT,
    ISP_RESOLVER,
    LAB_SUBNETS,
    OPEN_IP,
    PUBLIC_RESOLVER,
    make_plan,
)
from netvigil.lab.servers import start_servers
from netvigil.lab.story import SITES, SPOOF, STEPS, URLS, Step, censorship_of
from netvigil.lab.topology import Lab
from netvigil.models.events import Event

MARKER = ".netvigil-observe"  # says a directory was made by this command (and may be replaced)
TIMEOUTS = {"dns_timeout": 2.0, "tcp_timeout": 3.0, "tls_timeout": 3.0, "http_timeout": 5.0,
            "control_timeout": 5.0}  # fmt: skip
COLUMNS = ("measurement_start_time", "probe_cc", "probe_asn", "test_name", "domain", "outcome",
           "blocking", "accessible", "rule_id")  # fmt: skip


@dataclass(frozen=True)
class ObserveSettings:
    """How the story runs (compressed time; see docs/lab.md)."""

    workdir: Path
    interval: float = 5.0  # s between a probe's runs ("every minute" of a real deployment)
    bin: int = 5  # s per pipeline bin
    grace: float = 3.0  # s a bin waits for its data after it ends
    window: int = 10  # s of own volume per window
    warm_bins: int = 4  # bins of every network's data before T0 of the first step
    step_timeout: float = 150.0  # s: a step whose event has not come by then has failed
    steps: tuple[str, ...] = ()  # the steps to play (default: all)


@dataclass
class StepResult:
    step: Step
    t0: float
    first: float | None = None  # measurement_start_time of the first measurement showing it
    verdict: float | None = None  # when that measurement's verdict was first seen in the store
    event: float | None = None  # when the event was first seen
    stopped: float | None = None  # when the change was undone
    ended: float | None = None  # when the event's end was first seen
    found: Event | None = None
    gap: int = 0  # step c: measurements of the shutdown that arrived after it


@dataclass
class Story:
    """What a run of the story produced."""

    results: list[StepResult]
    versions: list[tuple[float, Event]]  # every event version seen, with when
    verdicts: int  # verdicts seen in the store
    started: float


@dataclass
class Observer:
    """Reads the store every ``every`` seconds: verdict rows and event versions, each with the
    moment it was first seen."""

    url: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    versions: list[tuple[float, Event]] = field(default_factory=list)
    _store: Any = None
    _cursor: int = 0
    _events: int = 0

    def poll(self) -> None:
        from netvigil.store import open_store

        if self._store is None:
            if not (Path(self.url) / "_commits.jsonl").exists():
                return
            self._store = open_store(self.url, writable=False)
        feed = self._store.verdicts_committed(after=self._cursor, columns=COLUMNS)
        now = time.time()
        for row in feed.rows.to_pylist():
            row["seen"] = now
            row["start"] = _epoch(row["measurement_start_time"])
            self.rows.append(row)
        self._cursor = feed.cursor
        events = self._store.events(changed_since=self._events)
        self.versions += [(now, stored.event) for stored in events.events]
        self._events = events.cursor

    def wait(self, done: Callable[[], bool], what: str, limit: float, check: Callable[[], None]
             ) -> None:  # fmt: skip
        deadline = time.monotonic() + limit
        while True:
            self.poll()
            if done():
                return
            check()
            if time.monotonic() > deadline:
                raise EnvironmentProblem(f"the lab story stopped: no {what} after {limit:g} s")
            time.sleep(0.5)

    def event(self, kind: str, entity: str, *, ended: bool = False) -> tuple[float, Event] | None:
        for seen, ev in self.versions:
            same = ev.kind == kind and ev.entity == entity and not ev.retracted
            if same and (not ended or ev.end is not None):
                return seen, ev
        return None


def _epoch(moment: Any) -> float:
    from datetime import UTC

    return float(moment.replace(tzinfo=UTC).timestamp())


class Processes:
    """The story's processes (beside the lab servers'): started with their own environment,
    logged to the run directory, stopped with SIGTERM at the end."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str], role: str | None) -> None:
        log = (self.lab.run_dir / f"{name}.log").open("ab")
        command = self.lab.exec_argv(role, *argv) if role else argv
        self.procs[name] = subprocess.Popen(
            command, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            cwd=self.lab.run_dir,
        )  # fmt: skip
        log.close()

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.lab.run_dir / f"{name}.log").read_text(errors="replace")[-600:]
                raise EnvironmentProblem(f"{name} exited ({proc.returncode}): {tail.strip()}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _base_env(workdir: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(
        NETVIGIL_DATA_DIR=str(data),
        NETVIGIL_STORE=str(workdir / "store"),
        XDG_CONFIG_HOME=str(data / "config"),  # no stray config file from the user's home
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare_workdir(workdir: Path) -> None:
    """An empty working directory; one made by an earlier run is replaced."""
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists():
            raise EnvironmentProblem(
                f"{workdir} exists and was not made by `netvigil lab observe`",
                hint="choose another --workdir, or remove it",
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by netvigil lab observe; replaced by the next run\n")


def start_observatory(lab: Lab, conf: ObserveSettings, procs: Processes) -> None:
    """Servers, helper, collector, pipeline and one probe per network."""
    work = conf.workdir
    start_servers(lab)
    assert lab.certs is not None
    timeouts = {f"NETVIGIL_PROBE__{k.upper()}": str(v) for k, v in TIMEOUTS.items()}
    helper = [sys.executable, "-m", "netvigil", "helper", "--host", OPEN_IP, "--port",
              str(HELPER_PORT), "--resolver", f"{ISP_RESOLVER}:53", "--ca-bundle",
              str(lab.certs.ca_pem), "--allow", ",".join(LAB_SUBNETS)]  # fmt: skip
    procs.start("helper", helper, {**_base_env(work, work / "data"), **timeouts}, "open")
    collector_env = {
        **_base_env(work, work / "data"),
        "NETVIGIL_COLLECTOR__WEB_CONNECTIVITY_HELPERS": f'["http://{OPEN_IP}:{HELPER_PORT}"]',
        "NETVIGIL_COLLECTOR__DRAIN_DELAY": "0.3",
    }
    collector = [sys.executable, "-m", "netvigil", "collector", "--host", OPEN_IP, "--port",
                 str(COLLECTOR_PORT)]  # fmt: skip
    procs.start("collector", collector, collector_env, "open")
    lab.wait_listening("open", [f"tcp:{OPEN_IP}:{HELPER_PORT}", f"tcp:{OPEN_IP}:{COLLECTOR_PORT}"],
                       timeout=30)  # fmt: skip
    pipeline = [sys.executable, "-m", "netvigil", "pipeline", "run", "--bin", str(conf.bin),
                "--grace", str(conf.grace), "--window", str(conf.window),
                "--poll", "0.5"]  # fmt: skip
    procs.start("pipeline", pipeline, _base_env(work, work / "data"), None)
    for net in NETWORKS:
        env = _probe_env(lab, conf, net)
        procs.start(f"probe-{net.letter}", _probe_argv(conf), env, net.client)


def _probe_argv(conf: ObserveSettings) -> list[str]:
    every = f"{conf.interval:g}s"
    upload = f"http://{OPEN_IP}:{COLLECTOR_PORT}"
    return [sys.executable, "-m", "netvigil", "probe", "--yes", "--no-progress", "--every", every,
            "--upload", upload, *URLS]  # fmt: skip


def _probe_env(lab: Lab, conf: ObserveSettings, net: Network) -> dict[str, str]:
    assert lab.certs is not None
    env = _base_env(conf.workdir, conf.workdir / f"probe-{net.letter}")
    env.update({f"NETVIGIL_PROBE__{k.upper()}": str(v) for k, v in TIMEOUTS.items()})
    env.update(
        NETVIGIL_PROBE__HELPER_URL=f"http://{OPEN_IP}:{HELPER_PORT}/",
        NETVIGIL_PROBE__RESOLVER=f"{PUBLIC_RESOLVER}:53",
        NETVIGIL_PROBE__CA_BUNDLE=str(lab.certs.ca_pem),
        NETVIGIL_PROBE__PROBE_CC=net.cc,
        NETVIGIL_PROBE__PROBE_ASN=net.asn,
        # OONI's retry rule with the lab's compressed time: seconds, not 15 minutes
        NETVIGIL_PROBE__UPLOAD_BACKOFF=str(conf.interval / 2),
        NETVIGIL_PROBE__UPLOAD_BACKOFF_MAX=str(conf.interval),
        NETVIGIL_PROBE__UPLOAD_TIMEOUT="2",
        # The lab's hosts are TEST-NET addresses, which the probe refuses elsewhere.
        NETVIGIL_PROBE__ALLOW_DESTINATIONS=",".join(LAB_SUBNETS),
    )
    env.pop("NETVIGIL_STORE")  # a probe has no store
    return env


def observe(conf: ObserveSettings, say: Callable[[str], None]) -> Story:
    """Build the lab, run the story, stop everything; return what each step produced."""
    from netvigil.lab import sandbox

    if not sandbox.inside():
        raise EnvironmentProblem("lab observe runs inside its sandbox (lab.sandbox.enter)")
    sandbox.prepare(ISP_RESOLVER)
    plan = make_plan((), extra_sites=SITES, extra_faults=(SPOOF,))  # the lying resolver's table
    run_dir = conf.workdir / "lab"
    run_dir.mkdir(parents=True, exist_ok=True)
    lab = Lab("nv", plan, run_dir)
    build_networks(lab, NETWORKS)
    procs = Processes(lab)
    try:
        start_observatory(lab, conf, procs)
        return _story(lab, conf, procs, say)
    finally:
        procs.stop()


def _story(lab: Lab, conf: ObserveSettings, procs: Processes, say: Callable[[str], None]
           ) -> Story:  # fmt: skip
    observer = Observer(str(conf.workdir / "store"))
    started = time.time()
    say(f"lab up: {len(NETWORKS)} networks, helper and collector on {OPEN_IP}; probes measure "
        f"{len(URLS)} sites every {conf.interval:g} s")  # fmt: skip

    def warm() -> bool:
        bins = {n.cc: {int(r["start"]) // conf.bin for r in observer.rows if r["probe_cc"] == n.cc}
                for n in NETWORKS}  # fmt: skip
        return all(len(b) >= conf.warm_bins + 1 for b in bins.values())

    observer.wait(warm, "measurements from every network", conf.step_timeout, procs.check)
    say(f"every network's measurements are flowing ({len(observer.rows)} verdicts so far)")
    results = []
    for step in STEPS:
        if conf.steps and step.key not in conf.steps:
            continue
        results.append(_play(step, lab, conf, observer, procs, say))
    observer.poll()
    return Story(results, observer.versions, len(observer.rows), started)


def _play(step: Step, lab: Lab, conf: ObserveSettings, observer: Observer, procs: Processes,
          say: Callable[[str], None]) -> StepResult:  # fmt: skip
    result = StepResult(step, time.time())
    spooled = _spooled(conf, step)
    step.start(lab)
    say(f"T0 of {step.key}: {step.title}")

    def shown() -> bool:
        hits = [r for r in observer.rows if r["start"] >= result.t0 - 1 and step.shows(r)]
        if hits and result.first is None:
            first = min(hits, key=lambda r: r["start"])
            result.first, result.verdict = first["start"], first["seen"]
            say(f"  first measurement showing it: started {_clock(result.first)}, verdict "
                f"stored by {_clock(result.verdict)}")  # fmt: skip
        found = observer.event(step.kind, step.entity)
        if found is not None and result.event is None:
            result.event, result.found = found
            say(f"  event: {step.kind} {step.entity} (seen {_clock(result.event)})")
        return result.event is not None and (result.first is not None or step.stop is not None)

    observer.wait(shown, f"{step.kind} event for {step.entity}", conf.step_timeout, procs.check)
    if step.hold is not None:
        net, runs = step.hold
        wanted = spooled + runs * len(URLS)
        observer.wait(lambda: _spooled(conf, step) >= wanted, f"{runs} runs of {net.name}'s probe",
                      conf.step_timeout, procs.check)  # fmt: skip
        say(f"  {net.name}'s probe spooled {runs} runs meanwhile")
    if step.stop is not None:
        step.stop(lab)
        result.stopped = time.time()
        say(f"  undone at {_clock(result.stopped)}")

        def over() -> bool:
            shown()
            gap = [r for r in observer.rows if result.t0 <= r["start"] < (result.stopped or 0)
                   and step.shows(r)]  # fmt: skip
            result.gap = len(gap)
            ended = observer.event(step.kind, step.entity, ended=True)
            if ended is not None and result.ended is None:
                result.ended = ended[0]
                result.found = ended[1]
                say(f"  event closed (seen {_clock(result.ended)})")
            return result.ended is not None and result.first is not None

        observer.wait(over, f"end of the {step.kind} event", conf.step_timeout, procs.check)
    return result


def _spooled(conf: ObserveSettings, step: Step) -> int:
    """Complete lines in the spool of the probe a step holds on (0 when none)."""
    if step.hold is None:
        return 0
    spool = conf.workdir / f"probe-{step.hold[0].letter}" / "spool" / "measurements.jsonl"
    try:
        return spool.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(epoch))


def censorship_events(story: Story, service: str) -> list[Event]:
    """Blocking events about ``service`` in any network, among every version the story saw."""
    return [e for _, e in story.versions if censorship_of(e.entity, e.kind, service)]
