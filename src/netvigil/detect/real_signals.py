"""Real connectivity series with labelled outages (``../shared/data/outages/real_signals``).

Layout (its PROVENANCE.md): ``manifest.csv`` (id, group, entity, signal, step_s, first, last,
n_truth, source, label_source, national), ``series/<id>.csv`` (``timestamp,value``, an empty value
is a missing bin) and ``truth/<id>.json`` (``[{start, end, source}]``). A series' *dataset* is the
first word of its group (``IR-2019-11 regional`` -> ``IR-2019-11``): the national series and the
regional ones of one outage are scored together and reported apart from the other outages.

Labels are placed on the series' grid as ``[floor(start), ceil(end))`` in bins and cut to the
series; a label entirely outside its series is dropped (and counted), never silently kept.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from netvigil._errors import InputError
from netvigil.detect.scoring import Truth
from netvigil.detect.series import Series, check_entity, parse_time, read_series_csv

MANIFEST_FIELDS = ("id", "group", "entity", "signal", "step_s")


@dataclass(frozen=True, slots=True)
class RealSeries:
    series_id: str
    dataset: str
    national: bool
    series: Series
    truths: tuple[Truth, ...]


def read_real_signals(root: Path) -> list[RealSeries]:
    """Every series of the manifest with its labels on the series' grid."""
    manifest = root / "manifest.csv"
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(
            f"cannot read: {exc.strerror}",
            path=manifest,
            hint="--real takes the real_signals directory (manifest.csv, series/, truth/)",
        ) from exc
    rows = csv.DictReader(text.splitlines())
    missing = [f for f in MANIFEST_FIELDS if f not in (rows.fieldnames or [])]
    if missing:
        raise InputError(f"missing columns: {', '.join(missing)}", path=manifest, line=1)
    out: list[RealSeries] = []
    for line, row in enumerate(rows, start=2):
        sid = row["id"].strip()
        try:
            entity = check_entity(row["entity"].strip())
        except InputError as exc:
            raise InputError(exc.message, path=manifest, line=line, field="entity") from None
        series = read_series_csv(
            root / "series" / f"{sid}.csv", entity=entity, signal=row["signal"].strip()
        )
        out.append(
            RealSeries(
                series_id=sid,
                dataset=row["group"].split()[0] if row["group"].strip() else sid,
                national=row.get("national", "").strip() == "1",
                series=series,
                truths=tuple(_truths(root / "truth" / f"{sid}.json", series)),
            )
        )
    if not out:
        raise InputError("the manifest lists no series", path=manifest)
    return out


def _truths(path: Path, series: Series) -> list[Truth]:
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from exc
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc}", path=path) from None
    if not isinstance(doc, list):
        raise InputError("expected a JSON list of {start, end, source}", path=path)
    length = len(series.values)
    out = []
    for i, item in enumerate(doc):
        try:
            start, end = parse_time(str(item["start"])), parse_time(str(item["end"]))
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"label {i} needs ISO-8601 'start' and 'end'", path=path, field="start"
            ) from None
        if end <= start:
            raise InputError(f"label {i} ends before it begins", path=path, field="end")
        first = max(0, (start - series.start) // series.step)
        stop = min(length, math.ceil((end - series.start) / series.step))
        if stop > first:
            out.append(Truth(int(first), int(stop), str(item.get("source", ""))))
    return out


def datasets(cases: Sequence[RealSeries]) -> list[str]:
    """Dataset names in manifest order."""
    return list(dict.fromkeys(c.dataset for c in cases))
