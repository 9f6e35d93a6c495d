#!/usr/bin/env python3
"""Node start benchmark: `kyb server` (with the local kubelet) from process start to a Ready node.

Runs as root with crun/runc and the CNI plugins (as `make up` installs them). Starts `kyb server` on a scratch data
dir and a free port, waits (bounded) for the admin kubeconfig, then for the node's Ready condition, then stops the
server. Repeats --runs times and prints the median and the worst:

    node_ready_seconds: X s        (issue 7's goal: under 10 s)
    api_ready_seconds: X s         (of which: until the API server wrote its kubeconfig)

Usage: python bench/node.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cluster import ROOT, free_port  # noqa: E402


def node_ready(url: str, data: Path) -> bool:
    ctx = ssl.create_default_context(cafile=str(data / "tls" / "ca.crt"))
    ctx.load_cert_chain(str(data / "tls" / "admin.crt"), str(data / "tls" / "admin.key"))
    try:
        with urllib.request.urlopen(f"{url}/api/v1/nodes", context=ctx, timeout=2) as r:
            nodes = orjson.loads(r.read())["items"]
    except OSError:
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for n in nodes for c in (n.get("status") or {}).get("conditions") or ())


def one_run() -> tuple[float, float]:
    data = Path(tempfile.mkdtemp(prefix="kyb-bench-node-"))
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    log = open(data / "server.log", "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "kybernetes", "server", "--data-dir", str(data / "d"),
                             "--secure-port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        api = node = 0.0
        while time.monotonic() - t0 < 120:
            if proc.poll() is not None:
                raise SystemExit(f"kyb server exited: {(data / 'server.log').read_text()[-2000:]}")
            if not api and (data / "d" / "kubeconfig" / "admin.yaml").exists():
                api = time.monotonic() - t0
            if api and node_ready(url, data / "d"):
                node = time.monotonic() - t0
                break
            time.sleep(0.1)
        if not node:
            raise SystemExit("node not Ready within 120 s")
        return node, api
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench/node.py runs real containers infrastructure: run it as root")
    runs = [one_run() for _ in range(args.runs)]
    nodes = [r[0] for r in runs]
    print(f"  runs: {', '.join(f'{n:.1f}s' for n in nodes)}")
    print(f"node_ready_seconds: {statistics.median(nodes):.1f} s")
    print(f"node_ready_worst_seconds: {max(nodes):.1f} s")
    print(f"api_ready_seconds: {statistics.median(r[1] for r in runs):.1f} s")


if __name__ == "__main__":
    main()
