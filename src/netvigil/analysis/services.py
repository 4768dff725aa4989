"""Verdicts of the instant-messaging and circumvention tests (WORK IN PROGRESS)."""

from __future__ import annotations

from netvigil.analysis.rules import Rule

SERVICE_RULES: tuple[Rule, ...] = ()
