"""raw measurement -> observation rows (WORK IN PROGRESS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netvigil.models.observations import Observation


def observations_of(m: Mapping[str, Any], *, uid: str | None = None) -> list[Observation]:
    """One row per DNS answer / TCP connect / TLS handshake / HTTP request (not yet implemented)."""
    raise NotImplementedError("observations_of: being written by helper C1")
