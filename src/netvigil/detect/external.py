"""External signal files: the plain CSV/JSON format and IODA's ``/v2/signals/raw`` JSON.

Plain format, one point per row/object: ``entity_type, entity_code, signal, timestamp, value``
(timestamp ISO-8601 or epoch seconds; entity_type country | region | asn). JSON is either a list of
such objects or JSON lines. IODA's response: ``{"data": [[{"entityType", "entityCode",
"datasource", "subtype", "from", "step", "values": [...]}, ...]]}``; a null value is a missing bin,
and nested (non-scalar) values of some datasources are skipped and counted.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from netvigil._errors import InputError
from netvigil.detect.series import ENTITY_TYPES, check_entity, parse_time
from netvigil.models.signals import SignalPoint

FIELDS = ("entity_type", "entity_code", "signal", "timestamp", "value")


def _point(obj: dict[str, Any], *, path: Path, line: int) -> SignalPoint:
    for name in FIELDS:
        if obj.get(name) in (None, ""):
            raise InputError(f"missing {name}", path=path, line=line, field=name)
    etype = str(obj["entity_type"]).strip().lower()
    if etype not in ENTITY_TYPES:
        raise InputError(
            f"{etype!r} is not one of {', '.join(ENTITY_TYPES)}",
            path=path,
            line=line,
            field="entity_type",
        )
    try:
        entity = check_entity(f"{etype}:{str(obj['entity_code']).strip()}")
    except InputError as exc:
        raise InputError(exc.message, path=path, line=line, field="entity_code") from None
    try:
        ts = parse_time(str(obj["timestamp"]))
    except ValueError:
        raise InputError(
            f"{obj['timestamp']!r} is neither ISO-8601 nor epoch seconds",
            path=path,
            line=line,
            field="timestamp",
        ) from None
    try:
        value = float(obj["value"])
    except (TypeError, ValueError):
        raise InputError(
            f"{obj['value']!r} is not a number", path=path, line=line, field="value"
        ) from None
    return SignalPoint(etype, entity.split(":", 1)[1], str(obj["signal"]).strip(), ts, value)


def read_plain(path: Path) -> list[SignalPoint]:
    text = path.read_bytes()
    if path.suffix.lower() == ".csv":
        rows = csv.DictReader(text.decode("utf-8-sig").splitlines())
        missing = [f for f in FIELDS if f not in (rows.fieldnames or [])]
        if missing:
            raise InputError(f"missing columns: {', '.join(missing)}", path=path, line=1)
        return [_point(row, path=path, line=i) for i, row in enumerate(rows, start=2)]
    stripped = text.lstrip()
    if stripped.startswith(b"["):
        try:
            objs = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc}", path=path) from None
        return [_point(o, path=path, line=i) for i, o in enumerate(objs, start=1)]
    out = []
    for i, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            try:
                out.append(_point(orjson.loads(raw), path=path, line=i))
            except orjson.JSONDecodeError as exc:
                raise InputError(f"not JSON: {exc}", path=path, line=i) from None
    return out


def read_ioda(path: Path) -> tuple[list[SignalPoint], int]:
    """Points from an IODA ``signals/raw`` response, and how many nested values were skipped."""
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc}", path=path) from None
    if not isinstance(doc, dict) or "data" not in doc:
        raise InputError("not an IODA signals response: no 'data'", path=path, field="data")
    if doc.get("error"):
        raise InputError(f"the response carries an error: {doc['error']}", path=path)
    points: list[SignalPoint] = []
    skipped = 0
    for group in doc["data"] or []:
        for ts_obj in group if isinstance(group, list) else [group]:
            etype = str(ts_obj.get("entityType", "")).lower()
            if etype not in ENTITY_TYPES:
                skipped += len(ts_obj.get("values") or [])
                continue
            code = str(ts_obj["entityCode"])
            code = check_entity(f"{etype}:{code}").split(":", 1)[1]
            signal = str(ts_obj.get("datasource", "ioda"))
            if ts_obj.get("subtype"):
                signal += f".{ts_obj['subtype']}"
            start, step = int(ts_obj["from"]), int(ts_obj["step"])
            for i, value in enumerate(ts_obj.get("values") or []):
                if value is None:
                    continue
                if not isinstance(value, (int, float)):
                    skipped += 1
                    continue
                points.append(SignalPoint(etype, code, signal, start + i * step, float(value)))
    return points, skipped
