"""tor, vanilla_tor, torsf: OONI fastpath's scoring, with the blocked kind of target as detail.

``tor`` is an anomaly when more than half of the targets that ran failed (OONI's share rule:
a network that lets 4 of 35 targets through is still blocking Tor), whatever the summary keys
say; the detail is the kind of target (obfs4, or_port, dir_port, or_port_dirauth) with the
most failures. Early formats: ``targets`` as a list (2020 test versions) cannot be scored, as
in OONI; ``targets`` as an object without the summary keys (0.0.1, 0.1.0) is scored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from netvigil.analysis.fastpath._judgement import Judgement, blocked, failed, ok, rule
from netvigil.analysis.fastpath.exceptions import discarding

_KIND_ORDER = ("obfs4", "or_port_dirauth", "or_port", "dir_port")


def tor(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    targets = tk.get("targets")
    if isinstance(targets, list) and targets:
        return failed("tor.targets_list.v1")
    if not isinstance(targets, dict) or not targets:
        return failed("tor.no_targets.v1")
    reached = 0
    failures: Counter[str] = Counter()
    for target in targets.values():
        if (
            not isinstance(target, dict)
            or "failure" not in target
            or ("network_events" not in target)
        ):
            return failed("tor.malformed_target.v1")
        failure = target["failure"]
        if failure is False:
            continue  # did not run
        if failure is None:
            reached += 1
        elif failure == "":
            return failed("tor.malformed_target.v1")
        else:
            kind = target.get("target_protocol")
            failures[kind if isinstance(kind, str) and kind else "target"] += 1
    ran = reached + sum(failures.values())
    if not ran:
        return failed("tor.nothing_ran.v1")
    if sum(failures.values()) / ran <= 0.5:
        return ok("tor.share.ok.v1")
    worst = max(failures.items(), key=lambda kv: (kv[1], -_rank(kv[0])))[0]
    return blocked("tor", worst, "tor.share.blocked.v1")


def _rank(kind: str) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


_DONE = ("Bootstrapped 100%: Done", "Bootstrapped 100% (done): Done")


def vanilla_tor(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    """Tor bootstrapped to 100% (in its logs or tor_progress): ok; less: anomaly."""
    logs = tk.get("tor_logs") or tk.get("tor_log")
    if logs is None:
        return failed("vanilla_tor.no_logs.v1")
    # fastpath tests membership: a substring of one log text, an exact line of a list of lines
    if isinstance(logs, (str, list, dict)) and any(done in logs for done in _DONE):
        return ok("vanilla_tor.bootstrapped.v1")
    if not isinstance(logs, (str, list, dict)):
        return failed("vanilla_tor.no_logs.v1")
    progress = tk.get("tor_progress", 0)
    if isinstance(progress, bool) or not isinstance(progress, (int, float, str)):
        return failed("vanilla_tor.no_progress.v1")
    try:
        value = min(100.0, max(0.0, float(progress)))
    except ValueError:
        return failed("vanilla_tor.no_progress.v1")
    if value == 100:
        return ok("vanilla_tor.bootstrapped.v1")
    return blocked("vanilla_tor", "bootstrap", "vanilla_tor.bootstrap.incomplete.v1")


def torsf(m: Mapping[str, Any], tk: Mapping[str, Any]) -> Judgement:
    """Tor over Snowflake: any failure is an anomaly."""
    known = discarding("torsf", m)
    if known is not None:
        return failed(known.exception_id)
    if tk.get("failure"):
        return blocked("torsf", "bootstrap", "torsf.failure.v1")
    return ok("torsf.ok.v1")


RULES = (
    rule("tor.share.blocked.v1", "more than half of the targets that ran (failure not false) "
         "failed: anomaly; blocking is the target_protocol with the most failures "
         "(obfs4, or_port_dirauth, or_port, dir_port)", "score_tor"),
    rule("tor.share.ok.v1", "half of the targets that ran or fewer failed: ok", "score_tor"),
    rule("tor.no_targets.v1", "targets missing or empty: failure", "score_tor"),
    rule("tor.targets_list.v1", "targets is a list (an early test version's format): failure",
         "score_tor"),
    rule("tor.malformed_target.v1", "a target without failure or network_events, or with an "
         "empty failure string: failure", "score_tor"),
    rule("tor.nothing_ran.v1", "no target ran: failure", "score_tor"),
    rule("vanilla_tor.bootstrapped.v1", "tor_logs show \"Bootstrapped 100%\" done, or "
         "tor_progress is 100: ok", "score_vanilla_tor"),
    rule("vanilla_tor.bootstrap.incomplete.v1", "tor_progress below 100 (the score 1 - "
         "0.004 x progress is above 0.5): anomaly, blocking bootstrap", "score_vanilla_tor"),
    rule("vanilla_tor.no_logs.v1", "no tor_logs nor tor_log: failure", "score_vanilla_tor"),
    rule("vanilla_tor.no_progress.v1", "tor_progress not a number: failure",
         "score_vanilla_tor"),
    rule("torsf.failure.v1", "failure set: anomaly, blocking bootstrap", "score_torsf"),
    rule("torsf.ok.v1", "no failure: ok", "score_torsf"),
)  # fmt: skip
