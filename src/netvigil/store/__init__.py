"""The analytical store: raw measurements, observations and verdicts (see docs/store.md).

``open_store(path)`` returns the embedded DuckDB-over-Parquet store; any backend implements
:class:`AnalyticalStore`. Readers (detection, web) use ``store.connect()`` and query the views
``raw``, ``observations`` and ``verdicts``, or ``store.verdicts(since=..., until=...)``.
"""

from __future__ import annotations

from pathlib import Path

from netvigil._errors import StoreError
from netvigil.store.parquet import ParquetStore, raw_lines
from netvigil.store.protocol import TIERS, AnalyticalStore, Batch, CommitInfo


def open_store(location: str | Path, *, writable: bool = True) -> ParquetStore:
    """The store at ``location`` (a directory; ``clickhouse://`` URLs are not implemented yet)."""
    text = str(location)
    if "://" in text and not text.startswith("file://"):
        raise StoreError(
            f"store URL {text!r} is not supported yet",
            hint="use a directory path for the embedded DuckDB/Parquet store",
        )
    return ParquetStore(Path(text.removeprefix("file://")), writable=writable)


__all__ = [
    "TIERS",
    "AnalyticalStore",
    "Batch",
    "CommitInfo",
    "ParquetStore",
    "open_store",
    "raw_lines",
]
