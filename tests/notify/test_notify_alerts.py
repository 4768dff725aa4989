"""Events as alerts (pure): which subscriptions an event concerns, its labels and fingerprint, and
the impact so far it carries."""

from __future__ import annotations

import datetime as dt

from notifykit import T0, blocking, outage, platform_outage

from netvigil.models.events import RETRACTED, Event
from netvigil.notify.alerts import Filter, alert_of, fingerprint, labels_of, matches
from netvigil.notify.evidence import impact_so_far

ALL = frozenset({"outage", "blocking_began", "blocking_ended", "platform_outage"})


def test_an_event_concerns_the_subscriptions_of_any_part_of_its_scope() -> None:
    event = blocking("lihkg.com", cc="HK", asn="AS4760")
    for entity in ("country:HK", "asn:AS4760", "domain:lihkg.com"):
        assert matches(Filter((entity,), ALL, 0.0), event) == (True, False)
    assert matches(Filter(("country:TW",), ALL, 0.0), event) == (False, False)
    assert matches(Filter(("country:HK",), ALL, 10.0), event) == (False, False)  # score 9
    ends_only = Filter(("country:HK",), frozenset({"blocking_ended"}), 0.0)
    assert matches(ends_only, event) == (False, True)
    assert matches(Filter(("country:HK",), frozenset({"outage"}), 0.0), event) == (False, False)
    assert matches(Filter(("service:telegram",), ALL, 0.0), platform_outage()) == (True, False)


def test_labels_fingerprint_and_status() -> None:
    event = blocking("lihkg.com")
    labels = labels_of(event)
    assert labels["alertname"] == "NetvigilBlocking"
    assert (labels["country"], labels["asn"], labels["domain"]) == ("HK", "AS4760", "lihkg.com")
    assert fingerprint(labels) == fingerprint(dict(reversed(labels.items())))  # order-free
    assert fingerprint(labels) != fingerprint(labels_of(blocking("hkcnews.com")))
    ended = alert_of(blocking("lihkg.com", end=T0 + dt.timedelta(hours=1)), base_url="https://x")
    assert (ended["status"], ended["endsAt"]) == ("resolved", "2024-06-04T13:00:00Z")
    assert labels_of(platform_outage())["alertname"] == "NetvigilPlatformOutage"
    retracted = Event(**{**_fields(blocking("lihkg.com")), "signals": (RETRACTED,)})
    assert alert_of(retracted, base_url="https://x")["status"] == "resolved"


def _fields(event: Event) -> dict[str, object]:
    return {f: getattr(event, f) for f in event.__dataclass_fields__}


def test_impact_so_far() -> None:
    now = T0 + dt.timedelta(hours=3)
    national = impact_so_far(outage("HK", start=T0), now=now)
    assert national["hours"] == 3.0 and national["people_affected"] > 1_000_000
    # A blocked service on one network: the service is costed for the country, said to be an
    # upper bound; a domain and a platform outage are not costed, and say why.
    service = impact_so_far(
        Event(**{**_fields(blocking("x")), "entity": "country:HK/asn:AS4760/service:telegram"}),
        now=now,
    )
    assert service["people_affected"] > 0 and any(
        "upper bound" in a for a in service["assumptions"]
    )
    assert "not a domain" in impact_so_far(blocking("lihkg.com"), now=now)["reason"]
    assert "not a shutdown" in impact_so_far(platform_outage(), now=now)["reason"]
    network = impact_so_far(
        Event(**{**_fields(outage("HK")), "entity": "country:HK/asn:AS4760"}), now=now
    )
    assert "share of the country's people" in network["reason"]
