"""Check-in: which URLs a probe should measure, from Citizen Lab's test lists, and its report ids.

As OONI's probe-services ``POST /api/v1/check-in``: the probe says its country, network, the
categories it wants and whether the run is ``manual`` or ``timed``; the answer lists URLs of the
country's list and the global list, at most ``url_limit`` of them (OONI's limits: 9999 for a
manual run, 100 for a timed run on a charging device or a computer, 20 on battery), the test
helpers, and a report id per test. Each URL is weighted (country list 4, global 1) and drawn
without replacement in random order (Efraimidis-Spirakis keys), so a timed run mostly tests what
matters locally (about 59% of the URLs for Hong Kong's 631 against the global 1,722), still
samples the global list, and successive runs cover different URLs. ``network`` (probe_asn) goes
into the report ids; Citizen Lab publishes no per-network lists.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netvigil._errors import InputError

# OONI's url_limit by run type (probe_services.check_in).
MANUAL_LIMIT = 9999
TIMED_LIMIT = 100
TIMED_ON_BATTERY_LIMIT = 20
COUNTRY_WEIGHT = 4.0
GLOBAL_WEIGHT = 1.0
# Test names OONI's check-in gives report ids for (its probe_services.check_in list).
CHECK_IN_TESTS = (
    "dash",
    "dnscheck",
    "facebook_messenger",
    "http_header_field_manipulation",
    "http_invalid_request_line",
    "ndt",
    "psiphon",
    "riseupvpn",
    "signal",
    "stunreachability",
    "telegram",
    "tor",
    "torsf",
    "urlgetter",
    "vanilla_tor",
    "web_connectivity",
    "whatsapp",
)


@dataclass(frozen=True)
class ListedUrl:
    url: str
    category_code: str
    country_code: str  # XX for the global list, as OONI's check-in says


class TestLists:
    """Citizen Lab CSVs (``global.csv``, ``<cc>.csv``) read once."""

    __test__ = False  # not a pytest class

    def __init__(self, by_country: dict[str, list[ListedUrl]]) -> None:
        self.by_country = by_country

    @classmethod
    def load(cls, directory: Path | None) -> TestLists:
        if directory is None:
            return cls({})
        if not directory.is_dir():
            raise InputError("test-lists directory does not exist", path=directory)
        found: dict[str, list[ListedUrl]] = {}
        for path in sorted(directory.glob("*.csv")):
            if path.name.startswith("00-"):
                continue
            cc = "XX" if path.stem == "global" else path.stem.upper()
            with open(path, encoding="utf-8", newline="") as fh:
                urls = [
                    ListedUrl(row["url"].strip(), row["category_code"].strip().upper(), cc)
                    for row in csv.DictReader(fh)
                    if (row.get("url") or "").strip() and (row.get("category_code") or "").strip()
                ]
            found[cc] = urls
        return cls(found)

    def choose(
        self, probe_cc: str, categories: set[str], limit: int, rng: random.Random
    ) -> list[ListedUrl]:
        """Up to ``limit`` URLs for a probe in ``probe_cc`` (see the module doc)."""
        pool: dict[str, tuple[float, ListedUrl]] = {}
        for cc, weight in (("XX", GLOBAL_WEIGHT), (probe_cc, COUNTRY_WEIGHT)):
            for listed in self.by_country.get(cc, []):
                if not categories or listed.category_code in categories:
                    pool[listed.url] = (weight, listed)  # the country's entry wins
        keyed = sorted(
            ((rng.random() ** (1.0 / weight), listed) for weight, listed in pool.values()),
            key=lambda pair: pair[0],
            reverse=True,
        )
        return [listed for _, listed in keyed[:limit]]


def url_limit(run_type: str, charging: bool) -> int:
    if run_type == "manual":
        return MANUAL_LIMIT
    return TIMED_LIMIT if charging else TIMED_ON_BATTERY_LIMIT


def helpers_conf(web_connectivity: list[str]) -> dict[str, Any]:
    """The ``test_helpers`` object of check-in and ``GET /api/v1/test-helpers``."""
    return {
        "web-connectivity": [
            {"address": address, "type": "https" if address.startswith("https") else "http"}
            for address in web_connectivity
        ]
    }
