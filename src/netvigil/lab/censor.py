"""The censor router's rules, as argv lists (pure: the topology module runs them).

Faults apply only to packets entering from the client's link (``-i <client link>``), so the test
helper in the "open" namespace, routed through the same router, sees the uncensored network. The
seal comes last: anything forwarded to an address outside the lab's subnets is counted and dropped
in the ``NV-SEAL`` chain (and the router's default route leads into a dead-end veth anyway).
"""

from __future__ import annotations

from netvigil.lab.plan import (
    BLOCK_PAGE_IP,
    HANG_UP_IP,
    ISP_RESOLVER,
    LAB_SUBNETS,
    LYING_RESOLVER,
    PUBLIC_RESOLVER,
    Blackhole,
    BlockPage,
    DnsLie,
    DropPort,
    Fault,
    HangUp,
    Loss,
    RefuseConnect,
    ResetOnHost,
    ResetOnSni,
    Throttle,
)

SEAL_CHAIN = "NV-SEAL"
FAULT_CHAIN = "NV-FAULTS"
CLIENT_LINK = "to-client"  # the censor's end of the client link
OPEN_LINK = "to-open"
SERVERS_LINK = "to-servers"


def qname_hex(host: str) -> str:
    """``www.x.org`` as iptables ``--hex-string`` of its DNS wire labels: ``|03|www|01|x|...|00|``.

    Matching the length-prefixed labels (with the final root label) means a rule for ``x.org``
    can never match a query for ``ax.org`` or ``x.org.evil``.
    """
    parts = "".join(f"|{len(label):02x}|{label}" for label in host.rstrip(".").split("."))
    return f"{parts}|00|"


def _rst(*match: str) -> list[str]:
    return [*match, "-j", "REJECT", "--reject-with", "tcp-reset"]


def fault_rules(fault: Fault) -> list[tuple[str, list[str]]]:
    """``(table, rule)`` pairs implementing ``fault`` (rules appended to the fault chain)."""
    if isinstance(fault, DnsLie):
        match = [
            "-p",
            "udp",
            "--dport",
            "53",
            "-m",
            "string",
            "--hex-string",
            qname_hex(fault.host),
            "--algo",
            "bm",
            "--icase",
        ]
        return [
            (
                "nat",
                [
                    "-A",
                    "PREROUTING",
                    "-i",
                    CLIENT_LINK,
                    *match,
                    "-j",
                    "DNAT",
                    "--to-destination",
                    f"{LYING_RESOLVER}:53",
                ],
            )
        ]
    if isinstance(fault, BlockPage):
        return [
            (
                "nat",
                [
                    "-A",
                    "PREROUTING",
                    "-i",
                    CLIENT_LINK,
                    "-p",
                    "tcp",
                    "-d",
                    fault.address,
                    "--dport",
                    "80",
                    "-j",
                    "DNAT",
                    "--to-destination",
                    f"{BLOCK_PAGE_IP}:80",
                ],
            )
        ]
    if isinstance(fault, HangUp):
        return [
            (
                "nat",
                [
                    "-A",
                    "PREROUTING",
                    "-i",
                    CLIENT_LINK,
                    "-p",
                    "tcp",
                    "-d",
                    fault.address,
                    "-j",
                    "DNAT",
                    "--to-destination",
                    HANG_UP_IP,
                ],
            )
        ]
    if isinstance(fault, Blackhole):
        return [("filter", ["-A", FAULT_CHAIN, "-d", fault.address, "-j", "DROP"])]
    if isinstance(fault, ResetOnSni):
        return [
            (
                "filter",
                [
                    "-A",
                    FAULT_CHAIN,
                    *_rst(
                        "-p",
                        "tcp",
                        "--dport",
                        "443",
                        "-m",
                        "string",
                        "--string",
                        fault.host,
                        "--algo",
                        "bm",
                        "--icase",
                    ),
                ],
            )
        ]
    if isinstance(fault, ResetOnHost):
        return [
            (
                "filter",
                [
                    "-A",
                    FAULT_CHAIN,
                    *_rst(
                        "-p",
                        "tcp",
                        "--dport",
                        "80",
                        "-m",
                        "string",
                        "--string",
                        f"Host: {fault.host}",
                        "--algo",
                        "bm",
                        "--icase",
                    ),
                ],
            )
        ]
    if isinstance(fault, RefuseConnect):
        return [
            (
                "filter",
                [
                    "-A",
                    FAULT_CHAIN,
                    *_rst("-p", "tcp", "--syn", "-d", fault.address, "--dport", str(fault.port)),
                ],
            )
        ]
    if isinstance(fault, Loss):
        return [
            (
                "filter",
                [
                    "-A",
                    FAULT_CHAIN,
                    "-d",
                    fault.address,
                    "-m",
                    "statistic",
                    "--mode",
                    "random",
                    "--probability",
                    f"{fault.probability:.4f}",
                    "-j",
                    "DROP",
                ],
            )
        ]
    if isinstance(fault, DropPort):
        rule = ["-A", FAULT_CHAIN, "-p", "tcp", "-d", fault.address, "--dport", str(fault.port)]
        return [("filter", [*rule, "-j", "DROP"])]
    # Throttle is a tc fault (see tc_commands); Down is the servers' own (topology), not the
    # censor's.
    return []


def _untracked_dns(faults: tuple[Fault, ...]) -> list[tuple[str, list[str]]]:
    """DNS the censor does not lie about is not connection-tracked (``raw`` table, NOTRACK).

    A DNS lie is a DNAT, decided on the first packet of a conntrack "connection" (the UDP
    5-tuple, kept 30 s). Were truthful queries and the resolvers' answers tracked, a censored
    query that reuses the client port of an earlier truthful one (glibc picks ports at random)
    would join that untouched entry and get the truth: a flaky lab. Untracked, they leave no
    entry; censored queries still are tracked, so their DNAT and the lying resolver's answers
    are translated as before.
    """
    lies = [f for f in faults if isinstance(f, DnsLie)]
    if not lies:
        return []
    query = ["-A", "PREROUTING", "-i", CLIENT_LINK, "-p", "udp", "--dport", "53"]
    rules: list[tuple[str, list[str]]] = []
    for fault in lies:
        match = ["-m", "string", "--hex-string", qname_hex(fault.host), "--algo", "bm"]
        rules.append(("raw", [*query, *match, "--icase", "-j", "RETURN"]))
    rules.append(("raw", [*query, "-j", "CT", "--notrack"]))
    for resolver in (ISP_RESOLVER, PUBLIC_RESOLVER):
        answer = ["-A", "PREROUTING", "-p", "udp", "-s", resolver, "--sport", "53"]
        rules.append(("raw", [*answer, "-j", "CT", "--notrack"]))
    return rules


def iptables_rules(faults: tuple[Fault, ...]) -> list[tuple[str, list[str]]]:
    """All of the censor's iptables rules, in order: faults, lab subnets, then the seal."""
    rules: list[tuple[str, list[str]]] = [
        ("filter", ["-N", FAULT_CHAIN]),
        ("filter", ["-N", SEAL_CHAIN]),
        ("filter", ["-P", "FORWARD", "DROP"]),
        ("filter", ["-A", "FORWARD", "-i", CLIENT_LINK, "-j", FAULT_CHAIN]),
    ]
    for fault in faults:
        rules += fault_rules(fault)
    rules += _untracked_dns(faults)
    rules += [("filter", ["-A", "FORWARD", "-d", net, "-j", "ACCEPT"]) for net in LAB_SUBNETS]
    rules += [
        ("filter", ["-A", "FORWARD", "-j", SEAL_CHAIN]),
        ("filter", ["-A", SEAL_CHAIN, "-j", "DROP"]),  # its packet counter is the seal's log
        # The router itself talks to nobody outside the lab either.
        ("filter", ["-A", "OUTPUT", "-o", "lo", "-j", "ACCEPT"]),
        *[("filter", ["-A", "OUTPUT", "-d", net, "-j", "ACCEPT"]) for net in LAB_SUBNETS],
        ("filter", ["-A", "OUTPUT", "-j", SEAL_CHAIN]),
    ]
    return rules


def tc_commands(faults: tuple[Fault, ...]) -> list[list[str]]:
    """``tc`` argv lists: an htb root on the client link whose throttled class is a ``tbf``.

    Throttling is per source address (u32 filter), so one lab build can throttle one site and
    leave the others at full speed.
    """
    throttles = [f for f in faults if isinstance(f, Throttle)]
    if not throttles:
        return []
    dev = ["dev", CLIENT_LINK]
    out = [
        ["qdisc", "add", *dev, "root", "handle", "1:", "htb", "default", "10", "r2q", "1000"],
        ["class", "add", *dev, "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit"],
    ]
    for i, fault in enumerate(throttles):
        cls = f"1:{20 + i}"
        out += [
            ["class", "add", *dev, "parent", "1:", "classid", cls, "htb", "rate", "10gbit"],
            [
                "qdisc",
                "add",
                *dev,
                "parent",
                cls,
                "handle",
                f"{20 + i}:",
                "tbf",
                "rate",
                f"{fault.rate_kbit}kbit",
                "burst",
                "4kb",
                "latency",
                "2s",
            ],
            [
                "filter",
                "add",
                *dev,
                "parent",
                "1:",
                "protocol",
                "ip",
                "prio",
                "1",
                "u32",
                "match",
                "ip",
                "src",
                f"{fault.address}/32",
                "flowid",
                cls,
            ],
        ]
    return out
