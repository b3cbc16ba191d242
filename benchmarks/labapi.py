"""The lab's HTTP API for the benchmark scripts (system-benchmark.sh, disk-cpu-per-set.sh).

Their embedded Python imports it (PYTHONPATH=benchmarks): lab.json, the lab's bearer token, JSON
calls and Prometheus text, and a free loopback port. Standard library only.
"""

import json
import os
import re
import socket
import subprocess
import urllib.request


class LabApi:
    """One lab directory: its lab.json and its token, calls with a default timeout in seconds."""

    def __init__(self, lab_dir, timeout):
        self.dir = lab_dir
        self.timeout = timeout
        with open(os.path.join(lab_dir, "token")) as f:
            self.token = f.read().strip()

    def lab(self):
        with open(os.path.join(self.dir, "lab.json")) as f:
            return json.load(f)

    def _request(self, method, url, data=None):
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        return req

    def api(self, method, url, body=None, timeout=None):
        """A JSON call; the decoded answer, or None for an empty one."""
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(self._request(method, url, data),
                                    timeout=timeout or self.timeout) as r:
            raw = r.read()
            return json.loads(raw) if raw else None

    def text(self, url, timeout=None):
        """A GET of a text resource (a service's /actuator/prometheus)."""
        with urllib.request.urlopen(self._request("GET", url),
                                    timeout=timeout or self.timeout) as r:
            return r.read().decode()


def free_port():
    """A loopback port free at the time of asking."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def thread_cpu(pid, tid):
    """(the thread's name with its trailing digits as #, its CPU seconds so far: utime + stime of
    /proc/PID/task/TID/stat), or None if it ended meanwhile. A pool's threads share a name."""
    try:
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s.rsplit(")", 1)[1].split()
    return (re.sub(r"[0-9]+$", "#", s[s.index("(") + 1:s.rindex(")")]),
            (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))


def set_benchmark(port, n, pipeline):
    """SET/s of one redis-benchmark run (-c 50 -r 100000, -P pipeline when above 1) on 127.0.0.1:port."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set", "-n", str(n), "-c", "50",
           "-r", "100000", "--csv"]
    if pipeline > 1:
        cmd += ["-P", str(pipeline)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1200).stdout
    for line in out.splitlines()[1:]:
        f = [x.strip('"') for x in line.split(",")]
        if f[0] == "SET":
            return float(f[1])
    raise RuntimeError(f"no SET line from redis-benchmark: {out!r}")
