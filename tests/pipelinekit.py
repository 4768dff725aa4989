"""Pipeline test kit: real measurements (OONI's QA scenarios) re-addressed to chosen networks,
hosts and times, committed to a store; a clock the tests move.

Each kind of measurement is one of OONI's QA scenario measurements (``probecli_minipipeline``) with
its host replaced everywhere in the JSON (input, queries, requests, TLS server names), so the
analysis judges it as OONI judged the scenario, and with the envelope's country, ASN and start
time set: ``ok`` (successWithHTTPS), ``dns`` (dnsBlockingNXDOMAIN: an anomaly), ``reset``
(tlsBlockingConnectionResetWithConsistentDNS: an anomaly), ``down`` (websiteDownTCPConnect: the
control could not connect either) and ``failure`` (controlFailureWithSuccessfulHTTPWebsite).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from netvigil._settings import PipelineSettings
from netvigil.models.catalogue import load_catalogue
from netvigil.models.events import Event
from netvigil.pipeline import Pipeline, StateFile
from netvigil.store import open_store
from storekit import SHARED_DATA, batch_of

SCENARIOS = {
    "ok": ("successWithHTTPS", "www.example.com"),
    "dns": ("dnsBlockingNXDOMAIN", "www.example.com"),
    "reset": ("tlsBlockingConnectionResetWithConsistentDNS", "www.example.com"),
    "down": ("websiteDownTCPConnect", "www.example.com"),
    "failure": ("controlFailureWithSuccessfulHTTPWebsite", "www.example.org"),
}
T0 = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())  # the kit's epoch
NETWORKS = {"A": ("XA", "AS64496"), "B": ("XB", "AS64497"), "C": ("XC", "AS64498")}


@functools.cache
def _template(kind: str) -> str:
    name, _ = SCENARIOS[kind]
    path = SHARED_DATA / "ooni" / "probecli_minipipeline" / "generated" / name / "measurement.json"
    return path.read_text(encoding="utf-8")


def measurement(kind: str, network: str, host: str, at: int, serial: int) -> bytes:
    """One measurement line of ``kind`` from ``network`` (A, B, C) about ``host`` at ``at``."""
    _, template_host = SCENARIOS[kind]
    m = json.loads(_template(kind).replace(template_host, host))
    cc, asn = NETWORKS[network]
    stamp = datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    m.update(
        probe_cc=cc,
        probe_asn=asn,
        measurement_start_time=stamp,
        test_start_time=stamp,
        report_id=f"{stamp[:10].replace('-', '')}T000000Z_webconnectivity_{cc}_{asn[2:]}_n1_"
        f"{serial:016x}",
    )
    return json.dumps(m).encode()


@dataclass
class World:
    """A store, a pipeline over it and the clock it reads."""

    url: str
    state_dir: Path
    settings: PipelineSettings
    now: float = float(T0)
    serial: int = 0

    def commit(self, rows: Iterable[tuple[str, str, str, int]]) -> None:
        """Commit measurements ``(kind, network, host, at)`` as one batch."""
        lines = []
        for kind, network, host, at in rows:
            self.serial += 1
            lines.append(measurement(kind, network, host, at, self.serial))
        if lines:
            with open_store(self.url) as store:
                store.commit(batch_of(lines))

    def pipeline(self) -> Pipeline:
        store = open_store(self.url)
        return Pipeline(
            store,
            self.settings,
            load_catalogue(),
            StateFile(self.state_dir, self.url),
            store_label=self.url,
            clock=lambda: self.now,
        )

    def events(self) -> list[Event]:
        return [e.event for e in open_store(self.url, writable=False).events().events]


def world(tmp: Path, **settings: object) -> World:
    chosen = {"bin_seconds": 10, "grace_seconds": 5, "volume_window_seconds": 10, **settings}
    return World(str(tmp / "store"), tmp / "pipeline", PipelineSettings(**chosen))  # type: ignore[arg-type]


def story_rows(base: int, bins: int = 30) -> list[tuple[str, str, str, int]]:
    """A little of everything, over ``bins`` bins of 10 s from ``base``: DNS blocking in A from
    bin 6, Telegram down for all in bins 10-17, network C silent in bins 14-21."""
    rows = []
    for b in range(bins):
        for net in "ABC":
            if net == "C" and 14 <= b < 22:
                continue
            for host in ("news.example", "signal.org", "web.telegram.org"):
                kind = "ok"
                if net == "A" and host == "news.example" and b >= 6:
                    kind = "dns"
                if host == "web.telegram.org" and 10 <= b < 18:
                    kind = "down"
                rows.append((kind, net, host, base + 10 * b + 2))
    return rows


def _pause(where: str, ready: Path) -> None:
    """Make this process stop at ``where`` in its first round that gets there, say so in
    ``ready``, and wait to be killed: half-way through its first commit (a signal source),
    before its events are committed, or after them, before its state is saved."""
    import time as _time

    from netvigil.pipeline import state as state_module
    from netvigil.store import parquet
    from storekit import pause_in_commit

    def stop(*_: object, **__: object) -> None:
        ready.write_text(where)
        while True:
            _time.sleep(3600)

    if where == "signals":
        pause_in_commit("embedded", "half-line", ready)
    elif where == "events":
        parquet.ParquetStore.upsert_events = stop  # type: ignore[assignment,method-assign]
    elif where == "state":
        state_module.StateFile.save = stop  # type: ignore[assignment,method-assign]


def main() -> None:
    """``python tests/pipelinekit.py --now T [--pause-at WHERE --ready FILE] -- pipeline run ...``:
    the real command at a fixed time, stopped at a chosen point (for the kill -9 tests)."""
    import argparse
    import sys

    argv = sys.argv[1:]
    cut = argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("--pause-at", choices=("events", "state", "signals"))
    parser.add_argument("--ready", type=Path)
    parser.add_argument("--now", type=float, required=True, help="the clock, fixed")
    args = parser.parse_args(argv[:cut])
    if args.pause_at is not None:
        _pause(args.pause_at, args.ready)
    import time as _time

    _time.time = lambda: args.now  # the pipeline's clock (and the store's commit times)
    from netvigil.cli.main import app

    app(args=argv[cut + 1 :], prog_name="netvigil")


if __name__ == "__main__":
    main()
