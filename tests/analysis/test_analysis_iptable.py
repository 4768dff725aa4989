"""IP -> ASN/country enrichment of observations (analysis.ip_table): MMDB and CSV range tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson
import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet
from typer.testing import CliRunner

from netvigil._errors import ConfigError, InputError
from netvigil.analysis.iptable import IpTable
from netvigil.cli.main import app
from netvigil.store import open_store
from nvtest import shared_path

runner = CliRunner()


def _measurements() -> list[Path]:
    base = shared_path("ooni", "probecli_minipipeline", "generated")
    return sorted(base.glob("*/measurement.json"))[:12]


def _addresses(paths: list[Path]) -> set[str]:
    """Every address the measurements connected to (OONI's own data, not ours)."""
    found = set()
    for path in paths:
        tk = json.loads(path.read_bytes())["test_keys"]
        found.update(t["ip"] for t in tk.get("tcp_connect") or [])
    return found


def _ingest(monkeypatch: pytest.MonkeyPatch, store: Path, *args: str) -> None:
    monkeypatch.setenv("NETVIGIL_STORE", str(store))
    result = runner.invoke(app, ["ingest", "--json", *args])
    assert result.exit_code == 0, result.output


def _enriched(store: Path) -> dict[str, set[tuple[int | None, str | None]]]:
    con = open_store(store, writable=False).connect()
    rows = con.execute("SELECT ip, ip_asn, ip_cc FROM observations WHERE ip IS NOT NULL").fetchall()
    out: dict[str, set[tuple[int | None, str | None]]] = {}
    for ip, asn, cc in rows:
        out.setdefault(ip, set()).add((asn, cc))
    return out


def test_a_csv_range_table_annotates_every_row_of_an_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _measurements()
    ips = sorted(_addresses(files))
    assert len(ips) >= 2, "the fixtures connect to several addresses"
    known, other = ips[0], ips[1:]
    table = tmp_path / "ranges.csv"
    table.write_text(f"network,asn,country\n{known}/32,AS15169,us\n", encoding="utf-8")
    store = tmp_path / "store"
    _ingest(monkeypatch, store, *map(str, files), "--ip-table", str(table), "--workers", "2")
    seen = _enriched(store)
    assert seen[known] == {(15169, "US")}  # every row of that address, DNS and TCP alike
    assert all(seen[ip] == {(None, None)} for ip in other if ip in seen)


def test_without_a_table_the_columns_exist_and_are_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    _ingest(monkeypatch, store, *map(str, _measurements()[:3]))
    seen = _enriched(store)
    assert seen and all(values == {(None, None)} for values in seen.values())


def test_start_end_tsv_and_ipv6_and_unrouted(tmp_path: Path) -> None:
    table = tmp_path / "ip2asn.tsv"
    table.write_text(
        "range_start\trange_end\tas_number\tcountry_code\n"
        "1.0.0.0\t1.0.0.255\t13335\tAU\n"
        "1.0.4.0\t1.0.7.255\t0\tNone\n"  # ip2asn's "not routed"
        "2001:db8::\t2001:db8::ffff\tAS64500\tIR\n",
        encoding="utf-8",
    )
    ip = IpTable.load(table)
    assert ip.lookup("1.0.0.7") == (13335, "AU")
    assert ip.lookup("1.0.0.255") == (13335, "AU")  # the end is inclusive
    assert ip.lookup("1.0.1.0") == (None, None)  # between ranges
    assert ip.lookup("1.0.5.1") == (None, None)  # not routed
    assert ip.lookup("2001:db8::2") == (64500, "IR")
    assert ip.lookup("not an address") == (None, None)


def test_an_mmdb_database(tmp_path: Path) -> None:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-test")
    record = {"country": {"iso_code": "ir"}, "autonomous_system_number": 58224}
    writer.insert_network(IPSet(["203.0.113.0/24"]), record)
    path = tmp_path / "geo.mmdb"
    writer.to_db_file(str(path))
    ip = IpTable.load(path)
    assert ip.lookup("203.0.113.9") == (58224, "IR")
    assert ip.lookup("198.51.100.1") == (None, None)
    (tmp_path / "junk.mmdb").write_bytes(b"not a database")
    with pytest.raises(ConfigError, match=r"junk\.mmdb"):
        IpTable.load(tmp_path / "junk.mmdb")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ip,owner\n1.2.3.4,x\n", r"ranges\.csv:1: .*expected a header with 'network'"),
        ("network,asn\n1.2.3.0/24,1\nbogus,2\n", r"ranges\.csv:3: .*network.*expected an IP range"),
        ("network,country\n1.2.3.0/24,IRN\n", r"ranges\.csv:2: .*country.*two-letter"),
        ("network,asn\n1.2.0.0/16,1\n1.2.3.0/24,2\n", r"ranges\.csv:3: range overlaps"),
        ("start,end,asn\n1.2.3.9,1.2.3.1,5\n", r"ranges\.csv:2: .*not a range"),
    ],
)
def test_bad_tables_name_the_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "ranges.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        IpTable.load(path)
    assert re.search(expected, info.value.render()), info.value.render()


def test_a_bad_table_stops_the_ingest_before_anything_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "ranges.csv"
    bad.write_text("network,asn\nnot-a-network,1\n", encoding="utf-8")
    store = tmp_path / "store"
    monkeypatch.setenv("NETVIGIL_STORE", str(store))
    files = [str(p) for p in _measurements()[:2]]
    result = runner.invoke(app, ["ingest", *files, "--ip-table", str(bad), "--workers", "2"])
    assert result.exit_code == 2
    assert f"{bad}:2" in result.output
    assert not list(store.rglob("*.parquet"))
    ok = runner.invoke(app, ["ingest", "--json", *files])
    assert orjson.loads(ok.output.strip().splitlines()[-1])["ingested"] == 2
