"""The incident tracker: STOP-compatible, evidence-backed incident records.

Public names: :class:`Tracker` (the repository), :class:`Actor`, :class:`IncidentFilter`,
:func:`public_dict` / :func:`private_dict` (the only serialisers). See docs/incidents.md.
"""

from __future__ import annotations

# The alerting tables (netvigil.notify's subscriptions and delivery log) live on the tracker's
# metadata too: registered whenever the package is imported, so migrations and the schema check
# always see them.
from netvigil.incidents import notify_tables as _notify_tables  # noqa: F401
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
