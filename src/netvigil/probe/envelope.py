"""The OONI envelope every nettest's measurement shares, and the redaction of the probe's address.

One :class:`Report` per nettest per run (OONI's report: one id, one ``test_start_time``); each
measurement is :func:`measurement`: the envelope (data format 0.2.0, field order as OONI Probe
writes it) around the nettest's ``test_keys``, then every address of the probe scrubbed from all
of it. ``probe_ip`` is always OONI's redaction value.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netvigil import __version__
from netvigil.probe.nettest import Measured, Nettest, VantagePoint
from netvigil.probe.scrub import SCRUBBED, scrub

__all__ = ["REDACTED_IP", "SCRUBBED", "Report", "measurement", "scrub"]

DATA_FORMAT_VERSION = "0.2.0"
REDACTED_IP = "127.0.0.1"  # OONI's value for probe_ip: the real address is never recorded
# The annotation of a measurement made without knowing the probe's public address: a page that
# echoed it may still hold it (only the sockets' own addresses were scrubbed).
UNKNOWN_PUBLIC_IP = "public_ip_unknown"
SOFTWARE_NAME = "netvigil"


def ooni_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def new_report_id(test_name: str, vantage: VantagePoint, now: float) -> str:
    """OONI's report id: ``<UTC time>_<test name without '_'>_<cc>_<asn>_n1_<random>``.

    As OONI's collector spells it, e.g. ``20231113T073551Z_signal_DE_3320_n1_...`` and
    ``..._webconnectivity_...`` / ``..._facebookmessenger_...``.
    """
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    asn = vantage.probe_asn.removeprefix("AS")
    kind = test_name.replace("_", "")
    return f"{stamp}_{kind}_{vantage.probe_cc}_{asn}_n1_{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Report:
    """What every measurement of one nettest in one run shares."""

    nettest: Nettest
    vantage: VantagePoint
    report_id: str
    test_start_time: str
    helper_url: str
    annotations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        nettest: Nettest,
        vantage: VantagePoint,
        helper_url: str,
        annotations: dict[str, str],
        now: float,
        report_id: str | None = None,
    ) -> Report:
        """``report_id``: the one a collector issued (check-in or POST /report), else our own."""
        return cls(
            nettest=nettest,
            vantage=vantage,
            report_id=report_id or new_report_id(nettest.name, vantage, now),
            test_start_time=ooni_time(now),
            helper_url=helper_url,
            annotations=annotations,
        )

    def test_helpers(self) -> dict[str, Any]:
        """The envelope's ``test_helpers`` for a nettest that uses the control helper."""
        kind = "https" if self.helper_url.startswith("https") else "http"
        return {"backend": {"address": self.helper_url, "type": kind}}


def measurement(
    report: Report,
    input_: str | None,
    annotations: dict[str, str],
    started: float,
    runtime: float,
    measured: Measured,
) -> dict[str, Any]:
    """The whole measurement (plain JSON values), the probe's addresses scrubbed everywhere.

    ``annotations`` are this measurement's user annotations (the report's plus, for a test-list
    entry, its ``category_code``); ``started`` is wall-clock seconds, ``runtime`` seconds.
    """
    v, test = report.vantage, report.nettest
    marks = {UNKNOWN_PUBLIC_IP: "true"} if v.public_ip_unknown else {}
    whole: dict[str, Any] = {
        "annotations": {
            "platform": "linux",
            "engine_name": SOFTWARE_NAME,
            **annotations,
            **marks,
        },
        "data_format_version": DATA_FORMAT_VERSION,
        "extensions": dict(test.extensions),
        "input": input_,
        "measurement_start_time": ooni_time(started),
        "probe_asn": v.probe_asn,
        "probe_cc": v.probe_cc,
        "probe_ip": REDACTED_IP,
        "probe_network_name": v.probe_network_name,
        "report_id": report.report_id,
        "resolver_asn": v.resolver_asn,
        "resolver_ip": v.resolver_ip,
        "resolver_network_name": v.resolver_network_name,
        "software_name": SOFTWARE_NAME,
        "software_version": __version__,
    }
    if test.uses_helper:  # OONI Probe omits the key for a test without helper (omitempty)
        whole["test_helpers"] = report.test_helpers()
    whole |= {
        "test_name": test.name,
        "test_runtime": round(runtime, 6),
        "test_start_time": report.test_start_time,
        "test_version": test.version,
        "test_keys": measured.test_keys,
    }
    # The probe's own addresses: what its sockets were bound to, plus its public address when
    # known. An address the probe connected *to* is a server's, public in DNS, and stays.
    trace = measured.trace
    targets = {t.ip for t in trace.tcp_connect}
    own = (v.private_addresses | trace.own_addresses) - targets - {REDACTED_IP}
    scrubbed: dict[str, Any] = scrub(whole, own)
    return scrubbed
