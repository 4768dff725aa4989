"""Probe throughput in the censorship lab: 1,000 URLs at default settings vs sequential.

    sudo python bench/probe_throughput.py [--urls 1000] [--sequential 100]

The lab serves ``--urls`` distinct HTTPS sites (many names over 64 addresses, so the probe's
per-host cap does not serialize them): every 10th is blackholed (10%), every 10th+1 gets a RST
on its TLS SNI (10%), the rest are reachable (80%). The probe runs at default settings
(concurrency, per-host cap and timeouts) on all of them, then with ``--concurrency 1`` (as OONI
Probe runs) and the same timeouts on the first ``--sequential`` URLs of the same mix. Prints
URLs/s for both, the speed-up and the probe's peak RSS. Target (issue 2): 1,000 URLs in < 120 s
on 2 cores and >= 10x the sequential rate.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import time
from collections import Counter
from pathlib import Path

from netvigil.lab import topology
from netvigil.lab.plan import ZONE, Blackhole, ResetOnSni, Site, make_plan
from netvigil.lab.run import probe_argv, probe_environment

RESET_MARK = "nvreset"  # one string-match rule resets every SNI containing it
BLACKHOLE_NET = "198.51.100.192/26"


def bench_sites(count: int) -> tuple[list[str], tuple[Site, ...]]:
    urls, sites = [], []
    for i in range(count):
        if i % 10 == 8:
            host, addr = f"bench-{i:04d}.{ZONE}", f"198.51.100.{192 + i % 63}"
        elif i % 10 == 9:
            host, addr = f"{RESET_MARK}-{i:04d}.{ZONE}", f"198.51.100.{128 + i % 64}"
        else:
            host, addr = f"bench-{i:04d}.{ZONE}", f"198.51.100.{128 + i % 64}"
        sites.append(Site(host, addr))
        urls.append(f"https://{host}/")
    return urls, tuple(sites)


def run_probe(lab: topology.Lab, urls: list[str], out: Path, extra: list[str]) -> tuple[float, int]:
    url_file = out.with_suffix(".txt")
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    env = probe_environment(lab, timeouts={})  # default timeouts: only the lab's addresses
    argv = probe_argv(lab, out, ["--input-file", str(url_file), *extra])
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=lab.run_dir)
    elapsed = time.perf_counter() - start
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    if len(lines) != len(urls):
        print(
            f"warning: {len(lines)} measurements for {len(urls)} URLs; probe said: "
            f"{done.stderr.strip()[-500:]}"
        )
    return elapsed, len(lines)


def verdicts(out: Path) -> Counter[str]:
    return Counter(
        str(json.loads(line)["test_keys"].get("blocking"))
        for line in out.read_text(encoding="utf-8").splitlines()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1000)
    parser.add_argument("--sequential", type=int, default=100)
    parser.add_argument("--prefix", default=f"nvb{os.getpid() % 1000}")
    args = parser.parse_args()
    urls, sites = bench_sites(args.urls)
    plan = make_plan((), sites, (Blackhole(BLACKHOLE_NET), ResetOnSni(RESET_MARK)))
    with topology.running_lab(args.prefix, plan) as lab:
        topology.start_helper(lab)
        out_all = lab.run_dir / "bench-default.jsonl"
        t_all, n_all = run_probe(lab, urls, out_all, [])
        rss_all = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        out_seq = lab.run_dir / "bench-sequential.jsonl"
        t_seq, n_seq = run_probe(lab, urls[: args.sequential], out_seq, ["--concurrency", "1"])
        mix_all, mix_seq = verdicts(out_all), verdicts(out_seq)
    rate_all, rate_seq = n_all / t_all, n_seq / t_seq
    print(f"cores: {os.cpu_count()}")
    print(
        f"default settings: {n_all} URLs in {t_all:.1f} s = {rate_all:.1f} URLs/s "
        f"(blocking: {dict(mix_all)})"
    )
    print(
        f"sequential (--concurrency 1): {n_seq} URLs in {t_seq:.1f} s = {rate_seq:.2f} URLs/s "
        f"(blocking: {dict(mix_seq)})"
    )
    print(f"speed-up: {rate_all / rate_seq:.1f}x")
    print(f"peak RSS of the probe at default settings: {rss_all:.0f} MiB")


if __name__ == "__main__":
    main()
