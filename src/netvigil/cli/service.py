"""`netvigil service install`: systemd units for an unattended probe or a collector.

The probe is a service + timer pair: the timer starts the (oneshot) service every 15 minutes,
each start randomly delayed by up to 3 minutes (jitter), and the service makes one run: check-in,
measurements into the spool, upload (respecting the retry rule's back-off, which it keeps in the
spool's ``.upload`` directory between runs). The collector is a long-running service. Both run as
a dynamic user with their state in /var/lib/netvigil. The files written are the ones in
docs/systemd/ (a test keeps the two identical), with this netvigil's path filled in.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import typer

from netvigil._errors import EnvironmentProblem, InputError

DEFAULT_BIN = "/usr/local/bin/netvigil"
DEFAULT_CONFIG = "/etc/netvigil/netvigil.toml"

PROBE_SERVICE = """\
[Unit]
Description=netvigil probe: one measuring run, then upload to the collector
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={bin} --config {config} probe --yes --no-progress
DynamicUser=yes
StateDirectory=netvigil
Environment=NETVIGIL_DATA_DIR=/var/lib/netvigil
Nice=10
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
TimeoutStartSec=30min
"""

PROBE_TIMER = """\
[Unit]
Description=Run the netvigil probe every 15 minutes

[Timer]
OnBootSec=2min
OnUnitActiveSec=15min
RandomizedDelaySec=3min
Persistent=true

[Install]
WantedBy=timers.target
"""

COLLECTOR_SERVICE = """\
[Unit]
Description=netvigil collector (OONI probe-services API)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart={bin} --config {config} collector
Restart=always
RestartSec=2
DynamicUser=yes
StateDirectory=netvigil
Environment=NETVIGIL_DATA_DIR=/var/lib/netvigil
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
"""

PROBE_CONFIG = """\
# netvigil settings for an unattended probe (netvigil-probe.timer); see docs/config.md.
# What is measured is decided by the collector's check-in; nothing identifies this machine.

[probe]
collector_url = "https://collector.example.org"  # where to check in and upload
probe_cc = "ZZ"  # this network's country (ZZ: unknown or withheld)
probe_asn = "AS0"  # this network's ASN (AS0: unknown or withheld)
helper_url = "https://0.th.ooni.org/"  # the control test helper
concurrency = 8  # URLs measured at once: gentle on a home connection
"""

COLLECTOR_CONFIG = """\
# netvigil settings for a collector (netvigil-collector.service); see docs/collector.md.

store = "/var/lib/netvigil/store"  # several collectors may share one store

[collector]
host = "0.0.0.0"
port = 8100
name = "1"  # the n<name> of report ids; give each collector its own
test_lists = "/var/lib/netvigil/test-lists/lists"  # Citizen Lab's test lists for check-in
"""

UNITS = {
    "probe": {
        "netvigil-probe.service": PROBE_SERVICE,
        "netvigil-probe.timer": PROBE_TIMER,
    },
    "collector": {"netvigil-collector.service": COLLECTOR_SERVICE},
}
CONFIGS = {"probe": PROBE_CONFIG, "collector": COLLECTOR_CONFIG}
ENABLE = {"probe": "netvigil-probe.timer", "collector": "netvigil-collector.service"}


def rendered(kind: str, binary: str = DEFAULT_BIN, config: str = DEFAULT_CONFIG) -> dict[str, str]:
    """The unit files of ``kind`` with the executable and config paths filled in."""
    return {name: text.format(bin=binary, config=config) for name, text in UNITS[kind].items()}


def register(app: typer.Typer) -> None:
    """Add ``netvigil service`` to the root app."""
    group = typer.Typer(help="systemd units for an unattended probe or a collector.")

    @group.command("install")
    def install(
        kind: str = typer.Argument(..., help="probe (service + timer) or collector."),
        dest: Path = typer.Option(
            Path("/etc/systemd/system"), "--dest", help="Where to write the unit files."
        ),
        config: Path = typer.Option(
            Path(DEFAULT_CONFIG), "--config-file", help="The settings file the units read."
        ),
        enable: bool = typer.Option(
            True, "--enable/--no-enable", help="Run systemctl daemon-reload and enable --now."
        ),
    ) -> None:
        """Write the systemd units (and a sample settings file if there is none), then enable them.

        Example: sudo netvigil service install probe

        Example: netvigil service install collector --dest ./units --no-enable
        """
        if kind not in UNITS:
            raise InputError(f"unknown kind {kind!r}", field="KIND", hint="probe or collector")
        beside = Path(sys.executable).parent / "netvigil"  # this installation's entry point
        binary = str(beside) if beside.is_file() else shutil.which("netvigil") or DEFAULT_BIN
        try:
            dest.mkdir(parents=True, exist_ok=True)
            for name, text in rendered(kind, binary, str(config)).items():
                (dest / name).write_text(text, encoding="utf-8")
                typer.echo(f"wrote {dest / name}")
            if not config.exists():
                config.parent.mkdir(parents=True, exist_ok=True)
                config.write_text(CONFIGS[kind], encoding="utf-8")
                typer.echo(f"wrote {config} (a sample: edit collector_url and the rest)")
        except OSError as exc:
            raise EnvironmentProblem(f"cannot write the units: {exc}", hint="run as root") from exc
        if enable:
            for command in (
                ["systemctl", "daemon-reload"],
                ["systemctl", "enable", "--now", ENABLE[kind]],
            ):
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise EnvironmentProblem(
                        f"{' '.join(command)} failed: {done.stderr.strip()[:300]}"
                    )
            typer.echo(f"enabled {ENABLE[kind]}")

    app.add_typer(group, name="service")
