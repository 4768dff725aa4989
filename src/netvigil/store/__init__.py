"""The analytical store: every analytical tier behind one interface, opened by URL.

``open_store(url)`` returns the backend the URL names; each implements :class:`AnalyticalStore`
(see docs/store.md):

- a directory path or ``file:`` URL (``file:///var/lib/netvigil/store``): the embedded
  DuckDB-over-Parquet store (``netvigil.store.parquet``);
- ``chdb:PATH`` (ClickHouse in this process) and ``clickhouse://USER:PASSWORD@HOST:8123/DB``
  (a ClickHouse server): the ClickHouse backend (``netvigil.store.clickhouse``, installed with the
  ``clickhouse`` extra); an unreachable server or refused credentials fail before any work.

A new backend is a module beside ``parquet.py`` implementing the Protocol, one branch in
:func:`open_store`, and one parameter of the contract tests (tests/store/test_store_contract.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from netvigil._errors import ConfigError, StoreError
from netvigil.store.commitlog import DEFAULT_LOCK_TIMEOUT
from netvigil.store.parquet import ParquetStore, raw_lines
from netvigil.store.protocol import (
    TIERS,
    AnalyticalStore,
    Batch,
    CommitInfo,
    EventFeed,
    EventUpsert,
    StoredEvent,
    VerdictFeed,
)

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.DOTALL)
CLICKHOUSE_SCHEMES = ("chdb", "clickhouse", "clickhouses")


def shown(url: str) -> str:
    """``url`` as it may be printed: without a password."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*://[^/@:]*):[^/@]*@", url)
    return url if match is None else f"{match.group(1)}:***@{url[match.end() :]}"


def embedded_path(url: str | Path) -> Path:
    """The directory of an embedded store URL; an error for any other backend's URL."""
    if isinstance(url, Path):
        return url
    text = url.strip()
    printed = shown(text)
    if not text:
        raise ConfigError("the store URL is empty", hint="a directory, or file:PATH")
    match = _SCHEME.fullmatch(text)
    if match is None:
        return Path(text)
    scheme = match.group(1).lower()
    if scheme == "file":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ConfigError(
                f"store URL {printed!r}: a file: URL names a local directory",
                hint="file:///var/lib/netvigil/store or file:relative/dir",
            )
        return Path(unquote(parts.path))
    if scheme in CLICKHOUSE_SCHEMES:
        raise StoreError(
            f"store URL {printed!r} names a ClickHouse store, not a directory",
            hint="use a directory (or file: URL) for the embedded DuckDB/Parquet store",
        )
    if match.group(2).startswith("//"):
        raise ConfigError(
            f"store URL {printed!r}: unknown scheme {scheme!r}",
            hint="a directory, file:PATH, chdb:PATH or clickhouse://HOST",
        )
    return Path(text)  # a relative directory whose name happens to contain a colon


def open_store(
    url: str | Path, *, writable: bool = True, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> AnalyticalStore:
    """The store at ``url`` (see the module docstring). Nothing is created before the URL is
    known to name a backend that exists; a read-only open never creates anything."""
    if isinstance(url, str):
        match = _SCHEME.fullmatch(url.strip())
        if match is not None and match.group(1).lower() in CLICKHOUSE_SCHEMES:
            from netvigil.store.clickhouse import ClickHouseStore

            return ClickHouseStore(url.strip(), writable=writable, lock_timeout=lock_timeout)
    return ParquetStore(embedded_path(url), writable=writable, lock_timeout=lock_timeout)


__all__ = [
    "TIERS",
    "AnalyticalStore",
    "Batch",
    "CommitInfo",
    "EventFeed",
    "EventUpsert",
    "ParquetStore",
    "StoredEvent",
    "VerdictFeed",
    "embedded_path",
    "open_store",
    "raw_lines",
    "shown",
]
