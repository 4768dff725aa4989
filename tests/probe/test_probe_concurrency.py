"""Concurrency: many URLs at once, but never more than probe.per_host on one host."""

from __future__ import annotations

import json
from pathlib import Path

from probe_servers import World, closed_port
from typer.testing import CliRunner

from netvigil.cli.main import app


def test_per_host_cap_limits_parallel_requests_to_one_host(world: World, tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    urls = [f"{world.http}/slow?cap={i}" for i in range(8)]
    world.behaviour.most_in_flight = 0
    # no helper: its control fetches would hit the same server and blur the count
    env = world.env(
        NETVIGIL_PROBE__PER_HOST="2",
        NETVIGIL_PROBE__HELPER_URL=f"http://127.0.0.1:{closed_port()}/",
    )
    result = CliRunner().invoke(
        app, ["probe", "--yes", "--concurrency", "8", "-o", str(out), *urls], env=env
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 8
    assert world.behaviour.most_in_flight == 2


def test_urls_are_measured_concurrently(world: World, tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    hosts = ["127.0.0.1", "localhost"]  # two hosts, per_host 4: up to 8 at once
    port = world.http.rsplit(":", 1)[1]
    urls = [f"http://{hosts[i % 2]}:{port}/slow?par={i}" for i in range(8)]
    world.behaviour.most_in_flight = 0
    env = world.env(NETVIGIL_PROBE__HELPER_URL=f"http://127.0.0.1:{closed_port()}/")
    result = CliRunner().invoke(
        app, ["probe", "--yes", "--concurrency", "8", "-o", str(out), *urls], env=env
    )
    assert result.exit_code == 0, result.output
    inputs = {json.loads(line)["input"] for line in out.read_text().splitlines()}
    assert inputs == set(urls)
    assert world.behaviour.most_in_flight > 4  # both hosts were served at the same time
