"""docs/incidents.md shows the codebook as the code defines it (scripts/stop_codebook.py)."""

from __future__ import annotations

import subprocess
import sys

from nvtest import REPO


def test_docs_codebook_table_is_the_scripts_output() -> None:
    printed = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "stop_codebook.py")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    doc = (REPO / "docs" / "incidents.md").read_text(encoding="utf-8")
    between = doc.split("<!-- codebook:start -->")[1].split("<!-- codebook:end -->")[0].strip()
    assert between == printed
    assert printed.count("\n") > 40  # one row per code of seven vocabularies
