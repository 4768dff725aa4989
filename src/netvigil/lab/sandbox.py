"""Running a lab inside its own namespaces, so the kernel removes all of it when it ends.

``enter(argv)`` runs ``argv`` (the same netvigil command) under ``unshare``: new network, mount and
PID namespaces, and when not root also a user namespace in which the invoking user is root (where
the kernel allows unprivileged user namespaces: no sudo needed). Inside, :func:`prepare` mounts a
private ``/run`` (where ``ip netns`` keeps its namespaces) and gives the lab's resolver to
``/etc/resolv.conf``, both visible to this mount namespace only.

Why: the lab's namespaces, processes and mounts then belong to the command's PID namespace. When
the command ends, however it ends (Ctrl-C, an error, ``kill -9`` of ``unshare``, which takes its
child with it, ``--kill-child``), the kernel ends every process in it and frees the namespaces:
nothing is left on the machine, and nothing the lab does is visible outside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from netvigil._errors import EnvironmentProblem

INSIDE = "NETVIGIL_LAB_SANDBOX"  # set in the sandboxed command's environment
TOOLS = ("unshare", "mount", "ip", "iptables", "ss")


def inside() -> bool:
    return os.environ.get(INSIDE) == "1"


def _needs_root(why: str) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"the lab needs root here: {why}",
        hint="run it as root (sudo), or on a kernel that allows unprivileged user namespaces",
    )


def enter(argv: list[str]) -> int:
    """Run ``argv`` in a fresh sandbox; return its exit status."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise EnvironmentProblem(
            f"the lab needs {', '.join(missing)} on PATH",
            hint="apt-get install -y iproute2 iptables util-linux mount",
        )
    flags = ["--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
    if os.geteuid() != 0:
        probe = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--net", "true"], capture_output=True
        )
        if probe.returncode != 0:
            raise _needs_root("this kernel does not let users create user and network namespaces")
        flags = ["--user", "--map-root-user", *flags]
    env = {**os.environ, INSIDE: "1"}
    command = ["unshare", *flags, "--propagation", "private", "--", *argv]
    try:
        return subprocess.run(command, env=env).returncode
    except KeyboardInterrupt:  # the child got the same Ctrl-C and ends the lab
        return 130


def prepare(resolver: str) -> None:
    """Inside the sandbox: a private /run with /run/netns, and the lab's resolver as the one
    ``/etc/resolv.conf`` names (every lab namespace uses it)."""
    _mount(["-t", "tmpfs", "-o", "mode=755", "tmpfs", "/run"])
    Path("/run/netns").mkdir()
    conf = f"nameserver {resolver}\noptions timeout:2\n"
    etc = Path("/etc/resolv.conf")
    if etc.is_symlink():  # e.g. systemd-resolved's, under the /run we just replaced
        target = Path(os.path.realpath(etc))
        if not str(target).startswith("/run/"):
            raise _needs_root(f"/etc/resolv.conf points to {target}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(conf)
        return
    own = Path("/run/netvigil-resolv.conf")
    own.write_text(conf)
    if not etc.exists():
        raise _needs_root("/etc/resolv.conf does not exist to be replaced in the sandbox")
    _mount(["--bind", str(own), str(etc)])


def _mount(args: list[str]) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise _needs_root(f"mount {' '.join(args)}: {done.stderr.strip()}")


def reexec_argv() -> list[str]:
    """This very command, to run again inside the sandbox."""
    return [sys.executable, "-m", "netvigil", *sys.argv[1:]]
