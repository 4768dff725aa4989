"""The `im` group in the censorship lab: one `--group im` run vs the four tests one by one.

    sudo python bench/probe_im.py [--rounds 3]

Builds the lab with the app scenarios of ``netvigil.lab.apps`` and, for three cases -- every app
reachable, every app's names lied about by the censor (NXDOMAIN; Messenger's answers outside
Facebook's network), and every app's servers blackholed (each step waits out its timeout) --
runs ``netvigil probe --group im`` once (one process, the four nettests one after another
with one HTTP client and one catalogue load), then
``netvigil probe --test <app>`` for facebook_messenger, signal, telegram and whatsapp one after
another (four processes). Prints the wall time and peak RSS of each (the median of ``--rounds``),
and checks that both ways wrote the same summary keys.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from netvigil.lab import topology
from netvigil.lab.app_run import app_plan
from netvigil.lab.apps import AppScenario, catalogue, catalogue_toml, ip_table_csv
from netvigil.lab.run import LAB_TIMEOUTS, probe_argv, probe_environment

IM = ("facebook_messenger", "signal", "telegram", "whatsapp")
CASES = {"reachable": "reachable", "dns-blocked": "dnsBlocked", "tcp-blocked": "tcpBlockedAllPorts"}


def combined_catalogue(pairs: list[AppScenario]) -> str:
    """One catalogue with the four services of one case (what a deployment's file holds)."""
    parts = [catalogue_toml(p.service) for p in pairs if p.service is not None]
    return "version = 1\n" + "".join(part.removeprefix("version = 1\n") for part in parts)


def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one probe process (``ip netns exec`` execs it)."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"probe failed ({proc.returncode}): {' '.join(argv)}")
    return time.monotonic() - started, usage.ru_maxrss


def summaries(path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = json.loads(line)
        tk = m["test_keys"]
        out[m["test_name"]] = {k: v for k, v in tk.items() if k.endswith(("_status", "_blocking"))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="repetitions (median reported)")
    args = parser.parse_args()
    pairs = tuple(p for p in catalogue() if p.app in IM and p.scenario in CASES.values())
    with topology.running_lab(f"nvb{os.getpid() % 10000}", app_plan(pairs)) as lab:
        topology.start_helper(lab)
        assert lab.certs is not None
        work = lab.run_dir / "bench"
        work.mkdir()
        table = work / "ip-table.csv"
        table.write_text(ip_table_csv(pairs), encoding="utf-8")
        env = probe_environment(lab, LAB_TIMEOUTS)
        env |= {"NETVIGIL_PROBE__IP_TABLE": str(table),
                "NETVIGIL_PROBE__SIGNAL_CA": str(lab.certs.ca_pem)}  # fmt: skip
        print(f"{'case':<12} {'how':<22} {'wall s':>7} {'peak RSS MiB':>13}")
        for case, scenario in CASES.items():
            mine = [p for p in pairs if p.scenario == scenario]
            cat = work / f"{case}.toml"
            cat.write_text(combined_catalogue(mine), encoding="utf-8")
            case_env = env | {"NETVIGIL_CATALOGUE": str(cat)}
            group_times, group_rss, seq_times, seq_rss = [], [], [], []
            for n in range(args.rounds):
                out = work / f"{case}-group-{n}.jsonl"
                t, rss = run(probe_argv(lab, out, ["--group", "im"]), case_env, lab.run_dir)
                group_times.append(t)
                group_rss.append(rss)
                seq = work / f"{case}-seq-{n}.jsonl"
                total, peak = 0.0, 0
                for app in IM:
                    t, rss = run(probe_argv(lab, seq, [], test=app), case_env, lab.run_dir)
                    total, peak = total + t, max(peak, rss)
                seq_times.append(total)
                seq_rss.append(peak)
                if summaries(out) != summaries(seq):
                    differ = f"{summaries(out)} vs {summaries(seq)}"
                    raise SystemExit(f"{case}: the group and the four runs disagree: {differ}")
            for how, times, rss_list in (
                ("--group im (1 process)", group_times, group_rss),
                ("4 x --test (in turn)", seq_times, seq_rss),
            ):
                wall = statistics.median(times)
                print(
                    f"{case:<12} {how:<22} {wall:7.2f} {statistics.median(rss_list) / 1024:13.1f}"
                )
            ratio = statistics.median(seq_times) / statistics.median(group_times)
            print(f"{case:<12} the four in turn take {ratio:.2f}x the group's time; same keys")


if __name__ == "__main__":
    main()
