#!/usr/bin/env bash
# System benchmark on the local lab: redis-benchmark SET/GET through the packet proxy, COLO against
# passthrough, in one run; then the failover time (kill -9 of the primary's agent to the first
# reply served by the new primary), repeated.
#
#   benchmarks/system-benchmark.sh [--dir DIR] [--rounds R] [--failovers F] [--requests N] [--no-disk]
#                                  [--targets T,T...] [--tests set|set,get] [--warmup N]
#                                  [--set SERVICE:PROPERTY=VALUE]...
#
#   --dir DIR        lab directory (default target/bench-lab; it is started fresh and stopped at exit)
#   --rounds R       throughput rounds; each round runs every target once, interleaved: per
#                    pipeline every target in turn, the order reversed every other round, so a slow
#                    phase of the machine hits every target alike (default 3)
#   --failovers F    failover runs (default 10; 0 for none)
#   --requests N     redis-benchmark requests per test without pipelining (default 20000; -P 16
#                    runs 5 N; the disk-backed targets too, their disks write behind)
#   --no-disk        skip the disk-backed targets
#   --targets T,...  only these targets (of colo, passthrough, standalone, colo+disk,
#                    passthrough+disk, standalone+disk; default all): more rounds of a ratio for the
#                    same time, e.g. --targets colo,colo+disk --rounds 9
#   --tests LIST     redis-benchmark tests, set or set,get (default set,get)
#   --warmup N       warm-up requests per target without pipelining (default 10000; -P 16 runs 2 N)
#   --set S:P=V      passed to scripts/lab.sh up (e.g. --set
#                    host-2/agent:colo.agent.mirror.secondary-hold-bytes=128MB): a setting's A/B
#
# Needs the service jars (./colo build), redis-benchmark, curl, python3. Everything listens on
# 127.0.0.1. Prints a markdown report on stdout (also written to DIR/results.md); progress goes to
# stderr. Not part of ./colo test. See docs/benchmarks.md ("System: COLO vs passthrough, failover
# time") for what each target is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[ -x "$JAVA_HOME/bin/java" ] || JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
DIR="$ROOT/target/bench-lab"
ROUNDS=3
FAILOVERS=10
REQUESTS=20000
DISK=1
TARGETS=all
TESTS=set,get
WARMUP=10000
SETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --failovers) FAILOVERS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --no-disk) DISK=0; shift ;;
    --targets) TARGETS="$2"; shift 2 ;;
    --tests) TESTS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "system-benchmark: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$TESTS" in set|set,get|get,set) ;; *) echo "system-benchmark: --tests is set or set,get" >&2; exit 2 ;; esac
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

for tool in redis-benchmark curl python3; do
  command -v "$tool" >/dev/null || { echo "system-benchmark: $tool is missing (apt-get install redis-tools curl python3)" >&2; exit 1; }
done
# builds the service jars when they are missing or stale
"$ROOT/colo" build

stop_lab() { "$ROOT/scripts/lab.sh" down --dir "$DIR" >&2 || true; }
trap stop_lab EXIT

"$ROOT/scripts/lab.sh" down --dir "$DIR" >/dev/null 2>&1 || true
started=$(date +%s)
echo "system-benchmark: starting a 3-host lab in $DIR (this takes a minute or two)..." >&2
# the passthrough and standalone targets are VMs, volumes and proxy groups the coordinator does not
# know: a service that registers again (a restarted agent, a mirror silent under load) must keep them
"$ROOT/scripts/lab.sh" up --hosts 3 --no-groups --dir "$DIR" \
  --set coordinator:colo.coordinator.sweep-on-registration=false ${SETS[@]+"${SETS[@]}"} >&2
echo "system-benchmark: lab up in $(( $(date +%s) - started )) s" >&2

PYTHONPATH="$ROOT/benchmarks" python3 - "$DIR" "$ROUNDS" "$FAILOVERS" "$REQUESTS" "$DISK" "$ROOT/scripts/lab.sh" \
  "$TARGETS" "$TESTS" "$WARMUP" <<'PY' | tee "$DIR/results.md"
import json, os, re, socket, statistics, subprocess, sys, threading, time, urllib.request
from labapi import LabApi, free_port

DIR, ROUNDS, FAILOVERS, REQUESTS, DISK = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
LAB_SH = sys.argv[6]
WANTED = None if sys.argv[7] == "all" else set(sys.argv[7].split(","))
TESTS = [t.upper() for t in sys.argv[8].split(",")]
WARMUP = int(sys.argv[9])


def log(*a):
    print("system-benchmark:", *a, file=sys.stderr, flush=True)


_LAB = LabApi(DIR, 30)
lab, api = _LAB.lab, _LAB.api


COORD = lab()["coordinator"]["url"]


def active_proxy():
    """The URL of the proxy that serves: the one whose GET /v1/proxy says ACTIVE (after a warm
    standby's takeover that is lab.json's "proxyStandby", not its "proxy"); lab.json's "proxy"
    when none answers ACTIVE."""
    d = lab()
    for key in ("proxy", "proxyStandby"):
        if key not in d:
            continue
        url = d[key]["url"]
        try:
            if (api("GET", f"{url}/v1/proxy", timeout=5) or {}).get("role") == "ACTIVE":
                return url
        except Exception:
            pass
    return d["proxy"]["url"]


PROXY = active_proxy()


def group(gid):
    return api("GET", f"{COORD}/v1/groups/{gid}")


def wait_group(gid, want="PROTECTED", timeout=300, pred=None):
    end = time.monotonic() + timeout
    g = None
    while time.monotonic() < end:
        try:
            g = group(gid)
            if g["state"] == want and (pred is None or pred(g)):
                return g
        except Exception:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"group {gid} not {want} within {timeout} s: {g}")


def host_of(name):
    return next(h for h in lab()["hosts"] if h["name"] == name)


def prom(url, name):
    """Sum of a Prometheus sample family (name as prefix match of the full sample name)."""
    out = {}
    for line in _LAB.text(url + "/actuator/prometheus").splitlines():
        if line.startswith(name):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


# ---- targets ---------------------------------------------------------------------------------
# The lab is up without groups; the script creates its own: "kv" (COLO, 64 MiB disk on the disk
# mirrors, what ./colo lab up creates) and "kvnd" (COLO, no disk). Only these exist, so each kill
# below fails over exactly one group.


def create_group(gid, disk, attempts=3):
    """POST /v1/groups and wait for PROTECTED. A creation that failed part-way (the group DEGRADED
    with no primary, e.g. a call that timed out on a loaded machine) is not retried by the
    coordinator: delete the group and create it again."""
    for attempt in range(1, attempts + 1):
        port = free_port()
        api("POST", f"{COORD}/v1/groups", {"id": gid, "guest": "kv", "port": port, "diskBytes": 67108864 if disk else 0})
        end = time.monotonic() + 300
        g = None
        while time.monotonic() < end:
            g = group(gid)
            if g["state"] == "PROTECTED":
                return g
            if g["state"] in ("DEGRADED", "FAILED") and g.get("primary") is None:
                break
            time.sleep(0.1)
        log(f"group {gid}: creation attempt {attempt} ended {g['state']} ({g.get('reason')}); deleting it and trying again")
        api("DELETE", f"{COORD}/v1/groups/{gid}", timeout=120)
        time.sleep(2)
    raise RuntimeError(f"group {gid} could not be created: {g}")


log("creating the groups kv (COLO, mirrored disk) and kvnd (COLO, no disk)")
kv = create_group("kv", True) if DISK else None
kvnd = create_group("kvnd", False)
kv_port = int(kv["endpoint"].rsplit(":", 1)[1]) if kv else None
nodisk_port = int(kvnd["endpoint"].rsplit(":", 1)[1])
log("creating the passthrough VMs and the standalone VM")
# passthrough and standalone VMs live on the no-disk COLO primary's host: same agent process
ph = host_of(kvnd["primary"]["host"])
agent, mirror = ph["agent"]["url"], ph["mirror"]["url"]


def passthrough(vm, disk):
    body = {"id": vm, "guest": "kv", "diskBytes": 67108864 if disk else 0, "start": True}
    if disk:
        api("POST", f"{mirror}/v1/volumes", {"id": vm, "sizeBytes": 67108864, "role": "PRIMARY", "epoch": 1})
        body["mirror"] = {"url": mirror, "volume": vm, "epoch": 1}
    api("POST", f"{agent}/v1/vms", body)
    port = free_port()
    api("PUT", f"{PROXY}/v1/groups/{vm}", {"epoch": 1, "listen": {"address": "127.0.0.1", "port": port},
                                          "mode": "PASSTHROUGH", "primary": {"agentUrl": agent, "vm": vm}})
    return port


pass_port = passthrough("pass", False)
solo_port = free_port()
api("POST", f"{agent}/v1/vms", {"id": "solo", "guest": "kv", "diskBytes": 0, "start": True})
api("POST", f"{agent}/v1/vms/solo/listener", {"bindAddress": "127.0.0.1", "port": solo_port})
targets = [("colo", nodisk_port, False), ("passthrough", pass_port, False), ("standalone", solo_port, False)]
if DISK:
    passd_port = passthrough("passd", True)
    # issue 18's baseline for passthrough+disk: a standalone VM whose disk is a file on its agent
    solod_port = free_port()
    api("POST", f"{agent}/v1/vms", {"id": "solod", "guest": "kv", "diskBytes": 67108864, "start": True})
    api("POST", f"{agent}/v1/vms/solod/listener", {"bindAddress": "127.0.0.1", "port": solod_port})
    targets += [("colo+disk", kv_port, True), ("passthrough+disk", passd_port, True),
                ("standalone+disk", solod_port, True)]
if WANTED is not None:
    unknown = WANTED - {t[0] for t in targets}
    if unknown:
        raise SystemExit(f"system-benchmark: unknown targets {sorted(unknown)} (have {[t[0] for t in targets]})")
    targets = [t for t in targets if t[0] in WANTED]


def bench(port, n, pipeline):
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", ",".join(TESTS).lower(), "-n", str(n), "-c", "50", "--csv"]
    if pipeline > 1:
        cmd += ["-P", str(pipeline)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout
    res = {}
    for line in out.splitlines()[1:]:
        f = [x.strip('"') for x in line.split(",")]
        if len(f) >= 7:
            res[f[0]] = (float(f[1]), float(f[4]), float(f[6]))  # rps, p50 ms, p99 ms
    return res


def sizes(disk, pipeline):
    return REQUESTS if pipeline == 1 else REQUESTS * 5


log("warm-up (JIT of the proxy, the agents and the guests)")
for name, port, disk in targets:
    if WARMUP > 0:
        bench(port, WARMUP, 1)
        bench(port, 2 * WARMUP, 16)

runs = {}  # (target, pipeline, test) -> [(rps, p50, p99)]
by_round = {}  # (target, pipeline, test, round) -> rps: the paired ratios of one round
# the counters before the throughput phase: the report gives what the phase added (the lab's
# start and the warm-up have mismatches of their own: the first checkpoints of cold services)
mism0 = prom(PROXY, "colo_proxy_mismatches_total")
ckpt0 = prom(COORD, "colo_coordinator_checkpoints_total")
t0 = time.monotonic()
for r in range(ROUNDS):
    for pipeline in (1, 16):
        # interleaved: every target once per pipeline and round, back to back, the order reversed
        # every other round (a target late in one round is early in the next), so that a slow
        # phase of the machine falls on every target alike and a ratio of the same round is fair
        for name, port, disk in (targets if r % 2 == 0 else targets[::-1]):
            log(f"round {r + 1}/{ROUNDS}: {name}, -P {pipeline}")
            for test, v in bench(port, sizes(disk, pipeline), pipeline).items():
                runs.setdefault((name, pipeline, test), []).append(v)
                by_round[(name, pipeline, test, r)] = v[0]
throughput_s = time.monotonic() - t0
# the same proxy as mism0's (a takeover in between would make the difference meaningless: said)
if active_proxy() != PROXY:
    log("the ACTIVE proxy changed during the throughput phase: its mismatch counters are the new one's")
    PROXY = active_proxy()
    mism0 = {}
mism = {k: v - mism0.get(k, 0) for k, v in prom(PROXY, "colo_proxy_mismatches_total").items()}
ckpt = {k: v - ckpt0.get(k, 0) for k, v in prom(COORD, "colo_coordinator_checkpoints_total").items()}
warm = {k: v for k, v in mism0.items() if v}


def med(name, pipeline, test, i=0):
    v = runs.get((name, pipeline, test))
    return statistics.median(x[i] for x in v) if v else None


def fmt(x, d=0):
    return "—" if x is None else f"{x:,.{d}f}"


print("## Throughput: redis-benchmark -c 50 through the proxy, COLO against passthrough\n")
print(f"Median of {ROUNDS} rounds (targets interleaved: per pipeline every target in turn, the order "
      f"reversed every other round); requests/s, p50 / p99 in ms "
      f"(redis-benchmark's own, median of the rounds). {throughput_s:.0f} s of benchmarking.\n")
print("| target | pipeline | SET req/s | SET p50 / p99 | GET req/s | GET p50 / p99 | SET runs (req/s) | GET runs (req/s) |")
print("|---|---|---|---|---|---|---|---|")
for name, port, disk in targets:
    for pipeline in (1, 16):
        cells = []
        for test in ("SET", "GET"):
            cells += [fmt(med(name, pipeline, test)),
                      f"{fmt(med(name, pipeline, test, 1), 2)} / {fmt(med(name, pipeline, test, 2), 2)}"]
        spread = [", ".join(fmt(x[0]) for x in runs.get((name, pipeline, t), [])) for t in ("SET", "GET")]
        print(f"| {name} | {'-P 16' if pipeline > 1 else 'none'} | " + " | ".join(cells) + f" | {spread[0]} | {spread[1]} |")
print()


def ratio(x, y):
    return "—" if not x or not y else f"{x / y:.2f}" if x / y >= 0.1 else f"{x / y:.3f}"


def paired(a, b, pipeline, test):
    """a / b of each round (the two ran back to back in it), in round order."""
    out = []
    for r in range(ROUNDS):
        x, y = by_round.get((a, pipeline, test, r)), by_round.get((b, pipeline, test, r))
        if x and y:
            out.append(x / y)
    return out


# SET and GET: the ratio of the targets' medians; then SET's ratio per round (the two targets of
# a pair ran in the same round, minutes apart at most) and their median, which a slow phase of the
# machine moves less than it moves either target's own median
print("| ratio (median req/s) | pipeline | SET | GET | SET: median of the rounds' ratios | SET: ratio per round |")
print("|---|---|---|---|---|---|")
pairs = [("colo", "passthrough"), ("passthrough", "standalone"), ("colo", "standalone")]
if DISK:
    pairs += [("colo+disk", "passthrough+disk"), ("colo+disk", "colo"),
              ("passthrough+disk", "standalone+disk"), ("standalone+disk", "standalone")]
names = {t[0] for t in targets}
for a, b in pairs:
    if a not in names or b not in names:
        continue
    for pipeline in (1, 16):
        cells = [ratio(med(a, pipeline, test), med(b, pipeline, test)) for test in ("SET", "GET")]
        per = paired(a, b, pipeline, "SET")
        cells.append(ratio(statistics.median(per), 1) if per else "—")
        cells.append(", ".join(ratio(x, 1) for x in per) or "—")
        print(f"| {a} / {b} | {'-P 16' if pipeline > 1 else 'none'} | " + " | ".join(cells) + " |")
print()
print("Proxy mismatches and coordinator checkpoints during the throughput phase (all COLO groups):\n")
for k, v in sorted(mism.items()):
    if v:
        print(f"- `{k}` {v:.0f}")
for k, v in sorted(ckpt.items()):
    if v:
        print(f"- `{k}` {v:.0f}")
if warm:
    print("\nBefore it (the lab's start and the warm-up), not counted above:\n")
    for k, v in sorted(warm.items()):
        print(f"- `{k}` {v:.0f}")
print(flush=True)

# ---- failover --------------------------------------------------------------------------------
log("deleting the throughput-only targets before the failover runs")
if DISK:
    api("DELETE", f"{COORD}/v1/groups/kvnd", timeout=120)
for vm in ["pass", "passd"] if DISK else ["pass"]:
    api("DELETE", f"{active_proxy()}/v1/groups/{vm}")
for vm in ["pass", "passd", "solo", "solod"] if DISK else ["pass", "solo"]:
    try:
        api("DELETE", f"{agent}/v1/vms/{vm}")
    except Exception as e:
        log("delete vm", vm, e)
if DISK:
    try:
        api("DELETE", f"{mirror}/v1/volumes/passd")
    except Exception as e:
        log("delete volume passd", e)

FAILOVER_GROUP = "kv" if DISK else "kvnd"
fo_port = kv_port if DISK else nodisk_port
KEY, VALUE = b"failover-key", b"value-0123456789"


class Client(threading.Thread):
    """One connection through the proxy: GET after GET, back to back; (sent, replied) per request."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.settimeout(120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb")
        self.log = []
        self.error = None
        self.stop = threading.Event()
        self.call(b"SET", KEY, VALUE)

    def call(self, *args):
        msg = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
        self.sock.sendall(msg)
        line = self.f.readline()
        if line.startswith(b"$"):
            n = int(line[1:])
            data = self.f.read(n + 2)[:-2] if n >= 0 else None
            return data
        return line.rstrip(b"\r\n")

    def run(self):
        try:
            while not self.stop.is_set():
                t = time.monotonic()
                v = self.call(b"GET", KEY)
                if v != VALUE:
                    raise RuntimeError(f"GET returned {v!r}")
                self.log.append((t, time.monotonic()))
        except Exception as e:  # noqa: BLE001
            self.error = e

    def close(self):
        self.stop.set()
        self.join(130)
        self.sock.close()


def lab_op(*args):
    """./colo lab OP SERVICE on this lab (kill, start: the lab's fault operations); its output."""
    r = subprocess.run([LAB_SH, *args, "--dir", DIR], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"lab.sh {' '.join(args)} failed: {r.stdout} {r.stderr}")
    return r.stdout


def services_up():
    st = json.loads(subprocess.run([LAB_SH, "status", "--json", "--dir", DIR], capture_output=True, text=True,
                                   timeout=60, check=True).stdout)
    return all(s["state"] == "up" for s in st["services"])


def healthy(url):
    try:
        api("GET", url + "/actuator/health", timeout=5)
        return True
    except Exception:
        return False


def wait_hosts(n, timeout=180):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            hs = api("GET", f"{COORD}/v1/hosts")
            up = [h for h in hs if h.get("agentUrl") and h.get("mirrorUrl") and not h.get("lost")]
            if len(up) >= n and services_up() and all(healthy(h["agent"]["url"]) for h in lab()["hosts"]):
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError("the restarted agent did not come back")


results = []
fo_before = prom(COORD, "colo_failover_duration_seconds_")
for run in range(FAILOVERS):
    try:
        g = wait_group(FAILOVER_GROUP, timeout=120)
        wait_hosts(3)
        old_primary, epoch = g["primary"]["host"], g["epoch"]
        url = host_of(old_primary)["agent"]["url"]
        fo = prom(COORD, "colo_failover_duration_seconds_")
        c = Client(fo_port)
        c.start()
        time.sleep(0.5)
        if c.error:
            raise RuntimeError(f"client failed before the kill: {c.error}")
        mark = len(c.log)
        # ./colo lab kill: SIGKILL; it reports the wall-clock time of the signal
        killed = lab_op("kill", f"{old_primary}/agent")
        m = re.search(r"SIGKILL at ([0-9.]+)", killed)
        t_kill = (float(m.group(1)) - time.time() + time.monotonic()) if m else time.monotonic()
        # first reply to a request sent after the kill
        t_first = None
        deadline = t_kill + 120
        while time.monotonic() < deadline and not c.error:
            after = [x for x in c.log[max(0, mark - 2):] if x[0] > t_kill]
            if after:
                t_first = after[0][1]
                break
            time.sleep(0.001)
        # ./colo lab start of the killed agent at once, in the background (same command line, port
        # and data directory): re-protection does not need it (a third host is there), the next run does
        starting = subprocess.Popen([LAB_SH, "start", f"{old_primary}/agent", "--dir", DIR],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            g2 = wait_group(FAILOVER_GROUP, timeout=240,
                            pred=lambda x: x["epoch"] > epoch and x["primary"]["host"] != old_primary
                            and x["secondary"] is not None)
            t_prot = time.monotonic()
        except RuntimeError as e:
            log(str(e))
            g2, t_prot = group(FAILOVER_GROUP), None
        time.sleep(0.3)
        c.close()
        _, start_err = starting.communicate(timeout=600)
        if starting.returncode != 0:
            raise RuntimeError(f"./colo lab start {old_primary}/agent failed: {start_err}")
        # warm the restarted agent up before the next kill: under heavy load the coordinator's first
        # POST /v1/vms to a cold agent (JIT, guest compilation) can exceed its 5 s call timeout
        # (see docs/benchmarks.md)
        end = time.monotonic() + 180
        while not healthy(url) and time.monotonic() < end:
            time.sleep(0.2)
        try:
            api("POST", f"{url}/v1/vms", {"id": "warmup", "guest": "kv", "diskBytes": 0, "start": True}, timeout=120)
            api("DELETE", f"{url}/v1/vms/warmup", timeout=60)
        except Exception as e:  # noqa: BLE001
            log(f"warm-up of the restarted agent failed: {e!r}")
        if c.error:
            log(f"run {run + 1}: client error {c.error!r}")
        # the longest wait for a reply around the kill: from the last reply before the kill (or the
        # kill) to the first reply after it
        replies = [x[1] for x in c.log]
        before = max([r for r in replies if r <= t_kill], default=t_kill)
        gap = None if t_first is None else t_first - before
        fo2 = prom(COORD, "colo_failover_duration_seconds_")
        key_sum = next((k for k in fo2 if k.startswith("colo_failover_duration_seconds_sum") and f'group="{FAILOVER_GROUP}"' in k), None)
        key_cnt = next((k for k in fo2 if k.startswith("colo_failover_duration_seconds_count") and f'group="{FAILOVER_GROUP}"' in k), None)
        coord = None
        if key_sum and key_cnt and fo2[key_cnt] - fo.get(key_cnt, 0) == 1:
            coord = fo2[key_sum] - fo.get(key_sum, 0)
        r = {"run": run + 1, "killed": old_primary, "new_primary": g2["primary"]["host"] if g2.get("primary") else None,
             "first_reply_ms": None if t_first is None else (t_first - t_kill) * 1000,
             "blackout_ms": None if gap is None else gap * 1000,
             "coordinator_ms": None if coord is None else coord * 1000,
             "reprotected_ms": None if t_prot is None else (t_prot - t_kill) * 1000,
             "requests": len(c.log), "client_error": repr(c.error) if c.error else None}
        results.append(r)
        log(f"failover {run + 1}/{FAILOVERS}: " + ", ".join(f"{k}={v:.0f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    except Exception as e:  # noqa: BLE001
        log(f"failover {run + 1}/{FAILOVERS} failed: {e!r}")
        results.append({"run": run + 1, "killed": None, "new_primary": None, "first_reply_ms": None, "blackout_ms": None,
                        "coordinator_ms": None, "reprotected_ms": None, "requests": 0, "client_error": repr(e)})
        if "not PROTECTED" in str(e) or "did not come back" in str(e):
            break

print(f"## Failover time: kill -9 of the primary's agent, group `{FAILOVER_GROUP}` "
      f"(kv guest, {'64 MiB mirrored disk' if DISK else 'no disk'})\n")
print("| run | killed | new primary | kill → first reply (ms) | reply blackout (ms) | coordinator failover (ms) | kill → PROTECTED (ms) | GETs on the connection |")
print("|---|---|---|---|---|---|---|---|")
for r in results:
    print(f"| {r['run']} | {r['killed']} | {r['new_primary']} | {fmt(r['first_reply_ms'])} | {fmt(r['blackout_ms'])} | "
          f"{fmt(r['coordinator_ms'])} | {fmt(r['reprotected_ms'])} | {r['requests']:,}{' (error: ' + r['client_error'] + ')' if r['client_error'] else ''} |")
print()


def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p * (len(xs) - 1)))))]


print("| figure (ms) | n | min | median | p90 | max |")
print("|---|---|---|---|---|---|")
for k, label in [("first_reply_ms", "kill → first reply served by the new primary"),
                 ("blackout_ms", "longest wait for a reply on the connection"),
                 ("coordinator_ms", "coordinator: primary declared lost → proxy switched"),
                 ("reprotected_ms", "kill → PROTECTED again (new secondary synced)")]:
    xs = [r[k] for r in results if r[k] is not None]
    if xs:
        print(f"| {label} | {len(xs)} | {min(xs):,.0f} | {statistics.median(xs):,.0f} | {q(xs, 0.9):,.0f} | {max(xs):,.0f} |")
    else:
        print(f"| {label} | 0 | — | — | — | — |")
print()
print(f"Load average at the end: {open('/proc/loadavg').read().split()[:3]}, {os.cpu_count()} CPUs.")
PY
echo "system-benchmark: done in $(( $(date +%s) - started )) s; report in $DIR/results.md" >&2
