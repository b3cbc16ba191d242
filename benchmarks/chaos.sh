#!/usr/bin/env bash
# Chaos rounds on the local lab (kill -9 of one process per round, restart, check nothing is lost):
#   benchmarks/chaos.sh [--rounds N | --each N] [--dir LAB_DIR] [--markdown] [...]
# Starts a 3-host lab first unless --dir names one that is up (COLO_CHAOS_KEEP=1 leaves it up).
# See benchmarks/chaos.py --help. Needs JAVA_HOME (Java 25), the service jars, python3.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB_DIR="${COLO_LAB_DIR:-$ROOT/.lab}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) LAB_DIR="$2"; shift 2 ;;
    -h|--help) exec python3 "$ROOT/benchmarks/chaos.py" --help ;;
    *) args+=("$1"); shift ;;
  esac
done
started=0
if ! "$ROOT/scripts/lab.sh" status --dir "$LAB_DIR" >/dev/null 2>&1 || [ ! -f "$LAB_DIR/lab.json" ]; then
  "$ROOT/scripts/lab.sh" up --hosts 3 --dir "$LAB_DIR"
  started=1
fi
stop() {
  if [ "$started" = 1 ] && [ "${COLO_CHAOS_KEEP:-0}" != 1 ]; then
    "$ROOT/scripts/lab.sh" down --dir "$LAB_DIR" >/dev/null || true
  fi
}
trap stop EXIT
python3 "$ROOT/benchmarks/chaos.py" --dir "$LAB_DIR" "${args[@]}"
