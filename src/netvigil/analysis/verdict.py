"""Dispatch a raw measurement to its test's rules (WORK IN PROGRESS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netvigil.analysis.fingerprints import Fingerprints
from netvigil.models.verdicts import Verdict


def verdict_of(
    m: Mapping[str, Any], *, fingerprints: Fingerprints | None = None, uid: str | None = None
) -> Verdict:
    """The verdict of one measurement (not yet implemented)."""
    raise NotImplementedError("verdict_of: being written by helper C1")
