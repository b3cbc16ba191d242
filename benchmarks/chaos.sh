#!/usr/bin/env bash
# Chaos rounds on the local lab (kill -9 of one process per round, restart, check nothing is lost):
#   benchmarks/chaos.sh [--rounds N | --each N] [--dir LAB_DIR] [--markdown] [...]
# Starts a 3-host lab first unless --dir names one that is up (COLO_CHAOS_KEEP=1 leaves it up).
# See benchmarks/chaos.py --help. Needs JAVA_HOME (Java 25), the service jars, python3.
#
# The lab it starts gives the kv group a 128 MiB disk and 128 MiB of memory (COLO_CHAOS_KV_DISK_MIB,
# COLO_CHAOS_KV_MEMORY_MIB), room for a 100-round run of unique keys: ~6,000 writer turns a round,
# ~600k turns. A turn logs SET chaos:NNNNNN NNNNNN (44 bytes of RESP + 8 of frame = 52) and INCR's
# SET chaos:counter N (53), ~63 MB in all; what stays live is ~600k x 52 = ~31 MB of snapshot. A log
# region (half the disk) must hold the snapshot plus what is appended until the next compaction,
# which starts at 75% of the region (guests/kv/aof.h): 31 / 0.75 = 42 MB, x1.5 headroom = 62 MiB a
# region. Memory: a key is a ~56-byte allocation plus ~4-12 bytes of key array and hash table; the
# guest grew to 753 pages (47 MiB) for 600k turns of the writer (measured in a micro-VM), close to
# the coordinator's 64 MB default-memory; 128 MiB leaves room (the guest's own cap is 256 MiB).
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
  "$ROOT/scripts/lab.sh" up --hosts 3 --dir "$LAB_DIR" \
    --kv-disk-mib "${COLO_CHAOS_KV_DISK_MIB:-128}" --kv-memory-mib "${COLO_CHAOS_KV_MEMORY_MIB:-128}"
  started=1
fi
stop() {
  if [ "$started" = 1 ] && [ "${COLO_CHAOS_KEEP:-0}" != 1 ]; then
    "$ROOT/scripts/lab.sh" down --dir "$LAB_DIR" >/dev/null || true
  fi
}
trap stop EXIT
python3 "$ROOT/benchmarks/chaos.py" --dir "$LAB_DIR" "${args[@]}"
