"""Settings: defaults, TOML, environment precedence, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvigil import load_settings
from netvigil._errors import ConfigError


def test_embedded_defaults_need_no_server(tmp_path: Path) -> None:
    s = load_settings()
    assert s.tracker_url.startswith("sqlite:///")
    assert s.probe.probe_cc == "ZZ" and s.probe.probe_asn == "AS0"


def test_environment_beats_toml_and_toml_beats_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "nv.toml"
    cfg.write_text(
        'db = "sqlite:///from-file.sqlite"\n[probe]\nprobe_cc = "ir"\nprobe_asn = "197207"\n'
    )
    s = load_settings(cfg)
    assert s.db == "sqlite:///from-file.sqlite"
    assert (s.probe.probe_cc, s.probe.probe_asn) == ("IR", "AS197207")
    monkeypatch.setenv("NETVIGIL_PROBE__PROBE_CC", "PK")
    monkeypatch.setenv("NETVIGIL_DB", "postgresql://x/y")
    s = load_settings(cfg)
    assert s.probe.probe_cc == "PK" and s.probe.probe_asn == "AS197207"
    assert s.tracker_url == "postgresql://x/y"


def test_invalid_value_names_the_file_and_field(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[probe]\nprobe_cc = "Iran"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert str(cfg) in info.value.message and "probe.probe_cc" in info.value.message


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
