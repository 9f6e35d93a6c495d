"""`kyb server` supervises its components: a killed API server comes back by itself with its data, and SIGTERM
stops the whole tree."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(x) for x in text]
    return out


def _component(pid: int) -> str:
    """The kyb subcommand a child runs (``apiserver``, ``controller-manager``...)."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return argv[argv.index(b"kybernetes") + 1].decode() if b"kybernetes" in argv else ""


def _ready(url: str, ca: Path) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", context=ssl.create_default_context(cafile=str(ca)),
                                    timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def _wait(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def test_server_restarts_a_killed_apiserver(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    url = f"https://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "kybernetes", "server", "--data-dir", str(data),
                             "--secure-port", str(port), "--disable-agent"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    ca = data / "tls" / "ca.crt"
    try:
        assert _wait(lambda: ca.exists() and _ready(url, ca), 30), (tmp_path / "server.log").read_text()
        kids = _children(proc.pid)
        by_name = {_component(k): k for k in kids}
        assert len(by_name) == len(kids) and "apiserver" in by_name and "controller-manager" in by_name
        os.kill(by_name["apiserver"], signal.SIGKILL)
        assert _wait(lambda: len(_children(proc.pid)) == len(kids) and _children(proc.pid) != kids, 15)
        assert by_name["controller-manager"] in _children(proc.pid)  # the others keep running
        assert _wait(lambda: _ready(url, ca), 30), (tmp_path / "server.log").read_text()
        assert "apiserver exited with -9; restarting" in (tmp_path / "server.log").read_text()
        new_kids = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        for pid in new_kids:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    finally:
        if proc.poll() is None:
            for pid in _children(proc.pid):
                os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait(5)
        log.close()
