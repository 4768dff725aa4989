"""raw measurement -> Verdict: dispatch on test_name, then apply the blockpage fingerprints.

web_connectivity is re-derived from its events (``webconnectivity``); every other test OONI's
fastpath scores has a judge in ``netvigil.analysis.fastpath``. Never raises on odd measurement
data: a measurement we cannot judge gets ``outcome="failure"`` with the rule that says why
(``any.unknown_test.v1``, ``any.malformed.v1``, an exception of OONI's, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netvigil.analysis._uid import measurement_uid
from netvigil.analysis._webobs import body_text, domain_of
from netvigil.analysis.fastpath import JUDGES, messaging
from netvigil.analysis.fingerprints import Fingerprint, Fingerprints
from netvigil.analysis.formats import start_time_of, wrong_start_time
from netvigil.analysis.iptable import IpTable
from netvigil.analysis.rules import (
    ANY_MALFORMED,
    ANY_UNKNOWN_TEST,
    FP,
    RULES_VERSION,
    WC,
    WRONG_START_TIME,
)
from netvigil.analysis.webconnectivity import analyze_web_connectivity
from netvigil.models.catalogue import Catalogue
from netvigil.models.verdicts import Outcome, Verdict

WEB_TESTS = frozenset({"web_connectivity"})
# The judges that read endpoints from the service catalogue (verdict_of's ``catalogue``).
_CATALOGUE_JUDGES = {
    "telegram": messaging.telegram,
    "whatsapp": messaging.whatsapp,
    "signal": messaging.signal,
    "facebook_messenger": messaging.facebook_messenger,
}
# Tests whose bodies and DNS answers are matched against blockpage fingerprints: OONI's fastpath
# matches web_connectivity and http_requests; netvigil also the five instant-messaging and Tor
# tests (a confirming blockpage there is evidence too; docs/outcomes.md lists the difference).
FINGERPRINT_TESTS = frozenset(
    {"web_connectivity", "http_requests", "telegram", "whatsapp", "signal", "facebook_messenger",
     "tor"}
)  # fmt: skip
# web_connectivity keys whose "unknown_failure..." makes OONI call the measurement failed.
_WC_FAILURE_KEYS = ("control_failure", "dns_experiment_failure", "http_experiment_failure")


def verdict_of(
    m: Mapping[str, Any],
    *,
    fingerprints: Fingerprints | None = None,
    uid: str | None = None,
    ip_table: IpTable | None = None,
    catalogue: Catalogue | None = None,
) -> Verdict:
    """The verdict of one raw measurement (``uid`` saves recomputing the id when known).

    ``ip_table``: ASN of addresses the measurement records none for (DNS consistency), as
    ``netvigil ingest`` and ``netvigil verdict`` configure it (``analysis.ip_table``).
    ``catalogue``: the service catalogue whose endpoints the app tests measured (which request
    is the web client's...); default the one shipped with netvigil (a lab's or a deployment's
    own copy reads its own measurements).
    """
    test = m.get("test_name")
    test = test if isinstance(test, str) else ""
    inp = m.get("input")
    inp = inp if isinstance(inp, str) else None
    cc = m.get("probe_cc")
    cc = cc if isinstance(cc, str) and cc else "ZZ"
    tk = m.get("test_keys")
    # Every field is decided first and the Verdict built once: building it and then replacing
    # fields for a fingerprint cost a third of this function.
    blocking: bool | str | None = None
    accessible: bool | None = None
    consistency: str | None = None
    detail: str | None = None
    bucket: str | None = None
    fingerprint: str | None = None
    outcome: Outcome = "failure"
    if not isinstance(tk, dict):
        rule_id = ANY_MALFORMED
    elif test in WEB_TESTS or test in JUDGES:
        if test in WEB_TESTS:
            wc = analyze_web_connectivity(
                tk,
                input_url=inp,
                asn_of=ip_table.asn_of if ip_table is not None else None,
                envelope=m,
            )
            blocking, accessible, consistency = wc.blocking, wc.accessible, wc.dns_consistency
            detail, rule_id = wc.blocking_detail, wc.rule_id
            bucket = _web_blocking_type(blocking, detail)
            outcome = _outcome(blocking)
            if _unknown_failure(tk):
                # OONI's fastpath: an error the probe could not classify fails the measurement
                outcome, rule_id, detail, bucket = "failure", WC.UNKNOWN_FAILURE, None, None
        else:
            own = _CATALOGUE_JUDGES.get(test) if catalogue is not None else None
            sa = own(m, tk, catalogue) if own is not None else JUDGES[test](m, tk)
            blocking, accessible, consistency = sa.blocking, sa.accessible, sa.dns_consistency
            detail = bucket = sa.blocking_type
            rule_id = sa.rule_id
            outcome = _outcome(blocking)
        if (
            fingerprints is not None
            and len(fingerprints)
            and test in FINGERPRINT_TESTS
            and rule_id != WC.UNKNOWN_FAILURE
            and not rule_id.startswith("ooni.")  # OONI discarded it: a blockpage cannot count
        ):
            scanned = _without_tor(tk) if test == "http_requests" else tk
            fingerprint, confirmed = _fingerprint(scanned, fingerprints, rule_id, bucket, cc)
            if confirmed is not None:
                outcome = "confirmed"
                rule_id, detail, bucket = confirmed
    else:
        rule_id = ANY_UNKNOWN_TEST
    if "measurement_uid" in m and wrong_start_time(m):
        blocking = accessible = consistency = detail = bucket = None
        outcome, rule_id = "failure", WRONG_START_TIME
    asn = m.get("probe_asn")
    start = m.get("measurement_start_time")
    if not isinstance(start, str):
        start = start_time_of(m)  # reports converted from YAML, Python probe era
    return Verdict(
        measurement_uid=uid if uid is not None else measurement_uid(m),
        input=inp,
        test_name=test,
        probe_cc=cc,
        probe_asn=asn if isinstance(asn, str) and asn else "AS0",
        measurement_start_time=start if isinstance(start, str) else "",
        blocking=blocking,
        accessible=accessible,
        dns_consistency=consistency,
        outcome=outcome,
        blocking_detail=detail,
        fingerprint=fingerprint,
        rule_id=rule_id,
        rules_version=RULES_VERSION,
        domain=domain_of(inp),
        blocking_type=bucket,
    )


def _unknown_failure(tk: Mapping[str, Any]) -> bool:
    for key in _WC_FAILURE_KEYS:
        value = tk.get(key)
        if value is not None and isinstance(value, str) and value.startswith("unknown_failure"):
            return True
    return False


def _without_tor(tk: Mapping[str, Any]) -> Mapping[str, Any]:
    """http_requests: only the requests made over the probe's network (fastpath skips Tor's)."""
    requests = tk.get("requests")
    if not isinstance(requests, list):
        return tk
    own = [r for r in requests if not (isinstance(r, dict) and _is_tor(r.get("request")))]
    return {**tk, "requests": own}


def _is_tor(request: Any) -> bool:
    tor = request.get("tor") if isinstance(request, dict) else None
    return isinstance(tor, dict) and bool(tor.get("is_tor"))


def _outcome(blocking: bool | str | None) -> Outcome:
    """OONI's buckets: a blocking string is an anomaly, null a failure, false ok."""
    if blocking is None:
        return "failure"
    return "anomaly" if isinstance(blocking, str) else "ok"


def _web_blocking_type(blocking: bool | str | None, detail: str | None) -> str | None:
    """Aggregation bucket: OONI's blocking value, but ``tls`` for TLS-level interference."""
    if not isinstance(blocking, str):
        return None
    if detail is not None and detail.startswith("tls.") and blocking == "http-failure":
        return "tls"
    return blocking


# The page matched the control's (or came over verified TLS): it is the real site, so its body
# is not scanned for blockpages (the costliest step of the analysis on typical, mostly-ok data).
_REAL_PAGE_RULES = frozenset({WC.HTTP_MATCH, WC.HTTPS_OK})


def _fingerprint(
    tk: Mapping[str, Any], fps: Fingerprints, rule_id: str, bucket: str | None, probe_cc: str
) -> tuple[str | None, tuple[str, str, str] | None]:
    """The fingerprint to record, and (rule_id, blocking_detail, blocking_type) if it confirms.

    An HTTP match that confirms wins, then a DNS one; else the first match is only recorded.
    """
    http = [] if rule_id in _REAL_PAGE_RULES else _http_matches(tk, fps)
    for fp in http:
        if fp.confirms(probe_cc):
            return fp.name, (FP.HTTP_CONFIRMED, "http.blockpage", bucket or "http-diff")
    dns = _dns_matches(tk, fps)
    for fp in dns:
        if fp.confirms(probe_cc):
            return fp.name, (FP.DNS_CONFIRMED, "dns.blockpage", "dns")
    recorded = next(iter(http or dns), None)
    return (recorded.name if recorded is not None else None), None


def _http_matches(tk: Mapping[str, Any], fps: Fingerprints) -> list[Fingerprint]:
    found: list[Fingerprint] = []
    requests = tk.get("requests")
    if not isinstance(requests, list):
        return found
    for req in requests:
        if not isinstance(req, dict) or req.get("failure") is not None:
            continue
        url = req.get("request", {}).get("url") if isinstance(req.get("request"), dict) else None
        # A page fetched over verified TLS is the real site's, never a censor's blockpage;
        # skipping those bodies halves the matching work on typical data.
        if isinstance(url, str) and url.startswith("https://"):
            continue
        resp = req.get("response")
        if not isinstance(resp, dict):
            continue
        headers = resp.get("headers")
        if isinstance(headers, dict):
            found.extend(fps.match_headers(headers))
        found.extend(fps.match_body(body_text(resp.get("body"))))
    return found


def _dns_matches(tk: Mapping[str, Any], fps: Fingerprints) -> list[Fingerprint]:
    found: list[Fingerprint] = []
    queries = tk.get("queries")
    if not isinstance(queries, list):
        return found
    match_dns = fps.match_dns
    for q in queries:
        answers = q.get("answers") if isinstance(q, dict) else None
        if not isinstance(answers, list):
            continue
        for ans in answers:
            if isinstance(ans, dict):
                ip = ans.get("ipv4") or ans.get("ipv6")
                if isinstance(ip, str):
                    hits = match_dns(ip)
                    if hits:
                        found.extend(hits)
    return found
