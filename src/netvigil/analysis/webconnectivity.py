"""web_connectivity: OONI's blocking / accessible / dns_consistency, re-derived (WORK IN PROGRESS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec


class WebConnectivityAnalysis(msgspec.Struct, frozen=True, kw_only=True):
    """OONI's three verdict fields plus our finer detail and the deciding rule."""

    blocking: bool | str | None
    accessible: bool | None
    dns_consistency: str | None
    blocking_detail: str | None
    rule_id: str
    http_experiment_failure: str | None = None
    dns_experiment_failure: str | None = None


def analyze_web_connectivity(test_keys: Mapping[str, Any]) -> WebConnectivityAnalysis:
    """Re-derive OONI's verdict from the measurement's own observations (not yet implemented)."""
    raise NotImplementedError("analyze_web_connectivity: being written by helper C1")
