"""The store backends under contract: each test taking ``url`` runs once per backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from storekit import BACKENDS, store_url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def url(backend: str, tmp_path: Path) -> str:
    """A fresh, empty store of the backend, by URL."""
    return store_url(backend, tmp_path)
