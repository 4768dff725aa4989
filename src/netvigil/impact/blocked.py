"""Services already blocked in a country before a shutdown: a maintained table with sources.

Blocking a service that is already blocked cuts off no one, so the impact estimator leaves it out
(``data/blocked_services.csv``: cc, service, since, source; one line per block).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Block:
    service: str
    since: dt.date
    source: str


@cache
def known_blocks() -> dict[str, tuple[Block, ...]]:
    """The maintained table: cc -> services blocked and since when, with the source."""
    text = resources.files("netvigil.impact").joinpath("data/blocked_services.csv").read_text()
    body = "".join(line for line in io.StringIO(text) if not line.startswith("#"))
    out: dict[str, list[Block]] = {}
    for row in csv.DictReader(io.StringIO(body)):
        block = Block(row["service"], dt.date.fromisoformat(row["since"]), row["source"])
        out.setdefault(row["cc"], []).append(block)
    return {cc: tuple(blocks) for cc, blocks in out.items()}
