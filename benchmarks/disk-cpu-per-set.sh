#!/usr/bin/env bash
# CPU per SET of every lab process, for the disk targets of issue 18 and their baselines: on two
# cores a target's throughput is bounded by the CPU one SET costs summed over the lab's processes
# (agents, mirrors, proxy, coordinator), so this prints that sum and where it goes, next to SET/s.
#
#   benchmarks/disk-cpu-per-set.sh [--dir DIR] [--keep] [--hosts H] [--rounds R] [--requests N]
#                                  [--cases T,...] [--pipelines P,...] [--threads]
#                                  [--set SERVICE:PROPERTY=VALUE]...
#
#   --dir DIR       lab directory (default target/cpu-lab). A lab already up there with the groups
#                   and VMs of an earlier run is used as it is; otherwise one is started
#   --keep          leave the lab up at the end (to run again, or to profile it)
#   --hosts H       lab hosts when one is started (default 2: both groups' replicas on them)
#   --rounds R      measured runs of every case, the median is printed (default 3)
#   --requests N    SETs of a run without pipelining (default 100000; -P 16 runs 5 N)
#   --cases T,...   only these targets (colo+disk, colo, passthrough+disk, passthrough+file,
#                   passthrough, standalone+disk)
#   --pipelines P,...  only these pipeline depths (1 = none, 16 = -P 16; default 1,16)
#   --threads       also print each lab thread's CPU per SET (/proc/PID/task/TID/stat; a thread's
#                   name with its trailing digits as #: a pool's threads summed), the largest first,
#                   then the same threads' system calls (/proc/.../io syscr + syscw) and context
#                   switches (/proc/.../status) per 1,000 SETs, and the SETs per guest event of
#                   colo+disk's and colo's primary VM (colo_vm_events_total)
#   --set S:P=V     passed to scripts/lab.sh up when a lab is started (e.g.
#                   host-2/agent:colo.agent.mirror.secondary-hold-bytes=0)
#
# Targets, made as benchmarks/system-benchmark.sh makes them: colo+disk (group kv, 64 MiB mirrored
# disk), colo (group kvnd, no disk), passthrough+disk (VM passd on kvnd's primary agent, its disk
# on that host's mirror, through the proxy), passthrough (VM pass, the same without a disk: what
# the mirrored disk adds on the primary's path is passthrough+disk minus passthrough),
# passthrough+file (VM passf, a file disk on the agent behind the proxy: the kv log's and a disk's
# cost without the mirror) and standalone+disk (VM solod, a file disk on the same agent, no proxy).
# Each case: redis-benchmark -t set -c 50 [-P 16] after a warm-up run, with utime+stime of every
# lab process (/proc/PID/stat) and of redis-benchmark (rusage) before and after. CPU per SET = CPU
# seconds / SETs; the idle lab's CPU per second (10 s before the runs) is printed as the last row:
# at a rate of R SETs/s it adds idle / R to a run's figure. The load average is printed before and
# after: other work on the machine shows there, not in the figures of the lab's processes (except
# as waiting). For colo+disk it also prints the VM writes and bytes each host's mirror applied to
# the kv volume during the measured runs (colo_mirror_writes_total,
# colo_mirror_bytes_total{op="write"}): on kv's secondary's host, its VM's overlay writes.
# Needs the service jars (./colo build), redis-benchmark, curl, python3. Report on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
DIR="$ROOT/target/cpu-lab"
KEEP=0
HOSTS=2
ROUNDS=3
REQUESTS=100000
CASES=""
PIPELINES="1,16"
THREADS=0
SETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --hosts) HOSTS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --cases) CASES="$2"; shift 2 ;;
    --pipelines) PIPELINES="$2"; shift 2 ;;
    --threads) THREADS=1; shift ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "disk-cpu-per-set: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in redis-benchmark curl python3; do
  command -v "$tool" >/dev/null || { echo "disk-cpu-per-set: $tool is missing" >&2; exit 1; }
done
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

if [ "$KEEP" = 0 ]; then
  trap '"$ROOT/scripts/lab.sh" down --dir "$DIR" >&2 || true' EXIT
fi
# every service of the lab in DIR runs (and the targets were made): use it as it is
lab_up() {
  [ -f "$DIR/lab.json" ] && [ -f "$DIR/targets.json" ] || return 1
  python3 - "$DIR/lab.json" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
pids = [d["coordinator"]["pid"], d["proxy"]["pid"]] + [h[r]["pid"] for h in d["hosts"] for r in ("agent", "mirror") if r in h]
sys.exit(0 if all(p and os.path.exists(f"/proc/{p}") for p in pids) else 1)
PY
}
if ! lab_up; then
  "$ROOT/colo" build
  "$ROOT/scripts/lab.sh" down --dir "$DIR" >/dev/null 2>&1 || true
  rm -f "$DIR/targets.json"
  echo "disk-cpu-per-set: starting a $HOSTS-host lab in $DIR..." >&2
  "$ROOT/scripts/lab.sh" up --hosts "$HOSTS" --no-groups --no-proxy-standby --dir "$DIR" \
    --set coordinator:colo.coordinator.sweep-on-registration=false ${SETS[@]+"${SETS[@]}"} >&2
fi

PYTHONPATH="$ROOT/benchmarks" python3 - "$DIR" "$ROUNDS" "$REQUESTS" "$CASES" "$PIPELINES" "$THREADS" <<'PY'
import json, os, re, resource, socket, statistics, subprocess, sys, time, urllib.request
from labapi import LabApi, free_port, set_benchmark as bench, thread_cpu

DIR, ROUNDS, REQUESTS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ONLY = [c for c in sys.argv[4].split(",") if c]
PIPELINES = [int(p) for p in sys.argv[5].split(",") if p]
THREADS = sys.argv[6] == "1"
TICK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print("disk-cpu-per-set:", *a, file=sys.stderr, flush=True)


_LAB = LabApi(DIR, 60)
lab, api = _LAB.lab, _LAB.api


COORD, PROXY = lab()["coordinator"]["url"], lab()["proxy"]["url"]


def create_group(gid, disk):
    api("POST", f"{COORD}/v1/groups", {"id": gid, "guest": "kv", "port": free_port(),
                                       "diskBytes": 67108864 if disk else 0})
    end = time.monotonic() + 600
    while time.monotonic() < end:
        g = api("GET", f"{COORD}/v1/groups/{gid}")
        if g["state"] == "PROTECTED":
            return g
        time.sleep(0.2)
    raise RuntimeError(f"group {gid} not PROTECTED: {g}")


def host_of(name):
    return next(h for h in lab()["hosts"] if h["name"] == name)


targets_file = os.path.join(DIR, "targets.json")
if os.path.exists(targets_file):
    T = json.load(open(targets_file))
else:
    log("creating kv (COLO, mirrored disk), kvnd (COLO, no disk), passd and solod")
    kv, kvnd = create_group("kv", True), create_group("kvnd", False)
    ph = host_of(kvnd["primary"]["host"])
    agent, mirror = ph["agent"]["url"], ph["mirror"]["url"]
    api("POST", f"{mirror}/v1/volumes", {"id": "passd", "sizeBytes": 67108864, "role": "PRIMARY", "epoch": 1})
    api("POST", f"{agent}/v1/vms", {"id": "passd", "guest": "kv", "diskBytes": 67108864, "start": True,
                                    "mirror": {"url": mirror, "volume": "passd", "epoch": 1}})
    passd_port = free_port()
    api("PUT", f"{PROXY}/v1/groups/passd", {"epoch": 1, "listen": {"address": "127.0.0.1", "port": passd_port},
                                            "mode": "PASSTHROUGH", "primary": {"agentUrl": agent, "vm": "passd"}})
    solod_port = free_port()
    api("POST", f"{agent}/v1/vms", {"id": "solod", "guest": "kv", "diskBytes": 67108864, "start": True})
    api("POST", f"{agent}/v1/vms/solod/listener", {"bindAddress": "127.0.0.1", "port": solod_port})
    T = {"colo+disk": int(kv["endpoint"].rsplit(":", 1)[1]),
         "colo": int(kvnd["endpoint"].rsplit(":", 1)[1]),
         "passthrough+disk": passd_port, "standalone+disk": solod_port,
         "roles": {"kv": [kv["primary"]["host"], (kv.get("secondary") or {}).get("host", "?")],
                   "kvnd": [kvnd["primary"]["host"], (kvnd.get("secondary") or {}).get("host", "?")]}}
    json.dump(T, open(targets_file, "w"))
if "passthrough" not in T:
    # issue 18's baseline of passthrough+disk: the same VM through the proxy without a disk (a lab
    # left by an earlier version of this script lacks it: made now)
    log("creating pass (passthrough, no disk)")
    agent = host_of(T["roles"]["kvnd"][0])["agent"]["url"]
    api("POST", f"{agent}/v1/vms", {"id": "pass", "guest": "kv", "diskBytes": 0, "start": True})
    T["passthrough"] = free_port()
    api("PUT", f"{PROXY}/v1/groups/pass", {"epoch": 1, "listen": {"address": "127.0.0.1", "port": T["passthrough"]},
                                          "mode": "PASSTHROUGH", "primary": {"agentUrl": agent, "vm": "pass"}})
    json.dump(T, open(targets_file, "w"))
if "passthrough+file" not in T:
    # the same VM with a file disk on its agent (standalone+disk's) behind the proxy: what the kv
    # log and a disk cost without the mirror; passthrough+disk against it is the mirror's own share
    log("creating passf (passthrough, a file disk on the agent)")
    agent = host_of(T["roles"]["kvnd"][0])["agent"]["url"]
    api("POST", f"{agent}/v1/vms", {"id": "passf", "guest": "kv", "diskBytes": 67108864, "start": True})
    T["passthrough+file"] = free_port()
    api("PUT", f"{PROXY}/v1/groups/passf", {"epoch": 1, "listen": {"address": "127.0.0.1", "port": T["passthrough+file"]},
                                           "mode": "PASSTHROUGH", "primary": {"agentUrl": agent, "vm": "passf"}})
    json.dump(T, open(targets_file, "w"))


def processes():
    d = lab()
    out = [(d["coordinator"]["name"], d["coordinator"]["pid"]), (d["proxy"]["name"], d["proxy"]["pid"])]
    for h in d["hosts"]:
        for role in ("agent", "mirror"):
            if role in h:
                out.append((f"{h['name']} {role}", h[role]["pid"]))
    return out


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def prom(url, prefix):
    """Sum of the Prometheus samples whose line starts with prefix."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in _LAB.text(url + "/actuator/prometheus").splitlines()
               if line.startswith(prefix))


def thread_counts(pid, tid):
    """(system calls, context switches) of one thread so far: /proc's syscr + syscw (reads and
    writes of any kind: sockets, files, pipes) and its voluntary + involuntary switches."""
    try:
        with open(f"/proc/{pid}/task/{tid}/io") as f:
            io = dict(line.split(": ") for line in f.read().splitlines() if ": " in line)
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            st = dict(line.split(":\t") for line in f.read().splitlines() if ":\t" in line)
        return (int(io["syscr"]) + int(io["syscw"]),
                int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"]))
    except (OSError, KeyError, ValueError):
        return (0, 0)  # ended meanwhile, or no access to its io


def thread_cpu():
    """(process, thread name with trailing digits as #, tid) -> (CPU seconds, system calls,
    context switches), over the lab's threads."""
    out = {}
    for name, pid in procs:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            t = thread_cpu(pid, tid)
            if t is None:
                continue  # ended meanwhile
            out[(name, t[0], tid)] = (t[1],) + thread_counts(pid, tid)
    return out


def vm_events():
    """Guest events (colo_vm_events_total) of the kv and kvnd VMs on each agent: the SETs an event
    handles show whether the two targets batch alike."""
    out = {}
    for h in lab()["hosts"]:
        text = _LAB.text(h["agent"]["url"] + "/actuator/prometheus").splitlines()
        for vm in ("kv", "kvnd"):
            out[(h["name"], vm)] = sum(float(line.rsplit(" ", 1)[1]) for line in text
                                       if line.startswith("colo_vm_events_total{") and f'vm="{vm}"' in line)
    return out


def mirror_writes():
    """VM writes and bytes each host's mirror applied to the kv volume (colo+disk's)."""
    out = {}
    for h in lab()["hosts"]:
        text = _LAB.text(h["mirror"]["url"] + "/actuator/prometheus").splitlines()
        def total(name, *labels):
            return sum(float(line.rsplit(" ", 1)[1]) for line in text
                       if line.startswith(name + "{") and 'volume="kv"' in line and all(x in line for x in labels))
        out[h["name"]] = (total("colo_mirror_writes_total"), total("colo_mirror_bytes_total", 'op="write"'))
    return out


def disturbances():
    """TIMEOUT mismatches (proxy) and timeout checkpoints (coordinator) of the two COLO groups."""
    return {g: (prom(PROXY, f'colo_proxy_mismatches_total{{application="packet-proxy",group="{g}",kind="TIMEOUT"}}'),
                prom(COORD, f'colo_coordinator_checkpoints_total{{application="coordinator-service",group="{g}",reason="timeout"}}'))
            for g in ("kv", "kvnd")}


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


procs = processes()
names = [n for n, _ in procs] + ["redis-benchmark"]
CASES = [(t, p) for p in PIPELINES for t in ("colo+disk", "colo", "passthrough+disk", "passthrough+file", "passthrough",
                            "standalone+disk")
         if not ONLY or t in ONLY]
written = {}  # (pipeline, host) -> (writes, bytes) the host's mirror applied to kv in colo+disk's runs
load0 = os.getloadavg()
# what each process burns with no SETs at all (heartbeats, checkpoints of idle groups, timers): at
# a low rate it is a visible part of a run's CPU per SET
log("measuring the idle lab for 10 s")
before = {name: cpu(pid) for name, pid in procs}
time.sleep(10)
idle = {name: (cpu(pid) - before[name]) * 1000 / 10 for name, pid in procs}
disturbed = {}  # (target, pipeline, group) -> (TIMEOUT mismatches, timeout checkpoints) in the runs
results = {}  # case -> list of (rps, {name: us per SET})
threads = {}  # case -> list of {(process, thread): (us, system calls per 1,000, switches per 1,000) per SET}
events = {}  # case -> list of SETs per guest event of the target's primary VM
for t, p in CASES:
    n = REQUESTS * (5 if p > 1 else 1)
    log(f"{t} -P {p}: warm-up")
    bench(T[t], max(n // 5, 10000), p)
    for r in range(ROUNDS):
        th0 = thread_cpu() if THREADS else {}
        before = {name: cpu(pid) for name, pid in procs}
        rb0 = children_cpu()
        d0 = disturbances()
        w0 = mirror_writes() if t == "colo+disk" else {}
        e0 = vm_events() if t in ("colo+disk", "colo") else {}
        rps = bench(T[t], n, p)
        if e0:
            key = (T["roles"]["kv" if t == "colo+disk" else "kvnd"][0], "kv" if t == "colo+disk" else "kvnd")
            e = vm_events()[key] - e0[key]
            events.setdefault((t, p), []).append(n / e if e else 0)
        d1 = disturbances()
        for host, (w, b) in (mirror_writes().items() if t == "colo+disk" else ()):
            pw, pb = written.get((p, host), (0, 0))
            written[(p, host)] = (pw + w - w0[host][0], pb + b - w0[host][1])
        for g in d1:
            disturbed[(t, p, g)] = tuple(a + (y - x) for a, x, y in zip(disturbed.get((t, p, g), (0, 0)), d0[g], d1[g]))
        after = {name: cpu(pid) for name, pid in procs}
        if THREADS:
            th = {}
            for k, v in thread_cpu().items():
                v0 = th0.get(k, (0, 0, 0))
                u, c, w = th.get(k[:2], (0, 0, 0))
                th[k[:2]] = (u + (v[0] - v0[0]) * 1e6 / n, c + (v[1] - v0[1]) * 1e3 / n,
                             w + (v[2] - v0[2]) * 1e3 / n)
            threads.setdefault((t, p), []).append(th)
        us = {name: (after[name] - before[name]) * 1e6 / n for name, _ in procs}
        us["redis-benchmark"] = (children_cpu() - rb0) * 1e6 / n
        results.setdefault((t, p), []).append((rps, us))
        log(f"{t} -P {p} run {r + 1}: {rps:,.0f} SET/s, lab {sum(v for k, v in us.items() if k != 'redis-benchmark'):.1f} us/SET")
load1 = os.getloadavg()

print(f"## CPU per SET by process ({ROUNDS} runs a case, medians; {REQUESTS} SETs without pipelining, "
      f"{REQUESTS * 5} with -P P; redis-benchmark -c 50 -r 100000)\n")
print(f"Load average before: {load0[0]:.1f} / {load0[1]:.1f} / {load0[2]:.1f}; after: "
      f"{load1[0]:.1f} / {load1[1]:.1f} / {load1[2]:.1f} (1 / 5 / 15 min). Replicas: kv on "
      f"{' then '.join(T['roles']['kv'])} (primary first), kvnd on {' then '.join(T['roles']['kvnd'])}; "
      f"passd, passf, pass and solod on kvnd's primary.\n")
print("| target | pipeline | SET/s | " + " | ".join(names) + " | **lab total** |")
print("|---|---|---|" + "---|" * (len(names) + 1))
for t, p in CASES:
    rs = results[(t, p)]
    med = {name: statistics.median(u[name] for _, u in rs) for name in names}
    total = statistics.median(sum(v for k, v in u.items() if k != "redis-benchmark") for _, u in rs)
    cells = " | ".join(f"{med[name]:.2f}" for name in names)
    print(f"| {t} | {'-P ' + str(p) if p > 1 else 'none'} | {statistics.median(r for r, _ in rs):,.0f} | {cells} | **{total:.2f}** |")
print("| idle lab | — | CPU ms per second: | " + " | ".join(f"{idle[n]:.0f}" for n, _ in procs) + " | — | "
      f"**{sum(idle.values()):.0f}** |")
print("\nTIMEOUT mismatches / timeout checkpoints during the measured runs (kv is colo+disk's group, "
      "kvnd colo's): " + "; ".join(f"{t} {'-P 16' if p > 1 else 'none'}: kv {disturbed[(t, p, 'kv')][0]:.0f} / "
                                  f"{disturbed[(t, p, 'kv')][1]:.0f}, kvnd {disturbed[(t, p, 'kvnd')][0]:.0f} / "
                                  f"{disturbed[(t, p, 'kvnd')][1]:.0f}" for t, p in CASES))
if written:
    print("\nVM writes / MB the mirrors applied to kv (colo+disk) over its measured runs: " +
          "; ".join(f"{'-P 16' if p > 1 else 'none'}, {host}: {w:,.0f} writes, {b / 1e6:.1f} MB"
                    for (p, host), (w, b) in sorted(written.items())) +
          f" (kv's primary first: {' then '.join(T['roles']['kv'])})")
if THREADS:
    print("\n## CPU per SET by thread (µs, median of the runs; threads of a pool summed, their name's "
          "trailing digits as #; those of 0.02 µs or more in some case)\n")
    keys = sorted({k for rs in threads.values() for th in rs for k in th})
    counts = {c: {k: (statistics.median(th.get(k, (0, 0, 0))[1] for th in threads[c]),
                      statistics.median(th.get(k, (0, 0, 0))[2] for th in threads[c])) for k in keys}
              for c in CASES}
    med = {c: {k: statistics.median(th.get(k, (0, 0, 0))[0] for th in threads[c]) for k in keys} for c in CASES}
    keys = [k for k in keys if max(med[c][k] for c in CASES) >= 0.02]
    keys.sort(key=lambda k: -max(med[c][k] for c in CASES))
    print("| process | thread | " + " | ".join(f"{t} {'-P ' + str(p) if p > 1 else 'none'}" for t, p in CASES) + " |")
    print("|---|---|" + "---|" * len(CASES))
    for k in keys:
        print(f"| {k[0]} | `{k[1]}` | " + " | ".join(f"{med[c][k]:.2f}" for c in CASES) + " |")
    print("\n## System calls and context switches per 1,000 SETs by thread (the same threads, medians): "
          "a thread that handles the same bytes in more, smaller pieces shows here\n")
    print("| process | thread | " + " | ".join(f"{t} {'-P ' + str(p) if p > 1 else 'none'} calls / switches"
                                             for t, p in CASES) + " |")
    print("|---|---|" + "---|" * len(CASES))
    for k in keys:
        print(f"| {k[0]} | `{k[1]}` | " + " | ".join(f"{counts[c][k][0]:.1f} / {counts[c][k][1]:.1f}"
                                                     for c in CASES) + " |")
if events:
    print("\nSETs per guest event of the primary VM (median of the runs): " +
          "; ".join(f"{t} {'-P ' + str(p) if p > 1 else 'none'}: {statistics.median(events[(t, p)]):.1f}"
                    for t, p in CASES if (t, p) in events))
print("\nCPU in µs per SET (utime + stime of the process over the run / SETs). SET/s runs: " +
      "; ".join(f"{t} {'-P 16' if p > 1 else 'none'}: " + ", ".join(f"{r:,.0f}" for r, _ in results[(t, p)])
                for t, p in CASES))
PY
