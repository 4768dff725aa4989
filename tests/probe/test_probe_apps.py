"""The app tests on the command line: groups, summary columns, and bad input stopped up front.

On loopback servers (tests/probe/conftest.py's world), with a catalogue whose endpoints are those
servers, as a deployment gives its own; the censorship cases are in tests/lab/test_lab_apps.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from probe_servers import World, closed_port
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.models.catalogue import DEFAULT_PATH


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def loopback_catalogue(world: World, path: Path) -> Path:
    """The four messaging services, every endpoint on the world's servers (one port closed)."""
    http, https, closed = _port(world.http), _port(world.https), closed_port()
    shipped = DEFAULT_PATH.read_text(encoding="utf-8")
    head = shipped[: shipped.index("[services.telegram]")]
    q = json.dumps
    comp = 'components = [{ name = %s, key = %s, reads = %s, condition = "-" }%s]'
    http_component = ', { name = "http", key = "telegram_http_blocking", reads = "flag", '
    http_component += 'condition = "-" }'
    path.write_text(
        head
        + f"""
[services.telegram]
label = "Telegram"
kind = "messaging"
nettest = "telegram"
{comp % (q("web"), q("telegram_web_status"), q("status"), http_component)}
endpoints = [
  {{ component = "web", protocol = "https", ports = [{https}], path = "/", hosts = ["localhost"] }},
  {{ component = "web", protocol = "http", ports = [{http}, {closed}], hosts = ["127.0.0.1"] }},
]

[services.whatsapp]
label = "WhatsApp"
kind = "messaging"
nettest = "whatsapp"
{comp % (q("web"), q("whatsapp_web_status"), q("status"), "")}
endpoints = [
  {{ component = "web", protocol = "tcp", ports = [{http}, {closed}], hosts = ["localhost"] }},
  {{ component = "web", protocol = "https", ports = [{https}], path = "/", hosts = ["localhost"] }},
]
""".replace('component = "web", protocol = "http",', 'component = "http", protocol = "http",'),
        encoding="utf-8",
    )
    return path


def _probe(world: World, tmp_path: Path, *args: str, **env: str) -> tuple[Any, list[Any]]:
    out = tmp_path / "m.jsonl"
    result = CliRunner().invoke(
        app, ["probe", "--yes", "--no-progress", "-o", str(out), *args], env=world.env(**env)
    )
    lines = out.read_text().splitlines() if out.exists() else []
    return result, [json.loads(line) for line in lines]


def test_an_unknown_test_lists_the_app_tests_too(world: World, tmp_path: Path) -> None:
    result, measured = _probe(world, tmp_path, "--test", "telegramm")
    assert result.exit_code == 2 and not measured
    assert "unknown nettest 'telegramm'" in result.output
    for name in ("facebook_messenger", "signal", "telegram", "tor", "whatsapp"):
        assert name in result.output


def test_a_tor_target_list_that_does_not_parse_names_its_line(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "targets.json"
    bad.write_text('{\n  "a": {"address": "192.0.2.9:9001", "protocol": "or_port"}\n  "b": {}\n}\n')
    result, measured = _probe(world, tmp_path, "--test", "tor", "--tor-targets", str(bad))
    assert result.exit_code == 2 and not measured
    assert f"{bad}:3: not JSON" in result.output
    missing = tmp_path / "missing.json"
    missing.write_text('{\n  "a": {"address": "192.0.2.9:9001", "protocol": "dir_port"},\n'
                       '  "b": {"protocol": "obfs4"}\n}\n')  # fmt: skip
    result, measured = _probe(world, tmp_path, "--test", "tor", "--tor-targets", str(missing))
    assert result.exit_code == 2 and not measured
    assert f"{missing}:3: field 'b.address': missing" in result.output
    no_list, measured = _probe(world, tmp_path, "--group", "circumvention")
    assert no_list.exit_code == 2 and "needs a target list" in no_list.output


def test_an_endpoint_table_with_a_bad_address_is_rejected_before_measuring(
    world: World, tmp_path: Path
) -> None:
    shipped = DEFAULT_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "services.toml"
    bad.write_text(shipped.replace('"149.154.175.50", "149.154.167.51"',
                                   '"149.154.175.500", "149.154.167.51"', 1))  # fmt: skip
    out = tmp_path / "m.jsonl"
    result = CliRunner().invoke(
        app,
        ["probe", "--yes", "--no-progress", "-o", str(out), "--group", "im"],
        env=world.env(NETVIGIL_CATALOGUE=str(bad)),
    )
    assert result.exit_code == 2
    assert "'149.154.175.500' is neither an IP address nor a host name" in result.output
    assert "services.telegram.endpoints[0].hosts" in result.output
    assert not out.exists()  # nothing was measured, not even the spool opened


def test_a_catalogue_missing_a_component_the_test_needs_is_rejected(
    world: World, tmp_path: Path
) -> None:
    cat = loopback_catalogue(world, tmp_path / "services.toml")
    result, measured = _probe(world, tmp_path, "--test", "signal", NETVIGIL_CATALOGUE=str(cat))
    assert result.exit_code == 2 and not measured
    assert "no service measured by signal" in result.output
    result, measured = _probe(world, tmp_path, "--test", "whatsapp", NETVIGIL_CATALOGUE=str(cat))
    assert result.exit_code == 2 and "whatsapp needs tcp endpoints for its 'endpoints'" in (
        result.output
    )


def test_telegram_on_loopback_reads_its_endpoints_from_the_catalogue(
    world: World, tmp_path: Path
) -> None:
    cat = loopback_catalogue(world, tmp_path / "services.toml")
    result, measured = _probe(world, tmp_path, "--test", "telegram", NETVIGIL_CATALOGUE=str(cat))
    assert result.exit_code == 0, result.output
    (m,) = measured
    tk = m["test_keys"]
    assert (m["test_name"], m["input"], m["probe_ip"]) == ("telegram", None, "127.0.0.1")
    # one data-centre port answers, the other is closed: neither TCP nor HTTP is blocked
    assert (tk["telegram_tcp_blocking"], tk["telegram_http_blocking"]) == (False, False)
    assert (tk["telegram_web_status"], tk["telegram_web_failure"]) == ("ok", None)
    urls = {r["request"]["url"] for r in tk["requests"]}
    closed = next(u for u in urls if u not in (f"{world.https}/", f"{world.http}/"))
    assert urls == {f"{world.https}/", f"{world.http}/", closed} and closed.startswith("http:")
    refused = [r for r in tk["requests"] if r["failure"] is not None]
    assert [r["failure"] for r in refused] == ["connection_refused"]
    assert refused[0]["request"]["method"] == "POST" and refused[0]["response"]["code"] == 0
    assert {c["status"]["success"] for c in tk["tcp_connect"]} == {True, False}
    # the summary table has the test's own columns
    assert "data centres (TCP)" in result.output and "telegram verdicts" in result.output
