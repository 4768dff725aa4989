"""The scenario catalogue and the censor's rules as data (no root needed)."""

from __future__ import annotations

import ipaddress

import dns.message
import dns.rcode

from netvigil.lab.censor import FAULT_CHAIN, SEAL_CHAIN, iptables_rules, qname_hex
from netvigil.lab.dns_server import Answers
from netvigil.lab.plan import LAB_SUBNETS, make_plan
from netvigil.lab.scenarios import ALL_SCENARIOS
from nvtest import REPO

NETS = [ipaddress.ip_network(n) for n in LAB_SUBNETS]


def test_qname_is_matched_as_dns_wire_labels() -> None:
    # Length-prefixed labels plus the root label: "x.org" can never match "ax.org" or "x.org.evil".
    assert qname_hex("www.x.org") == "|03|www|01|x|03|org|00|"
    assert qname_hex("dns-bogon.lab.example.") == "|09|dns-bogon|03|lab|07|example|00|"


def test_no_censored_name_is_a_substring_of_another_name() -> None:
    # SNI and Host rules match raw strings: one scenario's rule must not hit another's traffic.
    hosts = {h for s in ALL_SCENARIOS for h in [*(x.host for x in s.sites), s.url.split("/")[2]]}
    hosts = {h.split(":")[0] for h in hosts}
    for a in hosts:
        for b in hosts - {a}:
            assert a not in b, (a, b)


def test_every_site_address_is_test_net_and_its_own() -> None:
    addresses = [x.address for s in ALL_SCENARIOS for x in s.sites if x.address]
    lab = [a for a in addresses if not ipaddress.ip_address(a).is_loopback]
    assert len(lab) == len(set(lab))  # loopback (localhost scenarios) is each namespace's own
    for addr in lab:
        assert any(ipaddress.ip_address(addr) in net for net in NETS), addr


def test_seal_comes_after_faults_and_lab_subnets() -> None:
    rules = [" ".join(r) for _, r in iptables_rules(make_plan(ALL_SCENARIOS).faults)]
    forward = [r for r in rules if r.startswith("-A FORWARD")]
    assert forward[0].endswith(f"-j {FAULT_CHAIN}")
    assert forward[-1] == f"-A FORWARD -j {SEAL_CHAIN}"
    assert "-P FORWARD DROP" in rules


def test_lying_resolver_lies_only_about_censored_names() -> None:
    plan = make_plan(ALL_SCENARIOS)
    liar = Answers(plan.zone, plan.lies, lie=True)
    truth = Answers(plan.zone, plan.lies, lie=False)

    def ask(server: Answers, name: str, qtype: str = "A") -> tuple[str, list[str]]:
        reply = dns.message.from_wire(server.respond(dns.message.make_query(name, qtype).to_wire()))
        return dns.rcode.to_text(reply.rcode()), [r.to_text() for a in reply.answer for r in a]

    assert ask(liar, "dns-bogon.lab.example") == ("NOERROR", ["10.10.34.35"])
    assert ask(truth, "dns-bogon.lab.example") == ("NOERROR", ["203.0.113.13"])
    assert ask(liar, "dns-nxdomain.lab.example")[0] == "NXDOMAIN"
    assert ask(liar, "success-http.lab.example") == ask(truth, "success-http.lab.example")
    assert ask(truth, "success-http.lab.example", "AAAA") == ("NOERROR", [])
    assert ask(truth, "ghost-http.lab.example")[0] == "NXDOMAIN"  # the ghost is a pure lie
    assert ask(truth, "down-noaddrs.lab.example") == ("NOERROR", [])


def test_docs_describe_every_scenario() -> None:
    text = (REPO / "docs" / "lab.md").read_text(encoding="utf-8")
    missing = [s.name for s in ALL_SCENARIOS if f"| {s.name} |" not in text]
    assert missing == []
