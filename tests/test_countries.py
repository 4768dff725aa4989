"""One country resolver for import, impact, CLI and site (netvigil.models.countries)."""

from __future__ import annotations

import pytest

from netvigil._errors import UnknownEntityError
from netvigil.models import countries


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # STOP's own spellings (2016-2022 workbook, 2020 CSV)
        ("Iran (Islamic Republic of)", "IR"),
        ("Iran", "IR"),
        ("DemocraticRepublicCongo", "CD"),
        ("Democratic Republic of the Congo", "CD"),
        ("Congo", "CG"),
        ("SriLanka", "LK"),
        ("Venezuela (Bolivarian Republic of)", "VE"),
        ("Venezuela, Bolivarian Republic of", "VE"),
        ("Palestine, State of", "PS"),
        ("Syrian Arab Republic", "SY"),
        ("Tanzania, United Republic of", "TZ"),
        ("Viet Nam", "VN"),
        ("Côte d'Ivoire", "CI"),
        ("Somaliland", "SO"),
        # ISO names and codes
        ("Taiwan, Province of China", "TW"),
        ("hkg", "HK"),
        ("ir", "IR"),
        # CLDR names in the site's languages
        ("Congo - Kinshasa", "CD"),
        ("Hong Kong SAR China", "HK"),
        ("伊朗", "IR"),
        ("香港", "HK"),
        ("台灣", "TW"),
        # everyday names
        ("Russia", "RU"),
        ("Burma", "MM"),
        ("UK", "GB"),
    ],
)
def test_every_way_of_naming_a_country(name: str, code: str) -> None:
    assert countries.resolve(name).alpha_2 == code


def test_display_names_chosen_for_this_audience() -> None:
    assert countries.display_name("TW") == "Taiwan"
    assert countries.display_name("HK") == "Hong Kong"
    assert countries.display_name("HK", "zh_Hant") == "香港"
    assert countries.display_name("IR", "zh_Hant") == "伊朗"
    assert countries.display_name("CD") == "DR Congo"
    assert countries.resolve("Iran (Islamic Republic of)").name == "Iran"


def test_unknown_names_are_refused_with_suggestions() -> None:
    with pytest.raises(UnknownEntityError) as caught:
        countries.resolve("Ethiopa")
    assert "Ethiopia (ET)" in caught.value.suggestions
    assert countries.lookup("Narnia") is None and countries.code_for("") is None
