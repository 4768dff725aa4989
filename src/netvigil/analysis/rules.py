"""Every verdict rule as versioned data: a stable id, its condition in words, and its source.

A verdict stores the id of the rule that decided it and ``RULES_VERSION``; when a rule's meaning
changes its id gets a new ``.vN`` and ``RULES_VERSION`` moves, so any tier can be rebuilt from
raw data and compared. ``docs/rules.md`` lists this table (a test keeps the two in step).
"""

from __future__ import annotations

import msgspec

RULES_VERSION = "2026.12.2"

_OONI_CLASSIC = "ooni/probe-cli webconnectivitylte/analysisclassic.go (web_connectivity 0.4 rules)"
_OONI_MINI = "ooni/probe-cli internal/minipipeline/analysis.go"


class Rule(msgspec.Struct, frozen=True):
    rule_id: str
    condition: str
    source: str


class _Step:
    """The three rules of one failed step: unexpected failure, website down, no step control."""

    def __init__(self, step: str) -> None:
        self.FAILURE = f"wc.{step}.failure.v1"
        self.DOWN = f"wc.{step}.down.v1"
        self.UNEXPLAINED = f"wc.{step}.unexplained.v1"


class WC:
    """web_connectivity rule ids."""

    HTTPS_OK = "wc.https.ok.v1"
    HTTP_MATCH = "wc.http.match.v1"
    HTTP_DIFF = "wc.http.diff.v1"
    NO_CONTROL = "wc.control.missing.v1"
    DNS_NO_CONTROL = "wc.dns.no_control.v1"
    DNS_INCONSISTENT = "wc.dns.inconsistent.v1"
    NOTHING_FETCHED = "wc.nothing_fetched.v1"
    UNDETERMINED = "wc.undetermined.v1"
    TCP_PORT_DOWN = "wc.tcp.port_down.v1"
    UNKNOWN_FAILURE = "wc.unknown_failure.v1"
    HTTP = _Step("http")
    TLS = _Step("tls")
    TCP = _Step("tcp")
    DNS = _Step("dns")


class LEGACY:
    """web_connectivity 0.4 rule ids (measurements without transaction ids and depth tags)."""

    HTTPS_OK = "wc04.https.ok.v1"
    CONTROL_UNREACHABLE = "wc04.control.missing.v1"
    NXDOMAIN_BOTH = "wc04.dns.nxdomain_both.v1"
    DNS_INCONSISTENT = "wc04.dns.inconsistent.v1"
    TCP = "wc04.tcp.failure.v1"
    NOTHING_TO_COMPARE = "wc04.http.no_control.v1"
    HTTP_FAILURE = "wc04.http.failure.v1"
    HTTP_UNCLASSIFIED = "wc04.http.unclassified.v1"
    HTTP_MATCH = "wc04.http.match.v1"
    HTTP_DIFF = "wc04.http.diff.v1"


class FP:
    """Blockpage fingerprint rules (apply to every test with HTTP bodies or DNS answers)."""

    HTTP_CONFIRMED = "fp.http.confirmed.v1"
    DNS_CONFIRMED = "fp.dns.confirmed.v1"
    HTTP_MATCH = "fp.http.match.v1"
    DNS_MATCH = "fp.dns.match.v1"


ANY_UNKNOWN_TEST = "any.unknown_test.v1"
ANY_MALFORMED = "any.malformed.v1"
# One of OONI's known exceptions (fastpath/exceptions.py), checked for every test.
WRONG_START_TIME = "ooni.any.wrong_start_time.v1"

_WC_RULES: tuple[Rule, ...] = (
    Rule(WC.HTTPS_OK, "the last final response (2xx/4xx/5xx) came over a TLS handshake that "
         "succeeded: blocking=false, accessible=true", _OONI_CLASSIC),
    Rule(WC.HTTP_MATCH, "final plain-HTTP response matches the control: status code equal and one "
         "of body proportion > 0.7, a shared uncommon header, same long title words",
         _OONI_CLASSIC),
    Rule(WC.HTTP_DIFF, "final plain-HTTP response differs from the control (none of the matches "
         "above): blocking=http-diff", _OONI_CLASSIC),
    Rule(WC.NO_CONTROL, "no control (test helper) result for the deciding step nor for the page: "
         "blocking=null, accessible=null (dns if DNS is inconsistent)", _OONI_CLASSIC),
    Rule(WC.DNS_NO_CONTROL, "a system-resolver lookup failed and there is no control at all: "
         "blocking=false, accessible=true (OONI 0.4 behaviour)", _OONI_CLASSIC),
    Rule(WC.DNS_INCONSISTENT, "dns_consistency=inconsistent (a depth-0 lookup shares no address "
         "and no ASN with the control, or failed while the control resolved): any blocking "
         "becomes dns", _OONI_CLASSIC + "; " + _OONI_MINI),
    Rule(WC.TCP_PORT_DOWN, "TCP connect of the page fetch failed for probe and control alike, "
         "but the host accepted connectivity-check connections on another port: "
         "blocking=null, accessible=null", "OONI probe 0.5.26 output (manual/dnsgoogle80)"),
    Rule(WC.UNDETERMINED, "no system-resolver lookup and no endpoint it found (e.g. a URL with an "
         "IP address, which the classic rules skip): blocking=null, accessible=null",
         _OONI_CLASSIC),
    Rule(WC.UNKNOWN_FAILURE, "control_failure, dns_experiment_failure or "
         "http_experiment_failure starts with unknown_failure (an error the probe could not "
         "classify): outcome=failure; blocking/accessible/dns_consistency stay OONI Probe's",
         "ooni/backend fastpath/fastpath/core.py score_web_connectivity, "
         "_detect_unknown_failure"),
    Rule(WC.NOTHING_FETCHED, "no final response and no failure (nothing was fetched, e.g. the name "
         "resolved to localhost): website down, blocking=false, accessible=false (dns if DNS is "
         "inconsistent)", "OONI QA scenarios localhostWithHTTP, dnsHijackingToLocalhostWithHTTP"),
)  # fmt: skip

_OONI_04 = "ooni/probe-cli internal/experiment/webconnectivity summary.go, dnsanalysis.go (0.4)"
_LEGACY_RULES: tuple[Rule, ...] = (
    Rule(LEGACY.HTTPS_OK, "0.4: the last request was HTTPS and succeeded: blocking=false, "
         "accessible=true", _OONI_04),
    Rule(LEGACY.CONTROL_UNREACHABLE, "0.4: control_failure set or no control: blocking=null",
         _OONI_04),
    Rule(LEGACY.NXDOMAIN_BOTH, "0.4: NXDOMAIN for probe and control (DNS consistent): "
         "blocking=false, accessible=true", _OONI_04),
    Rule(LEGACY.DNS_INCONSISTENT, "0.4: DNS inconsistent (no shared ASN nor address with the "
         "control, or a failure the control did not have): blocking=dns", _OONI_04),
    Rule(LEGACY.TCP, "0.4: every TCP connect failed and DNS is consistent: blocking=tcp_ip",
         _OONI_04),
    Rule(LEGACY.NOTHING_TO_COMPARE, "0.4: the control's HTTP failed or there is no request: "
         "blocking=null", _OONI_04),
    Rule(LEGACY.HTTP_FAILURE, "0.4: the request failed with a classified error (refused, reset, "
         "NXDOMAIN, EOF, timeout, certificate): blocking=http-failure (dns for NXDOMAIN)",
         _OONI_04),
    Rule(LEGACY.HTTP_UNCLASSIFIED, "0.4: the request failed with another error: blocking=null",
         _OONI_04),
    Rule(LEGACY.HTTP_MATCH, "0.4: status code matches and body proportion > 0.7, or headers, or "
         "title match: blocking=false, accessible=true", _OONI_04),
    Rule(LEGACY.HTTP_DIFF, "0.4: the page differs from the control's: blocking=http-diff",
         _OONI_04),
)  # fmt: skip

_STEP_TEXT = {
    "http": ("HTTP round trip", "http-failure"),
    "tls": ("TLS handshake", "http-failure"),
    "tcp": ("TCP connect", "tcp_ip"),
    "dns": ("system-resolver DNS lookup", "dns"),
}


def _step_rules() -> tuple[Rule, ...]:
    out: list[Rule] = []
    for step, (what, value) in _STEP_TEXT.items():
        ids = getattr(WC, step.upper())
        out.append(Rule(ids.FAILURE, f"{what} failed while the control's succeeded: "
                        f"blocking={value}, accessible=false", _OONI_CLASSIC))  # fmt: skip
        out.append(Rule(ids.DOWN, f"{what} failed for the probe and the control alike: website "
                        "down, blocking=false, accessible=false", _OONI_CLASSIC))  # fmt: skip
        unexplained = "dns" if step == "dns" else "http-failure"
        out.append(Rule(ids.UNEXPLAINED, f"{what} failed after a redirect (no control for it) "
                        f"while the control fetched the page: blocking={unexplained}",
                        _OONI_CLASSIC))  # fmt: skip
    return tuple(out)


_FP_RULES: tuple[Rule, ...] = (
    Rule(FP.HTTP_CONFIRMED, "an HTTP body or header matched a blockpage fingerprint whose scope is "
         "isp or nat, or whose expected_countries include probe_cc (never scope fp): "
         "outcome=confirmed, blocking_detail=http.blockpage",
         "ooni/blocking-fingerprints fingerprints_http.csv; OONI pipeline confirmed rule"),
    Rule(FP.DNS_CONFIRMED, "a DNS answer is a known blocking-server address (dns fingerprint, "
         "same conditions): outcome=confirmed, blocking_detail=dns.blockpage",
         "ooni/blocking-fingerprints fingerprints_dns.csv"),
    Rule(FP.HTTP_MATCH, "an HTTP fingerprint matched but does not confirm (other country, "
         "prod/inst/vbw scope): fingerprint recorded, outcome unchanged", "netvigil"),
    Rule(FP.DNS_MATCH, "a DNS fingerprint matched but does not confirm: fingerprint recorded, "
         "outcome unchanged", "netvigil"),
)  # fmt: skip

_ANY_RULES: tuple[Rule, ...] = (
    Rule(ANY_UNKNOWN_TEST, "a test OONI's fastpath does not score either (dnscheck, urlgetter, "
         "sni_blocking, the spec's stun_reachability spelling...): outcome=failure, other "
         "fields null, as OONI (accuracy 0)",
         "ooni/backend fastpath/fastpath/core.py score_measurement"),
    Rule(ANY_MALFORMED, "test_keys null, missing or not an object: outcome=failure",
         "ooni/backend fastpath/fastpath/core.py score_web_connectivity (test_keys None)"),
)  # fmt: skip


# Rules defined here; ``netvigil.analysis.RULES`` adds the per-service rules (services.py).
BASE_RULES: tuple[Rule, ...] = (
    *_WC_RULES,
    *_step_rules(),
    *_LEGACY_RULES,
    *_FP_RULES,
    *_ANY_RULES,
)
