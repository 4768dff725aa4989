"""Deterministic measurement ids, so that re-ingesting the same data adds nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson

from netvigil.models.raw import IDENTIFYING_FIELDS

# OONI's own id, present in the JSONL files of OONI's archive: kept so that our records link to
# OONI Explorer (explorer.ooni.org/m/<uid>) and stay the same whichever copy is ingested.
_OONI_UID = re.compile(r"\d{14}\.\d{6}_[A-Z]{2}_[a-z0-9]+_[0-9a-f]{16}")
# Where the fields the uid's readable part shows sit among the hashed ones.
_START = IDENTIFYING_FIELDS.index("measurement_start_time")
_CC = IDENTIFYING_FIELDS.index("probe_cc")
_TEST = IDENTIFYING_FIELDS.index("test_name")


def measurement_uid(m: Mapping[str, Any]) -> str:
    """An id in OONI's shape: ``20240212203347.000000_IT_webconnectivity_<16 hex>``.

    A measurement that carries OONI's own ``measurement_uid`` keeps it.

    OONI's own uid puts the collector's reception time first; we have no reception time for a
    replayed file, so the first part is the measurement's start time (fraction always zero) and
    the hash covers the identifying envelope fields plus the top-level scalars (and list/object
    sizes) of ``test_keys``: OONI's QA measurements share report_id, input and start time, and
    only differ there. Hashing the whole document would cost a re-serialisation per measurement
    and would break if a reader skipped fields it does not need.
    """
    own = m.get("measurement_uid")
    if isinstance(own, str) and _OONI_UID.fullmatch(own):
        return own
    parts: list[Any] = list(map(m.get, IDENTIFYING_FIELDS))
    start, cc, test = parts[_START], parts[_CC], parts[_TEST]
    if isinstance(start, str) and len(start) == 19 and start[4] == "-" and start[10] == " ":
        stamp = f"{start[0:4]}{start[5:7]}{start[8:10]}{start[11:13]}{start[14:16]}{start[17:19]}"
    else:
        digits = "".join(ch for ch in start if ch.isdigit())[:14] if isinstance(start, str) else ""
        stamp = (digits or "0" * 14).ljust(14, "0")
    cc = cc.upper() if isinstance(cc, str) and cc else "ZZ"
    test = test.replace("_", "") if isinstance(test, str) and test else "unknown"
    tk = m.get("test_keys")
    if isinstance(tk, (dict, Mapping)):  # dict first: the usual case, and a cheap check
        # [key, value, key, value, ...] with each list/object replaced by its size; built with
        # C-level slice stores rather than two appends and an isinstance per key.
        values = list(tk.values())
        flat: list[Any] = [None] * (2 * len(values))
        flat[0::2] = tk
        flat[1::2] = values
        for i in _sized_slots(tuple(map(type, values))):
            flat[i] = len(flat[i])
        parts += flat
    try:
        blob = orjson.dumps(parts, default=repr)
    except TypeError:  # e.g. integers beyond 64 bits in odd data: still deterministic
        blob = repr(parts).encode()
    digest = hashlib.blake2b(blob, digest_size=8).hexdigest()
    return f"{stamp}.000000_{cc}_{test}_{digest}"


@lru_cache(maxsize=1024)
def _sized_slots(types: tuple[type, ...]) -> tuple[int, ...]:
    """Where the lists/objects are in [key, value, ...] for values of these types (test_keys
    of one version of a test have the same few type sequences)."""
    return tuple(2 * i + 1 for i, kind in enumerate(types) if issubclass(kind, list | dict))
