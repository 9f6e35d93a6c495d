"""Acceptance: `make up` from the checkout brings up a server whose admin kubeconfig works with kubectl."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, kubectl_binary

pytestmark = pytest.mark.slow


def test_make_up_serves_kubectl(tmp_path: Path) -> None:
    kubectl = kubectl_binary(32)
    if kubectl is None:
        pytest.skip("kubectl.1.32 not installed")
    port = free_port()
    data = tmp_path / "data"
    log = (tmp_path / "make-up.log").open("wb")
    proc = subprocess.Popen(["make", "-s", "up", f"DATA_DIR={data}", f"KYB_ARGS=--secure-port {port}"], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        kubeconfig = data / "kubeconfig" / "admin.yaml"
        deadline = time.monotonic() + 300  # a fresh machine installs the virtualenv first
        out = ""
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "make-up.log").read_text()[-3000:]
            if kubeconfig.exists():
                r = subprocess.run([kubectl, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"),
                                    "get", "namespaces", "-o", "name"], capture_output=True, text=True, timeout=30)
                out = r.stdout
                if r.returncode == 0:
                    break
            time.sleep(0.5)
        assert "namespace/default" in out and "namespace/kube-system" in out, out
        text = (tmp_path / "make-up.log").read_text()
        assert str(kubeconfig) in text, text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        log.close()
