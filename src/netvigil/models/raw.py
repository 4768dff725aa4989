"""The raw tier: a measurement exactly as OONI's data format defines it (envelope + test_keys).

Raw measurements are never rewritten; the analysis reads them as plain mappings (the hot path
needs dict access, not a full object tree). This module names the envelope's fields and gives a
typed view of the few the analysis and the store rely on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

# Envelope fields (ooni/spec data-formats/df-000-base.md) that identify a measurement.
IDENTIFYING_FIELDS: tuple[str, ...] = (
    "report_id",
    "input",
    "measurement_start_time",
    "test_start_time",
    "probe_cc",
    "probe_asn",
    "test_name",
    "test_version",
    "software_name",
    "software_version",
    "test_runtime",
)


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """The envelope fields every tier keeps (never the probe's IP: see DESIGN.md, privacy)."""

    test_name: str
    input: str | None
    probe_cc: str
    probe_asn: str
    measurement_start_time: str
    report_id: str | None = None
    software_name: str | None = None
    software_version: str | None = None


def envelope_of(m: Mapping[str, Any]) -> Envelope:
    """The envelope of a raw measurement, with OONI's placeholders for missing values."""
    inp = m.get("input")
    return Envelope(
        test_name=str(m.get("test_name") or ""),
        input=inp if isinstance(inp, str) else None,
        probe_cc=str(m.get("probe_cc") or "ZZ"),
        probe_asn=str(m.get("probe_asn") or "AS0"),
        measurement_start_time=str(m.get("measurement_start_time") or ""),
        report_id=m.get("report_id") if isinstance(m.get("report_id"), str) else None,
        software_name=m.get("software_name") if isinstance(m.get("software_name"), str) else None,
        software_version=(
            m.get("software_version") if isinstance(m.get("software_version"), str) else None
        ),
    )
