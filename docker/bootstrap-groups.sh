#!/bin/sh
# One-shot job: waits until the coordinator knows COLO_BOOTSTRAP_HOSTS hosts (agent and mirror
# each) and a proxy, creates the groups of COLO_BOOTSTRAP_GROUPS (an existing group is kept), and
# waits until each is PROTECTED. Runs in any COLO HA image with its static busybox:
#   /opt/colo/bin/busybox sh /opt/colo/bin/bootstrap-groups.sh
# Env:
#   COLO_COORDINATOR_URL   e.g. http://coordinator:7700
#   COLO_SECURITY_TOKEN    the shared token
#   COLO_BOOTSTRAP_GROUPS  space-separated id=guest:port[:diskBytes], e.g. "kv=kv:6379 web=http:8080"
#   COLO_BOOTSTRAP_HOSTS   hosts to wait for (default 2)
#   COLO_BOOTSTRAP_TIMEOUT seconds to wait in all (default 300)
BB=/opt/colo/bin/busybox
[ -x "$BB" ] || BB=busybox
url="${COLO_COORDINATOR_URL:?COLO_COORDINATOR_URL is not set}"
hosts="${COLO_BOOTSTRAP_HOSTS:-2}"
deadline=$(( $($BB date +%s) + ${COLO_BOOTSTRAP_TIMEOUT:-300} ))

say() { echo "bootstrap-groups: $*"; }
get() { $BB wget -q -O - --header "Authorization: Bearer ${COLO_SECURITY_TOKEN:-}" "$url$1" 2>/dev/null; }
expired() { [ "$($BB date +%s)" -ge "$deadline" ]; }

say "waiting for $hosts host(s) and a proxy at $url"
while :; do
  h="$(get /v1/hosts | $BB tr '{' '\n' | $BB grep '"agentUrl":"http' | $BB grep '"mirrorUrl":"http' | $BB grep -c '"lost":false')"
  p="$(get /v1/proxies | $BB grep -o '"url":"http' | $BB wc -l)"
  [ "${h:-0}" -ge "$hosts" ] && [ "${p:-0}" -ge 1 ] && break
  expired && { say "timed out: $h host(s), $p proxy(ies) registered"; exit 1; }
  sleep 1
done

for spec in ${COLO_BOOTSTRAP_GROUPS:-}; do
  id="${spec%%=*}"
  rest="${spec#*=}"
  guest="$(echo "$rest" | $BB cut -d: -f1)"
  port="$(echo "$rest" | $BB cut -d: -f2)"
  disk="$(echo "$rest" | $BB cut -d: -f3)"
  if get "/v1/groups/$id" >/dev/null; then
    say "group $id exists"
  else
    body="{\"id\":\"$id\",\"guest\":\"$guest\",\"port\":$port,\"bindAddress\":\"0.0.0.0\",\"diskBytes\":${disk:-0}}"
    say "creating group $body"
    $BB wget -q -O - --header "Authorization: Bearer ${COLO_SECURITY_TOKEN:-}" \
      --header 'Content-Type: application/json' --post-data "$body" "$url/v1/groups" >/dev/null \
      || get "/v1/groups/$id" >/dev/null || { say "could not create group $id"; exit 1; }
  fi
done

for spec in ${COLO_BOOTSTRAP_GROUPS:-}; do
  id="${spec%%=*}"
  while :; do
    state="$(get "/v1/groups/$id" | $BB grep -o '"state":"[A-Z_]*"' | $BB head -1 | $BB cut -d'"' -f4)"
    [ "$state" = PROTECTED ] && { say "group $id is PROTECTED"; break; }
    expired && { say "timed out: group $id is ${state:-unknown}"; exit 1; }
    sleep 1
  done
done
say "done"
