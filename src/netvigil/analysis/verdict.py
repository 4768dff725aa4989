"""raw measurement -> Verdict: dispatch on test_name, then apply the blockpage fingerprints.

Never raises on odd measurement data: a measurement we cannot judge gets ``outcome="failure"``
with the rule that says why (``any.unknown_test.v1``, ``any.malformed.v1``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netvigil.analysis._uid import measurement_uid
from netvigil.analysis._webobs import body_text, domain_of
from netvigil.analysis.fingerprints import Fingerprint, Fingerprints
from netvigil.analysis.rules import ANY_MALFORMED, ANY_UNKNOWN_TEST, FP, RULES_VERSION, WC
from netvigil.analysis.services import ANALYZERS
from netvigil.analysis.webconnectivity import analyze_web_connectivity
from netvigil.models.verdicts import Outcome, Verdict

WEB_TESTS = frozenset({"web_connectivity"})


def verdict_of(
    m: Mapping[str, Any], *, fingerprints: Fingerprints | None = None, uid: str | None = None
) -> Verdict:
    """The verdict of one raw measurement (``uid`` saves recomputing the id when known)."""
    test = m.get("test_name")
    test = test if isinstance(test, str) else ""
    inp = m.get("input")
    inp = inp if isinstance(inp, str) else None
    cc = m.get("probe_cc")
    cc = cc if isinstance(cc, str) and cc else "ZZ"
    asn = m.get("probe_asn")
    asn = asn if isinstance(asn, str) and asn else "AS0"
    start = m.get("measurement_start_time")
    common: dict[str, Any] = {
        "measurement_uid": uid if uid is not None else measurement_uid(m),
        "input": inp,
        "test_name": test,
        "probe_cc": cc,
        "probe_asn": asn,
        "measurement_start_time": start if isinstance(start, str) else "",
        "rules_version": RULES_VERSION,
        "domain": domain_of(inp),
    }
    tk = m.get("test_keys")
    if not isinstance(tk, dict):
        return _failure(common, ANY_MALFORMED)
    if test in WEB_TESTS:
        wc = analyze_web_connectivity(tk, input_url=inp)
        detail = wc.blocking_detail
        blocking_type = _web_blocking_type(wc.blocking, detail)
        outcome: Outcome = _outcome(wc.blocking)
        verdict = Verdict(
            **common,
            blocking=wc.blocking,
            accessible=wc.accessible,
            dns_consistency=wc.dns_consistency,
            outcome=outcome,
            blocking_detail=detail,
            fingerprint=None,
            rule_id=wc.rule_id,
            blocking_type=blocking_type,
        )
    elif test in ANALYZERS:
        sa = ANALYZERS[test](tk)
        verdict = Verdict(
            **common,
            blocking=sa.blocking,
            accessible=sa.accessible,
            dns_consistency=sa.dns_consistency,
            outcome=_outcome(sa.blocking),
            blocking_detail=sa.blocking_type,
            fingerprint=None,
            rule_id=sa.rule_id,
            blocking_type=sa.blocking_type,
        )
    else:
        return _failure(common, ANY_UNKNOWN_TEST)
    if fingerprints is not None and len(fingerprints):
        return _apply_fingerprints(verdict, tk, fingerprints)
    return verdict


def _failure(common: dict[str, Any], rule_id: str) -> Verdict:
    return Verdict(
        **common,
        blocking=None,
        accessible=None,
        dns_consistency=None,
        outcome="failure",
        blocking_detail=None,
        fingerprint=None,
        rule_id=rule_id,
    )


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


def _apply_fingerprints(verdict: Verdict, tk: Mapping[str, Any], fps: Fingerprints) -> Verdict:
    http = [] if verdict.rule_id in _REAL_PAGE_RULES else _http_matches(tk, fps)
    dns = _dns_matches(tk, fps)
    for matches, confirmed_rule, detail, bucket in (
        (http, FP.HTTP_CONFIRMED, "http.blockpage", verdict.blocking_type or "http-diff"),
        (dns, FP.DNS_CONFIRMED, "dns.blockpage", "dns"),
    ):
        confirming = [fp for fp in matches if fp.confirms(verdict.probe_cc)]
        if confirming:
            return _replace(
                verdict,
                outcome="confirmed",
                fingerprint=confirming[0].name,
                rule_id=confirmed_rule,
                blocking_detail=detail,
                blocking_type=bucket,
            )
    recorded = next(iter(http or dns), None)
    if recorded is not None:
        return _replace(verdict, fingerprint=recorded.name)
    return verdict


def _replace(verdict: Verdict, **changes: Any) -> Verdict:
    import msgspec

    return msgspec.structs.replace(verdict, **changes)


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
    for q in queries:
        answers = q.get("answers") if isinstance(q, dict) else None
        if not isinstance(answers, list):
            continue
        for ans in answers:
            if isinstance(ans, dict):
                ip = ans.get("ipv4") or ans.get("ipv6")
                if isinstance(ip, str):
                    found.extend(fps.match_dns(ip))
    return found
