"""A blocking event about a service is costed per service, through the catalogue's one name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netvigil.impact import estimate
from netvigil.impact.blocking import blocking_impact
from netvigil.models.events import Event

START = datetime(2024, 6, 11, 8, tzinfo=UTC)


def _event(entity: str, hours: float | None = 6) -> Event:
    end = None if hours is None else START + timedelta(hours=hours)
    return Event(entity, "blocking", START, end, 4.2, ("telegram.reachable",), "cusum", "1", START)


def test_a_service_block_on_a_network_is_a_service_shutdown_of_its_duration() -> None:
    found = blocking_impact(_event("country:HK/asn:AS4760/service:telegram"))
    assert found is not None
    assert (found.shutdown_type, found.services, found.hours) == ("service", ("telegram",), 6)
    same = estimate("HK", 6, shutdown_type="service", services=("telegram",), on=START.date())
    assert found.range == same.range  # the estimator's own figure, not another formula
    assert any("AS4760" in a and "upper bound" in a for a in found.assumptions)


def test_the_catalogue_maps_the_test_name_to_the_costed_name() -> None:
    found = blocking_impact(_event("country:HK/service:facebook_messenger", 2))
    assert found is not None and found.services == ("messenger",)
    assert not any("upper bound" in a for a in found.assumptions)  # national: no network note


def test_an_ongoing_event_is_costed_up_to_now_and_others_are_not_costed() -> None:
    ongoing = _event("country:HK/service:whatsapp", None)
    found = blocking_impact(ongoing, until=START + timedelta(hours=3))
    assert found is not None and found.hours == 3
    assert blocking_impact(_event("country:HK/service:tor")) is None  # Tor is not costed
    assert blocking_impact(_event("country:HK/asn:AS4760/domain:lihkg.com")) is None
