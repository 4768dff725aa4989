"""A private loopback network for one probe run: ``unshare -rnm python probe_world.py OUT ARGS``.

Inside fresh user+network+mount namespaces it: gives the probe its own address (127.0.0.7
instead of 127.0.0.1, so what servers see differs from OONI's redaction value), bind-mounts a
resolv.conf pointing at a DNS server on 127.0.0.53:53 (the "censored" system resolver: it says
NXDOMAIN for blocked.test), runs an open resolver on 127.0.0.54:53 for the helper, a web server
on 127.0.0.10:80/443 that echoes the client's address, and netvigil's helper on 127.0.0.20:8080;
then runs ``python -m netvigil probe ARGS`` and writes the namespace's addresses to OUT.
Nothing here can reach beyond the namespace: it has no other interface.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from probe_servers import (
    CertAuthority,
    LoopThread,
    WebBehaviour,
    start_dns,
    start_helper,
    start_web,
)

PROBE_ADDRESS = "127.0.0.7"
PUBLIC_IP = "203.0.113.77"  # what the echo page claims is the probe's public address


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True)


def main(out: Path, probe_args: list[str]) -> int:
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "addr", "del", "127.0.0.1/8", "dev", "lo")
    sh("ip", "addr", "add", f"{PROBE_ADDRESS}/8", "dev", "lo")
    resolv = out / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\noptions timeout:2 attempts:1\n")
    sh("mount", "--bind", str(resolv), "/etc/resolv.conf")
    ca = CertAuthority(out)
    loop = LoopThread()
    how = WebBehaviour(public_ip=PUBLIC_IP)
    # nodata.test exists without addresses for both resolvers (OONI's websiteDownNoAddrs).
    loop.run(start_dns("127.0.0.53", 53, {"echo.test": ["127.0.0.10"], "nodata.test": []}))
    open_zone = {"echo.test": ["127.0.0.10"], "blocked.test": ["127.0.0.10"], "nodata.test": []}
    loop.run(start_dns("127.0.0.54", 53, open_zone))
    loop.run(start_web("127.0.0.10", 80, how))
    loop.run(start_web("127.0.0.10", 443, how, ca.issue("echo.test", "blocked.test")))
    helper = start_helper("127.0.0.20", 8080, "127.0.0.54:53", ca.bundle)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(
        NETVIGIL_PROBE__HELPER_URL="http://127.0.0.20:8080/",
        NETVIGIL_PROBE__RESOLVER="127.0.0.53:53",
        NETVIGIL_PROBE__CA_BUNDLE=str(ca.bundle),
        NETVIGIL_PROBE__CONNECT_LOOPBACK="true",  # the world's servers are on 127.0.0.0/8
        NETVIGIL_DATA_DIR=str(out / "data"),
    )
    cmd = [sys.executable, "-m", "netvigil", "probe", "--yes", "--no-progress", *probe_args]
    rc = subprocess.run(cmd, env=env).returncode
    addrs = json.loads(subprocess.run(["ip", "-j", "addr"], capture_output=True).stdout)
    local = [a["local"] for link in addrs for a in link.get("addr_info", [])]
    (out / "addresses.json").write_text(json.dumps({"local": local, "public": PUBLIC_IP}))
    (out / "server_saw.json").write_text(json.dumps(how.requests))
    helper.should_exit = True
    return rc


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), sys.argv[2:]))
