"""Policy records: legal instruments with their history and provisions of concern, platform
responses to government demands with transparency figures, joint statements and open letters with
their demands and signatories. See docs/policy.md.

Public names (imported lazily: :mod:`netvigil.incidents.model` imports :mod:`.model` while it is
being built, so this package must import nothing at load time)::

    from netvigil.policy import Policy         # the repository, on a Tracker's database
    policy = Policy(tracker)
    policy.import_records(records, actor)      # validated, all-or-nothing upsert by slug
    policy.list_instruments(jurisdiction="HK", public=True)
    policy.load_demo(actor)                    # the bundled demo dataset
"""

from __future__ import annotations

from typing import Any

__all__ = ["Policy", "PolicyRecords"]


def __getattr__(name: str) -> Any:
    if name == "Policy":
        from netvigil.policy.repository import Policy

        return Policy
    if name == "PolicyRecords":
        from netvigil.policy.records import PolicyRecords

        return PolicyRecords
    raise AttributeError(name)
