"""The scheduler against a real API server with simulated nodes: pods are bound, an unschedulable pod is told why
and placed once a fitting node appears, profiles are honoured, foreign pods are left alone, kubectl shows the node,
and ``kyb scheduler`` runs as its own process under leader election.

The module runs its own API server (a scheduler would otherwise bind other tests' pods).  Each test registers its
own simulated nodes (groups of them with their own labels, taints and sizes) and deletes them and its pods
afterwards.  Tests whose expectations come from real plugins (the "Insufficient cpu" message) skip themselves while
that plugin module does not exist yet.

Placement tests are built so that a broken rule shows: without the rule under test, the default scoring
(LeastAllocated + BalancedAllocation, which spread pods) would put at least one pod elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from kybernetes.client.informer import Informer
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
    groups: dict[str, SimulatedNodes] = field(default_factory=dict)  # scheduling(groups=...) by group name

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

    async def create_pod(self, name: str, cpu: str = "100m", *, memory: str | None = None,
                         labels: dict[str, str] | None = None, **spec: Any) -> dict:
        requests = {"cpu": cpu, **({"memory": memory} if memory else {})}
        meta: dict[str, Any] = {"name": name, **({"labels": labels} if labels else {})}
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                "spec": {"containers": [{"name": "c", "image": "busybox",
                                         "resources": {"requests": requests}}], **spec}}
        return await self.client.create(resource_path("", "v1", "pods", self.ns), body)

    async def pod(self, name: str) -> dict:
        return await self.client.get(resource_path("", "v1", "pods", self.ns, name))

    async def node_of(self, name: str) -> str:
        return (await self.pod(name))["spec"].get("nodeName") or ""

    async def events(self, name: str, reason: str) -> list[dict]:
        items = (await self.client.list(resource_path("", "v1", "events", self.ns),
                                        {"fieldSelector": f"involvedObject.name={name}"}))["items"]
        return [e for e in items if e["reason"] == reason]

    async def placed(self, names: list[str], what: str = "pods bound") -> dict[str, str]:
        """Wait until every pod in ``names`` is bound; pod name -> node name."""
        async def all_bound():
            nodes = {n: await self.node_of(n) for n in names}
            return nodes if all(nodes.values()) else None

        return await self.until(all_bound, what=what)

    async def failed_scheduling(self, name: str) -> str:
        """The message of the pod's first FailedScheduling event (waits for it)."""
        ev = await self.until(lambda: self.events(name, "FailedScheduling"), what=f"FailedScheduling of {name}")
        return ev[0]["message"]


@contextlib.asynccontextmanager
async def scheduling(cluster, *, nodes: int = 2, cpu: str = "2", config: SchedulerConfig | None = None,
                     in_process: bool = True, groups: dict[str, dict[str, Any]] | None = None):
    """A namespace, ``nodes`` simulated nodes ``<ns>-n<i>`` and, per entry of ``groups``, a group of simulated
    nodes ``<ns>-<group>-<i>`` (its dict: SimulatedNodes keyword arguments, ``count`` defaulting to 1), all
    registered before the scheduler starts (so its first snapshot has them all).  On exit the namespace's pods
    and every node are deleted."""
    client = RESTClient.from_kubeconfig(cluster.kubeconfig)
    ns = f"s-{uuid.uuid4().hex[:8]}"
    await client.create(resource_path("", "v1", "namespaces"), {"apiVersion": "v1", "kind": "Namespace",
                                                                "metadata": {"name": ns}})
    sim = SimulatedNodes(client, count=nodes, name_prefix=f"{ns}-n", cpu=cpu, ready_delay=0.05)
    env = Env(client, ns, sim, None)
    for gname, opts in (groups or {}).items():
        opts = {"count": 1, "ready_delay": 0.05, **opts}
        env.groups[gname] = SimulatedNodes(client, name_prefix=f"{ns}-{gname}-", **opts)
        env.extra.append(env.groups[gname])
    try:
        await sim.start()
        for g in env.groups.values():
            await g.start()
        if in_process:
            env.scheduler = Scheduler(client, config)
            await env.scheduler.start()
        yield env
    finally:
        if env.scheduler is not None:
            await env.scheduler.stop()
        # pods left Pending would be bound to the next test's nodes by the next test's scheduler
        with contextlib.suppress(StatusError):
            for p in (await client.list(resource_path("", "v1", "pods", ns)))["items"]:
                with contextlib.suppress(StatusError):
                    await client.delete(resource_path("", "v1", "pods", ns, p["metadata"]["name"]),
                                        {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
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


# -- placement rules -----------------------------------------------------------------------------------------------

def zone(z: str) -> dict[str, str]:
    return {"topology.kubernetes.io/zone": z}


def hostname(node: str) -> dict[str, str]:
    return {"kubernetes.io/hostname": node}


def node_term(*exprs: tuple[str, str, list[str]]) -> dict[str, Any]:
    return {"matchExpressions": [{"key": k, "operator": op, "values": v} for k, op, v in exprs]}


async def test_node_selector(kyb):
    needs_plugins("NodeAffinity")
    async with scheduling(kyb, nodes=2, groups={"ssd": {"cpu": "2", "labels": {"disk": "ssd"}}}) as env:
        ssd = env.groups["ssd"].node_names[0]
        names = [f"fast{i}" for i in range(4)]
        for n in names:
            await env.create_pod(n, nodeSelector={"disk": "ssd"})
        # spread over the three nodes if the selector were ignored
        assert set((await env.placed(names)).values()) == {ssd}
        await env.create_pod("nvme", nodeSelector={"disk": "nvme"})
        msg = await env.failed_scheduling("nvme")
        assert msg.startswith("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."), msg
        assert await env.node_of("nvme") == ""


async def test_required_and_preferred_node_affinity(kyb):
    needs_plugins("NodeAffinity")
    tiers = {t: {"cpu": "2", "labels": {"tier": t}} for t in ("gold", "silver", "bronze")}
    async with scheduling(kyb, nodes=0, groups=tiers) as env:
        node = {t: env.groups[t].node_names[0] for t in tiers}

        def required(*exprs: tuple[str, str, list[str]]) -> dict[str, Any]:
            return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [node_term(*exprs)]}}}

        # In: three pods would take one node each without the rule; gold stays empty
        ins = [f"in{i}" for i in range(3)]
        for n in ins:
            await env.create_pod(n, affinity=required(("tier", "In", ["silver", "bronze"])))
        assert set((await env.placed(ins)).values()) <= {node["silver"], node["bronze"]}
        # NotIn: the empty gold node would win on resources
        notins = ["notin0", "notin1"]
        for n in notins:
            await env.create_pod(n, affinity=required(("tier", "NotIn", ["gold", "silver"])))
        assert set((await env.placed(notins)).values()) == {node["bronze"]}
        # Preferred: bronze is now the busiest node and gold the emptiest; the heavier term wins
        preferred = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 20, "preference": node_term(("tier", "In", ["silver"]))},
            {"weight": 80, "preference": node_term(("tier", "In", ["bronze"]))}]}}
        prefs = ["pref0", "pref1"]
        for n in prefs:
            await env.create_pod(n, affinity=preferred)
        assert set((await env.placed(prefs)).values()) == {node["bronze"]}


async def test_pod_anti_affinity_and_affinity(kyb):
    needs_plugins("InterPodAffinity")
    async with scheduling(kyb, nodes=3) as env:
        anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}}
        webs = [f"web{i}" for i in range(3)]
        for n in webs:
            await env.create_pod(n, labels={"app": "web"}, affinity=anti)
        assert len(set((await env.placed(webs)).values())) == 3
        await env.create_pod("web3", labels={"app": "web"}, affinity=anti)
        msg = await env.failed_scheduling("web3")
        assert msg == ("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 "
                       "nodes are available: 3 No preemption victims found for incoming pod."), msg
        assert await env.node_of("web3") == ""

        # affinity: next to the db pod, although the default scoring would spread them
        await env.create_pod("db", labels={"app": "db"})
        db_node = (await env.placed(["db"]))["db"]
        near_db = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}
        apis = [f"api{i}" for i in range(3)]
        for n in apis:
            await env.create_pod(n, affinity=near_db)
        assert set((await env.placed(apis)).values()) == {db_node}
        # required affinity to pods that do not exist
        await env.create_pod("lonely", affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}]}})
        msg = await env.failed_scheduling("lonely")
        assert msg.startswith("0/3 nodes are available: 3 node(s) didn't match pod affinity rules."), msg


async def test_taints_and_tolerations(kyb):
    needs_plugins("TaintToleration", "NodeResourcesFit")
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    async with scheduling(kyb, nodes=2, cpu="1", groups={"gpu": {"cpu": "4", "taints": [taint]}}) as env:
        gpu = env.groups["gpu"].node_names[0]
        # the tainted node is the emptiest and biggest: only the taint keeps these pods off it
        plain = [f"plain{i}" for i in range(4)]
        for n in plain:
            await env.create_pod(n, cpu="200m")
        assert set((await env.placed(plain)).values()) <= set(env.sim.node_names)
        await env.create_pod("big", cpu="2")
        msg = await env.failed_scheduling("big")
        assert msg == ("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient "
                       "cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No "
                       "preemption victims found for incoming pod."), msg
        toleration = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
        await env.create_pod("trainer", cpu="2", tolerations=[toleration])
        assert (await env.placed(["trainer"]))["trainer"] == gpu
        assert await env.node_of("big") == ""


async def test_topology_spread_over_zones(kyb):
    needs_plugins("PodTopologySpread")
    groups = {"a": {"count": 3, "labels": zone("a")}, "b": {"labels": zone("b")}, "c": {"labels": zone("c")}}
    async with scheduling(kyb, nodes=0, groups=groups) as env:
        zone_of = {n: z for z, g in env.groups.items() for n in g.node_names}
        spread = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                   "labelSelector": {"matchLabels": {"app": "spread"}}}]
        names = [f"s{i}" for i in range(6)]
        for n in names:
            await env.create_pod(n, labels={"app": "spread"}, topologySpreadConstraints=spread)
        placed = await env.placed(names)
        counts = {z: 0 for z in groups}
        for node in placed.values():
            counts[zone_of[node]] += 1
        # one pod per node (what resource scoring alone does) would give zone a 3
        assert counts == {"a": 2, "b": 2, "c": 2}, placed


async def test_resource_requests_beat_preferences(kyb):
    needs_plugins("NodeResourcesFit", "NodeAffinity")
    groups = {"small": {"count": 2, "cpu": "1", "memory": "2Gi", "labels": {"size": "small"}},
              "cpus": {"cpu": "8", "memory": "2Gi"}, "mem": {"cpu": "1", "memory": "32Gi"}}
    async with scheduling(kyb, nodes=0, groups=groups) as env:
        likes_small = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": node_term(("size", "In", ["small"]))}]}}
        await env.create_pod("cpu-hungry", cpu="3", affinity=likes_small)
        await env.create_pod("mem-hungry", cpu="100m", memory="16Gi", affinity=likes_small)
        await env.create_pod("modest", cpu="100m", memory="100Mi", affinity=likes_small)
        placed = await env.placed(["cpu-hungry", "mem-hungry", "modest"])
        assert placed["cpu-hungry"] == env.groups["cpus"].node_names[0]
        assert placed["mem-hungry"] == env.groups["mem"].node_names[0]
        assert placed["modest"] in env.groups["small"].node_names


def most_allocated_config() -> SchedulerConfig:
    return parse_config({"apiVersion": API_VERSION, "kind": KIND, "leaderElection": {"leaderElect": False},
                         "profiles": [{"schedulerName": "default-scheduler", "pluginConfig": [
                             {"name": "NodeResourcesFit", "args": {"scoringStrategy": {
                                 "type": "MostAllocated",
                                 "resources": [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]}}}]}]})


@pytest.mark.parametrize("strategy, want_nodes", [("MostAllocated", 1), ("LeastAllocated", 4)])
async def test_scoring_strategy_packs_or_spreads(kyb, strategy, want_nodes):
    needs_plugins("NodeResourcesFit")
    # cpu and memory requested in the same proportion of the nodes' capacity: BalancedAllocation scores every
    # node 100 and cannot pull against MostAllocated (with cpu-only requests it exactly cancels it).  Bare pods
    # get no default topology spreading, and the simulated nodes report no images: nothing else differs.
    cfg = most_allocated_config() if strategy == "MostAllocated" else None
    async with scheduling(kyb, nodes=4, cpu="4", config=cfg) as env:
        assert env.sim.capacity["memory"] == "256Gi"  # 500m of 4 cpus = 32Gi of 256Gi
        names = [f"w{i}" for i in range(4)]
        for n in names:
            await env.create_pod(n, cpu="500m", memory="32Gi")
        placed = await env.placed(names)
        assert len(set(placed.values())) == want_nodes, placed


# -- preemption ------------------------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def priority_classes(env: Env, **values: int):
    """PriorityClasses ``<ns>-<key>`` with the given values (yields key -> name); deleted on exit."""
    names = {k: f"{env.ns}-{k}" for k in values}
    try:
        for k, v in values.items():
            await env.client.create(resource_path("scheduling.k8s.io", "v1", "priorityclasses"), {
                "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": names[k]},
                "value": v})
        yield names
    finally:
        for name in names.values():
            with contextlib.suppress(StatusError):
                await env.client.delete(resource_path("scheduling.k8s.io", "v1", "priorityclasses", name=name))


class PodHistory:
    """Every state of the namespace's pods seen through a watch (key: pod name)."""

    def __init__(self, env: Env) -> None:
        self.states: dict[str, list[dict]] = {}
        self.informer = Informer(env.client, "", "v1", "pods", namespace=env.ns)
        self.informer.add_event_handler(on_add=self._record, on_update=lambda old, new: self._record(new))

    def _record(self, pod: dict) -> None:
        self.states.setdefault(pod["metadata"]["name"], []).append(pod)

    async def __aenter__(self) -> PodHistory:
        self.informer.start()
        await self.informer.wait_synced(10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.informer.stop()


async def test_preemption_evicts_the_right_victim(kyb):
    needs_plugins("DefaultPreemption", "NodeResourcesFit")
    async with scheduling(kyb, nodes=2, cpu="1500m") as env, \
            priority_classes(env, p100=100, p200=200, p300=300, p1000=1000) as pc:
        a, b = env.sim.node_names
        # both nodes full (3 x 500m); a's cheapest pod has priority 200, b's 100
        low = {"a200": (a, "p200"), "a300": (a, "p300"), "a300b": (a, "p300"),
               "b100": (b, "p100"), "b200": (b, "p200"), "b300": (b, "p300")}
        for name, (node, prio) in low.items():
            await env.create_pod(name, cpu="500m", nodeSelector=hostname(node), priorityClassName=pc[prio])
        assert await env.placed(list(low)) == {n: node for n, (node, _) in low.items()}
        assert (await env.pod("b100"))["spec"]["priority"] == 100
        async with PodHistory(env) as history:
            vip = await env.create_pod("vip", cpu="500m", priorityClassName=pc["p1000"])
            # b's victims (one pod of priority 100) are cheaper than a's (priority 200)
            assert (await env.placed(["vip"]))["vip"] == b

            async def b100_gone():
                try:
                    await env.pod("b100")
                except StatusError as e:
                    return e.code == 404
                return False

            await env.until(b100_gone, what="victim deleted")
        assert {(await env.pod(n))["metadata"].get("deletionTimestamp") for n in low if n != "b100"} == {None}
        # the preemptor was nominated to b before it was bound there
        assert any((p.get("status") or {}).get("nominatedNodeName") == b and not p["spec"].get("nodeName")
                   for p in history.states["vip"]), history.states["vip"]
        # the victim was marked and deleted gracefully (its 30 s grace period, cut short by the simulated kubelet)
        deleting = [p for p in history.states["b100"] if p["metadata"].get("deletionTimestamp")]
        assert deleting, history.states["b100"]
        assert deleting[0]["metadata"]["deletionGracePeriodSeconds"] == 30
        cond = next(c for c in deleting[0]["status"]["conditions"] if c["type"] == "DisruptionTarget")
        assert (cond["status"], cond["reason"]) == ("True", "PreemptionByScheduler")
        assert cond["message"] == "default-scheduler: preempting to accommodate a higher priority pod"
        ev = await env.until(lambda: env.events("b100", "Preempted"), what="Preempted event")
        assert ev[0]["message"] == f"Preempted by pod {vip['metadata']['uid']} on node {b}"
        assert ev[0]["source"]["component"] == "default-scheduler"
        msgs = [e["message"] for e in await env.events("vip", "FailedScheduling")]
        assert "0/2 nodes are available: 2 Insufficient cpu." in msgs, msgs


# -- kubectl ---------------------------------------------------------------------------------------------------------

def wide_table(text: str) -> dict[str, dict[str, str]]:
    """``kubectl get pods -o wide`` output cut at the header's column positions: pod name -> column -> cell."""
    lines = text.splitlines()
    header = lines[0]
    starts = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    rows = {}
    for line in lines[1:]:
        cells = {}
        for i, (start, title) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(line)
            cells[title] = line[start:end].strip()
        rows[cells["NAME"]] = cells
    return rows


async def test_kubectl_wide_shows_node_and_nominated_node(kyb):
    needs_plugins("DefaultPreemption", "NodeResourcesFit")
    kubectl = kubectl_binary(32)
    if kubectl is None:
        pytest.skip("kubectl.1.32 is not installed")
    async with scheduling(kyb, nodes=1, groups={"slow": {"cpu": "1"}}) as env, \
            priority_classes(env, low=100, high=1000) as pc:
        fast, slow = env.sim.node_names[0], env.groups["slow"].node_names[0]
        await env.create_pod("web")
        await env.create_pod("low", cpu="1", nodeSelector=hostname(slow), priorityClassName=pc["low"])
        assert await env.placed(["web", "low"]) == {"web": fast, "low": slow}

        async def running(name):
            return (await env.pod(name))["status"].get("phase") == "Running"

        await env.until(lambda: running("low"), what="low running")
        # the slow node's kubelet stops: the victim stays Terminating, as with a container slow to stop
        await env.groups["slow"].stop()
        await env.create_pod("high", cpu="1", nodeSelector=hostname(slow), priorityClassName=pc["high"])

        async def nominated():
            p = await env.pod("high")
            return p["status"].get("nominatedNodeName") == slow and not p["spec"].get("nodeName")

        await env.until(nominated, what="high nominated")
        assert (await env.pod("low"))["metadata"].get("deletionTimestamp")
        out = await asyncio.to_thread(subprocess.run, [kubectl, "--kubeconfig", str(kyb.kubeconfig), "get", "pods",
                                                       "-n", env.ns, "-o", "wide"],
                                      capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                                      "NOMINATED", "NODE", "READINESS", "GATES"], out.stdout
        rows = wide_table(out.stdout)
        assert set(rows) == {"web", "low", "high"}, out.stdout
        assert (rows["web"]["STATUS"], rows["web"]["NODE"], rows["web"]["NOMINATED NODE"]) == \
            ("Running", fast, "<none>"), out.stdout
        assert (rows["low"]["STATUS"], rows["low"]["NODE"], rows["low"]["NOMINATED NODE"]) == \
            ("Terminating", slow, "<none>"), out.stdout
        assert (rows["high"]["STATUS"], rows["high"]["NODE"], rows["high"]["NOMINATED NODE"]) == \
            ("Pending", "<none>", slow), out.stdout
        # once the victim is gone the preemptor takes its place
        await env.client.delete(resource_path("", "v1", "pods", env.ns, "low"),
                                {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0})
        assert (await env.placed(["high"]))["high"] == slow


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
