"""BGP visibility from the RIPE RIS / bgpkit MRT samples, checked against a separate header walk."""

from __future__ import annotations

import bz2
import gzip
import struct
from pathlib import Path

import pytest
from tests.conftest import shared_path

from netvigil.detect.bgp import MrtStats, bgp_points, read_asn_countries

RRC03 = "bgpkit_tests_fixtures_ripe_rrc03_2010.02_updates.20100227.1600.first-796-records.gz"
LOCAL = "bgpkit_examples_local_only_updates.bz2"
RRC15 = "bgpkit_tests_fixtures_ripe_rrc15_2010.02_updates.20100227.1600.gz"


def walk_headers(path: Path) -> tuple[int, int]:
    """(MRT records, BGP UPDATE messages) read straight from RFC 6396 headers, without mrtparse."""
    opener = bz2.open if path.suffix == ".bz2" else gzip.open
    data = opener(path).read()
    records = updates = 0
    pos = 0
    while pos + 12 <= len(data):
        _ts, mtype, subtype, length = struct.unpack(">IHHI", data[pos : pos + 12])
        body = data[pos + 12 : pos + 12 + length]
        pos += 12 + length
        records += 1
        if mtype in (16, 17) and subtype in (1, 4):  # BGP4MP(_ET) MESSAGE(_AS4)
            off = 4 if mtype == 17 else 0  # ET: microseconds come first
            as_len = 4 if subtype == 4 else 2
            off += 2 * as_len + 2  # peer AS, local AS, interface index
            (afi,) = struct.unpack(">H", body[off : off + 2])
            off += 2 + 2 * (4 if afi == 1 else 16)  # AFI, peer IP, local IP
            if body[off + 18] == 2:  # after the 16-byte marker and 2-byte length
                updates += 1
    return records, updates


@pytest.mark.parametrize("name", [RRC03, LOCAL, RRC15])
def test_record_and_update_counts_match_an_independent_header_walk(name: str) -> None:
    path = shared_path("outages", name)
    stats = MrtStats()
    points = bgp_points([path], stats=stats)
    assert (stats.records, stats.updates) == walk_headers(path)
    assert stats.skipped == 0
    assert points and all(p.signal == "bgp-visible-prefixes" for p in points)


def test_rrc03_sample_has_796_records() -> None:
    # The fixture's file name says it is the first 796 records of the RIS dump.
    stats = MrtStats()
    bgp_points([shared_path("outages", RRC03)], stats=stats)
    assert stats.records == 796


def test_counts_per_asn_and_per_country_with_a_mapping(tmp_path: Path) -> None:
    path = shared_path("outages", LOCAL)
    per_asn = [p for p in bgp_points([path]) if p.entity_type == "asn"]
    last_ts = max(p.timestamp for p in per_asn)
    final = {p.entity_code: p.value for p in per_asn if p.timestamp == last_ts}
    mapping = tmp_path / "asn.csv"
    mapping.write_text("asn,cc\n" + "".join(f"{code},ZW\n" for code in final))
    countries = [
        p
        for p in bgp_points([path], asn_country=read_asn_countries(mapping))
        if p.entity_type == "country" and p.timestamp == last_ts
    ]
    # Every ASN mapped to one country: the country count is the sum over its ASNs.
    assert [(p.entity_code, p.value) for p in countries] == [("ZW", sum(final.values()))]


def test_bad_asn_country_line_is_named(tmp_path: Path) -> None:
    from netvigil._errors import InputError

    mapping = tmp_path / "asn.csv"
    mapping.write_text("asn,cc\nAS1,US\nnot-an-asn,XX\n")
    with pytest.raises(InputError) as err:
        read_asn_countries(mapping)
    assert err.value.line == 3


def test_reading_bgp_leaves_a_closed_pipe_an_error_not_a_kill() -> None:
    """mrtparse sets SIGPIPE to its default action when imported; the process that reads BGP data
    (a server, a CLI run, this test session) must still get BrokenPipeError from a write to a
    closed pipe instead of being killed by the signal (CI died with exit 141 this way)."""
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from netvigil.detect.bgp import bgp_points\n"
        f"bgp_points([Path({str(shared_path('outages', RRC03))!r})])\n"
        "r, w = os.pipe(); os.close(r)\n"
        "try:\n"
        "    os.write(w, b'x')\n"
        "except BrokenPipeError:\n"
        "    print('broken pipe raised')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert done.stdout.strip() == "broken pipe raised"
