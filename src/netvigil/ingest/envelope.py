"""The envelope check of one measurement: what ingest and ``netvigil verdict`` refuse, and why.

OONI's base data format (ooni/spec df-000-base): a JSON object with string ``test_name``,
``measurement_start_time`` (``YYYY-MM-DD HH:MM:SS``), ``probe_cc`` (two upper-case ASCII letters),
``probe_asn`` (``AS<n>``) and an object ``test_keys`` (or null: a test that crashed); ``input``
is a string or null. Every value that names a file or a partition is checked here, because the
store builds paths from them: the day partition comes from the *parsed* start time, never from
the text (``2024-02-30`` or ``2024-0/-01`` would otherwise become a directory that no query can
read, security audit H3). For web_connectivity, the only test whose verdict reads the step lists
field by field, the types of those lists are checked too (audit L6): a ``queries: "x"`` used to
give a confident verdict while the analysis silently skipped it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_REQUIRED_TEXT = ("test_name", "measurement_start_time", "probe_cc", "probe_asn")
# OONI writes "YYYY-MM-DD HH:MM:SS"; a "T" separator, fractional seconds and a "Z" (UTC) are
# tolerated, as the store's time column reads them.
_START = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z?")
_CC = re.compile(r"[A-Z]{2}")
_ASN = re.compile(r"AS\d{1,10}")
# Every OONI test name is ASCII snake case (web_connectivity, facebook_messenger, ...).
_TEST_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
MAX_ASN = 2**32 - 1
# web_connectivity's lists of step records, and its control answer (ooni/spec ts-017).
_STEP_LISTS = ("queries", "tcp_connect", "tls_handshakes", "requests", "network_events")
_CHECKED_TESTS = frozenset({"web_connectivity"})


def parse_start_time(text: str) -> datetime | None:
    """``measurement_start_time`` as a datetime (to the second), None if it is not one."""
    match = _START.fullmatch(text)
    if match is None:
        return None
    try:
        return datetime(*(int(g) for g in match.groups()))  # type: ignore[arg-type]
    except ValueError:  # 2024-02-30, 2024-13-45, 25:00:00 ...
        return None


def partition_key(start: datetime, cc: str) -> tuple[str, str, str]:
    """(day, country, time) of a checked measurement, built from parsed values only."""
    return start.strftime("%Y-%m-%d"), cc, start.strftime("%Y-%m-%d %H:%M:%S")


def envelope_problem(m: Any) -> str | None:
    """Why ``m`` is not a measurement we can store, or None."""
    if not isinstance(m, dict):
        return f"expected a JSON object, got {type(m).__name__}"
    for name in _REQUIRED_TEXT:
        value = m.get(name)
        if value is None:
            return f"missing envelope field {name!r}"
        if not isinstance(value, str):
            return f"field {name!r}: expected a string, got {type(value).__name__}"
    start = m["measurement_start_time"]
    if parse_start_time(start) is None:
        return (
            "field 'measurement_start_time': expected 'YYYY-MM-DD HH:MM:SS' (a real date and"
            f" time), got {start[:40]!r}"
        )
    cc = m["probe_cc"]
    if not _CC.fullmatch(cc):
        return f"field 'probe_cc': expected a two-letter country code such as 'IR', got {cc[:20]!r}"
    asn = m["probe_asn"]
    if not _ASN.fullmatch(asn) or int(asn[2:]) > MAX_ASN:
        return f"field 'probe_asn': expected 'AS' and a number below 2^32, got {asn[:20]!r}"
    name = m["test_name"]
    if not _TEST_NAME.fullmatch(name):
        return f"field 'test_name': expected an OONI test name (ASCII, _), got {name[:40]!r}"
    if "test_keys" not in m:
        return "missing envelope field 'test_keys'"
    keys = m["test_keys"]
    if keys is not None and not isinstance(keys, dict):
        return f"field 'test_keys': expected an object, got {type(keys).__name__}"
    inp = m.get("input")
    if inp is not None and not isinstance(inp, str):
        return f"field 'input': expected a string or null, got {type(inp).__name__}"
    if keys is not None and name in _CHECKED_TESTS:
        return test_keys_problem(keys)
    return None


def test_keys_problem(keys: dict[str, Any]) -> str | None:
    """Why web_connectivity ``test_keys`` have the wrong shape for its analysis, or None."""
    for name in _STEP_LISTS:
        value = keys.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            return f"field 'test_keys.{name}': expected a list of objects, got {_kind(value)}"
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                return f"field 'test_keys.{name}[{i}]': expected an object, got {_kind(item)}"
    control = keys.get("control")
    if control is not None and not isinstance(control, dict):
        return f"field 'test_keys.control': expected an object or null, got {_kind(control)}"
    return None


def _kind(value: Any) -> str:
    return type(value).__name__
