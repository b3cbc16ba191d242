#!/usr/bin/env bash
# Developer tests of the guests (not CI: the real tests run the .wasm in the Java host).
#
#   guests/tools/test.sh           optimised native build (tools/native_host.c + guest sources)
#   guests/tools/test.sh --asan    the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   guests/tools/test.sh --wasm    the real .wasm builds under Node.js (tools/wasm_host.mjs)
#
# Serves the guests on 127.0.0.1 ports in 20000-29999 and drives them with redis-cli,
# redis-benchmark, curl and wrk.
set -uo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 1

MODE=${1:-}
WORK=$(mktemp -d)
PIDS=()
FAILS=0
PASSES=0

cleanup() {
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

CFLAGS=(-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Icommon -include include/colo_native.h)
if [ "$MODE" = --asan ]; then
    CFLAGS+=(-O1 -g -fno-omit-frame-pointer "-fsanitize=address,undefined" -fno-sanitize-recover=all)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
    CFLAGS+=(-O2 -g)
fi
COMMON=(common/connmap.c common/out.c common/strbuf.c)
HOST=(tools/native_host.c common/host_posix.c)

if [ "$MODE" = --wasm ]; then
    echo "== building the .wasm guests; hosts run them under node ($WORK)"
    ./build.sh >/dev/null || exit 1
    for g in kv:kv/kv.wasm http:http/http.wasm trap:testing/trap.wasm abi2:testing/abi2.wasm \
        hog:testing/hog.wasm clock:testing/clock.wasm wasi:testing/wasi.wasm; do
        printf '#!/bin/sh\nexec node "%s" "%s" "$@"\n' "$PWD/tools/wasm_host.mjs" "$PWD/${g#*:}" >"$WORK/${g%%:*}"
        chmod +x "$WORK/${g%%:*}"
    done
else
    echo "== building native hosts ($WORK)"
    gcc "${CFLAGS[@]}" kv/*.c "${COMMON[@]}" "${HOST[@]}" -o "$WORK/kv" || exit 1
    gcc "${CFLAGS[@]}" http/*.c "${COMMON[@]}" "${HOST[@]}" -o "$WORK/http" || exit 1
    for f in trap abi2 hog clock; do
        gcc "${CFLAGS[@]}" -Itesting "testing/$f.c" common/connmap.c "${HOST[@]}" -o "$WORK/$f" || exit 1
    done
fi

PORT_BASE=$((20000 + (RANDOM % 900) * 10))
port_n=0
next_port() {
    PORT=$((PORT_BASE + port_n))
    port_n=$((port_n + 1))
}

pass() {
    PASSES=$((PASSES + 1))
}

fail() {
    FAILS=$((FAILS + 1))
    echo "FAIL: $*"
}

# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" == "$3" ]; then
        pass
    else
        fail "$1"
        echo "   expected: $(printf '%q' "$2")"
        echo "   actual:   $(printf '%q' "$3")"
    fi
}

# contains NAME NEEDLE HAYSTACK
contains() {
    if grep -qF -- "$2" <<<"$3"; then
        pass
    else
        fail "$1: $(printf '%q' "$2") not in output"
        echo "$3" | head -20 | sed 's/^/   | /'
    fi
}

# start BINARY LOGNAME ARGS... : start a native host on a new $PORT, wait until it listens
start() {
    local bin=$1 log=$2
    shift 2
    next_port
    "$WORK/$bin" --quiet "$@" "$PORT" >"$WORK/$log.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
    done
    return 1
}

# stop: SIGTERM the last server and check it exited cleanly (sanitizers report at exit)
stop() {
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID"
    local rc=$?
    check "server exit status ($1)" 0 "$rc"
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$WORK/$1.log"; then
        fail "sanitizer report in $1.log"
        sed 's/^/   | /' "$WORK/$1.log" | head -40
    fi
}

# raw DATA: send bytes (printf %b escapes), print everything received until close (or 2 s),
# then "<EOF>" (command substitution would eat trailing newlines)
raw() {
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    printf '%b' "$1" >&3
    timeout 2 cat <&3 2>/dev/null
    printf '<EOF>'
    exec 3<&- 3>&-
}

cli() { redis-cli -p "$PORT" "$@" 2>&1; }

# ------------------------------------------------------------------------------------------
echo "== kv: commands"
start kv kv1 --disk "$WORK/kv1.img" --disk-size 4194304 || fail "kv did not start"
check "PING" "PONG" "$(cli ping)"
check "PING msg" "hi" "$(cli ping hi)"
check "ECHO" "hello" "$(cli echo hello)"
check "SET" "OK" "$(cli set foo bar)"
check "GET" "bar" "$(cli get foo)"
check "GET missing" "" "$(cli get nope)"
check "SET NX existing" "" "$(cli set foo x nx)"
check "SET XX missing" "" "$(cli set nope x xx)"
check "SET XX existing" "OK" "$(cli set foo baz xx)"
check "SET GET" "baz" "$(cli set foo qux get)"
check "GETSET" "qux" "$(cli getset foo bar)"
check "SET syntax" "ERR syntax error" "$(cli set foo bar nx xx)"
check "SET EX bad" "ERR invalid expire time in 'set' command" "$(cli set foo bar ex 0)"
check "SET EX notint" "ERR value is not an integer or out of range" "$(cli set foo bar ex x)"
check "INCR new" "1" "$(cli incr cnt)"
check "INCRBY" "11" "$(cli incrby cnt 10)"
check "DECR" "10" "$(cli decr cnt)"
check "DECRBY" "0" "$(cli decrby cnt 10)"
check "INCR not int" "ERR value is not an integer or out of range" "$(cli incr foo)"
check "INCRBY overflow" "ERR increment or decrement would overflow" \
    "$(cli set big 9223372036854775807 >/dev/null; cli incr big)"
check "MSET" "OK" "$(cli mset k1 v1 k2 v2 k3 v3)"
check "MSET odd" "ERR wrong number of arguments for 'mset' command" "$(cli mset k1 v1 k2)"
check "MGET" $'v1\nv2\n\nv3' "$(cli mget k1 k2 nope k3)"
check "EXISTS" "3" "$(cli exists k1 k2 k1 nope)"
check "DEL" "2" "$(cli del k1 k2 nope)"
check "DEL again" "0" "$(cli del k1 k2)"
check "APPEND" "7" "$(cli append k3 "-more")"
check "STRLEN" "7" "$(cli strlen k3)"
check "TYPE" "string" "$(cli type k3)"
check "TYPE none" "none" "$(cli type nope)"
check "TTL no expire" "-1" "$(cli ttl k3)"
check "TTL missing" "-2" "$(cli ttl nope)"
check "EXPIRE" "1" "$(cli expire k3 100)"
check "TTL" "100" "$(cli ttl k3)"
pttl=$(cli pttl k3)
if [ "$pttl" -gt 99000 ] && [ "$pttl" -le 100000 ]; then pass; else fail "PTTL $pttl"; fi
check "EXPIRE NX" "0" "$(cli expire k3 50 nx)"
check "EXPIRE GT" "1" "$(cli expire k3 200 gt)"
check "PERSIST" "1" "$(cli persist k3)"
check "PERSIST again" "0" "$(cli persist k3)"
check "EXPIRE missing" "0" "$(cli expire nope 10)"
check "PEXPIRE past deletes" "1" "$(cli pexpire cnt -1)"
check "deleted" "0" "$(cli exists cnt)"
cli set short v px 100 >/dev/null
check "PX alive" "v" "$(cli get short)"
sleep 0.3
check "PX expired" "" "$(cli get short)"
check "SET KEEPTTL" "OK" "$(cli set kt v ex 100 >/dev/null; cli set kt w keepttl)"
check "KEEPTTL kept" "100" "$(cli ttl kt)"
check "SET drops TTL" "-1" "$(cli set kt z >/dev/null; cli ttl kt)"
cli flushall >/dev/null
cli mset hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 'h*llo' 6 'a[b' 7 >/dev/null
check "KEYS h?llo" "h*llo hallo hello hxllo" "$(cli keys 'h?llo' | sort | xargs)"
check "KEYS h*llo" "h*llo hallo heeeello hello hllo hxllo" "$(cli keys 'h*llo' | sort | xargs)"
check "KEYS h[ae]llo" "hallo hello" "$(cli keys 'h[ae]llo' | sort | xargs)"
check "KEYS h[^e]llo" "h*llo hallo hxllo" "$(cli keys 'h[^e]llo' | sort | xargs)"
check "KEYS h[a-b]llo" "hallo" "$(cli keys 'h[a-b]llo' | sort | xargs)"
check "KEYS escape" "h*llo" "$(cli keys 'h\*llo')"
check "KEYS bracket escape" "a[b" "$(cli keys 'a\[b')"
check "KEYS none" "" "$(cli keys 'zz*')"
check "DBSIZE" "7" "$(cli dbsize)"
rk=$(cli randomkey)
contains "RANDOMKEY" "$rk" "$(cli keys '*')"
mapfile -t t < <(cli time)
now=$(date +%s)
if [ "${#t[@]}" -eq 2 ] && [ $((t[0] - now)) -le 2 ] && [ $((now - t[0])) -le 2 ] && [ "${t[1]}" -lt 1000000 ]; then
    pass
else
    fail "TIME ${t[*]} (now $now)"
fi
check "FLUSHDB" "OK" "$(cli flushdb)"
check "RANDOMKEY empty" "" "$(cli randomkey)"
check "SELECT 0" "OK" "$(cli select 0)"
check "SELECT 1" "ERR DB index is out of range" "$(cli select 1)"
check "CONFIG GET" "" "$(cli config get maxmemory)"
check "CONFIG GET save" "save" "$(cli config get save)"
check "CONFIG SET" "OK" "$(cli config set maxmemory 0)"
check "COMMAND DOCS" "" "$(cli command docs)"
if [ "$(cli command count)" -gt 30 ]; then pass; else fail "COMMAND COUNT"; fi
info=$(cli info)
contains "INFO server" "redis_version:7.0.0" "$info"
contains "INFO keyspace" "db0:keys=0,expires=0,avg_ttl=0" "$info"
check "unknown command" "ERR unknown command 'foo', with args beginning with: 'a' 'b' " "$(cli foo a b)"
check "wrong arity" "ERR wrong number of arguments for 'get' command" "$(cli get)"
printf 'a\0b\r\nc' | redis-cli -p "$PORT" -x set bin >/dev/null
check "binary STRLEN" "6" "$(cli strlen bin)"
check "binary GET" "$(printf 'a\0b\r\nc' | od -An -tx1)" "$(redis-cli -p "$PORT" --raw get bin | head -c 6 | od -An -tx1)"
check "HELLO 3" "NOPROTO unsupported protocol version" "$(cli hello 3)"

echo "== kv: inline, pipelining, protocol errors"
check "inline" $'+PONG\r\n+OK\r\n$11\r\nhello world\r\n$4\r\nit\'s\r\n+OK\r\n<EOF>' \
    "$(raw 'PING\r\nSET a "hello world"\r\nGET a\r\nECHO '"'"'it\\'"'"'s'"'"'\r\nQUIT\r\n')"
check "inline hex escape" $'$3\r\nA\nB\r\n+OK\r\n<EOF>' "$(raw 'ECHO "\\x41\\nB"\r\nQUIT\r\n')"
check "inline NUL is data" "$(printf '$3\r\na\0b\r\n+OK\r\n<EOF>' | od -An -tx1)" \
    "$(raw 'ECHO a\0b\r\nQUIT\r\n' | od -An -tx1)"
check "unbalanced quotes" $'-ERR Protocol error: unbalanced quotes in request\r\n<EOF>' \
    "$(raw 'SET "a b\r\nPING\r\n')"
pipe=""
for _ in $(seq 500); do pipe+='*2\r\n$4\r\nINCR\r\n$1\r\np\r\n'; done
out=$(raw "${pipe}*1\r\n\$4\r\nQUIT\r\n")
check "pipelined replies" "502" "$(grep -c . <<<"$out")"
check "pipelined result" "500" "$(cli get p)"
check "multibulk length" $'-ERR Protocol error: invalid multibulk length\r\n<EOF>' "$(raw '*abc\r\nPING\r\n')"
check "bulk length" $'-ERR Protocol error: invalid bulk length\r\n<EOF>' \
    "$(raw '*1\r\n$999999999999\r\nPING\r\n')"
check "expected \$" $'-ERR Protocol error: expected \'$\', got \'x\'\r\n<EOF>' "$(raw '*1\r\nx3\r\n')"
check "request too large" $'-ERR Protocol error: request too large\r\n<EOF>' \
    "$(raw '*2\r\n$3\r\nSET\r\n$100000000\r\n')"
check "empty multibulk ignored" $'+PONG\r\n+OK\r\n<EOF>' "$(raw '*0\r\n\r\nPING\r\nQUIT\r\n')"

echo "== kv: active expiry"
for i in $(seq 200); do printf 'SET tmp:%d v PX 50\n' "$i"; done | redis-cli -p "$PORT" >/dev/null
check "keys with TTL" "200" "$(cli info keyspace | grep -o 'expires=[0-9]*' | cut -d= -f2)"
sleep 1.5
check "active expiry removed them" "0" "$(cli info keyspace | grep -o 'expires=[0-9]*' | cut -d= -f2)"

echo "== kv: redis-benchmark"
bench=$(redis-benchmark -p "$PORT" -q -t ping,set,get,incr,mset -n 100000 -P 16 2>&1 | tr '\r' '\n')
for t in PING_INLINE PING_MBULK SET GET INCR MSET; do
    line=$(grep "^$t.*requests per second" <<<"$bench" | tail -1)
    if [ -n "$line" ]; then pass; echo "   $line"; else fail "redis-benchmark $t"; fi
done
if grep -qiE 'error|warning' <<<"$bench"; then fail "redis-benchmark reported: $(grep -iE 'error|warning' <<<"$bench" | head -3)"; else pass; fi
check "benchmark counter" "100000" "$(cli get counter:__rand_int__)"

echo "== kv: restart replays the log"
cli set persisted yes >/dev/null
cli set withttl v ex 1000 >/dev/null
cli set gone v px 1 >/dev/null
cli setex se 500 x >/dev/null
cli del a >/dev/null
before=$(cli keys '*' | sort | xargs)
stop kv1
start kv kv1b --disk "$WORK/kv1.img" || fail "kv did not restart"
check "keys after replay" "$before" "$(cli keys '*' | sort | xargs)"
check "value after replay" "yes" "$(cli get persisted)"
check "counter after replay" "100000" "$(cli get counter:__rand_int__)"
ttl=$(cli ttl withttl)
if [ "$ttl" -gt 990 ] && [ "$ttl" -le 1000 ]; then pass; else fail "TTL after replay: $ttl"; fi
check "pipelined incr after replay" "500" "$(cli get p)"
stop kv1b

echo "== kv: input split into random small deliveries"
start kv kvsplit --split 5 || fail "kv (split) did not start"
check "split SET" "OK" "$(cli set s "$(printf 'x%.0s' $(seq 3000))")"
check "split STRLEN" "3000" "$(cli strlen s)"
check "split inline" $'+PONG\r\n$2\r\nab\r\n+OK\r\n<EOF>' "$(raw 'PING\r\nECHO "ab"\r\nQUIT\r\n')"
bench=$(redis-benchmark -p "$PORT" -q -t set,get,incr,mset -n 20000 -P 16 2>&1 | tr '\r' '\n')
if grep -qiE 'error' <<<"$bench"; then fail "split benchmark: $bench"; else pass; fi
check "split counter" "20000" "$(cli get counter:__rand_int__)"
stop kvsplit

echo "== kv: full disk"
start kv kvfull --disk "$WORK/full.img" --disk-size 16384 || fail "kv (small disk) did not start"
val=$(printf 'v%.0s' $(seq 1000))
last=""
for i in $(seq 40); do
    r=$(cli set "big:$i" "$val")
    if [ "$r" != OK ]; then last=$r; break; fi
done
check "disk full error" "ERR disk full" "$last"
check "failed SET not applied" "0" "$(cli exists "big:$i")"
keys_full=$(cli dbsize)
check "DEL works on a full disk" "1" "$(cli del big:1)"
check "SET works after DEL + compaction" "OK" "$(cli set after v)"
state=$(cli keys '*' | sort | xargs)
stop kvfull
start kv kvfull2 --disk "$WORK/full.img" || fail "kv (small disk) did not restart"
check "state after compaction + restart" "$state" "$(cli keys '*' | sort | xargs)"
check "dbsize after restart" "$keys_full" "$(cli dbsize)"
stop kvfull2

echo "== kv: disk write errors"
start kv kvfail --disk "$WORK/fail.img" --disk-size 1048576 --fail-writes-after 6 || fail "kv did not start"
for i in $(seq 10); do cli set "w:$i" v >/dev/null; done
# a disk that fails after boot stops the guest (it traps): no command is answered from memory
check "no OK after a disk failure" "no" "$([ "$(cli set late v 2>/dev/null)" = OK ] && echo yes || echo no)"
kill "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID"
check "the guest stopped with a trap, not a clean exit" yes "$([ $? -ne 0 ] && echo yes || echo no)"

echo "== kv: torn header falls back to the other copy"
start kv kvtorn --disk "$WORK/torn.img" --disk-size 1048576 || fail "kv did not start"
cli set t1 a >/dev/null
cli set t2 b >/dev/null
stop kvtorn
printf 'XX' | dd of="$WORK/torn.img" bs=1 seek=44 conv=notrunc status=none
start kv kvtorn2 --disk "$WORK/torn.img" || fail "kv did not boot with one torn header"
check "older header used" "a" "$(cli get t1)"
stop kvtorn2
printf 'XX' | dd of="$WORK/torn.img" bs=1 seek=556 conv=notrunc status=none
next_port
"$WORK/kv" --quiet --disk "$WORK/torn.img" "$PORT" >"$WORK/kvtorn3.log" 2>&1
check "both headers corrupt: boot fails" "4" "$?"

echo "== kv: a torn log record ends the log, and what followed it never comes back"
start kv kvrec --disk "$WORK/rec.img" --disk-size 1048576 || fail "kv did not start"
cli set r1 a >/dev/null
cli set r2 b >/dev/null
cli del r1 >/dev/null
stop kvrec
# the host lost part of "SET r2 b" (the record's last byte changes)
off=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().find(b"r2\r\n$1\r\nb"))' "$WORK/rec.img")
check "the record is on the disk" yes "$([ "$off" -gt 0 ] && echo yes || echo no)"
printf 'c' | dd of="$WORK/rec.img" bs=1 seek=$((off + 8)) conv=notrunc status=none
start kv kvrec2 --disk "$WORK/rec.img" || fail "kv did not boot with a torn record"
check "the log ends before the torn record" "a" "$(cli get r1)"
check "the torn record is gone" "" "$(cli get r2)"
cli set r2 b >/dev/null # the same record again: the DEL after the torn one must stay out
stop kvrec2
start kv kvrec3 --disk "$WORK/rec.img" || fail "kv did not reboot"
check "what followed the torn record stays out" "a" "$(cli get r1)"
check "the record logged again" "b" "$(cli get r2)"
stop kvrec3

echo "== kv: memory only"
start kv kvmem || fail "kv (no disk) did not start"
check "no-disk SET" "OK" "$(cli set m v)"
contains "no-disk INFO" "aof_enabled:0" "$(cli info persistence)"
stop kvmem

# ------------------------------------------------------------------------------------------
echo "== http"
start http http1 || fail "http did not start"
URL="http://127.0.0.1:$PORT"
v=$(curl -sv "$URL/" "$URL/counter" 2>&1)
contains "keep-alive reuse" "Re-using existing connection" "$v"
contains "index page" "<h1>COLO HA</h1>" "$v"
contains "Server header" "< Server: colo-http/1" "$v"
if grep -qE '^< Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT' <<<"$v"; then
    pass
else
    fail "Date header format"
fi
check "date matches the clock" "$(date -u '+%a, %d %b %Y %H:%M')" "$(grep '^< Date:' <<<"$v" | head -1 | cut -c9-30)"
check "counter" "2" "$(curl -s "$URL/counter")"
r=$(raw 'HEAD /counter HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
contains "HEAD has Content-Length" "Content-Length: 2" "$r"
check "HEAD has no body" "<EOF>" "$(tail -c 9 <<<"$r" | tr -d '\r\n')"
check "counter after HEAD" "3" "$(curl -s "$URL/counter")"
tm=$(curl -s "$URL/time")
if [[ "$tm" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]]; then pass; else fail "time format: $tm"; fi
check "404" "404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")"
check "405" "405" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/")"
contains "405 Allow" "Allow: GET, HEAD" "$(curl -s -i -X PUT "$URL/time")"
r=$(raw 'POST /counter HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /counter HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | tr -d '\r')
contains "body skipped: 405 first" "HTTP/1.1 405 Method Not Allowed" "$r"
contains "body skipped: then 200" "HTTP/1.1 200 OK" "$r"
contains "Connection: close honoured" "Connection: close" "$r"
big=$(printf 'X-Pad: %09000d\r\n' 0)
check "431" "431" "$(raw "GET / HTTP/1.1\r\nHost: x\r\n${big}\r\n" | head -1 | cut -d' ' -f2)"
check "400" "400" "$(raw 'GARBAGE\r\n\r\n' | head -1 | cut -d' ' -f2)"
check "400 missing Host" "400" "$(raw 'GET / HTTP/1.1\r\n\r\n' | head -1 | cut -d' ' -f2)"
check "505" "505" "$(raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n' | head -1 | cut -d' ' -f2)"
check "HTTP/1.0 closes" "1" "$(raw 'GET /time HTTP/1.0\r\n\r\n' | grep -c '^HTTP/1.1 200')"
r=$(raw 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /nope HTTP/1.0\r\n\r\n' | tr -d '\r')
contains "HTTP/1.0 keep-alive" "Connection: keep-alive" "$r"
contains "HTTP/1.0 keep-alive second request" "HTTP/1.1 404 Not Found" "$r"
r=$(raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /counter HTTP/1.1\r\nHost: x\r\n\r\nHEAD /time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | tr -d '\r')
check "pipelined responses" "3" "$(grep -c '^HTTP/1.1 200 OK' <<<"$r")"
wrk_out=$(wrk -t1 -c10 -d3s "$URL/counter" 2>&1)
echo "$wrk_out" | grep -E 'Requests/sec|requests in' | sed 's/^/   /'
if grep -qE 'Socket errors|Non-2xx' <<<"$wrk_out"; then fail "wrk errors: $wrk_out"; else pass; fi
stop http1

start http http2 --split 3 || fail "http (split) did not start"
URL="http://127.0.0.1:$PORT"
check "split http" "1" "$(curl -s "$URL/counter")"
contains "split keep-alive" "Re-using existing connection" "$(curl -sv "$URL/" "$URL/time" 2>&1)"
stop http2

# ------------------------------------------------------------------------------------------
echo "== fixtures"
start clock clock1 || fail "clock fixture did not start"
r=$(raw 'a\nbc\n')
if [[ "$(head -1 <<<"$r")" =~ ^[0-9]{19}\ [0-9a-f]{16}\ a$ ]]; then pass; else fail "clock line: $r"; fi
stop clock1
start hog hog1 || fail "hog fixture did not start"
check "hog" "ok 3" "$(raw '3' | head -1)"
stop hog1
start trap trap1 || fail "trap fixture did not start"
check "trap echo" "hello<EOF>" "$(raw 'hello')"
raw 'crash' >/dev/null
sleep 0.2
if kill -0 "$SERVER_PID" 2>/dev/null; then fail "trap fixture did not trap"; else pass; fi
next_port
"$WORK/abi2" --quiet "$PORT" >/dev/null 2>&1
check "abi2 refused by the host" "3" "$?"
if [ "$MODE" = --wasm ]; then
    next_port
    "$WORK/wasi" --quiet "$PORT" >/dev/null 2>&1
    check "wasi imports refused by the host" "5" "$?"
fi

echo
echo "passed: $PASSES, failed: $FAILS"
[ "$FAILS" -eq 0 ]
