#!/usr/bin/env bash
# Java's AOT cache (JEP 483/514/515) for the service jars: classes loaded and linked, and method
# profiles, recorded by a training run, so that a service starts about twice as fast.
#   aot-cache.sh prepare MODULE...   (re)creates MODULE/target/aot/ when missing or older than the jar
#   aot-cache.sh args EXEC_JAR       prints the java arguments that start EXEC_JAR (one a line):
#                                    "-XX:AOTCache=.../app.aot -jar .../aot/<jar>" when its cache is
#                                    fresh, else "-jar EXEC_JAR" (a stale or missing cache never
#                                    stops a start; it is only not used)
# MODULE/target/aot/ holds the jar extracted (Spring Boot's `-Djarmode=tools extract`: the AOT
# cache only works with classes loaded from plain jars on the file system), and app.aot, written
# by a training run that starts the application context and exits (-Dspring.context.exit=onRefresh;
# the proxy's run also serves the requests a restarted proxy gets first, see train_serving).
# The cache is only valid for the same JVM, the same garbage collector (lab.sh's -XX:+UseParallelGC)
# and the same jars; the JVM checks that and runs without it, with a warning, when they differ.
# COLO_AOT=0 turns it off (args then always prints "-jar EXEC_JAR"). Called by ./colo build and lab.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
# the JVM options the cache is made for: the lab's (lab.sh starts every service with them)
JVM_OPTS=(-Xss16m -XX:+UseParallelGC)
# seconds a training run may take (a loaded 2-core machine is slow)
TRAIN_TIMEOUT="${COLO_AOT_TRAIN_TIMEOUT:-600}"

exec_jar() {
  local f
  for f in "$ROOT/$1/target/$1"-*-exec.jar; do
    if [ -f "$f" ]; then
      echo "$f"
      return 0
    fi
  done
  return 0
}

# stamp EXEC_JAR: what identifies that build of the jar (size, inode, mtime in ns)
stamp() {
  stat -c '%s %i %.9Y' "$1"
}

# fresh EXEC_JAR: the cache next to EXEC_JAR was made from that very jar (its stamp, recorded
# before the extraction, still matches: not merely "newer than the jar", which a build that
# writes the jar while a cache is being made would fool) and is complete
fresh() {
  local dir
  dir="$(dirname "$1")/aot"
  [ -f "$dir/app.aot" ] && [ -f "$dir/$(basename "$1")" ] && [ -f "$dir/source.stamp" ] \
    && [ "$(cat "$dir/source.stamp")" = "$(stamp "$1")" ]
}

# The properties a service needs to refresh its context in a training run (no port, scratch data).
train_args() { # MODULE SCRATCH
  local common=(--server.port=0 --server.address=127.0.0.1 --colo.security.token=training
    --colo.heartbeat.coordinator-url=http://127.0.0.1:9 --colo.heartbeat.host=training)
  case "$1" in
    coordinator-service) printf '%s\n' "${common[@]}" --colo.coordinator.data-dir="$2/coordinator" ;;
    replica-agent) printf '%s\n' "${common[@]}" --colo.heartbeat.role=agent \
      --colo.agent.name=training --colo.agent.data-dir="$2/agent" ;;
    disk-mirror) printf '%s\n' "${common[@]}" --colo.heartbeat.role=mirror \
      --colo.mirror.data-dir="$2/mirror" --colo.mirror.io.unix-socket="$2/mirror/io.sock" ;;
    *) printf '%s\n' "${common[@]}" --colo.heartbeat.role=proxy ;;
  esac
}

# train_serving JAR CACHE SCRATCH LOG ARGS...: a training run that serves what a restarted proxy
# serves first (the coordinator's GET of a group it lacks, the PUT that gives it back with a
# resume, a read, a DELETE), then ends on SIGTERM (the JVM writes the cache as it exits).
train_serving() {
  local jar=$1 cache=$2 scratch=$3 log=$4 pid port="" i
  shift 4
  (cd "$scratch" && exec "$JAVA" "${JVM_OPTS[@]}" -XX:AOTCacheOutput="$cache" -jar "$jar" "$@" >>"$log" 2>&1) &
  pid=$!
  for ((i = 0; i < TRAIN_TIMEOUT * 10; i++)); do
    port="$(sed -n 's/.*Tomcat started on port \([0-9]*\).*/\1/p' "$log" | head -n 1)"
    [ -z "$port" ] || break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -n "$port" ]; then
    local api="http://127.0.0.1:$port" h="Authorization: Bearer training"
    local put='{"epoch":1,"listen":{"address":"127.0.0.1","port":0},
      "primary":{"agentUrl":"http://127.0.0.1:9","vm":"training"},
      "secondary":{"agentUrl":"http://127.0.0.1:10","vm":"training"},
      "sync":{"sequence":1,"outputOffsets":[],"inputOffsets":[],"closedConnections":[]},
      "resume":{"nextConnection":2,"lostConnections":[{"conn":1,"offset":0}]}}'
    for _ in 1 2 3; do
      curl -s -m 30 -o /dev/null "$api/actuator/health" || true
      curl -s -m 30 -o /dev/null -H "$h" "$api/v1/groups/training" || true
      curl -s -m 30 -o /dev/null -X PUT -H "$h" -H 'Content-Type: application/json' -d "$put" \
        "$api/v1/groups/training" || true
      curl -s -m 30 -o /dev/null -H "$h" "$api/v1/groups" || true
      curl -s -m 30 -o /dev/null -X DELETE -H "$h" "$api/v1/groups/training" || true
    done
  fi
  kill -TERM "$pid" 2>/dev/null || true
  # the cache is written on the way out; a run that hangs is ended after the training timeout
  for ((i = 0; i < TRAIN_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -n "$port" ]
}

# prepare_one MODULE: extracts the jar and trains the cache; on any failure removes what it made
# (the services then start from the exec jar) and says so, without failing.
prepare_one() {
  local m=$1 jar dir scratch log args=()
  jar="$(exec_jar "$m")"
  [ -n "$jar" ] || { echo "aot-cache: no $m jar (./colo build)" >&2; return 0; }
  fresh "$jar" && return 0
  dir="$(dirname "$jar")/aot"
  echo "aot-cache: $m: recording its AOT cache (a training run of the service)..." >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  log="$dir/training.log"
  local source
  source="$(stamp "$jar")"
  if ! "$JAVA" -Djarmode=tools -jar "$jar" extract --destination "$dir" --force >"$log" 2>&1; then
    echo "aot-cache: $m: could not extract $jar (see $log); it starts without a cache" >&2
    rm -f "$dir/app.aot"
    return 0
  fi
  scratch="$(mktemp -d)"
  mapfile -t args < <(train_args "$m" "$scratch")
  local t0=$SECONDS ok=0
  if [ "$m" = packet-proxy ]; then
    # the proxy's restart is on its clients' critical path up to its first requests (the
    # coordinator giving it its groups back): its training serves them too
    train_serving "$dir/$(basename "$jar")" "$dir/app.aot.tmp" "$scratch" "$log" "${args[@]}" && ok=1
  elif (cd "$scratch" && timeout "$TRAIN_TIMEOUT" "$JAVA" "${JVM_OPTS[@]}" -XX:AOTCacheOutput="$dir/app.aot.tmp" \
    -Dspring.context.exit=onRefresh -jar "$dir/$(basename "$jar")" "${args[@]}" >>"$log" 2>&1); then
    ok=1
  fi
  if [ "$ok" = 1 ] && [ "$(stamp "$jar")" != "$source" ]; then
    echo "aot-cache: $m: $jar changed while its cache was made; it starts without a cache" >&2
    rm -f "$dir/app.aot" "$dir/app.aot.tmp"
  elif [ "$ok" = 1 ] && [ -s "$dir/app.aot.tmp" ]; then
    mv "$dir/app.aot.tmp" "$dir/app.aot"
    echo "$source" >"$dir/source.stamp"
    echo "aot-cache: $m: AOT cache made in $((SECONDS - t0)) s ($dir/app.aot)" >&2
  else
    echo "aot-cache: $m: the training run failed (see $log); it starts without a cache" >&2
    rm -f "$dir/app.aot" "$dir/app.aot.tmp"
  fi
  rm -rf "$scratch"
}

cmd_prepare() {
  [ "${COLO_AOT:-1}" != 0 ] || return 0
  local m pids=()
  # the modules side by side (a training run is mostly one busy thread); one training at a time
  # per module (labs may come up side by side)
  for m in "$@"; do
    mkdir -p "$ROOT/$m/target"
    (
      flock 9
      prepare_one "$m"
    ) 9>"$ROOT/$m/target/aot.lock" &
    pids+=($!)
  done
  for m in "${pids[@]}"; do
    wait "$m" || true
  done
}

cmd_args() {
  local jar=$1 dir
  dir="$(dirname "$jar")/aot"
  if [ "${COLO_AOT:-1}" != 0 ] && fresh "$jar"; then
    printf '%s\n' "-XX:AOTCache=$dir/app.aot" -jar "$dir/$(basename "$jar")"
  else
    printf '%s\n' -jar "$jar"
  fi
}

case "${1:-}" in
  prepare) shift; cmd_prepare "$@" ;;
  args) shift; cmd_args "$@" ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
