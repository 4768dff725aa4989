"""Readable titles generated from an incident's facts, in English and Chinese (pure).

"Iran: nationwide mobile internet shutdowns, 21 Sep – 3 Oct 2022" /
"伊朗：全國行動網路斷網，2022年9月21日至10月3日". Built from the country's display name, the
area (or "nationwide"), the controlled type, extent, network and services, and the dates; an
editor's own title (``title`` / ``title_zh``) always wins over the generated one. Simplified
Chinese titles use the same words in simplified characters (``_HANS``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from netvigil.models.catalogue import load_catalogue
from netvigil.models.countries import display_name

LANGS = ("en", "zh_Hant", "zh_Hans")
MAX_AREA = 48  # characters of the area kept in a title; the page shows all of it

# Service display names: the catalogue's labels (keys are the catalogue's service names).
SERVICE_NAMES: dict[str, str] = load_catalogue().labels()

_NETWORK_EN = {"mobile": "mobile internet", "broadband": "broadband internet"}
_NETWORK_ZH = {"mobile": "行動網路", "broadband": "固網寬頻網路"}
# The Traditional words of the Chinese titles and their Simplified (mainland) forms, applied to a
# generated title whole (the country name comes from CLDR in the right script already).
_HANS = (
    ("行動網路", "移动网络"),
    ("固網寬頻網路", "固网宽带网络"),
    ("網路平台", "网络平台"),
    ("網路", "网络"),
    ("斷網", "断网"),
    ("封鎖", "封锁"),
    ("並限速", "并限速"),
    ("及限速", "及限速"),
    ("全國", "全国"),
    ("國家不明", "国家不明"),
    ("開始", "开始"),
)


@dataclass(frozen=True)
class TitleFacts:
    country_code: str | None
    country: str | None  # STOP's name, used only when the code is unknown
    area_name: str | None
    scope_code: str | None
    type_code: str | None
    extent_code: str | None
    network_code: str | None
    services: tuple[str, ...]
    start_date: dt.date | None
    end_date: dt.date | None
    ongoing: bool
    report_year: int | None
    recurring: bool  # several daily windows or episodes: "shutdowns"


def short_area(area: str | None) -> str | None:
    """The first places named, cut at a word boundary: titles stay one line."""
    if not area or not area.strip():
        return None
    text = " ".join(area.split()).rstrip(",.;")
    text = re.split(r"\s*[;(]\s*", text)[0]
    if len(text) <= MAX_AREA:
        return text
    cut = text[:MAX_AREA].rsplit(" ", 1)[0].rstrip(",")
    return cut + "…"


def _services(names: tuple[str, ...], lang: str) -> str:
    shown = [SERVICE_NAMES.get(s, s) for s in names[:3]]
    if len(names) > 3:
        shown.append("…")
    if lang == "zh_Hant":
        return "、".join(shown)
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _what_en(f: TitleFacts) -> str:
    network = _NETWORK_EN.get(f.network_code or "", "internet")
    plural = "s" if f.recurring else ""
    blocked = f"{_services(f.services, 'en')} blocked" if f.services else "platforms blocked"
    if f.extent_code == "service_based":
        return f"{blocked}" + (" and throttled" if f.type_code == "shutdown_and_throttling" else "")
    if f.type_code == "throttling":
        return f"{network} throttling"
    if f.type_code == "shutdown_and_throttling":
        what = f"{network} shutdown{plural} and throttling"
    else:
        what = f"{network} shutdown{plural}"
    if f.extent_code == "full_and_service" and f.services:
        what += f"; {blocked}"
    return what


def _what_zh(f: TitleFacts) -> str:
    network = _NETWORK_ZH.get(f.network_code or "", "")
    services = _services(f.services, "zh_Hant") if f.services else "網路平台"
    if f.extent_code == "service_based":
        return f"封鎖 {services}" + ("並限速" if f.type_code == "shutdown_and_throttling" else "")
    if f.type_code == "throttling":
        return f"{network or '網路'}限速"
    what = f"{network}斷網" + ("及限速" if f.type_code == "shutdown_and_throttling" else "")
    if f.extent_code == "full_and_service" and f.services:
        what += f"，封鎖 {services}"
    return what


def _dates_en(f: TitleFacts) -> str:
    from babel.dates import format_date

    def d(day: dt.date, fmt: str) -> str:
        return str(format_date(day, fmt, locale="en"))

    start, end = f.start_date, f.end_date
    if start is None:
        return str(f.report_year) if f.report_year else "date unknown"
    if end is None or end < start:
        return ("since " if f.ongoing else "from ") + d(start, "d MMM y")
    if start == end:
        return d(start, "d MMM y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{d(end, 'd MMM y')}"
    if start.year == end.year:
        return f"{d(start, 'd MMM')} – {d(end, 'd MMM y')}"
    return f"{d(start, 'd MMM y')} – {d(end, 'd MMM y')}"


def _dates_zh(f: TitleFacts) -> str:
    start, end = f.start_date, f.end_date
    if start is None:
        return f"{f.report_year}年" if f.report_year else "日期不明"
    first = f"{start.year}年{start.month}月{start.day}日"
    if end is None or end < start:
        return first + ("起" if f.ongoing else "開始")
    if start == end:
        return first
    if start.year == end.year:
        return f"{first}至{end.month}月{end.day}日"
    return f"{first}至{end.year}年{end.month}月{end.day}日"


def _country(f: TitleFacts, lang: str) -> str:
    if f.country_code:
        return display_name(f.country_code, lang)
    unknown = {"en": "Unknown country", "zh_Hans": "国家不明"}.get(lang, "國家不明")
    return f.country or unknown


def generate(f: TitleFacts, lang: str = "en") -> str:
    """The generated title of an incident in ``lang`` (en, zh_Hant or zh_Hans)."""
    area = None if f.scope_code == "national" else short_area(f.area_name)
    if lang == "zh_Hans":
        text = generate(f, "zh_Hant").split("：", 1)[-1]
        for hant, hans in _HANS:
            text = text.replace(hant, hans)
        return f"{_country(f, lang)}：{text}"
    if lang == "zh_Hant":
        where = "全國" if f.scope_code == "national" else (f"{area} " if area else "")
        return f"{_country(f, lang)}：{where}{_what_zh(f)}，{_dates_zh(f)}"
    what = _what_en(f)
    if f.scope_code == "national":
        blocked = f.extent_code == "service_based"
        what = f"{what} nationwide" if blocked else f"nationwide {what}"
    elif area:
        what = f"{what} in {area}"
    return f"{_country(f, lang)}: {what}, {_dates_en(f)}"
