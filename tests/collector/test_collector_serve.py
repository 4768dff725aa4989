"""`netvigil serve --collector`: the web site and the collector on one port (uvicorn, httpx)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from collectorkit import fixture_measurement, free_port, open_report, submission, wait_for


def test_serve_with_collector_answers_both(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env["NETVIGIL_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netvigil",
            "serve",
            "--collector",
            "--port",
            str(port),
            "--insecure-cookies",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, "netvigil serve exited"
        try:
            return httpx.get(f"{url}/api/v1/test-helpers", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, "netvigil serve --collector")
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/incidents.json").status_code == 200  # the web site's API
            m = fixture_measurement()
            m["report_id"] = open_report(client, m).json()["report_id"]
            answer = client.post(f"/report/{m['report_id']}", content=submission(m))
            assert answer.status_code == 200, answer.text
    finally:
        proc.terminate()
        proc.wait(timeout=60)
