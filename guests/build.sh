#!/usr/bin/env bash
# Build every COLO guest (.wasm next to its sources), reproducibly.
#
#   guests/build.sh           build into the source tree
#   guests/build.sh --check   build into a temporary directory and fail when a committed .wasm
#                             differs from a fresh build (CI runs this)
#
# Needs Debian's clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32. When wabt's wasm-objdump
# is installed, the imports and exports of every output are checked against the ABI as well.
#
# Reproducibility: fixed flags and source order, relative paths only (run from this directory),
# no debug info (-g0, --strip-debug; the name section stays for readable stack traces), and
# -ffile-prefix-map in case a path slips into a string. clang runs with a PATH that holds only
# LLVM's own tools (clang, wasm-ld): clang runs wasm-opt on its output whenever it finds one on
# PATH (binaryen), and the output must not depend on what else is installed.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")"

CLANG=${CLANG:-clang-14}
mode=build
case "${1:-}" in
"") ;;
--check) mode=check ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 64
    ;;
esac

if ! command -v "$CLANG" >/dev/null; then
    echo "build.sh: $CLANG not found (apt-get install clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32)" >&2
    exit 2
fi

# A directory with only LLVM's tools, the PATH clang runs with.
clang_path=$(readlink -f "$(command -v "$CLANG")")
llvm_bin=$(dirname "$clang_path")
tools=$(mktemp -d)
out_root=.
if [ "$mode" = check ]; then
    out_root=$(mktemp -d)
fi
cleanup() {
    rm -rf "$tools"
    if [ "$out_root" != . ]; then rm -rf "$out_root"; fi
}
trap cleanup EXIT
ln -s "$clang_path" "$tools/clang"
wasm_ld=""
for candidate in "$llvm_bin/wasm-ld" "$(command -v wasm-ld-14 || true)" "$(command -v wasm-ld || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
        wasm_ld=$(readlink -f "$candidate")
        break
    fi
done
if [ -z "$wasm_ld" ]; then
    echo "build.sh: wasm-ld not found (apt-get install lld-14)" >&2
    exit 2
fi
# Debian's clang-14 runs the linker as wasm-ld-14
ln -s "$wasm_ld" "$tools/wasm-ld"
ln -s "$wasm_ld" "$tools/wasm-ld-14"

# -mbulk-memory: memcpy/memset become memory.copy/memory.fill (Wasm 2.0, supported by Chicory),
# which run as System.arraycopy/Arrays.fill in the JVM instead of byte loops: ~30% faster kv.
CFLAGS=(--target=wasm32-wasi -mexec-model=reactor -mbulk-memory -O2 -g0 -std=c11
    -Wall -Wextra -Wpedantic -Wshadow -Werror
    "-ffile-prefix-map=$PWD=." -Iinclude -Icommon)
COMMON=(common/connmap.c common/out.c common/strbuf.c)
MiB=$((1024 * 1024))
KiB=1024

# build OUTPUT MAX_MEMORY(0 = none) STACK SOURCES...
build() {
    local out=$1 max_mem=$2 stack=$3
    shift 3
    local ldflags=("-Wl,--strip-debug" "-Wl,-z,stack-size=$stack")
    if [ "$max_mem" -gt 0 ]; then
        ldflags+=("-Wl,--max-memory=$max_mem")
    fi
    mkdir -p "$out_root/$(dirname "$out")"
    PATH="$tools" "$tools/clang" "${CFLAGS[@]}" "$@" "${ldflags[@]}" -o "$out_root/$out"
}

build kv/kv.wasm $((256 * MiB)) $((256 * KiB)) \
    kv/aof.c kv/cmd_keys.c kv/cmd_server.c kv/cmd_string.c kv/commands.c kv/compact.c kv/crc32.c \
    kv/db.c kv/dict.c kv/glob.c kv/kv.c kv/proto.c kv/replay.c kv/reply.c kv/util.c "${COMMON[@]}"
build http/http.wasm $((64 * MiB)) $((256 * KiB)) \
    http/http.c http/httpdate.c http/request.c "${COMMON[@]}"
build testing/trap.wasm $((16 * MiB)) $((64 * KiB)) testing/trap.c
build testing/abi2.wasm $((16 * MiB)) $((64 * KiB)) testing/abi2.c
build testing/hog.wasm 0 $((64 * KiB)) testing/hog.c
build testing/clock.wasm $((16 * MiB)) $((64 * KiB)) testing/clock.c common/connmap.c
build testing/wasi.wasm $((16 * MiB)) $((64 * KiB)) testing/wasi.c
build testing/dirty.wasm 0 $((64 * KiB)) testing/dirty.c

OUTPUTS=(kv/kv.wasm http/http.wasm testing/trap.wasm testing/abi2.wasm testing/hog.wasm
    testing/clock.wasm testing/wasi.wasm testing/dirty.wasm)

# WASI guests: ordinary command modules (_start), built with the stock toolchain and nothing else:
# clang runs with a PATH that holds only its linker, so that it cannot pick up Binaryen's wasm-opt
# by itself. Asyncify is then an explicit step, for the blocking imports only
# (docs/adr/0002-wasi-asyncify.md). Both the plain and the instrumented module are committed.
WASM_OPT=${WASM_OPT:-wasm-opt}
if ! command -v "$WASM_OPT" >/dev/null; then
    echo "build.sh: $WASM_OPT not found (apt-get install binaryen)" >&2
    exit 2
fi
wasm_opt_version=$("$WASM_OPT" --version)
if [[ "$wasm_opt_version" != *"version 108"* ]]; then
    echo "build.sh: warning: $wasm_opt_version is not Binaryen 108; the instrumented" \
        "modules may differ from the committed ones" >&2
fi
WASI_CFLAGS=(--target=wasm32-wasi -O2 -g0 -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Werror
    "-ffile-prefix-map=$PWD=.")
W=wasi_snapshot_preview1
ASYNCIFY_IMPORTS=asyncify-imports@$W.poll_oneoff,$W.sock_accept,$W.sock_recv,$W.fd_read
linker_only=$(mktemp -d)
trap 'cleanup; rm -rf "$linker_only"' EXIT
clang_path=$(readlink -f "$(command -v "$CLANG")")
ln -s "$(dirname "$clang_path")/wasm-ld" "$linker_only/wasm-ld"
ln -s "$(dirname "$clang_path")/wasm-ld" "$linker_only/wasm-ld-14"

# build_wasi NAME MAX_MEMORY STACK SOURCES...: NAME/NAME-plain.wasm, then NAME/NAME.wasm
build_wasi() {
    local name=$1 max_mem=$2 stack=$3
    shift 3
    mkdir -p "$out_root/$name"
    PATH="$linker_only" "$clang_path" "${WASI_CFLAGS[@]}" "$@" -Wl,--strip-debug \
        -Wl,-z,stack-size="$stack" -Wl,--max-memory="$max_mem" -o "$out_root/$name/$name-plain.wasm"
    "$WASM_OPT" "$out_root/$name/$name-plain.wasm" --asyncify --pass-arg="$ASYNCIFY_IMPORTS" -O2 \
        -o "$out_root/$name/$name.wasm"
}

build_wasi counter $((16 * MiB)) $((64 * KiB)) counter/counter.c
# testing/wasi-heap.wasm: a stock WASI program whose heap grows across the end of its initial
# memory while it blocks between allocations (WasiHeapTest); only the instrumented module is kept
PATH="$linker_only" "$clang_path" "${WASI_CFLAGS[@]}" testing/wasi-heap.c -Wl,--strip-debug \
    -Wl,-z,stack-size=$((64 * KiB)) -Wl,--max-memory=$((16 * MiB)) \
    -o "$out_root/testing/wasi-heap-plain.wasm"
"$WASM_OPT" "$out_root/testing/wasi-heap-plain.wasm" --asyncify --pass-arg="$ASYNCIFY_IMPORTS" -O2 \
    -o "$out_root/testing/wasi-heap.wasm"
rm "$out_root/testing/wasi-heap-plain.wasm"
# testing/wasi-files.wasm: a line server on files under /data (WasiFilesTest); instrumented only
PATH="$linker_only" "$clang_path" "${WASI_CFLAGS[@]}" testing/wasi-files.c -Wl,--strip-debug \
    -Wl,-z,stack-size=$((64 * KiB)) -Wl,--max-memory=$((16 * MiB)) \
    -o "$out_root/testing/wasi-files-plain.wasm"
"$WASM_OPT" "$out_root/testing/wasi-files-plain.wasm" --asyncify --pass-arg="$ASYNCIFY_IMPORTS" -O2 \
    -o "$out_root/testing/wasi-files.wasm"
rm "$out_root/testing/wasi-files-plain.wasm"

# The ABI v1 guests as plain WASI commands, from the same sources: include/colo_wasi.h turns their
# colo imports and exports into plain C functions and common/platform_wasi.c implements the imports
# with POSIX sockets on COLO_LISTEN_FD (accept, poll, recv, send) and runs the event loop (the
# clocks, timers and environment: common/host_posix.c, shared with tools/native_host.c). Only the
# plain module is built (the stock toolchain's output); the coordinator instruments it on upload.
# build_wasi_guest OUTPUT MAX_MEMORY STACK SOURCES...
build_wasi_guest() {
    local out=$1 max_mem=$2 stack=$3
    shift 3
    mkdir -p "$out_root/$(dirname "$out")"
    PATH="$linker_only" "$clang_path" "${WASI_CFLAGS[@]}" -Iinclude -Icommon \
        -include include/colo_wasi.h "$@" common/platform_wasi.c common/host_posix.c \
        -Wl,--strip-debug \
        -Wl,-z,stack-size="$stack" -Wl,--max-memory="$max_mem" -o "$out_root/$out"
}

build_wasi_guest kv/kv-wasi.wasm $((256 * MiB)) $((256 * KiB)) \
    kv/aof.c kv/cmd_keys.c kv/cmd_server.c kv/cmd_string.c kv/commands.c kv/compact.c kv/crc32.c \
    kv/db.c kv/dict.c kv/glob.c kv/kv.c kv/proto.c kv/replay.c kv/reply.c kv/util.c "${COMMON[@]}"
build_wasi_guest http/http-wasi.wasm $((64 * MiB)) $((256 * KiB)) \
    http/http.c http/httpdate.c http/request.c "${COMMON[@]}"
# tally: an HTTP server of our own written only against POSIX/WASI headers (no colo_wasi.h, no
# platform layer), built as the stock toolchain writes it; the coordinator instruments it on upload.
# (No program of Debian's runs unchanged under the WASI network contract: docs/guest-abi.md.)
mkdir -p "$out_root/tally"
PATH="$linker_only" "$clang_path" "${WASI_CFLAGS[@]}" tally/tally.c -Wl,--strip-debug \
    -Wl,-z,stack-size=$((64 * KiB)) -Wl,--max-memory=$((64 * MiB)) -o "$out_root/tally/tally.wasm"
# micro-httpd: a program this project did not write, Debian's source package micro-httpd
# (20140814-2.1), its upstream source unchanged (third-party/micro-httpd/README.md). Built with the
# stock toolchain and flags of our own only (no -W: its warnings are upstream's business); an inetd
# program, protected with "network": "inetd" (docs/guest-abi.md). Its main() keeps 80 KB of arrays
# on the stack, beyond wasm-ld's default of 64 KiB, hence the larger stack.
mkdir -p "$out_root/third-party/micro-httpd"
PATH="$linker_only" "$clang_path" --target=wasm32-wasi -O2 -g0 "-ffile-prefix-map=$PWD=." \
    third-party/micro-httpd/micro_httpd.c -Wl,--strip-debug -Wl,-z,stack-size=$((256 * KiB)) \
    -Wl,--max-memory=$((16 * MiB)) -o "$out_root/third-party/micro-httpd/micro-httpd.wasm"
WASI_OUTPUTS=(counter/counter-plain.wasm counter/counter.wasm testing/wasi-heap.wasm
    testing/wasi-files.wasm kv/kv-wasi.wasm http/http-wasi.wasm tally/tally.wasm
    third-party/micro-httpd/micro-httpd.wasm)

if command -v wasm-objdump >/dev/null; then
    for out in "${WASI_OUTPUTS[@]}"; do
        details=$(wasm-objdump -x "$out_root/$out")
        foreign=$(grep -E '^ - .* <- ' <<<"$details" | grep -v " <- $W\." || true)
        if [ -n "$foreign" ]; then
            echo "build.sh: $out imports outside WASI preview 1:" >&2
            echo "$foreign" >&2
            exit 1
        fi
        if ! grep -qF -e '-> "_start"' <<<"$details"; then
            echo "build.sh: $out is not a command (no _start)" >&2
            exit 1
        fi
    done
    counter_details=$(wasm-objdump -x "$out_root/counter/counter.wasm")
    if ! grep -qF -e '-> "asyncify_start_unwind"' <<<"$counter_details"; then
        echo "build.sh: counter/counter.wasm is not instrumented with Asyncify" >&2
        exit 1
    fi
    for out in kv/kv-wasi.wasm http/http-wasi.wasm tally/tally.wasm \
        third-party/micro-httpd/micro-httpd.wasm; do
        if grep -qF -e '-> "asyncify_start_unwind"' <<<"$(wasm-objdump -x "$out_root/$out")"; then
            echo "build.sh: $out should be the plain module, not instrumented" >&2
            exit 1
        fi
    done
fi

# ABI checks (wabt): imports only from "colo" (wasi.wasm must import WASI), required exports.
if command -v wasm-objdump >/dev/null; then
    required="memory _initialize colo_abi_version colo_alloc colo_init colo_on_open colo_on_data colo_on_close colo_on_timer"
    for out in "${OUTPUTS[@]}"; do
        details=$(wasm-objdump -x "$out_root/$out")
        foreign=$(grep -E '^ - .* <- ' <<<"$details" | grep -v ' <- colo\.' || true)
        if [ "$out" = testing/wasi.wasm ]; then
            if [ -z "$foreign" ]; then
                echo "build.sh: $out should import from WASI but does not" >&2
                exit 1
            fi
        elif [ -n "$foreign" ]; then
            echo "build.sh: $out imports outside module \"colo\":" >&2
            echo "$foreign" >&2
            exit 1
        fi
        for e in $required; do
            if ! grep -qF -e "-> \"$e\"" <<<"$details"; then
                echo "build.sh: $out does not export $e" >&2
                exit 1
            fi
        done
    done
fi

if [ "$mode" = check ]; then
    stale=0
    for out in "${OUTPUTS[@]}" "${WASI_OUTPUTS[@]}"; do
        if [ ! -f "$out" ]; then
            echo "build.sh --check: $out is missing (run guests/build.sh and commit it)" >&2
            stale=1
        elif ! cmp -s "$out" "$out_root/$out"; then
            echo "build.sh --check: $out differs from a fresh build (run guests/build.sh and commit it)" >&2
            stale=1
        fi
    done
    if [ "$stale" -ne 0 ]; then
        exit 1
    fi
    echo "build.sh --check: all $((${#OUTPUTS[@]} + ${#WASI_OUTPUTS[@]})) guests are up to date"
else
    for out in "${OUTPUTS[@]}" "${WASI_OUTPUTS[@]}"; do
        printf '%-22s %8d bytes\n' "$out" "$(stat -c %s "$out")"
    done
fi
