"""The tracker database, the store, evidence and private exports are owner-only (audit M8).

On c7f86ae ``incidents.sqlite`` (and its -wal/-shm files) were created 0644 in a 0755 data
directory: reporter contacts, internal notes, editor emails and password hashes were readable by
every local user, as was ``incidents export --all -o FILE``. The process umask here is the usual
022, so only an explicit mode keeps them private.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import orjson
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.incidents import Tracker
from netvigil.incidents.evidence import EvidenceFiles
from nvtest import shared_path

runner = CliRunner()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_m8_database_store_evidence_and_exports_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        env = {"NETVIGIL_DATA_DIR": str(data)}
        added = runner.invoke(
            app, ["incidents", "user", "add", "ed@example.org", "--password-stdin"],
            input="a long password\n", env=env,
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        db = data / "incidents.sqlite"
        assert _mode(data) == 0o700 and _mode(db) == 0o600
        with Tracker(f"sqlite:///{db}") as tracker:
            tracker.create_user("vi@example.org", "another password", role="viewer")
            for suffix in ("-wal", "-shm"):  # SQLite gives them the database's mode
                side = db.with_name(db.name + suffix)
                assert not side.exists() or _mode(side) == 0o600
        measurement = shared_path(
            "ooni", "probecli_minipipeline", "generated", "dnsBlockingNXDOMAIN", "measurement.json"
        )
        line = tmp_path / "m.jsonl"
        line.write_bytes(orjson.dumps(orjson.loads(measurement.read_bytes())) + b"\n")
        ingested = runner.invoke(app, ["ingest", "-j", "1", str(line)], env=env)
        assert ingested.exit_code == 0, ingested.output
        assert _mode(data / "store") == 0o700
        evidence = EvidenceFiles(data / "evidence", max_bytes=1 << 20)
        stored = evidence.save([b"%PDF-1.4\n" + b"x" * 100], "order.pdf")
        assert _mode(data / "evidence") == 0o700 and _mode(stored.path.parent) == 0o700
        assert _mode(stored.path) == 0o600
        out = tmp_path / "all.json"
        exported = runner.invoke(
            app, ["incidents", "export", "--all", "--format", "json", "-o", str(out)], env=env
        )
        assert exported.exit_code == 0, exported.output
        assert _mode(out) == 0o600
    finally:
        os.umask(old)


def test_m8_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "incidents.sqlite"
    Tracker(f"sqlite:///{db}").close()
    os.chmod(db, 0o644)  # as netvigil <= 0.2 created it
    Tracker(f"sqlite:///{db}").close()
    assert _mode(db) == 0o600
