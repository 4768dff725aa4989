"""What a worker process does for a ClickHouse store's writer: stage batches as local Arrow files.

Ingest workers parse and analyze; each stages its batches as Arrow IPC files (LZ4) in the
writer's staging directory (``PATH/_staging/<writer>/`` for chdb, a private temporary directory
for a server), and the writer inserts them and commits (``ClickHouseStore.commit_staged``). Why
not insert from the workers: chdb is one engine per process and one process per data directory,
so with chdb only the writer can insert; with a server it could, but staging locally keeps one
code path, and the writer's insert is a few C++ copies (Arrow over HTTP, or in process). A fleet
of collectors, each its own writer, inserts into one server in parallel (docs/scale.md).

For a rebuild the workers read the raw tier back (``raw_lines``): one committed raw batch per
source, read whole (so that a chdb engine is not held while the caller works).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from netvigil._errors import StoreError
from netvigil.store.protocol import Batch, Staged


def batch_id_of(writer: str) -> str:
    return f"{writer}-{time.time_ns():x}-{os.getpid()}"


def write_arrow(table: Any, path: Path) -> None:
    with pa.OSFile(str(path), "wb") as sink:
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        with pa.ipc.new_file(sink, table.schema, options=options) as writer:
            writer.write_table(table)


def read_arrow(path: str | Path) -> Any:
    with pa.memory_map(str(path), "r") as source:
        return pa.ipc.open_file(source).read_all()


@dataclass(frozen=True)
class ClickHouseStaging:
    """Picklable: stages batches into ``directory``; reads raw batches of the store at ``url``."""

    directory: str
    writer: str
    url: str  # the store's URL (with its credentials: handed to worker processes only)
    lock_timeout: float

    def stage(self, batch: Batch) -> Staged | None:
        folder = Path(self.directory)
        batch_id = batch_id_of(self.writer)
        written: list[str] = []
        rows: dict[str, int] = {}
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for tier, table in batch.tables():
                path = folder / f"{batch_id}.{tier}.arrow"
                write_arrow(table, path)
                written.append(str(path))
                rows[tier] = table.num_rows
        except OSError as exc:
            for name in written:
                Path(name).unlink(missing_ok=True)
            raise StoreError(f"cannot stage a batch in {folder}: {exc}") from exc
        if not written:
            return None
        keys: list[tuple[str, ...]] = [(), (), ()]
        if batch.raw is not None and batch.raw.num_rows:
            keys = [
                tuple(batch.raw.column(c).to_pylist()) for c in ("day", "cc", "measurement_uid")
            ]
        return Staged(batch_id, tuple(written), rows, keys[0], keys[1], keys[2])

    def raw_lines(self, source: str) -> Iterator[tuple[str, bytes]]:
        from netvigil.store import shown
        from netvigil.store.clickhouse_conn import Connection, parse_target
        from netvigil.store.clickhouse_read import raw_batch

        target = parse_target(self.url, shown(self.url))
        conn = Connection(target, lock_timeout=self.lock_timeout, create=False)
        try:
            table = conn.run(lambda client: raw_batch(client, target.database, source))
        finally:
            conn.close()
        uids, lines = table.column("measurement_uid"), table.column("line")
        yield from zip(uids.to_pylist(), lines.to_pylist(), strict=True)
