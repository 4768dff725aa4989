"""Day partitions: which names are real days, and what to do with files under one that is not.

The measurement tiers are partitioned by ``day=YYYY-MM-DD`` directories that DuckDB reads as a
DATE. A directory that is not a real day (``day=2024-02-30``, or ``day=2024-0/-01`` nested by a
slash; security audit H3) makes every time-based query of the store fail. Ingest no longer
writes one and staging refuses one (``valid_day``); readers skip a file under one instead of
failing (``readable``); ``netvigil analyze --rebuild`` moves such files, which a store written by
netvigil <= 0.2 may hold, to ``_quarantine/`` beside the tiers (``quarantine``): kept for
inspection, never read, never deleted by netvigil.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

QUARANTINE = "_quarantine"
MEASUREMENT_TIERS = ("raw", "observations", "verdicts")


def valid_day(day: str) -> bool:
    """Whether ``day`` is exactly ``YYYY-MM-DD`` of a real date."""
    if len(day) != 10 or not day.isascii():
        return False
    try:
        return date.fromisoformat(day).isoformat() == day
    except ValueError:
        return False


def day_of(name: str) -> str | None:
    """The day partition of a store-relative measurement file name (``tier/day=.../part-...``),
    the text between ``day=`` and the file name (which may hold a ``/``); None if none."""
    tier, _, rest = name.partition("/")
    if tier.split(".")[0] not in MEASUREMENT_TIERS or not rest.startswith("day="):
        return None
    return rest.rsplit("/", 1)[0].removeprefix("day=")


def readable(name: str) -> bool:
    """Whether a reader may give a file to DuckDB (not a measurement file of a bad day)."""
    day = day_of(name)
    return day is None or valid_day(day)


def bad_partition_files(names: Iterable[str]) -> list[str]:
    """The measurement files among ``names`` whose day partition is not a real day."""
    return sorted(n for n in names if not readable(n))


def quarantine(root: Path, names: Iterable[str]) -> list[str]:
    """Move ``names`` (store-relative) under ``root/_quarantine/``; returns the new names."""
    moved = []
    for name in names:
        source = root / name
        target = root / QUARANTINE / name
        if not source.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        moved.append(f"{QUARANTINE}/{name}")
        tier = root / name.split("/", 1)[0]
        parent = source.parent
        while parent != tier and not any(parent.iterdir()):  # the bad day's now empty dirs
            parent.rmdir()
            parent = parent.parent
    return moved
