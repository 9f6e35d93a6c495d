#!/usr/bin/env python3
"""API server benchmark: pod creates/s, gets/s, LISTs of 1000 pods/s, watch fan-out, mutating latency, RSS.

Starts its own `kyb apiserver` on a scratch data dir and a free loopback port, drives it over HTTPS with client
certificates from one asyncio client process (uvloop) and, when `wrk` is installed (`make bench` installs it),
measures peak create and get rates with wrk (bearer-token auth, 100 connections) so the Python client is not the
bottleneck. Mutating latency is reported twice: closed loop at 100 connections (bounded by Little's law) and open
loop at a fixed offered rate (default 1000 creates/s from 100 clients). It prints headline figures one per line as
`name: value unit`. Every phase is bounded in count and time. Usage:

    python bench/apiserver.py [--pods 3000] [--concurrency 100] [--watchers 100] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import free_port, pct, rss_mb  # noqa: E402


def pod(name: str, ns: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": "bench", "tier": "web"}},
        "spec": {
            "containers": [{
                "name": "app",
                "image": "busybox:1.36",
                "command": ["sleep", "3600"],
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                "env": [{"name": "MODE", "value": "bench"}],
            }],
            "restartPolicy": "Always",
        },
    }


WRK_DIR = Path(__file__).resolve().parent / "wrk"


def _seconds(text: str) -> float:
    for unit, f in (("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * f
    return float(text)


def run_wrk(script: str, url: str, env: dict[str, str], seconds: float, connections: int) -> dict[str, float]:
    """Run wrk (a C load generator, 2 threads) with a Lua script; returns rate, p50, p99 and non-2xx count."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", str(WRK_DIR / script), url],
        capture_output=True, text=True, timeout=seconds + 60, env={**os.environ, **env},
    ).stdout
    res = {"rate": 0.0, "p50": 0.0, "p99": 0.0, "errors": 0.0, "requests": 0.0}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            res["rate"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "99%"):
            res["p" + parts[0][:-1]] = _seconds(parts[1])
        elif line.startswith("  Non-2xx or 3xx responses:"):
            res["errors"] = float(parts[-1])
        elif "requests in" in line:
            res["requests"] = float(parts[0])
    return res


async def wait_ready(url: str, ctx: ssl.SSLContext, proc: subprocess.Popen, timeout: float = 30) -> float:
    t0 = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as s:
        while time.monotonic() - t0 < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            try:
                async with s.get(f"{url}/readyz") as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("server not ready")


async def run(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="kyb-bench-"))
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    log = open(data / "server.log", "wb")
    t_start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "kybernetes", "apiserver", "--data-dir", str(data),
                             "--secure-port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        for _ in range(200):
            if (data / "kubeconfig" / "admin.yaml").exists():
                break
            await asyncio.sleep(0.05)
        ctx = ssl.create_default_context(cafile=str(data / "tls" / "ca.crt"))
        ctx.load_cert_chain(str(data / "tls" / "admin.crt"), str(data / "tls" / "admin.key"))
        await wait_ready(url, ctx, proc)
        ready_s = time.monotonic() - t_start
        await asyncio.sleep(1.0)
        idle_rss = rss_mb(proc.pid)
        conn = aiohttp.TCPConnector(ssl=ctx, limit=args.concurrency + args.watchers + 10)
        async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=120)) as s:
            ns = "bench"
            async with s.post(f"{url}/api/v1/namespaces", data=orjson.dumps(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                    headers={"Content-Type": "application/json"}) as r:
                assert r.status in (201, 409), await r.text()

            # warm the connection pool: TLS handshakes are not part of the steady-state figures
            async def warm() -> None:
                async with s.get(f"{url}/version") as r:
                    await r.read()

            await asyncio.gather(*(warm() for _ in range(args.concurrency)))

            # -- creates ------------------------------------------------------------------------------------
            latencies: list[float] = []
            counter = iter(range(args.pods))
            failures = 0

            async def creator() -> None:
                nonlocal failures
                for i in counter:
                    body = orjson.dumps(pod(f"p-{i:05d}", ns))
                    t = time.perf_counter()
                    async with s.post(f"{url}/api/v1/namespaces/{ns}/pods", data=body,
                                      headers={"Content-Type": "application/json"}) as r:
                        await r.read()
                        if r.status != 201:
                            failures += 1
                    latencies.append(time.perf_counter() - t)

            t0 = time.perf_counter()
            await asyncio.wait_for(asyncio.gather(*(creator() for _ in range(args.concurrency))), 300)
            create_s = time.perf_counter() - t0
            creates_per_s = args.pods / create_s
            create_p50, create_p99 = pct(latencies, 50), pct(latencies, 99)
            token = (data / "tls" / "tokens.csv").read_text().split(",")[0]
            use_wrk = shutil.which("wrk") is not None and not args.python_client
            if use_wrk:
                wns_c = "bench-wrk"
                async with s.post(f"{url}/api/v1/namespaces", data=orjson.dumps(
                        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": wns_c}}),
                        headers={"Content-Type": "application/json"}) as r:
                    await r.read()
                body = orjson.dumps(pod("NAME", wns_c)).decode()
                w = await asyncio.to_thread(run_wrk, "create_pods.lua", url, {
                    "KYB_PATH": f"/api/v1/namespaces/{wns_c}/pods", "KYB_BODY": body, "KYB_TOKEN": token},
                    args.seconds, args.concurrency)
                failures += int(w["errors"])
                creates_per_s, create_p50, create_p99 = w["rate"], w["p50"], w["p99"]

            # -- latency at a fixed offered load (open loop): 100 clients together sending 1000 creates/s --------
            open_lat: list[float] = []
            rate_ns = "bench-rate"
            async with s.post(f"{url}/api/v1/namespaces", data=orjson.dumps(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": rate_ns}}),
                    headers={"Content-Type": "application/json"}) as r:
                await r.read()
            interval = args.concurrency / args.rate
            stop_rate = time.perf_counter() + args.seconds

            async def paced(k: int) -> None:
                i = 0
                await asyncio.sleep(interval * k / args.concurrency)
                nxt = time.perf_counter()
                while nxt < stop_rate:
                    body = orjson.dumps(pod(f"r-{k}-{i}", rate_ns))
                    t = time.perf_counter()
                    async with s.post(f"{url}/api/v1/namespaces/{rate_ns}/pods", data=body,
                                      headers={"Content-Type": "application/json"}) as r:
                        await r.read()
                    open_lat.append(time.perf_counter() - t)
                    i += 1
                    nxt += interval
                    delay = nxt - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)

            t0 = time.perf_counter()
            await asyncio.gather(*(paced(k) for k in range(args.concurrency)))
            achieved_rate = len(open_lat) / (time.perf_counter() - t0)

            # -- gets ---------------------------------------------------------------------------------------
            gets = 0
            get_lat: list[float] = []
            stop_at = time.perf_counter() + args.seconds

            async def getter(k: int) -> None:
                nonlocal gets
                i = k
                while time.perf_counter() < stop_at:
                    t = time.perf_counter()
                    async with s.get(f"{url}/api/v1/namespaces/{ns}/pods/p-{i % args.pods:05d}") as r:
                        await r.read()
                        assert r.status == 200
                    get_lat.append(time.perf_counter() - t)
                    gets += 1
                    i += args.concurrency

            t0 = time.perf_counter()
            await asyncio.gather(*(getter(k) for k in range(args.concurrency)))
            gets_per_s = gets / (time.perf_counter() - t0)
            get_p99 = pct(get_lat, 99)
            if use_wrk:
                w = await asyncio.to_thread(run_wrk, "get_pods.lua", url, {
                    "KYB_PATH": f"/api/v1/namespaces/{ns}/pods", "KYB_COUNT": str(args.pods), "KYB_TOKEN": token},
                    args.seconds, args.concurrency)
                gets_per_s, get_p99 = w["rate"], w["p99"]

            # -- LIST of 1000 pods -------------------------------------------------------------------------
            lists = 0
            list_ns = "bench-list"
            async with s.post(f"{url}/api/v1/namespaces", data=orjson.dumps(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": list_ns}}),
                    headers={"Content-Type": "application/json"}) as r:
                await r.read()
            it = iter(range(1000))

            async def filler() -> None:
                for i in it:
                    async with s.post(f"{url}/api/v1/namespaces/{list_ns}/pods",
                                      data=orjson.dumps(pod(f"l-{i:04d}", list_ns)),
                                      headers={"Content-Type": "application/json"}) as r:
                        await r.read()

            await asyncio.gather(*(filler() for _ in range(50)))
            stop_at = time.perf_counter() + args.seconds

            async with s.get(f"{url}/api/v1/namespaces/{list_ns}/pods") as r:
                first = await r.read()
            n = len(orjson.loads(first)["items"])
            assert n == 1000, n

            async def lister() -> None:
                # the body is read whole but not decoded: decoding 2 MB of JSON in the client would be measured
                nonlocal lists
                while time.perf_counter() < stop_at:
                    async with s.get(f"{url}/api/v1/namespaces/{list_ns}/pods") as r:
                        body = await r.read()
                        assert r.status == 200 and len(body) > len(first) // 2
                    lists += 1

            t0 = time.perf_counter()
            await asyncio.gather(*(lister() for _ in range(4)))
            lists_per_s = lists / (time.perf_counter() - t0)

            # -- watch fan-out ------------------------------------------------------------------------------
            wns = "bench-watch"
            async with s.post(f"{url}/api/v1/namespaces", data=orjson.dumps(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": wns}}),
                    headers={"Content-Type": "application/json"}) as r:
                await r.read()
            async with s.get(f"{url}/api/v1/namespaces/{wns}/configmaps") as r:
                rv = orjson.loads(await r.read())["metadata"]["resourceVersion"]
            n_events = args.events
            received = [0] * args.watchers
            done = asyncio.Event()
            finished = [0]
            last_at = [0.0]

            async def watcher(k: int) -> None:
                async with s.get(f"{url}/api/v1/namespaces/{wns}/configmaps",
                                 params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "120"}) as r:
                    async for _line in r.content:
                        received[k] += 1
                        if received[k] >= n_events:
                            finished[0] += 1
                            last_at[0] = time.perf_counter()
                            if finished[0] == args.watchers:
                                done.set()
                            return

            wtasks = [asyncio.create_task(watcher(k)) for k in range(args.watchers)]
            await asyncio.sleep(1.0)
            cms = iter(range(n_events))

            async def writer() -> None:
                for i in cms:
                    async with s.post(f"{url}/api/v1/namespaces/{wns}/configmaps", data=orjson.dumps(
                            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"},
                             "data": {"k": "v" * 100}}), headers={"Content-Type": "application/json"}) as r:
                        await r.read()

            t0 = time.perf_counter()
            await asyncio.gather(*(writer() for _ in range(20)))
            try:
                await asyncio.wait_for(done.wait(), 120)
            except asyncio.TimeoutError:
                pass
            watch_s = (last_at[0] or time.perf_counter()) - t0
            delivered = sum(received)
            for t in wtasks:
                t.cancel()
            await asyncio.gather(*wtasks, return_exceptions=True)
            loaded_rss = rss_mb(proc.pid)

        print(f"load_generator: {'wrk (C, 2 threads) for creates and gets' if use_wrk else 'python aiohttp'}")
        print(f"creates: {failures} failures")
        print(f"ready_seconds: {ready_s:.2f} s")
        print(f"pod_creates_per_second: {creates_per_s:.0f} pods/s")
        print(f"create_latency_p50: {create_p50 * 1000:.1f} ms")
        print(f"create_latency_p99: {create_p99 * 1000:.1f} ms")
        print(f"create_rate_offered: {achieved_rate:.0f} pods/s")
        print(f"create_latency_p50_at_offered_rate: {pct(open_lat, 50) * 1000:.1f} ms")
        print(f"create_latency_p99_at_offered_rate: {pct(open_lat, 99) * 1000:.1f} ms")
        print(f"gets_per_second: {gets_per_s:.0f} gets/s")
        print(f"get_latency_p99: {get_p99 * 1000:.1f} ms")
        print(f"list_1000_pods_per_second: {lists_per_s:.1f} lists/s")
        print(f"watch_events_per_second: {delivered / max(watch_s, 1e-9):.0f} events/s")
        print(f"watch_events_delivered: {delivered} of {n_events * args.watchers} events")
        print(f"idle_rss: {idle_rss:.0f} MB")
        print(f"loaded_rss: {loaded_rss:.0f} MB")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pods", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--watchers", type=int, default=100)
    p.add_argument("--events", type=int, default=500)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rate", type=float, default=1000.0, help="offered create rate of the open-loop phase")
    p.add_argument("--python-client", action="store_true", help="do not use wrk even if installed")
    p.add_argument("--keep", action="store_true", help="keep the scratch data dir")
    args = p.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
