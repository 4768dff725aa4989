"""The service catalogue: one name per service for STOP, impact, the site, signals and events;
its rule data agrees with OONI's published measurements; a bad file is refused whole."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from tests.conftest import shared_path

from netvigil._errors import InputError, UnknownEntityError
from netvigil.incidents.model import PLATFORMS, STOP_COLUMNS
from netvigil.models.catalogue import DEFAULT_PATH, load_catalogue

MEASURED = {"telegram", "whatsapp", "signal", "facebook_messenger", "tor"}


def _examples() -> list[dict[str, object]]:
    path = shared_path("ooni", "nettest_examples", "examples.jsonl")
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_every_measured_service_has_its_test_and_components() -> None:
    catalogue = load_catalogue()
    assert {s.name for s in catalogue.measured()} == MEASURED
    assert catalogue.nettests == MEASURED
    for name in MEASURED:
        service = catalogue.by_nettest(name)
        assert service is not None and service.components and service.spec


def test_components_read_keys_that_oonis_examples_carry() -> None:
    """Each summary key the verdict reads is one OONI's published measurements of the test carry."""
    keys: dict[str, set[str]] = {}
    for m in _examples():
        tk = m.get("test_keys")
        if isinstance(tk, dict):
            keys.setdefault(str(m.get("test_name")), set()).update(tk)
    for service in load_catalogue().measured():
        for c in service.components:
            wanted = [f"{c.key}_total", f"{c.key}_accessible"] if c.reads == "counts" else [c.key]
            assert set(wanted) <= keys[str(service.nettest)], (service.name, c.name, wanted)


def test_endpoints_are_those_oonis_examples_measured() -> None:
    measured: dict[str, set[str]] = {}
    for m in _examples():
        tk = m.get("test_keys")
        if not isinstance(tk, dict):
            continue
        seen = measured.setdefault(str(m.get("test_name")), set())
        for step, field in (("queries", "hostname"), ("tcp_connect", "ip")):
            entries = tk.get(step)
            if isinstance(entries, list):
                seen.update(str(e.get(field)) for e in entries if isinstance(e, dict))
    for service in load_catalogue().measured():
        for endpoint in service.endpoints:
            assert endpoint.host in measured[str(service.nettest)], (service.name, endpoint)


def test_stop_platform_columns_and_impact_names_come_from_the_catalogue() -> None:
    catalogue = load_catalogue()
    # every platform column of STOP's codebook is a filter of the tracker, in STOP's order
    affected = [c for c in STOP_COLUMNS if c.endswith("_affected")]
    assert list(PLATFORMS.values()) == affected
    for name, column in PLATFORMS.items():
        if name != "other":  # STOP's free-text column names many services
            assert catalogue.get(name).stop_column == column
    assert catalogue.impact_names() == (
        "facebook", "instagram", "messenger", "signal", "skype", "telegram", "tiktok",
        "twitter", "viber", "whatsapp", "youtube",
    )  # fmt: skip
    assert catalogue.get("Facebook Messenger").impact_name == "messenger"
    assert catalogue.of_domain("m.youtube.com") == catalogue.get("youtube")
    with pytest.raises(UnknownEntityError) as caught:
        catalogue.get("telegarm")
    assert caught.value.suggestions[0] == "telegram"  # the closest spelling first


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "services.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_deployment_copy_is_read_instead(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, '"web.telegram.org"]', '"web.telegram.example"]')
    catalogue = load_catalogue(path)
    web = [e for e in catalogue.get("telegram").endpoints if e.component == "web"]
    assert [e.url for e in web] == ["https://web.telegram.example/"]


@pytest.mark.parametrize(
    ("old", "new", "field", "says"),
    [
        ('"149.154.175.50", "149.154.167.51"', '"149.154.175.500", "149.154.167.51"',
         "services.telegram.endpoints[0].hosts", "neither an IP address nor a host name"),
        ("ports = [443, 5222]", "ports = [443, 70000]",
         "services.whatsapp.endpoints[0].ports", "not a TCP port"),
        ("asns = [32934]", 'asns = ["AS32934"]', "services.facebook_messenger.asns[0]",
         "Expected `int`"),
        ('component = "backend", protocol = "dns"', 'component = "frontend", protocol = "dns"',
         "services.signal.endpoints[1].component", "not one of its components"),
        ('reads = "counts"', 'reads = "count"', "services.tor.components[0].reads",
         "Invalid enum value"),
        ('impact_name = "skype"', 'impact_name = "telegram"', "services.skype",
         "used by both telegram and skype"),
    ],
)  # fmt: skip
def test_a_bad_catalogue_is_refused_naming_the_field(
    tmp_path: Path, old: str, new: str, field: str, says: str
) -> None:
    path = _copy_with(tmp_path, old, new)
    with pytest.raises(InputError, match=says) as caught:
        load_catalogue(path)
    assert caught.value.path == str(path) and caught.value.field == field


def test_an_unreadable_catalogue_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_catalogue(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[services.telegram\n")
    with pytest.raises(InputError, match="not TOML"):
        load_catalogue(broken)


def test_the_catalogue_setting_is_read_by_the_commands(tmp_path: Path) -> None:
    """`catalogue` in the settings: a deployment's copy is used, and a bad one stops the command."""
    from typer.testing import CliRunner

    from netvigil.cli.main import app

    args = ["impact", "--country", "BR", "--hours", "24", "--type", "service", "--json"]
    renamed = _copy_with(tmp_path, 'impact_name = "messenger"', 'impact_name = "fbmessenger"')
    env = {"NETVIGIL_CATALOGUE": str(renamed)}
    result = CliRunner().invoke(app, [*args, "--services", "fbmessenger"], env=env)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["inputs"]["services"] == ["fbmessenger"]
    bad = _copy_with(tmp_path, "ports = [443, 5222]", "ports = [443, 70000]")
    result = CliRunner().invoke(
        app, [*args, "--services", "whatsapp"], env={"NETVIGIL_CATALOGUE": str(bad)}
    )
    assert result.exit_code == 2
    assert "services.whatsapp.endpoints[0].ports" in result.output
    assert "70000 is not a TCP port" in result.output
