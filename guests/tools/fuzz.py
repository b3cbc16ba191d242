#!/usr/bin/env python3
"""Random-input stress for the kv and http guests (developer tool).

Opens N connections to a running test host (tools/native_host.c, ideally an ASan build, or
tools/wasm_host.mjs); each sends a mix of valid, malformed and random requests, half-closes and
reads until the server closes. The server must survive, stay small and report nothing.

    python3 tools/fuzz.py PORT kv|http CONNECTIONS [SEED]
"""
import random
import socket
import sys

port, kind, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)

CMDS = [b"SET", b"GET", b"INCR", b"DEL", b"EXPIRE", b"PEXPIRE", b"TTL", b"KEYS", b"MSET", b"MGET",
        b"APPEND", b"GETDEL", b"SETEX", b"PERSIST", b"FLUSHALL", b"RANDOMKEY", b"EXISTS", b"INCRBY",
        b"DECRBY", b"INFO", b"CONFIG", b"COMMAND", b"PING", b"ECHO", b"SELECT", b"HELLO", b"TIME",
        b"DBSIZE", b"BGREWRITEAOF", b"PXAT", b"NX", b"XX", b"GET", b"KEEPTTL", b"EX", b"PX"]


def junk(lo=1, hi=200):
    return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(lo, hi)))


def word():
    r = rnd.random()
    if r < 0.3:
        return rnd.choice(CMDS)
    if r < 0.5:
        return str(rnd.choice([0, 1, -1, 5, 100, 2**63 - 1, -2**63, 10**20])).encode()
    if r < 0.7:
        return rnd.choice([b"k", b"k1", b"h*llo", b"[a-z]*", b"\\", b"[", b"*", b"?x"])
    return junk(0, 30)


def resp():
    args = [rnd.choice(CMDS)] + [word() for _ in range(rnd.randint(0, 6))]
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def inline():
    words = [rnd.choice(CMDS)] + [word() for _ in range(rnd.randint(0, 4))]
    quoted = [rnd.choice([w, b'"' + w + b'"', b"'" + w + b"'"]) for w in words]
    return b" ".join(quoted) + rnd.choice([b"\r\n", b"\n"])


def http():
    method = rnd.choice([b"GET", b"HEAD", b"POST", b"PUT", b"G\x00T", b""])
    path = rnd.choice([b"/", b"/counter", b"/time", b"/x", b"*", b"http://h/time", b"", b"/?a=b"])
    version = rnd.choice([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.", b"FOO"])
    headers = b""
    for _ in range(rnd.randint(0, 5)):
        headers += rnd.choice([b"Host: x\r\n", b"Content-Length: %d\r\n" % rnd.randint(0, 20),
                               b"Connection: close\r\n", b"Connection: keep-alive\r\n",
                               b"Transfer-Encoding: chunked\r\n", b" folded\r\n",
                               b"Bad Header\r\n", b"X: " + junk() + b"\r\n"])
    body = junk() if rnd.random() < 0.3 else b""
    return method + b" " + path + b" " + version + b"\r\n" + headers + b"\r\n" + body


errors = 0
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        data = b""
        for _ in range(rnd.randint(1, 30)):
            r = rnd.random()
            if kind == "kv":
                data += resp() if r < 0.6 else inline() if r < 0.9 else junk()
            else:
                data += http() if r < 0.9 else junk()
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
    except OSError as e:
        errors += 1
        print("connection error:", e)
print("done,", n, "connections,", errors, "errors")
sys.exit(1 if errors else 0)
