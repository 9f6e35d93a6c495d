"""The API server on a real etcd (`--etcd-servers`): kubectl works, and objects survive an API server restart
because they live in etcd."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port, kubectl_binary, start_cluster

pytestmark = pytest.mark.slow


@pytest.fixture
def etcd(tmp_path: Path):
    binary = shutil.which("etcd")
    if binary is None:
        pytest.skip("etcd is not installed")
    pytest.importorskip("aetcd")
    client, peer = free_port(), free_port()
    proc = subprocess.Popen([binary, "--data-dir", str(tmp_path / "etcd"), "--name", "kyb-test",
                             "--listen-client-urls", f"http://127.0.0.1:{client}",
                             "--advertise-client-urls", f"http://127.0.0.1:{client}",
                             "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                             "--initial-cluster", f"kyb-test=http://127.0.0.1:{peer}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{client}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except Exception:
                time.sleep(0.1)
        yield f"127.0.0.1:{client}"
    finally:
        proc.kill()
        proc.wait(10)


def test_apiserver_on_etcd(etcd: str, tmp_path: Path) -> None:
    kubectl = kubectl_binary(32)
    if kubectl is None:
        pytest.skip("kubectl.1.32 is not installed")
    port = free_port()
    c = start_cluster(tmp_path / "kyb", port, ["--etcd-servers", etcd])
    try:
        def k(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([kubectl, "--kubeconfig", str(c.kubeconfig), "--cache-dir", str(tmp_path / "c"),
                                   *args], capture_output=True, text=True, timeout=60)

        assert k("create", "configmap", "on-etcd", "--from-literal=a=b").returncode == 0
        r = k("create", "deployment", "web", "--image=nginx", "--replicas=2")
        assert r.returncode == 0, r.stderr
        assert k("scale", "deployment", "web", "--replicas=3").returncode == 0
        c.stop()
        # a restarted API server (empty watch caches, nothing local but credentials) finds everything in etcd
        c = start_cluster(tmp_path / "kyb", port, ["--etcd-servers", etcd])
        r = k("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}")
        assert r.returncode == 0 and r.stdout == "3", (r.stdout, r.stderr)
        r = k("get", "configmap", "on-etcd", "-o", "jsonpath={.data.a}")
        assert r.stdout == "b", r.stderr
    finally:
        c.stop()
