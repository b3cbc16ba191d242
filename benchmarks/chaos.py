#!/usr/bin/env python3
"""Chaos rounds on the local lab: kill -9 one process per round, restart it, check nothing is lost.

Each round kills (SIGKILL, through `lab.sh kill`) one process chosen by weight among the kv group's
primary agent, its secondary agent, either replica host's disk mirror, the coordinator and the
proxy (the ACTIVE one of the lab's warm standby pair: its standby takes over; `--kinds` narrows the
choice), starts it again after a random delay (`lab.sh start`;
0.1-0.5 s, a supervisor's reaction), and waits until the group is PROTECTED again by itself. One independent writer runs through all rounds on one connection: SET
of a unique key (or, with `--keys N`, of one of N keys with a unique value, for runs longer than the
guest's disk holds) and INCR of a counter, reconnecting when its connection breaks, recording every
acknowledged reply and every request whose reply it never saw. At the end every acknowledged key
is read back (its last acknowledged value, or the value of a later SET of it whose reply was never
seen) and the counter's acknowledged values are checked to rise strictly (a request whose
reply was never seen may or may not have been applied).

Prints a per-round table (killed, longest client gap, time to PROTECTED again, epochs used, error
replies) and the totals; exits 1 on any lost write, counter anomaly, error reply, or round that
did not re-protect by itself. Standard library only.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

KINDS = {
    "primary-agent": 2,
    "secondary-agent": 2,
    "primary-mirror": 1,
    "secondary-mirror": 1,
    "coordinator": 1,
    "proxy": 1,
}


def now():
    return time.monotonic()


class Lab:
    """The lab through its script (kill, start) and the coordinator's API.

    With a lab script that has no `kill`/`start` commands yet, kills and starts the services
    itself the same way: SIGKILL of the pid in lab.json, then the same command line on the same
    port, in the same directory, with the new pid recorded in lab.json."""

    def __init__(self, script, lab_dir, start_timeout=600):
        self.script = script
        self.start_timeout = start_timeout
        self.dir = lab_dir
        with open(os.path.join(lab_dir, "token")) as f:
            self.token = f.read().strip()
        with open(os.path.join(lab_dir, "lab.json")) as f:
            self.coordinator = json.load(f)["coordinator"]["url"]
        with open(script) as f:
            self.scripted = "cmd_kill" in f.read()
        self.restarts = {}

    def _lab(self):
        with open(os.path.join(self.dir, "lab.json")) as f:
            return json.load(f)

    def _entry(self, lab, name):
        if name in ("coordinator", "proxy"):
            return lab[name]
        if name == "proxy-standby":
            return lab["proxyStandby"]
        host, role = name.split("/")
        return next(h[role] for h in lab["hosts"] if h["name"] == host)

    def alive(self, name):
        pid = self._entry(self._lab(), name).get("pid")
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except (OSError, TypeError):
            return False

    def kill(self, name):
        """SIGKILLs the service; returns when (wall-clock time.time()) the signal was sent."""
        if self.scripted:
            out = self.run("kill", name)
            # lab.sh prints "killed NAME (pid P, SIGKILL at EPOCH_SECONDS)"
            at = out.rsplit("SIGKILL at ", 1)
            try:
                return float(at[1].split(")")[0]) if len(at) == 2 else time.time()
            except ValueError:
                return time.time()
        e = self._entry(self._lab(), name)
        pid = e["pid"]
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = [a.decode() for a in f.read().split(b"\0") if a]
        cwd = os.readlink(f"/proc/{pid}/cwd")
        port = e["url"].rsplit(":", 1)[1]
        args = [f"--server.port={port}" if a == "--server.port=0" else a for a in args]
        self.restarts[name] = (args, cwd, e["url"])
        at = time.time()
        os.kill(pid, 9)
        while self.alive(name):
            time.sleep(0.02)
        return at

    def start(self, name):
        if self.scripted:
            self.run("start", name)
            return
        args, cwd, url = self.restarts.pop(name)
        log = open(os.path.join(self.dir, name.replace("/", "-") + ".restart.log"), "ab")
        p = subprocess.Popen(args, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        lab = self._lab()
        self._entry(lab, name)["pid"] = p.pid
        tmp = os.path.join(self.dir, "lab.json.tmp")
        with open(tmp, "w") as f:
            json.dump(lab, f)
        os.replace(tmp, os.path.join(self.dir, "lab.json"))
        deadline = now() + self.start_timeout
        while now() < deadline:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited during its restart")
            try:
                with urllib.request.urlopen(url + "/actuator/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not answer within {self.start_timeout} s of its restart")

    def run(self, *args, timeout=300):
        r = subprocess.run([self.script, *args, "--dir", self.dir], capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"lab.sh {' '.join(args)} failed: {r.stderr.strip()[-500:]}")
        return r.stdout

    def proxies(self):
        """The lab's proxy names: proxy, and proxy-standby when the lab runs a standby pair."""
        return ["proxy"] + (["proxy-standby"] if "proxyStandby" in self._lab() else [])

    def active_proxy(self):
        """The proxy that serves: the one whose GET /v1/proxy says ACTIVE (a proxy without a
        standby is ACTIVE too); "proxy" when none answers."""
        lab = self._lab()
        for name in self.proxies():
            req = urllib.request.Request(self._entry(lab, name)["url"] + "/v1/proxy",
                                         headers={"Authorization": "Bearer " + self.token})
            try:
                with urllib.request.urlopen(req, timeout=2) as r:
                    if json.load(r).get("role") == "ACTIVE":
                        return name
            except (OSError, ValueError):
                pass
        return "proxy"

    def status(self):
        return json.loads(self.run("status", "--json"))

    def group(self, gid):
        """The coordinator's view of a group, or None while it does not answer."""
        req = urllib.request.Request(self.coordinator + "/v1/groups/" + gid,
                                     headers={"Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(req, timeout=2) as r:
                return json.load(r)
        except OSError:
            return None

    def history(self, gid):
        req = urllib.request.Request(self.coordinator + "/v1/groups/" + gid + "/history",
                                     headers={"Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return json.load(r)
        except OSError:
            return []


class Resp:
    """A minimal RESP client on one socket."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=2)
        self.sock.settimeout(timeout)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise ConnectionError(f"bad reply {line!r}")

    def call(self, *args):
        self.send(*args)
        return self.reply()


class RespError(str):
    pass


class Writer(threading.Thread):
    """SET of a unique key (or of one of `keys` keys, with a unique value), INCR of a counter, on
    one connection, reconnecting when it breaks."""

    def __init__(self, host, port, prefix, reply_timeout, keys):
        super().__init__(name="chaos-writer", daemon=True)
        self.host, self.port, self.prefix = host, port, prefix
        self.reply_timeout = reply_timeout
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.keys = keys
        self.acked = {}            # key -> value of its last acknowledged SET
        self.pending = {}          # key -> values of later SETs of it whose reply was never seen
        self.counter = []          # (time, value) of every acknowledged INCR
        self.replies = []          # times of every acknowledged reply
        self.errors = []           # (time, command, reply)
        self.unanswered = []       # (time, command) sent, reply never seen
        self.stalls = []           # (time, command) no reply within reply_timeout
        self.reconnects = 0
        self.i = 0

    def run(self):
        conn = None
        while not self.stop.is_set():
            if conn is None:
                try:
                    conn = Resp(self.host, self.port, self.reply_timeout)
                    self.reconnects += 1
                except OSError:
                    time.sleep(0.02)
                    continue
            self.i += 1
            slot = self.i % self.keys if self.keys else self.i
            key, value = f"{self.prefix}:{slot}", str(self.i)
            for cmd in (("SET", key, value), ("INCR", self.prefix + ":counter")):
                try:
                    conn.send(*cmd)
                except OSError:
                    conn.close()
                    conn = None
                    break  # not sent: nothing to record
                try:
                    r = conn.reply()
                except socket.timeout:
                    with self.lock:
                        self.stalls.append((now(), cmd[0]))
                        self.unanswered.append((now(), cmd[0]))
                        self.unapplied(cmd)
                    conn.close()
                    conn = None
                    break
                except (OSError, ConnectionError):
                    with self.lock:
                        self.unanswered.append((now(), cmd[0]))
                        self.unapplied(cmd)
                    conn.close()
                    conn = None
                    break
                t = now()
                with self.lock:
                    self.replies.append(t)
                    if isinstance(r, RespError):
                        self.errors.append((t, cmd[0], str(r)))
                    elif cmd[0] == "SET" and r == "OK":
                        self.acked[key] = value
                        self.pending.pop(key, None)
                    elif cmd[0] == "INCR" and isinstance(r, int):
                        self.counter.append((t, r))
                    else:
                        self.errors.append((t, cmd[0], repr(r)))
        if conn is not None:
            conn.close()

    def unapplied(self, cmd):
        """A SET whose reply was never seen may or may not have been applied (under the lock)."""
        if cmd[0] == "SET":
            self.pending.setdefault(cmd[1], set()).add(cmd[2])

    def gap(self, start, end):
        """The longest time without an acknowledged reply within [start, end]."""
        with self.lock:
            times = [t for t in self.replies if start <= t <= end]
        points = [start] + times + [end]
        return max(b - a for a, b in zip(points, points[1:]))

    def gap_start(self, start, end):
        """Seconds from start to the beginning of the longest gap in [start, end]."""
        with self.lock:
            times = [t for t in self.replies if start <= t <= end]
        points = [start] + times + [end]
        a, _ = max(zip(points, points[1:]), key=lambda p: p[1] - p[0])
        return a - start

    def errors_between(self, start, end):
        with self.lock:
            return [e for e in self.errors if start <= e[0] <= end]


def target(kind, group, lab):
    """The lab service name a kind of fault kills in this round."""
    if kind == "coordinator":
        return "coordinator"
    if kind == "proxy":
        return lab.active_proxy()
    side = group["primary"] if kind.startswith("primary") else group["secondary"]
    return side["host"] + ("/agent" if kind.endswith("agent") else "/mirror")


def await_protected(lab, gid, after_checkpoint, services, deadline):
    """Waits until the group is PROTECTED, with a checkpoint newer than the fault, and every
    service up; returns the group or None at the deadline."""
    while now() < deadline:
        g = lab.group(gid)
        if (g and g.get("state") == "PROTECTED" and g.get("secondary")
                and g.get("lastCheckpoint", -1) > after_checkpoint):
            if all(lab.alive(s) for s in services):
                return g
        time.sleep(0.1)
    return None


def plan(args):
    kinds = [k for k in KINDS if k not in args.skip and (not args.kinds or k in args.kinds)]
    if args.each:
        rounds = [k for k in kinds for _ in range(args.each)]
        random.shuffle(rounds)
        return rounds
    weights = [KINDS[k] for k in kinds]
    return random.choices(kinds, weights=weights, k=args.rounds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=10, help="rounds, kinds chosen by weight")
    ap.add_argument("--each", type=int, default=0, help="instead: this many rounds of each kind")
    ap.add_argument("--group", default="kv")
    ap.add_argument("--dir", default=os.environ.get("COLO_LAB_DIR", ".lab"))
    # a supervisor restarts a crashed service at once (systemd's RestartSec defaults to 100 ms,
    # Kubernetes restarts a container's first crash without back-off): the delay models its
    # reaction, not an outage of its own (docs/benchmarks.md, "Chaos")
    ap.add_argument("--min-delay", type=float, default=0.1, help="seconds before the restart")
    ap.add_argument("--max-delay", type=float, default=0.5)
    ap.add_argument("--settle", type=float, default=1.0, help="seconds of quiet between rounds")
    ap.add_argument("--reprotect-timeout", type=float, default=300.0,
                    help="seconds a round may take to be PROTECTED again")
    ap.add_argument("--start-timeout", type=float, default=600.0,
                    help="seconds a restarted process may take to answer (a loaded host is slow)")
    ap.add_argument("--reply-timeout", type=float, default=30.0,
                    help="a reply later than this is a stall (the request counts as unanswered)")
    ap.add_argument("--kinds", nargs="+", choices=list(KINDS), default=[],
                    help="only these kinds (default: all)")
    ap.add_argument("--skip", nargs="*", default=[], choices=list(KINDS),
                    help="kinds not to inject")
    ap.add_argument("--keys", type=int, default=0,
                    help="0 (default): every SET writes a new key; N: the SETs cycle through N keys, "
                         "for runs longer than the kv guest's 64 MiB disk holds (~500,000 writes; "
                         "200,000 keys are ~16 MB)")
    ap.add_argument("--start-attempts", type=int, default=3,
                    help="a failed restart is tried again, as a supervisor's restart policy would")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = ap.parse_args()
    random.seed(args.seed)

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    lab = Lab(os.path.join(root, "scripts", "lab.sh"), os.path.abspath(args.dir),
              args.start_timeout)
    g = await_protected(lab, args.group, -2, set(), now() + args.reprotect_timeout)
    if g is None:
        sys.exit(f"chaos: group {args.group} is not PROTECTED")
    host, port = g["endpoint"].rsplit(":", 1)
    if args.keys < 0:
        sys.exit("chaos: --keys must be 0 (a new key per SET) or more")
    writer = Writer(host, int(port), f"chaos-{int(time.time())}", args.reply_timeout, args.keys)
    writer.start()
    time.sleep(1.0)

    rows = []
    for n, kind in enumerate(plan(args), 1):
        g = await_protected(lab, args.group, -2, set(), now() + args.reprotect_timeout)
        if g is None:
            rows.append(dict(round=n, kind=kind, killed="-", gap=float("nan"), protected=None,
                             epochs=0, errors=0, note="not PROTECTED before the round"))
            break
        name = target(kind, g, lab)
        involved = {"coordinator", *lab.proxies(), g["primary"]["host"] + "/agent",
                    g["secondary"]["host"] + "/agent", g["primary"]["host"] + "/mirror",
                    g["secondary"]["host"] + "/mirror", name}
        epoch0 = g["epoch"]
        t_kill = now()
        killed_at = lab.kill(name)
        # a checkpoint acknowledged before the kill may be committed just after it: PROTECTED
        # again means a checkpoint above the one the coordinator reports once the process is dead
        after_kill = lab.group(args.group)
        cp0 = max(g["lastCheckpoint"], after_kill["lastCheckpoint"] if after_kill else -1)
        # the restart goes on beside, the delay counted from the kill itself (not from when
        # lab.sh and the question above returned): the group re-protects by itself, on another
        # host if it must
        delay = random.uniform(args.min_delay, args.max_delay)
        failed_start = []

        def restart_later():
            time.sleep(max(0.0, killed_at + delay - time.time()))
            for _ in range(max(1, args.start_attempts)):
                try:
                    lab.start(name)
                    return
                except (RuntimeError, OSError) as e:
                    failed_start.append(str(e))
                    time.sleep(1.0)

        restart = threading.Thread(target=restart_later)
        restart.start()
        first = await_protected(lab, args.group, cp0, set(), t_kill + args.reprotect_timeout)
        t_first = now()
        restart.join()
        # before the next round: the killed process is back and the group PROTECTED with it up
        back = first and await_protected(lab, args.group, -2, involved,
                                         now() + args.reprotect_timeout)
        t_back = now()
        time.sleep(args.settle)
        end = now()
        errs = writer.errors_between(t_kill, end)
        rows.append(dict(
            round=n, kind=kind, killed=name,
            gap=writer.gap(t_kill, end),
            gap_at=writer.gap_start(t_kill, end),
            protected=(t_first - t_kill) if first else None,
            restarted=(t_back - t_kill) if back else None,
            epochs=(back["epoch"] - epoch0) if back else None,
            errors=len(errs),
            delay=delay,
            note=failed_start[0] if failed_start else "" if back else "NOT re-protected"))
        r = rows[-1]
        took = "-" if back is None else "%6.2f s" % r["protected"]
        print(f"round {n:3d} {kind:16s} {name:14s} gap {r['gap']:6.2f} s "
              f"(from +{r['gap_at']:.2f} s)  PROTECTED {took}  "
              f"killed at {time.strftime('%H:%M:%S', time.gmtime(killed_at))}"
              f".{int(killed_at * 1000) % 1000:03d} UTC  "
              f"epochs {r['epochs']}  errors {r['errors']}  (restarted after {delay:.2f} s)"
              + (f"  restart failed {len(failed_start)} time(s): {failed_start[-1]}"
                 if failed_start else ""),
              flush=True)

    writer.stop.set()
    writer.join(timeout=args.reply_timeout + 5)

    # read-back of every acknowledged key; the counter never repeats, never goes backwards
    lost = []
    g = await_protected(lab, args.group, -2, set(), now() + args.reprotect_timeout)
    c = None
    for _ in range(100):
        try:
            c = Resp(host, int(port), 30)
            break
        except OSError:
            time.sleep(0.1)
    with writer.lock:
        acked = dict(writer.acked)
        pending = {k: set(v) for k, v in writer.pending.items()}
        counter = [v for _, v in writer.counter]
    for k, v in acked.items():
        got = c.call("GET", k)
        if got != v and got not in pending.get(k, ()):
            lost.append((k, v, got))
    final = c.call("GET", writer.prefix + ":counter")
    c.close()
    anomalies = [(a, b) for a, b in zip(counter, counter[1:]) if b <= a]
    if counter and (final is None or int(final) < counter[-1]):
        anomalies.append((counter[-1], final))

    print_table(rows, args.markdown)
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    print()
    print("kind              rounds  re-protected  max gap s  median PROTECTED s  max epochs")
    for k, rs in sorted(by_kind.items()):
        ok = [r for r in rs if r["protected"] is not None]
        print(f"{k:16s}  {len(rs):6d}  {len(ok):12d}  {max(r['gap'] for r in rs):9.2f}  "
              f"{statistics.median([r['protected'] for r in ok]) if ok else float('nan'):18.2f}  "
              f"{max((r['epochs'] for r in ok if r['epochs'] is not None), default=0):10d}")
    reprotected = sum(1 for r in rows if r["protected"] is not None)
    total_errors = len(writer.errors)
    print()
    print(f"totals: {len(rows)} rounds, {reprotected} re-protected by themselves; "
          f"{len(acked)} acknowledged writes, {len(lost)} lost; {len(counter)} acknowledged INCRs, "
          f"{len(anomalies)} counter anomalies; {total_errors} error replies; "
          f"{len(writer.unanswered)} requests without a reply ({len(writer.stalls)} stalls); "
          f"{writer.reconnects - 1} reconnects")
    for e in writer.errors[:10]:
        print(f"  error reply: {e[1]} -> {e[2]}")
    for k, v, got in lost[:10]:
        print(f"  lost: {k} = {v}, read {got!r}")
    for a, b in anomalies[:10]:
        print(f"  counter anomaly: {a} then {b}")
    failed = lost or anomalies or total_errors or writer.stalls or reprotected < len(rows)
    sys.exit(1 if failed else 0)


def print_table(rows, markdown):
    head = ["round", "killed", "process", "longest gap (s)", "PROTECTED again (s)", "epochs",
            "error replies"]
    lines = []
    for r in rows:
        lines.append([str(r["round"]), r["kind"], r["killed"], f"{r['gap']:.2f}",
                      "not re-protected" if r["protected"] is None else f"{r['protected']:.2f}",
                      "-" if r["epochs"] is None else str(r["epochs"]), str(r["errors"])])
    print()
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for l in lines:
            print("| " + " | ".join(l) + " |")
    else:
        print("  ".join(f"{h:>10s}" for h in head))
        for l in lines:
            print("  ".join(f"{c:>10s}" for c in l))


if __name__ == "__main__":
    main()
