"""OONI's whole archive judged as OONI does: every test, every data-format version.

Real measurements: ``../shared/data/ooni/nettest_examples`` (69 measurements of 34 tests, 2015
to 2025, from the Python probe, Measurement Kit and probe-cli), with the anomaly / confirmed /
failure flags OONI's fastpath gives each and, for web_connectivity, what OONI Probe wrote.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import orjson
import pytest
from analysis_shared import REPO, shared_path

from netvigil.analysis import RULES, Fingerprints, verdict_of
from netvigil.analysis.fastpath import JUDGES
from netvigil.analysis.formats import start_time_of, with_start_time
from netvigil.models.verdicts import Verdict

EXAMPLES = ("ooni", "nettest_examples")
AGREEMENT_MIN = 0.95


@cache
def _examples() -> tuple[tuple[dict[str, Any], dict[str, Any]], ...]:
    base = shared_path(*EXAMPLES)
    measurements = [orjson.loads(x) for x in (base / "examples.jsonl").read_bytes().splitlines()]
    flags = [orjson.loads(x) for x in (base / "ooni_verdicts.jsonl").read_bytes().splitlines()]
    assert [f["line"] for f in flags] == list(range(1, len(measurements) + 1))
    return tuple(zip(measurements, flags, strict=True))


@cache
def _fingerprints() -> Fingerprints:
    return Fingerprints.load(shared_path("ooni", "blocking-fingerprints"))


def _example(line: int) -> dict[str, Any]:
    m: dict[str, Any] = copy.deepcopy(_examples()[line - 1][0])
    return m


def _ooni_bucket(flags: dict[str, bool]) -> str:
    """OONI's flags as its aggregation buckets them (failure first, then confirmed, anomaly)."""
    if flags["failure"]:
        return "failure"
    if flags["confirmed"]:
        return "confirmed"
    return "anomaly" if flags["anomaly"] else "ok"


def _agrees(v: Verdict, ooni: dict[str, Any]) -> bool:
    if v.outcome != _ooni_bucket(ooni["fastpath"]):
        return False
    probe = ooni.get("probe")
    return probe is None or (v.blocking, v.accessible, v.dns_consistency) == (
        probe["blocking"],
        probe["accessible"],
        probe["dns_consistency"],
    )


def _documented_disagreements() -> tuple[set[int], str]:
    """The lines docs/outcomes.md lists as disagreeing, and the section's text."""
    text = (REPO / "docs" / "outcomes.md").read_text()
    section = text.split("### Disagreements on nettest_examples", 1)[1].split("\n## ", 1)[0]
    return {int(n) for n in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}, section


def test_agreement_with_oonis_flags_on_every_test_and_version() -> None:
    verdicts = [(verdict_of(m, fingerprints=_fingerprints()), o) for m, o in _examples()]
    disagree = {o["line"] for v, o in verdicts if not _agrees(v, o)}
    agree = len(verdicts) - len(disagree)
    assert agree / len(verdicts) >= AGREEMENT_MIN, sorted(disagree)
    listed, section = _documented_disagreements()
    assert disagree == listed, "docs/outcomes.md must list exactly the disagreements"
    assert f"**{agree} / {len(verdicts)}**" in section


@pytest.mark.parametrize(
    "line",
    range(1, 70),
    ids=lambda n: f"line{n}",
)
def test_each_real_measurement_of_each_version(line: int) -> None:
    """One real measurement per test and format version: judged as OONI judged it (or listed)."""
    m, ooni = _examples()[line - 1]
    v = verdict_of(m, fingerprints=_fingerprints())
    assert v.rule_id in {r.rule_id for r in RULES}
    if line not in _documented_disagreements()[0]:
        assert v.outcome == _ooni_bucket(ooni["fastpath"]), (m["test_name"], m["test_version"])
    assert v.test_name == m["test_name"]
    assert v.measurement_start_time, "every format has a start time"


# --- data-format versions ----------------------------------------------------------------------


def test_2016_control_wrote_its_dns_answers_as_ips() -> None:
    """web_connectivity 0.1.0 (ooniprobe 1.4.2): the helper's answers are under dns.ips."""
    m = _example(12)
    assert "ips" in m["test_keys"]["control"]["dns"] and "addrs" not in m["test_keys"]["control"]
    v = verdict_of(m)
    assert (v.blocking, v.accessible, v.dns_consistency) == (False, True, "consistent")
    assert v.rule_id == "wcpy.ok.v1"  # the Python probe's own rules


def test_python_probe_rules_are_its_own() -> None:
    """The same 2016 measurement with the page of another site: the Python probe's http-diff."""
    m = _example(12)
    response = m["test_keys"]["requests"][0]["response"]
    response["code"] = 200
    response["body"] = "<html><head><title>Blocked</title></head><body>no</body></html>"
    response["headers"] = {"Content-Type": "text/html", "Server": "nginx"}
    v = verdict_of(m)
    assert (v.blocking, v.rule_id) == ("http-diff", "wcpy.http.diff.v1")
    # a private address among the answers makes DNS inconsistent outright (ipaddr's rule)
    m["test_keys"]["queries"][0]["answers"].append({"answer_type": "A", "ipv4": "10.10.34.35"})
    v = verdict_of(m)
    assert (v.blocking, v.dns_consistency, v.blocking_detail) == (
        "dns",
        "inconsistent",
        "dns.bogon",
    )


def test_reports_converted_from_yaml_get_their_start_time() -> None:
    """ooniprobe 1.3 reports (2015) were YAML: no measurement_start_time, test_keys.start_time
    in epoch seconds. Their verdicts, ids and days use that time."""
    for line in (1, 2, 3, 4, 5):
        m = _example(line)
        assert "measurement_start_time" not in m and "report_filename" in m
        assert start_time_of(m) is not None
    m = _example(3)
    assert start_time_of(m) == "2015-12-01 07:25:12" == verdict_of(m).measurement_start_time
    assert with_start_time(m)["measurement_start_time"] == "2015-12-01 07:25:12"


def test_measurement_kit_era_dash_and_python_era_telegram() -> None:
    mk, python = verdict_of(_example(22)), verdict_of(_example(20))
    assert (mk.test_name, mk.outcome, mk.rule_id) == ("dash", "ok", "dash.ok.v1")
    # ooniprobe 2.2.0 (2017): the data-centre endpoints unreachable, OONI's anomaly
    assert (python.outcome, python.rule_id) == ("anomaly", "telegram.share.blocked.v1")
    assert python.blocking_type in {"telegram_tcp", "telegram_http"}


def test_null_test_keys_is_a_failure_verdict() -> None:
    m = _example(11)
    m["test_keys"] = None
    v = verdict_of(m)
    assert (v.outcome, v.rule_id, v.blocking) == ("failure", "any.malformed.v1", None)


def test_a_failed_control_leaves_dns_consistency_null() -> None:
    """probe-cli 0.4 writes the control's zero value when the helper cannot be reached."""
    m = _example(11)
    tk = m["test_keys"]
    tk["control_failure"] = "generic_timeout_error"
    tk["control"] = {
        "tcp_connect": {},
        "http_request": {"body_length": 0, "failure": None, "title": "", "headers": {},
                         "status_code": 0},
        "dns": {"failure": None, "addrs": None},
    }  # fmt: skip
    tk["requests"][0]["request"]["url"] = "http://" + m["input"].split("://", 1)[1]
    v = verdict_of(m)
    assert (v.blocking, v.dns_consistency, v.outcome) == (None, None, "failure")


# --- tor -----------------------------------------------------------------------------------------


def test_tor_share_of_failed_targets_decides() -> None:
    m = _example(25)  # 34 targets, 1 failed: ok
    assert verdict_of(m).rule_id == "tor.share.ok.v1"
    targets = list(m["test_keys"]["targets"].values())
    for target in targets[: len(targets) - 4]:  # all but 4 fail, every kind still reachable?
        target["failure"] = "generic_timeout_error"
    v = verdict_of(m)
    assert (v.outcome, v.rule_id) == ("anomaly", "tor.share.blocked.v1")
    assert v.blocking in {"obfs4", "or_port_dirauth", "dir_port", "or_port"}


def test_early_tor_formats() -> None:
    # 0.0.1/0.1.0 with only targets as an object: scored; targets as a list: not, as OONI
    assert [verdict_of(_example(n)).outcome for n in (27, 28, 29)] == ["ok", "ok", "ok"]
    assert verdict_of(_example(30)).rule_id == "tor.targets_list.v1"


# --- OONI's known exceptions -------------------------------------------------------------------


def test_signal_versions_oonis_fastpath_discards() -> None:
    v = verdict_of(_example(38))  # 0.2.3 on 2023-11-13: Signal's endpoints had changed
    assert (v.outcome, v.rule_id) == ("failure", "ooni.signal.upto_0_2_3_since_2023_11_07.v1")
    m = _example(37)
    m["test_version"] = "0.2.4"
    assert verdict_of(m).rule_id == "ooni.signal.v0_2_4.v1"
    m = _example(39)  # 0.2.0, blocked in 2021: an anomaly; the same a year later is discarded
    assert verdict_of(m).outcome == "anomaly"
    m["measurement_start_time"] = "2022-11-01 10:00:00"
    assert verdict_of(m).rule_id == "ooni.signal.below_0_2_2_since_2022_10_19.v1"


def test_whatsapp_web_flag_of_ooniprobe_2_x_is_ignored() -> None:
    m = _example(15)  # Python ooniprobe, 2016
    m["software_version"] = "2.2.0"
    m["test_keys"]["whatsapp_web_status"] = "blocked"
    v = verdict_of(m)
    assert (v.outcome, v.rule_id) == ("ok", "ooni.whatsapp.web_false_positive.v1")
    m["software_version"] = "2.0.3.dev0"  # another version: the requests decide, still ok
    assert verdict_of(m).rule_id == "whatsapp.events.ok.v1"


def test_other_known_exceptions_name_themselves() -> None:
    m = _example(41)
    m["software_name"], m["software_version"] = "ooniprobe-android-unattended", "3.8.3"
    assert verdict_of(m).rule_id == "ooni.torsf.android_3_8_3.v1"
    m = _example(16)
    m["test_keys"]["facebook_dns_blocking"] = True
    assert verdict_of(m).rule_id == "ooni.facebook_messenger.dns_flag_workaround.v1"
    m = _example(3)
    m["test_keys"]["received"] = list(m["test_keys"]["sent"])  # tampering: true, lines equal
    assert verdict_of(m).rule_id == "ooni.http_invalid_request_line.tampering_flag.v1"
    m = _example(6)
    del m["resolver_ip"]
    assert verdict_of(m).rule_id == "ooni.psiphon.no_resolver_ip.v1"


def test_a_start_time_far_from_oonis_reception_is_discarded() -> None:
    m = _example(11)  # measured 2021-03-22
    m["measurement_uid"] = "20210322150301.123456_IT_webconnectivity_0123456789abcdef"
    assert verdict_of(m).outcome == "ok"
    m["measurement_uid"] = "20230322150301.123456_IT_webconnectivity_0123456789abcdef"
    assert (verdict_of(m).outcome, verdict_of(m).rule_id) == (
        "failure",
        "ooni.any.wrong_start_time.v1",
    )


def test_an_unclassified_probe_error_fails_a_web_connectivity_measurement() -> None:
    path = shared_path(
        "ooni", "probecli_minipipeline", "generated", "redirectWithMoreThanTenRedirectsAndHTTP",
        "measurement.json",
    )  # fmt: skip
    v = verdict_of(orjson.loads(path.read_bytes()))
    # OONI Probe's fields are kept (blocking false); fastpath calls the measurement failed
    assert (v.blocking, v.accessible, v.outcome) == (False, False, "failure")
    assert v.rule_id == "wc.unknown_failure.v1"


def test_every_exception_has_a_source_and_is_documented() -> None:
    from netvigil.analysis.fastpath import EXCEPTIONS

    text = (REPO / "docs" / "rules.md").read_text()
    for exc in EXCEPTIONS:
        assert exc.source and exc.condition
        assert f"`{exc.exception_id}`" in text


def test_the_verdict_command_reads_old_formats_and_null_test_keys(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from netvigil.cli.main import app

    null = _example(11)
    null["test_keys"] = None
    path = tmp_path / "old.jsonl"
    path.write_bytes(orjson.dumps(_example(3)) + b"\n" + orjson.dumps(null) + b"\n")
    result = CliRunner().invoke(app, ["verdict", str(path)])
    assert result.exit_code == 0, result.output
    yaml_era, crashed = (orjson.loads(x) for x in result.stdout.splitlines())
    assert (yaml_era["measurement_start_time"], yaml_era["outcome"]) == (
        "2015-12-01 07:25:12",
        "anomaly",
    )
    assert (crashed["outcome"], crashed["rule_id"]) == ("failure", "any.malformed.v1")


_ODD = [None, 1, "x", [], {}, [1, None], [{"request": 3, "response": [], "failure": {}}],
        {"k": {"failure": ""}}, {"k": 3}, [[1, 2]], True]  # fmt: skip
_KEYS = ("requests", "tcp_connect", "targets", "tor_logs", "tor_progress", "failure", "success",
         "result", "sent", "received", "connection", "failed_operation", "bootstrap_time",
         "signal_backend_status", "facebook_dns_blocking", "body_length_match")  # fmt: skip


@pytest.mark.parametrize("test", sorted(JUDGES))
def test_odd_data_in_any_test_is_a_verdict_not_an_error(test: str) -> None:
    envelopes = [
        {},
        {"software_name": 5, "test_version": [], "measurement_start_time": 7, "annotations": "x"},
        {"software_version": "2.2.0", "test_version": "bad", "annotations": {"engine_version": 1},
         "measurement_start_time": "2024-13-01 00:00:00"},
    ]  # fmt: skip
    for key in _KEYS:
        for value in _ODD:
            for envelope in envelopes:
                v = verdict_of({"test_name": test, "test_keys": {key: value}, **envelope})
                assert v.outcome in {"ok", "anomaly", "confirmed", "failure"}
