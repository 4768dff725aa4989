"""Arrow schemas of the tiers, derived from the typed records so the two never drift.

Beside the records because both their producer (the analysis, which builds the observation and
verdict columns in ingest's workers) and their keeper (the store) read them, and the analysis
must not know the store.

``Verdict`` and ``Observation`` (netvigil.models) are frozen records with flat fields; their type
hints map to Arrow types. A field whose type mixes kinds (OONI's ``blocking`` is ``false`` or a
string) is stored as a string, with ``false``/``true`` spelled out, so Parquet has one type per
column. ``measurement_start_time`` strings (OONI's ``YYYY-MM-DD HH:MM:SS``, UTC) become
timestamps so aggregations group by time without parsing.
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

TIME_COLUMNS = frozenset({"measurement_start_time"})

RAW_SCHEMA = pa.schema(
    [
        ("measurement_uid", pa.string()),
        ("day", pa.string()),
        ("cc", pa.string()),
        ("measurement_start_time", pa.timestamp("s")),
        ("test_name", pa.string()),
        ("probe_asn", pa.string()),
        ("input", pa.string()),
        ("source", pa.string()),  # file the line came from (name only, for provenance)
        ("line_size", pa.int32()),  # bytes of the original line
        # The original line (probe_ip scrubbed), compressed by Parquet's zstd codec with the
        # whole column chunk as context: no per-line compression in the workers.
        ("line", pa.binary()),
    ]
)

# Signals: one row per point; the import (source) a file belongs to is in its path.
SIGNAL_SCHEMA = pa.schema(
    [
        ("entity_type", pa.string()),
        ("entity_code", pa.string()),
        ("signal", pa.string()),
        ("timestamp", pa.int64()),  # epoch seconds
        ("value", pa.float64()),
    ]
)

# Events: one row per version of an event (Event.event_id); the revision comes from the commit.
EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("entity", pa.string()),
        ("kind", pa.string()),
        ("start", pa.timestamp("s", tz="UTC")),
        ("end", pa.timestamp("s", tz="UTC")),
        ("score", pa.float64()),
        ("signals", pa.list_(pa.string())),
        ("detector", pa.string()),
        ("detector_version", pa.string()),
        ("detected_at", pa.timestamp("s", tz="UTC")),
    ]
)

_SIMPLE: dict[Any, Any] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
    datetime: pa.timestamp("s"),
    date: pa.date32(),
}


def _arrow_type(hint: Any) -> tuple[Any, bool]:
    """(arrow type, needs string coercion) for a type hint."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return _arrow_type(args[0])
        return pa.string(), True
    if origin in (list, tuple, Sequence) or hint in (list, tuple):
        return pa.string(), True  # JSON-encoded; observations are flat, this is a fallback
    if typing.get_origin(hint) is typing.Literal:
        return pa.string(), not all(isinstance(a, str) for a in typing.get_args(hint))
    if hint in _SIMPLE:
        return _SIMPLE[hint], False
    return pa.string(), True


def _field_names(cls: type) -> list[str]:
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    struct_fields = getattr(cls, "__struct_fields__", None)  # msgspec.Struct
    if struct_fields is not None:
        return list(struct_fields)
    raise TypeError(f"{cls!r} is neither a dataclass nor a msgspec Struct")


@dataclasses.dataclass(frozen=True)
class RecordLayout:
    """How to turn a list of records of one class into an Arrow table."""

    names: tuple[str, ...]
    schema: Any  # pyarrow.Schema of the record's fields (without day/cc)
    coerce: tuple[bool, ...]
    getter: Callable[[Any], tuple[Any, ...]]


@cache
def layout_of(cls: type) -> RecordLayout:
    hints = typing.get_type_hints(cls)
    names = _field_names(cls)
    fields, coerce = [], []
    for name in names:
        arrow, needs = _arrow_type(hints[name])
        if name in TIME_COLUMNS and arrow == pa.string():
            arrow, needs = pa.timestamp("s"), False
        fields.append(pa.field(name, arrow))
        coerce.append(needs)
    getter: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*names)
    if hasattr(cls, "__struct_fields__"):
        import msgspec

        getter = msgspec.structs.astuple  # twice as fast as attrgetter on Structs
    elif len(names) == 1:
        single = operator.attrgetter(names[0])
        getter = lambda r: (single(r),)  # noqa: E731 - attrgetter of one name is no tuple
    return RecordLayout(tuple(names), pa.schema(fields), tuple(coerce), getter)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        import orjson

        return orjson.dumps(value).decode()
    return str(value)


def time_array(values: list[Any]) -> Any:
    if values and all(v is None or isinstance(v, str) for v in values):
        # OONI's format; a trailing "Z" or "T" separator is tolerated by normalising first.
        strings = pa.array(values, pa.string())
        strings = pc.replace_substring(strings, "T", " ")
        strings = pc.replace_substring(strings, "Z", "")
        return pc.strptime(strings, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    return pa.array(values, pa.timestamp("s"))


def records_table(records: Sequence[Any], cls: type, day: list[str], cc: list[str]) -> Any:
    """An Arrow table of ``records`` (instances of ``cls``) plus the ``day``/``cc`` columns."""
    layout = layout_of(cls)
    return rows_table([layout.getter(r) for r in records], cls, day, cc)


def rows_table(rows: Sequence[Sequence[Any]], cls: type, day: list[str], cc: list[str]) -> Any:
    """Like :func:`records_table`, from rows of values already in ``cls``'s field order."""
    layout = layout_of(cls)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in layout.names]
    arrays = []
    for i, name in enumerate(layout.names):
        values = list(columns[i])
        target = layout.schema.field(i).type
        if name in TIME_COLUMNS:
            arrays.append(time_array(values))
        elif layout.coerce[i]:
            arrays.append(pa.array([_as_text(v) for v in values], pa.string()))
        else:
            arrays.append(pa.array(values, target))
    arrays += [pa.array(day, pa.string()), pa.array(cc, pa.string())]
    names = [*layout.names, "day", "cc"]
    return pa.Table.from_arrays(arrays, names=names)


def empty_table(cls: type | None) -> Any:
    """An empty table with the tier's columns, for views over a store with no files yet."""
    if cls is None:
        schema = RAW_SCHEMA.remove(RAW_SCHEMA.get_field_index("day"))
        schema = schema.remove(schema.get_field_index("cc"))
        return (
            schema.append(pa.field("day", pa.date32()))
            .append(pa.field("cc", pa.string()))
            .empty_table()
        )
    layout = layout_of(cls)
    schema = layout.schema.append(pa.field("day", pa.date32())).append(pa.field("cc", pa.string()))
    return schema.empty_table()


def signals_table(points: Sequence[Any]) -> Any:
    """An Arrow table of :class:`netvigil.models.signals.SignalPoint` records."""
    return pa.table(
        {
            "entity_type": pa.array([p.entity_type for p in points], pa.string()),
            "entity_code": pa.array([p.entity_code for p in points], pa.string()),
            "signal": pa.array([p.signal for p in points], pa.string()),
            "timestamp": pa.array([p.timestamp for p in points], pa.int64()),
            "value": pa.array([p.value for p in points], pa.float64()),
        },
        schema=SIGNAL_SCHEMA,
    )


def event_rows(events: Sequence[Any]) -> list[dict[str, Any]]:
    """The stored columns of :class:`netvigil.models.events.Event` records, as Arrow reads them
    back (so that a stored version and a new one compare equal when nothing changed); one row per
    event_id, the last one given winning."""
    rows = {
        ev.event_id: {
            "event_id": ev.event_id,
            "entity": ev.entity,
            "kind": ev.kind,
            "start": ev.start,
            "end": ev.end,
            "score": ev.score,
            "signals": list(ev.signals),
            "detector": ev.detector,
            "detector_version": ev.detector_version,
            "detected_at": ev.detected_at,
        }
        for ev in events
    }
    table = pa.Table.from_pylist(list(rows.values()), schema=EVENT_SCHEMA)
    out: list[dict[str, Any]] = table.to_pylist()
    return out
