"""Byte-identity of the probe's output across a refactoring: two source trees, same servers.

    python bench/probe_identity.py --before /tmp/before/src [--after src] [--lab]

Runs ``python -m netvigil probe`` from each tree (``PYTHONPATH``) against the same servers and
compares, byte for byte, the JSONL measurements, the ``--json`` lines (less the ``test_name``
key the registry added) and the summary table.
Only what differs between any two runs is normalised first: times (``t``, ``t0``,
``measurement_start_time``, ``test_start_time``, ``test_runtime``, HTTP ``Date`` values) and the
report id's stamp and random part. Without ``--lab``: the loopback servers of ``tests/probe``
(no root), with URLs covering success, TLS failures, EOF, reset, redirects, NXDOMAIN, no-data, a
closed port, binary and echoing pages (scrubbing), a test list with categories and an unreachable
helper. With ``--lab`` (root): every lab scenario, both trees probing the same lab build (same
CA); there the order of records that concurrent steps append (and so their transaction ids)
varies between two runs of the same code, so record lists are compared as sets with transaction
ids zeroed. Run it
with ``--before`` equal to ``--after`` first to see that the normalisation leaves no noise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "probe"))

TIMES = {"t", "t0", "test_runtime"}
STAMPS = {"measurement_start_time", "test_start_time"}
REPORT_ID = re.compile(r"^\d{8}T\d{6}Z_(.*)_n1_[0-9a-f]{16}$")
# Records appended as concurrent steps finish (the system and the UDP lookup, connects to several
# addresses): in the lab their order and transaction ids vary from run to run of the same code.
HTTP_DATE = re.compile(r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")
RECORDS = {"queries", "tcp_connect", "tls_handshakes", "requests", "network_events"}


def normalise(value: Any, key: str = "", unordered: bool = False) -> Any:
    if key in TIMES and isinstance(value, int | float):
        return 0
    if key in STAMPS and isinstance(value, str):
        return "<time>"
    if key == "report_id" and isinstance(value, str):
        return REPORT_ID.sub(r"<stamp>_\1_n1_<random>", value)
    if unordered and key == "transaction_id":
        return 0
    if isinstance(value, str) and HTTP_DATE.match(value):
        return "<http date>"  # the lab's web servers send a Date header
    if isinstance(value, dict):
        return {k: normalise(v, k, unordered) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalise(v, "", unordered) for v in value]
        if unordered and key in RECORDS:
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return items
    return value


def canonical_lines(path: Path, unordered: bool = False) -> list[bytes]:
    """The file's measurements, normalised, re-serialised without reordering any key."""
    import orjson

    lines = path.read_bytes().splitlines() if path.exists() else []
    out = [orjson.dumps(normalise(orjson.loads(line), "", unordered)) for line in lines]
    return sorted(out, key=lambda b: (orjson.loads(b).get("input") or "", b))


def json_line(text: str) -> bytes:
    """A ``--json`` line without ``test_name`` (added with the nettest registry; checked here)."""
    import orjson

    line = orjson.loads(text)
    assert line.pop("test_name", "web_connectivity") == "web_connectivity", text
    return orjson.dumps(line)


def run_cli(src: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": str(src.resolve()), "COLUMNS": "200"}
    argv = [sys.executable, "-m", "netvigil", "probe", "--yes", "--no-progress", *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)


def compare(label: str, before: list[bytes], after: list[bytes]) -> bool:
    same = before == after
    n = max(len(before), len(after))
    differing = sum(1 for a, b in zip(before, after, strict=False) if a != b)
    differing += abs(len(before) - len(after))
    print(f"{label}: {n} item(s), {n - differing} identical, {differing} different")
    for a, b in zip(before, after, strict=False):
        if a != b:
            print(f"  first difference: {differences(json.loads(a), json.loads(b))[:8]}")
            break
    return same


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """The JSON paths where ``a`` and ``b`` differ (in value or in key order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{path} keys {list(a)} != {list(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"]


def loopback(before: Path, after: Path) -> bool:
    from probe_servers import (
        CertAuthority,
        LoopThread,
        WebBehaviour,
        World,
        closed_port,
        start_dns,
        start_helper,
        start_web,
    )

    zone = {"site.test": ["127.0.0.1"], "localhost": ["127.0.0.1"], "nodata.test": []}
    tmp = Path(tempfile.mkdtemp(prefix="nv-identity-"))
    ca = CertAuthority(tmp)
    loop = LoopThread()
    how = WebBehaviour(public_ip="203.0.113.77")
    servers = {
        "http": loop.run(start_web("127.0.0.1", 0, how)),
        "https": loop.run(start_web("127.0.0.1", 0, how, ca.issue("localhost"))),
        "wrong": loop.run(start_web("127.0.0.1", 0, how, ca.issue("elsewhere.test"))),
        "expired": loop.run(start_web("127.0.0.1", 0, how, ca.issue("localhost", expired=True))),
    }
    port = {k: s.sockets[0].getsockname()[1] for k, s in servers.items()}
    dns_port, helper_port = closed_port(), closed_port()
    loop.run(start_dns("127.0.0.1", dns_port, zone))
    helper = start_helper("127.0.0.1", helper_port, f"127.0.0.1:{dns_port}", ca.bundle)
    world = World(
        http=f"http://127.0.0.1:{port['http']}",
        https=f"https://localhost:{port['https']}",
        wrong_name=f"https://localhost:{port['wrong']}",
        expired=f"https://localhost:{port['expired']}",
        dns=f"127.0.0.1:{dns_port}",
        helper_url=f"http://127.0.0.1:{helper_port}/",
        ca_bundle=ca.bundle,
        behaviour=how,
    )
    h = world.http
    urls = [
        f"{h}/", f"{world.https}/", f"{world.wrong_name}/", f"{world.expired}/", f"{h}/eof",
        f"{h}/reset", f"{h}/redirect/3", f"{h}/redirect/11", f"{h}/broken-redirect-http",
        f"{h}/binary", f"{h}/blockpage", f"{h}/missing", f"{h}/echo",
        f"http://nxdomain.invalid:{port['http']}/", f"http://nodata.test:{port['http']}/",
        f"http://127.0.0.1:{closed_port()}/", f"{world.https}/echo",
    ]  # fmt: skip
    test_list = tmp / "list.csv"
    test_list.write_text(
        "url,category_code,category_description,date_added,source,notes\n"
        f"{h}/?news,NEWS,News,2024-01-01,x,\n{h}/?humr,HUMR,Human rights,2024-01-01,x,\n"
        f"{h}/?porn,PORN,Porn,2024-01-01,x,\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env |= world.env(NETVIGIL_DATA_DIR=str(tmp / "data"))
    no_helper = {**env, "NETVIGIL_PROBE__HELPER_URL": f"http://127.0.0.1:{closed_port()}/"}
    runs: list[tuple[str, list[str], dict[str, str]]] = [
        ("urls", ["-a", "campaign=identity", "--public-ip", "203.0.113.77", *urls], env),
        ("test list", ["-t", str(test_list), "--category", "NEWS", "--category", "HUMR"], env),
        ("no helper", [f"{h}/", f"{world.https}/", f"{h}/reset"], no_helper),
    ]
    ok = True
    try:
        for label, args, run_env in runs:
            outputs: dict[str, tuple[list[bytes], list[bytes], list[bytes]]] = {}
            for side, src in (("before", before), ("after", after)):
                out, out_json = tmp / f"{label}-{side}.jsonl", tmp / f"{label}-{side}-j.jsonl"
                table = run_cli(src, ["-o", str(out), *args], run_env)
                lines = run_cli(src, ["-o", str(out_json), "--json", *args], run_env)
                if table.returncode != 0 or lines.returncode != 0:
                    print(f"{label} ({side}): exit {table.returncode}/{lines.returncode}")
                    print(table.stderr[-2000:], lines.stderr[-2000:])
                json_lines = sorted(json_line(x) for x in lines.stdout.splitlines())
                table_lines = [x.encode() for x in table.stdout.splitlines()]
                outputs[side] = (canonical_lines(out), json_lines, table_lines)
            b, a = outputs["before"], outputs["after"]
            ok &= compare(f"{label}: measurements", b[0], a[0])
            ok &= compare(f"{label}: --json lines", b[1], a[1])
            ok &= compare(f"{label}: summary table lines", b[2], a[2])
    finally:
        helper.should_exit = True
        loop.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return ok


def lab(before: Path, after: Path) -> bool:
    from netvigil.lab import topology
    from netvigil.lab.plan import make_plan
    from netvigil.lab.run import run_scenarios
    from netvigil.lab.scenarios import ALL_SCENARIOS

    ooni = REPO.parent / "shared" / "data" / "ooni" / "probecli_minipipeline" / "generated"
    with topology.running_lab(f"nvi{os.getpid() % 1000}", make_plan(ALL_SCENARIOS)) as running:
        topology.start_helper(running)
        measured: dict[str, list[bytes]] = {}
        for side, src in (("before", before), ("after", after)):
            os.environ["PYTHONPATH"] = str(src.resolve())  # the probe subprocesses' code
            output = running.run_dir / f"lab-{side}.jsonl"
            results = run_scenarios(running, ALL_SCENARIOS, output, ooni)
            agree = sum(1 for r in results if r.matches)
            print(f"lab ({side}): {agree}/{len(results)} verdicts equal OONI's")
            measured[side] = canonical_lines(output, unordered=True)
    return compare("lab: measurements", measured["before"], measured["after"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="src/ of the old tree")
    parser.add_argument("--after", type=Path, default=REPO / "src", help="src/ of the new tree")
    parser.add_argument("--lab", action="store_true", help="compare in the lab (root)")
    args = parser.parse_args()
    ok = lab(args.before, args.after) if args.lab else loopback(args.before, args.after)
    print("IDENTICAL" if ok else "DIFFERENT")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
