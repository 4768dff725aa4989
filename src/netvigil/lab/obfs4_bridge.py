"""The lab's Tor obfs4 bridge: Debian's ``obfs4proxy`` as a managed server transport.

It listens on every lab address of the servers namespace (``0.0.0.0:PORT``, whole ranges are
local there) and hands what it deobfuscates to the lab's TLS server on :443, standing in for a
bridge's OR port. Its certificate (``cert=...`` in the ``obfs4_bridgeline.txt`` it writes into
its state directory) is what a target list gives the probe (:func:`bridge_cert`).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Protocol

from netvigil._errors import EnvironmentProblem


class _Starts(Protocol):
    """What starting the bridge needs of a lab (``servers.LabProcesses`` is one)."""

    run_dir: Path

    def start(self, role: str, name: str, argv: list[str]) -> int: ...


STATE = "obfs4-bridge"
_CERT = re.compile(r"cert=(\S+)")


def available() -> bool:
    return shutil.which("obfs4proxy") is not None


def start_bridge(lab: _Starts, port: int) -> None:
    if not available():
        raise EnvironmentProblem(
            "the lab's Tor scenarios need obfs4proxy", hint="apt-get install -y obfs4proxy"
        )
    state = lab.run_dir / STATE
    state.mkdir(exist_ok=True)
    env = [
        "env",
        "TOR_PT_MANAGED_TRANSPORT_VER=1",
        f"TOR_PT_STATE_LOCATION={state}",
        "TOR_PT_SERVER_TRANSPORTS=obfs4",
        f"TOR_PT_SERVER_BINDADDR=obfs4-0.0.0.0:{port}",
        "TOR_PT_ORPORT=127.0.0.1:443",
    ]
    lab.start("servers", "obfs4-bridge", [*env, "obfs4proxy", "-enableLogging=false"])


def bridge_cert(run_dir: Path, timeout: float = 15.0) -> str:
    """The bridge's ``cert`` parameter, once obfs4proxy has written its bridge line."""
    line = run_dir / STATE / "obfs4_bridgeline.txt"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line.is_file():
            found = _CERT.search(line.read_text(encoding="utf-8"))
            if found:
                return found.group(1)
        time.sleep(0.05)
    raise EnvironmentProblem(f"obfs4proxy wrote no bridge line in {line.parent}")
