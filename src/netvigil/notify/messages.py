"""What a person reads: the email made from a notification (plain text and HTML), in English or
Traditional Chinese. Rendered from the delivery's payload only, so the message holds nothing the
webhook receiver did not get (public event data, measurement verdicts, impact figures)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).with_name("templates")

# The email's own words in each language (the alert's summary and description are English: they
# are Alertmanager annotations, which receivers show as they are).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "firing": "FIRING",
        "resolved": "RESOLVED",
        "event": "Event",
        "entity": "Where / what",
        "since": "Since",
        "until": "Until",
        "ongoing": "ongoing",
        "signals": "Signals",
        "detector": "Detector",
        "measurements": "Measurements (in netvigil's store, with their verdicts)",
        "none": "none listed",
        "impact": "People affected and cost so far",
        "no_impact": "No estimate",
        "people": "people affected",
        "cost": "cost so far",
        "feed": "This subscription's Atom feed",
        "unsubscribe": "Unsubscribe (one click)",
        "why": "You receive this because you subscribed to netvigil alerts for",
    },
    "zh_Hant": {
        "firing": "警報",
        "resolved": "已解除",
        "event": "事件",
        "entity": "地點／對象",
        "since": "開始",
        "until": "結束",
        "ongoing": "持續中",
        "signals": "訊號",
        "detector": "偵測器",
        "measurements": "量測（netvigil 資料庫中，附判定）",
        "none": "沒有列出",
        "impact": "受影響人數與目前成本",
        "no_impact": "沒有估算",
        "people": "人受影響",
        "cost": "目前成本",
        "feed": "此訂閱的 Atom 資訊提供",
        "unsubscribe": "取消訂閱（一鍵）",
        "why": "你收到此訊息，是因為你訂閱了 netvigil 的警報：",
    },
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def _env(autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=autoescape, default_for_string=autoescape),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def subject_of(notification: Mapping[str, Any], language: str = "en") -> str:
    words = WORDS.get(language, WORDS["en"])
    alerts = notification["alerts"]
    firing = [a for a in alerts if a["status"] == "firing"]
    head = words["firing"] if firing else words["resolved"]
    first = (firing or alerts)[0]["annotations"]["summary"]
    more = f" (+{len(alerts) - 1})" if len(alerts) > 1 else ""
    # One line, no control characters: a subject is a header.
    return " ".join(f"[netvigil] {head}: {first}{more}".split())[:200]


def render_email(notification: Mapping[str, Any], *, language: str = "en") -> Rendered:
    words = WORDS.get(language, WORDS["en"])
    data = {"n": notification, "w": words, "language": language}
    text = _env(False).get_template("alert_email.txt").render(**data)
    html = _env(True).get_template("alert_email.html").render(**data)
    return Rendered(subject_of(notification, language), text, html)
