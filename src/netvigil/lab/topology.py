"""Building and tearing down the lab: namespaces, veth links, routes, rules and server processes.

Everything the lab makes is named after its prefix and recorded in a state file as it is made,
so ``netvigil lab down`` (or the ``finally`` of ``lab run``) removes all of it: processes (by pid,
then anything left in the lab's namespaces), namespaces (which takes their veths, iptables rules
and qdiscs with them), ``/etc/netns/<ns>`` directories, and the run directory with the CA keys.
Nothing is ever created in the host's own network namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from netvigil._errors import EnvironmentProblem
from netvigil.lab import censor
from netvigil.lab.pki import LabCertificates
from netvigil.lab.plan import (
    BAD_TLS,
    BENCH_RANGE,
    BLOCK_PAGE_IP,
    CENSOR_CLIENT_IP,
    CENSOR_OPEN_IP,
    CENSOR_SERVERS_IP,
    CLIENT_IP,
    GHOST_IP,
    HANG_UP_IP,
    HELPER_PORT,
    ISP_RESOLVER,
    LAB_SUBNETS,
    LYING_RESOLVER,
    OPEN_IP,
    PUBLIC_RESOLVER,
    REFUSER_IP,
    SERVERS_IP,
    SITE_RANGE,
    Down,
    LabPlan,
)
from netvigil.lab.servers import start_helper, start_servers
from netvigil.lab.web_server import BLOCK_PAGE_PORT, HANG_UP_PORT

RUN_ROOT = Path("/run/netvigil-lab")
RST = ("--reject-with", "tcp-reset")
NETNS_ETC = Path("/etc/netns")
ROLES = ("client", "censor", "servers", "open")
__all__ = ["Lab", "build", "running_lab", "start_helper", "teardown"]
REQUIRED_TOOLS = ("ip", "iptables", "tc", "ss")


@dataclass
class Lab:
    """A lab being built or running; ``state`` mirrors what must be removed."""

    prefix: str
    plan: LabPlan
    run_dir: Path
    certs: LabCertificates | None = None
    pids: list[int] = field(default_factory=list)

    def ns(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    @property
    def helper_url(self) -> str:
        return f"http://{OPEN_IP}:{HELPER_PORT}/"

    def exec_argv(self, role: str, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(role), *argv]

    def probe_env(self, **timeouts: float) -> dict[str, str]:
        """Environment for ``netvigil probe`` run in the client namespace."""
        assert self.certs is not None
        env = {
            "NETVIGIL_PROBE__HELPER_URL": self.helper_url,
            "NETVIGIL_PROBE__RESOLVER": f"{PUBLIC_RESOLVER}:53",
            "NETVIGIL_PROBE__CA_BUNDLE": str(self.certs.ca_pem),
            "NETVIGIL_PROBE__PROBE_CC": "ZZ",
            "NETVIGIL_PROBE__PROBE_ASN": "AS0",
            # The lab's hosts are TEST-NET addresses, which the probe refuses elsewhere.
            "NETVIGIL_PROBE__ALLOW_DESTINATIONS": ",".join(LAB_SUBNETS),
        }
        env.update({f"NETVIGIL_PROBE__{k.upper()}": str(v) for k, v in timeouts.items()})
        return env

    def _save(self) -> None:
        state = {
            "prefix": self.prefix,
            "pids": self.pids,
            "namespaces": [self.ns(r) for r in ROLES],
        }
        (self.run_dir / "state.json").write_text(json.dumps(state), encoding="utf-8")

    def start(self, role: str, name: str, argv: list[str]) -> int:
        """Start a process in ``role``'s namespace (own session), logging to the run dir."""
        log = (self.run_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            self.exec_argv(role, *argv),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.pids.append(proc.pid)
        self._save()
        return proc.pid

    def wait_listening(self, role: str, wanted: list[str], timeout: float = 15.0) -> None:
        """Wait until ``ss`` in ``role``'s namespace lists every ``proto:addr:port`` of wanted."""
        deadline = time.monotonic() + timeout
        missing = wanted
        while time.monotonic() < deadline:
            out = _run(self.exec_argv(role, "ss", "-Hltun"), check=False)
            listening = set()
            for line in out.splitlines():
                cols = line.split()
                if len(cols) >= 5:
                    listening.add(f"{cols[0]}:{cols[4].replace('*', '0.0.0.0')}")
            missing = [w for w in wanted if w not in listening]
            if not missing:
                return
            time.sleep(0.1)
        logs = "; ".join(f"{p.name}: {p.read_text()[-300:]}" for p in self.run_dir.glob("*.log"))
        raise EnvironmentProblem(f"lab servers did not start ({', '.join(missing)}): {logs}")


def _run(argv: list[str], *, check: bool = True) -> str:
    done = subprocess.run(argv, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise EnvironmentProblem(f"lab setup failed: {' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


def _ip(namespace: str, command: str) -> None:
    _run(["ip", "-n", namespace, *command.split()])


def _sysctl(lab: Lab, role: str, key: str, value: str) -> None:
    # Written through /proc by a shell inside the namespace (its own net sysctls): the sysctl
    # tool (procps) is not on every minimal image, sh is.
    _run(lab.exec_argv(role, "sh", "-c", f"echo {value} > /proc/sys/{key}"))


def check_environment() -> None:
    """Root and the tools; a clear error instead of a half-built lab."""
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            "the lab needs root (network namespaces, iptables)",
            hint="run it with sudo, or in CI as root",
        )
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        raise EnvironmentProblem(
            f"the lab needs {', '.join(missing)} on PATH",
            hint="apt-get install -y iproute2 iptables",
        )


def existing_namespaces(prefix: str) -> list[str]:
    out = _run(["ip", "netns", "list"], check=False)
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [n for n in names if n in {f"{prefix}-{r}" for r in ROLES}]


def build(prefix: str, plan: LabPlan) -> Lab:
    """Build the lab and start its servers. On any failure, what was built is removed."""
    check_environment()
    if existing_namespaces(prefix):
        raise EnvironmentProblem(
            f"a lab with prefix {prefix!r} already exists",
            hint=f"remove it with: netvigil lab down --prefix {prefix}",
        )
    run_dir = RUN_ROOT / prefix
    run_dir.mkdir(parents=True, exist_ok=True)
    lab = Lab(prefix, plan, run_dir)
    lab._save()
    try:
        _build_network(lab)
        start_servers(lab)
    except BaseException:
        teardown(prefix)
        raise
    return lab


def _build_network(lab: Lab) -> None:
    ns = lab.ns
    for role in ROLES:
        _run(["ip", "netns", "add", ns(role)])
        d = NETNS_ETC / ns(role)
        d.mkdir(parents=True, exist_ok=True)
        (d / "resolv.conf").write_text(f"nameserver {ISP_RESOLVER}\noptions timeout:2\n")
        (d / "hosts").write_text("127.0.0.1 localhost\n")
    links = [
        ("client", "to-client", "to-censor", CENSOR_CLIENT_IP, CLIENT_IP, 26),
        ("open", "to-open", "to-censor", CENSOR_OPEN_IP, OPEN_IP, 26),
        ("servers", "to-servers", "to-censor", CENSOR_SERVERS_IP, SERVERS_IP, 25),
    ]
    for role in ROLES:
        for key in ("all", "default"):
            _sysctl(lab, role, f"net/ipv6/conf/{key}/disable_ipv6", "1")
        _ip(ns(role), "link set lo up")
    censor_ns = ns("censor")
    for role, near, far, near_ip, far_ip, plen in links:
        _ip(censor_ns, f"link add name {near} type veth peer name {far} netns {ns(role)}")
        _ip(censor_ns, f"addr add {near_ip}/{plen} dev {near}")
        _ip(ns(role), f"addr add {far_ip}/{plen} dev {far}")
        _ip(censor_ns, f"link set {near} up")
        _ip(ns(role), f"link set {far} up")
        _ip(ns(role), f"route add default via {near_ip}")
    # The censor's default route leads into a veth whose other end is also in the censor: even a
    # packet that escaped the seal chain could reach nothing outside the lab.
    _ip(censor_ns, "link add name dead-end type veth peer name dead-end-peer")
    _ip(censor_ns, "link set dead-end up")
    _ip(censor_ns, "link set dead-end-peer up")
    _ip(censor_ns, "route add default dev dead-end")
    for local in (SITE_RANGE, BENCH_RANGE):
        _ip(censor_ns, f"route add {local} via {SERVERS_IP}")
        _ip(ns("servers"), f"route add local {local} dev lo")
    for addr in (ISP_RESOLVER, PUBLIC_RESOLVER, LYING_RESOLVER):
        _ip(ns("servers"), f"addr add {addr}/32 dev lo")
    _sysctl(lab, "censor", "net/ipv4/ip_forward", "1")
    for table, rule in censor.iptables_rules(lab.plan.faults):
        _run(lab.exec_argv("censor", "iptables", "-w", "-t", table, *rule))
    for argv in censor.tc_commands(lab.plan.faults):
        _run(lab.exec_argv("censor", "tc", *argv))
    _servers_firewall(lab)


def _servers_firewall(lab: Lab) -> None:
    """The servers' own rules (not censorship): which server answers which address and port."""

    def redirect(addr: str, port: int, to: int) -> list[str]:
        nat = f"-t nat -A PREROUTING -p tcp -d {addr} --dport {port}"
        return [*nat.split(), "-j", "REDIRECT", "--to-ports", str(to)]

    # HTTP to the block page addresses goes to the block page server (its own port: the sites'
    # server holds :80 on every address); HTTPS to a bad-certificate address goes to the web
    # server holding that certificate.
    rules = [redirect(addr, 80, BLOCK_PAGE_PORT) for addr in (BLOCK_PAGE_IP, GHOST_IP)]
    rules += [redirect(addr, 443, port) for addr, port in BAD_TLS.values()]
    hang_up = f"-t nat -A PREROUTING -p tcp -d {HANG_UP_IP} -j REDIRECT --to-ports"
    rules.append([*hang_up.split(), str(HANG_UP_PORT)])
    # The ghost and refuser addresses do not speak HTTPS: their host refuses 443.
    rules += [
        f"-A INPUT -p tcp -d {addr} --dport 443 -j REJECT --reject-with tcp-reset".split()
        for addr in (GHOST_IP, REFUSER_IP)
    ]
    # The app scenarios: ports served by another of the lab's servers, and hosts that are down
    # for everyone (a platform outage, refused for the probe and the test helper alike).
    rules += [redirect(m.address, m.port, m.to) for m in lab.plan.port_maps]
    rules += [
        # by the connection's original address: REDIRECTed ports have a local one by now
        [*f"-A INPUT -p tcp -m conntrack --ctorigdst {f.address} -j REJECT".split(), *RST]
        for f in lab.plan.faults
        if isinstance(f, Down)
    ]
    for rule in rules:
        _run(lab.exec_argv("servers", "iptables", "-w", *rule))


KILL_GRACE_S = 1.0


def _kill(pids: list[int]) -> None:
    alive = []
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
            alive.append(pid)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, signal.SIGTERM)
                alive.append(pid)
            except (ProcessLookupError, PermissionError):
                pass
    # One second to exit on SIGTERM, then SIGKILL: the lab's processes hold nothing to save
    # (a probe's spool survives kill -9), and Ctrl-C of `lab run` must end promptly under load.
    deadline = time.monotonic() + KILL_GRACE_S
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if _reap(p)]
        time.sleep(0.05)
    for pid in alive:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _reap(pid)


def _reap(pid: int) -> bool:
    """True while ``pid`` is still alive (reaping it if it is our exited child)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def known_prefixes() -> list[str]:
    """Labs this machine has (their run directories, made first thing by :func:`build`)."""
    return sorted(p.name for p in RUN_ROOT.iterdir() if p.is_dir()) if RUN_ROOT.is_dir() else []


def teardown(prefix: str) -> list[str]:
    """Remove everything of the lab ``prefix``; return what was removed (for the user)."""
    removed: list[str] = []
    run_dir = RUN_ROOT / prefix
    state_file = run_dir / "state.json"
    pids: list[int] = []
    if state_file.is_file():
        pids = list(json.loads(state_file.read_text(encoding="utf-8")).get("pids", []))
    _kill(pids)
    removed += [f"process {p}" for p in pids]
    for ns in existing_namespaces(prefix):
        # Anything still running inside the lab's namespaces was started by the lab.
        left = [int(p) for p in _run(["ip", "netns", "pids", ns], check=False).split()]
        _kill(left)
        removed += [f"process {p}" for p in left]
        _run(["ip", "netns", "del", ns], check=False)
        removed.append(f"namespace {ns}")
    for role in ROLES:
        d = NETNS_ETC / f"{prefix}-{role}"
        if d.exists():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(str(d))
    if run_dir.exists():
        shutil.rmtree(run_dir, ignore_errors=True)
        removed.append(str(run_dir))
    return removed


@contextmanager
def running_lab(prefix: str, plan: LabPlan) -> Iterator[Lab]:
    """The lab, torn down on exit whatever happens (exceptions, Ctrl-C, SIGTERM)."""
    previous = signal.getsignal(signal.SIGTERM)

    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        lab = build(prefix, plan)
        try:
            yield lab
        finally:
            teardown(prefix)
    finally:
        signal.signal(signal.SIGTERM, previous)
