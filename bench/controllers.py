#!/usr/bin/env python3
"""Controller-manager benchmark: D Deployments x R replicas on N simulated nodes until every one is Available.

Starts `kyb apiserver`, `kyb scheduler`, `kyb controller-manager` and `kyb sim --nodes N` as processes, creates D
Deployments (20 concurrent creators) and follows pods and Deployments with watches until every Deployment reports
Available with R available replicas. Prints the time, pods created per second (first to last pod ADDED), and the
controller manager's CPU seconds and RSS. Goal (issue 6): 10,000 pods Available in under 60 s. Usage:

    python bench/controllers.py [--deployments 1000] [--replicas 10] [--nodes 100] [--timeout 600]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cluster import Components, PySpy, cpu_seconds, request_counts, python_reference_ms, rss_mb  # noqa: E402
from kybernetes.client.rest import RESTClient, resource_path  # noqa: E402
from kybernetes.machinery.errors import StatusError  # noqa: E402

NS = "bench-ctrl"


def deployment(name: str, replicas: int) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "busybox:1.36",
                                                           "resources": {"requests": {"cpu": "10m",
                                                                                      "memory": "16Mi"}}}]}}}}


def available(d: dict, replicas: int) -> bool:
    st = d.get("status") or {}
    cond = any(c.get("type") == "Available" and c.get("status") == "True" for c in st.get("conditions") or ())
    return cond and st.get("availableReplicas") == replicas and st.get("updatedReplicas") == replicas \
        and st.get("observedGeneration", 0) >= d["metadata"].get("generation", 1)


async def follow(client: RESTClient, path: str, on_event, deadline: float, relist: bool = False) -> None:
    """Watch ``path`` from now until ``on_event(type, obj)`` returns True or the deadline passes.  A watch that
    ends with an error (410: this client fell behind) is resumed from a fresh list, whose items are replayed as
    ADDED when ``relist`` (level-triggered consumers), or skipped (event counters)."""
    rv = (await client.list(path, {"limit": "1"}))["metadata"]["resourceVersion"]
    while time.monotonic() < deadline:
        try:
            async for ev in client.watch(path, {"resourceVersion": rv, "allowWatchBookmarks": "true",
                                                "timeoutSeconds": "60"}):
                if ev["type"] == "ERROR":
                    lst = await client.list(path)
                    rv = lst["metadata"]["resourceVersion"]
                    if relist and any([on_event("ADDED", item) for item in lst["items"]]):
                        return
                    break
                rv = ev["object"]["metadata"].get("resourceVersion", rv)
                if ev["type"] != "BOOKMARK" and on_event(ev["type"], ev["object"]):
                    return
                if time.monotonic() > deadline:
                    break
        except asyncio.TimeoutError:
            continue
    raise SystemExit(f"timed out following {path}")


async def run(args: argparse.Namespace, comps: Components) -> None:
    comps.start_apiserver()
    client = RESTClient.from_kubeconfig(comps.kubeconfig)
    try:
        await client.create(resource_path("", "v1", "namespaces"),
                            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        comps.start("sim", "sim", "--nodes", str(args.nodes), "--ready-delay", "0.2",
                    "--pods", str(max(110, 2 * args.deployments * args.replicas // args.nodes)))
        comps.start("scheduler", "scheduler", "--leader-elect=false")
        comps.start("controller-manager", "controller-manager", "--leader-elect=false")
        # wait for the nodes before starting the clock
        for _ in range(600):
            nodes = (await client.list(resource_path("", "v1", "nodes")))["items"]
            if len(nodes) >= args.nodes:
                break
            comps.check_alive()
            await asyncio.sleep(0.5)
        cpu0 = {name: cpu_seconds(p.pid) for name, p in comps.procs.items()}
        spy = None
        if args.py_spy:
            target, _, out = args.py_spy.partition(":")
            spy = PySpy(comps.procs[target].pid, out)
        total = args.deployments * args.replicas
        t0 = time.monotonic()
        deadline = t0 + args.timeout
        pod_times: list[float] = []
        done: set[str] = set()

        def on_pod(kind: str, pod: dict) -> bool:
            if kind == "ADDED":
                pod_times.append(time.monotonic())
            return False

        def on_deploy(kind: str, d: dict) -> bool:
            if kind != "DELETED" and available(d, args.replicas):
                done.add(d["metadata"]["name"])
            return len(done) >= args.deployments

        pods_task = asyncio.create_task(follow(client, resource_path("", "v1", "pods", NS), on_pod, deadline))
        deploy_task = asyncio.create_task(follow(client, resource_path("apps", "v1", "deployments", NS),
                                                 on_deploy, deadline, relist=True))
        counter = iter(range(args.deployments))
        path = resource_path("apps", "v1", "deployments", NS)

        async def creator() -> None:
            for i in counter:
                for attempt in range(5):
                    try:
                        await client.create(path, deployment(f"d-{i:04d}", args.replicas))
                        break
                    except StatusError as e:
                        if e.code == 409:
                            break
                        await asyncio.sleep(0.2 * (attempt + 1))

        async def reporter() -> None:
            while True:
                await asyncio.sleep(10)
                comps.check_alive()
                print(f"  ... {time.monotonic() - t0:.0f}s: {len(pod_times)} pods created, "
                      f"{len(done)} deployments available", flush=True)

        rep = asyncio.create_task(reporter())
        await asyncio.gather(*(creator() for _ in range(20)))
        created_s = time.monotonic() - t0
        await deploy_task
        all_s = time.monotonic() - t0
        rep.cancel()
        pods_task.cancel()
        pods_rate = (len(pod_times) - 1) / (pod_times[-1] - pod_times[0]) if len(pod_times) > 1 else 0.0
        print(f"  {args.deployments} deployments created in {created_s:.1f}s; {total} pods available in {all_s:.1f}s")
        print(f"deployments_available_seconds: {all_s:.1f} s")
        print(f"pods_created_per_second: {pods_rate:.0f} pods/s")
        if spy is not None:
            spy.stop()
        cpu = {name: cpu_seconds(p.pid) - cpu0[name] for name, p in comps.procs.items()}
        print("  CPU seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
        if args.requests:
            print("  requests: " + await request_counts(client))
        print(f"controller_manager_cpu_seconds: {cpu['controller-manager']:.1f} s")
        print(f"apiserver_cpu_seconds: {cpu['apiserver']:.1f} s")
        print(f"controller_manager_rss: {rss_mb(comps.procs['controller-manager'].pid):.0f} MB")
        print(f"apiserver_rss: {rss_mb(comps.procs['apiserver'].pid):.0f} MB")
    finally:
        await client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deployments", type=int, default=1000)
    ap.add_argument("--replicas", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--keep", action="store_true", help="keep the data dir (logs) afterwards")
    ap.add_argument("--requests", action="store_true", help="print the API server's request counts")
    ap.add_argument("--py-spy", default="", metavar="COMPONENT:FILE",
                    help="profile one component (apiserver, controller-manager, scheduler, sim) during the run; "
                         "FILE.svg is a flame graph, FILE.txt raw stacks")
    args = ap.parse_args()
    reference = python_reference_ms()  # before anything else runs
    comps = Components(keep=args.keep)
    try:
        asyncio.run(run(args, comps))
    finally:
        comps.close()
    print(f"python_reference: {reference:.0f} ms")


if __name__ == "__main__":
    main()
