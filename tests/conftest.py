"""Shared test fixtures: a real API server process on a scratch data dir, and the kubectl binaries."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubectl_dir() -> Path | None:
    exe = shutil.which("kubectl")
    if not exe:
        return None
    return Path(os.path.realpath(exe)).parent


def kubectl_binary(minor: int) -> str | None:
    d = kubectl_dir()
    if d is None:
        return None
    p = d / f"kubectl.1.{minor}"
    return str(p) if p.exists() else None


@dataclass
class Cluster:
    """A running `kyb apiserver` process."""

    url: str
    port: int
    data_dir: Path
    kubeconfig: Path
    proc: subprocess.Popen
    log: Path

    @property
    def ca(self) -> Path:
        return self.data_dir / "tls" / "ca.crt"

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        ctx.load_cert_chain(str(self.data_dir / "tls" / "admin.crt"), str(self.data_dir / "tls" / "admin.key"))
        return ctx

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_cluster(data_dir: Path, port: int | None = None, extra: list[str] | None = None,
                  timeout: float = 20.0) -> Cluster:
    """Start `python -m kybernetes apiserver` on `data_dir` and wait until /readyz answers."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{port}-{int(time.time() * 1000)}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kybernetes", "apiserver", "--data-dir", str(data_dir), "--secure-port", str(port),
         "--bind-address", "127.0.0.1", *(extra or [])],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT, env=env,
    )
    url = f"https://127.0.0.1:{port}"
    cluster = Cluster(url=url, port=port, data_dir=data_dir, kubeconfig=data_dir / "kubeconfig" / "admin.yaml",
                      proc=proc, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"apiserver exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        if cluster.ca.exists() and cluster.kubeconfig.exists():
            try:
                ctx = ssl.create_default_context(cafile=str(cluster.ca))
                with urllib.request.urlopen(f"{url}/readyz", context=ctx, timeout=2) as r:
                    if r.status == 200:
                        return cluster
            except Exception:
                pass
        time.sleep(0.05)
    cluster.stop(signal.SIGKILL)
    raise RuntimeError(f"apiserver not ready within {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """One API server for the whole session (tests must use their own namespaces or unique names)."""
    c = start_cluster(tmp_path_factory.mktemp("kyb-data"))
    yield c
    c.stop()
    if c.proc.returncode not in (0, -signal.SIGTERM):
        print(c.log.read_text()[-4000:])
