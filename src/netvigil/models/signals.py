"""Signal points: one value of one signal for one entity at one time (the detect tier's input).

Signals come from imports (IODA files, MRT dumps, CSVs) and from our own verdicts. Each import is
named by a *source* id; the store replaces a source's points when the same source is written again,
so re-importing a file never duplicates anything.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# What a source id may contain: it names a directory of the embedded store and a column value.
SOURCE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@dataclass(frozen=True, slots=True)
class SignalPoint:
    entity_type: str  # country, region, asn
    entity_code: str  # IR, 1473, AS12880
    signal: str  # ping-slash24, bgp-visible-prefixes, measurements, telegram.reachable, ...
    timestamp: int  # epoch seconds of the bin's start
    value: float


def source_id(data: bytes | str) -> str:
    """The id of an import, from its input: the same input twice is the same source."""
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:16]
