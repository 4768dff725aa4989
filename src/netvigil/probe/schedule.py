"""Unattended probing: what each run measures, when the next one starts.

A run with a collector configured checks in first: the collector's answer decides the URLs (when
none are given) and gives the report ids. When the collector or the network is out of reach, the
run measures anyway, with the URLs of the last successful check-in (kept in
``<data_dir>/probe/check-in.json``) or the ones given, under report ids of its own; the spool keeps
the measurements and a later upload opens new reports for them (``netvigil.probe.upload``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from netvigil._errors import InputError
from netvigil.probe.inputs import Target
from netvigil.probe.nettest import VantagePoint
from netvigil.probe.services import ProbeServices, Refused, Throttled, Unreachable

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?")
_UNITS = {None: 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
JITTER_SHARE = 0.25  # --jitter: each wait is shortened or lengthened by up to a quarter


def parse_duration(text: str, option: str = "--every") -> float:
    """Seconds of ``90s``, ``15m``, ``1h``, ``1d`` or a bare number of seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or float(match.group(1)) <= 0:
        raise InputError(f"{text!r} is not a duration such as 15m, 1h or 90s", field=option)
    return float(match.group(1)) * _UNITS[match.group(2)]


def next_wait(interval: float, jitter: bool, rng: random.Random) -> float:
    """Seconds to the next run; with jitter, probes started together drift apart."""
    if not jitter:
        return interval
    return interval * (1 + rng.uniform(-JITTER_SHARE, JITTER_SHARE))


@dataclass
class RunPlan:
    """What one run measures and under which report ids."""

    targets: list[Target]
    report_ids: dict[str, str] = field(default_factory=dict)
    source: str = "arguments"  # arguments, check-in, cached check-in
    note: str | None = None  # why the collector was not asked or did not answer


def cache_path(data_dir: Path) -> Path:
    return data_dir / "probe" / "check-in.json"


def _save(path: Path, targets: list[Target]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps([[t.url, t.category_code] for t in targets]))
    tmp.replace(path)


def _cached(path: Path) -> list[Target]:
    try:
        return [Target(url, category) for url, category in orjson.loads(path.read_bytes())]
    except (FileNotFoundError, ValueError, TypeError):
        return []


async def plan_run(
    collector_url: str | None,
    vantage: VantagePoint,
    given: list[Target],
    categories: list[str],
    data_dir: Path,
    timeout: float,
) -> RunPlan:
    """The URLs and report ids of one run (see the module doc)."""
    if collector_url is None:
        return RunPlan(given)
    services = ProbeServices(collector_url, timeout)
    try:
        found = await services.check_in(vantage.probe_cc, vantage.probe_asn, categories)
    except (Unreachable, Throttled, Refused) as exc:
        cached = _cached(cache_path(data_dir))
        if given or not cached:
            return RunPlan(given, note=f"check-in failed: {exc}")
        return RunPlan(cached, source="cached check-in", note=f"check-in failed: {exc}")
    finally:
        await services.close()
    targets = [Target(url, category) for url, category in found.urls]
    if targets:
        _save(cache_path(data_dir), targets)
    if given:
        return RunPlan(given, found.report_ids)
    return RunPlan(targets, found.report_ids, source="check-in")
