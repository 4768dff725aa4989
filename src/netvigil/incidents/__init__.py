"""The incident tracker: STOP-compatible, evidence-backed incident records.

Public names: :class:`Tracker` (the repository), :class:`Actor`, :class:`IncidentFilter`,
:func:`public_dict` / :func:`private_dict` (the only serialisers). See docs/incidents.md.
"""

from __future__ import annotations

from netvigil.incidents.repository import (
    ADMIN_ONLY_STATUSES,
    TRANSITIONS,
    Actor,
    ImportResult,
    IncidentFilter,
    Tracker,
)
from netvigil.incidents.serialise import instrument_dict, private_dict, public_dict

__all__ = [
    "ADMIN_ONLY_STATUSES",
    "TRANSITIONS",
    "Actor",
    "ImportResult",
    "IncidentFilter",
    "Tracker",
    "instrument_dict",
    "private_dict",
    "public_dict",
]
