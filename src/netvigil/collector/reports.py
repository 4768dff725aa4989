"""Report ids: OONI's deployed shape, 256 random bits, and a signature any collector can check.

A report id is ``{ts}_{testname}_{CC}_{ASN}_n{collector}_{rand}`` as OONI's probe-services writes
it (``20240212T203347Z_webconnectivity_IT_30722_n1_...``), so that OONI's tools split it the same
way. ``rand`` is 32 bytes from the CSPRNG (OONI's collector spec, bk-003: "at least 256 bits",
the deployed one has 96) followed by an HMAC-SHA256 tag (128 bits) of everything before it,
keyed with the collector's report key, all in lower-case hex (no ``_``, which would break the
split). So a collector knows a report id it (or a collector sharing its key) issued without
storing anything per report: a submission to a forged or mistyped id is refused, and the
country, network and test name in the id cannot be changed without the key.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# OONI's collector spec (bk-003) field rules, applied to POST /report and check-in.
PROBE_CC = re.compile(r"[A-Z]{2}")
PROBE_ASN = re.compile(r"AS[0-9]{1,10}")
SOFTWARE = re.compile(r"[0-9A-Za-z_.+-]{1,64}")  # software_name, software_version, test_version
TEST_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")  # OONI's test names (snake case)
_RAND_BYTES = 32
_TAG_BYTES = 16
_REPORT_ID = re.compile(
    r"(?P<ts>\d{8}T\d{6}Z)_(?P<test>[a-z0-9]{1,64})_(?P<cc>[A-Z]{2})_(?P<asn>\d{1,10})"
    rf"_n(?P<collector>[0-9a-z]{{1,16}})_(?P<rand>[0-9a-f]{{{2 * (_RAND_BYTES + _TAG_BYTES)}}})"
)


@dataclass(frozen=True)
class ReportId:
    """What a report id says: the test (without ``_``), country and network it was opened for."""

    text: str
    test: str  # test_name without underscores, as in the id (``webconnectivity``)
    probe_cc: str
    probe_asn: str  # ``AS30722``


def id_test_name(test_name: str) -> str:
    """The test name as a report id (and OONI's measurement uid) spells it."""
    return test_name.replace("_", "")


class ReportKeys:
    """Issues and checks report ids with one HMAC key."""

    def __init__(self, key: bytes, collector: str) -> None:
        self._key = key
        self.collector = collector

    def _tag(self, head: str) -> str:
        return hmac.digest(self._key, head.encode(), "sha256")[:_TAG_BYTES].hex()

    def issue(self, test_name: str, probe_cc: str, probe_asn: str, now: datetime) -> str:
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        asn = probe_asn.removeprefix("AS")
        head = (
            f"{stamp}_{id_test_name(test_name)}_{probe_cc}_{asn}_n{self.collector}"
            f"_{secrets.token_hex(_RAND_BYTES)}"
        )
        return head + self._tag(head)

    def check(self, text: str) -> ReportId | None:
        """The report id's fields when this key issued it; None otherwise."""
        match = _REPORT_ID.fullmatch(text)
        if match is None:
            return None
        head, tag = text[: -2 * _TAG_BYTES], text[-2 * _TAG_BYTES :]
        if not hmac.compare_digest(self._tag(head), tag):
            return None
        return ReportId(text, match["test"], match["cc"], f"AS{int(match['asn'])}")


def load_report_key(path: Path) -> bytes:
    """The report key in ``path``, created (owner-only, 32 random bytes) on first use.

    Created with link() so that collectors starting at once on one data directory agree.
    """
    if path.is_file():
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp_name, path)
    except FileExistsError:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    finally:
        os.unlink(tmp_name)
    return key
