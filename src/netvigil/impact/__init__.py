"""Impact of a shutdown: people cut off and economic cost, with each method, its inputs and a range.

>>> from netvigil.impact import estimate
>>> result = estimate("HK", 24, scope="national", shutdown_type="full")
>>> result.to_json_dict()["range"]["central"] > 0
True
"""

from __future__ import annotations

from netvigil.impact.estimate import (
    CostRange,
    ImpactEstimate,
    MethodEstimate,
    Uncertainty,
    estimate,
)
from netvigil.impact.indicators import ATTRIBUTION, Country, Indicator, resolve_country

__all__ = [
    "ATTRIBUTION",
    "CostRange",
    "Country",
    "ImpactEstimate",
    "Indicator",
    "MethodEstimate",
    "Uncertainty",
    "estimate",
    "resolve_country",
]
