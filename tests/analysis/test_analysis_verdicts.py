"""Verdicts beyond conformance: fingerprints and confirmed, services, odd data, the CLI."""

from __future__ import annotations

import copy
import csv
import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from analysis_shared import shared_path
from typer.testing import CliRunner

from netvigil._errors import InputError
from netvigil.analysis import RULES, RULES_VERSION, Fingerprints, verdict_of
from netvigil.cli.main import app

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def _fingerprint_dir() -> Path:
    return shared_path("ooni", "blocking-fingerprints")


def _rows(name: str) -> list[dict[str, str]]:
    with (_fingerprint_dir() / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


def _measurement(scenario: str) -> dict[str, Any]:
    path = shared_path("ooni", "probecli_minipipeline", "generated", scenario, "measurement.json")
    doc: dict[str, Any] = orjson.loads(path.read_bytes())
    return doc


def _with_body(m: dict[str, Any], body: str, cc: str) -> dict[str, Any]:
    m = copy.deepcopy(m)
    m["probe_cc"] = cc
    m["test_keys"]["requests"][0]["response"]["body"] = body
    return m


def test_fingerprints_load_every_row_of_oonis_csvs() -> None:
    fps = Fingerprints.load(_fingerprint_dir())
    assert len(fps) == len(_rows("fingerprints_dns.csv")) + len(_rows("fingerprints_http.csv"))


def test_isp_blockpage_body_confirms_blocking() -> None:
    row = next(
        r
        for r in _rows("fingerprints_http.csv")
        if r["location_found"] == "body" and r["pattern_type"] == "contains" and r["scope"] == "isp"
    )
    m = _with_body(
        _measurement("httpDiffWithConsistentDNS"), f"<html>{row['pattern']}</html>", "ZZ"
    )
    v = verdict_of(m, fingerprints=Fingerprints.load(_fingerprint_dir()))
    assert v.outcome == "confirmed"
    assert v.fingerprint == row["name"]
    assert v.blocking_detail == "http.blockpage"
    assert v.rule_id == "fp.http.confirmed.v1"
    assert v.blocking == "http-diff"  # OONI's field is kept


def test_known_false_positive_fingerprint_never_confirms() -> None:
    row = next(
        r
        for r in _rows("fingerprints_http.csv")
        if r["location_found"] == "body" and r["pattern_type"] == "contains" and r["scope"] == "fp"
    )
    m = _with_body(_measurement("httpDiffWithConsistentDNS"), f"<p>{row['pattern']}</p>", "ZZ")
    v = verdict_of(m, fingerprints=Fingerprints.load(_fingerprint_dir()))
    assert v.outcome == "anomaly"
    assert v.fingerprint is not None  # recorded, not confirming


def test_prod_scope_confirms_only_in_an_expected_country() -> None:
    row = next(
        r
        for r in _rows("fingerprints_http.csv")
        if r["location_found"] == "body"
        and r["pattern_type"] == "contains"
        and r["scope"] == "prod"
        and r["expected_countries"]
    )
    expected_cc = row["expected_countries"].split(",")[0].strip()
    fps = Fingerprints.load(_fingerprint_dir())
    base = _measurement("httpDiffWithConsistentDNS")
    assert verdict_of(_with_body(base, row["pattern"], expected_cc), fingerprints=fps).outcome == (
        "confirmed"
    )
    assert verdict_of(_with_body(base, row["pattern"], "ZZ"), fingerprints=fps).outcome == "anomaly"


def test_iranian_dns_blockpage_address_confirms() -> None:
    # OONI's dnsBlockingBOGON scenario answers 10.10.34.35, Iran's national blocking address.
    row = next(r for r in _rows("fingerprints_dns.csv") if r["pattern"] == "10.10.34.35")
    v = verdict_of(
        _measurement("dnsBlockingBOGON"), fingerprints=Fingerprints.load(_fingerprint_dir())
    )
    assert (v.outcome, v.fingerprint, v.blocking_detail) == (
        "confirmed",
        row["name"],
        "dns.blockpage",
    )


def test_bad_fingerprint_csv_names_file_line_and_field(tmp_path: Path) -> None:
    header = "name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,"
    header += "expected_countries,source,exp_url,notes\n"
    (tmp_path / "fingerprints_dns.csv").write_text(header)
    (tmp_path / "fingerprints_http.csv").write_text(header + "x,isp,,body,glob,abc,5,IR,,,\n")
    with pytest.raises(InputError) as err:
        Fingerprints.load(tmp_path)
    assert err.value.line == 2 and err.value.field == "pattern_type"
    assert "fingerprints_http.csv" in str(err.value.path)


@pytest.mark.parametrize("fixture", sorted(p.stem for p in FIXTURES.glob("*.json")))
def test_handwritten_fixture(fixture: str) -> None:
    doc = json.loads((FIXTURES / f"{fixture}.json").read_text())
    assert doc["reason"]
    v = verdict_of(doc["measurement"])
    for field, value in doc["expected"].items():
        assert getattr(v, field) == value, field
    assert v.rules_version == RULES_VERSION
    assert v.rule_id in {r.rule_id for r in RULES}


def test_unknown_test_is_a_failure_not_an_error() -> None:
    # dnscheck: a test OONI's fastpath does not score either (dash, its old example, now is)
    v = verdict_of({"test_name": "dnscheck", "test_keys": {"lookups": {}}, "probe_cc": "BR"})
    assert (v.outcome, v.rule_id, v.blocking) == ("failure", "any.unknown_test.v1", None)


@pytest.mark.parametrize(
    "test_keys",
    [
        None,
        [],
        {"queries": "x", "tcp_connect": [1, None], "requests": [{"response": 3}], "control": []},
        {"queries": [{"answers": [{"answer_type": "A", "ipv4": 7}]}], "control": {"dns": 1}},
        {"tcp_connect": [{"ip": "1.2.3.4", "port": "x", "status": None}], "control": {"x": 1}},
        {"telegram_tcp_blocking": "yes"},
    ],
)
def test_odd_measurement_data_never_raises(test_keys: Any) -> None:
    for test in ("web_connectivity", "telegram", "tor"):
        v = verdict_of({"test_name": test, "test_keys": test_keys, "input": "http://x/"})
        assert v.outcome in {"ok", "anomaly", "confirmed", "failure"}


def test_verdict_json_has_exactly_the_issue_fields() -> None:
    v = verdict_of(_measurement("successWithHTTPS"))
    assert list(v.to_json_dict()) == [
        "measurement_uid", "input", "test_name", "probe_cc", "probe_asn",
        "measurement_start_time", "blocking", "accessible", "dns_consistency", "outcome",
        "blocking_detail", "fingerprint", "rule_id", "rules_version",
    ]  # fmt: skip
    assert (v.outcome, v.domain) == ("ok", "www.example.com")


def test_every_rule_is_documented() -> None:
    text = (REPO / "docs" / "rules.md").read_text()
    missing = [r.rule_id for r in RULES if f"`{r.rule_id}`" not in text]
    assert not missing
    assert RULES_VERSION in text


def test_cli_prints_verdicts_and_reports_bad_lines(tmp_path: Path) -> None:
    good = orjson.dumps(_measurement("dnsBlockingNXDOMAIN")).decode()
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(f"{good}\n{{oops\n[1]\n{good}\n")
    result = CliRunner().invoke(app, ["verdict", str(jsonl)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert [x["blocking"] for x in lines] == ["dns", "dns"]
    assert f"{jsonl}:2: invalid JSON" in result.stderr
    assert f"{jsonl}:3: expected a JSON object" in result.stderr


def test_cli_reads_a_gz_file_cut_in_the_middle(tmp_path: Path) -> None:
    folder = shared_path("ooni", "probecli_minipipeline", "generated")
    docs = [orjson.loads(p.read_bytes()) for p in sorted(folder.glob("*/measurement.json"))][:40]
    whole = gzip.compress(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    result = CliRunner().invoke(app, ["verdict", str(cut)])
    printed = [x for x in result.stdout.splitlines() if x.startswith("{")]
    assert 0 < len(printed) < 40
    assert "unreadable from here on" in result.stderr


def test_cli_reads_oonis_jsonc_test_keys(tmp_path: Path) -> None:
    src = shared_path(
        "ooni",
        "probecli_minipipeline",
        "20230706183840.201925_PK_webconnectivity_19f5e0d803cbaea7.jsonc",
    )
    result = CliRunner().invoke(app, ["verdict", str(src)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.splitlines()[0])
    assert (out["blocking"], out["dns_consistency"]) == ("dns", "inconsistent")


def test_cli_names_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["verdict", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "nope.jsonl" in result.output + (result.stderr or "")


def test_fingerprints_load_from_a_url(tmp_path: Path) -> None:
    """Users may point settings at a URL: served here by a real HTTP server on loopback."""
    import functools
    import http.server
    import shutil
    import threading

    from netvigil._errors import RemoteError

    for name in ("fingerprints_dns.csv", "fingerprints_http.csv"):
        shutil.copy(_fingerprint_dir() / name, tmp_path / name)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert len(Fingerprints.load(url)) == len(Fingerprints.load(_fingerprint_dir()))
        with pytest.raises(RemoteError):
            Fingerprints.load(url + "/missing")
    finally:
        server.shutdown()
        server.server_close()


def test_cli_takes_fingerprints_from_the_settings_file(tmp_path: Path) -> None:
    """``analysis.fingerprints`` in a TOML settings file turns a blockpage into confirmed."""
    m = _measurement("dnsBlockingBOGON")  # answers Iran's blocking address 10.10.34.35
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_bytes(orjson.dumps(m) + b"\n")
    config = tmp_path / "netvigil.toml"
    config.write_text(f'[analysis]\nfingerprints = "{_fingerprint_dir()}"\n')
    plain = CliRunner().invoke(app, ["verdict", str(jsonl)])
    configured = CliRunner().invoke(app, ["--config", str(config), "verdict", str(jsonl)])
    assert json.loads(plain.stdout)["outcome"] == "anomaly"
    assert json.loads(configured.stdout)["outcome"] == "confirmed", configured.output
