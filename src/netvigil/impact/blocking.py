"""The cost of a blocking event about a service: what `netvigil detect` found, priced per service.

A blocking event (``detect.blocking``) names its scope ``country:XX/asn:ASn/service:<name>``
with the one name the service catalogue gives each service; the catalogue maps that name to the
one the estimator costs (``facebook_messenger`` -> ``messenger``). The estimate is a service
shutdown of the event's duration (its end, else ``until``) in its country, on the event's start
date, so a service already blocked there by then is not counted again. An event seen on one
network is costed for the whole country: the network's share of the country's users is not
known here, so the figure is an upper bound (said in the estimate's assumptions). Events about
a domain, or a service the estimator does not cost (Tor), have no estimate (None).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from netvigil.impact.estimate import ImpactEstimate, estimate
from netvigil.models.catalogue import Catalogue, load_catalogue
from netvigil.models.entities import parse_scope
from netvigil.models.events import Event


def blocking_impact(
    event: Event, *, until: datetime | None = None, catalogue: Catalogue | None = None
) -> ImpactEstimate | None:
    """The estimate of ``event`` (None when it is not about a costed service)."""
    if event.kind != "blocking":
        return None
    scope = {e.kind: e.code for e in parse_scope(event.entity)}
    if "service" not in scope or "country" not in scope:
        return None
    service = (catalogue or load_catalogue()).find(scope["service"])
    if service is None or service.impact_name is None:
        return None
    end = event.end or until
    if end is None:
        raise ValueError("an ongoing event needs `until` (the moment to cost it up to)")
    hours = (end - event.start).total_seconds() / 3600
    found = estimate(
        scope["country"],
        hours,
        shutdown_type="service",
        services=(service.impact_name,),
        catalogue=catalogue,
        on=event.start.date(),
    )
    if "asn" not in scope:
        return found
    note = (
        f"the block was seen on network {scope['asn']} only; the estimate counts the whole "
        "country (that network's share of users is not known): an upper bound"
    )
    return dataclasses.replace(found, assumptions=(*found.assumptions, note))
