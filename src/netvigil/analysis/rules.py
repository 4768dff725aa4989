"""Rules as versioned data (WORK IN PROGRESS: the table is filled as rules are written)."""

from __future__ import annotations

import msgspec

RULES_VERSION = "2026.11.0"


class Rule(msgspec.Struct, frozen=True):
    rule_id: str
    condition: str
    source: str


RULES: tuple[Rule, ...] = ()
