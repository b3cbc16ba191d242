#!/usr/bin/env bash
# pre-integration-test of container-tests: builds the COLO HA images from the jars just packaged.
# With no Docker engine it builds nothing; the tests then skip, or fail under CI=true
# (dev.coloha.containers.Docker). Args go to docker/build-images.sh (an argument with spaces is
# split into words: Maven passes colo.images.args as one); "--local-base" reuses an existing
# colo-ha/jre-base:25 instead of importing it again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../../.."
if ! docker info >/dev/null 2>&1; then
  echo "container-tests: no Docker engine answers: images not built (the container tests skip; under CI=true they fail)" >&2
  exit 0
fi
words=()
for arg in "$@"; do
  read -r -a split <<<"$arg"
  words+=("${split[@]}")
done
args=()
for a in "${words[@]}"; do
  if [ "$a" = --local-base ] && docker image inspect colo-ha/jre-base:25 >/dev/null 2>&1 \
      && [ -z "${COLO_REBUILD_BASE:-}" ]; then
    args+=(--base colo-ha/jre-base:25)
  else
    args+=("$a")
  fi
done
exec docker/build-images.sh "${args[@]}"
