#!/usr/bin/env bash
# Two proxy builds side by side on one lab (issue 18's passthrough hop): proxy A and proxy B, each
# a packet-proxy exec jar started with the same JVM options, each serving its own passthrough VM
# with a mirrored disk (passd-a, passd-b: the same guest, disk and agent as passthrough+disk), with
# standalone+disk (the lab's solod, no proxy) measured between them. The runs alternate A, B (and
# B, A on the next round), so that drift of a shared machine falls on both; each run prints the
# SET/s, the proxy's CPU per SET and the ratio to the standalone run next to it.
#
#   benchmarks/proxy-hop-ab.sh --dir DIR --jar-a JAR --jar-b JAR [--rounds R] [--requests N]
#                              [--pipelines 1,16]
#
#   --dir DIR        a lab left up by `benchmarks/disk-cpu-per-set.sh --dir DIR --keep --cases
#                    standalone+disk` (its targets.json names solod and kvnd's primary host)
#   --jar-a, --jar-b the two packet-proxy exec jars (e.g. main's and this branch's)
#   --rounds R       measured rounds (default 3): each runs A, standalone, B (B first on even rounds)
#   --requests N     SETs of a run without pipelining (default 50000; -P 16 runs 6 N)
#   --pipelines L    redis-benchmark -P values (default 1,16; 1 is no pipelining)
#
# Each run: redis-benchmark -t set -c 50 -r 100000 [-P 16], after one warm-up run per target and
# pipeline; the proxy's CPU = utime + stime of its process (/proc/PID/stat) over the run / SETs.
# The two proxies are stopped at the end (the VMs passd-a and passd-b stay on the lab's agent).
# Needs redis-benchmark, curl, python3. Report on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
DIR=""
JAR_A=""
JAR_B=""
ROUNDS=3
REQUESTS=50000
PIPELINES=1,16
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --jar-a) JAR_A="$2"; shift 2 ;;
    --jar-b) JAR_B="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --pipelines) PIPELINES="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "proxy-hop-ab: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$DIR" ] && [ -f "$DIR/targets.json" ] || { echo "proxy-hop-ab: --dir needs a lab with targets.json" >&2; exit 2; }
[ -f "$JAR_A" ] && [ -f "$JAR_B" ] || { echo "proxy-hop-ab: --jar-a and --jar-b must be jars" >&2; exit 2; }

PYTHONPATH="$ROOT/benchmarks" python3 - "$DIR" "$JAR_A" "$JAR_B" "$ROUNDS" "$REQUESTS" "$PIPELINES" \
  "$JAVA_HOME/bin/java" <<'PY'
import json, os, statistics, subprocess, sys, time, urllib.error
from labapi import LabApi, free_port, set_benchmark as bench

DIR, JAR_A, JAR_B, ROUNDS, REQUESTS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
PIPELINES = [int(p) for p in sys.argv[6].split(",")]
JAVA = sys.argv[7]
TICK = os.sysconf("SC_CLK_TCK")
L = LabApi(DIR, 60)
T = json.load(open(os.path.join(DIR, "targets.json")))
host = next(h for h in L.lab()["hosts"] if h["name"] == T["roles"]["kvnd"][0])
AGENT, MIRROR = host["agent"]["url"], host["mirror"]["url"]


def log(*a):
    print("proxy-hop-ab:", *a, file=sys.stderr, flush=True)


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


procs = []


def start_proxy(name, jar):
    port = free_port()
    d = os.path.join(DIR, "ab-" + name)
    os.makedirs(d, exist_ok=True)
    out = open(os.path.join(d, "proxy.log"), "w")
    p = subprocess.Popen([JAVA, "-Xss16m", "-XX:+UseParallelGC", "-Dspring.aot.enabled=true", "-jar", jar,
                          f"--server.port={port}", "--server.address=127.0.0.1",
                          f"--colo.security.token={L.token}"], stdout=out, stderr=subprocess.STDOUT, cwd=d)
    procs.append(p)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 300
    while time.monotonic() < end:
        try:
            L.api("GET", url + "/v1/groups", timeout=5)
            return p, url
        except (OSError, urllib.error.URLError):
            time.sleep(0.5)
    raise RuntimeError(f"proxy {name} did not start (see {d}/proxy.log)")


def passthrough(name, url):
    vm = "passd-" + name.lower()
    for url_, body in ((f"{MIRROR}/v1/volumes", {"id": vm, "sizeBytes": 67108864, "role": "PRIMARY", "epoch": 1}),
                       (f"{AGENT}/v1/vms", {"id": vm, "guest": "kv", "diskBytes": 67108864, "start": True,
                                            "mirror": {"url": MIRROR, "volume": vm, "epoch": 1}})):
        try:
            L.api("POST", url_, body)
        except urllib.error.HTTPError as e:
            if e.code != 409:  # made by an earlier run
                raise
    port = free_port()
    L.api("PUT", f"{url}/v1/groups/{vm}", {"epoch": 1, "listen": {"address": "127.0.0.1", "port": port},
                                          "mode": "PASSTHROUGH", "primary": {"agentUrl": AGENT, "vm": vm}})
    return port


try:
    pa, ua = start_proxy("A", JAR_A)
    pb, ub = start_proxy("B", JAR_B)
    targets = {"A": (passthrough("A", ua), pa.pid), "B": (passthrough("B", ub), pb.pid),
               "standalone": (T["standalone+disk"], None)}
    rows = []
    for p in PIPELINES:
        n = REQUESTS * (6 if p > 1 else 1)
        for t, (port, _) in targets.items():
            log(f"{t} -P {p}: warm-up")
            bench(port, max(n // 2, 20000), p)
        for r in range(ROUNDS):
            order = ["A", "standalone", "B"] if r % 2 == 0 else ["B", "standalone", "A"]
            got = {}
            for t in order:
                port, pid = targets[t]
                c0 = cpu(pid) if pid else 0
                t0 = time.strftime("%H:%M", time.gmtime())
                rps = bench(port, n, p)
                us = (cpu(pid) - c0) * 1e6 / n if pid else None
                got[t] = (rps, us, t0, os.getloadavg()[0])
                log(f"-P {p} round {r + 1} {t}: {rps:,.0f} SET/s" + (f", proxy {us:.2f} us/SET" if us else ""))
            rows.append((p, r + 1, order, got))
    print(f"## Proxy A ({JAR_A}) against proxy B ({JAR_B}), passthrough with a mirrored disk\n")
    print(f"redis-benchmark -t set -c 50 -r 100000, {REQUESTS} SETs a run without pipelining, {REQUESTS * 6} with -P 16; "
          "standalone+disk measured between the two; the ratio is passthrough+disk / that standalone+disk run.\n")
    print("| pipeline | round | UTC | load 1 min | A SET/s | A proxy µs/SET | A / standalone | B SET/s | B proxy µs/SET | B / standalone | standalone SET/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for p, r, order, got in rows:
        s = got["standalone"][0]
        a, b = got["A"], got["B"]
        print(f"| {'-P 16' if p > 1 else 'none'} | {r} ({order[0]} first) | {a[2]} | {a[3]:.1f} | {a[0]:,.0f} | {a[1]:.2f} | "
              f"{a[0] / s:.2f} | {b[0]:,.0f} | {b[1]:.2f} | {b[0] / s:.2f} | {s:,.0f} |")
    for p in PIPELINES:
        rs = [g for q, _, _, g in rows if q == p]
        med = lambda k, i: statistics.median(g[k][i] for g in rs)
        ratio = lambda k: statistics.median(g[k][0] / g["standalone"][0] for g in rs)
        print(f"\n{'-P 16' if p > 1 else 'no pipelining'}: medians A {med('A', 0):,.0f} SET/s, {med('A', 1):.2f} µs/SET, "
              f"ratio {ratio('A'):.2f}; B {med('B', 0):,.0f} SET/s, {med('B', 1):.2f} µs/SET, ratio {ratio('B'):.2f}; "
              f"standalone {med('standalone', 0):,.0f} SET/s")
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
PY
