"""The tracker's old legal-instrument fields, as a policy record.

Before policy records, an instrument was one row: name, kind (law, emergency_regulation,
cybercrime_law, treaty, decree, court_order, other), jurisdiction, articles, status, adopted /
in force / repealed dates, links, summary. ``netvigil incidents law add`` still takes those; the
migration ``0003_policy_records`` moves stored rows the same way (its own copy of these rules, as
migrations must not change when this code does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netvigil.policy import records as rec

# Old kind -> instrument kind. A cybercrime law is a law; a decree is a regulation; "other" had
# no meaning of its own and becomes a law (an editor can change it).
KIND_MAP: Mapping[str, str] = {
    "law": "law",
    "emergency_regulation": "emergency_power",
    "cybercrime_law": "law",
    "treaty": "treaty",
    "decree": "regulation",
    "court_order": "court_order",
    "other": "law",
}
DATE_EVENTS: Mapping[str, str] = {
    "adopted_on": "adoption",
    "in_force_on": "entry_into_force",
    "repealed_on": "repeal",
}


def instrument_from_legacy(data: Mapping[str, Any]) -> rec.InstrumentRecord:
    """A record from the old fields; events and provisions take the first link as source, and
    may have none (the old list did not require one): pages say "no source recorded"."""
    allowed = {"name", "kind", "jurisdiction", "articles", "status", "links", "summary",
               *DATE_EVENTS}  # fmt: skip
    where = rec.Where()
    for key in data:
        if key not in allowed:
            raise where.error(key, "not a legal instrument field")
    name = data.get("name")
    jurisdiction = str(data.get("jurisdiction") or "")
    links = rec._list(data.get("links"))
    source = links[0] if links else None
    kind = str(data.get("kind") or "")
    history = [
        {"kind": event_kind, "date": data[key], "source_url": source}
        for key, event_kind in DATE_EVENTS.items()
        if data.get(key)
    ]
    provisions = (
        [{"concern": "unclassified", "article": data["articles"], "source_url": source}]
        if data.get("articles")
        else []
    )
    return rec.instrument(
        {
            "slug": rec.slugify(f"{jurisdiction}-{name or ''}"),
            "kind": KIND_MAP.get(kind, kind),
            "jurisdiction": jurisdiction,
            "name_en": name,
            "summary_en": data.get("summary"),
            "source_url": source,
            "links": links,
            "history": history,
            "provisions": provisions,
            "status": data.get("status") or "published",
        },
        where,
        require_source=False,
    )
