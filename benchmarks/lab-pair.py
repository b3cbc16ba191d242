#!/usr/bin/env python3
"""Paired runs on labs that are already up: CPU per SET by lab thread, the labs' runs alternating.

    benchmarks/lab-pair.py ROUNDS TARGET LABDIR [LABDIR...]

Each LABDIR is a lab left up by `benchmarks/disk-cpu-per-set.sh --dir LABDIR --keep` (its
lab.json and targets.json). Every round runs `redis-benchmark -t set -c 50 -P 16 -r 100000 -n N`
(N from the environment, default 1,000,000) against TARGET (colo+disk, colo, passthrough+disk, ...)
on every lab in turn, the order reversed every other round, so that a slow moment of the machine
hits every lab alike. Per run it reads utime+stime of every thread of the lab's processes
(/proc/PID/task/TID/stat, a thread name's trailing digits as #: a pool summed) before and after.
Prints each run's SET/s and lab CPU per SET, then per lab the medians, then the threads whose
median is 0.02 µs a SET or more. Used for A/B of a setting or a build: start two labs, one with
`--set SERVICE:PROPERTY=VALUE`, warm both, then run this (docs/benchmarks.md, issue 18, s17).
"""
import collections
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labapi import set_benchmark, thread_cpu  # noqa: E402


def lab_pids(lab):
    j = json.load(open(f"{lab}/lab.json"))
    out = {}
    for key in ("coordinator", "proxy", "proxyStandby"):
        if isinstance(j.get(key), dict) and j[key].get("pid"):
            out[key] = j[key]["pid"]
    for h in j["hosts"]:
        for role in ("agent", "mirror"):
            out[f"{h['name']}/{role}"] = h[role]["pid"]
    return out


def threads(pid):
    """CPU seconds so far of each thread name of a process (a pool's threads summed)."""
    r = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        t = thread_cpu(pid, tid)
        if t is not None:
            r[t[0]] += t[1]
    return r


def main():
    rounds, target, labs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    n = int(os.environ.get("N", "1000000"))
    pids = {lab: lab_pids(lab) for lab in labs}
    res = {lab: [] for lab in labs}
    for r in range(rounds):
        for lab in labs if r % 2 == 0 else labs[::-1]:
            port = json.load(open(f"{lab}/targets.json"))[target]
            before = {k: threads(p) for k, p in pids[lab].items()}
            rps = set_benchmark(port, n, 16)
            after = {k: threads(p) for k, p in pids[lab].items()}
            d = {(k, t): (after[k][t] - before[k].get(t, 0)) * 1e6 / n
                 for k in after for t in after[k]}
            res[lab].append((rps, d))
            print(f"round {r} {lab}: {rps:,.0f} SET/s, lab {sum(d.values()):.2f} us/SET", flush=True)
    for lab in labs:
        print(f"== {lab}: median SET/s {statistics.median(x[0] for x in res[lab]):,.0f}, "
              f"lab us/SET {statistics.median(sum(x[1].values()) for x in res[lab]):.2f}")
    keys = {k for lab in labs for x in res[lab] for k in x[1]}
    rows = []
    for k in keys:
        meds = [statistics.median(x[1].get(k, 0) for x in res[lab]) for lab in labs]
        if max(meds) >= 0.02:
            rows.append((k, meds))
    for k, m in sorted(rows, key=lambda row: -max(row[1])):
        print(f"{k[0]:>14} {k[1]:<18}" + "".join(f"{v:7.2f}" for v in m))


if __name__ == "__main__":
    main()
