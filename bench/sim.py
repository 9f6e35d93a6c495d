#!/usr/bin/env python3
"""Simulated-cluster benchmark in the shape of kwok's: nodes Ready, pods Running, pods deleted.

Starts `kyb apiserver`, `kyb scheduler` and `kyb sim --nodes N` as processes, then measures three phases with
watches (nothing is polled): (1) N simulated nodes registered and Ready; (2) P pods created directly (50 concurrent
creators, as `kwokctl scale pod` does) until every one is bound by our scheduler and Running; (3) all pods deleted
(graceful deletion: the simulated kubelet stops them and removes them) until none is left. Throughout, every
simulated node renews its Lease every 10 s as kubelets and kwok do (the rate per phase is printed). kwok's gates for 5000
nodes / 10,000 pods are 60 s, 60 s and 90 s, without a scheduler. Prints `name: value unit` lines. Usage:

    python bench/sim.py [--nodes 5000] [--pods 10000] [--timeout 300]
    python bench/sim.py --requests                       # the API server's request counts after each phase
    python bench/sim.py --py-spy apiserver:pods:/tmp/api.svg   # profile one component in one phase
                                                               # (nodes|pods|delete; .txt for raw stacks)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cluster import (  # noqa: E402
    Components, PySpy, cpu_seconds, python_reference_ms, request_counts, request_total, rss_mb)
from kybernetes.client.rest import RESTClient, resource_path  # noqa: E402
from kybernetes.machinery.errors import StatusError  # noqa: E402

NS = "bench-sim"


def _ready(node: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or ())


class _PatientClient(RESTClient):
    """A client whose requests may take up to 10 minutes (built by ``from_kubeconfig`` like any other)."""

    def __init__(self, server: str, **kw: object) -> None:
        super().__init__(server, **{**kw, "timeout": 600.0})  # type: ignore[arg-type]


async def watch_until(client: RESTClient, path: str, params: dict, done, deadline: float,
                      progress: str = "") -> None:
    """List then watch ``path``; ``done(event_type, obj)`` is called for every object (ADDED for the list's
    items) and returns True when the phase is complete.  A watch ended with 410 Expired (the API server drops
    watchers that fall too far behind) lists again, as informers do."""
    rv = ""
    last = time.monotonic()
    while time.monotonic() < deadline:
        if not rv:
            lst = await client.list(path, params)
            rv = lst["metadata"]["resourceVersion"]
            for item in lst["items"]:
                if done("ADDED", item):
                    return
        try:
            async for ev in client.watch(path, {**params, "resourceVersion": rv, "allowWatchBookmarks": "true",
                                                "timeoutSeconds": "60"}):
                obj = ev["object"]
                if ev["type"] == "ERROR":
                    if obj.get("code") == 410:
                        print(f"  ... watch expired ({obj.get('message')}): listing again", flush=True)
                        rv = ""
                        break
                    raise RuntimeError(f"watch error: {obj}")
                rv = obj["metadata"]["resourceVersion"]
                if ev["type"] != "BOOKMARK" and done(ev["type"], obj):
                    return
                if progress and time.monotonic() - last > 10:
                    last = time.monotonic()
                    print(f"  ... {progress}", flush=True)
                if time.monotonic() > deadline:
                    break
        except asyncio.TimeoutError:
            continue
    raise SystemExit(f"timed out: {progress}")


class Phases:
    """CPU seconds of every component per phase, and the optional profile of one component in one phase."""

    def __init__(self, comps: Components, args: argparse.Namespace) -> None:
        self.comps, self.args = comps, args
        self.cpu0: dict[str, float] = {}
        self.spy: PySpy | None = None
        self.renewals0 = 0.0
        self.t0 = 0.0
        self.renewal_rates: dict[str, float] = {}

    async def begin(self, phase: str, client: RESTClient) -> None:
        self.cpu0 = {name: cpu_seconds(p.pid) for name, p in self.comps.procs.items()}
        self.renewals0 = await request_total(client, resource="leases", verb="PATCH")
        self.t0 = time.monotonic()
        target, _, rest = self.args.py_spy.partition(":")
        want_phase, _, out = rest.partition(":")
        if want_phase == phase and target in self.comps.procs:
            self.spy = PySpy(self.comps.procs[target].pid, out)

    async def end(self, phase: str, client: RESTClient) -> None:
        if self.spy is not None:
            self.spy.stop()
            self.spy = None
        used = {name: cpu_seconds(p.pid) - self.cpu0.get(name, 0.0) for name, p in self.comps.procs.items()}
        print(f"  CPU seconds ({phase}): " + ", ".join(f"{k} {v:.1f}" for k, v in used.items()), flush=True)
        # the simulated kubelets' Lease renewals in this phase: 1 per node per 10 s when they keep pace
        renewals = await request_total(client, resource="leases", verb="PATCH") - self.renewals0
        self.renewal_rates[phase] = renewals / max(1e-9, time.monotonic() - self.t0)
        print(f"  Lease renewals ({phase}): {renewals:.0f} ({self.renewal_rates[phase]:.0f}/s)", flush=True)
        if self.args.requests:
            print(f"  requests so far: {await request_counts(client)}", flush=True)


async def run(args: argparse.Namespace, comps: Components) -> None:
    comps.start_apiserver()
    comps.start("scheduler", "scheduler", "--leader-elect=false")
    client = RESTClient.from_kubeconfig(comps.kubeconfig)
    phases = Phases(comps, args)
    try:
        await client.create(resource_path("", "v1", "namespaces"),
                            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        # -- phase 1: nodes -----------------------------------------------------------------------------------
        t0 = time.monotonic()
        comps.start("sim", "sim", "--nodes", str(args.nodes), "--ready-delay", "0", "--name-prefix", "node-")
        await phases.begin("nodes", client)
        ready: set[str] = set()

        def node_done(kind: str, node: dict) -> bool:
            name = node["metadata"]["name"]
            if kind != "DELETED" and _ready(node):
                ready.add(name)
            else:
                ready.discard(name)
            return len(ready) >= args.nodes

        await watch_until(client, resource_path("", "v1", "nodes"), {}, node_done, t0 + args.timeout,
                          progress="nodes ready")
        nodes_s = time.monotonic() - t0
        print(f"  {args.nodes} nodes Ready in {nodes_s:.1f}s", flush=True)
        await phases.end("nodes", client)
        comps.check_alive()

        # -- phase 2: pods running ----------------------------------------------------------------------------
        pods_path = resource_path("", "v1", "pods", NS)
        running: set[str] = set()

        def pod_done(kind: str, pod: dict) -> bool:
            name = pod["metadata"]["name"]
            if kind != "DELETED" and (pod.get("status") or {}).get("phase") == "Running":
                running.add(name)
            return len(running) >= args.pods

        await phases.begin("pods", client)
        t1 = time.monotonic()
        counter = iter(range(args.pods))

        async def creator() -> None:
            for i in counter:
                body = {"apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": f"pod-{i:05d}", "labels": {"app": "bench-sim"}},
                        "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                                 "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}
                for attempt in range(5):
                    try:
                        await client.create(pods_path, body)
                        break
                    except StatusError as e:
                        if e.code == 409:
                            break
                        await asyncio.sleep(0.2 * (attempt + 1))

        watcher = asyncio.create_task(watch_until(client, pods_path, {}, pod_done, t1 + args.timeout,
                                                  progress="pods running"))
        await asyncio.gather(*(creator() for _ in range(50)))
        created_s = time.monotonic() - t1
        await watcher
        pods_s = time.monotonic() - t1
        print(f"  {args.pods} pods created in {created_s:.1f}s, Running in {pods_s:.1f}s", flush=True)
        await phases.end("pods", client)
        comps.check_alive()

        # -- phase 3: pods deleted ----------------------------------------------------------------------------
        await phases.begin("delete", client)
        t2 = time.monotonic()
        gone: set[str] = set()

        def delete_done(kind: str, pod: dict) -> bool:
            if kind == "DELETED":
                gone.add(pod["metadata"]["name"])
            return len(gone) >= args.pods

        # watch from now: a DELETED event for every pod
        lst = await client.list(pods_path, {"limit": "1"})
        rv = lst["metadata"]["resourceVersion"]

        async def watch_deletes() -> None:
            nonlocal rv
            deadline = t2 + args.timeout
            while time.monotonic() < deadline:
                async for ev in client.watch(pods_path, {"resourceVersion": rv, "allowWatchBookmarks": "true",
                                                         "timeoutSeconds": "60"}):
                    if ev["type"] == "ERROR":
                        if ev["object"].get("code") != 410:
                            raise RuntimeError(f"watch error: {ev['object']}")
                        # dropped for falling behind: what is not listed any more is gone
                        print(f"  ... watch expired ({ev['object'].get('message')}): listing again", flush=True)
                        lst = await client.list(pods_path)
                        present = {p["metadata"]["name"] for p in lst["items"]}
                        for i in range(args.pods):
                            if f"pod-{i:05d}" not in present and delete_done("DELETED", {"metadata": {
                                    "name": f"pod-{i:05d}"}}):
                                return
                        rv = lst["metadata"]["resourceVersion"]
                        break
                    rv = ev["object"]["metadata"].get("resourceVersion", rv)
                    if ev["type"] == "DELETED" and delete_done("DELETED", ev["object"]):
                        return
            raise SystemExit("timed out: pods deleted")

        watcher = asyncio.create_task(watch_deletes())
        # deletecollection: one request that lasts as long as deleting every pod takes (longer than the
        # client's usual 30 s request timeout at 10,000 pods)
        deleter = _PatientClient.from_kubeconfig(comps.kubeconfig)
        try:
            await deleter.delete(pods_path, {"apiVersion": "v1", "kind": "DeleteOptions"})
        finally:
            await deleter.close()
        await watcher
        delete_s = time.monotonic() - t2
        print(f"  {args.pods} pods deleted in {delete_s:.1f}s", flush=True)
        await phases.end("delete", client)
        api = comps.procs["apiserver"].pid
        sched = comps.procs["scheduler"].pid
        sim = comps.procs["sim"].pid
        print(f"nodes_ready_seconds: {nodes_s:.1f} s")
        print(f"pods_running_seconds: {pods_s:.1f} s")
        print(f"pods_deleted_seconds: {delete_s:.1f} s")
        print(f"apiserver_rss: {rss_mb(api):.0f} MB")
        print(f"scheduler_rss: {rss_mb(sched):.0f} MB")
        print(f"sim_rss: {rss_mb(sim):.0f} MB")
        print(f"cpu_seconds_apiserver: {cpu_seconds(api):.1f} s")
        print(f"cpu_seconds_scheduler: {cpu_seconds(sched):.1f} s")
        print(f"cpu_seconds_sim: {cpu_seconds(sim):.1f} s")
        print(f"lease_renewals_pods_phase: {phases.renewal_rates['pods']:.0f} renewals/s")
    finally:
        await client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--timeout", type=float, default=300.0, help="bound of each phase in seconds")
    ap.add_argument("--keep", action="store_true", help="keep the data dir (logs) afterwards")
    ap.add_argument("--requests", action="store_true", help="print the API server's request counts per phase")
    ap.add_argument("--py-spy", default="", metavar="COMPONENT:PHASE:FILE",
                    help="profile apiserver, scheduler or sim during phase nodes, pods or delete")
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
