"""OONI's known exceptions, as data: probe versions whose measurements OONI discards, and probe
flags it ignores, each with the source that says so.

A measurement an exception *discards* is a ``failure`` (OONI sets its failure flag: the probe
had a known bug). An *ignored flag* is not read; the verdict comes from the rest of the
measurement. When an exception changes a verdict, the verdict's ``rule_id`` is the exception's
id, so a reader sees which one applied (``docs/rules.md`` lists them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import msgspec
from packaging.version import InvalidVersion, Version

from netvigil.analysis.rules import Rule

Effect = Literal["discard", "ignore_flag"]


class KnownException(msgspec.Struct, frozen=True, kw_only=True):
    """One exception; the empty/None conditions match any measurement."""

    exception_id: str
    test_name: str  # "*": every test
    effect: Effect
    condition: str  # in words, for docs/rules.md
    source: str
    flag: str | None = None  # the test key that is not read (effect ignore_flag)
    software_names: tuple[str, ...] = ()  # software_name starts with one of these
    software_versions: tuple[str, ...] = ()  # software_version is one of these
    test_versions: tuple[str, ...] = ()  # test_version is one of these
    test_version_at_most: str | None = None
    test_version_below: str | None = None
    engine_version_below: str | None = None  # annotations.engine_version (missing: 0.0.0)
    started_from: str | None = None  # measurement_start_time on or after this day
    missing_envelope_key: str | None = None  # the measurement lacks this envelope key

    def applies(self, m: Mapping[str, Any]) -> bool:
        """Whether ``m`` is one this exception names (ValueError: a version or time needed to
        tell is unreadable, which OONI's fastpath also takes as a failed measurement)."""
        if self.software_names:
            name = m.get("software_name")
            if not isinstance(name, str) or not name.startswith(self.software_names):
                return False
        if self.software_versions and m.get("software_version") not in self.software_versions:
            return False
        if self.missing_envelope_key is not None and self.missing_envelope_key in m:
            return False
        test_version = m.get("test_version")
        if self.test_versions and test_version not in self.test_versions:
            return False
        if self.test_version_at_most is not None or self.test_version_below is not None:
            tv = version(test_version if isinstance(test_version, str) else "0.0.0")
            if self.test_version_at_most is not None and tv > Version(self.test_version_at_most):
                return False
            if self.test_version_below is not None and tv >= Version(self.test_version_below):
                return False
        if self.engine_version_below is not None:
            annotations = m.get("annotations")
            notes = annotations if isinstance(annotations, dict) else {}
            if notes.get("engine_name") == NETVIGIL_ENGINE:
                return False  # a bug of OONI's engine versions: netvigil's probe is not one
            engine = notes.get("engine_version")
            ev = version(engine if isinstance(engine, str) and engine else "0.0.0")
            if ev >= Version(self.engine_version_below):
                return False
        if self.started_from is not None:
            start = m.get("measurement_start_time")
            if not isinstance(start, str):
                raise ValueError("no measurement_start_time")
            when = datetime.strptime(start, "%Y-%m-%d %H:%M:%S")
            if when < datetime.strptime(self.started_from, "%Y-%m-%d"):
                return False
        return True

    def as_rule(self) -> Rule:
        verb = "failure (OONI discards it)" if self.effect == "discard" else "flag not read"
        flag = f" `{self.flag}`" if self.flag else ""
        return Rule(self.exception_id, f"{self.test_name}: {self.condition}: {verb}{flag}",
                    self.source)  # fmt: skip


def version(value: str) -> Version:
    """A probe or test version as OONI's fastpath compares them (packaging's rules)."""
    try:
        return Version(value)
    except InvalidVersion as exc:
        raise ValueError(f"unreadable version {value!r}") from exc


_FP = "ooni/backend fastpath/fastpath/core.py "
NETVIGIL_ENGINE = "netvigil"  # annotations.engine_name of netvigil's probe (probe/envelope.py)

EXCEPTIONS: tuple[KnownException, ...] = (
    KnownException(
        exception_id="ooni.signal.v0_2_4.v1",
        test_name="signal",
        effect="discard",
        condition="test_version 0.2.4 (broken checks of that version)",
        test_versions=("0.2.4",),
        source=_FP + "score_signal; ooni/probe#2636, ooni/probe-cli#1421",
    ),
    KnownException(
        exception_id="ooni.signal.upto_0_2_3_since_2023_11_07.v1",
        test_name="signal",
        effect="discard",
        condition="test_version <= 0.2.3 measured on or after 2023-11-07 (Signal's endpoints "
        "changed)",
        test_version_at_most="0.2.3",
        started_from="2023-11-07",
        source=_FP + "score_signal; ooni/probe#2627",
    ),
    KnownException(
        exception_id="ooni.signal.below_0_2_2_since_2022_10_19.v1",
        test_name="signal",
        effect="discard",
        condition="test_version < 0.2.2 measured on or after 2022-10-19 (Signal's certificate "
        "changed)",
        test_version_below="0.2.2",
        started_from="2022-10-19",
        source=_FP + "score_signal; ooni/probe#2344",
    ),
    KnownException(
        exception_id="ooni.signal.engine_below_3_17_2_since_2023_05_02.v1",
        test_name="signal",
        effect="discard",
        condition="annotations.engine_version < 3.17.2 (or none) measured on or after 2023-05-02 "
        "(not when annotations.engine_name is netvigil: its probe is not OONI's engine)",
        engine_version_below="3.17.2",
        started_from="2023-05-02",
        source=_FP + "score_signal; ooni/backend#679",
    ),
    KnownException(
        exception_id="ooni.torsf.android_3_8_3.v1",
        test_name="torsf",
        effect="discard",
        condition="software_name ooniprobe-android*, software_version 3.8.3",
        software_names=("ooniprobe-android",),
        software_versions=("3.8.3",),
        source=_FP + "score_torsf",
    ),
    KnownException(
        exception_id="ooni.psiphon.no_resolver_ip.v1",
        test_name="psiphon",
        effect="discard",
        condition="the envelope has no resolver_ip (a known probe bug)",
        missing_envelope_key="resolver_ip",
        source=_FP + "score_psiphon (logbug 0: known probe bug)",
    ),
    KnownException(
        exception_id="ooni.whatsapp.web_false_positive.v1",
        test_name="whatsapp",
        effect="ignore_flag",
        flag="whatsapp_web_status",
        condition="software ooniprobe 2.1.0, 2.2.0 or 2.3.0 reporting whatsapp_web_status "
        '"blocked" (its empty client headers hit WhatsApp\'s unsupported-browser page)',
        software_names=("ooniprobe",),
        software_versions=("2.1.0", "2.2.0", "2.3.0"),
        source=_FP + "score_measurement_whatsapp",
    ),
    KnownException(
        exception_id="ooni.http_invalid_request_line.tampering_flag.v1",
        test_name="http_invalid_request_line",
        effect="ignore_flag",
        flag="tampering",
        condition="every version: the probe's tampering flag is unreliable; sent and received "
        "request lines are compared instead",
        source=_FP + "score_http_invalid_request_line; ooni/probe#1278",
    ),
    KnownException(
        exception_id="ooni.facebook_messenger.dns_flag_workaround.v1",
        test_name="facebook_messenger",
        effect="ignore_flag",
        flag="facebook_dns_blocking",
        condition="facebook_dns_blocking true while every endpoint is DNS-consistent and "
        "reachable and facebook_tcp_blocking is false (a probe bug)",
        source=_FP + "score_measurement_facebook_messenger (workaround, tests/test_functional.py "
        "test_facebook_messenger*)",
    ),
    KnownException(
        exception_id="ooni.any.wrong_start_time.v1",
        test_name="*",
        effect="discard",
        condition="measurement_start_time more than 1 hour after OONI received the measurement "
        "(the time in OONI's measurement_uid) or more than 365 days before it",
        source=_FP + "flag_measurements_with_wrong_date",
    ),
)

BY_ID: dict[str, KnownException] = {e.exception_id: e for e in EXCEPTIONS}


def discarding(test: str, m: Mapping[str, Any]) -> KnownException | None:
    """The first discarding exception of ``test`` that applies to ``m`` (ValueError: unreadable
    version or time)."""
    for exc in EXCEPTIONS:
        if exc.test_name == test and exc.effect == "discard" and exc.applies(m):
            return exc
    return None


EXCEPTION_RULES: tuple[Rule, ...] = tuple(e.as_rule() for e in EXCEPTIONS)
