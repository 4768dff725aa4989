"""OONI blockpage fingerprints (WORK IN PROGRESS)."""

from __future__ import annotations

from pathlib import Path

import msgspec


class Fingerprint(msgspec.Struct, frozen=True):
    name: str
    scope: str
    location_found: str
    pattern_type: str
    pattern: str
    expected_countries: tuple[str, ...] = ()


class Fingerprints:
    """OONI's fingerprints_{dns,http}.csv, precompiled (not yet implemented)."""

    @classmethod
    def load(cls, source: str | Path) -> Fingerprints:
        raise NotImplementedError("Fingerprints.load: being written by helper C1")
