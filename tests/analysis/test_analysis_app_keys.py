"""The app tests' summary keys re-derived from their events agree with what OONI's probes wrote.

``../shared/data/ooni/nettest_examples`` holds OONI's published example of every version of the
telegram, whatsapp, signal, facebook_messenger and tor tests (PROVENANCE.md): each summary key
the probe wrote is derived again from the measurement's own records (``analysis.app_keys``) and
must agree. Facebook's answers in the 2017 example carry no ASN: the fixture
``facebook_prefixes.csv`` gives the two prefixes they fall in (31.13.64.0/18 and
69.171.224.0/19, announced by Facebook's AS32934, as RIPE's routing data shows).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from netvigil.analysis.app_keys import TESTS, UNKNOWN, derive, disagreements
from netvigil.analysis.iptable import IpTable
from nvtest import shared_path

FIXTURES = Path(__file__).parent / "fixtures"


def _examples() -> list[tuple[int, dict[str, Any]]]:
    path = shared_path("ooni", "nettest_examples", "examples.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [(n, json.loads(line)) for n, line in enumerate(lines, 1)]
    return [(n, m) for n, m in found if m.get("test_name") in TESTS]


@pytest.fixture(scope="module")
def facebook_asns() -> IpTable:
    return IpTable.load(FIXTURES / "facebook_prefixes.csv")


def _compared(m: dict[str, Any], asn_of: Any) -> list[str]:
    derived = derive(m, asn_of=asn_of)
    return [k for k, v in derived.items() if v is not UNKNOWN and k in m["test_keys"]]


def test_every_summary_key_of_every_example_is_derived_again_and_agrees(
    facebook_asns: IpTable,
) -> None:
    compared: dict[str, int] = {}
    versions: dict[str, set[str]] = {}
    for line, m in _examples():
        asn_of = facebook_asns.asn_of
        assert disagreements(m, asn_of=asn_of) == {}, (line, m["test_name"], m["test_version"])
        compared[m["test_name"]] = compared.get(m["test_name"], 0) + len(_compared(m, asn_of))
        versions.setdefault(m["test_name"], set()).add(m["test_version"])
    # not vacuous: every key of every version that has them was compared
    assert compared == {
        "whatsapp": 18,  # 0.10.0, 0.8.0, 0.5.0: 6 keys each (endpoints blocked list included)
        "facebook_messenger": 15,  # 13 per-host keys + the two blocking flags
        "telegram": 16,  # 0.3.0 twice, 0.0.5, 0.0.4: the four keys each
        "tor": 22,  # counts of 0.1.0 x3 (one before or_port_dirauth); 0.0.1 has none
        "signal": 8,  # 0.2.5, 0.2.3, 0.2.0 x2: status and failure
    }
    assert {t: len(v) for t, v in versions.items()} == {
        "whatsapp": 3, "facebook_messenger": 1, "telegram": 3, "tor": 2, "signal": 3,
    }  # fmt: skip


def _line(n: int) -> dict[str, Any]:
    return copy.deepcopy(dict(_examples())[n])


def test_a_summary_that_contradicts_its_events_is_caught() -> None:
    # telegram 0.3.0 (line 17): every data centre reset after connecting -> HTTP blocked, TCP not
    m = _line(17)
    for request in m["test_keys"]["requests"]:
        if "web.telegram.org" not in request["request"]["url"]:
            request["failure"] = "connection_reset"
    assert disagreements(m) == {"telegram_http_blocking": (False, True)}
    # ... and with every connect failing too, TCP is blocked as well
    for entry in m["test_keys"]["tcp_connect"]:
        if entry["ip"] != "149.154.167.99":
            entry["status"] = {"failure": "generic_timeout_error", "success": False}
    assert disagreements(m)["telegram_tcp_blocking"] == (False, True)


def test_whatsapp_web_failure_and_signal_backend_failure_are_read_from_requests() -> None:
    m = _line(13)
    web = next(r for r in m["test_keys"]["requests"] if "web.whatsapp" in r["request"]["url"])
    web["failure"] = "connection_reset"
    assert disagreements(m) == {
        "whatsapp_web_status": ("ok", "blocked"),
        "whatsapp_web_failure": (None, "connection_reset"),
    }
    s = _line(37)
    s["test_keys"]["requests"][1]["failure"] = "ssl_unknown_authority"
    assert derive(s)["signal_backend_failure"] == "ssl_unknown_authority"
    assert set(disagreements(s)) == {"signal_backend_status", "signal_backend_failure"}


def test_facebook_answers_outside_facebooks_network_are_inconsistent(
    facebook_asns: IpTable,
) -> None:
    m = _line(16)
    query = next(q for q in m["test_keys"]["queries"] if q["hostname"] == "star.c10r.facebook.com")
    query["answers"] = [{"answer_type": "A", "ipv4": "10.10.34.35"}]  # a censor's bogon
    derived = derive(m, asn_of=facebook_asns.asn_of)
    assert derived["facebook_star_dns_consistent"] is False
    assert derived["facebook_star_reachable"] is None  # not judged once the DNS lied
    assert derived["facebook_dns_blocking"] is True
    # without an ASN for the answers, DNS cannot be judged at all
    assert derive(_line(16))["facebook_dns_blocking"] is UNKNOWN


def test_tor_counts_come_from_each_targets_failure() -> None:
    m = _line(25)
    targets = m["test_keys"]["targets"]
    first_obfs4 = next(t for t in targets.values() if t["target_protocol"] == "obfs4")
    first_obfs4["failure"] = "connection_refused"
    written = m["test_keys"]["obfs4_accessible"]
    assert disagreements(m) == {"obfs4_accessible": (written, written - 1)}
