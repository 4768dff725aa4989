"""`netvigil serve` really serves (subprocess, loopback), and hostile text is escaped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from web_support import CSRF_RE, PASSWORD, Seeded

from netvigil._errors import InputError
from netvigil.incidents.model import Evidence


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(tmp_path: Path, db_url: str, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start `netvigil serve` and wait until it answers; returns the process and its port."""
    port = _free_port()
    env = {**os.environ, "NETVIGIL_DATA_DIR": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "netvigil", "serve", "--port", str(port), "--db", db_url, *extra]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, proc.communicate()[1].decode()
        try:
            httpx.get(f"http://127.0.0.1:{port}/incidents.json", timeout=2)
            return proc, port
        except httpx.TransportError:
            assert time.monotonic() < deadline, "netvigil serve did not start in 30 s"
            time.sleep(0.2)


def test_netvigil_serve_answers_on_loopback(tmp_path: Path, seeded: Seeded, db_url: str) -> None:
    proc, port = _serve(tmp_path, db_url)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/incidents.json", timeout=2)
        assert response.status_code == 200
        assert [i["id"] for i in response.json()["incidents"]] == [seeded.published_id]
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
        assert "secure" in login.headers["set-cookie"].lower()  # the default is Secure cookies
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_workers_share_one_signing_key(tmp_path: Path, seeded: Seeded, db_url: str) -> None:
    # Each request on a new connection may land on either worker: a CSRF token or a session
    # signed by one worker must be accepted by the other, or logins would fail at random.
    proc, port = _serve(tmp_path, db_url, "--workers", "2", "--insecure-cookies")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(6):
            with httpx.Client(base_url=base, timeout=10) as first:
                page = first.get("/login")
                match = CSRF_RE.search(page.text)
                assert match, page.text
                cookies = dict(first.cookies)
            with httpx.Client(base_url=base, timeout=10, cookies=cookies) as second:
                login = second.post(
                    "/login",
                    data={
                        "username": seeded.editor.name,
                        "password": PASSWORD,
                        "csrf_token": match.group(1),
                    },
                    follow_redirects=False,
                )
                assert login.status_code == 303, login.text
                cookies = {c.name: c.value for c in login.cookies.jar}  # the new session
            with httpx.Client(base_url=base, timeout=10, cookies=cookies) as third:
                editor = third.get("/editor", follow_redirects=False)
                assert editor.status_code == 200, editor.status_code
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert len(list((tmp_path / "data").glob("*secret*"))) <= 1


def test_hostile_text_is_escaped_not_executed(client: TestClient, seeded: Seeded) -> None:
    tracker = seeded.tracker
    incident = tracker.create_incident(
        {"title": "<script>alert(1)</script>", "country": "India", "start_date": "2024-02-02"},
        seeded.editor,
    )
    with pytest.raises(InputError, match="http"):  # refused when attached (issue 11)...
        tracker.attach_evidence(incident.id, "url", "javascript:alert(2)", seeded.editor)
    with tracker._sessions.begin() as s:  # ...and never a link if older data holds one
        s.add(Evidence(incident_id=incident.id, kind="url", value="javascript:alert(2)"))
    for status in ("corroborated", "verified"):  # four eyes: another verifies
        tracker.set_status(incident.id, status, seeded.editor)
    tracker.set_status(incident.id, "published", seeded.admin)
    page = client.get(f"/incidents/{incident.id}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
