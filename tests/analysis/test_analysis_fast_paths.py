"""The analysis' shortcuts give what the general path gives (stored ids, classic view, matches),
and odd data that once raised gets a verdict."""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from analysis_shared import SHARED_DATA, shared_path

from netvigil.analysis import _webobs as wo
from netvigil.analysis import measurement_uid, verdict_of
from netvigil.analysis.fingerprints import _gate
from netvigil.analysis.webconnectivity import _classic

MINIPIPELINE = SHARED_DATA / "ooni" / "probecli_minipipeline"
# What an endpoint's own TCP/TLS/HTTP steps and their control say (its DNS fields depend on
# which lookups are linked, which system_only changes on purpose).
STEP_FIELDS = tuple(
    name
    for name in wo.WebObs.__slots__
    if not name.startswith(("dns_", "ctl_dns_")) and name not in ("ip_asn", "ip_bogon")
)


def test_measurement_uid_is_the_one_already_stored() -> None:
    # Stores de-duplicate on this id: these values were computed before any speed-up of it.
    path = shared_path(
        "ooni", "probecli_minipipeline", "generated", "dnsBlockingBOGON", "measurement.json"
    )
    m: dict[str, Any] = orjson.loads(path.read_bytes())
    prefix = "20240212203347.000000_IT_webconnectivity_"
    assert measurement_uid(m) == prefix + "b230b37c612fdf63"
    odd_envelope = dict(m, measurement_start_time="2024-02-12T20:33:47Z", probe_cc="it")
    assert measurement_uid(odd_envelope) == prefix + "59784f78c19c7d0e"
    huge_int = dict(m, test_keys=dict(m["test_keys"], x_big=2**70))  # repr() fallback
    assert measurement_uid(huge_int) == prefix + "aa9c4ce1bc99b26f"
    assert measurement_uid(dict(m, test_keys="odd")) == prefix + "52717afc12eaf65d"


def _steps(endpoints: dict[int, wo.WebObs]) -> dict[int, list[Any]]:
    return {txid: [getattr(o, name) for name in STEP_FIELDS] for txid, o in endpoints.items()}


def _shaken(m: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy with a few events' transaction ids, tags or engines changed."""
    m = copy.deepcopy(m)
    for key in ("queries", "tcp_connect", "tls_handshakes", "requests"):
        events = m["test_keys"].get(key)
        for ev in events if isinstance(events, list) else ():
            if isinstance(ev, dict) and rng.random() < 0.3:
                field = rng.choice(["transaction_id", "tags", "engine", "ip"])
                ev[field] = rng.choice([None, 1, 10001, ["depth=1"], ["fetch_body=false"], "x"])
    return m


def test_system_only_build_keeps_everything_the_classic_analysis_reads() -> None:
    paths = sorted(MINIPIPELINE.glob("*/*/measurement.json"))
    if not paths:
        pytest.skip(f"reference data {MINIPIPELINE} is absent")
    rng = random.Random(20261123)
    for path in paths:
        m = orjson.loads(path.read_bytes())
        for doc in (m, *(_shaken(m, rng) for _ in range(5))):
            tk, url = doc["test_keys"], doc["input"]
            full, fast = wo.build(tk, url), wo.build(tk, url, system_only=True)
            kept = _steps(_classic(fast).endpoints)
            assert kept == {txid: _steps(full.endpoints)[txid] for txid in kept}, path
            # endpoints the classic view drops keep what host_answered reads
            assert [(t, o.fetch_body, o.tcp_failure) for t, o in fast.endpoints.items()] == [
                (t, o.fetch_body, o.tcp_failure) for t, o in full.endpoints.items()
            ]


@pytest.mark.parametrize(
    "pattern",
    [r"URL .* Sp.*er Gate", r"<meta name=.*twitter:card", r"U\.S\..*Command", r"a\\.*b", r"x.*"],
)
def test_regexp_gate_never_skips_a_body_the_regexp_matches(pattern: str) -> None:
    rx = re.compile(pattern)
    rng = random.Random(pattern)
    pieces = [re.sub(r"\\(.)", r"\1", piece) for piece in pattern.split(".*")]
    filler = [*set(pattern.replace("\\", "")), "z", "\\", ".", "*"]
    for _ in range(500):
        pad = ["".join(rng.choices(filler, k=rng.randint(0, 6))) for _ in pieces]
        matching = "".join(p + f for p, f in zip(pieces, pad, strict=True))
        for body in (matching, matching[1:], matching[:-1], "\n" + matching):
            if rx.search(body):
                assert all(literal in body for literal in _gate(pattern)), body
            else:
                assert body != matching


@pytest.mark.parametrize("key", ["requests", "tcp_connect", "queries"])
def test_legacy_measurement_with_a_number_for_an_event_list_gets_a_verdict(key: str) -> None:
    # 0.4 rules used to raise TypeError here; odd data must give a verdict, never an error
    fixture = Path(__file__).parent / "fixtures" / "wc04_ok_http.json"
    m = orjson.loads(fixture.read_bytes())["measurement"]
    m["test_keys"][key] = 80
    assert verdict_of(m).outcome in {"ok", "anomaly", "failure"}
