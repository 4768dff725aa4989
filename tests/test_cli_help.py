"""Every command has --help with an example, and errors print one line with their exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from netvigil.cli.main import app

runner = CliRunner()


def _leaf_commands() -> list[list[str]]:
    root = get_command(app)
    out: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):
            if cmd.invoke_without_command and path:
                out.append(path)
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            out.append(path)

    walk(root, [])
    return out


def test_root_help_lists_an_example() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


@pytest.mark.parametrize("path", _leaf_commands(), ids=lambda p: " ".join(p) or "root")
def test_each_command_help_has_an_example(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "netvigil " in result.output and "xample" in result.output, result.output


def test_bad_config_is_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    cfg = tmp_path / "netvigil.toml"
    cfg.write_text("[probe]\nprobe_asn = 'not-an-asn'\n")
    result = runner.invoke(app, ["--config", str(cfg), "config", "show"])
    assert result.exit_code == 2
    assert str(cfg) in result.output and "probe.probe_asn" in result.output
    assert "Traceback" not in result.output


def test_config_show_reflects_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETVIGIL_PROBE__PROBE_CC", "ir")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert '"probe_cc": "IR"' in result.output


def test_error_text_is_not_read_as_markup(tmp_path: Path) -> None:
    cfg = tmp_path / "[probe].toml"
    cfg.write_text("[probe]\nprobe_cc = 'XYZ'\n")
    result = runner.invoke(app, ["--config", str(cfg), "config", "show"])
    assert result.exit_code == 2
    assert "[probe].toml" in result.output
