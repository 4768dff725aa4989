"""Ingest: OONI JSONL / gz / S3 layout / single JSON and the probe's spool into the store.

``discover(paths)`` lists the measurement files and ``read_measurements(path)`` reads one (the
reader ``netvigil verdict`` shares); ``run(tasks, store, ...)`` parses, checks,
analyzes and stores them with a bad-input policy (``ignore``/``warn``/``fail``) and returns an
:class:`IngestReport`. See docs/store.md.
"""

from __future__ import annotations

from netvigil.ingest.chunks import ChunkResult, Rules, analyze_lines
from netvigil.ingest.pipeline import ErrorPolicy, IngestReport, run
from netvigil.ingest.sources import (
    Damage,
    Line,
    Parsed,
    discover,
    read_lines,
    read_measurements,
)

__all__ = [
    "ChunkResult",
    "Damage",
    "ErrorPolicy",
    "IngestReport",
    "Line",
    "Parsed",
    "Rules",
    "analyze_lines",
    "discover",
    "read_lines",
    "read_measurements",
    "run",
]
