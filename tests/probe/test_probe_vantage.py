"""probe_cc / probe_asn: settings, else a MaxMind DB looked up with the public IP, else ZZ/AS0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet
from probe_servers import World
from typer.testing import CliRunner

from netvigil._errors import ConfigError, InputError
from netvigil._settings import ProbeSettings
from netvigil.cli.main import app
from netvigil.probe.vantage import vantage_point


@pytest.fixture
def mmdb(tmp_path: Path) -> Path:
    writer = MMDBWriter(ip_version=4, database_type="GeoLite2-ASN-Country-test")
    record = {
        "country": {"iso_code": "IR"},
        "autonomous_system_number": 58224,
        "autonomous_system_organization": "Iran Telecommunication Company PJS",
    }
    writer.insert_network(IPSet(["203.0.113.0/24"]), record)
    path = tmp_path / "geo.mmdb"
    writer.to_db_file(str(path))
    return path


def test_mmdb_gives_cc_and_asn_for_the_public_ip(mmdb: Path) -> None:
    v = vantage_point(ProbeSettings(mmdb_path=mmdb), "203.0.113.77")
    assert (v.probe_cc, v.probe_asn) == ("IR", "AS58224")
    assert v.probe_network_name == "Iran Telecommunication Company PJS"
    assert v.private_addresses == frozenset({"203.0.113.77"})  # to be scrubbed, not stored


def test_settings_win_over_the_mmdb_and_unknown_stays_zz(mmdb: Path) -> None:
    v = vantage_point(ProbeSettings(mmdb_path=mmdb, probe_cc="DE"), "203.0.113.77")
    assert (v.probe_cc, v.probe_asn) == ("DE", "AS58224")
    outside = vantage_point(ProbeSettings(mmdb_path=mmdb), "198.51.100.1")
    assert (outside.probe_cc, outside.probe_asn) == ("ZZ", "AS0")
    no_ip = vantage_point(ProbeSettings(mmdb_path=mmdb), None)
    assert (no_ip.probe_cc, no_ip.probe_asn) == ("ZZ", "AS0")


def test_bad_mmdb_and_bad_public_ip_are_clear_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mmdb"
    junk.write_bytes(b"not a database")
    with pytest.raises(ConfigError, match=r"junk\.mmdb"):
        vantage_point(ProbeSettings(mmdb_path=junk), "203.0.113.77")
    with pytest.raises(InputError, match="not an IP address"):
        vantage_point(ProbeSettings(), "203.0.113")


def test_measurement_carries_the_lookup_but_never_the_public_ip(
    world: World, mmdb: Path, tmp_path: Path
) -> None:
    out = tmp_path / "m.jsonl"
    env = world.env(NETVIGIL_PROBE__MMDB_PATH=str(mmdb))
    args = ["probe", "--yes", "-o", str(out), "--public-ip", "203.0.113.77", f"{world.http}/echo"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    raw = out.read_text()
    m = json.loads(raw)
    assert (m["probe_cc"], m["probe_asn"]) == ("IR", "AS58224")
    assert m["report_id"].split("_")[2:4] == ["IR", "58224"]
    # the echo page printed it; the measurement must not
    assert "203.0.113.77" not in raw and "public [scrubbed]" in raw
