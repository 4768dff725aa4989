"""BGP visibility signals from MRT files: visible prefixes per origin ASN (and per country).

Parsed with mrtparse (maintained, pure Python, on PyPI). We replay BGP4MP UPDATEs (and
TABLE_DUMP_V2 RIB entries as announcements) per (peer, prefix): an announcement sets the origin AS
(last AS of the AS_PATH, also for MP_REACH_NLRI), a withdrawal removes the route. At the end of
every bin the number of distinct prefixes with an origin route seen by at least ``min_peers`` peers
is counted per origin ASN. IODA counts /24s visible to more than 50% of *full-feed* peers; with a
single update file we cannot know which peers are full-feed, hence the explicit ``min_peers``.
Per country needs an ASN->country table (CSV ``asn,cc``), see docs/detection.md.
"""

from __future__ import annotations

import csv
import signal
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netvigil._errors import InputError
from netvigil.models.signals import SignalPoint


@dataclass
class MrtStats:
    records: int = 0
    updates: int = 0
    announced: int = 0  # prefixes announced (NLRI entries)
    withdrawn: int = 0
    skipped: int = 0
    prefixes: set[str] = field(default_factory=set)


def _first_key(value: Any) -> str:
    return str(next(iter(value))) if isinstance(value, dict) else str(value)


def _origin(attrs: list[dict[str, Any]]) -> int | None:
    for attr in attrs:
        if _first_key(attr.get("type")) == "2":  # AS_PATH
            segments = attr.get("value") or []
            for seg in reversed(segments):
                path = seg.get("value") or []
                if path:
                    # An AS_SET origin is ambiguous; we take its last element like bgpdump users do.
                    return int(str(path[-1]))
    return None


def _routes(msg: dict[str, Any]) -> tuple[list[str], list[str], int | None]:
    attrs = msg.get("path_attributes") or []
    announced = [f"{n['prefix']}/{n['length']}" for n in msg.get("nlri") or []]
    withdrawn = [f"{n['prefix']}/{n['length']}" for n in msg.get("withdrawn_routes") or []]
    for attr in attrs:
        kind = _first_key(attr.get("type"))
        value = attr.get("value") or {}
        if kind == "14":  # MP_REACH_NLRI (IPv6 and others)
            announced += [f"{n['prefix']}/{n['length']}" for n in value.get("nlri") or []]
        elif kind == "15":  # MP_UNREACH_NLRI
            withdrawn += [
                f"{n['prefix']}/{n['length']}" for n in value.get("withdrawn_routes") or []
            ]
    return announced, withdrawn, _origin(attrs)


def _import_mrtparse() -> Any:
    """mrtparse, without the side effect of its import: it sets SIGPIPE to the default action
    (for its own command-line scripts), after which any write to a closed socket or pipe kills
    the whole process (a web server whose client went away, a CLI run, a test session) instead
    of raising BrokenPipeError. The previous action is put back."""
    previous = signal.getsignal(signal.SIGPIPE)
    try:
        import mrtparse
    finally:
        if previous is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGPIPE, previous)
    return mrtparse


def visible_prefixes(
    paths: Iterable[Path], *, step: int = 300, min_peers: int = 1, stats: MrtStats | None = None
) -> Iterator[tuple[int, dict[int, int]]]:
    """``(bin_end_epoch, {origin_asn: visible_prefix_count})`` after every bin with data."""
    mrtparse = _import_mrtparse()

    stats = stats if stats is not None else MrtStats()
    routes: dict[tuple[str, str], int] = {}  # (peer, prefix) -> origin
    current_bin: int | None = None

    def snapshot() -> dict[int, int]:
        seen: dict[tuple[int, str], int] = defaultdict(int)
        for (_, prefix), origin in routes.items():
            seen[(origin, prefix)] += 1
        counts: dict[int, int] = defaultdict(int)
        for (origin, _), peers in seen.items():
            if peers >= min_peers:
                counts[origin] += 1
        return dict(counts)

    for path in paths:
        try:
            reader = mrtparse.Reader(str(path))
        except OSError as exc:
            raise InputError(f"cannot read MRT file: {exc}", path=path) from exc
        for entry in reader:
            stats.records += 1
            data = entry.data
            if entry.err:
                stats.skipped += 1
                continue
            ts = int(_first_key(data.get("timestamp")))
            b = ts - ts % step
            if current_bin is not None and b != current_bin:
                yield current_bin + step, snapshot()
            current_bin = b
            msg = data.get("bgp_message")
            if msg and _first_key(msg.get("type")) == "2":
                stats.updates += 1
                peer = str(data.get("peer_ip"))
                announced, withdrawn, origin = _routes(msg)
                for prefix in withdrawn:
                    stats.withdrawn += 1
                    routes.pop((peer, prefix), None)
                if origin is not None:
                    for prefix in announced:
                        stats.announced += 1
                        stats.prefixes.add(prefix)
                        routes[(peer, prefix)] = origin
            elif "rib_entries" in data:  # TABLE_DUMP_V2 RIB: every entry is an announcement
                prefix = f"{data['prefix']}/{data['length']}"
                for rib in data["rib_entries"]:
                    origin = _origin(rib.get("path_attributes") or [])
                    if origin is not None:
                        routes[(str(rib.get("peer_index")), prefix)] = origin
                        stats.prefixes.add(prefix)
    if current_bin is not None:
        yield current_bin + step, snapshot()


def read_asn_countries(path: Path) -> dict[int, str]:
    """CSV ``asn,cc`` (header optional, ``AS`` prefix optional)."""
    out: dict[int, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        for row in reader:
            if not row or row[0].strip().lower() in {"asn", "as"}:
                continue
            digits = row[0].strip().upper().removeprefix("AS")
            cc = row[1].strip().upper() if len(row) > 1 else ""
            if not digits.isdigit() or len(cc) != 2:
                raise InputError(
                    "expected asn,cc such as 'AS12880,IR'", path=path, line=reader.line_num
                )
            out[int(digits)] = cc
    return out


def bgp_points(
    paths: Iterable[Path],
    *,
    step: int = 300,
    min_peers: int = 1,
    asn_country: dict[int, str] | None = None,
    stats: MrtStats | None = None,
) -> list[SignalPoint]:
    points: list[SignalPoint] = []
    for ts, counts in visible_prefixes(paths, step=step, min_peers=min_peers, stats=stats):
        per_cc: dict[str, int] = defaultdict(int)
        for asn, n in counts.items():
            points.append(SignalPoint("asn", f"AS{asn}", "bgp-visible-prefixes", ts, float(n)))
            if asn_country and asn in asn_country:
                per_cc[asn_country[asn]] += n
        for cc, n in per_cc.items():
            points.append(SignalPoint("country", cc, "bgp-visible-prefixes", ts, float(n)))
    return points
