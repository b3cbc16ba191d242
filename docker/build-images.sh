#!/usr/bin/env bash
# Builds the COLO HA service images from the service jars (./mvnw package first).
#   docker/build-images.sh [--local-base] [--base IMAGE] [--tag TAG] [--only "m1 m2"] [--prometheus]
# --local-base   imports colo-ha/jre-base:25 with `docker import` from a rootfs assembled on this
#                machine (a jlink'd Java 25 runtime, the glibc it needs, a static busybox), so no
#                registry is contacted; the service images are then built FROM it.
# --base IMAGE   base image of the service images (default eclipse-temurin:25-jre, pulled).
# --tag TAG      image tag (default: latest); images are colo-ha/<module>:TAG.
# --prometheus   also builds colo-ha/prometheus:TAG FROM the same base, from Debian's prometheus
#                package (installed, or fetched with apt-get download): the compose lab's
#                observability profile without pulling prom/prometheus (COLO_PROMETHEUS_IMAGE);
#                --only prometheus builds that image alone.
# Each service jar is extracted into its layers (Spring Boot's jarmode tools), one image layer each.
# Env: JAVA_HOME (a Java 25: extracts the jars; a JDK with jlink for --local-base), BUSYBOX (a
#      static busybox binary).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULES=(coordinator-service replica-agent disk-mirror packet-proxy)
declare -A PORTS=([coordinator-service]=7700 [replica-agent]=7701 [disk-mirror]=7702 [packet-proxy]=7703)
# JVM options per image (/opt/colo/jvm-options, an argument file of the entry point's java): the
# proxy starts in Spring's AOT mode, as in the lab (scripts/aot-cache.sh jvm-opts), from the bean
# definitions its build generated
declare -A JVM_OPTIONS=([packet-proxy]="-Dspring.aot.enabled=true")
LOCAL_BASE_IMAGE="colo-ha/jre-base:25"
# Java modules the services use (Spring Boot, Tomcat, H2, Micrometer, Chicory, JNA).
JAVA_MODULES="java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.transaction.xa,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.management,jdk.management.jfr,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs,jdk.charsets,jdk.localedata"

base=""
local_base=0
tag="${COLO_IMAGE_TAG:-latest}"
only=""
prometheus=0
while [ $# -gt 0 ]; do
  case "$1" in
    --local-base) local_base=1; shift ;;
    --base) base="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --prometheus) prometheus=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-images: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -n "$only" ]; then
  read -r -a MODULES <<<"$only"
  # "prometheus" in --only is the Prometheus image (as --prometheus), not a service module
  for i in "${!MODULES[@]}"; do
    if [ "${MODULES[$i]}" = prometheus ]; then
      prometheus=1
      unset 'MODULES[i]'
    fi
  done
fi

die() { echo "build-images: $*" >&2; exit 1; }

# The module's exec jar, or nothing when it is not built (never fails, so set -e does not end the
# script before it can say which jar is missing).
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
log() { echo "build-images: $*" >&2; }

command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# A static busybox: health probes (wget) and a shell in every image, whatever the base.
find_busybox() {
  local b
  for b in "${BUSYBOX:-}" /bin/busybox /usr/bin/busybox; do
    [ -n "$b" ] && [ -x "$b" ] || continue
    if [[ "$(file -L "$b" 2>/dev/null || true)" == *'statically linked'* ]] || ! ldd "$b" >/dev/null 2>&1; then
      echo "$b"
      return
    fi
  done
  # not installed: fetch the Debian package without installing it
  (cd "$WORK" && apt-get download busybox-static >/dev/null 2>&1) || die "no static busybox: apt-get install busybox-static (or set BUSYBOX)"
  dpkg-deb -x "$WORK"/busybox-static_*.deb "$WORK/bb"
  echo "$WORK/bb/bin/busybox"
}
BB="$(find_busybox)"

# ---- the local base --------------------------------------------------------------------------
build_local_base() {
  local jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  [ -x "$jdk/bin/jlink" ] || die "JAVA_HOME ($jdk) has no jlink"
  [[ "$("$jdk/bin/java" -version 2>&1)" == *'version "25'* ]] || die "JAVA_HOME ($jdk) is not Java 25"
  local rootfs="$WORK/rootfs"
  local java_dir="$rootfs/opt/java/openjdk"
  mkdir -p "$rootfs"/{bin,etc,tmp,lib64,var/lib/colo,opt/java} "$rootfs/lib/x86_64-linux-gnu"
  chmod 1777 "$rootfs/tmp"
  log "jlink: a Java 25 runtime with $(tr ',' '\n' <<<"$JAVA_MODULES" | wc -l) modules"
  "$jdk/bin/jlink" --add-modules "$JAVA_MODULES" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "$java_dir"
  # the class-data-sharing archive of the runtime (faster start-up)
  "$java_dir/bin/java" -Xshare:dump >/dev/null 2>&1 || true
  # the shared libraries the runtime links to (AWT's X11 parts stay out: the services are headless)
  local libs
  libs="$(find "$java_dir" -name '*.so' ! -name 'libawt_xawt.so' ! -name 'libjawt.so' ! -name 'libsplashscreen.so' -print0 \
    | xargs -0 ldd "$java_dir/bin/java" 2>/dev/null | awk '/=>/ && $3 ~ /^\// {print $3} /^\t\/lib64/ {print $1}' \
    | grep -v "$java_dir" | sort -u)"
  local l
  for l in $libs /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/x86_64-linux-gnu/libz.so.1; do
    [ -e "$l" ] || continue
    case "$l" in
      /lib64/*) cp -L "$l" "$rootfs/lib64/" ;;
      *) cp -L "$l" "$rootfs/lib/x86_64-linux-gnu/" ;;
    esac
  done
  cp -L /lib64/ld-linux-x86-64.so.2 "$rootfs/lib64/"
  mkdir -p "$rootfs/usr"
  ln -s ../lib "$rootfs/usr/lib"
  ln -s ../bin "$rootfs/usr/bin"
  cp "$BB" "$rootfs/bin/busybox"
  for a in $("$BB" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"
  done
  ln -s ../opt/java/openjdk/bin/java "$rootfs/bin/java"
  cat >"$rootfs/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
colo:x:10001:10001:COLO HA:/var/lib/colo:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
  cat >"$rootfs/etc/group" <<'G'
root:x:0:
colo:x:10001:
nogroup:x:65534:
G
  echo 'hosts: files dns' >"$rootfs/etc/nsswitch.conf"
  mkdir -p "$rootfs/root"
  chown 10001:10001 "$rootfs/var/lib/colo"
  log "rootfs: $(du -sh "$rootfs" | cut -f1); importing $LOCAL_BASE_IMAGE"
  local old
  old="$(docker image inspect -f '{{.Id}}' "$LOCAL_BASE_IMAGE" 2>/dev/null || true)"
  tar -C "$rootfs" --numeric-owner -c . | docker import \
    -c 'ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    -c 'CMD ["java", "-version"]' \
    -m "COLO HA local base: jlink'd Java 25 from $jdk" \
    - "$LOCAL_BASE_IMAGE" >/dev/null
  # the previous import, now untagged, goes (unless a container or an image still uses it)
  [ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
  local runs
  runs="$(docker run --rm "$LOCAL_BASE_IMAGE" java -version 2>&1)" || die "the base image does not run java: $runs"
  log "base runs: ${runs%%$'\n'*}"
}

if [ "$local_base" = 1 ]; then
  build_local_base
  base="$LOCAL_BASE_IMAGE"
fi
base="${base:-eclipse-temurin:25-jre}"

# ---- the service images ----------------------------------------------------------------------
# Spring Boot's layers of a service jar (layers.idx), from the least to the most often changed;
# docker/Dockerfile copies them in this order.
LAYERS=(dependencies spring-boot-loader snapshot-dependencies application)

# Extracts a service jar into $2/<layer>/ for each layer, laid out for JarLauncher (--launcher).
extract_layers() {
  local jar="$1" dest="$2" java="${JAVA_HOME:+$JAVA_HOME/bin/}java" layer out
  out="$("$java" -Djarmode=tools -jar "$jar" extract --layers --launcher --destination "$dest" 2>&1)" \
    || die "extracting the layers of $jar failed: $out"
  for layer in "${LAYERS[@]}"; do
    # a layer with nothing in it still exists, for the Dockerfile's COPY
    mkdir -p "$dest/$layer"
  done
}

version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p;T;q' "$ROOT/pom.xml")"
for m in "${MODULES[@]}"; do
  [ -n "${PORTS[$m]:-}" ] || die "unknown module $m"
  jar="$(jar_of "$m")"
  [ -n "$jar" ] || die "the $m jar is missing: run ./colo build first"
  ctx="$WORK/ctx-$m"
  mkdir -p "$ctx/data"
  touch "$ctx/data/.keep"
  extract_layers "$jar" "$ctx/app"
  cp "$BB" "$ctx/busybox"
  echo "${JVM_OPTIONS[$m]:-}" >"$ctx/jvm-options"
  chmod 0755 "$ctx/busybox"
  log "colo-ha/$m:$tag from $base"
  docker build -q -f "$ROOT/docker/Dockerfile" --build-arg BASE_IMAGE="$base" \
    --build-arg SERVICE="$m" --build-arg PORT="${PORTS[$m]}" --build-arg VERSION="$version" \
    -t "colo-ha/$m:$tag" "$ctx" >/dev/null
  rm -rf "$ctx"
done

# ---- Prometheus from Debian's package (the observability profile, offline) --------------------
# Debian's prometheus is a Go binary that needs only glibc, which the local base has. Its classic
# web UI loads JavaScript libraries that other Debian packages provide through symlinks: of those,
# only the files the UI's pages name are copied (moment-timezone alone is 200 MB), when installed.
build_prometheus() {
  local ctx="$WORK/ctx-prometheus" src pkg_version
  mkdir -p "$ctx/data"
  touch "$ctx/data/.keep"
  if pkg_version="$(dpkg-query -W -f '${Status} ${Version}' prometheus 2>/dev/null)" \
      && [[ "$pkg_version" == 'install ok installed '* ]]; then
    pkg_version="${pkg_version##* }"
    src=""
  else
    (cd "$WORK" && apt-get download prometheus >/dev/null 2>&1) \
      || die "no prometheus package: apt-get install prometheus (or let apt-get download reach Debian)"
    dpkg-deb -x "$WORK"/prometheus_*.deb "$WORK/prometheus-deb"
    pkg_version="$(dpkg-deb -f "$WORK"/prometheus_*.deb Version)"
    src="$WORK/prometheus-deb"
  fi
  cp "$src/usr/bin/prometheus" "$src/usr/bin/promtool" "$ctx/"
  # the package's example configuration (Prometheus scraping itself), as the public image has one
  cp "$src/usr/share/doc/prometheus/examples/prometheus.yml" "$ctx/prometheus.yml"
  cp -a "$src/usr/share/prometheus/web" "$ctx/web"
  local link rel name f
  while IFS= read -r link; do
    rel="${link#"$ctx/web/"}"
    name="${link##*/}"
    rm "$link"
    mkdir -p "$link"
    # the files of this library that the UI's templates load
    while IFS= read -r f; do
      [ -f "/usr/share/prometheus/web/$rel/$f" ] || continue
      mkdir -p "$link/$(dirname "$f")"
      cp -L "/usr/share/prometheus/web/$rel/$f" "$link/$f"
    done < <(grep -rhoE "static/$name/[^\"?]+" "$ctx/web/templates" | sed "s:^static/$name/::" | sort -u)
  done < <(find "$ctx/web" -type l)
  chmod 0755 "$ctx/prometheus" "$ctx/promtool"
  log "colo-ha/prometheus:$tag (Debian prometheus $pkg_version) from $base"
  docker build -q -f "$ROOT/docker/prometheus/Dockerfile" --build-arg BASE_IMAGE="$base" \
    --build-arg VERSION="$pkg_version" -t "colo-ha/prometheus:$tag" "$ctx" >/dev/null
  rm -rf "$ctx"
}
[ "$prometheus" = 0 ] || build_prometheus

docker images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^colo-ha/' >&2
