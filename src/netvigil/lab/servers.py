"""The lab's server processes: DNS, web, block page, hang-up middlebox, and the test helper.

Each is ``ip netns exec <ns> python -m ...`` started through :meth:`Lab.start`, which records its
pid for teardown; we then wait until ``ss`` shows every socket listening. This module needs only
what :class:`LabProcesses` describes of a lab, so that it does not import ``topology`` (which
calls it while building the lab).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Protocol

from netvigil.lab.pki import LabCertificates, make_certificates
from netvigil.lab.plan import (
    BAD_TLS,
    HELPER_PORT,
    ISP_RESOLVER,
    LAB_SUBNETS,
    LYING_RESOLVER,
    OPEN_IP,
    PUBLIC_RESOLVER,
    ZONE,
    LabPlan,
)
from netvigil.lab.web_server import BLOCK_PAGE_PORT, HANG_UP_PORT


class LabProcesses(Protocol):
    """What starting the servers needs of a lab (``topology.Lab`` is one)."""

    plan: LabPlan
    run_dir: Path
    certs: LabCertificates | None

    def start(self, role: str, name: str, argv: list[str]) -> int: ...

    def wait_listening(self, role: str, wanted: list[str], timeout: float = ...) -> None: ...


RESOLVERS = (
    ("isp-resolver", ISP_RESOLVER, False),
    ("public-resolver", PUBLIC_RESOLVER, False),
    ("lying-resolver", LYING_RESOLVER, True),
)


def start_servers(lab: LabProcesses) -> None:
    """Make the certificates and configs, start every server in the servers namespace."""
    plan = lab.plan
    certs = make_certificates(lab.run_dir / "pki", [ZONE, f"*.{ZONE}", *plan.dns_names()])
    lab.certs = certs
    dns_json = lab.run_dir / "dns.json"
    dns_json.write_text(json.dumps(plan.dns_config()), encoding="utf-8")
    web_json = lab.run_dir / "web.json"
    web_json.write_text(json.dumps(plan.web_config()), encoding="utf-8")
    dns = [sys.executable, "-m", "netvigil.lab.dns_server", "--config", str(dns_json)]
    web = [sys.executable, "-m", "netvigil.lab.web_server", "--config", str(web_json)]
    for name, addr, lie in RESOLVERS:
        lab.start("servers", name, [*dns, "--listen", f"{addr}:53", *(["--lie"] if lie else [])])
    good_tls = ["--cert", str(certs.cert_pem), "--key", str(certs.key_pem)]
    lab.start("servers", "web-http", [*web, "--port", "80"])
    lab.start("servers", "web-https", [*web, "--port", "443", *good_tls])
    for kind, (_, port) in BAD_TLS.items():
        bad_tls = ["--cert", str(certs.bad[kind].cert_pem), "--key", str(certs.bad[kind].key_pem)]
        lab.start("servers", f"web-{kind}", [*web, "--port", str(port), *bad_tls])
    lab.start("servers", "hang-up", [*web, "--port", str(HANG_UP_PORT), "--hang-up"])
    lab.start("servers", "block-page", [*web, "--port", str(BLOCK_PAGE_PORT), "--block-page"])
    ports = [80, 443, BLOCK_PAGE_PORT, HANG_UP_PORT, *(port for _, port in BAD_TLS.values())]
    if plan.obfs4_port is not None:  # the app scenarios' Tor bridge
        from netvigil.lab.obfs4_bridge import start_bridge

        start_bridge(lab, plan.obfs4_port)
        ports.append(plan.obfs4_port)
    wanted = [f"{proto}:{addr}:53" for _, addr, _ in RESOLVERS for proto in ("udp", "tcp")]
    lab.wait_listening("servers", [*wanted, *(f"tcp:0.0.0.0:{p}" for p in ports)])


def start_helper(lab: LabProcesses) -> None:
    """The control test helper (``netvigil helper``) in the open namespace, on the clean DNS.

    Its allow-list opens the lab's TEST-NET ranges, which a helper refuses elsewhere."""
    assert lab.certs is not None
    argv = [sys.executable, "-m", "netvigil", "helper", "--host", OPEN_IP, "--port",
            str(HELPER_PORT), "--resolver", f"{ISP_RESOLVER}:53", "--ca-bundle",
            str(lab.certs.ca_pem), "--allow", ",".join(LAB_SUBNETS)]  # fmt: skip
    lab.start("open", "helper", argv)
    lab.wait_listening("open", [f"tcp:{OPEN_IP}:{HELPER_PORT}"], timeout=20)
