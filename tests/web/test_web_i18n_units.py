"""Language choice, the shipped catalogues, and public pages rendered in Traditional Chinese."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from web_support import Seeded

from netvigil.web._i18n import (
    LANGUAGES,
    LOCALES_DIR,
    choose_language,
    from_accept_language,
    load_catalogue,
)

WEB_DIR = LOCALES_DIR.parent


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-TW", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh_Hant", "zh_Hant"),
        ("en-GB", "en"),
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-Hans-HK", "zh_Hans"),
        ("fr", None),
        ("*", None),
        ("", None),
        ("x-klingon", None),
    ],
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


def _extracted_messages() -> set[object]:
    found = [
        *extract_from_dir(
            str(WEB_DIR),
            method_map=[("**.html", "jinja2"), ("**.py", "python")],
            options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
            keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
        )
    ]
    # The policy vocabularies' labels are shown on pages through gettext too.
    policy = extract_from_file("python", str(WEB_DIR.parent / "policy" / "vocab.py"),
                               keywords={"N_": None})  # fmt: skip
    return {msg for _, _, msg, _, _ in found} | {msg for _, msg, _, _ in policy}


@pytest.mark.parametrize("lang", ["zh_Hant", "zh_Hans"])
def test_every_message_in_the_code_is_translated(lang: str) -> None:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and all(m.string) and not m.fuzzy}
    used = _extracted_messages()
    assert len(used) > 100
    missing = sorted(str(m) for m in used if m not in translated)
    assert missing == [], "run the catalogue update described in docs/api.md"
    assert set(LANGUAGES) == {"en", "zh_Hant", "zh_Hans"}
    assert load_catalogue("zh_Hant").gettext("Incidents") == "事件"
    assert load_catalogue("zh_Hans").gettext("Laws and treaties") == "法律与条约"


def test_public_page_renders_in_traditional_chinese(client: TestClient, seeded: Seeded) -> None:
    page = client.get(f"/incidents/{seeded.published_id}?lang=zh_Hant")
    assert page.status_code == 200
    assert '<html lang="zh-Hant">' in page.text
    for text in ("時間軸", "證據", "法律依據", "受影響人數", "事件由人員記錄"):
        assert text in page.text, text
    assert "Timeline" not in page.text
    # The choice sticks (cookie) and Accept-Language alone also selects it.
    assert page.cookies.get("lang") == "zh_Hant"
    assert "沒有符合篩選條件的事件" in client.get("/incidents?country=PK").text
    client.cookies.clear()
    fresh = client.get("/incidents", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    assert "1 起事件" in fresh.text
    assert "1 incident" in client.get("/incidents?lang=en").text


def test_json_twin_is_language_neutral(client: TestClient, seeded: Seeded) -> None:
    en = client.get(f"/incidents/{seeded.published_id}.json?lang=en").json()
    zh = client.get(f"/incidents/{seeded.published_id}.json?lang=zh_Hant").json()
    assert en == zh


def test_every_codebook_label_is_translated_to_zh_hant() -> None:
    """The filters and the incident page show codebook labels through _(): each needs zh-Hant."""
    from netvigil.incidents.vocab import VOCABULARIES

    catalogue = load_catalogue("zh_Hant")
    labels = {t.label for v in VOCABULARIES for t in v.terms} | {v.label for v in VOCABULARIES}
    untranslated = sorted(label for label in labels if catalogue.gettext(label) == label)
    assert untranslated == []
    assert catalogue.gettext("Throttling") == "限速"
