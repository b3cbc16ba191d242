#!/usr/bin/env bash
# Added latency of the COLO packet proxy per matched reply, against passthrough mode.
#
#   benchmarks/proxy-latency.sh [requests] [rounds]
#
# Starts two replica agents and one packet proxy (their exec jars; built with ./colo build when
# missing), creates kv VMs, and two groups:
# "colo" (primary on agent A, secondary on agent B, every reply compared) and "pass" (PASSTHROUGH:
# one VM on agent A, nothing compared). Then runs redis-benchmark GET and SET (replies that match
# on both replicas) against each, alternating, with one client (latency of a lone request) and with
# 50 clients, and prints redis-benchmark's p50 and p99 per run, with the CPU seconds the proxy
# used during the run (all its threads, from /proc/PID/stat: compare JIT settings by it on a
# shared machine). Everything listens on 127.0.0.1.
# PROXY_JAVA_OPTS: extra JVM options of the proxy (split on spaces), e.g. -XX:TieredStopAtLevel=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUESTS="${1:-50000}"
ROUNDS="${2:-3}"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
# The module's exec jar, or nothing when it is not built (never fails under set -e).
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
if [ -z "$(jar_of replica-agent)" ] || [ -z "$(jar_of packet-proxy)" ]; then
  echo "proxy-latency: building the replica agent and the packet proxy..." >&2
  "$ROOT/colo" build
fi
AGENT_JAR="$(jar_of replica-agent)"
PROXY_JAR="$(jar_of packet-proxy)"
[ -n "$AGENT_JAR" ] && [ -n "$PROXY_JAR" ] || { echo "proxy-latency: the replica-agent or packet-proxy jar is missing" >&2; exit 1; }
WORK="$(mktemp -d)"

cleanup() {
  for f in "$WORK"/*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  rm -rf "$WORK"
}
trap cleanup EXIT

# start NAME JAR [JVM_OPTION...] -- ARGS... -> prints the HTTP port once the service is up
start() {
  local name="$1" jar="$2" jvm=()
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    jvm+=("$1")
    shift
  done
  [ $# -eq 0 ] || shift
  "$JAVA" -Xss16m "${jvm[@]}" -jar "$jar" --server.port=0 --server.address=127.0.0.1 "$@" >"$WORK/$name.log" 2>&1 &
  echo "$!" >"$WORK/$name.pid" # start runs in a subshell: the pid file is what cleanup reads
  for _ in $(seq 1 600); do
    if grep -q "Tomcat started on port" "$WORK/$name.log"; then
      grep -o "Tomcat started on port [0-9]*" "$WORK/$name.log" | head -1 | awk '{print $5}'
      return
    fi
    sleep 0.2
  done
  echo "$name did not start:" >&2
  cat "$WORK/$name.log" >&2
  exit 1
}

json() { curl -sf -X "$1" -H 'Content-Type: application/json' -d "$3" "$2"; }

A="$(start agent-a "$AGENT_JAR" -- --colo.agent.data-dir="$WORK/a")"
B="$(start agent-b "$AGENT_JAR" -- --colo.agent.data-dir="$WORK/b")"
read -r -a proxy_jvm <<<"${PROXY_JAVA_OPTS:-}"
P="$(start proxy "$PROXY_JAR" "${proxy_jvm[@]}" --)"
PROXY_PID="$(cat "$WORK/proxy.pid")"
# cpu: CPU seconds (user + system, every thread) the proxy has used so far
cpu() { awk -v t="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / t}' "/proc/$PROXY_PID/stat"; }
for vm in colo pass; do
  json POST "http://127.0.0.1:$A/v1/vms" "{\"id\":\"$vm\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}" >/dev/null
done
json POST "http://127.0.0.1:$B/v1/vms" '{"id":"colo","guest":"kv","diskBytes":0,"start":true}' >/dev/null

port_of() { sed -E 's/.*"listen":"[^:]*:([0-9]+)".*/\1/'; }
COLO="$(json PUT "http://127.0.0.1:$P/v1/groups/colo" "{\"epoch\":1,\"listen\":{\"port\":0},\"mode\":\"COLO\",\"primary\":{\"agentUrl\":\"http://127.0.0.1:$A\",\"vm\":\"colo\"},\"secondary\":{\"agentUrl\":\"http://127.0.0.1:$B\",\"vm\":\"colo\"}}" | port_of)"
PASS="$(json PUT "http://127.0.0.1:$P/v1/groups/pass" "{\"epoch\":1,\"listen\":{\"port\":0},\"mode\":\"PASSTHROUGH\",\"primary\":{\"agentUrl\":\"http://127.0.0.1:$A\",\"vm\":\"pass\"}}" | port_of)"
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$P/v1/groups/colo" | grep -q '"state":"PROTECTED"' && break
  sleep 0.2
done

# warm-up (JIT of the proxy, the agents and the guests)
for port in "$COLO" "$PASS"; do
  redis-benchmark -p "$port" -t set,get -n 20000 -q >/dev/null
done

echo "# proxy JVM options: ${PROXY_JAVA_OPTS:-none}; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mode,clients,test,rps,p50_ms,p99_ms,proxy_cpu_s"
for _ in $(seq 1 "$ROUNDS"); do
  for clients in 1 50; do
    for mode in pass colo; do
      port="$PASS"
      [ "$mode" = colo ] && port="$COLO"
      n="$REQUESTS"
      [ "$clients" = 1 ] && n=$((REQUESTS / 5))
      for t in set get; do
        before="$(cpu)"
        out="$(redis-benchmark -p "$port" -t "$t" -n "$n" -c "$clients" --csv)"
        used="$(awk -v a="$before" -v b="$(cpu)" 'BEGIN {printf "%.2f", b - a}')"
        echo "$out" | tail -n +2 | tr -d '"' |
          awk -F, -v m="$mode" -v c="$clients" -v u="$used" '{printf "%s,%s,%s,%s,%s,%s,%s\n", m, c, $1, $2, $5, $7, u}'
      done
    done
  done
done
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg); proxy counters of the colo group:"
curl -sf "http://127.0.0.1:$P/v1/groups/colo" | sed -E 's/.*"counters":(\{[^}]*\}).*/\1/'
echo
