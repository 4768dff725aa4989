"""What the ClickHouse backend adds beyond the contract: refused credentials, a newer schema,
and the lock-free commit protocol when two writers race for one seq (on the real engine, chdb)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from netvigil._errors import StoreError
from netvigil.store import open_store
from netvigil.store.aggregation import AggregationQuery
from netvigil.store.clickhouse import ClickHouseStore
from storekit import batch_of, env, events_of, keys_of, measurement_lines

AUTH_FAILED = (
    b"Code: 516. DB::Exception: netvigil: Authentication failed: password is incorrect, or there"
    b" is no user with such name. (AUTHENTICATION_FAILED) (version 25.3.1.1)\n"
)


class _RefusingClickHouse(BaseHTTPRequestHandler):
    """Answers every request as a ClickHouse server answers a wrong password (HTTP interface)."""

    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(403)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("X-ClickHouse-Exception-Code", "516")
        self.send_header("Content-Length", str(len(AUTH_FAILED)))
        self.end_headers()
        self.wfile.write(AUTH_FAILED)

    do_GET = do_POST = _refuse

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingClickHouse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_wrong_credentials_give_one_clear_error_before_any_work(
    refusing_server: int, tmp_path: Path
) -> None:
    url = f"clickhouse://netvigil:wrong@127.0.0.1:{refusing_server}/observatory"
    with pytest.raises(StoreError, match="refused user 'netvigil': wrong user or password"):
        open_store(url)
    source = tmp_path / "in.jsonl"
    source.write_bytes(measurement_lines(3, seed=1)[0] + b"\n")
    args = [sys.executable, "-m", "netvigil", "ingest", "--store", url, "--json", str(source)]
    done = subprocess.run(args, env=env(), capture_output=True, check=False, cwd=tmp_path)
    message = done.stderr.decode()
    assert done.returncode == 4, message
    assert "refused user 'netvigil'" in message and "wrong" not in message.replace("wrong user", "")
    assert "Traceback" not in message and done.stdout == b""  # no summary: nothing was read
    assert message.count("refused user") == 1 and message.count("error") <= 1  # one error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_a_schema_from_a_newer_netvigil_is_refused_with_its_version(tmp_path: Path) -> None:
    url = f"chdb:{tmp_path / 'store'}"
    with open_store(url) as store:
        store.commit(batch_of(measurement_lines(5, seed=1)))
        assert isinstance(store, ClickHouseStore)
        store.conn.run(
            lambda client: client.command(
                "INSERT INTO netvigil.schema_version (version, software) VALUES (7, 'netvigil 9')"
            )
        )
    for writable in (True, False):
        with pytest.raises(StoreError, match="has schema version 7, written by a newer netvigil"):
            open_store(url, writable=writable)


def test_a_writer_that_loses_its_seq_drops_what_the_winner_stored_and_claims_the_next(
    tmp_path: Path,
) -> None:
    # Two writers race for one seq: B commits while A is between its inserts and its claim (the
    # window a server leaves open; chdb's lock closes it, so B runs inside A's operation here).
    url = f"chdb:{tmp_path / 'store'}"
    lines = measurement_lines(60, seed=4)
    a, b = ClickHouseStore(url), ClickHouseStore(url)
    original = ClickHouseStore._claim
    raced: list[int] = []

    def claim(self: ClickHouseStore, client: Any, seq: int, *args: Any) -> bool:
        if self is a and not raced:
            raced.append(seq)
            info = b.commit(batch_of(lines[20:50]))  # takes seq `seq` first
            assert info.seq == seq and info.rows["raw"] == 30
        return original(self, client, seq, *args)

    try:
        ClickHouseStore._claim = claim  # type: ignore[method-assign]
        info = a.commit(batch_of(lines[:40]))  # 20 of its 40 are now stored by b
    finally:
        ClickHouseStore._claim = original  # type: ignore[method-assign]
        b.close()
    assert raced and info.seq == raced[0] + 1
    assert (info.rows["raw"], info.rows["verdicts"], info.duplicates) == (20, 20, 20)
    assert a.is_stored(keys_of(lines)) == [True] * 50 + [False] * 10
    [total] = a.aggregate(AggregationQuery())
    assert total["measurement_count"] == 50  # each once: no FINAL, no merge needed
    uids = a.verdicts(columns=["measurement_uid"]).column("measurement_uid").to_pylist()
    assert sorted(uids) == sorted(k[2] for k in keys_of(lines[:50]))
    a.close()


def test_the_change_cursor_counts_every_writer_s_commits_in_order(tmp_path: Path) -> None:
    url = f"chdb:{tmp_path / 'store'}"
    with ClickHouseStore(url) as one, ClickHouseStore(url) as two:
        seqs = [
            one.upsert_events(events_of(2, seed=1)).cursor,
            two.commit(batch_of(measurement_lines(5, seed=2))).seq,
            two.upsert_events(events_of(2, seed=3)).cursor,
            one.write_signals([], source="nothing").seq,
            one.upsert_events(events_of(2, seed=1, ended=True)).cursor,
        ]
        assert seqs == [1, 2, 3, 4, 5]  # one order for all writers, no gap
        feed = one.events(changed_since=2)
        assert [e.revision for e in feed.events] == [3, 3, 5, 5] and feed.cursor == 5
