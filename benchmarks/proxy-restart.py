#!/usr/bin/env python3
"""Where a restarted proxy's time goes: `lab.sh kill proxy`, then at once `lab.sh start proxy`, N
times, on a lab that is up. For each restart it prints, from the start command: when the JVM was
exec'd (the pid recorded), the proxy's first log line, "Tomcat initialized", "Started", the kv
group listening again (the coordinator gave it back), and the first PING answered through the kv
port; with the CPU seconds the new process had used at each step (utime + stime from
/proc/PID/stat, all its threads: the JIT's included) and Spring's own "Started ... in X seconds
(process running for Y)". The load average is printed with each run: on a shared machine compare
CPU seconds, and wall figures only at a like load.

It measures the single proxy's restart path: run it on a lab started with
`./colo lab up --no-proxy-standby` (with a warm standby, the standby would serve the groups while
the restarted proxy waits as the new standby; benchmarks/chaos.sh --kinds proxy measures that).

  benchmarks/proxy-restart.py [--dir LAB_DIR] [--runs N] [--port KV_PORT]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
# "Starting AOT-processed PacketProxyApplication" in Spring's AOT mode (-Dspring.aot.enabled=true)
STEPS = (("first line", "PacketProxyApplication v"), ("tomcat", "Tomcat initialized"),
         ("started", "Started PacketProxyApplication"), ("kv listens", "group kv (epoch"))


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return None


def ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3) as s:
            s.settimeout(0.5)
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def proxy_pid(lab_dir):
    with open(os.path.join(lab_dir, "lab.json")) as f:
        return json.load(f)["proxy"].get("pid")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.environ.get("COLO_LAB_DIR", os.path.join(root, ".lab")))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--port", type=int, default=6379, help="the kv group's port")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds a restart may take")
    args = ap.parse_args()
    lab_sh = os.path.join(root, "scripts", "lab.sh")
    log = os.path.join(args.dir, "proxy", "proxy.log")
    for run in range(1, args.runs + 1):
        load = os.getloadavg()
        subprocess.run([lab_sh, "kill", "proxy", "--dir", args.dir], check=True,
                       stdout=subprocess.DEVNULL)
        old = proxy_pid(args.dir)
        offset = os.path.getsize(log)
        t0 = time.monotonic()
        starter = subprocess.Popen([lab_sh, "start", "proxy", "--dir", args.dir],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid = old
        while pid == old and time.monotonic() - t0 < args.timeout:
            time.sleep(0.01)
            try:
                pid = proxy_pid(args.dir)
            except (OSError, ValueError, KeyError):
                pass
        marks = [("exec", time.monotonic() - t0, cpu_seconds(pid) or 0.0)]
        seen, text, used = set(), "", 0.0
        while time.monotonic() - t0 < args.timeout:
            used = cpu_seconds(pid) or used
            with open(log, "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
            for name, pattern in STEPS:
                if name not in seen and pattern in text:
                    seen.add(name)
                    marks.append((name, time.monotonic() - t0, used))
            if "started" in seen and ping(args.port):
                marks.append(("PING", time.monotonic() - t0, used))
                break
            time.sleep(0.02)
        spring = next((line.split(": ", 1)[1] for line in text.splitlines()
                       if "Started PacketProxyApplication" in line), "not started")
        print(f"run {run} (load {load[0]:.1f} {load[1]:.1f}): "
              + ", ".join(f"{n} {t:.2f} s (cpu {c:.2f} s)" for n, t, c in marks)
              + f" | {spring}", flush=True)
        starter.wait()
        time.sleep(3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
