"""Language choice and the shipped catalogues."""

from __future__ import annotations

import pytest

from netvigil.web._i18n import LANGUAGES, choose_language, from_accept_language, load_catalogue


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("zh-TW", "zh_Hant"), ("zh-Hant", "zh_Hant"), ("zh-HK", "zh_Hant"), ("zh_Hant", "zh_Hant"),
     ("en-GB", "en"), ("zh-CN", None), ("fr", None), ("*", None), ("", None), ("x-klingon", None)],
)
def test_accept_language_tags(tag: str, expected: str | None) -> None:
    assert from_accept_language(tag) == expected


def test_accept_language_honours_q_values() -> None:
    assert from_accept_language("en;q=0.3, zh-TW;q=0.9") == "zh_Hant"
    assert from_accept_language("fr-FR, zh-TW;q=0.8, en;q=0.9") == "en"
    assert from_accept_language("zh-TW;q=0, en") == "en"


def test_query_beats_cookie_beats_header_beats_default() -> None:
    assert choose_language("zh_Hant", "en", "en", "en") == "zh_Hant"
    assert choose_language(None, "zh_Hant", "en", "en") == "zh_Hant"
    assert choose_language(None, None, "zh-TW", "en") == "zh_Hant"
    assert choose_language("klingon", None, None, "en") == "en"


def test_every_shipped_language_has_a_complete_catalogue() -> None:
    from babel.messages.pofile import read_po

    from netvigil.web._i18n import LOCALES_DIR

    with (LOCALES_DIR / "zh_Hant" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    assert set(LANGUAGES) == {"en", "zh_Hant"}
    assert load_catalogue("zh_Hant").gettext("Incidents") == "事件"
