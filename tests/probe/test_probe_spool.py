"""Store-and-forward and consent: nothing is measured without a writable spool and consent;
a kill -9 keeps every measurement completed before it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from probe_servers import World
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.probe.consent import NOTICE_VERSION, consent_file


def sent_requests(world: World) -> int:
    return len(world.behaviour.requests)


def test_unwritable_output_fails_before_any_measuring(world: World, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    before = sent_requests(world)
    for target in (blocker / "out.jsonl", tmp_path):  # parent is a file; target is a directory
        result = CliRunner().invoke(
            app, ["probe", "--yes", "-o", str(target), f"{world.http}/?spool"], env=world.env()
        )
        assert result.exit_code == 3, result.output  # EnvironmentProblem
        assert f"cannot write measurements to {target}" in " ".join(result.output.split())
    assert sent_requests(world) == before  # not one request reached the server


def test_without_consent_and_without_a_terminal_nothing_is_measured(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "m.jsonl"
    before = sent_requests(world)
    result = CliRunner().invoke(app, ["probe", "-o", str(out), f"{world.http}/"], env=world.env())
    assert result.exit_code == 2
    assert "consent" in result.output and "--yes" in result.output
    assert not out.exists()
    assert sent_requests(world) == before


def test_consent_is_asked_once_and_remembered(world: World, tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    runner = CliRunner()
    from netvigil._settings import load_settings

    data_dir = load_settings().data_dir
    declined = runner.invoke(
        app, ["probe", "-o", str(out), f"{world.http}/"], input="n\n", env=world.env()
    )
    # CliRunner's stdin is not a TTY: the probe must not pretend it asked
    assert declined.exit_code == 2 and not consent_file(data_dir).exists()
    given = runner.invoke(app, ["probe", "--yes", "-o", str(out), f"{world.http}/"])
    assert given.exit_code == 0, given.output
    record = json.loads(consent_file(data_dir).read_text())
    assert record["how"] == "--yes" and record["notice_version"] == NOTICE_VERSION
    again = runner.invoke(app, ["probe", "-o", str(out), f"{world.http}/"], env=world.env())
    assert again.exit_code == 0, again.output
    assert len(out.read_text().splitlines()) == 2


def _probe_until_held(
    world: World, out: Path, fast: int, *, stderr: int
) -> tuple[subprocess.Popen[bytes], list[str]]:
    """Start `netvigil probe` (2 at a time) on ``fast`` URLs answered at once, then URLs the
    world's server holds; return once the fast ones are spooled and both measurers wait on a
    held one: the run is then provably in the middle, whatever the machine's load."""
    how = world.behaviour
    how.gate.clear()
    urls = [f"{world.http}/?fast={i}" for i in range(fast)]
    urls += [f"{world.http}/hold?n={i}" for i in range(20)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(world.env())
    cmd = [sys.executable, "-m", "netvigil", "probe", "--yes", "--no-progress"]
    cmd += ["--concurrency", "2", "-o", str(out), *urls]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 120  # only stops a hung test; the wait is on state
    while not (out.exists() and out.read_bytes().count(b"\n") >= fast and how.held >= 2):
        if proc.poll() is not None or time.monotonic() > deadline:
            how.gate.set()
            proc.kill()
            raise AssertionError(f"the probe never reached the held URLs (exit {proc.poll()})")
        time.sleep(0.02)
    return proc, urls


def test_kill_9_keeps_every_completed_measurement(world: World, tmp_path: Path) -> None:
    out = tmp_path / "spool.jsonl"
    proc, urls = _probe_until_held(world, out, 5, stderr=subprocess.DEVNULL)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        world.behaviour.gate.set()
        if proc.poll() is None:
            proc.kill()
    data = out.read_bytes()
    assert data.endswith(b"\n"), "a partial line was left behind"
    lines = [json.loads(line) for line in data.splitlines()]
    assert len(lines) == 5, "killed mid-run, with every completed line kept"
    assert len({m["input"] for m in lines}) == len(lines)
    assert all(m["input"] in urls and "http_experiment_failure" in m["test_keys"] for m in lines)


def test_ctrl_c_exits_130_and_keeps_completed_measurements(world: World, tmp_path: Path) -> None:
    # Was flaky under load (exit 0: the run had finished before the signal). The run is now held
    # in the middle by the server until the probe has exited.
    out = tmp_path / "spool.jsonl"
    proc, _ = _probe_until_held(world, out, 3, stderr=subprocess.PIPE)
    try:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        world.behaviour.gate.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    lines = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert len(lines) == 3
    assert "3 completed measurement(s)" in " ".join(stderr.decode().split())


def run_on_a_terminal(world: World, tmp_path: Path, answer: bytes) -> tuple[int, str]:
    """Run the probe with a pseudo-terminal as stdin/stdout and answer its consent question."""
    import pty
    import select

    out = tmp_path / "tty.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETVIGIL_")}
    env.update(world.env(), COLUMNS="200")
    master, slave = pty.openpty()
    cmd = [sys.executable, "-m", "netvigil", "probe", "-o", str(out), f"{world.http}/?tty"]
    proc = subprocess.Popen(cmd, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen, answered = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break  # the child closed the terminal
            if not chunk:
                break
            seen += chunk
        if not answered and b"Measure now?" in seen:
            os.write(master, answer)
            answered = True
        if proc.poll() is not None and not ready:
            break
    os.close(master)
    return proc.wait(timeout=30), seen.decode(errors="replace")


def test_first_run_on_a_terminal_explains_and_asks(world: World, tmp_path: Path) -> None:
    from netvigil._settings import load_settings

    data_dir = load_settings().data_dir
    code, screen = run_on_a_terminal(world, tmp_path, b"n\n")
    assert code == 2 and "consent declined" in screen
    assert "probe_ip is always 127.0.0.1" in screen and "RISKS" in screen
    assert not consent_file(data_dir).exists()
    code, screen = run_on_a_terminal(world, tmp_path, b"y\n")
    assert code == 0, screen
    assert json.loads(consent_file(data_dir).read_text())["how"] == "interactive"
    assert len((tmp_path / "tty.jsonl").read_text().splitlines()) == 1


def test_default_output_is_the_spool_in_the_data_dir(world: World) -> None:
    from netvigil._settings import load_settings

    spool = load_settings().spool_path
    assert not spool.exists()
    for _ in range(2):  # appended, never overwritten
        result = CliRunner().invoke(app, ["probe", "--yes", f"{world.http}/"], env=world.env())
        assert result.exit_code == 0, result.output
    assert [json.loads(line)["input"] for line in spool.read_text().splitlines()] == [
        f"{world.http}/"
    ] * 2
    assert str(spool) in " ".join(result.output.split())
