"""Conformance with OONI: our re-derived web_connectivity verdicts equal OONI's own values.

OONI's values are read from each measurement's ``test_keys`` (written by OONI Probe), never
produced by our code. Scenarios: probe-cli's 50 QA censorship simulations, 6 real measurements
and one real measurement from Pakistan (JSON with comments).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from analysis_shared import SHARED_DATA, shared_path

from netvigil.analysis import analyze_web_connectivity, verdict_of

MINIPIPELINE = SHARED_DATA / "ooni" / "probecli_minipipeline"
PK = "20230706183840.201925_PK_webconnectivity_19f5e0d803cbaea7.jsonc"


def _scenarios(kind: str) -> list[str]:
    folder = MINIPIPELINE / kind
    names = sorted(p.parent.name for p in folder.glob("*/measurement.json"))
    return names or ["(reference data absent)"]


def _load(kind: str, name: str) -> dict[str, Any]:
    path = shared_path("ooni", "probecli_minipipeline", kind, name, "measurement.json")
    doc: dict[str, Any] = orjson.loads(path.read_bytes())
    return doc


def _ooni(tk: dict[str, Any]) -> tuple[Any, Any, Any]:
    return tk["blocking"], tk["accessible"], tk["dns_consistency"]


@pytest.mark.parametrize("scenario", _scenarios("generated"))
def test_generated_scenario_agrees_with_ooni(scenario: str) -> None:
    m = _load("generated", scenario)
    ours = analyze_web_connectivity(m["test_keys"], input_url=m["input"])
    assert (ours.blocking, ours.accessible, ours.dns_consistency) == _ooni(m["test_keys"])


@pytest.mark.parametrize("scenario", _scenarios("manual"))
def test_real_measurement_agrees_with_ooni(scenario: str) -> None:
    m = _load("manual", scenario)
    v = verdict_of(m)
    assert (v.blocking, v.accessible, v.dns_consistency) == _ooni(m["test_keys"])


COMPARISON = ("body_proportion", "body_length_match", "headers_match", "status_code_match")


@pytest.mark.parametrize("scenario", _scenarios("generated"))
def test_generated_failure_and_comparison_fields_agree_with_ooni(scenario: str) -> None:
    """The fields the probe writes beside the verdict (A's probe takes them from us)."""
    m = _load("generated", scenario)
    tk = m["test_keys"]
    ours = analyze_web_connectivity(tk, input_url=m["input"])
    assert ours.http_experiment_failure == tk["http_experiment_failure"]
    assert ours.dns_experiment_failure == tk["dns_experiment_failure"]
    for field in (*COMPARISON, "title_match"):
        expected = tk[field]
        if field == "body_proportion" and expected == 0:
            expected = None  # OONI writes 0 when there was nothing to compare
        assert getattr(ours, field) == expected, field


@pytest.mark.parametrize("scenario", _scenarios("manual"))
def test_real_failure_fields_agree_with_ooni(scenario: str) -> None:
    m = _load("manual", scenario)
    ours = analyze_web_connectivity(m["test_keys"], input_url=m["input"])
    assert ours.http_experiment_failure == m["test_keys"]["http_experiment_failure"]
    assert ours.dns_experiment_failure == m["test_keys"]["dns_experiment_failure"]


def test_pakistan_jsonc_measurement_agrees_with_ooni() -> None:
    path = shared_path("ooni", "probecli_minipipeline", PK)
    text = "\n".join(ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("//"))
    tk = orjson.loads(text)
    ours = analyze_web_connectivity(tk)
    assert (ours.blocking, ours.accessible, ours.dns_consistency) == _ooni(tk)
    assert ours.blocking_detail == "dns.hijack"  # resolved to addresses of another AS


def test_conformance_is_not_vacuous() -> None:
    """The three buckets OONI uses all occur, so agreement is not agreement on one value."""
    shared_path("ooni", "probecli_minipipeline", "generated")
    seen = set()
    for name in _scenarios("generated"):
        seen.add(_ooni(_load("generated", name)["test_keys"])[0])
    assert {False, None, "dns", "tcp_ip", "http-failure", "http-diff"} <= seen


@pytest.mark.parametrize(
    ("scenario", "detail"),
    [
        ("dnsBlockingNXDOMAIN", "dns.nxdomain"),
        ("dnsBlockingBOGON", "dns.bogon"),
        ("dnsHijackingToProxyWithHTTPURL", None),  # OONI: accessible through the proxy
        ("ghostDNSBlockingWithHTTP", "dns.hijack"),
        ("tcpBlockingConnectTimeout", "tcp.timeout"),
        ("tlsBlockingConnectionResetWithConsistentDNS", "tls.reset"),
        ("httpBlockingConnectionReset", "http.reset"),
        ("httpDiffWithConsistentDNS", "http.diff"),
        ("redirectWithConsistentDNSAndThenConnectionRefusedForHTTP", "tcp.refused"),
    ],
)
def test_blocking_detail_names_the_failing_step(scenario: str, detail: str | None) -> None:
    m = _load("generated", scenario)
    assert analyze_web_connectivity(m["test_keys"], input_url=m["input"]).blocking_detail == (
        detail
    )


def test_tls_interference_gets_its_own_aggregation_bucket() -> None:
    m = _load("generated", "tlsBlockingConnectionResetWithConsistentDNS")
    v = verdict_of(m)
    assert v.blocking == "http-failure"  # OONI's field is unchanged ...
    assert v.blocking_type == "tls"  # ... the finer bucket is an extra column


def test_measurement_uids_are_stable_and_distinct() -> None:
    paths = sorted(Path(MINIPIPELINE).glob("*/*/measurement.json"))
    if not paths:
        pytest.skip("reference data absent")
    docs = [orjson.loads(p.read_bytes()) for p in paths]
    uids = [verdict_of(d).measurement_uid for d in docs]
    assert len(set(uids)) == len(docs)
    assert uids == [verdict_of(orjson.loads(p.read_bytes())).measurement_uid for p in paths]
    assert uids[0].split("_")[1:3] == ["IT", "webconnectivity"]
    assert uids[0].startswith("20240212203347.")


def test_oonis_own_measurement_uid_is_kept() -> None:
    m = _load("generated", "successWithHTTPS")
    m["measurement_uid"] = "20230706183840.201925_PK_webconnectivity_19f5e0d803cbaea7"
    assert verdict_of(m).measurement_uid == m["measurement_uid"]
    m["measurement_uid"] = "../../etc/passwd"  # not OONI's shape: ignored, ours is derived
    assert verdict_of(m).measurement_uid.startswith("20240212203347.000000_IT_webconnectivity_")
