"""The scheduler against a real API server with simulated nodes: pods are bound, an unschedulable pod is told why
and placed once a fitting node appears, profiles are honoured, foreign pods are left alone, kubectl shows the node,
and ``kyb scheduler`` runs as its own process under leader election.

The module runs its own API server (a scheduler would otherwise bind other tests' pods).  Each test registers its
own simulated nodes and deletes them afterwards.  Tests whose expectations come from real plugins (the
"Insufficient cpu" message) skip themselves while that plugin module does not exist yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery.errors import StatusError
from kybernetes.scheduler.config import API_VERSION, KIND, SchedulerConfig, parse_config
from kybernetes.scheduler.plugins.registry import default_registry
from kybernetes.scheduler.scheduler import Scheduler
from kybernetes.sim.nodes import SimulatedNodes
from tests.conftest import ROOT, kubectl_binary, start_cluster

WAIT = 30.0


@pytest.fixture(scope="module")
def kyb(tmp_path_factory):
    c = start_cluster(tmp_path_factory.mktemp("kyb-sched"))
    yield c
    c.stop()
    if c.proc.returncode not in (0, -signal.SIGTERM):
        print(c.log.read_text()[-4000:])


def needs_plugins(*names: str) -> None:
    reg = default_registry()
    missing = [n for n in names if not reg.available(n)]
    if missing:
        pytest.skip(f"scheduler plugin module(s) not written yet: {', '.join(missing)}")


@dataclass
class Env:
    client: RESTClient
    ns: str
    sim: SimulatedNodes
    scheduler: Scheduler | None
    extra: list[SimulatedNodes] = field(default_factory=list)

    async def until(self, fn: Any, timeout: float = WAIT, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            v = fn()
            if asyncio.iscoroutine(v):
                v = await v
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not reached in {timeout}s")
            await asyncio.sleep(0.1)

    async def create_pod(self, name: str, cpu: str = "100m", **spec: Any) -> dict:
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"containers": [{"name": "c", "image": "busybox",
                                         "resources": {"requests": {"cpu": cpu}}}], **spec}}
        return await self.client.create(resource_path("", "v1", "pods", self.ns), body)

    async def pod(self, name: str) -> dict:
        return await self.client.get(resource_path("", "v1", "pods", self.ns, name))

    async def node_of(self, name: str) -> str:
        return (await self.pod(name))["spec"].get("nodeName") or ""

    async def events(self, name: str, reason: str) -> list[dict]:
        items = (await self.client.list(resource_path("", "v1", "events", self.ns),
                                        {"fieldSelector": f"involvedObject.name={name}"}))["items"]
        return [e for e in items if e["reason"] == reason]


@contextlib.asynccontextmanager
async def scheduling(cluster, *, nodes: int = 2, cpu: str = "2", config: SchedulerConfig | None = None,
                     in_process: bool = True):
    client = RESTClient.from_kubeconfig(cluster.kubeconfig)
    ns = f"s-{uuid.uuid4().hex[:8]}"
    await client.create(resource_path("", "v1", "namespaces"), {"apiVersion": "v1", "kind": "Namespace",
                                                                "metadata": {"name": ns}})
    sim = SimulatedNodes(client, count=nodes, name_prefix=f"{ns}-n", cpu=cpu, ready_delay=0.05)
    env = Env(client, ns, sim, None)
    try:
        await sim.start()
        if in_process:
            env.scheduler = Scheduler(client, config)
            await env.scheduler.start()
        yield env
    finally:
        if env.scheduler is not None:
            await env.scheduler.stop()
        for s in [sim, *env.extra]:
            await s.stop()
            for name in s.node_names:
                with contextlib.suppress(StatusError):
                    await client.delete(resource_path("", "v1", "nodes", name=name))
        await client.close()


async def test_pods_are_bound(kyb):
    async with scheduling(kyb, nodes=3) as env:
        names = [f"p{i}" for i in range(6)]
        for n in names:
            await env.create_pod(n)

        async def all_bound():
            return all([await env.node_of(n) for n in names])

        await env.until(all_bound, what="all pods bound")
        for n in names:
            p = await env.pod(n)
            assert p["spec"]["nodeName"] in env.sim.node_names
            cond = {c["type"]: c["status"] for c in p["status"].get("conditions") or []}
            assert cond.get("PodScheduled") == "True"
        ev = await env.until(lambda: env.events("p0", "Scheduled"), what="Scheduled event")
        assert ev[0]["message"] == f"Successfully assigned {env.ns}/p0 to {await env.node_of('p0')}"
        assert ev[0]["source"]["component"] == "default-scheduler"
        assert ev[0]["type"] == "Normal"


async def test_unschedulable_pod_is_told_why_then_scheduled_when_a_node_fits(kyb):
    needs_plugins("NodeResourcesFit")
    async with scheduling(kyb, nodes=2, cpu="1") as env:
        await env.create_pod("big", cpu="3")
        ev = await env.until(lambda: env.events("big", "FailedScheduling"), what="FailedScheduling event")
        msg = ev[0]["message"]
        assert msg.startswith("0/2 nodes are available: 2 Insufficient cpu."), msg
        assert ev[0]["type"] == "Warning" and ev[0]["source"]["component"] == "default-scheduler"

        async def condition():
            conds = (await env.pod("big"))["status"].get("conditions") or []
            return next((c for c in conds if c["type"] == "PodScheduled"), None)

        cond = await env.until(condition, what="PodScheduled condition")
        assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
        assert cond["message"] == msg
        assert await env.node_of("big") == ""
        bigger = SimulatedNodes(env.client, count=1, name_prefix=f"{env.ns}-big", cpu="8", ready_delay=0.05)
        env.extra.append(bigger)
        await bigger.start()
        node = await env.until(lambda: env.node_of("big"), what="pod scheduled on the new node")
        assert node == bigger.node_names[0]


async def test_second_profile_and_unknown_scheduler_name(kyb):
    cfg = parse_config({"apiVersion": API_VERSION, "kind": KIND, "leaderElection": {"leaderElect": False},
                        "profiles": [{"schedulerName": "default-scheduler"}, {"schedulerName": "second"}]})
    async with scheduling(kyb, nodes=1, config=cfg) as env:
        await env.create_pod("foreign", schedulerName="someone-else")
        await env.create_pod("mine", schedulerName="second")
        await env.create_pod("plain")
        await env.until(lambda: env.node_of("mine"), what="second profile's pod bound")
        await env.until(lambda: env.node_of("plain"), what="default pod bound")
        ev = await env.until(lambda: env.events("mine", "Scheduled"), what="Scheduled event")
        assert ev[0]["source"]["component"] == "second"
        # created before the others and still untouched: not ours to schedule
        p = await env.pod("foreign")
        assert p["spec"].get("nodeName") is None
        assert not any(c["type"] == "PodScheduled" for c in p["status"].get("conditions") or [])
        assert await env.events("foreign", "FailedScheduling") == []


async def test_kubectl_shows_node_column(kyb):
    kubectl = kubectl_binary(32)
    if kubectl is None:
        pytest.skip("kubectl.1.32 is not installed")
    async with scheduling(kyb, nodes=1) as env:
        await env.create_pod("web")
        node = await env.until(lambda: env.node_of("web"), what="pod bound")
        out = await asyncio.to_thread(subprocess.run, [kubectl, "--kubeconfig", str(kyb.kubeconfig), "get", "pods",
                                                       "-n", env.ns, "-o", "wide"],
                                      capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        header, row = out.stdout.splitlines()[:2]
        assert header.split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
        assert "NOMINATED" in header
        cols = row.split()
        assert cols[0] == "web" and node in cols


async def test_kyb_scheduler_process_with_leader_election(kyb, tmp_path):
    async with scheduling(kyb, nodes=1, in_process=False) as env:
        log = tmp_path / "scheduler.log"
        proc = subprocess.Popen([sys.executable, "-m", "kybernetes", "scheduler", "--kubeconfig",
                                 str(kyb.kubeconfig), "--leader-elect=true", "-v", "1"],
                                stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            await env.create_pod("solo")
            await env.until(lambda: env.node_of("solo"), what="pod bound by kyb scheduler")
            lease = await env.client.get(resource_path("coordination.k8s.io", "v1", "leases", "kube-system",
                                                       "kube-scheduler"))
            assert lease["spec"]["holderIdentity"]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.to_thread(proc.wait, 20)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait(5)
        assert code == 0, log.read_text()[-3000:]
        lease = await env.client.get(resource_path("coordination.k8s.io", "v1", "leases", "kube-system",
                                                   "kube-scheduler"))
        assert lease["spec"].get("holderIdentity") in (None, "")  # released on shutdown


async def test_kyb_scheduler_rejects_bad_config(kyb, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"apiVersion: {API_VERSION}\nkind: {KIND}\npercentageOfNodesToScore: 300\n")
    out = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "kybernetes", "scheduler", "--kubeconfig", str(kyb.kubeconfig),
                         "--config", str(bad)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 2
    assert "percentageOfNodesToScore: Invalid value: 300: not in valid range [0-100]" in out.stderr
