"""The store is chosen by URL; a ClickHouse server that cannot be reached fails clearly, first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from netvigil._errors import ConfigError, StoreError
from netvigil.store import embedded_path, open_store, shown
from storekit import env, measurement_lines


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    ("how", "url"),
    [
        ("option", "clickhouse://127.0.0.1:{port}"),
        ("option", "clickhouse://default:secret@127.0.0.1:{port}/netvigil"),
        ("environment", "clickhouse://default:secret@127.0.0.1:{port}/netvigil"),
    ],
)
def test_ingest_into_an_unreachable_clickhouse_fails_clearly_and_creates_nothing(
    tmp_path: Path, how: str, url: str
) -> None:
    work = tmp_path / "work"  # the command's working directory: a stray folder would land here
    data = tmp_path / "data"
    work.mkdir()
    source = tmp_path / "in.jsonl"
    source.write_bytes(measurement_lines(1, seed=1)[0] + b"\n")
    url = url.format(port=_closed_port())
    before = _tree(tmp_path)
    environment = {**env(), "XDG_DATA_HOME": str(data), "HOME": str(tmp_path / "home")}
    args = [sys.executable, "-m", "netvigil", "ingest", str(source)]
    if how == "option":
        args += ["--store", url]
    else:
        environment["NETVIGIL_STORE"] = url
    done = subprocess.run(args, cwd=work, env=environment, capture_output=True, check=False)
    assert done.returncode == 4, done.stderr.decode()
    message = done.stderr.decode()
    assert "cannot reach ClickHouse at 127.0.0.1" in message and "connection refused" in message
    assert url.replace("secret", "***") in message and "secret" not in message
    assert "Traceback" not in message and "ingested" not in done.stdout.decode()
    assert _tree(tmp_path) == before  # not a file, not a folder
    assert not Path("/clickhouse:").exists()


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released; nobody else binds it here)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_store_urls_name_the_embedded_store(tmp_path: Path) -> None:
    assert embedded_path(f"file://{tmp_path}/s") == tmp_path / "s"
    assert embedded_path(f"file://localhost{tmp_path}/s") == tmp_path / "s"
    assert embedded_path("file:rel/s") == Path("rel/s")
    assert embedded_path("file:///tmp/with%20space") == Path("/tmp/with space")
    assert embedded_path(str(tmp_path / "plain")) == tmp_path / "plain"
    assert embedded_path("data:2024") == Path("data:2024")  # a directory with a colon
    with pytest.raises(ConfigError, match="unknown scheme 's3'"):
        embedded_path("s3://bucket/store")
    with pytest.raises(ConfigError, match="local directory"):
        embedded_path("file://otherhost/store")
    with pytest.raises(StoreError, match="names a ClickHouse store"):
        embedded_path("CLICKHOUSE://localhost")
    assert shown("clickhouse://u:p@h:9000/db") == "clickhouse://u:***@h:9000/db"
    assert shown("clickhouse://h:9000/db") == "clickhouse://h:9000/db"


def test_a_file_url_opens_the_same_store_as_its_path(tmp_path: Path) -> None:
    from storekit import batch_of, keys_of

    lines = measurement_lines(5, seed=2)
    with open_store(f"file://{tmp_path}/s") as store:
        store.commit(batch_of(lines))
    assert open_store(tmp_path / "s", writable=False).is_stored(keys_of(lines)) == [True] * 5


def test_a_read_only_open_creates_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "nothing", writable=False)
    assert store.events().events == () and store.signals() == []
    assert store.verdicts().num_rows == 0
    assert not (tmp_path / "nothing").exists()
    assert os.listdir(tmp_path) == []


def test_settings_keep_the_store_url_as_given(tmp_path: Path) -> None:
    from netvigil._settings import load_settings

    assert load_settings(store="clickhouse://host:9000").store_url == "clickhouse://host:9000"
    assert load_settings(store="chdb:/var/x").store_url == "chdb:/var/x"
    default = load_settings(data_dir=str(tmp_path))
    assert default.store_url == str(tmp_path / "store")


@pytest.mark.parametrize("port", [51647, 5160, 8516])
def test_a_refused_connection_on_a_port_with_516_in_it_is_not_called_a_wrong_password(
    port: int,
) -> None:
    # 516 is ClickHouse's AUTHENTICATION_FAILED code; the same digits in a port are not.
    from netvigil.store.clickhouse_conn import Target, _server_error

    target = Target(url=f"clickhouse://127.0.0.1:{port}", host="127.0.0.1", port=port)
    refused = OSError(
        f"HTTPConnectionPool(host='127.0.0.1', port={port}): Max retries exceeded "
        "(Caused by NewConnectionError: [Errno 111] Connection refused)"
    )
    assert "cannot reach ClickHouse at 127.0.0.1" in str(_server_error(target, refused))
    assert "connection refused" in str(_server_error(target, refused))
    denied = OSError(
        "HTTPDriver for http://127.0.0.1:8123 received ClickHouse error code 516\n"
        " Code: 516. DB::Exception: default: Authentication failed: password is incorrect"
    )
    assert "wrong user or password" in str(_server_error(target, denied))
