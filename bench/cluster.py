"""Benchmark plumbing: start `kyb` components as processes on a scratch data dir, read their CPU and memory.

``Components`` starts an API server (``start_apiserver``) and any other ``kyb`` subcommand (``start``) with the
admin kubeconfig, keeps their logs in the data dir and stops everything (by PID, children first) on ``close()``.
Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["Components", "free_port", "rss_mb", "cpu_seconds", "pct", "PySpy", "request_counts",
           "python_reference_ms"]

# A fixed pure-Python workload shaped like the API server's (nested dicts copied, walked and compared, strings
# formatted), run in a fresh interpreter: its CPU time tells how fast this machine runs Python today, so figures
# from different machines (or hours of one VM) can be compared.
_REFERENCE = """
import time

def copy(v):
    if isinstance(v, dict):
        return {k: copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [copy(x) for x in v]
    return v

def paths(v, prefix, out):
    if isinstance(v, dict):
        for k, x in v.items():
            paths(x, prefix + "." + k, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            paths(x, f"{prefix}[{i}]", out)
    else:
        out.add((prefix, v))
    return out

pod = {"metadata": {"name": "web-0", "namespace": "default", "labels": {"app": "web", "tier": "front"},
                    "annotations": {"a": "b"}},
       "spec": {"containers": [{"name": f"c{i}", "image": "busybox", "ports": [{"containerPort": 80 + i}],
                                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}} for i in range(3)],
                "nodeName": "node-1", "tolerations": [{"key": "k", "operator": "Exists"}]},
       "status": {"phase": "Running", "conditions": [{"type": t, "status": "True"} for t in ("Ready", "Initialized")]}}
best = None
for _ in range(3):
    t0 = time.process_time()
    for i in range(4000):
        c = copy(pod)
        c["metadata"]["name"] = f"web-{i + 1}"
        assert len(paths(c, "", set()) ^ paths(pod, "", set())) == 2
    t = time.process_time() - t0
    best = t if best is None else min(best, t)
print(best * 1000)
"""


def python_reference_ms() -> float:
    """CPU milliseconds of ``_REFERENCE`` (best of three) in a fresh interpreter; run it while the machine is quiet."""
    out = subprocess.run([sys.executable, "-c", _REFERENCE], capture_output=True, text=True, timeout=120, check=True)
    return float(out.stdout.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


class PySpy:
    """``py-spy record`` of one process until ``stop()``: ``FILE.svg`` is a flame graph, ``FILE.txt`` raw stacks."""

    def __init__(self, pid: int, out: str, rate: int = 50) -> None:
        self.proc = subprocess.Popen(["py-spy", "record", "-p", str(pid), "-o", out, "-r", str(rate),
                                      *(["--format", "raw"] if out.endswith(".txt") else [])],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


async def request_counts(client, top: int = 25) -> str:
    """The API server's busiest ``apiserver_request_total`` series, from /metrics, on one line."""
    async with client._get_session().get(client.server + "/metrics") as r:  # noqa: SLF001
        text = await r.text()
    rows = [ln for ln in text.splitlines() if ln.startswith("apiserver_request_total")]
    rows.sort(key=lambda ln: -float(ln.rsplit(" ", 1)[1]))
    return "; ".join(r.removeprefix("apiserver_request_total") for r in rows[:top])


async def request_total(client, **labels: str) -> float:
    """The sum of the API server's ``apiserver_request_total`` series carrying all of ``labels``."""
    async with client._get_session().get(client.server + "/metrics") as r:  # noqa: SLF001
        text = await r.text()
    want = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines()
               if ln.startswith("apiserver_request_total") and all(w in ln for w in want))


class Components:
    def __init__(self, keep: bool = False) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="kyb-bench-"))
        self.keep = keep
        self.procs: dict[str, subprocess.Popen] = {}
        self.url = ""

    @property
    def kubeconfig(self) -> Path:
        return self.data / "kubeconfig" / "admin.yaml"

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.data / "tls" / "ca.crt"))
        ctx.load_cert_chain(str(self.data / "tls" / "admin.crt"), str(self.data / "tls" / "admin.key"))
        return ctx

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.data / f"{name}.log", "wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "kybernetes", *argv], stdout=log, stderr=subprocess.STDOUT,
                                cwd=ROOT, env=env)
        self.procs[name] = proc
        return proc

    def start_apiserver(self, timeout: float = 30.0) -> None:
        port = free_port()
        self.url = f"https://127.0.0.1:{port}"
        proc = self._spawn("apiserver", ["apiserver", "--data-dir", str(self.data), "--secure-port", str(port)])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"apiserver exited with {proc.returncode}: {self.log_tail('apiserver')}")
            if self.kubeconfig.exists():
                try:
                    with urllib.request.urlopen(f"{self.url}/readyz", context=self.ssl_context(), timeout=2) as r:
                        if r.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(0.05)
        raise SystemExit("apiserver not ready in time")

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        """Run ``kyb <argv...>`` (``--kubeconfig`` is appended) as component ``name``."""
        return self._spawn(name, [*argv, "--kubeconfig", str(self.kubeconfig)])

    def log_tail(self, name: str, n: int = 3000) -> str:
        p = self.data / f"{name}.log"
        return p.read_text(errors="replace")[-n:] if p.exists() else ""

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def close(self) -> None:
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if not self.keep:
            shutil.rmtree(self.data, ignore_errors=True)
