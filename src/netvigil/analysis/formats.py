"""The envelope of every historical data format, read the same way.

OONI's archive holds measurements from the Python probe (2012-2019; its YAML reports were
converted to JSON by OONI's pipeline: no ``measurement_start_time``, a ``test_keys.start_time``
in seconds since the epoch, ``report_filename``/``bucket_date`` added), Measurement Kit (the
mobile apps until 2020) and probe-cli. :func:`start_time_of` finds each one's start time;
:func:`with_start_time` fills it in (``ingest`` and ``netvigil verdict`` call it) so that ids,
days and verdicts of old reports are not empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_LAYOUT = "%Y-%m-%d %H:%M:%S"


def start_time_of(m: Mapping[str, Any]) -> str | None:
    """``measurement_start_time``, else the converted report's ``test_keys.start_time`` (epoch
    seconds), else the report's ``test_start_time``; None when none is readable."""
    start = m.get("measurement_start_time")
    if isinstance(start, str) and start:
        return start
    tk = m.get("test_keys")
    epoch = tk.get("start_time") if isinstance(tk, dict) else None
    if isinstance(epoch, int | float) and not isinstance(epoch, bool):
        try:
            return datetime.fromtimestamp(epoch, UTC).strftime(_LAYOUT)
        except (OverflowError, OSError, ValueError):
            pass
    report_start = m.get("test_start_time")
    if isinstance(report_start, str) and len(report_start) >= 19:
        return report_start[:19].replace("T", " ")
    return None


def with_start_time(m: dict[str, Any]) -> dict[str, Any]:
    """``m`` with ``measurement_start_time`` filled in from the older fields when it lacks one
    (in place: the parsed copy only; the stored raw line keeps the original bytes)."""
    if isinstance(m.get("measurement_start_time"), str):
        return m
    start = start_time_of(m)
    if start is not None:
        m["measurement_start_time"] = start
    return m


def wrong_start_time(m: Mapping[str, Any]) -> bool:
    """OONI's check of measurements from its archive (fastpath
    ``flag_measurements_with_wrong_date``): the start time is more than an hour after OONI
    received the measurement (the time its ``measurement_uid`` begins with) or more than 365
    days before. Measurements without OONI's uid (ours, replays) are never flagged."""
    uid = m.get("measurement_uid")
    start = m.get("measurement_start_time")
    if not isinstance(uid, str) or not isinstance(start, str) or not uid.startswith("20"):
        return False
    try:
        received = datetime.strptime(uid[:21], "%Y%m%d%H%M%S.%f")
        started = datetime.strptime(start, _LAYOUT)
    except ValueError:
        return False
    delta = (received - started).total_seconds()
    return delta < -3600 or delta > 365 * 86400


def is_python_probe(m: Mapping[str, Any]) -> bool:
    """Written by the Python ooniprobe (versions 1.x and 2.x, software_name ``ooniprobe``);
    the Measurement Kit apps called themselves ooniprobe-android/-ios or measurement_kit."""
    version = m.get("software_version")
    return (
        m.get("software_name") == "ooniprobe"
        and isinstance(version, str)
        and version[:2] in ("0.", "1.", "2.")
    )
