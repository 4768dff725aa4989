"""No measurement contains the probe's real address.

On plain loopback the probe's source address is 127.0.0.1 -- OONI's redaction value itself -- so
a search for it proves nothing. The test therefore runs the probe in its own network namespace
where its address is 127.0.0.7, against a page that echoes the client's address (in the body, a
header and a link) and a claimed public address, then searches every byte written for every
address of that namespace except 127.0.0.1, and for the public address given with --public-ip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from probe_servers import ooni_measurement

WORLD = Path(__file__).with_name("probe_world.py")


def can_unshare() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-rnm", "true"], capture_output=True)
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(
    not can_unshare(),
    reason="needs `unshare -rnm` (user, network and mount namespaces) and iproute2",
)


def run_world(tmp_path: Path, *args: str) -> tuple[int, list[dict[str, object]], str]:
    out = tmp_path / "spool.jsonl"
    cmd = ["unshare", "-rnm", sys.executable, str(WORLD), str(tmp_path), "-o", str(out), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    text = out.read_text() if out.exists() else ""
    return done.returncode, [json.loads(line) for line in text.splitlines()], done.stderr


@needs_namespaces
def test_no_measurement_contains_the_probes_real_address(tmp_path: Path) -> None:
    rc, measurements, stderr = run_world(
        tmp_path, "--public-ip", "203.0.113.77", "http://echo.test/echo", "https://echo.test/echo"
    )
    assert rc == 0, stderr
    assert len(measurements) == 2
    seen = json.loads((tmp_path / "addresses.json").read_text())
    assert "127.0.0.7" in seen["local"]  # the namespace gave the probe its own address
    forbidden = {a for a in seen["local"] if a != "127.0.0.1"} | {seen["public"]}
    raw = (tmp_path / "spool.jsonl").read_text()
    for address in forbidden:
        pattern = r"(?<![0-9A-Fa-f.:])" + re.escape(address) + r"(?![0-9A-Fa-f])"
        assert not re.search(pattern, raw), f"{address} leaked into the measurements"
    for m in measurements:
        assert m["probe_ip"] == "127.0.0.1"
        response = m["test_keys"]["requests"][0]["response"]
        # the server did echo the address: the scrubbing, not luck, kept it out
        assert "You are [scrubbed]; public [scrubbed]" in response["body"]
        assert response["headers"]["X-Client-Ip"] == "[scrubbed]"
        assert m["test_keys"]["tcp_connect"][0]["ip"] == "127.0.0.10"  # servers stay


@needs_namespaces
def test_system_resolver_nxdomain_is_dns_blocking(tmp_path: Path) -> None:
    rc, [m], stderr = run_world(tmp_path, "http://blocked.test/")
    assert rc == 0, stderr
    tk = m["test_keys"]
    gai = [q for q in tk["queries"] if q["engine"] == "getaddrinfo"]
    assert gai[0]["failure"] == "dns_nxdomain_error"
    assert tk["dns_experiment_failure"] == "dns_nxdomain_error"
    assert tk["control"]["dns"]["addrs"] == ["127.0.0.10"]  # the helper's open resolver
    assert (tk["blocking"], tk["accessible"], tk["dns_consistency"]) == (
        "dns",
        False,
        "inconsistent",
    )


@needs_namespaces
def test_a_name_without_addresses_is_oonis_website_down_no_addrs(tmp_path: Path) -> None:
    rc, [m], stderr = run_world(tmp_path, "http://nodata.test/")
    assert rc == 0, stderr
    tk = m["test_keys"]
    ooni = ooni_measurement("websiteDownNoAddrs")["test_keys"]
    keys = ("dns_experiment_failure", "http_experiment_failure", "blocking", "accessible")
    # dns_no_answer from the system resolver; OONI leaves http_experiment_failure null
    assert {k: tk[k] for k in keys} == {k: ooni[k] for k in keys}
    assert tk["dns_experiment_failure"] == "dns_no_answer"
    assert tk["http_experiment_failure"] is None
    assert tk["tcp_connect"] == [] and tk["requests"] == []
