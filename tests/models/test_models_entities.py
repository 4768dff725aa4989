"""Entities: one spelling per thing an event, signal or subscription is about."""

from __future__ import annotations

import pytest

from netvigil._errors import InputError
from netvigil.models.entities import NETWORK_KINDS, Entity, format_scope, parse_scope


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("country:hk", "country:HK"),
        ("asn:4760", "asn:AS4760"),
        ("asn:as04760", "asn:AS4760"),
        ("region:1473", "region:1473"),
        ("service:Telegram", "service:telegram"),
        ("domain:LIHKG.com.", "domain:lihkg.com"),
        ("Country:IR", "country:IR"),
    ],
)
def test_parse_normalises_what_people_type(typed: str, stored: str) -> None:
    entity = Entity.parse(typed)
    assert str(entity) == stored
    assert Entity.parse(stored) == entity  # the stored spelling reads back to the same entity


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("HK", "must look like country:XX"),
        ("planet:earth", "must look like"),
        ("country:", "must look like"),
        ("country:HKG", "two letters"),
        ("asn:AS47x0", "AS12345"),
        ("service:tele gram", "lower-case letters"),
        ("domain:a b.com", "host name"),
        ("region:a/b", "one word"),
    ],
)
def test_bad_entities_are_refused_with_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says) as caught:
        Entity.parse(text)
    assert caught.value.field == "entity"


def test_kinds_can_be_limited_to_what_a_signal_is_about() -> None:
    assert str(Entity.parse("asn:AS12880", kinds=NETWORK_KINDS)) == "asn:AS12880"
    with pytest.raises(InputError, match=r"country:XX, region:<code> or asn:AS<number>"):
        Entity.parse("service:tor", kinds=NETWORK_KINDS)


def test_scopes_round_trip() -> None:
    text = "country:IR/asn:AS197207/service:tor"
    scope = parse_scope(text)
    assert [e.kind for e in scope] == ["country", "asn", "service"]
    assert format_scope(scope) == text
    assert parse_scope("country:IR/asn:AS197207/domain:twitter.com")[-1] == Entity(
        "domain", "twitter.com"
    )
    with pytest.raises(InputError, match="empty part"):
        parse_scope("country:IR//service:tor")
