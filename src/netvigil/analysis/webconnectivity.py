"""web_connectivity: OONI's blocking / accessible / dns_consistency, re-derived from the events.

Our own implementation of the rules of OONI probe-cli's "classic" analysis (webconnectivitylte
``analysisclassic.go`` over ``minipipeline``), which reproduces web_connectivity 0.4's verdicts:

1. keep only what the system resolver saw and the endpoints that fetched the page (classic filter);
2. DNS is *consistent* when every depth-0 lookup shares an address or an ASN with the control, or
   failed like the control; *inconsistent* on an address set with neither, or an unexpected failure;
3. walk the observations from the last redirect back to the first, most complex step first
   (HTTP > TLS > TCP > DNS), and let the first final response or failure decide;
4. a final HTTP response is compared with the control (status code, body proportion > 0.7,
   uncommon headers, title words) to tell ``http-diff`` from success.

The finer ``blocking_detail`` and the deciding ``rule_id`` (``docs/rules.md``) are ours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import msgspec

from netvigil.analysis import _webobs as wo
from netvigil.analysis.details import dns_failure_detail, step_failure_detail
from netvigil.analysis.formats import is_python_probe
from netvigil.analysis.legacy import analyze_legacy, is_legacy
from netvigil.analysis.legacy_python import analyze_python
from netvigil.analysis.rules import WC
from netvigil.analysis.thresholds import (
    BODY_PROPORTION_MIN,
    COMMON_HEADERS,
    PARSER_HEADERS,
    TITLE_MIN_WORD_LEN,
)

AsnOf = Callable[[str], int | None]


class WebConnectivityAnalysis(msgspec.Struct, frozen=True, kw_only=True):
    """OONI's three verdict fields plus our finer detail and the deciding rule."""

    blocking: bool | str | None
    accessible: bool | None
    dns_consistency: str | None
    blocking_detail: str | None
    rule_id: str
    http_experiment_failure: str | None = None
    dns_experiment_failure: str | None = None
    body_proportion: float | None = None
    body_length_match: bool | None = None
    headers_match: bool | None = None
    status_code_match: bool | None = None
    title_match: bool | None = None


def analyze_web_connectivity(
    test_keys: Mapping[str, Any],
    *,
    input_url: str | None = None,
    asn_of: AsnOf | None = None,
    envelope: Mapping[str, Any] | None = None,
) -> WebConnectivityAnalysis:
    """Re-derive OONI's verdict from the measurement's own observations (never raises on data).

    ``input_url`` is only needed when ``test_keys`` lacks ``x_control_request`` (0.4 data);
    ``asn_of`` (the configured IP table) gives ASNs the measurement lacks; ``envelope`` (the
    whole measurement) tells which probe wrote data older than 0.5: the Python ooniprobe's has
    its own rules (``legacy_python``), Measurement Kit's and probe-cli's 0.4 the 0.4 rules.
    """
    if is_legacy(test_keys):
        if envelope is not None and is_python_probe(envelope):
            old = analyze_python(test_keys, input_url, asn_of)
        else:
            old = analyze_legacy(test_keys, input_url, asn_of)
        return WebConnectivityAnalysis(
            blocking=old.blocking,
            accessible=old.accessible,
            dns_consistency=old.consistency,
            blocking_detail=old.detail if old.blocking not in (False, None) else None,
            rule_id=old.rule_id,
            dns_experiment_failure=old.dns_failure,
        )
    full = wo.build(test_keys, input_url, system_only=True)
    c = _classic(full)
    dns = _DnsMetrics(c, _asn_table(test_keys, full), asn_of)
    consistency = dns.consistency(c)
    diff = _HttpDiff(c)
    walk = _Walk(consistency, diff.is_diff(), dns.detail(), dns.expected_failure)
    # connectivity checks (endpoints not used to fetch the page) that reached the host
    walk.host_answered = any(
        o.fetch_body is False and o.tcp_failure == "" for o in full.endpoints.values()
    )
    walk.run(_linear(c))
    return WebConnectivityAnalysis(
        blocking=walk.blocking,
        accessible=walk.accessible,
        dns_consistency=consistency,
        blocking_detail=walk.detail if walk.blocking not in (False, None) else None,
        rule_id=walk.rule_id,
        http_experiment_failure=walk.http_failure,
        dns_experiment_failure=dns.experiment_failure,
        body_proportion=diff.body_proportion,
        body_length_match=diff.body_length_match,
        headers_match=diff.headers_match,
        status_code_match=diff.status_code_match,
        title_match=diff.title_match,
    )


def _classic(full: wo.WebObservations) -> wo.WebObservations:
    """Only getaddrinfo lookups, their addresses, and endpoints that fetched the page."""
    out = wo.WebObservations()
    out.control, out.input_domain = full.control, full.input_domain
    out.dns_failures = [o for o in full.dns_failures if o.dns_engine in wo.SYSTEM_ENGINES]
    known: set[str] = set()
    for o in full.dns_successes:
        if o.dns_engine in wo.SYSTEM_ENGINES:
            out.dns_successes.append(o)
            known.add(o.ip or "")
    out.endpoints = {
        txid: o for txid, o in full.endpoints.items() if o.ip in known and o.fetch_body is True
    }
    return out


def _asn_table(tk: Mapping[str, Any], c: wo.WebObservations) -> dict[str, int]:
    """IP -> ASN as recorded in the measurement: the probe's DNS answers, then the TH's ip_info.

    OONI looks both sides up in one GeoIP database; a replayed measurement only carries these.
    """
    table: dict[str, int] = {}
    for o in c.dns_successes:
        if o.ip and o.ip_asn:
            table[o.ip] = o.ip_asn
    if c.control is not None:
        table.update(c.control.asns)
    return table


class _DnsMetrics:
    def __init__(
        self, c: wo.WebObservations, asns: dict[str, int], asn_of: AsnOf | None = None
    ) -> None:
        self.success: set[int] = set()
        self.valid: set[int] = set()
        self.invalid: set[int] = set()
        self.invalid_bogon = False
        self.unexpected: dict[int, str] = {}
        self.expected_failure: set[int] = set()
        self.experiment_failure: str | None = None
        seen: set[int] = set()
        for o in c.dns_successes:
            txid = o.dns_txid or 0
            if txid in seen:
                continue
            seen.add(txid)
            if o.depth != 0:
                continue
            self.success.add(txid)
            if o.ctl_dns_addrs is None:
                continue
            probe = o.dns_addrs or frozenset()
            if probe & o.ctl_dns_addrs:
                self.valid.add(txid)
                continue
            ours = {asns[a] for a in probe if asns.get(a)}
            theirs = {asns[a] for a in o.ctl_dns_addrs if asns.get(a)}
            if asn_of is not None:  # only here, on answers that share no address
                ours |= {x for a in probe if not asns.get(a) and (x := asn_of(a))}
                theirs |= {x for a in o.ctl_dns_addrs if not asns.get(a) and (x := asn_of(a))}
            if ours & theirs:
                self.valid.add(txid)
                continue
            self.invalid.add(txid)
            self.invalid_bogon = self.invalid_bogon or any(wo.is_bogon(a) for a in probe)
        seen.clear()
        for o in c.dns_failures:
            txid = o.dns_txid or 0
            if txid in seen:
                continue
            seen.add(txid)
            if o.dns_engine == "doh" or (
                o.dns_failure == "dns_no_answer" and o.dns_query_type == "AAAA"
            ):
                continue  # a DoH failure is about the DoH service; no AAAA is no evidence
            if o.depth != 0:
                continue
            failure = o.dns_failure or ""
            if failure and self.experiment_failure is None:
                self.experiment_failure = failure
            if o.ctl_dns_failure is None:
                continue
            if failure and o.ctl_dns_failure:
                self.expected_failure.add(txid)
            elif o.ctl_dns_failure:
                continue
            elif failure:
                # for historical reasons the TH reports "no answer" as zero addresses
                if (
                    failure == "dns_no_answer"
                    and o.ctl_dns_addrs is not None
                    and not (o.ctl_dns_addrs)
                ):
                    self.expected_failure.add(txid)
                else:
                    self.unexpected[txid] = failure

    def consistency(self, c: wo.WebObservations) -> str | None:
        if not self.unexpected and not self.invalid and (self.valid or self.expected_failure):
            return "consistent"
        if (
            self.invalid
            or self.unexpected
            or (self.success and c.control is not None and not c.control.dns_addrs)
        ):
            return "inconsistent"
        return None

    def detail(self) -> str:
        """Why DNS is inconsistent, in our vocabulary (docs/outcomes.md)."""
        if self.unexpected:
            return dns_failure_detail(next(iter(self.unexpected.values())))
        return "dns.bogon" if self.invalid_bogon else "dns.hijack"


class _HttpDiff:
    """HTTP diff of the first final response against the control (minipipeline httpdiff)."""

    def __init__(self, c: wo.WebObservations) -> None:
        self.body_proportion: float | None = None
        self.body_length_match: bool | None = None
        self.status_code_match: bool | None = None
        self.headers_match: bool | None = None
        self.title_match: bool | None = None
        final = next((o for o in c.endpoints.values() if o.http_is_final), None)
        if final is None or final.ctl_http_failure is None:
            return
        ours, theirs = final.http_body_length or 0, final.ctl_http_body_length or 0
        if ours > 0 and final.http_truncated is False and theirs > 0:
            self.body_proportion = min(ours, theirs) / max(ours, theirs)
            self.body_length_match = self.body_proportion > BODY_PROPORTION_MIN
        code, ctl_code = final.http_status or 0, final.ctl_http_status or 0
        if code > 0 and ctl_code > 0 and (code == ctl_code or ctl_code // 100 == 2):
            self.status_code_match = code == ctl_code
        if ctl_code > 0:
            mine = _uncommon(final.http_header_keys or frozenset())
            yours = _uncommon(final.ctl_http_header_keys or frozenset())
            self.headers_match = bool(mine & yours)
            self.title_match = not _title_words(final.http_title or "") ^ _title_words(
                final.ctl_http_title or ""
            )

    def is_diff(self) -> bool:
        matches = self.body_length_match or self.headers_match or self.title_match
        return not (self.status_code_match and matches)


_IGNORED_HEADERS = COMMON_HEADERS | PARSER_HEADERS


@lru_cache(maxsize=4096)
def _uncommon(header_keys: frozenset[str]) -> frozenset[str]:
    # Cached: servers send the same few header sets, and lowering each name cost more than this.
    return frozenset(k.lower() for k in header_keys) - _IGNORED_HEADERS


def _title_words(title: str) -> set[str]:
    # Go's len() counts bytes: a 2-letter word in a multi-byte script can be "long".
    return {
        w.lower()
        for w in title.split(" ")
        if (len(w) if w.isascii() else len(w.encode())) >= TITLE_MIN_WORD_LEN
    }


def _linear(c: wo.WebObservations) -> list[wo.WebObs]:
    """Last redirect first; within one, HTTP > TLS > TCP > DNS; successes before failures."""
    entries = [*c.dns_failures, *c.dns_successes, *c.endpoints.values()]
    entries.sort(
        key=lambda o: (
            -(o.depth if o.depth is not None else -1),
            -o.type,
            o.failure if o.failure is not None else "unknown_failure",
            -o.txid,
        )
    )
    return entries


class _Walk:
    """The decision walk of OONI's classic analysis, recording which rule decided."""

    def __init__(
        self, consistency: str | None, http_diff: bool, dns_detail: str, dns_expected: set[int]
    ) -> None:
        self.inconsistent = consistency == "inconsistent"
        self.dns_expected = dns_expected
        self.host_answered = False
        self.http_diff = http_diff
        self.dns_detail = dns_detail
        self.blocking: bool | str | None = None
        self.accessible: bool | None = None
        self.rule_id = WC.NOTHING_FETCHED
        self.detail: str | None = None
        self.http_failure: str | None = None

    def _ok(self, rule: str) -> None:
        self.blocking, self.accessible, self.rule_id = False, True, rule

    def _unknown(self, rule: str) -> None:
        if self.inconsistent:
            self.blocking, self.accessible = "dns", False
            self.rule_id, self.detail = WC.DNS_INCONSISTENT, self.dns_detail
        else:
            self.blocking, self.accessible, self.rule_id = None, None, rule

    def _blocked(self, value: str, rule: str, detail: str) -> None:
        self.accessible = False
        if self.inconsistent:
            self.blocking = "dns"
            if value == "dns":
                self.rule_id, self.detail = rule, detail
            else:
                self.rule_id, self.detail = WC.DNS_INCONSISTENT, self.dns_detail
        else:
            self.blocking, self.rule_id, self.detail = value, rule, detail

    def _down(self, rule: str) -> None:
        if self.inconsistent:
            self.blocking, self.accessible = "dns", False
            self.rule_id, self.detail = WC.DNS_INCONSISTENT, self.dns_detail
        else:
            self.blocking, self.accessible, self.rule_id = False, False, rule

    def run(self, linear: list[wo.WebObs]) -> None:
        for o in linear:
            if o.http_is_final:
                if o.tls_failure == "":
                    return self._ok(WC.HTTPS_OK)
                if o.ctl_http_failure is None:
                    return self._unknown(WC.NO_CONTROL)
                if not self.http_diff:
                    return self._ok(WC.HTTP_MATCH)
                return self._blocked("http-diff", WC.HTTP_DIFF, "http.diff")
            failure = o.failure
            if not failure:
                continue
            self.http_failure = failure  # OONI's http_experiment_failure: the deciding failure
            if o.type == wo.HTTP:
                return self._step(o, failure, o.ctl_http_failure, "http-failure", WC.HTTP)
            if o.type == wo.TLS:
                return self._step(o, failure, o.ctl_tls_failure, "http-failure", WC.TLS)
            if o.type == wo.TCP:
                return self._step(o, failure, o.ctl_tcp_failure, "tcp_ip", WC.TCP)
            if o.type == wo.DNS:
                if o.ctl_dns_failure is None and o.ctl_http_failure is None:
                    return self._ok(WC.DNS_NO_CONTROL)
                if o.txid in self.dns_expected and not o.ctl_dns_failure:
                    # "no answer" while the control resolved no address either: the TH
                    # reports NODATA as an empty list (minipipeline's expected failure);
                    # OONI leaves http_experiment_failure null here (websiteDownNoAddrs)
                    self.http_failure = None
                    return self._down(WC.DNS.DOWN)
                return self._step(o, failure, o.ctl_dns_failure, "dns", WC.DNS)
        self.http_failure = None
        if not linear:
            # nothing the classic rules look at (e.g. an IP-address URL: no system lookup)
            return self._unknown(WC.UNDETERMINED)
        # Lookups but nothing failed and nothing was fetched (e.g. the name resolved to
        # localhost and no connection was attempted): OONI reports the website as down.
        self._down(WC.NOTHING_FETCHED)

    def _step(
        self, o: wo.WebObs, failure: str, control: str | None, value: str, rules: Any
    ) -> None:
        detail = step_failure_detail(o.type, failure)
        if control is None:
            if o.ctl_http_failure is None:
                return self._unknown(WC.NO_CONTROL)
            # no control for this step (a redirect), but the control fetched the page
            return self._blocked(
                "http-failure" if value != "dns" else "dns", rules.UNEXPLAINED, detail
            )
        if control:
            if o.type == wo.TCP and self.host_answered:
                self.http_failure = None  # no HTTP request was made (OONI writes null)
                # the fetch failed for both, yet the host accepted connections on another
                # port: not "down", and nothing says blocked (OONI 0.5.26, manual/dnsgoogle80)
                return self._unknown(WC.TCP_PORT_DOWN)
            return self._down(rules.DOWN)
        return self._blocked(value, rules.FAILURE, detail)
