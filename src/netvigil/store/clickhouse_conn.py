"""Reaching ClickHouse: one client API (clickhouse-connect) over two transports.

- ``clickhouse://USER:PASSWORD@HOST:8123/DB`` (``clickhouses://`` for TLS): a ClickHouse server
  over HTTP. The client is opened once and checked (a query) before the store does any work, so
  an unreachable server or refused credentials give one clear error first.
- ``chdb:PATH``: the same engine in this process (chdb, ClickHouse built as a library), its data
  under ``PATH/clickhouse``. clickhouse-connect drives chdb through the same ``Client`` methods,
  so every query, insert and DDL of the store is the same code for both.

chdb is one engine per process, and a data directory is owned by one process at a time (the
engine locks ``PATH/clickhouse/status``). So that several processes (an ingest, a detect, the
tests' writers) can use one chdb store, each operation opens the engine under ``PATH/.lock``
(flock, waiting at most ``lock_timeout``) and closes it afterwards (~40 ms); nested operations of
one process share the open engine. A server needs none of this: any number of clients at once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from netvigil._errors import ConfigError, StoreError
from netvigil.store.commitlog import commit_lock

_T = TypeVar("_T")
DEFAULT_DATABASE = "netvigil"
ENGINE_DIR = "clickhouse"


@dataclass(frozen=True)
class Target:
    """Where a ClickHouse store is: a chdb directory, or a server (secrets kept apart)."""

    url: str  # as it may be printed (no password)
    path: Path | None = None  # chdb
    host: str = ""
    port: int = 8123
    secure: bool = False
    user: str = "default"
    password: str = ""
    database: str = DEFAULT_DATABASE

    @property
    def embedded(self) -> bool:
        return self.path is not None


def parse_target(url: str, printed: str) -> Target:
    """The target of ``chdb:PATH`` or ``clickhouse[s]://[user[:password]@]host[:port][/db]``."""
    scheme, _, rest = url.partition(":")
    scheme = scheme.lower()
    if scheme == "chdb":
        path = rest[2:] if rest.startswith("//") else rest
        if not path:
            raise ConfigError(f"store URL {printed!r}: chdb: needs a directory", hint="chdb:PATH")
        return Target(url=printed, path=Path(unquote(path)))
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigError(
            f"store URL {printed!r}: no server named",
            hint="clickhouse://user:password@host:8123/netvigil",
        )
    database = parts.path.strip("/") or DEFAULT_DATABASE
    if not database.replace("_", "").isalnum():
        raise ConfigError(f"store URL {printed!r}: database {database!r} is not a plain name")
    secure = scheme == "clickhouses"
    try:
        port = parts.port or (8443 if secure else 8123)
    except ValueError as exc:
        raise ConfigError(f"store URL {printed!r}: {exc}") from None
    return Target(
        url=printed,
        host=parts.hostname,
        port=port,
        secure=secure,
        user=unquote(parts.username or "default"),
        password=unquote(parts.password or ""),
        database=database,
    )


def _clickhouse_connect() -> Any:
    try:
        import clickhouse_connect
    except ImportError:
        raise StoreError(
            "the ClickHouse backend needs clickhouse-connect and chdb",
            hint="pip install 'netvigil[clickhouse]'",
        ) from None
    return clickhouse_connect


class _Shared:
    """The chdb engine of this process: one per process (chdb's rule), shared by nested
    operations of every store object here, opened under the directory's lock. A process-wide
    registry because the engine itself is process-wide; guarded by a lock for threads."""

    guard = threading.RLock()
    depth = 0
    path: Path | None = None
    client: Any = None


class Connection:
    """Runs operations on a store's ClickHouse, whichever the transport."""

    def __init__(self, target: Target, *, lock_timeout: float, create: bool) -> None:
        self.target = target
        self.lock_timeout = lock_timeout
        self._client: Any = None
        if target.path is not None:
            if create:
                try:
                    target.path.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot write to store {target.url}: {exc}") from exc
            _clickhouse_connect()  # fail now, not in the first operation, when not installed
            return
        self._client = self._server_client()

    @property
    def exists(self) -> bool:
        """Whether a chdb store's engine directory exists (a server always 'exists')."""
        return self.target.path is None or (self.target.path / ENGINE_DIR).is_dir()

    def _server_client(self) -> Any:
        cc = _clickhouse_connect()
        t = self.target
        try:
            client = cc.get_client(
                host=t.host,
                port=t.port,
                username=t.user,
                password=t.password,
                secure=t.secure,
                connect_timeout=10,
                send_receive_timeout=600,
                compress=False,
                autogenerate_session_id=False,
            )
        except Exception as exc:
            raise _server_error(t, exc) from None
        return client

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A client for the duration of one operation."""
        if self._client is not None:
            yield self._client
            return
        path = self.target.path
        assert path is not None
        with _Shared.guard:
            if _Shared.depth:
                if _Shared.path != path:
                    raise StoreError(
                        f"store {self.target.url}: chdb runs one store per process, and"
                        f" {_Shared.path} is in use by this operation"
                    )
                _Shared.depth += 1
                try:
                    yield _Shared.client
                finally:
                    _Shared.depth -= 1
                return
            with commit_lock(path, self.lock_timeout):
                client = _open_chdb(path)
                _Shared.depth, _Shared.path, _Shared.client = 1, path, client
                try:
                    yield client
                finally:
                    _Shared.depth, _Shared.path, _Shared.client = 0, None, None
                    client.close()

    def run(self, operation: Callable[[Any], _T]) -> _T:
        with self.session() as client:
            try:
                return operation(client)
            except StoreError:
                raise
            except Exception as exc:
                if _is_clickhouse_error(exc):
                    raise StoreError(f"store {self.target.url}: {_first_line(exc)}") from exc
                raise

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _open_chdb(path: Path) -> Any:
    cc = _clickhouse_connect()
    try:
        return cc.get_client(interface="chdb", path=str(path / ENGINE_DIR))
    except Exception as exc:
        raise StoreError(f"cannot open chdb store {path}: {_first_line(exc)}") from None


def _is_clickhouse_error(exc: Exception) -> bool:
    module = type(exc).__module__
    return module.startswith("clickhouse_connect") or module.startswith("chdb")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Code:") or "Exception" in line:
            return line[:300]
    return text.splitlines()[0][:300]


_AUTH_FAILED = re.compile(r"\bCode:\s*516\b|AUTHENTICATION_FAILED|Authentication failed")


def _server_error(target: Target, exc: Exception) -> StoreError:
    """One line saying why the server could not be used: unreachable, or credentials refused."""
    text = str(exc)
    where = f"ClickHouse at {target.host}:{target.port}"
    # ClickHouse's code 516 is AUTHENTICATION_FAILED; match it as a code, never as digits
    # that may be part of the port or host in a connection error's text.
    if _AUTH_FAILED.search(text):
        return StoreError(
            f"store {target.url}: {where} refused user {target.user!r}: wrong user or password",
            hint="check the user and password in the store URL",
        )
    lowered = text.lower()
    for marker, reason in (
        ("connection refused", "connection refused"),
        ("name or service not known", "unknown host"),
        ("temporary failure in name resolution", "unknown host"),
        ("timed out", "connection timed out"),
        ("max retries exceeded", "no answer"),
    ):
        if marker in lowered:
            return StoreError(
                f"store {target.url}: cannot reach {where}: {reason}",
                hint="is the server running, and is this its HTTP port (8123)?",
            )
    return StoreError(f"store {target.url}: {where}: {_first_line(exc)}")
