"""A public disruption notice from a published (verified) incident, in English and Traditional
Chinese: what happened, where, since when, how it was measured, the people affected and the cost
with their method, the legal basis invoked, and the sources.

Built only from the incident's **public** record (``public_dict``: no sources, reporter contacts,
notes or editors) and the impact estimate shown on its public page, so a notice can be handed to
anyone. The web app serves it as a page, as JSON and as plain text
(``/incidents/{id}/notice``, ``.json``, ``.txt``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from netvigil.models.countries import display_name

LANGUAGES = ("en", "zh_Hant")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Disruption notice",
        "what": "What",
        "where": "Where",
        "since": "Since",
        "until": "Until",
        "ongoing": "ongoing",
        "measured": "How it was measured",
        "impact": "People affected and cost",
        "legal": "Legal basis",
        "sources": "Sources",
        "none": "none recorded",
        "no_estimate": "No estimate",
        "people": "people affected",
        "cost": "estimated cost",
        "method": "method",
        "measurements": "measurements in netvigil's store",
        "events": "detected events",
        "documents": "documents",
        "published": "Published",
        "self_published": "Verified and published by the same person (single-person deployment).",
        "nationwide": "nationwide",
    },
    "zh_Hant": {
        "heading": "網路中斷通告",
        "what": "事件",
        "where": "地點",
        "since": "開始",
        "until": "結束",
        "ongoing": "持續中",
        "measured": "量測方式",
        "impact": "受影響人數與成本",
        "legal": "法律依據",
        "sources": "資料來源",
        "none": "沒有紀錄",
        "no_estimate": "沒有估算",
        "people": "人受影響",
        "cost": "估計成本",
        "method": "方法",
        "measurements": "netvigil 資料庫中的量測",
        "events": "偵測到的事件",
        "documents": "文件",
        "published": "發布",
        "self_published": "由同一人核實及發布（單人部署）。",
        "nationwide": "全國",
    },
}


def _date(value: Any, language: str) -> str | None:
    if not value:
        return None
    from babel.dates import format_date

    day = dt.date.fromisoformat(str(value)[:10])
    return format_date(day, format="long", locale="zh_Hant_TW" if language == "zh_Hant" else "en")


def _measured(record: Mapping[str, Any], words: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    evidence = record.get("evidence") or []
    measurements = [e for e in evidence if e["kind"] == "measurement"]
    if measurements:
        outcomes: dict[str, int] = {}
        for item in measurements:
            outcome = str((item.get("verdict") or {}).get("outcome") or "?")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        counted = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
        lines.append(f"{len(measurements)} {words['measurements']} ({counted})")
        lines.extend(
            f"  {e['value']}: {(e.get('verdict') or {}).get('outcome')}, "
            f"{(e.get('verdict') or {}).get('test_name')}"
            for e in measurements[:10]
        )
    events = [e for e in evidence if e["kind"] == "event"]
    for item in events:
        snap = item.get("verdict") or {}
        lines.append(
            f"{words['events']}: {item['value']} ({snap.get('detector', '')}, "
            f"{', '.join(snap.get('signals') or [])})"
        )
    documents = [e for e in evidence if e["kind"] == "document"]
    if documents:
        lines.append(f"{len(documents)} {words['documents']}")
    return lines


def _sources(record: Mapping[str, Any], base_url: str) -> list[str]:
    stop = record.get("stop") or {}
    found = [e["value"] for e in record.get("evidence") or () if e["kind"] == "url"]
    found += [
        f"{base_url.rstrip('/')}/files/{e['sha256']}"
        for e in record.get("evidence") or ()
        if e["kind"] == "document" and e.get("sha256")
    ]
    for key in ("info_source_link", "an_link", "gov_ack_source", "telco_ack_source"):
        for part in str(stop.get(key) or "").split():
            if part.startswith(("https://", "http://")):
                found.append(part)
    return list(dict.fromkeys(found))


def notice(
    record: Mapping[str, Any], impact: Mapping[str, Any] | None, *, base_url: str
) -> dict[str, Any]:
    """The notice in both languages, as JSON-ready data."""
    stop = record.get("stop") or {}
    cc = record.get("country_code")
    url = f"{base_url.rstrip('/')}/incidents/{record['id']}"
    out: dict[str, Any] = {
        "incident": record["id"],
        "url": url,
        "four_eyes": record.get("four_eyes", True),
        "published_at": record.get("published_at"),
        "sources": _sources(record, base_url),
        "legal_basis": [
            {
                "name": b["instrument"].get("name"),
                "jurisdiction": b["instrument"].get("jurisdiction"),
                "articles": b.get("articles"),
                "url": f"{base_url.rstrip('/')}/legal/{b['instrument']['id']}",
            }
            for b in record.get("legal_basis") or ()
        ],
        "impact": dict(impact or {}),
        "languages": {},
    }
    for language in LANGUAGES:
        words = LABELS[language]
        title = record.get("title_zh_hant") if language == "zh_Hant" else record.get("title")
        place = display_name(cc, language) if cc else None
        area = stop.get("area_name") or (
            words["nationwide"] if (record.get("codes") or {}).get("scope") == "national" else None
        )
        out["languages"][language] = {
            "heading": words["heading"],
            "what": title or record.get("title"),
            "where": ", ".join(p for p in (place, area) if p) or words["none"],
            "since": _date(stop.get("start_date"), language),
            "until": _date(stop.get("end_date"), language) or words["ongoing"],
            "measured": _measured(record, words) or [words["none"]],
            "impact": _impact_line(impact, words),
            "legal": [
                f"{b['name']} ({b['jurisdiction']})"
                + (f", {b['articles']}" if b["articles"] else "")
                for b in out["legal_basis"]
            ]
            or [words["none"]],
            "four_eyes_note": None if out["four_eyes"] else words["self_published"],
        }
    return out


def _impact_line(impact: Mapping[str, Any] | None, words: Mapping[str, str]) -> str:
    if not impact or "people_affected" not in impact:
        reason = (impact or {}).get("message")
        return f"{words['no_estimate']}" + (f": {reason}" if reason else "")
    cost = impact.get("range") or {}
    return (
        f"{impact['people_affected']:,} {words['people']}; "
        f"{words['cost']} US${cost.get('central', 0):,}"
        f" ({cost.get('low', 0):,}-{cost.get('high', 0):,}); {words['method']}: Brookings, "
        "Deloitte, netvigil (docs/impact.md)"
    )


def as_text(data: Mapping[str, Any]) -> str:
    """The notice as plain text: English first, then Traditional Chinese."""
    blocks = []
    for language in LANGUAGES:
        words = LABELS[language]
        part = data["languages"][language]
        lines = [
            f"{part['heading']} — {data['url']}",
            f"{words['what']}: {part['what']}",
            f"{words['where']}: {part['where']}",
            f"{words['since']}: {part['since'] or '?'}",
            f"{words['until']}: {part['until']}",
            f"{words['measured']}:",
            *(f"  {line}" for line in part["measured"]),
            f"{words['impact']}: {part['impact']}",
            f"{words['legal']}:",
            *(f"  {line}" for line in part["legal"]),
            f"{words['sources']}:",
            *(f"  {s}" for s in data["sources"] or [words["none"]]),
        ]
        if part["four_eyes_note"]:
            lines.append(part["four_eyes_note"])
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
