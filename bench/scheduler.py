#!/usr/bin/env python3
"""Scheduler benchmark in the shape of upstream scheduler_perf's SchedulingBasic, with the API server in the loop.

For each cluster size (default 5000 and 500 nodes): start `kyb apiserver` on a scratch data dir, register the
nodes directly through the API (upstream's node-default: 4 cpu, 32Gi, 110 pods, Ready; no kubelets), start the
scheduler in its own process (leader election off), create 1000 initial pods (pod-default: 100m cpu / 500Mi) and
wait until all are bound, then create 10,000 measured pods (50 concurrent creators) and wait until all are bound.
Bindings are observed through a watch.  By default pods are created while the scheduler runs (so the rate is
bounded by the create rate too); ``--backlog`` creates the measured pods while the scheduler is stopped and then
times how fast it drains them (e2e latencies then count from that moment).  Prints, per size N:

    scheduling_throughput_N_nodes: X pods/s      measured pods / (last bound - first created)
    scheduling_latency_p50_N_nodes: X ms         scheduler-side attempt latency (pop -> bound, upstream's
    scheduling_latency_p99_N_nodes: X ms         scheduling_attempt_duration), measured pods only
    e2e_latency_p50_N_nodes: X ms                client-side: create answered -> binding seen in the watch
    e2e_latency_p99_N_nodes: X ms
    scheduler_cpu_N_nodes: X s of Y s            CPU the scheduler process used during the measured phase
    apiserver_cpu_N_nodes: X s of Y s            and the API server
    scheduled_events_when_all_bound_N_nodes: X of Y   Scheduled Events already written when the last pod was
                                                 seen bound (events are not deferred past the measurement)

Every phase is bounded by --timeout.  Usage:

    python bench/scheduler.py [--nodes 5000,500] [--init-pods 1000] [--pods 10000] [--timeout 900]
    python bench/scheduler.py --quick           # 500,100 nodes, 200 + 2000 pods
    python bench/scheduler.py --backlog         # measured pods queued first: the scheduler's own rate
    python bench/scheduler.py --nodes 500 --py-spy /tmp/sched.svg   # profile the scheduler (.txt: raw stacks)
    python bench/scheduler.py --nodes 500 --py-spy-apiserver /tmp/api.svg   # the API server, measured phase
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cluster import ROOT, Components, cpu_seconds, pct, python_reference_ms  # noqa: E402
from kybernetes.client.rest import RESTClient, resource_path  # noqa: E402
from kybernetes.machinery.errors import StatusError  # noqa: E402

NS = "sched-perf"
CREATORS = 50


def node_body(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}, "spec": {}}


NODE_STATUS = {"capacity": {"pods": "110", "cpu": "4", "memory": "32Gi"},
               "allocatable": {"pods": "110", "cpu": "4", "memory": "32Gi"},
               "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                               "message": "kubelet is posting ready status"}],
               "phase": "Running"}


def pod_body(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
                                     "ports": [{"containerPort": 80}],
                                     "resources": {"limits": {"cpu": "100m", "memory": "500Mi"},
                                                   "requests": {"cpu": "100m", "memory": "500Mi"}}}]}}


async def register_nodes(client: RESTClient, count: int, deadline: float) -> None:
    names = iter(f"scheduler-perf-{i:05d}" for i in range(count))

    async def worker() -> None:
        for name in names:
            try:
                await client.create(resource_path("", "v1", "nodes"), node_body(name))
            except StatusError as e:
                if e.code != 409:
                    raise
            await client.patch(resource_path("", "v1", "nodes", name=name, subresource="status"),
                               {"status": NODE_STATUS})

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(CREATORS))), max(1.0, deadline - time.monotonic()))


class BindWatch:
    """Watches the namespace's pods and records when each is first seen bound."""

    def __init__(self, client: RESTClient) -> None:
        self.client = client
        self.bound_at: dict[str, float] = {}
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(resource_path("", "v1", "pods", NS)))

    def _seen(self, obj: dict[str, Any]) -> None:
        if (obj.get("spec") or {}).get("nodeName"):
            name = obj["metadata"]["name"]
            if name not in self.bound_at:
                self.bound_at[name] = time.monotonic()
                self.changed.set()

    async def _list(self, path: str) -> str:
        lst = await self.client.list(path)
        for obj in lst["items"]:
            self._seen(obj)
        return lst["metadata"]["resourceVersion"]

    async def _run(self, path: str) -> None:
        rv = await self._list(path)
        while True:
            try:
                async for ev in self.client.watch(path, {"resourceVersion": rv, "allowWatchBookmarks": "true",
                                                         "timeoutSeconds": "600"}):
                    obj = ev["object"]
                    if ev["type"] == "ERROR":  # expired: list again
                        rv = await self._list(path)
                        break
                    rv = obj["metadata"]["resourceVersion"]
                    self._seen(obj)
            except (OSError, asyncio.TimeoutError, StatusError):
                await asyncio.sleep(0.1)

    async def wait_bound(self, names: list[str], deadline: float, label: str) -> None:
        last = time.monotonic()
        while True:
            done = sum(1 for n in names if n in self.bound_at)
            if done == len(names):
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"{label}: only {done} of {len(names)} pods bound before the deadline")
            if time.monotonic() - last > 10:
                last = time.monotonic()
                print(f"  ... {label}: {done}/{len(names)} bound", flush=True)
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 1.0)
            except asyncio.TimeoutError:
                pass

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def count_scheduled_events(client: RESTClient) -> int:
    """How many ``Scheduled`` Events the namespace holds now."""
    lst = await client.list(resource_path("", "v1", "events", NS), {"fieldSelector": "reason=Scheduled"})
    return len(lst["items"])


async def create_pods(client: RESTClient, names: list[str], created_at: dict[str, float], deadline: float) -> None:
    it = iter(names)
    path = resource_path("", "v1", "pods", NS)

    async def worker() -> None:
        for name in it:
            await client.create(path, pod_body(name))
            created_at[name] = time.monotonic()

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(CREATORS))), max(1.0, deadline - time.monotonic()))


def start_scheduler(comps: Components, stats: Path, py_spy: str) -> subprocess.Popen:
    argv = [sys.executable, str(Path(__file__).resolve()), "--run-scheduler", str(comps.kubeconfig), str(stats)]
    if py_spy:
        fmt = ["--format", "raw"] if py_spy.endswith(".txt") else []  # collapsed stacks, for scripts
        argv = ["py-spy", "record", "-o", py_spy, *fmt, "-r", "100", "--nonblocking", "--", *argv]
    log = open(comps.data / "scheduler.log", "wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    comps.procs["scheduler"] = proc
    return proc


def scheduler_pid(proc: subprocess.Popen) -> int:
    """The scheduler's own PID (under py-spy: its child)."""
    if proc.args and proc.args[0] == "py-spy":
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if kids.exists() and kids.read_text().split():
            return int(kids.read_text().split()[0])
    return proc.pid


def stop_scheduler(proc: subprocess.Popen, stats: Path) -> dict[str, Any]:
    os.kill(scheduler_pid(proc), signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    return json.loads(stats.read_text()) if stats.exists() else {}


async def run_size(nodes: int, args: argparse.Namespace) -> dict[str, float]:
    comps = Components(keep=args.keep)
    deadline = time.monotonic() + args.timeout
    try:
        comps.start_apiserver()
        client = RESTClient.from_kubeconfig(comps.kubeconfig)
        try:
            t0 = time.monotonic()
            await register_nodes(client, nodes, deadline)
            print(f"  {nodes} nodes registered in {time.monotonic() - t0:.1f}s", flush=True)
            await client.create(resource_path("", "v1", "namespaces"),
                                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
            stats_file = comps.data / "scheduler-stats.json"
            sched = start_scheduler(comps, stats_file, args.py_spy)
            watch = BindWatch(client)
            await watch.start()
            created: dict[str, float] = {}
            init = [f"init-{i:05d}" for i in range(args.init_pods)]
            t0 = time.monotonic()
            await create_pods(client, init, created, deadline)
            await watch.wait_bound(init, deadline, "initial pods")
            comps.check_alive()
            print(f"  {len(init)} initial pods bound in {time.monotonic() - t0:.1f}s", flush=True)
            measured = [f"pod-{i:05d}" for i in range(args.pods)]
            pid = scheduler_pid(sched)
            if args.backlog:  # queue every measured pod first, then let the scheduler run
                os.kill(pid, signal.SIGSTOP)
                t0 = time.monotonic()
                await create_pods(client, measured, created, deadline)
                print(f"  {len(measured)} measured pods created in {time.monotonic() - t0:.1f}s", flush=True)
                os.kill(pid, signal.SIGCONT)
            api_spy = None
            if args.py_spy_apiserver:  # the API server during the measured phase only
                fmt = ["--format", "raw"] if args.py_spy_apiserver.endswith(".txt") else []
                api_spy = subprocess.Popen(["py-spy", "record", "-o", args.py_spy_apiserver, *fmt, "-r", "100",
                                            "--nonblocking", "--pid", str(comps.procs["apiserver"].pid)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cpu0 = cpu_seconds(pid)
            api_cpu0 = cpu_seconds(comps.procs["apiserver"].pid)
            t_start = time.monotonic()
            if args.backlog:
                created = {n: t_start for n in measured}
            creator = asyncio.create_task(create_pods(client, [] if args.backlog else measured, created, deadline))
            await watch.wait_bound(measured, deadline, "measured pods")
            await creator
            if not args.backlog:
                print(f"  measured pods created in {max(created[n] for n in measured) - t_start:.1f}s", flush=True)
            print(f"  measured pods all bound in {max(watch.bound_at[n] for n in measured) - t_start:.1f}s",
                  flush=True)
            t_end = max(watch.bound_at[n] for n in measured)
            cpu = cpu_seconds(pid) - cpu0 if sched.poll() is None else 0.0
            api_cpu = cpu_seconds(comps.procs["apiserver"].pid) - api_cpu0
            wall = t_end - t_start
            events = await count_scheduled_events(client)  # written by now, not deferred past the measurement
            if api_spy is not None:
                api_spy.send_signal(signal.SIGINT)
                try:
                    api_spy.wait(30)
                except subprocess.TimeoutExpired:
                    api_spy.kill()
            await watch.stop()
        finally:
            await client.close()
        stats = stop_scheduler(sched, stats_file)
        attempts = (stats.get("attempt") or [])[-args.pods:]
        e2e = [watch.bound_at[n] - created[n] for n in measured]
        return {
            "throughput": args.pods / max(t_end - t_start, 1e-9),
            "p50": pct(attempts, 50) * 1000, "p99": pct(attempts, 99) * 1000,
            "e2e_p50": pct(e2e, 50) * 1000, "e2e_p99": pct(e2e, 99) * 1000,
            "cpu": cpu, "api_cpu": api_cpu, "wall": wall, "errors": float(stats.get("errors", 0)), "unschedulable": float(stats.get("unschedulable", 0)),
            "events": float(events), "all_pods": float(len(init) + len(measured)),
        }
    finally:
        sched_proc = comps.procs.get("scheduler")
        if sched_proc is not None and sched_proc.poll() is None:  # under py-spy, the profiled child too
            try:
                os.kill(scheduler_pid(sched_proc), signal.SIGTERM)
            except ProcessLookupError:
                pass
        comps.close()


async def run_scheduler_process(kubeconfig: str, stats: str) -> None:
    """The scheduler side: default configuration, no leader election; writes its metrics to ``stats`` on
    SIGTERM."""
    import gc

    from kybernetes.scheduler.config import default_config
    from kybernetes.scheduler.scheduler import Scheduler

    gc.set_threshold(50_000, 50, 1000)
    client = RESTClient.from_kubeconfig(kubeconfig)
    cfg = default_config()
    cfg.leader_election.leader_elect = False
    s = Scheduler(client, cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await s.start()
    await stop.wait()
    m = s.metrics
    Path(stats).write_text(json.dumps({"scheduled": m.scheduled, "errors": m.errors,
                                       "unschedulable": m.unschedulable, "attempt": m.attempt, "e2e": m.e2e,
                                       "algorithm": m.algorithm}))
    await s.stop()
    await client.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", default="5000,500", help="comma-separated cluster sizes (default %(default)s)")
    p.add_argument("--init-pods", type=int, default=1000)
    p.add_argument("--pods", type=int, default=10000)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per cluster size")
    p.add_argument("--quick", action="store_true", help="500 and 100 nodes, 200 initial + 2000 measured pods")
    p.add_argument("--backlog", action="store_true",
                   help="create the measured pods while the scheduler is stopped (SIGSTOP), then measure how fast "
                        "it drains them: the scheduler's own rate, not bounded by the create rate")
    p.add_argument("--py-spy", default="", help="record the scheduler with py-spy into this SVG")
    p.add_argument("--py-spy-apiserver", default="",
                   help="record the API server with py-spy during the measured phase into this SVG (.txt: raw)")
    p.add_argument("--keep", action="store_true", help="keep the scratch data dirs")
    p.add_argument("--run-scheduler", nargs=2, metavar=("KUBECONFIG", "STATS"), help=argparse.SUPPRESS)
    args = p.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.run_scheduler:
        asyncio.run(run_scheduler_process(*args.run_scheduler))
        return
    if args.quick:
        args.nodes, args.init_pods, args.pods = "500,100", 200, 2000
    if (args.py_spy or args.py_spy_apiserver) and not shutil.which("py-spy"):
        raise SystemExit("py-spy is not installed")
    sizes = [int(n) for n in args.nodes.split(",") if n.strip()]
    reference = python_reference_ms()  # before anything else runs
    for n in sizes:
        print(f"SchedulingBasic: {n} nodes, {args.init_pods} initial pods, {args.pods} measured pods", flush=True)
        r = asyncio.run(run_size(n, args))
        print(f"scheduling_throughput_{n}_nodes: {r['throughput']:.1f} pods/s")
        print(f"scheduling_latency_p50_{n}_nodes: {r['p50']:.1f} ms")
        print(f"scheduling_latency_p99_{n}_nodes: {r['p99']:.1f} ms")
        print(f"e2e_latency_p50_{n}_nodes: {r['e2e_p50']:.1f} ms")
        print(f"e2e_latency_p99_{n}_nodes: {r['e2e_p99']:.1f} ms")
        print(f"scheduler_cpu_{n}_nodes: {r['cpu']:.1f} s of {r['wall']:.1f} s")
        print(f"apiserver_cpu_{n}_nodes: {r['api_cpu']:.1f} s of {r['wall']:.1f} s")
        print(f"scheduled_events_when_all_bound_{n}_nodes: {r['events']:.0f} of {r['all_pods']:.0f}")
        if r["errors"] or r["unschedulable"]:
            print(f"scheduler_failures_{n}_nodes: {r['errors']:.0f} errors, {r['unschedulable']:.0f} unschedulable")
        sys.stdout.flush()
    print(f"python_reference: {reference:.0f} ms")


if __name__ == "__main__":
    main()
