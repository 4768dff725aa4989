"""The share of a country's people in an incident's area, from the places its name mentions.

STOP records a regional shutdown's area in words ("Shopian district in Jammu and Kashmir",
"Kurdistan", "Banswara, Udaipur, Pratapgarh, Dungarpur, in Rajasthan"). netvigil reads the towns
(GeoNames, towns of 15,000+: ``data/places.csv.gz``) and regions (``data/regions.csv``: a region
is the GeoNames division of its capital, or a list of its towns) named there, and takes

    share = people in the towns named (or in the towns of the regions named)
            / people in all the country's towns of 15,000+

i.e. the named places' share of the country's town dwellers, taken as their share of its
people. Assumptions (stated with every estimate): the places are as urban as the country; a
district named by its main town counts as that town (its villages are not in GeoNames' list), so
rural districts are under-counted; a region named only to locate its towns ("X district in
Jammu and Kashmir") is not counted when towns are named. No place found: no share (a reason,
never a guess).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

SOURCE = "GeoNames cities15000 (CC BY 4.0), towns of 15,000+; regions: netvigil's table"
# Words that locate or qualify a place rather than name it.
_QUALIFIERS = re.compile(
    r"\b(districts?|city|cities|towns?|townships?|villages?|areas?|state|states|province|"
    r"region|regions|division|valley|county|police|parts?|several|some|all|entire|of|the|"
    r"in|near|around|zones?|camps?|refugee|adjoining|neighbou?ring|capital|including|"
    r"and|only|whole|municipality|sub-?division|block|blocks|tehsils?|headquarters)\b",
    re.IGNORECASE,
)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


@dataclass(frozen=True)
class Town:
    cc: str
    division: str
    population: int
    name: str


@dataclass(frozen=True)
class Places:
    towns: dict[str, dict[str, Town]]  # cc -> folded name -> the largest town of that name
    by_division: dict[tuple[str, str], list[Town]]
    totals: dict[str, int]  # cc -> people in all towns
    regions: dict[str, list[tuple[tuple[str, ...], tuple[Town, ...]]]]  # cc -> (names, towns)


@dataclass(frozen=True)
class AreaShare:
    share: float
    places: tuple[str, ...]  # what was read: town and region names
    people_in_places: int
    people_in_towns: int  # the country's towns of 15,000+


def _read(name: str) -> str:
    data = resources.files("netvigil.impact").joinpath(f"data/{name}").read_bytes()
    text = gzip.decompress(data).decode("utf-8") if name.endswith(".gz") else data.decode("utf-8")
    return "".join(line for line in io.StringIO(text) if not line.startswith("#"))


@cache
def load_places() -> Places:
    towns: dict[str, dict[str, Town]] = {}
    by_division: dict[tuple[str, str], list[Town]] = {}
    totals: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(_read("places.csv.gz"))):
        town = Town(row["cc"], row["admin1"], int(row["population"]), row["name"])
        by_division.setdefault((town.cc, town.division), []).append(town)
        totals[town.cc] = totals.get(town.cc, 0) + town.population
        index = towns.setdefault(town.cc, {})
        for label in (row["name"], *filter(None, row["alternates"].split("|"))):
            key = fold(label)
            if key not in index or index[key].population < town.population:
                index[key] = town
    regions: dict[str, list[tuple[tuple[str, ...], tuple[Town, ...]]]] = {}
    for row in csv.DictReader(io.StringIO(_read("regions.csv"))):
        cc, names = row["cc"], tuple(n.strip() for n in row["names"].split("|"))
        index = towns.setdefault(cc, {})
        if row["kind"] == "town":
            target = index[fold(row["anchor"])]
            for name in names:
                index[fold(name)] = target
            continue
        anchor = row["anchor"]
        members: list[Town] = []
        if anchor.startswith("towns:"):
            members = [index[fold(v)] for v in anchor.removeprefix("towns:").split(";")]
        else:  # "division:Capital;division:Other"
            for part in anchor.split(";"):
                capital = index[fold(part.removeprefix("division:"))]
                members.extend(by_division[(cc, capital.division)])
        regions.setdefault(cc, []).append((names, tuple(dict.fromkeys(members))))
    return Places(towns, by_division, totals, regions)


def _phrases(area: str) -> list[str]:
    parts = re.split(r"[,;/()]|\band\b|\bin\b|&|:|\.\s", area)
    out = []
    for part in parts:
        cleaned = " ".join(_QUALIFIERS.sub(" ", part).split()).strip(" -'’")
        if len(cleaned) >= 3:
            out.append(cleaned)
    return out


def area_share(cc: str, area: str | None, places: Places | None = None) -> AreaShare | None:
    """The share of ``cc``'s people living in the places ``area`` names, or None."""
    if not area or not area.strip():
        return None
    data = places or load_places()
    total = data.totals.get(cc, 0)
    index = data.towns.get(cc, {})
    if total <= 0:
        return None
    # Regions first, longest name first, each stretch of text read once: "Jammu and Kashmir"
    # is the region, not the town Jammu plus the valley.
    folded = fold(area)
    spans: list[tuple[int, int, tuple[str, ...], tuple[Town, ...]]] = []
    for region_names, members in data.regions.get(cc, []):
        for name in region_names:
            for m in re.finditer(rf"(?<!\w){re.escape(fold(name))}(?!\w)", folded):
                spans.append((m.start(), m.end(), region_names, members))
    spans.sort(key=lambda item: (item[0] - item[1], item[0]))
    taken: list[tuple[int, int, tuple[str, ...], tuple[Town, ...]]] = []
    for span in spans:
        if all(span[1] <= t[0] or span[0] >= t[1] for t in taken):
            taken.append(span)
    rest = folded
    for begin, finish, _, _ in taken:
        rest = rest[:begin] + " " * (finish - begin) + rest[finish:]
    found: dict[Town, None] = {}
    for phrase in _phrases(rest):
        town = index.get(fold(phrase))
        if town is not None:
            found[town] = None
    names = [t.name for t in found]
    if not found:  # no town named: the regions are the area (else they only locate the towns)
        # A region named beside a smaller one inside it ("Kashmir Valley, Jammu and Kashmir")
        # only locates it: keep the smaller.
        taken = [t for t in taken if not any(set(o[3]) < set(t[3]) for o in taken)]
        for _, _, region_names, members in sorted(taken):
            if region_names[0] not in names:
                names.append(region_names[0])
            for town in members:
                found[town] = None
    if not found:
        return None
    people = sum(t.population for t in found)
    return AreaShare(min(1.0, people / total), tuple(names), people, total)
