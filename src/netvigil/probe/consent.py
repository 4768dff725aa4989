"""Informed consent: the first run says what is collected and published, and the risks.

The answer is remembered in ``<data_dir>/probe-consent.json`` (with the text's version, so a
materially changed notice asks again). ``--yes`` records consent for automation; a run that can
neither ask nor find consent stops with exit code 2 before measuring anything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from netvigil._errors import InputError

# 2: the app tests (messaging apps, Tor) are covered; 3: the public address is learned and scrubbed
NOTICE_VERSION = 3
NOTICE = """\
netvigil probe measures whether websites, messaging apps (Telegram, WhatsApp, Signal, Facebook
Messenger) and Tor are reachable from this network and how they are blocked. It records, and
may publish as open data (OONI's format):
  - the DNS answers your network gives, TCP connections, TLS handshakes and the pages fetched;
  - for the app tests, the app's servers contacted and whether each answered; for Tor, the
    directory authorities and bridges tried (a private bridge's address is never recorded);
  - your network's country code and ASN (probe_cc / probe_asn), when configured or looked up;
  - the time of the measurement.
When an app seems blocked, the test helper (as for websites) is asked whether the app's servers
answer from an open network, to tell a block from an outage.
Your IP address is never recorded: probe_ip is always 127.0.0.1. Before measuring, the probe
asks its test helper for your public address (or uses the one you give with --public-ip) and
removes it, and your local addresses, from everything stored, in every spelling and inside
compressed or binary pages. If your public address cannot be learned, the probe says so before
measuring: a page that shows visitors their address may then keep it, and every measurement
of that run is marked (annotation public_ip_unknown=true) so you can check before publishing.
RISKS: testing blocked sites, messaging apps or Tor can be visible to your network operator and,
in some countries, illegal or dangerous. Anyone watching this network can see what is tested:
app and Tor tests contact those services' servers directly, which looks like using them.
Measurements are appended to a local spool file that you can inspect before any upload."""


def consent_file(data_dir: Path) -> Path:
    return data_dir / "probe-consent.json"


def has_consent(data_dir: Path) -> bool:
    try:
        record = json.loads(consent_file(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("notice_version") == NOTICE_VERSION


def record_consent(data_dir: Path, how: str) -> None:
    path = consent_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"notice_version": NOTICE_VERSION, "given_at": int(time.time()), "how": how}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")


def ensure_consent(
    data_dir: Path,
    *,
    yes: bool,
    interactive: bool,
    ask: Callable[[str], bool],
) -> None:
    """Return if consent is (now) given; raise InputError (exit 2) otherwise."""
    if yes:
        if not has_consent(data_dir):
            record_consent(data_dir, "--yes")
        return
    if has_consent(data_dir):
        return
    if not interactive:
        raise InputError(
            "the probe needs your consent before its first run and cannot ask here (no terminal)",
            hint="read `netvigil probe --help`, then run once interactively or pass --yes",
        )
    if not ask(NOTICE):
        raise InputError("consent declined: nothing was measured")
    record_consent(data_dir, "interactive")
