"""The security audit's anonymous request patterns against a real `netvigil serve` (M3-M5, L4).

Builds a tracker from Access Now's STOP workbook (../shared/data/stop), starts the server in a
subprocess and, for each pattern, reads the server's resident memory from /proc (VmRSS now, and
VmHWM, the peak, reset before each pattern through /proc/PID/clear_refs):

- logins: ten failed logins for one account from one address at once (audit M3: all ten were
  hashed with argon2's 64 MiB each; the limit is five);
- throttle: from an address already throttled, 200 logins with distinct 500 KB user names
  (audit M4: each name stayed in memory);
- cache: 300 requests for /incidents.json?limit=500 with a junk parameter (audit M5);
- exports: eight CSV exports at once with junk parameters, timing a small JSON page meanwhile;
- body: one 146 MiB multipart login (audit L4).

``--src`` runs the server from another source tree (e.g. ``git archive main src`` unpacked) to
compare with the code before the fixes; its tracker is built by that code too.

Example: .venv/bin/python bench/security_load.py
Example: .venv/bin/python bench/security_load.py --src /tmp/before/src
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
WORKBOOK = REPO.parent / "shared" / "data" / "stop" / "Keepiton_raw_dataset_2016-2022.xlsx"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MIB = 1024 * 1024


def _env(src: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(PYTHONPATH=str(src), NETVIGIL_DATA_DIR=str(data))
    return env


def _netvigil(src: Path, data: Path, *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "netvigil", *args],
        env=_env(src, data), input=stdin, text=True, check=True, capture_output=True,
    )  # fmt: skip


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS


class Server:
    def __init__(self, src: Path, data: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        cmd = [sys.executable, "-m", "netvigil", "serve", "--port", str(self.port),
               "--insecure-cookies"]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, env=_env(src, data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/countries.json", timeout=5)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def rss(self) -> int:
        return _status(self.proc.pid)["VmRSS"]

    def peak(self) -> int:
        return _status(self.proc.pid)["VmHWM"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _login_form(client: httpx.Client, base: str) -> str:
    match = CSRF.search(client.get(base + "/login").text)
    assert match, "no CSRF token on /login"
    return match.group(1)


def logins(server: Server) -> str:
    client = httpx.Client(timeout=120)
    token = _login_form(client, server.url)
    _reset_peak(server.proc.pid)
    before = server.rss()
    codes: list[int] = []

    def one() -> None:
        data = {"username": "editor@example.org", "password": "wrong", "csrf_token": token}
        codes.append(client.post(server.url + "/login", data=data).status_code)

    started = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    peak = (server.peak() - before) / MIB
    return (
        f"10 concurrent failed logins: statuses {dict(Counter(codes))}; peak RSS "
        f"+{peak:.0f} MiB over {before / MIB:.0f}; {took:.1f} s"
    )


def throttle(server: Server) -> str:
    client = httpx.Client(timeout=60)
    token = _login_form(client, server.url)
    for _ in range(6):
        data = {"username": "viewer@example.org", "password": "wrong", "csrf_token": token}
        client.post(server.url + "/login", data=data)
    before = server.rss()
    codes: Counter[int] = Counter()
    for i in range(200):
        name = f"{i}-" + "u" * 500_000 + "@example.org"
        data = {"username": name, "password": "x", "csrf_token": token}
        codes[client.post(server.url + "/login", data=data).status_code] += 1
    return (f"200 logins with distinct 500 KB names from a throttled address: {dict(codes)}; "
            f"RSS {before / MIB:.0f} -> {server.rss() / MIB:.0f} MiB (kept)")  # fmt: skip


def cache(server: Server) -> str:
    client = httpx.Client(timeout=60)
    before = server.rss()
    size = 0
    for i in range(300):
        size = len(client.get(f"{server.url}/incidents.json?limit=500&junk={i}").content)
    return (f"300 x /incidents.json?limit=500&junk=N ({size / MIB:.1f} MiB each): "
            f"RSS {before / MIB:.0f} -> {server.rss() / MIB:.0f} MiB (kept)")  # fmt: skip


def exports(server: Server) -> str:
    small: list[float] = []
    codes: list[int] = []
    quiet = httpx.get(server.url + "/countries.json?quiet=1", timeout=60).elapsed.total_seconds()

    def export(i: int) -> None:
        r = httpx.get(f"{server.url}/incidents.csv?junk={i}", timeout=120)
        codes.append(r.status_code)

    threads = [threading.Thread(target=export, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        r = httpx.get(f"{server.url}/countries.json?t={len(small)}", timeout=60)
        small.append(r.elapsed.total_seconds())
    for t in threads:
        t.join()
    worst = max(small or [0]) * 1000
    return (
        f"8 concurrent CSV exports: statuses {dict(Counter(codes))}; a small JSON page "
        f"{quiet * 1000:.0f} ms when quiet, worst {worst:.0f} ms during"
    )


def body(server: Server) -> str:
    _reset_peak(server.proc.pid)
    before = server.rss()
    boundary = "netvigilbench"
    field = b"x" * (1000 * 1024)
    parts = []
    for i in range(150):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n'.encode()
            + field
            + b"\r\n"
        )
    payload = b"".join(parts) + f"--{boundary}--\r\n".encode()
    started = time.monotonic()
    try:
        response = httpx.post(
            server.url + "/login", content=payload, timeout=120,
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )  # fmt: skip
        status = str(response.status_code)
    except httpx.HTTPError as exc:
        status = f"connection closed ({type(exc).__name__})"
    took = time.monotonic() - started
    return (f"one {len(payload) / MIB:.0f} MiB multipart login: {status}; peak RSS "
            f"+{(server.peak() - before) / MIB:.0f} MiB; {took:.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=REPO / "src", help="source tree to serve")
    args = parser.parse_args()
    src = args.src.resolve()
    with tempfile.TemporaryDirectory(prefix="netvigil-secload-") as tmp:
        data = Path(tmp) / "data"
        _netvigil(src, data, "incidents", "import", str(WORKBOOK))
        for role in ("admin", "editor", "viewer"):
            _netvigil(src, data, "incidents", "user", "add", f"{role}@example.org", "--role",
                      role, "--password-stdin", stdin=f"password-{role}\n")  # fmt: skip
        server = Server(src, data)
        print(f"server from {src}: RSS {server.rss() / MIB:.0f} MiB after start")
        try:
            for pattern in (logins, throttle, cache, exports, body):
                print(f"- {pattern(server)}", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
