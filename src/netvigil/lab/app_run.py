"""Running the real probe's app tests on every (app, scenario) pair of the lab, and judging them.

For each pair the lab writes what a deployment would give its probe: a catalogue with the pair's
endpoints (``NETVIGIL_CATALOGUE``), an IP table where Messenger's lab addresses are Facebook's
(``NETVIGIL_PROBE__IP_TABLE``), the lab's CA as Signal's (``NETVIGIL_PROBE__SIGNAL_CA``) and a
Tor target list (``--tor-targets``); then runs ``netvigil probe --test <app>`` in the client
namespace. Each result is checked three ways: the probe's summary keys against the pair's
expected ones (``lab.apps``), the analysis's verdict against the expected verdict, and the keys
the analysis re-derives from the recorded events against the ones the probe wrote.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netvigil.analysis.app_keys import disagreements
from netvigil.analysis.iptable import IpTable
from netvigil.analysis.verdict import verdict_of
from netvigil.lab.apps import ALL_ENDPOINTS, OBFS4_PORT, AppScenario, catalogue_toml, ip_table_csv
from netvigil.lab.plan import LabPlan, make_plan
from netvigil.lab.run import LAB_TIMEOUTS, probe_argv, probe_environment
from netvigil.lab.topology import Lab
from netvigil.models.catalogue import Catalogue, load_catalogue


def app_plan(pairs: tuple[AppScenario, ...]) -> LabPlan:
    """A lab plan serving the app pairs (and nothing else)."""
    return make_plan(
        (),
        extra_sites=tuple(s for p in pairs for s in p.sites),
        extra_faults=tuple(f for p in pairs for f in p.faults),
        port_maps=tuple(m for p in pairs for m in p.port_maps),
        obfs4_port=OBFS4_PORT if any(p.app == "tor" for p in pairs) else None,
    )


@dataclass(frozen=True)
class AppResult:
    pair: AppScenario
    measurement: dict[str, Any] | None
    error: str | None
    key_mismatches: dict[str, tuple[Any, Any]]  # key -> (written, expected)
    derived_mismatches: dict[str, tuple[Any, Any]]  # key -> (written, re-derived)
    outcome: str | None
    blocking: bool | str | None
    platform_down: bool | None

    @property
    def verdict_ok(self) -> bool:
        e = self.pair.expected
        return (self.outcome, self.blocking) == (e.outcome, e.blocking)

    @property
    def passed(self) -> bool:
        return (
            self.measurement is not None
            and not self.key_mismatches
            and not self.derived_mismatches
            and self.verdict_ok
            and self.platform_down == self.pair.expected.platform_down
        )


def _expected_value(pair: AppScenario, key: str, value: Any) -> Any:
    if value == ALL_ENDPOINTS and pair.service is not None:
        hosts = {e.host for e in pair.service.endpoints if e.component == "endpoints"}
        return sorted(hosts)
    return value


def _compare(pair: AppScenario, tk: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    out = {}
    for key, value in pair.expected.keys.items():
        want = _expected_value(pair, key, value)
        got = tk.get(key)
        same = sorted(got) == sorted(want) if isinstance(want, list) and isinstance(
            got, list) else got == want  # fmt: skip
        if not same:
            out[key] = (got, want)
    return out


def _write_inputs(lab: Lab, pair: AppScenario, directory: Path) -> tuple[Path | None, Path | None]:
    """The pair's catalogue and tor target files (None where the pair needs none)."""
    cat = tor = None
    if pair.service is not None:
        cat = directory / f"{pair.tag}.toml"
        cat.write_text(catalogue_toml(pair.service), encoding="utf-8")
    if pair.tor_targets:
        from netvigil.lab.obfs4_bridge import bridge_cert

        cert = bridge_cert(lab.run_dir)
        targets = {}
        for t in pair.tor_targets:
            entry = {k: v for k, v in t.items() if k != "id"}
            if t["protocol"] == "obfs4":
                entry["params"] = {**t.get("params", {}), "cert": [cert]}
            targets[t["id"]] = entry
        tor = directory / f"{pair.tag}-tor.json"
        tor.write_text(json.dumps(targets, indent=2), encoding="utf-8")
    return cat, tor


def _run_pair(
    lab: Lab, pair: AppScenario, directory: Path, env: dict[str, str], table: IpTable
) -> AppResult:
    cat, tor = _write_inputs(lab, pair, directory)
    output = directory / f"{pair.tag}.jsonl"
    extra = ["--tor-targets", str(tor)] if tor is not None else []
    argv = probe_argv(lab, output, extra, {"lab_scenario": pair.name}, test=pair.app)
    pair_env = dict(env)
    if cat is not None:
        pair_env["NETVIGIL_CATALOGUE"] = str(cat)
    done = subprocess.run(
        argv, env=pair_env, capture_output=True, text=True, timeout=240, cwd=lab.run_dir
    )
    lines = output.read_text(encoding="utf-8").splitlines() if output.exists() else []
    if not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        error = f"probe exit {done.returncode}: {' | '.join(tail)}"
        return AppResult(pair, None, error, {}, {}, None, None, None)
    m = json.loads(lines[-1])
    tk = m.get("test_keys") or {}
    lab_catalogue: Catalogue = load_catalogue(cat) if cat is not None else load_catalogue()
    verdict = verdict_of(m, catalogue=lab_catalogue)
    return AppResult(
        pair,
        m,
        None,
        _compare(pair, tk),
        disagreements(m, lab_catalogue, table.asn_of),
        verdict.outcome,
        verdict.blocking,
        tk.get("x_platform_down"),
    )


def run_app_scenarios(
    lab: Lab, pairs: tuple[AppScenario, ...], output: Path | None = None, parallel: int = 6
) -> list[AppResult]:
    """Probe every pair (a few at once: each has its own names and addresses)."""
    directory = lab.run_dir / "apps"
    directory.mkdir(exist_ok=True)
    table_path = directory / "ip-table.csv"
    table_path.write_text(ip_table_csv(pairs), encoding="utf-8")
    table = IpTable.load(table_path)
    env = probe_environment(lab, LAB_TIMEOUTS)
    assert lab.certs is not None
    env["NETVIGIL_PROBE__IP_TABLE"] = str(table_path)
    env["NETVIGIL_PROBE__SIGNAL_CA"] = str(lab.certs.ca_pem)
    pool = ThreadPoolExecutor(max_workers=parallel)
    try:
        results = list(pool.map(lambda p: _run_pair(lab, p, directory, env, table), pairs))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if output is not None:
        with output.open("ab") as out:
            for r in results:
                if r.measurement is not None:
                    out.write(json.dumps(r.measurement, ensure_ascii=False).encode() + b"\n")
    return results


def table_rows(results: list[AppResult]) -> list[tuple[str, ...]]:
    """One row per pair: app, scenario, OONI's keys as the probe wrote them, netvigil's
    verdict, whether the platform was down, and whether everything matched."""
    rows: list[tuple[str, ...]] = []
    for r in results:
        tk = (r.measurement or {}).get("test_keys") or {}
        keys = "; ".join(f"{k}={_short(tk.get(k))}" for k in r.pair.expected.keys if k in tk) or (
            r.error or ""
        )
        verdict = f"{r.outcome} / {json.dumps(r.blocking)}" if r.outcome else "-"
        down = {True: "down everywhere", False: "blocked here", None: "-"}[r.platform_down]
        rows.append((r.pair.app, r.pair.scenario, keys, verdict, down, "yes" if r.passed else "NO"))
    return rows


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)} hosts]" if value else "[]"
    return json.dumps(value)


def markdown_table(results: list[AppResult]) -> str:
    """The table of docs/lab.md: every (app, scenario), measured or not applicable (why)."""
    from netvigil.lab.apps import APPS, NOT_APPLICABLE, SCENARIOS

    head = "| app | scenario | test keys (the probe's, as OONI's would be) | verdict | platform"
    head += " | ok |"
    lines = [head, "|---|---|---|---|---|---|"]
    rows = {(r[0], r[1]): r for r in table_rows(results)}
    for app in APPS:
        for scenario in SCENARIOS:
            row = rows.get((app, scenario))
            if row is None:
                why = NOT_APPLICABLE.get((app, scenario), "not run")
                row = (app, scenario, f"n/a: {why}", "-", "-", "-")
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)
