"""The nettest registry: a test is chosen by name, added with one module and one registry line,
and every test gets the same OONI envelope and redaction."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nettest_echo_page
import pytest
from probe_servers import World, closed_port
from typer.testing import CliRunner

from netvigil._settings import ProbeSettings
from netvigil.cli.main import app
from netvigil.probe import nettests
from netvigil.probe.envelope import new_report_id
from netvigil.probe.inputs import Inputs, Target, from_arguments
from netvigil.probe.nettest import InputKind, Measured, Nettest, Session, VantagePoint
from netvigil.probe.runner import run_probe
from netvigil.probe.spool import Spool
from netvigil.probe.steps import Trace
from nvtest import shared_path


def probe(world: World, tmp_path: Path, *args: str) -> tuple[Any, list[dict[str, Any]]]:
    out = tmp_path / "m.jsonl"
    result = CliRunner().invoke(
        app, ["probe", "--yes", "--no-progress", "-o", str(out), *args], env=world.env()
    )
    lines = out.read_text().splitlines() if out.exists() else []
    return result, [json.loads(line) for line in lines]


@pytest.fixture
def echo_page(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the no-input nettest of nettest_echo_page.py: one registry line."""
    monkeypatch.setitem(nettests.REGISTRY, "echo_page", "nettest_echo_page")
    monkeypatch.setattr(nettest_echo_page, "PAGE", f"{world.http}/echo")


def test_every_registered_nettest_loads_under_its_own_name() -> None:
    assert nettests.DEFAULT in nettests.REGISTRY
    for name in nettests.REGISTRY:
        assert nettests.nettest(name).name == name
    for members in nettests.GROUPS.values():
        assert set(members) <= set(nettests.REGISTRY)
        nettests.input_kind([nettests.nettest(n) for n in members])  # one kind of input each


def test_an_unknown_test_name_is_a_clear_error_listing_the_known_ones(
    world: World, tmp_path: Path
) -> None:
    result, measured = probe(world, tmp_path, "--test", "web_connectivty", f"{world.http}/")
    assert result.exit_code == 2
    assert "unknown nettest 'web_connectivty'" in result.output
    known = "facebook_messenger, signal, telegram, tor, web_connectivity, whatsapp"
    assert f"known nettests: {known}" in result.output
    assert measured == [] and not (tmp_path / "m.jsonl").exists()  # refused before measuring


def test_an_unknown_group_lists_the_known_groups(world: World, tmp_path: Path) -> None:
    result, measured = probe(world, tmp_path, "--group", "imm", f"{world.http}/")
    assert result.exit_code == 2
    assert "unknown group 'imm'" in result.output
    assert "known groups: circumvention, im, websites" in result.output
    assert measured == []


def test_test_and_group_cannot_both_be_given(world: World, tmp_path: Path) -> None:
    args = ("--test", "web_connectivity", "--group", "websites", f"{world.http}/")
    result, measured = probe(world, tmp_path, *args)
    assert result.exit_code == 2 and "not both" in result.output
    assert measured == []


@pytest.mark.parametrize("selection", [[], ["--test", "web_connectivity"], ["--group", "websites"]])
def test_web_connectivity_is_the_default_the_named_test_and_the_websites_group(
    world: World, tmp_path: Path, selection: list[str]
) -> None:
    result, [m] = probe(world, tmp_path, *selection, f"{world.http}/")
    assert result.exit_code == 0, result.output
    assert (m["test_name"], m["input"]) == ("web_connectivity", f"{world.http}/")
    assert (m["test_keys"]["blocking"], m["test_keys"]["accessible"]) == (False, True)
    assert m["test_helpers"]["backend"]["address"] == world.helper_url
    assert "web_connectivity verdicts" in result.stdout


def test_a_nettest_without_input_runs_once_in_oonis_envelope(
    world: World, tmp_path: Path, echo_page: None
) -> None:
    args = ("--test", "echo_page", "--json", "--public-ip", "203.0.113.77", "-a", "k=v")
    result, [m] = probe(world, tmp_path, *args)
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.splitlines()[0])
    assert line == {
        "test_name": "echo_page",
        "input": None,
        "echo_reachable": True,
        "echo_failure": None,
        "error": None,
    }
    # The envelope keys of OONI Probe's own telegram measurement (a test without input or
    # helper): no more, no fewer.
    examples = shared_path("ooni", "nettest_examples", "examples.jsonl").read_text()
    ooni = next(
        m
        for m in map(json.loads, examples.splitlines())
        if m["test_name"] == "telegram" and "_n1_" in (m.get("report_id") or "")
    )
    assert ooni["input"] is None
    assert set(m) == set(ooni)
    assert (m["input"], m["probe_ip"], m["extensions"]) == (None, "127.0.0.1", {"httpt": 0})
    assert m["annotations"]["k"] == "v" and m["test_version"] == "0.0.1"
    assert re.fullmatch(r"\d{8}T\d{6}Z_echopage_ZZ_0_n1_[0-9a-f]{16}", m["report_id"])
    # the shared redaction: the public address the page echoes is scrubbed everywhere
    body = m["test_keys"]["requests"][0]["response"]["body"]
    assert "public [scrubbed]" in body
    assert "203.0.113.77" not in (tmp_path / "m.jsonl").read_text()


def test_a_nettest_without_input_refuses_urls(
    world: World, tmp_path: Path, echo_page: None
) -> None:
    result, measured = probe(world, tmp_path, "--test", "echo_page", f"{world.http}/")
    assert result.exit_code == 2
    assert "echo_page take(s) no input" in result.output
    assert measured == []


def test_a_group_runs_each_nettest_once_per_input_with_its_own_report(
    world: World, tmp_path: Path, echo_page: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(nettests.GROUPS, "mixed", ("web_connectivity", "echo_page"))
    urls = [f"{world.http}/", f"{world.http}/blockpage"]
    result, measured = probe(world, tmp_path, "--group", "mixed", *urls)
    assert result.exit_code == 0, result.output
    by_test: dict[str, list[dict[str, Any]]] = {}
    for m in measured:
        by_test.setdefault(m["test_name"], []).append(m)
    assert sorted(m["input"] for m in by_test["web_connectivity"]) == sorted(urls)
    assert [m["input"] for m in by_test["echo_page"]] == [None]
    web_reports = {m["report_id"] for m in by_test["web_connectivity"]}
    assert len(web_reports) == 1 and by_test["echo_page"][0]["report_id"] not in web_reports
    assert "web_connectivity verdicts" in result.stdout
    assert "echo_page verdicts" in result.stdout and "(no input)" in result.stdout


def test_report_ids_have_the_shape_of_oonis_for_every_test_name() -> None:
    """OONI's collector's ids in OONI's own examples: only the random part may differ."""
    path = shared_path("ooni", "nettest_examples", "examples.jsonl")
    checked = 0
    for line in path.open():
        m = json.loads(line)
        theirs = m.get("report_id") or ""
        if "_n1_" not in theirs:
            continue  # older collectors' ids (AS<n>_<random>)
        opened = datetime.strptime(theirs[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        vantage = VantagePoint(probe_cc=m["probe_cc"], probe_asn=m["probe_asn"])
        ours = new_report_id(m["test_name"], vantage, opened.timestamp())
        assert ours.rsplit("_", 1)[0] == theirs.rsplit("_", 1)[0]
        checked += 1
    assert checked >= 15  # whatsapp, telegram, signal, browser_web, simplequicping, ...


def test_endpoint_inputs_are_host_and_port() -> None:
    inputs = Inputs()
    given = [
        "198.51.100.7:443", "[2001:db8::1]:853", "dns.example:53",
        "198.51.100.7", "198.51.100.7:99999", "https://example.org/", "a b:1",
    ]  # fmt: skip
    from_arguments(given, inputs, InputKind.ENDPOINTS)
    assert [t.url for t in inputs.targets] == given[:3]
    assert [(p.line, p.field) for p in inputs.rejected] == [(n, "endpoint") for n in (4, 5, 6, 7)]


async def _reach(endpoint: str | None, session: Session) -> Measured:
    """A minimal endpoint nettest: can a TCP connection be opened?"""
    assert endpoint is not None
    host, _, port = endpoint.rpartition(":")
    try:
        _, writer = await asyncio.open_connection(host, int(port))
        writer.close()
        failure = None
    except OSError as exc:
        failure = type(exc).__name__
    return Measured({"reachable": failure is None, "failure": failure}, Trace())


def test_the_runner_measures_each_endpoint_of_an_endpoint_nettest(
    world: World, tmp_path: Path
) -> None:
    reach = Nettest(
        name="tcp_reach",
        version="0.0.1",
        inputs=InputKind.ENDPOINTS,
        measure=_reach,
        summary_keys=("reachable",),
    )
    open_port = world.http.rsplit(":", 1)[1]
    targets = [Target(f"127.0.0.1:{open_port}"), Target(f"127.0.0.1:{closed_port()}")]
    spool = Spool(tmp_path / "m.jsonl")
    probe_settings = ProbeSettings(helper_url=world.helper_url)
    try:
        outcomes = asyncio.run(
            run_probe([reach], targets, probe_settings, VantagePoint(), spool, {}, 4)
        )
    finally:
        spool.close()
    assert {o.input: o.summary for o in outcomes} == {
        targets[0].url: {"reachable": True},
        targets[1].url: {"reachable": False},
    }
    measured = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert sorted(m["input"] for m in measured) == sorted(t.url for t in targets)
    assert all(m["test_name"] == "tcp_reach" and "test_helpers" not in m for m in measured)
