"""Site test kit: the observatory's seed data, for the web tests and bench/site_load.py.

- **Tracker**: Access Now's STOP data as published (``../shared/data/stop``: the 2016-2022
  workbook and the 2020 CSV) and the policy demo dataset (public facts with their sources).
- **Store, real**: OONI's own measurements from ``../shared/data/ooni`` (the 56 web_connectivity
  measurements of probe-cli's minipipeline, the Pakistan measurement, the 69 examples of OONI's
  specification), ingested by ``netvigil.ingest`` as a user would.
- **Store, generated**: measurements built from those real ones under new envelopes
  (``netvigil.ingest.synthetic``) for countries the real files do not cover, in the weeks of
  documented events: Iran, November 2019; Hong Kong, August-October 2019 (Citizen Lab's
  Hong Kong list); DR Congo, January 2019. Generated, never presented as observed.
- **Signals and events**: the real outage series of ``../shared/data/outages/real_signals``
  (Iran and Venezuela 2019, Kenya 2016) and the events ``netvigil detect`` finds in them; plus one
  generated connectivity series ending now with a drop, so that "what is happening now" has an
  ongoing outage to show (entity ``country:MM``, generated).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from netvigil.incidents import Actor, Tracker
from netvigil.ingest import run, synthetic
from netvigil.models.signals import SignalPoint
from netvigil.store import open_store
from nvtest import shared_path

ADMIN = Actor("cli:sitekit", "admin")
# (country, first day, days, measurements, test list): the generated measurements.
GENERATED = (
    ("IR", dt.datetime(2019, 11, 10), 11, 1200, "global.csv"),
    ("HK", dt.datetime(2019, 8, 20), 60, 1500, "hk.csv"),
    ("CD", dt.datetime(2018, 12, 25), 21, 600, "global.csv"),
    ("CN", dt.datetime(2019, 10, 1), 30, 600, "cn.csv"),
)
NOW_ENTITY = ("country", "MM")


@dataclass(frozen=True)
class Site:
    tracker_url: str
    store_url: str
    real_uids: tuple[str, ...]  # measurements of OONI's own files
    iran_event: str  # an event detected on the real Iranian national series
    iran_incident: int  # the STOP incident of Iran's November 2019 shutdown (cites the event)
    ongoing_event: str  # the generated ongoing outage


def real_measurement_files() -> list[Path]:
    base = shared_path("ooni", "probecli_minipipeline")
    files = sorted(base.glob("generated/*/measurement.json"))
    files += sorted(base.glob("manual/*/measurement.json"))
    files += sorted(base.glob("*.jsonc"))
    files.append(shared_path("ooni", "nettest_examples", "examples.jsonl"))
    return files


def _templates() -> list[synthetic.Template]:
    base = shared_path("ooni", "probecli_minipipeline")
    found = sorted(base.glob("generated/*/measurement.json"))
    return synthetic.templates_of([orjson.loads(p.read_bytes()) for p in found])


def _urls(list_name: str) -> list[str]:
    with open(shared_path("ooni", "test-lists", list_name), encoding="utf-8", newline="") as fh:
        return [row["url"] for row in csv.DictReader(fh)][:300]


def generated_lines(scale: float = 1.0) -> Iterator[bytes]:
    templates = _templates()
    for i, (cc, start, days, count, test_list) in enumerate(GENERATED):
        yield from synthetic.lines(
            templates, _urls(test_list), max(1, int(count * scale)), seed=100 + i, start=start,
            days=days, countries=(cc,), asns_per_country=6, mean_bytes=4000,
        )  # fmt: skip


def now_series(now: dt.datetime) -> list[SignalPoint]:
    """Three days of a generated hourly connectivity index with a daily cycle, falling to a
    tenth of its level for the last six hours: an outage going on now."""
    kind, code = NOW_ENTITY
    end = int(now.timestamp()) // 3600 * 3600
    points = []
    for h in range(72):
        ts = end - (71 - h) * 3600
        level = 80 + 10 * math.sin(2 * math.pi * (h % 24) / 24)
        points.append(SignalPoint(kind, code, "connectivity", ts, level * (0.1 if h >= 66 else 1)))
    return points


def real_signal_points() -> list[tuple[str, list[SignalPoint]]]:
    from netvigil.detect.real_signals import read_real_signals

    out = []
    for case in read_real_signals(shared_path("outages", "real_signals")):
        kind, _, code = case.series.entity.partition(":")
        s = case.series
        points = [
            SignalPoint(kind, code, s.signal, s.start + i * s.step, float(v))
            for i, v in enumerate(s.values)
            if v == v
        ]
        out.append((case.series_id, points))
    return out


def seed_tracker(url: str) -> Tracker:
    from netvigil.incidents.stop_io import read_stop
    from netvigil.policy.repository import Policy

    tracker = Tracker(url)
    for name in ("Keepiton_raw_dataset_2016-2022.xlsx", "KeepItOn-STOP-Data-2020.csv"):
        rows, _ = read_stop(shared_path("stop", name))
        tracker.import_stop_rows(rows, ADMIN, source=name)
    Policy(tracker).load_demo(ADMIN)
    return tracker


def seed_store(url: str, *, scale: float = 1.0, now: dt.datetime | None = None) -> None:
    from netvigil.detect.runner import detect_store

    store = open_store(url)
    try:
        run([str(p) for p in real_measurement_files()], store, on_error="ignore")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "generated.jsonl"
            path.write_bytes(b"".join(line + b"\n" for line in generated_lines(scale)))
            run([str(path)], store, on_error="fail")
        for series_id, points in real_signal_points():
            store.write_signals(points, source=f"real-{series_id}")
        store.write_signals(now_series(now or dt.datetime.now(dt.UTC)), source="generated-now")
        detect_store(store, detectors=["netvigil"])
    finally:
        store.close()


def seed_site(root: Path, *, scale: float = 1.0) -> Site:
    """A tracker and a store under ``root`` with everything above; an Iranian incident cites the
    event detected on Iran's national series and a real measurement."""
    tracker_url = f"sqlite:///{root / 'tracker.sqlite'}"
    store_url = str(root / "store")
    seed_store(store_url, scale=scale)
    tracker = seed_tracker(tracker_url)
    try:
        reader = open_store(store_url, writable=False)
        events = [s.event for s in reader.events().events]
        iran = next(e for e in events if e.entity == "country:IR" and e.kind == "outage")
        ongoing = next(e for e in events if e.entity == "country:MM" and e.end is None)
        table = reader.verdicts(since=dt.datetime(2024, 2, 12), until=dt.datetime(2024, 2, 13))
        real = tuple(sorted(table.column("measurement_uid").to_pylist()))
        from netvigil.incidents import IncidentFilter

        [incident] = [
            i
            for i in tracker.list_incidents(
                IncidentFilter(
                    country="IR", since=dt.date(2019, 11, 15), until=dt.date(2019, 11, 17)
                ),
                public=True,
            )
            if i.scope_code == "national"
        ][:1]
        tracker.attach_evidence(
            incident.id, "event", iran.event_id, ADMIN, description="netvigil detected the outage"
        )
        verdict = reader.verdicts(measurement_uids=[real[0]]).to_pylist()[0]
        tracker.attach_evidence(
            incident.id, "measurement", real[0], ADMIN, description="an OONI measurement",
            verdict={k: str(v) for k, v in verdict.items() if k in ("measurement_uid", "outcome")},
        )  # fmt: skip
        return Site(tracker_url, store_url, real, iran.event_id, incident.id, ongoing.event_id)
    finally:
        tracker.close()
