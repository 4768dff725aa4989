"""Verdict rows -> per-bin counts: what counts as usable, down, blocked, and about which target."""

from __future__ import annotations

from datetime import datetime

from netvigil.models.catalogue import load_catalogue
from netvigil.pipeline.bins import Targets, count, points, tally

AT = datetime(2024, 3, 1, 0, 0, 7)  # naive UTC, as the store returns it


def _row(domain: str, outcome: str, rule: str, blocking: str, accessible: bool | None,
         cc: str = "XA", asn: str = "AS64496") -> dict[str, object]:  # fmt: skip
    return {"measurement_start_time": AT, "probe_cc": cc, "probe_asn": asn,
            "test_name": "web_connectivity", "domain": domain, "outcome": outcome,
            "blocking": blocking, "accessible": accessible, "rule_id": rule}  # fmt: skip


def test_a_probe_that_reached_no_test_helper_is_not_usable_volume() -> None:
    # OONI's rules call a measurement whose lookups failed with no control at all accessible
    # (wc.dns.no_control.v1): that is what a cut-off network's probe records.
    rows = [
        _row("news.example", "ok", "wc.http.match.v1", "false", True),
        _row("news.example", "ok", "wc.dns.no_control.v1", "false", True),
        _row("news.example", "failure", "wc.control.missing.v1", "None", None),
    ]
    [b] = count(rows, 10, Targets(load_catalogue())).values()
    assert b.total["asn:AS64496"] == 3 and b.usable["asn:AS64496"] == 1
    assert b.scoped["country:XA/asn:AS64496/domain:news.example"] == 1  # only the judged one


def test_websites_of_a_service_are_the_service_and_down_is_no_blocking_evidence() -> None:
    rows = [
        _row("signal.org", "anomaly", "wc.tls.failure.v1", "http-failure", False),
        _row("web.telegram.org", "ok", "wc.tcp.down.v1", "false", False),  # control failed too
        _row("web.telegram.org", "ok", "wc.https.ok.v1", "false", True, cc="XB", asn="AS64497"),
    ]
    bins = count(rows, 10, Targets(load_catalogue()))
    t = min(bins)
    now = tally(bins, t, 10, 1)
    assert now.blocked == {  # XA's telegram measurement is down: no evidence either way
        "country:XA/asn:AS64496/service:signal": (1, 1),
        "country:XB/asn:AS64497/service:telegram": (0, 1),
    }
    assert now.down == {"service:signal": (0, 1), "service:telegram": (1, 2)}
    assert now.down_networks["service:telegram"] == {"country:XA/asn:AS64496"}
    assert now.measuring["service:telegram"] == {
        "country:XA/asn:AS64496",
        "country:XB/asn:AS64497",
    }
    found = {(p.entity_type, p.entity_code, p.signal): p.value for p in points(bins)}
    assert found[("service", "telegram", "down_share")] == 0.5
    assert found[("country", "XA", "telegram.reachable")] == 1.0  # OONI's ok bucket
    assert found[("asn", "AS64497", "usable_measurements")] == 1.0
