"""One country resolver for every layer: STOP import, impact, the command line and the site.

A country is named many ways: Access Now's sheets write "Iran (Islamic Republic of)", "Iran",
"DemocraticRepublicCongo", "SriLanka"; ISO 3166 writes "Iran, Islamic Republic of"; CLDR (the
names the site shows, in each of its languages) writes "Iran" / "伊朗", "Congo - Kinshasa" /
"剛果（金夏沙）"; people write codes (IR, IRN) and everyday names ("Russia", "UK", "Burma").
:func:`resolve` accepts all of them and gives one :class:`Country`; :func:`display_name` gives the
name this audience reads, per language.

Built on pycountry (ISO 3166 names and codes) and Babel's CLDR territory names, both maintained
and already dependencies; country_converter would add pandas for the same lookups. What neither
knows is listed here: STOP's spellings, a few everyday names, and the display names chosen for
the site's readers (CLDR's "Hong Kong SAR China" and ISO's "Taiwan, Province of China" are
politically loaded for a Hong Kong / Taiwan audience: the site says "Hong Kong" and "Taiwan").
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from netvigil._errors import InputError, UnknownEntityError

# The site's languages (netvigil.web._i18n.LANGUAGES), as CLDR locale ids.
LANGUAGES: tuple[str, ...] = ("en", "zh_Hant", "zh_Hans")

# Codes used by the data that ISO 3166-1 does not assign (CLDR and the World Bank use XK).
EXTRA_CODES: dict[str, tuple[str, str]] = {"XK": ("XKX", "Kosovo")}

# Display names for this audience where CLDR's default is longer or loaded (per language).
DISPLAY: dict[str, dict[str, str]] = {
    "HK": {"en": "Hong Kong", "zh_Hant": "香港", "zh_Hans": "香港"},
    "MO": {"en": "Macao", "zh_Hant": "澳門", "zh_Hans": "澳门"},
    "TW": {"en": "Taiwan", "zh_Hant": "台灣", "zh_Hans": "台湾"},
    "CD": {"en": "DR Congo", "zh_Hant": "剛果民主共和國", "zh_Hans": "刚果民主共和国"},
    "CG": {"en": "Republic of the Congo", "zh_Hant": "剛果共和國", "zh_Hans": "刚果共和国"},
    "MM": {"en": "Myanmar", "zh_Hant": "緬甸", "zh_Hans": "缅甸"},
    "PS": {"en": "Palestine", "zh_Hant": "巴勒斯坦", "zh_Hans": "巴勒斯坦"},
    "CI": {"en": "Côte d'Ivoire", "zh_Hant": "象牙海岸", "zh_Hans": "科特迪瓦"},
    "TR": {"en": "Turkey", "zh_Hant": "土耳其", "zh_Hans": "土耳其"},
}

# Names neither ISO nor CLDR lists: STOP's spellings (checked against the 2016-2022 workbook and
# the 2020 CSV) and everyday names. Keys are compared after normalise().
ALIASES: dict[str, str] = {
    "democratic republic congo": "CD",
    "democratic republic of the congo": "CD",
    "democratic republic of congo": "CD",
    "drc": "CD",
    "dr congo": "CD",
    "republic of the congo": "CG",
    "congo brazzaville": "CG",
    "iran": "IR",
    "russia": "RU",
    "syria": "SY",
    "palestine": "PS",
    "venezuela": "VE",
    "tanzania": "TZ",
    "bolivia": "BO",
    "north korea": "KP",
    "south korea": "KR",
    "turkey": "TR",
    "vietnam": "VN",
    "laos": "LA",
    "moldova": "MD",
    "ivory coast": "CI",
    "swaziland": "SZ",
    "the gambia": "GM",
    "burma": "MM",
    "kosovo": "XK",
    # Somaliland is not a recognised state; STOP records its shutdowns under its own name and
    # every indicator table counts it in Somalia.
    "somaliland": "SO",
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "usa": "US",
    "taiwan": "TW",
}


@dataclass(frozen=True)
class Country:
    alpha_2: str
    alpha_3: str
    name: str  # the English display name (display_name(alpha_2, "en"))

    def display(self, lang: str = "en") -> str:
        return display_name(self.alpha_2, lang)


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, camel case split, spaces collapsed:
    "DemocraticRepublicCongo" -> "democratic republic congo", "Côte d’Ivoire" -> "cote d ivoire"."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _locale(lang: str) -> object:
    from babel import Locale

    return Locale.parse(lang)


@cache
def _cldr(lang: str) -> dict[str, str]:
    """CLDR territory names in ``lang`` for two-letter codes."""
    territories = getattr(_locale(lang), "territories", {})
    return {k: str(v) for k, v in territories.items() if len(k) == 2 and k.isalpha()}


@cache
def _records() -> dict[str, tuple[str, str]]:
    """alpha_2 -> (alpha_3, ISO name) for every country."""
    import pycountry

    out = {str(c.alpha_2): (str(c.alpha_3), str(c.name)) for c in pycountry.countries}
    out.update(EXTRA_CODES)
    return out


@cache
def _index() -> dict[str, str]:
    """Every known name or code, normalised -> alpha_2."""
    import pycountry

    index: dict[str, str] = {}

    def add(name: str | None, code: str) -> None:
        if name:
            index.setdefault(normalise(name), code)

    records = _records()
    for code, (alpha_3, name) in records.items():
        add(code, code)
        add(alpha_3, code)
        add(name, code)
    for record in pycountry.countries:
        for attr in ("official_name", "common_name"):
            add(getattr(record, attr, None), str(record.alpha_2))
        if "," in record.name:  # "Iran, Islamic Republic of" -> "Iran (Islamic Republic of)"
            head, _, tail = str(record.name).partition(",")
            add(f"{head} ({tail.strip()})", str(record.alpha_2))
    for lang in LANGUAGES:
        for code, name in _cldr(lang).items():
            if code in records:
                add(name, code)
    for code, names in DISPLAY.items():
        for name in names.values():
            add(name, code)
    for alias, code in ALIASES.items():
        index[normalise(alias)] = code
    return index


def lookup(text: str | None) -> Country | None:
    """The country ``text`` names, or None (no guessing: an exact name, alias or code)."""
    if text is None or not text.strip():
        return None
    code = _index().get(normalise(text))
    if code is None and "(" in text:  # "Venezuela (Bolivarian Republic of)" -> "Venezuela"
        code = _index().get(normalise(text.partition("(")[0]))
    return None if code is None else country(code)


def country(code: str) -> Country:
    """The Country of an alpha-2 code (KeyError if unknown)."""
    code = code.upper()
    alpha_3, _ = _records()[code]
    return Country(alpha_2=code, alpha_3=alpha_3, name=display_name(code, "en"))


def code_for(text: str | None) -> str | None:
    """ISO alpha-2 (or XK) for a name or code, None when unknown."""
    found = lookup(text)
    return None if found is None else found.alpha_2


def resolve(text: str) -> Country:
    """A country from any of its names or codes; UnknownEntityError with the closest matches
    otherwise (a fuzzy match is never taken silently: costing the wrong country is worse)."""
    if not text or not text.strip():
        raise InputError("a country is required (ISO code or name)", field="country")
    found = lookup(text)
    if found is None:
        raise UnknownEntityError("country", text.strip(), suggestions(text))
    return found


def suggestions(text: str, n: int = 3) -> list[str]:
    """Closest known names, as "Name (CODE)", best first."""
    index = _index()
    picked: list[str] = []
    for key in difflib.get_close_matches(normalise(text), list(index), n=8, cutoff=0.6):
        label = f"{display_name(index[key])} ({index[key]})"
        if label not in picked:
            picked.append(label)
    return picked[:n]


def display_name(code: str, lang: str = "en") -> str:
    """The name the site shows for ``code`` in ``lang`` (en, zh_Hant, zh_Hans): the audience's
    choice where DISPLAY has one, else CLDR's, else ISO's."""
    code = code.upper()
    lang = lang if lang in LANGUAGES else "en"
    chosen = DISPLAY.get(code, {}).get(lang)
    if chosen:
        return chosen
    cldr = _cldr(lang).get(code)
    if cldr:
        return cldr
    record = _records().get(code)
    return record[1] if record else code


def all_countries(lang: str = "en") -> list[tuple[str, str]]:
    """(code, display name) for every country, sorted by the name in ``lang``."""
    return sorted(((c, display_name(c, lang)) for c in _records()), key=lambda item: item[1])
