"""The lab story with alerts (issue 11 on issue 20's lab): the blocking at T0 reaches the webhook,
an email inbox (the test's SMTP server) and the country's Atom feed, each delay printed; the
platform going down for everyone alerts as a platform outage and as no censorship anywhere.

Real processes in the lab's sandbox: three censored networks, the collector, the pipeline, one
probe per network, the notifier, a webhook receiver and aiosmtpd on the sandbox's loopback
(``labalerts.py``). Compressed time as ``lab observe`` compresses it (probes every 5 s, bins of
5 s; the notifier's timers divided by 12 like the bins)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nvtest import running_as_root

HERE = Path(__file__).resolve().parent


@pytest.mark.lab
def test_blocking_reaches_webhook_email_and_feed_platform_outage_is_no_censorship(
    tmp_path: Path,
) -> None:
    if not running_as_root() or shutil.which("unshare") is None:
        pytest.skip("the lab story needs root (or unprivileged user namespaces) and unshare")
    out = tmp_path / "story.json"
    done = subprocess.run(
        [sys.executable, str(HERE / "labalerts.py"), "--workdir", str(tmp_path / "work"),
         "--step", "a1", "--step", "b", "--json", str(out)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    story = json.loads(out.read_text())
    steps = {s["step"]: s for s in story["steps"]}

    a1 = steps["a1"]
    print(f"\n{a1['kind']} {a1['entity']} (time compressed x{story['scale']:g}):")
    t0 = a1["t0"]
    for stage in ("first", "verdict", "event", "webhook", "email", "atom"):
        at = a1[stage]
        print(f"  {stage:<8} " + ("-" if at is None else f"{at - t0:+.1f} s after T0"))
    for channel in ("webhook", "email", "atom"):
        assert a1[channel] is not None, f"the blocking never reached the {channel}"
        assert a1[channel] >= a1["event"] - 1  # an alert follows its event
    hooked = [
        a for a in story["arrivals"] if a["channel"] == "webhook" and a["key"] == a1["entity"]
    ]
    assert hooked[0]["alertname"] == "NetvigilBlocking" and hooked[0]["measurements"] >= 1

    b = steps["b"]
    print(f"{b['kind']} {b['entity']}: webhook {b['webhook'] - b['t0']:+.1f} s, "
          f"email {b['email'] - b['t0']:+.1f} s after T0")  # fmt: skip
    alerts = [a for d in story["deliveries"] for a in d["alerts"]]
    assert ["NetvigilPlatformOutage", "service:telegram", "firing"] in alerts
    telegram = [a for a in alerts if a[0] == "NetvigilBlocking" and "telegram" in a[1]]
    assert telegram == [], "a platform outage must not alert as censorship in any network"
    blocking_events = [e for e in story["events"] if e[0] == "blocking" and "telegram" in e[1]]
    assert blocking_events == []
