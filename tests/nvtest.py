"""Helpers shared by every test module: where the reference data is, and who we run as.

Imported as ``from nvtest import ...`` (``tests/`` is on pytest's pythonpath). It is not named
conftest so that per-area conftest.py files cannot shadow it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} is absent (it lives in ../shared beside the clone)")
    return path


def running_as_root() -> bool:
    return os.geteuid() == 0
