"""Faults no OONI scenario exercises, checked on a small lab of their own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from netvigil.lab import topology
from netvigil.lab.censor import FAULT_CHAIN
from netvigil.lab.plan import Loss, Site, make_plan
from nvtest import running_as_root

pytestmark = pytest.mark.lab


def test_random_loss_drops_about_the_configured_share() -> None:
    if not running_as_root():
        pytest.skip("the censorship lab needs root (network namespaces, iptables)")
    if shutil.which("iptables") is None:
        pytest.skip("the censorship lab needs iptables")
    address = "203.0.113.99"
    plan = make_plan((), (Site("loss.lab.example", address),), (Loss(address, 0.5),))
    with topology.running_lab(f"nvl{os.getpid() % 1000}", plan) as lab:
        script = (
            "import socket\n"
            "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            f"for i in range(400):\n    u.sendto(b'x', ('{address}', 9))\n"
        )
        subprocess.run(lab.exec_argv("client", sys.executable, "-c", script), check=True)
        out = subprocess.run(
            lab.exec_argv("censor", "iptables", "-w", "-L", FAULT_CHAIN, "-v", "-n", "-x"),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    dropped = int(out.splitlines()[2].split()[0])
    assert 120 <= dropped <= 280  # Binomial(400, 0.5): mean 200, sd 10
