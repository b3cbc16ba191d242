#!/usr/bin/env bash
# The local lab: every COLO HA service on loopback, with protected groups. Called by ./colo lab.
#   lab.sh up [--hosts N] [--kv-port P] [--http-port P] [--no-groups] [--dir DIR]
#   lab.sh status [--json] [--dir DIR]
#   lab.sh down [--purge] [--dir DIR]
# Needs: JAVA_HOME (Java 25), the service jars, curl, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB="${COLO_LAB_DIR:-$ROOT/.lab}"
JAVA="$JAVA_HOME/bin/java"

jar_of() { ls "$ROOT/$1/target/$1"-*-exec.jar 2>/dev/null | head -1; }

die() { echo "colo lab: $*" >&2; exit 1; }

token() { cat "$LAB/token"; }

api() { # api METHOD URL [JSON]
  local args=(-sS -m 30 -X "$1" -H "Authorization: Bearer $(token)")
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' -d "$3")
  curl "${args[@]}" "$2"
}

# start NAME LOGDIR JAR ARGS...: starts a service in the background, prints "pid port"
start_service() {
  local name=$1 dir=$2 jar=$3
  shift 3
  mkdir -p "$dir"
  local log="$dir/$name.log"
  : >"$log"
  "$JAVA" -Xss16m -XX:+UseParallelGC -XX:TieredStopAtLevel=4 -jar "$jar" --server.port=0 \
    --colo.security.token="$(token)" "$@" >>"$log" 2>&1 &
  local pid=$! port=""
  for _ in $(seq 1 900); do
    port="$(grep -m1 -o 'Tomcat started on port [0-9]*' "$log" | grep -o '[0-9]*$' || true)"
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; die "$name exited during start-up (log: $log)"; }
    sleep 0.1
  done
  [ -n "$port" ] || die "$name did not start within 90 s (log: $log)"
  echo "$pid $port"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

port_free() {
  python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1]))); print("yes")
except OSError:
    print("no")' "$1"
}

running() {
  [ -f "$LAB/lab.json" ] || return 1
  local pid
  pid="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["coordinator"]["pid"])' "$LAB/lab.json")"
  kill -0 "$pid" 2>/dev/null
}

cmd_up() {
  local hosts=2 kv_port=6379 http_port=8080 groups=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --hosts) hosts="$2"; shift 2 ;;
      --kv-port) kv_port="$2"; shift 2 ;;
      --http-port) http_port="$2"; shift 2 ;;
      --no-groups) groups=0; shift ;;
      --dir) LAB="$2"; shift 2 ;;
      *) die "unknown option $1 (see ./colo lab --help)" ;;
    esac
  done
  [ "$hosts" -ge 1 ] || die "--hosts must be at least 1"
  if running; then
    echo "colo lab: already up (./colo lab down to stop it)" >&2
    cmd_status
    return 0
  fi
  for m in coordinator-service replica-agent disk-mirror packet-proxy; do
    [ -n "$(jar_of $m)" ] || die "the $m jar is missing: run ./colo build"
  done
  mkdir -p "$LAB"
  rm -f "$LAB/lab.json"
  # a lab starts fresh: the previous run's VMs died with its processes
  rm -rf "$LAB"/coordinator "$LAB"/proxy "$LAB"/host-*
  [ -f "$LAB/token" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB/token"
  chmod 600 "$LAB/token"

  echo "colo lab: starting the coordinator..." >&2
  read -r cpid cport < <(start_service coordinator "$LAB/coordinator" "$(jar_of coordinator-service)" \
    --colo.coordinator.data-dir="$LAB/coordinator")
  local curl_c="http://127.0.0.1:$cport"
  local hb=(--colo.heartbeat.coordinator-url="$curl_c")
  local entries=()
  for i in $(seq 1 "$hosts"); do
    echo "colo lab: starting host-$i (disk mirror, replica agent)..." >&2
    read -r mpid mport < <(start_service mirror "$LAB/host-$i" "$(jar_of disk-mirror)" \
      --colo.mirror.data-dir="$LAB/host-$i/mirror" "${hb[@]}" --colo.heartbeat.host="host-$i" --colo.heartbeat.role=mirror \
      --colo.mirror.io.unix-socket="$LAB/host-$i/mirror/io.sock")
    # the agent reaches its host's mirror through the local transport (Unix-domain socket)
    read -r apid aport < <(start_service agent "$LAB/host-$i" "$(jar_of replica-agent)" \
      --colo.agent.name="host-$i" --colo.agent.data-dir="$LAB/host-$i/agent" \
      --colo.agent.mirror.local-socket="$LAB/host-$i/mirror/io.sock" \
      "${hb[@]}" --colo.heartbeat.host="host-$i" --colo.heartbeat.role=agent)
    entries+=("{\"name\":\"host-$i\",\"agent\":{\"url\":\"http://127.0.0.1:$aport\",\"pid\":$apid},\"mirror\":{\"url\":\"http://127.0.0.1:$mport\",\"pid\":$mpid}}")
  done
  echo "colo lab: starting the proxy..." >&2
  read -r ppid pport < <(start_service proxy "$LAB/proxy" "$(jar_of packet-proxy)" \
    "${hb[@]}" --colo.heartbeat.host=proxy-1 --colo.heartbeat.role=proxy)
  local joined
  joined="$(IFS=,; echo "${entries[*]}")"
  cat >"$LAB/lab.json" <<JSON
{"dir":"$LAB","coordinator":{"url":"$curl_c","pid":$cpid},"proxy":{"url":"http://127.0.0.1:$pport","pid":$ppid},"hosts":[$joined]}
JSON

  # wait until every host and the proxy have registered
  for _ in $(seq 1 300); do
    local n
    n="$(api GET "$curl_c/v1/hosts" | python3 -c 'import json,sys; print(sum(1 for h in json.load(sys.stdin) if h.get("agentUrl") and (h.get("mirrorUrl"))))' 2>/dev/null || echo 0)"
    local p
    p="$(api GET "$curl_c/v1/proxies" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0)"
    [ "$n" -ge "$hosts" ] && [ "$p" -ge 1 ] && break
    sleep 0.2
  done

  if [ "$groups" = 1 ]; then
    [ "$(port_free "$kv_port")" = yes ] || { kv_port="$(free_port)"; echo "colo lab: port taken, kv gets $kv_port" >&2; }
    [ "$(port_free "$http_port")" = yes ] || { http_port="$(free_port)"; echo "colo lab: port taken, web gets $http_port" >&2; }
    api POST "$curl_c/v1/groups" "{\"id\":\"kv\",\"guest\":\"kv\",\"port\":$kv_port,\"diskBytes\":67108864}" >/dev/null
    api POST "$curl_c/v1/groups" "{\"id\":\"web\",\"guest\":\"http\",\"port\":$http_port,\"diskBytes\":0}" >/dev/null
    local want="PROTECTED"
    [ "$hosts" -ge 2 ] || want="DEGRADED"
    for _ in $(seq 1 600); do
      local states
      states="$(api GET "$curl_c/v1/groups" | python3 -c 'import json,sys; print(" ".join(g["state"] for g in json.load(sys.stdin)))' 2>/dev/null || true)"
      [ "$states" = "$want $want" ] && break
      sleep 0.2
    done
  fi
  echo "COLO HA lab is up: coordinator, $hosts host(s) (replica agent + disk mirror each), proxy; data and logs in $LAB"
  cmd_status
  echo "  status: ./colo lab status [--json]    stop: ./colo lab down"
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
  curl_c="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["coordinator"]["url"])' "$LAB/lab.json")"
  groups="$(api GET "$curl_c/v1/groups" 2>/dev/null || echo '[]')"
  python3 - "$LAB/lab.json" "$json" "$groups" <<'PY'
import json, sys, os
lab = json.load(open(sys.argv[1]))
as_json = sys.argv[2] == "1"
try:
    groups = json.loads(sys.argv[3])
except ValueError:
    groups = []
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
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
services = [{"name": "coordinator", "role": "coordinator", **lab["coordinator"]},
            {"name": "proxy-1", "role": "proxy", **lab["proxy"]}]
for h in lab["hosts"]:
    services.append({"name": h["name"] + "/agent", "role": "agent", "host": h["name"], **h["agent"]})
    services.append({"name": h["name"] + "/mirror", "role": "mirror", "host": h["name"], **h["mirror"]})
for s in services:
    s["alive"] = alive(s["pid"])
if as_json:
    print(json.dumps({"dir": lab["dir"], "groups": out_groups, "services": services}, indent=2))
    sys.exit(0)
for g in out_groups:
    host, port = g["endpoint"].rsplit(":", 1)
    how = f"redis-cli -h {host} -p {port}" if g["guest"] == "kv" else f"curl http://{g['endpoint']}/counter"
    p = g["primary"]["host"] if g["primary"] else "-"
    s = g["secondary"]["host"] if g["secondary"] else "-"
    print(f"  {g['id']:<6} {g['state']:<12} epoch {g['epoch']:<3} primary {p:<8} secondary {s:<8} {how}")
for s in services:
    print(f"  {s['name']:<14} {s['url']:<26} pid {s['pid']:<8} {'up' if s['alive'] else 'DOWN'}")
print(f"  API token: {lab['dir']}/token (header 'Authorization: Bearer <token>')")
PY
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
    local pids
    pids="$(python3 -c 'import json,sys
lab=json.load(open(sys.argv[1]))
p=[lab["proxy"]["pid"], lab["coordinator"]["pid"]]
for h in lab["hosts"]:
    p += [h["agent"]["pid"], h["mirror"]["pid"]]
print(" ".join(str(x) for x in p))' "$LAB/lab.json")"
    kill $pids 2>/dev/null || true
    for _ in $(seq 1 100); do
      local left=0
      for p in $pids; do kill -0 "$p" 2>/dev/null && left=1; done
      [ "$left" = 0 ] && break
      sleep 0.2
    done
    kill -9 $pids 2>/dev/null || true
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
  down) shift; cmd_down "$@" ;;
  *) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
