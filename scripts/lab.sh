#!/usr/bin/env bash
# The local lab: every COLO HA service on loopback, with protected groups. Called by ./colo lab.
#   lab.sh up [--hosts N] [--kv-port P] [--http-port P] [--no-groups] [--no-proxy-standby]
#             [--kv-disk-mib N] [--kv-memory-mib N]
#             [--timeout S] [--dir DIR] [--set SERVICE:PROPERTY=VALUE]...
#   lab.sh status [--json] [--dir DIR]
#   lab.sh kill SERVICE [--dir DIR]      SIGKILL, like a crash
#   lab.sh start SERVICE [--dir DIR]     start it again: same command line, port and data directory
#   lab.sh restart SERVICE [--dir DIR]   kill, then start
#   lab.sh down [--purge] [--dir DIR]
# SERVICE: coordinator, proxy, proxy-standby, host-N (its agent and mirror), host-N/agent,
# host-N/mirror. proxy and proxy-standby are a warm standby pair (one lock file): either may be the
# ACTIVE one (status shows which); a killed one started again comes back as the STANDBY.
# Needs: JAVA_HOME (Java 25), the service jars, curl, python3. See docs/coordinator.md ("The lab").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB="${COLO_LAB_DIR:-$ROOT/.lab}"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
# seconds a service may take to answer its health endpoint after start
START_TIMEOUT="${COLO_LAB_START_TIMEOUT:-600}"
# the kv group's disk in MiB (its log holds two regions of half the disk each, guests/kv/aof.h)
# and its memory limit in MiB (empty: the coordinator's default-memory); --kv-disk-mib and
# --kv-memory-mib override them
KV_DISK_MIB="${COLO_LAB_KV_DISK_MIB:-64}"
KV_MEMORY_MIB="${COLO_LAB_KV_MEMORY_MIB:-}"

# The service's exec jar, or nothing when it is not built (never fails: callers test for "").
jar_of() {
  local f
  for f in "$ROOT/$1/target/$1"-*-exec.jar; do
    if [ -f "$f" ]; then
      echo "$f"
      return 0
    fi
  done
  return 0
}

die() { echo "colo lab: $*" >&2; exit 1; }

token() { cat "$LAB/token"; }

# labjson OPERATION ARGS...: reads and updates $LAB/lab.json (under a lock), see the operations below.
labjson() {
  python3 - "$LAB" "$@" <<'PY'
import fcntl, json, os, sys

lab_dir, op, args = sys.argv[1], sys.argv[2], sys.argv[3:]
path = os.path.join(lab_dir, "lab.json")


def load():
    with open(path) as f:
        return json.load(f)


def save(d):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(d, f, indent=1)
    os.replace(tmp, path)


def services(d):
    out = [d["coordinator"], d["proxy"]] + ([d["proxyStandby"]] if "proxyStandby" in d else [])
    for h in d["hosts"]:
        out += [h["mirror"], h["agent"]]
    return out


def alive(s):
    """The recorded process runs, is not a zombie and is this lab's service (its marker)."""
    pid = s.get("pid")
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f"-Dcolo.lab.service={s.get('name')}".encode() in f.read().split(b"\0")
    except OSError:
        return False


def select(d, sel):
    by_name = {s["name"]: s for s in services(d)}
    if sel in by_name:
        return [by_name[sel]]
    hosts = {h["name"]: h for h in d["hosts"]}
    if sel in hosts:
        return [hosts[sel]["mirror"], hosts[sel]["agent"]]
    names = ", ".join([s["name"] for s in services(d) if s["role"] in ("coordinator", "proxy")] + [h["name"] + x for h in d["hosts"] for x in ("", "/agent", "/mirror")])
    print(f"colo lab: no service '{sel}' (one of: {names})", file=sys.stderr)
    sys.exit(2)


if op == "select":  # SERVICE -> the names it stands for, one a line
    for s in select(load(), args[0]):
        print(s["name"])
elif op == "field":  # NAME FIELD -> the field's value
    print(next(s for s in services(load()) if s["name"] == args[0])[args[1]])
elif op == "launch":  # NAME -> NUL-separated: up|down, port, log, free|taken, command line...
    # one call on the restart path (each python start costs 20-100 ms)
    import socket
    s = next(s for s in services(load()) if s["name"] == args[0])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", int(s["port"])))
        free = "free"
    except OSError:
        free = "taken"
    finally:
        sock.close()
    out = ["up" if alive(s) else "down", str(s["port"]), s["log"], free] + s["cmd"]
    sys.stdout.write("\0".join(out) + "\0")
elif op == "alive":  # NAME -> exit 0 when it runs
    sys.exit(0 if alive(next(s for s in services(load()) if s["name"] == args[0])) else 1)
elif op == "pids":  # -> "name pid" of every running service
    for s in services(load()):
        if alive(s):
            print(s["name"], s["pid"])
elif op == "down-services":  # -> the names of the services that do not run, on one line
    print(" ".join(s["name"] for s in services(load()) if not alive(s)))
elif op == "any-alive":  # -> exit 0 when any service of the lab runs
    sys.exit(0 if os.path.exists(path) and any(alive(s) for s in services(load())) else 1)
elif op == "set-pid":  # NAME PID
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        d = load()
        for s in services(d):
            if s["name"] == args[0]:
                s["pid"] = int(args[1])
        save(d)
elif op == "add":  # NAME ROLE HOST PORT LOG CMD... -> adds a service (not started: pid 0)
    name, role, host, port, log, cmd = args[0], args[1], args[2], int(args[3]), args[4], args[5:]
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        d = load() if os.path.exists(path) else {"dir": lab_dir, "hosts": []}
        s = {"name": name, "role": role, "url": f"http://127.0.0.1:{port}", "port": port, "pid": 0,
             "log": log, "cmd": cmd}
        if role in ("agent", "mirror"):
            s["host"] = host
            h = next((h for h in d["hosts"] if h["name"] == host), None)
            if h is None:
                h = {"name": host}
                d["hosts"].append(h)
            h[role] = s
        elif role == "proxy" and name != "proxy":
            d["proxyStandby"] = s  # the second proxy of the warm standby pair
        else:
            d[role] = s
        save(d)
else:
    sys.exit(f"labjson: unknown operation {op}")
PY
}

# free_ports N: N distinct free ports on 127.0.0.1, one a line, below the kernel's ephemeral range:
# a port the kernel hands out (bind to 0) may be taken by any process's outgoing connection while
# its service is down, and the service's restart on the same port would then fail
free_ports() {
  python3 -c 'import random, socket, sys
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
top = max(low - 1, 2048)
bottom = max(1025, top - 20000)
want, got, socks = int(sys.argv[1]), [], []
for port in random.sample(range(bottom, top + 1), top + 1 - bottom):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    socks.append(s)
    got.append(port)
    if len(got) == want:
        break
if len(got) < want:
    sys.exit("free_ports: not enough free ports below the ephemeral range")
print("\n".join(str(p) for p in got))' "$1"
}

port_free() {
  python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1]))); print("yes")
except OSError:
    print("no")' "$1"
}

log_tail() { # NAME: the last lines of a service's log, on stderr
  local log
  log="$(labjson field "$1" log 2>/dev/null || true)"
  if [ -n "$log" ] && [ -f "$log" ]; then
    echo "---- the log of $1 ($log) ends with:" >&2
    tail -n 30 "$log" >&2
    echo "----" >&2
    local cause
    cause="$(grep -E 'Caused by:|APPLICATION FAILED|ERROR' "$log" | tail -n 1 || true)"
    [ -z "$cause" ] || echo "colo lab: $1: $cause" >&2
  fi
}

# launch NAME: starts a recorded service in the background (same command line, port, data
# directory) and records its pid. Fails when its port is taken; returns 3 when it runs already.
launch() {
  local name=$1 port log pid info=() cmd=() i
  mapfile -d '' -t info < <(labjson launch "$name")
  [ -n "${info[0]:-}" ] || { FAILED="$name"; echo "colo lab: $name: not in $LAB/lab.json" >&2; return 1; }
  [ "${info[0]}" = down ] || return 3
  port="${info[1]}"
  log="${info[2]}"
  [ "${info[3]}" = free ] || { FAILED="$name"; echo "colo lab: $name: its port $port is taken" >&2; return 1; }
  # the service's jar with its AOT cache when that is fresh, else the jar as it is
  for ((i = 4; i < ${#info[@]}; i++)); do
    if [ "${info[$i]}" = -jar ]; then
      mapfile -t -O "${#cmd[@]}" cmd < <("$ROOT/scripts/aot-cache.sh" args "${info[$((i + 1))]}")
      i=$((i + 1))
    else
      cmd+=("${info[$i]}")
    fi
  done
  echo "== colo lab: starting $name at $(date -u +%FT%TZ)" >>"$log"
  "${cmd[@]}" >>"$log" 2>&1 &
  pid=$!
  labjson set-pid "$name" "$pid"
}

# await_up NAME...: waits until every service answers its health endpoint; names the first that
# exits or does not answer in time (FAILED) and fails.
await_up() {
  local deadline name port waiting=("$@") left
  deadline=$(($(date +%s) + START_TIMEOUT))
  while [ ${#waiting[@]} -gt 0 ]; do
    left=()
    for name in "${waiting[@]}"; do
      port="$(labjson field "$name" port)"
      if curl -sf -m 5 -o /dev/null "http://127.0.0.1:$port/actuator/health"; then
        continue
      fi
      if ! labjson alive "$name"; then
        FAILED="$name"
        echo "colo lab: $name exited during start-up" >&2
        return 1
      fi
      left+=("$name")
    done
    waiting=("${left[@]}")
    [ ${#waiting[@]} -gt 0 ] || break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      FAILED="${waiting[0]}"
      echo "colo lab: ${waiting[*]} did not answer within $START_TIMEOUT s" >&2
      return 1
    fi
    sleep 0.5
  done
}

# stop_all: SIGTERM to every running service, SIGKILL to what is left after 20 s; waits until none runs.
stop_all() {
  local pids
  pids="$(labjson pids 2>/dev/null | cut -d' ' -f2 | tr '\n' ' ')"
  [ -n "${pids// /}" ] || return 0
  # shellcheck disable=SC2086 # a list of pids, one word each
  kill $pids 2>/dev/null || true
  for _ in $(seq 1 100); do
    labjson any-alive || return 0
    sleep 0.2
  done
  pids="$(labjson pids | cut -d' ' -f2 | tr '\n' ' ')"
  # shellcheck disable=SC2086 # a list of pids, one word each
  kill -9 $pids 2>/dev/null || true
  for _ in $(seq 1 50); do
    labjson any-alive || return 0
    sleep 0.2
  done
  echo "colo lab: processes still running: $(labjson pids | tr '\n' ' ')" >&2
  return 1
}

# up_failed STEP: a partial start is no lab: says which step failed with the tail of that
# service's log, stops what was started, and exits non-zero.
up_failed() {
  echo "colo lab: the lab did not come up: $1" >&2
  [ -z "${FAILED:-}" ] || log_tail "$FAILED"
  stop_all || true
  echo "colo lab: stopped what had started; every log is in $LAB" >&2
  exit 1
}

# api_call METHOD URL [JSON]: the coordinator's API; prints the body, fails on a non-2xx answer.
api_call() {
  local args=(-sS -m 120 -X "$1" -H "Authorization: Bearer $(token)" -w '\n%{http_code}')
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' -d "$3")
  local out code
  out="$(curl "${args[@]}" "$2")" || return 1
  code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  echo "$out"
  case "$code" in
    2??) return 0 ;;
    *) echo "colo lab: $1 $2 answered $code: $out" >&2; return 1 ;;
  esac
}

cmd_up() {
  local hosts=2 kv_port=6379 http_port=8080 groups=1 timeout=600 kv_given=0 http_given=0 standby=1
  local sets=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --hosts) hosts="$2"; shift 2 ;;
      --kv-port) kv_port="$2"; kv_given=1; shift 2 ;;
      --http-port) http_port="$2"; http_given=1; shift 2 ;;
      --no-groups) groups=0; shift ;;
      --no-proxy-standby) standby=0; shift ;;
      --kv-disk-mib) KV_DISK_MIB="$2"; shift 2 ;;
      --kv-memory-mib) KV_MEMORY_MIB="$2"; shift 2 ;;
      --timeout) timeout="$2"; shift 2 ;;
      --set) sets+=("$2"); shift 2 ;;
      --dir) LAB="$2"; shift 2 ;;
      *) die "unknown option $1 (see ./colo lab --help)" ;;
    esac
  done
  [ "$hosts" -ge 1 ] || die "--hosts must be at least 1"
  [[ "$KV_DISK_MIB" =~ ^[0-9]+$ ]] || die "--kv-disk-mib must be a number of MiB (0: no disk)"
  [[ "$KV_MEMORY_MIB" =~ ^[0-9]*$ ]] || die "--kv-memory-mib must be a number of MiB"
  mkdir -p "$LAB"
  LAB="$(cd "$LAB" && pwd)"
  if labjson any-alive; then
    local down
    down="$(labjson down-services)"
    if [ -n "$down" ]; then
      die "a partial lab runs in $LAB (down: $down): ./colo lab start SERVICE, or ./colo lab down first"
    fi
    echo "colo lab: already up (./colo lab down to stop it)" >&2
    cmd_status
    return 0
  fi
  local m
  for m in coordinator-service replica-agent disk-mirror packet-proxy; do
    [ -n "$(jar_of "$m")" ] || die "the $m jar is missing: run ./colo build"
  done
  if [ "$groups" = 1 ]; then
    if [ "$(port_free "$kv_port")" != yes ]; then
      [ "$kv_given" = 0 ] || die "--kv-port $kv_port is taken"
      kv_port="$(free_ports 1)"
      echo "colo lab: port 6379 is taken, kv gets $kv_port" >&2
    fi
    if [ "$(port_free "$http_port")" != yes ]; then
      [ "$http_given" = 0 ] || die "--http-port $http_port is taken"
      http_port="$(free_ports 1)"
      echo "colo lab: port 8080 is taken, web gets $http_port" >&2
    fi
  fi
  # the AOT cache of each service jar (made once per build: a service then starts twice as fast)
  "$ROOT/scripts/aot-cache.sh" prepare coordinator-service replica-agent disk-mirror packet-proxy
  rm -f "$LAB/lab.json"
  # a lab starts fresh: the previous run's VMs died with its processes
  rm -rf "$LAB"/coordinator "$LAB"/proxy "$LAB"/proxy-standby "$LAB"/proxy.lock "$LAB"/host-*
  [ -f "$LAB/token" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB/token"
  chmod 600 "$LAB/token"

  # Every service gets its port now, and keeps it across kill and start.
  local ports=()
  mapfile -t ports < <(free_ports $((3 + 2 * hosts)))
  local coordinator="http://127.0.0.1:${ports[0]}"
  local names=()
  # add NAME ROLE HOST JAR DIR ARGS...: records a service's command line
  add() {
    local name=$1 role=$2 host=$3 jar=$4 dir=$5 port=${ports[${#names[@]}]}
    shift 5
    mkdir -p "$dir"
    local extra=() s
    for s in "${sets[@]}"; do
      [ "${s%%:*}" = "$name" ] && extra+=("--${s#*:}")
    done
    # the module's own JVM options (the proxy's Spring AOT mode), as its AOT cache was trained
    local jvm=()
    mapfile -t jvm < <("$ROOT/scripts/aot-cache.sh" jvm-opts "$(basename "$(dirname "$(dirname "$jar")")")")
    labjson add "$name" "$role" "$host" "$port" "$dir/$role.log" \
      "$JAVA" "-Dcolo.lab.service=$name" -Xss16m -XX:+UseParallelGC "${jvm[@]}" -jar "$jar" \
      --server.port="$port" --server.address=127.0.0.1 --colo.security.token="$(token)" \
      "$@" "${extra[@]}"
    names+=("$name")
  }
  local hb=(--colo.heartbeat.coordinator-url="$coordinator")
  add coordinator coordinator "" "$(jar_of coordinator-service)" "$LAB/coordinator" \
    --colo.coordinator.data-dir="$LAB/coordinator"
  # the proxy and its warm standby: one lock file, one heartbeat host (the coordinator moves the
  # groups to whichever beats); without a standby the proxy takes no lock file
  local pair=()
  [ "$standby" = 0 ] || pair=(--colo.proxy.standby.lock-file="$LAB/proxy.lock")
  add proxy proxy "" "$(jar_of packet-proxy)" "$LAB/proxy" \
    "${hb[@]}" --colo.heartbeat.host=proxy-1 --colo.heartbeat.role=proxy "${pair[@]}"
  if [ "$standby" = 1 ]; then
    add proxy-standby proxy "" "$(jar_of packet-proxy)" "$LAB/proxy-standby" \
      "${hb[@]}" --colo.heartbeat.host=proxy-1 --colo.heartbeat.role=proxy "${pair[@]}"
  fi
  local i
  for i in $(seq 1 "$hosts"); do
    add "host-$i/mirror" mirror "host-$i" "$(jar_of disk-mirror)" "$LAB/host-$i" \
      --colo.mirror.data-dir="$LAB/host-$i/mirror" \
      --colo.mirror.io.unix-socket="$LAB/host-$i/mirror/io.sock" \
      "${hb[@]}" --colo.heartbeat.host="host-$i" --colo.heartbeat.role=mirror
    add "host-$i/agent" agent "host-$i" "$(jar_of replica-agent)" "$LAB/host-$i" \
      --colo.agent.name="host-$i" --colo.agent.data-dir="$LAB/host-$i/agent" \
      --colo.agent.replication.stream-bind-address=127.0.0.1 \
      --colo.agent.mirror.local-socket="$LAB/host-$i/mirror/io.sock" \
      "${hb[@]}" --colo.heartbeat.host="host-$i" --colo.heartbeat.role=agent
  done
  local s name
  local known
  for s in "${sets[@]}"; do
    known=0
    for name in "${names[@]}"; do
      [ "$name" != "${s%%:*}" ] || known=1
    done
    [ "$known" = 1 ] || die "--set $s: no service ${s%%:*}"
  done

  FAILED=""
  trap 'up_failed "interrupted"' INT TERM
  local pair_text="the proxy"
  [ "$standby" = 0 ] || pair_text="the proxy (and its standby)"
  echo "colo lab: starting the coordinator, $pair_text and $hosts host(s) (disk mirror, replica agent each)..." >&2
  # the standby starts once the proxy is up, so that the proxy is the active one
  local first=()
  for s in "${names[@]}"; do
    [ "$s" = proxy-standby ] && continue
    first+=("$s")
    launch "$s" || up_failed "$s did not start"
  done
  await_up "${first[@]}" || up_failed "$FAILED did not come up"
  if [ "$standby" = 1 ]; then
    launch proxy-standby || up_failed "proxy-standby did not start"
  fi

  # every host and the proxy register with the coordinator
  local deadline=$(($(date +%s) + timeout)) n p
  while :; do
    n="$(api_call GET "$coordinator/v1/hosts" 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for h in json.load(sys.stdin) if h.get("agentUrl") and h.get("mirrorUrl")))' 2>/dev/null || echo 0)"
    p="$(api_call GET "$coordinator/v1/proxies" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0)"
    [ "$n" -ge "$hosts" ] && [ "$p" -ge 1 ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      FAILED=coordinator
      up_failed "only $n of $hosts host(s) and $p proxy registered with the coordinator within $timeout s"
    fi
    sleep 0.2
  done

  if [ "$groups" = 1 ]; then
    FAILED=coordinator
    local kv_memory=""
    [ -z "$KV_MEMORY_MIB" ] || kv_memory=",\"memoryBytes\":$((KV_MEMORY_MIB * 1048576))"
    api_call POST "$coordinator/v1/groups" "{\"id\":\"kv\",\"guest\":\"kv\",\"port\":$kv_port,\"diskBytes\":$((KV_DISK_MIB * 1048576))$kv_memory}" >/dev/null \
      || up_failed "the coordinator refused the group kv"
    api_call POST "$coordinator/v1/groups" "{\"id\":\"web\",\"guest\":\"http\",\"port\":$http_port,\"diskBytes\":0}" >/dev/null \
      || up_failed "the coordinator refused the group web"
    local want="PROTECTED" states=""
    [ "$hosts" -ge 2 ] || want="DEGRADED"
    deadline=$(($(date +%s) + timeout))
    while :; do
      states="$(api_call GET "$coordinator/v1/groups" 2>/dev/null | python3 -c 'import json,sys; print(" ".join(g["id"] + "=" + g["state"] for g in sorted(json.load(sys.stdin), key=lambda g: g["id"])))' 2>/dev/null || true)"
      [ "$states" = "kv=$want web=$want" ] && break
      [ "$(date +%s)" -lt "$deadline" ] || up_failed "the groups did not reach $want within $timeout s (${states:-no answer})"
      sleep 0.2
    done
  fi
  if [ "$standby" = 1 ]; then
    await_up proxy-standby || up_failed "$FAILED did not come up"
  fi
  trap - INT TERM
  local proxies="proxy"
  [ "$standby" = 0 ] || proxies="proxy + standby"
  echo "COLO HA lab is up: coordinator, $hosts host(s) (replica agent + disk mirror each), $proxies; data and logs in $LAB"
  cmd_status
  echo "  status: ./colo lab status [--json]   faults: ./colo lab kill|start|restart SERVICE   stop: ./colo lab down"
}

cmd_status() {
  local json=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --json) json=1; shift ;;
      --dir) LAB="$2"; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [ -f "$LAB/lab.json" ] || die "the lab is not up (./colo lab up)"
  local curl_c groups
  curl_c="$(labjson field coordinator url)"
  groups="$(curl -sf -m 10 -H "Authorization: Bearer $(token)" "$curl_c/v1/groups" 2>/dev/null || echo null)"
  python3 - "$LAB" "$json" "$groups" <<'PY'
import json, sys, os
lab = json.load(open(os.path.join(sys.argv[1], "lab.json")))
as_json = sys.argv[2] == "1"
try:
    groups = json.loads(sys.argv[3])
except ValueError:
    groups = None
coordinator_answers = groups is not None
groups = groups or []


def alive(s):
    pid = s.get("pid")
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f"-Dcolo.lab.service={s.get('name')}".encode() in f.read().split(b"\0")
    except OSError:
        return False


def proxy_role(s):
    """ACTIVE or STANDBY (GET /v1/proxy), None when it does not answer."""
    import urllib.request
    token = open(os.path.join(lab["dir"], "token")).read().strip()
    req = urllib.request.Request(s["url"] + "/v1/proxy", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r).get("role")
    except (OSError, ValueError):
        return None


hosts = {h["name"]: h for h in lab["hosts"]}
def replica(r):
    if not r:
        return None
    h = hosts.get(r["host"], {})
    return {"host": r["host"], "agentUrl": r["agentUrl"], "pid": h.get("agent", {}).get("pid"),
            "mirrorUrl": r.get("mirrorUrl"), "mirrorPid": h.get("mirror", {}).get("pid"), "vm": r["vm"]}
out_groups = [{"id": g["id"], "guest": g["guest"], "state": g["state"], "epoch": g["epoch"],
               "endpoint": g["endpoint"], "primary": replica(g.get("primary")),
               "secondary": replica(g.get("secondary")), "lastCheckpoint": g["lastCheckpoint"],
               "reason": g.get("reason")} for g in groups]
services = [lab["coordinator"], lab["proxy"]] + ([lab["proxyStandby"]] if "proxyStandby" in lab else [])
for h in lab["hosts"]:
    services += [h["agent"], h["mirror"]]
out_services = []
for s in services:
    up = alive(s)
    out_services.append({"name": s["name"], "role": s["role"], **({"host": s["host"]} if "host" in s else {}),
                         "url": s["url"], "port": s["port"], "pid": s["pid"], "state": "up" if up else "down",
                         "alive": up, "log": s["log"],
                         **({"proxyRole": proxy_role(s) if up else None} if s["role"] == "proxy" else {})})
if as_json:
    print(json.dumps({"dir": lab["dir"], "token": os.path.join(lab["dir"], "token"),
                      "coordinatorAnswers": coordinator_answers, "groups": out_groups,
                      "services": out_services}, indent=2))
    sys.exit(0)
if not coordinator_answers:
    print("  (the coordinator does not answer: no group state)")
for g in out_groups:
    host, port = g["endpoint"].rsplit(":", 1)
    how = f"redis-cli -h {host} -p {port}" if g["guest"] == "kv" else f"curl http://{g['endpoint']}/counter"
    p = g["primary"]["host"] if g["primary"] else "-"
    s = g["secondary"]["host"] if g["secondary"] else "-"
    print(f"  {g['id']:<6} {g['state']:<12} epoch {g['epoch']:<3} primary {p:<8} secondary {s:<8} {how}")
for s in out_services:
    role = f" {s['proxyRole']}" if s.get("proxyRole") else ""
    print(f"  {s['name']:<14} {s['url']:<24} pid {s['pid']:<8} {s['state']}{role}")
print(f"  API token: {lab['dir']}/token (header 'Authorization: Bearer <token>')")
PY
}

# the services SERVICE stands for (coordinator, proxy, host-N, host-N/agent, host-N/mirror)
selected() {
  [ -f "$LAB/lab.json" ] || die "the lab is not up (./colo lab up)"
  labjson select "$1"
}

fault_args() { # SERVICE [--dir DIR]
  [ $# -ge 1 ] || die "which service? coordinator, proxy, proxy-standby, host-N, host-N/agent or host-N/mirror"
  SERVICE="$1"
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) LAB="$2"; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
}

cmd_kill() {
  fault_args "$@"
  local names name pid at
  names="$(selected "$SERVICE")"
  for name in $names; do
    if labjson alive "$name"; then
      pid="$(labjson field "$name" pid)"
      at="$EPOCHREALTIME"
      kill -9 "$pid"
      while labjson alive "$name"; do sleep 0.05; done
      echo "colo lab: killed $name (pid $pid, SIGKILL at $at)"
    else
      echo "colo lab: $name is already down"
    fi
  done
}

cmd_start() {
  fault_args "$@"
  local names name started=()
  names="$(selected "$SERVICE")"
  FAILED=""
  local rc
  for name in $names; do
    rc=0
    launch "$name" || rc=$?
    if [ "$rc" = 3 ]; then
      echo "colo lab: $name is already up (pid $(labjson field "$name" pid))"
      continue
    fi
    [ "$rc" = 0 ] || { log_tail "$name"; exit 1; }
    started+=("$name")
  done
  [ ${#started[@]} -gt 0 ] || return 0
  if ! await_up "${started[@]}"; then
    log_tail "$FAILED"
    exit 1
  fi
  for name in "${started[@]}"; do
    echo "colo lab: started $name (pid $(labjson field "$name" pid), $(labjson field "$name" url))"
  done
}

cmd_restart() {
  cmd_kill "$@"
  cmd_start "$@"
}

cmd_down() {
  local purge=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --purge) purge=1; shift ;;
      --dir) LAB="$2"; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  if [ -f "$LAB/lab.json" ]; then
    stop_all || die "could not stop every service"
    rm -f "$LAB/lab.json"
    echo "colo lab: stopped"
  else
    echo "colo lab: not running"
  fi
  if [ "$purge" = 1 ]; then
    rm -rf "$LAB"
    echo "colo lab: removed $LAB"
  fi
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  status) shift; cmd_status "$@" ;;
  kill) shift; cmd_kill "$@" ;;
  start) shift; cmd_start "$@" ;;
  restart) shift; cmd_restart "$@" ;;
  down) shift; cmd_down "$@" ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
