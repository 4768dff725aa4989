"""Ingest reads every format of OONI's archive, and judges with the configured IP table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from netvigil.analysis.iptable import IpTable
from netvigil.cli.main import app
from netvigil.ingest.chunks import Rules, analyze_chunk
from netvigil.ingest.sources import Line
from nvtest import shared_path


def _examples() -> list[bytes]:
    path = shared_path("ooni", "nettest_examples", "examples.jsonl")
    return path.read_bytes().splitlines()


def _verdicts(result: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = result.batch.verdicts.to_pylist()
    return rows


def test_every_example_of_every_test_and_version_is_stored_and_judged() -> None:
    lines = _examples()
    result = analyze_chunk(
        "examples.jsonl", [Line(n, d, True) for n, d in enumerate(lines, 1)], None
    )
    assert result.bad == [] and result.analysis_errors == []
    verdicts = _verdicts(result)
    assert len(verdicts) == len(lines) == 69
    assert {v["test_name"] for v in verdicts} >= {"dns_consistency", "http_host", "tor", "ndt"}
    # the 2015 reports converted from YAML get their own start time, not an empty one
    hirl = next(v for v in verdicts if v["test_name"] == "http_invalid_request_line")
    assert str(hirl["measurement_start_time"]).startswith("2015-12-01 07:25:12")
    assert hirl["measurement_uid"].startswith("20151201072512")
    assert hirl["outcome"] == "anomaly"


def test_null_test_keys_is_stored_with_a_failure_verdict() -> None:
    m = orjson.loads(_examples()[10])
    m["test_keys"] = None
    result = analyze_chunk("null.jsonl", [Line(1, orjson.dumps(m), True)], None)
    assert result.bad == []
    [v] = _verdicts(result)
    assert (v["outcome"], v["rule_id"]) == ("failure", "any.malformed.v1")
    assert result.batch.raw is not None and result.batch.raw.num_rows == 1


def test_the_ip_table_decides_dns_consistency_in_ingest(tmp_path: Path) -> None:
    """OONI's QA scenario: the probe's resolver answers a proxy's address, the helper the site's,
    as recorded by a probe and helper without a GeoIP database (no ASNs in the measurement).
    Both in one network (per the IP table): consistent; without a table: inconsistent."""
    path = shared_path(
        "ooni", "probecli_minipipeline", "generated", "dnsHijackingToProxyWithHTTPURL",
        "measurement.json",
    )  # fmt: skip
    m = orjson.loads(path.read_bytes())
    for query in m["test_keys"]["queries"]:
        for answer in query.get("answers") or []:
            answer.pop("asn", None)
    m["test_keys"]["control"].pop("ip_info", None)
    line = [Line(1, orjson.dumps(m), True)]
    table = tmp_path / "asn.csv"
    table.write_text("start,end,asn,country\n93.184.216.34,93.184.216.34,64500,US\n"
                     "130.192.182.17,130.192.182.17,64500,US\n")  # fmt: skip
    plain = _verdicts(analyze_chunk("m.jsonl", line, None))[0]
    rules = Rules(ip_table=IpTable.load(table))
    judged = analyze_chunk("m.jsonl", line, rules)
    assert plain["dns_consistency"] == "inconsistent"
    assert _verdicts(judged)[0]["dns_consistency"] == "consistent"
    asns = judged.batch.observations.column("ip_asn").to_pylist()
    assert 64500 in asns  # the same table enriched the observations


def test_ingest_says_when_no_ip_table_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETVIGIL_STORE", str(tmp_path / "store"))
    data = tmp_path / "m.jsonl"
    data.write_bytes(_examples()[10] + b"\n")
    result = CliRunner().invoke(app, ["ingest", str(data), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "no IP table configured" in result.stderr
    table = tmp_path / "asn.csv"
    table.write_text("network,asn,country\n0.0.0.0/0,64500,US\n")
    again = CliRunner().invoke(
        app, ["ingest", str(data), "--workers", "1", "--ip-table", str(table)]
    )
    assert again.exit_code == 0, again.output
    assert "no IP table" not in again.stderr
