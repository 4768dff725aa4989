"""A collector per test (its own process, data dir and store), stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collectorkit import CollectorProcess
from nvtest import shared_path


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[CollectorProcess]:
    shared_path("ooni", "test-lists", "global.csv")  # skip with the reason when ../shared is absent
    running = CollectorProcess(tmp_path / "collector").start()
    try:
        yield running
    finally:
        running.stop()
