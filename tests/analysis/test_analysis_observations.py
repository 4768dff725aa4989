"""Observations: our linked endpoint observations equal OONI minipipeline's, field by field.

OONI's values come from ``observations.json`` written by probe-cli beside each QA measurement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from analysis_shared import SHARED_DATA, shared_path

from netvigil.analysis import _webobs as wo
from netvigil.analysis import measurement_uid, observations_of

MINIPIPELINE = SHARED_DATA / "ooni" / "probecli_minipipeline"
FIELDS = {
    "http_title": "HTTPResponseTitle",
    "http_body_length": "HTTPResponseBodyLength",
    "http_status": "HTTPResponseStatusCode",
    "http_is_final": "HTTPResponseIsFinal",
    "tcp_failure": "TCPConnectFailure",
    "tls_failure": "TLSHandshakeFailure",
    "ctl_tcp_failure": "ControlTCPConnectFailure",
    "ctl_tls_failure": "ControlTLSHandshakeFailure",
    "ctl_http_failure": "ControlHTTPFailure",
    "ip_bogon": "IPAddressBogon",
}


def _dirs() -> list[str]:
    found = sorted(f"{p.parent.name}/{p.name}" for p in MINIPIPELINE.glob("*/*/"))
    return [d for d in found if (MINIPIPELINE / d / "observations.json").exists()] or ["absent"]


@pytest.mark.parametrize("scenario", _dirs())
def test_endpoint_observations_match_oonis(scenario: str) -> None:
    folder = shared_path("ooni", "probecli_minipipeline", *scenario.split("/"))
    m = orjson.loads((folder / "measurement.json").read_bytes())
    theirs = orjson.loads((folder / "observations.json").read_bytes())["KnownTCPEndpoints"]
    ours = wo.build(m["test_keys"], m["input"]).endpoints
    assert sorted(ours) == sorted(int(k) for k in theirs)
    for txid, expected in theirs.items():
        mine = ours[int(txid)]
        got = {field: getattr(mine, field) for field in FIELDS}
        assert got == {field: expected[key] for field, key in FIELDS.items()}, txid


def test_observation_rows_cover_every_step_with_the_control_beside() -> None:
    path = shared_path(
        "ooni", "probecli_minipipeline", "generated", "dnsBlockingBOGON", "measurement.json"
    )
    m: dict[str, Any] = orjson.loads(path.read_bytes())
    rows = observations_of(m)
    tk = m["test_keys"]
    kinds = [r.kind for r in rows]
    assert kinds.count("tcp") == len(tk["tcp_connect"])
    assert kinds.count("tls") == len(tk["tls_handshakes"])
    assert kinds.count("http") == len(tk["requests"])
    assert [r.observation_idx for r in rows] == list(range(len(rows)))
    assert {r.measurement_uid for r in rows} == {measurement_uid(m)}
    bogon = [r for r in rows if r.kind == "dns" and r.dns_answer == "10.10.34.35"]
    assert bogon and all(r.dns_answer_is_bogon for r in bogon)
    assert all(r.control_dns_answer_match is False for r in bogon)  # the control saw 93.184...
    assert not any("probe_ip" in name for name in rows[0].__struct_fields__)  # privacy


def test_observations_of_odd_data_is_empty_not_an_error() -> None:
    assert observations_of({"test_name": "web_connectivity", "test_keys": "x"}) == []
    rows = observations_of({"test_keys": {"queries": [1, {"failure": 5}], "requests": None}})
    assert [r.kind for r in rows] == ["dns"]


def test_dirs_found() -> None:
    if not Path(MINIPIPELINE).exists():
        pytest.skip("reference data absent")
    assert len(_dirs()) == 56
