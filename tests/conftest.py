"""Shared fixtures: where the reference data is, isolated settings, and no empty runs."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from nvtest import REPO, SHARED_DATA, running_as_root, shared_path
from pg import PostgresServer

# A suite started in the background of a non-interactive shell (`cmd &`, nohup, some CI runners)
# inherits SIGINT ignored, and so would every process it starts: the Ctrl-C tests would then see a
# probe or a lab run that cannot be interrupted. Python's own handler is put back, as in a
# terminal; processes started from here get the default action again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

__all__ = ["REPO", "SHARED_DATA", "running_as_root", "shared_path"]


@pytest.fixture
def shared_data() -> Path:
    return shared_path()


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test gets its own data dir and no stray NETVIGIL_* or config file from the host."""
    for key in list(os.environ):
        if key.startswith("NETVIGIL_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    yield


# One throwaway PostgreSQL server per test session, shared by the tracker and web tests.
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except FileNotFoundError as exc:
        pytest.skip(f"no PostgreSQL here: {exc} (apt-get install postgresql)")
    try:
        server.start()
        yield server
    finally:
        server.stop()


_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # "No tests collected" must fail the run, never pass as green (pytest's exit 5).
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    # CI installs everything (root, iptables, PostgreSQL, chromium, ../shared): a skip there means
    # a suite silently did not run, so it fails the run instead of passing as green.
    if os.environ.get("CI") and _skipped and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if os.environ.get("CI") and _skipped:
        terminalreporter.write_line(
            f"CI: {len(_skipped)} test(s) skipped, which fails the run: {', '.join(_skipped[:10])}",
            red=True,
        )
