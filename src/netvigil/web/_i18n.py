"""Translations of the public pages: gettext catalogues read from ``.po`` files at start-up.

The ``.po`` files under ``locales/<lang>/LC_MESSAGES/messages.po`` are the source of truth kept in
the repository; they are compiled in memory (Babel's ``write_mo`` into a buffer, read back by
``babel.support.Translations``) so there is no compile step and no ``.mo`` file to go stale.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# The languages shipped, in the order the language switcher shows them, with their own names.
LANGUAGES: Mapping[str, str] = {"en": "English", "zh_Hant": "繁體中文", "zh_Hans": "简体中文"}
# The BCP 47 tag of each language, for ``<html lang>`` and ``hreflang`` (``zh_Hant`` is a
# gettext/Babel locale name, not a valid language tag).
BCP47: Mapping[str, str] = {"en": "en", "zh_Hant": "zh-Hant", "zh_Hans": "zh-Hans"}
LANG_COOKIE = "lang"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (translated where shown)."""
    return message


# Values shown through ``_(value)`` in templates: tracker vocabularies (statuses, roles, evidence
# and instrument kinds). Listed here so the catalogue extractor sees them.
VOCABULARY: tuple[str, ...] = (
    N_("reported"),
    N_("corroborated"),
    N_("verified"),
    N_("published"),
    N_("withdrawn"),
    N_("dismissed"),
    N_("viewer"),
    N_("editor"),
    N_("admin"),
    N_("measurement"),
    N_("event"),
    N_("url"),
    N_("document"),
    N_("law"),
    N_("emergency_regulation"),
    N_("cybercrime_law"),
    N_("treaty"),
    N_("decree"),
    N_("court_order"),
    N_("other"),
)


def load_catalogue(lang: str, locales_dir: Path = LOCALES_DIR) -> NullTranslations:
    """The gettext translations for ``lang`` (identity for the source language)."""
    po_path = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == SOURCE_LANGUAGE or not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


@dataclass(frozen=True)
class Catalogues:
    """Every shipped language's translations, loaded once per app."""

    by_lang: Mapping[str, NullTranslations]
    default: str

    @classmethod
    def load(cls, default: str = SOURCE_LANGUAGE) -> Catalogues:
        return cls({lang: load_catalogue(lang) for lang in LANGUAGES}, normalise(default) or "en")

    def get(self, lang: str) -> NullTranslations:
        return self.by_lang.get(lang) or self.by_lang[SOURCE_LANGUAGE]


def normalise(tag: str) -> str | None:
    """Map a language tag (``zh-TW``, ``zh_Hant``, ``en-GB``...) to a shipped language or None."""
    tag = tag.strip()
    if not tag or tag == "*":
        return None
    if tag in LANGUAGES:
        return tag
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None
    if locale.language == "en":
        return "en"
    if locale.language == "zh":
        # Traditional script: explicitly Hant, or the territories that write it by default;
        # otherwise Simplified (zh, zh-CN, zh-SG, zh-Hans).
        traditional = locale.script == "Hant" or (
            locale.script != "Hans" and locale.territory in ("TW", "HK", "MO")
        )
        return "zh_Hant" if traditional else "zh_Hans"
    return None


def from_accept_language(header: str) -> str | None:
    """The best shipped language for an ``Accept-Language`` header, honouring q-values."""
    ranked: list[tuple[float, int, str]] = []
    for pos, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, pos, tag))
    for _, _, tag in sorted(ranked):
        lang = normalise(tag)
        if lang is not None:
            return lang
    return None


def choose_language(
    query: str | None, cookie: str | None, accept_language: str | None, default: str
) -> str:
    """``?lang=`` beats the ``lang`` cookie beats ``Accept-Language`` beats the configured one."""
    for candidate in (query, cookie):
        if candidate:
            lang = normalise(candidate)
            if lang is not None:
                return lang
    if accept_language:
        lang = from_accept_language(accept_language)
        if lang is not None:
            return lang
    return default
