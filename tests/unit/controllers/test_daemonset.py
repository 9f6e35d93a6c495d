"""The DaemonSet controller: placement and template helpers, and runs against a real API server with simulated
nodes.  DaemonSet pods name their node in a required node affinity, so these tests bind pods with their own
small binder (the harness's round-robin stand-in would bind them anywhere)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.controllers.daemonset import DaemonSetController
from kybernetes.controllers.daemonset_pods import (HASH_LABEL, TEMPLATE_GENERATION_LABEL, FailedPodBackoff,
                                                   compute_hash, create_pod_template, daemon_tolerations,
                                                   is_pod_updated, node_should_run, replace_node_affinity,
                                                   target_node_name)
from kybernetes.machinery.errors import StatusError
from kybernetes.sim.nodes import SimulatedNodes
from tests.unit.controllers.conftest import running

# -- builders -----------------------------------------------------------------------------------------------------


def make_ds(*, ns: str = "default", node_selector: dict[str, str] | None = None,
            tolerations: list[dict[str, Any]] | None = None, affinity: dict[str, Any] | None = None,
            host_network: bool = False, strategy: str = "RollingUpdate", max_unavailable: Any = None,
            max_surge: Any = None, image: str = "fluentd:1") -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "c", "image": image}]}
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    if tolerations:
        pod_spec["tolerations"] = tolerations
    if affinity:
        pod_spec["affinity"] = affinity
    if host_network:
        pod_spec["hostNetwork"] = True
    update: dict[str, Any] = {"type": strategy}
    if strategy == "RollingUpdate":
        rolling: dict[str, Any] = {}
        if max_unavailable is not None:
            rolling["maxUnavailable"] = max_unavailable
        if max_surge is not None:
            rolling["maxSurge"] = max_surge
        update["rollingUpdate"] = rolling
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": "agent"}}, "updateStrategy": update,
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": pod_spec}}}


def make_node(name: str = "n1", *, labels: dict[str, str] | None = None,
              taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints or []}}


# -- pure ---------------------------------------------------------------------------------------------------------


def test_daemon_tolerations_added_once():
    tols = daemon_tolerations({"tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                                "effect": "NoExecute", "tolerationSeconds": 5},
                                               {"key": "custom", "operator": "Exists"}]})
    keys = [(t.get("key"), t.get("effect")) for t in tols]
    assert keys == [("node.kubernetes.io/unreachable", "NoExecute"), ("custom", None),
                    ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                    ("node.kubernetes.io/unschedulable", "NoSchedule")]
    assert "tolerationSeconds" not in tols[0]  # daemon pods survive unreachable nodes forever
    once = daemon_tolerations({})
    assert daemon_tolerations({"tolerations": once}) == once
    assert {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"} in \
        daemon_tolerations({"hostNetwork": True})
    assert not any(t["key"] == "node.kubernetes.io/network-unavailable" for t in daemon_tolerations({}))


REQUIRED_ZONE_A = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}


@pytest.mark.parametrize("ds,node,expected", [
    (make_ds(), make_node(), (True, True)),
    (make_ds(node_selector={"disk": "ssd"}), make_node(labels={"disk": "ssd"}), (True, True)),
    (make_ds(node_selector={"disk": "ssd"}), make_node(labels={"disk": "hdd"}), (False, False)),
    (make_ds(affinity=REQUIRED_ZONE_A), make_node(labels={"zone": "a"}), (True, True)),
    (make_ds(affinity=REQUIRED_ZONE_A), make_node(labels={"zone": "b"}), (False, False)),
    (make_ds(), make_node(taints=[{"key": "gpu", "effect": "NoSchedule"}]), (False, True)),
    (make_ds(), make_node(taints=[{"key": "gpu", "effect": "NoExecute"}]), (False, False)),
    (make_ds(), make_node(taints=[{"key": "gpu", "effect": "PreferNoSchedule"}]), (True, True)),
    (make_ds(tolerations=[{"key": "gpu", "operator": "Exists"}]),
     make_node(taints=[{"key": "gpu", "effect": "NoExecute"}]), (True, True)),
    (make_ds(), make_node(taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]),
     (True, True)),
    (make_ds(), make_node(taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]), (True, True)),
    (make_ds(), make_node(taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]),
     (False, True)),
    (make_ds(host_network=True),
     make_node(taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]), (True, True)),
], ids=["plain", "selector-match", "selector-miss", "affinity-match", "affinity-miss", "noschedule-taint",
        "noexecute-taint", "prefer-noschedule", "tolerated", "unschedulable-auto", "not-ready-auto",
        "network-unavailable", "network-unavailable-hostnetwork"])
def test_node_should_run(ds, node, expected):
    assert node_should_run(node, ds) == expected


def test_node_name_in_template_pins_node():
    ds = make_ds()
    ds["spec"]["template"]["spec"]["nodeName"] = "n2"
    assert node_should_run(make_node("n1"), ds) == (False, False)
    assert node_should_run(make_node("n2"), ds) == (True, True)


def test_replace_node_affinity_and_target_node():
    affinity = {**REQUIRED_ZONE_A, "podAntiAffinity": {"x": 1}}
    affinity["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] = [{"weight": 1}]
    out = replace_node_affinity(affinity, "n7")
    assert out["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n7"]}]}]}
    assert out["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] == [{"weight": 1}]
    assert out["podAntiAffinity"] == {"x": 1}
    assert affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == \
        REQUIRED_ZONE_A["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]  # input untouched
    assert target_node_name({"spec": {"affinity": out}}) == "n7"
    assert target_node_name({"spec": {"affinity": out, "nodeName": "n8"}}) == "n8"
    assert target_node_name({"spec": {"affinity": replace_node_affinity(None, "n1")}}) == "n1"
    assert target_node_name({"spec": {}}) is None


def test_pod_template_labels_and_update_detection():
    ds = make_ds()
    t = create_pod_template(ds["spec"]["template"], 3, "abc")
    assert t["metadata"]["labels"] == {"app": "agent", TEMPLATE_GENERATION_LABEL: "3", HASH_LABEL: "abc"}
    assert len(t["spec"]["tolerations"]) == 6
    assert "tolerations" not in ds["spec"]["template"]["spec"]  # copy
    pod = {"metadata": {"labels": t["metadata"]["labels"]}}
    assert is_pod_updated(pod, "abc", None)
    assert is_pod_updated(pod, "other", 3)
    assert not is_pod_updated(pod, "other", 4)


def test_compute_hash_depends_on_template_and_collisions():
    t = make_ds()["spec"]["template"]
    assert compute_hash(t, None) == compute_hash(make_ds()["spec"]["template"], None)
    assert compute_hash(t, None) != compute_hash(t, 1)
    assert compute_hash(t, 1) != compute_hash(t, 2)
    assert compute_hash(t, None) != compute_hash(make_ds(image="fluentd:2")["spec"]["template"], None)


def test_failed_pod_backoff_doubles():
    now = [100.0]
    b = FailedPodBackoff(initial=1.0, maximum=4.0, clock=lambda: now[0])
    assert not b.in_backoff("k")
    b.next("k")
    assert b.in_backoff("k") and b.delay("k") == 1.0
    now[0] += 1.5
    assert not b.in_backoff("k")
    b.next("k")
    b.next("k")
    b.next("k")
    assert b.delay("k") == 4.0


def test_every_event_of_a_terminating_pod_counts_as_its_deletion():
    """A pod deleted twice (a sync working from a list read before its first deletion was seen) becomes terminating
    only once; its later events must still satisfy the second deletion's expectation, or the set stalls until the
    expectations expire (as upstream: updates of a terminating pod and its DELETED event all count)."""
    from kybernetes.client.informer import SharedInformerFactory
    from kybernetes.controllers.base import ControllerContext
    no_client: Any = None
    c = DaemonSetController(ControllerContext(client=no_client, informers=SharedInformerFactory(no_client)))
    ds = make_ds()
    ds["metadata"]["uid"] = "ds-uid"
    c.sets.store["default/agent"] = ds
    ref = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "ds-uid", "controller": True}
    live = {"metadata": {"name": "agent-a", "namespace": "default", "resourceVersion": "5", "ownerReferences": [ref]},
            "spec": {"nodeName": "n1"}}
    terminating = {**live, "metadata": {**live["metadata"], "resourceVersion": "6",
                                        "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    stopped = {**terminating, "metadata": {**terminating["metadata"], "resourceVersion": "7"}}
    c.expectations.set("default/agent", 0, 1)
    c._pod_updated(live, terminating)
    assert c.expectations.satisfied("default/agent")
    c.expectations.set("default/agent", 0, 1)  # deleted again: the pod is already terminating
    c._pod_updated(terminating, stopped)
    assert c.expectations.satisfied("default/agent")
    c.expectations.set("default/agent", 0, 1)
    c._pod_deleted(stopped)
    assert c.expectations.satisfied("default/agent")
    c.expectations.set("default/agent", 0, 1)
    c._pod_added(stopped)  # first seen while terminating (a relist)
    assert c.expectations.satisfied("default/agent")
    assert c.expectations.pending("default/agent") == (0, 0)


# -- against the API server ---------------------------------------------------------------------------------------


def ds_path(ns: str, name: str = "", sub: str = "") -> str:
    return resource_path("apps", "v1", "daemonsets", ns, name, sub)


def _affinity_node(pod: dict[str, Any]) -> str | None:
    terms = (((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    for term in terms:
        for f in term.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("operator") == "In" and len(f.get("values") or []) == 1:
                return f["values"][0]
    return None


async def affinity_binder(client: RESTClient, ns: str) -> None:
    """Bind each unscheduled pod of ``ns`` to the node its matchFields affinity names (what the scheduler does
    for daemon pods)."""
    while True:
        try:
            pods = (await client.list(resource_path("", "v1", "pods", ns), {"fieldSelector": "spec.nodeName="}))
            for p in pods["items"]:
                node = _affinity_node(p)
                if node is None or p["metadata"].get("deletionTimestamp"):
                    continue
                m = p["metadata"]
                body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": m["name"], "uid": m["uid"]},
                        "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
                with contextlib.suppress(StatusError):
                    await client.create(resource_path("", "v1", "pods", ns, m["name"], "binding"), body)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep binding
            pass
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def ds_env(kyb, nodes: int):
    """``running`` with the DaemonSet controller, the affinity binder, and every Node deleted afterwards (nodes
    outlive a test otherwise, and the next test's DaemonSets would target them)."""
    async with running(kyb, DaemonSetController, nodes=nodes, bind=False) as env:
        binder = asyncio.create_task(affinity_binder(env.client, env.ns))
        extra: list[SimulatedNodes] = []
        env.extra = extra
        try:
            yield env
        finally:
            binder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await binder
            for s in extra:
                await s.stop()
            for n in (await env.client.list(resource_path("", "v1", "nodes")))["items"]:
                with contextlib.suppress(StatusError):
                    await env.client.delete(resource_path("", "v1", "nodes", "", n["metadata"]["name"]))


async def add_nodes(env, suffix: str, count: int = 1, **kw: Any) -> SimulatedNodes:
    sim = SimulatedNodes(env.client, count=count, name_prefix=f"{env.ns}-{suffix}", ready_delay=0.05, **kw)
    await sim.start()
    env.extra.append(sim)
    return sim


async def live_pods(env) -> list[dict[str, Any]]:
    return [p for p in await env.pods() if not p["metadata"].get("deletionTimestamp")]


async def status(env, name: str = "agent") -> dict[str, Any]:
    ds = await env.client.get(ds_path(env.ns, name))
    st = ds.get("status") or {}
    return st if st.get("observedGeneration") == ds["metadata"]["generation"] else {}


def settled_at(n: int, name: str = "agent"):
    async def check(env):
        st = await status(env, name)
        want = {"desiredNumberScheduled": n, "currentNumberScheduled": n, "numberReady": n, "numberAvailable": n,
                "updatedNumberScheduled": n, "numberMisscheduled": 0}
        return st if all(st.get(k) == v for k, v in want.items()) and not st.get("numberUnavailable") else None
    return check


async def test_covers_nodes_follows_new_and_removed_nodes(kyb):
    async with ds_env(kyb, nodes=3) as env:
        await env.client.create(ds_path(env.ns), make_ds(ns=env.ns))
        await env.until(lambda: settled_at(3)(env), timeout=30)
        pods = await live_pods(env)
        assert sorted(p["spec"]["nodeName"] for p in pods) == sorted(env.sim.node_names)
        for p in pods:
            assert _affinity_node(p) == p["spec"]["nodeName"]
            assert p["metadata"]["generateName"] == "agent-"
            labels = p["metadata"]["labels"]
            assert labels[TEMPLATE_GENERATION_LABEL] == "1" and labels[HASH_LABEL]
            assert {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"} in \
                p["spec"]["tolerations"]
            assert p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
        revs = (await env.client.list(resource_path("apps", "v1", "controllerrevisions", env.ns)))["items"]
        assert len(revs) == 1 and revs[0]["revision"] == 1
        assert revs[0]["metadata"]["name"] == f"agent-{pods[0]['metadata']['labels'][HASH_LABEL]}"

        extra = await add_nodes(env, "x")
        await env.until(lambda: settled_at(4)(env), timeout=30)
        assert extra.node_names[0] in {p["spec"]["nodeName"] for p in await live_pods(env)}

        # A removed node's pod is no longer counted (pod GC deletes it; no pod GC runs here).
        await extra.stop()
        await env.client.delete(resource_path("", "v1", "nodes", "", extra.node_names[0]))
        await env.until(lambda: settled_at(3)(env), timeout=30)
        assert len(await live_pods(env)) == 4


async def test_taints_skip_nodes_unless_tolerated(kyb):
    async with ds_env(kyb, nodes=2) as env:
        tainted = await add_nodes(env, "t", taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
        await env.client.create(ds_path(env.ns), make_ds(ns=env.ns))
        tolerant = make_ds(ns=env.ns, tolerations=[{"key": "dedicated", "operator": "Equal", "value": "db",
                                                    "effect": "NoSchedule"}])
        tolerant["metadata"]["name"] = "tolerant"
        tolerant["spec"]["selector"]["matchLabels"] = {"app": "tolerant"}
        tolerant["spec"]["template"]["metadata"]["labels"] = {"app": "tolerant"}
        await env.client.create(ds_path(env.ns), tolerant)
        await env.until(lambda: settled_at(2)(env), timeout=30)
        await env.until(lambda: settled_at(3, "tolerant")(env), timeout=30)
        on_tainted = [p for p in await live_pods(env) if p["spec"]["nodeName"] == tainted.node_names[0]]
        assert [p["metadata"]["labels"]["app"] for p in on_tainted] == ["tolerant"]

        # NoSchedule added under a running pod: it stays, but is counted misscheduled.
        victim = env.sim.node_names[0]
        node_path = resource_path("", "v1", "nodes", "", victim)
        await env.client.patch(node_path, {"spec": {"taints": [{"key": "maint", "effect": "NoSchedule"}]}})

        async def misscheduled():
            st = await status(env)
            return st if st.get("numberMisscheduled") == 1 and st.get("desiredNumberScheduled") == 1 else None

        await env.until(misscheduled, timeout=20)
        assert any(p["spec"]["nodeName"] == victim and p["metadata"]["labels"]["app"] == "agent"
                   for p in await live_pods(env))
        # NoExecute: the pod must go.
        await env.client.patch(node_path, {"spec": {"taints": [{"key": "maint", "effect": "NoExecute"}]}})

        async def evicted():
            return not any(p["spec"]["nodeName"] == victim and p["metadata"]["labels"]["app"] == "agent"
                           for p in await env.pods())

        await env.until(evicted, timeout=20)
        st = await env.until(lambda: settled_at(1)(env), timeout=20)
        assert st["numberMisscheduled"] == 0


class NodeLog:
    """Follows the namespace's pods through a watch and records, after every event, how many nodes have a Ready
    pod that is not being deleted, and the most pods seen on one node."""

    def __init__(self, env) -> None:
        self.env = env
        self.pods: dict[str, tuple[str, bool, bool]] = {}
        self.ready_nodes: list[int] = []
        self.max_per_node = 0
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> NodeLog:
        path = resource_path("", "v1", "pods", self.env.ns)
        listed = await self.env.client.list(path)
        for obj in listed["items"]:
            self._record(obj)

        async def run() -> None:
            params = {"resourceVersion": listed["metadata"]["resourceVersion"], "timeoutSeconds": 300}
            async for ev in self.env.client.watch(path, params):
                obj = ev.get("object") or {}
                if ev["type"] == "DELETED":
                    self.pods.pop(obj["metadata"]["name"], None)
                else:
                    self._record(obj)
                self.ready_nodes.append(len({n for n, r, t in self.pods.values() if r and not t}))
                per_node: dict[str, int] = {}
                for n, _, t in self.pods.values():
                    per_node[n] = per_node.get(n, 0) + 1
                self.max_per_node = max([self.max_per_node, *per_node.values()])

        self._task = asyncio.create_task(run())
        return self

    def _record(self, pod: dict[str, Any]) -> None:
        conds = (pod.get("status") or {}).get("conditions") or []
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
        self.pods[pod["metadata"]["name"]] = (pod["spec"].get("nodeName") or _affinity_node(pod) or "", ready,
                                              bool(pod["metadata"].get("deletionTimestamp")))

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


async def updated_everywhere(env, n: int, image: str):
    st = await settled_at(n)(env)
    pods = await live_pods(env)
    return st and len(pods) == n and {p["spec"]["containers"][0]["image"] for p in pods} == {image}


async def test_rolling_update_within_max_unavailable(kyb):
    async with ds_env(kyb, nodes=3) as env:
        await env.client.create(ds_path(env.ns), make_ds(ns=env.ns, max_unavailable=1))
        await env.until(lambda: settled_at(3)(env), timeout=30)
        old_hash = (await live_pods(env))[0]["metadata"]["labels"][HASH_LABEL]
        async with NodeLog(env) as log:
            await env.client.patch(ds_path(env.ns, "agent"), {"spec": {"template": {"spec": {"containers": [
                {"name": "c", "image": "fluentd:2"}]}}}}, "strategic")
            await env.until(lambda: updated_everywhere(env, 3, "fluentd:2"), timeout=40)
        # never more than one node without a Ready pod, and some pod really was replaced
        assert log.ready_nodes and min(log.ready_nodes) == 2
        assert log.max_per_node == 1
        pods = await live_pods(env)
        assert {p["metadata"]["labels"][TEMPLATE_GENERATION_LABEL] for p in pods} == {"2"}
        assert old_hash not in {p["metadata"]["labels"][HASH_LABEL] for p in pods}
        revs = (await env.client.list(resource_path("apps", "v1", "controllerrevisions", env.ns)))["items"]
        assert sorted(r["revision"] for r in revs) == [1, 2]


async def test_rolling_update_with_surge_keeps_every_node_ready(kyb):
    async with ds_env(kyb, nodes=3) as env:
        await env.client.create(ds_path(env.ns), make_ds(ns=env.ns, max_unavailable=0, max_surge=1))
        await env.until(lambda: settled_at(3)(env), timeout=30)
        async with NodeLog(env) as log:
            await env.client.patch(ds_path(env.ns, "agent"), {"spec": {"template": {"spec": {"containers": [
                {"name": "c", "image": "fluentd:2"}]}}}}, "strategic")
            await env.until(lambda: updated_everywhere(env, 3, "fluentd:2"), timeout=40)
        assert log.ready_nodes and min(log.ready_nodes) == 3
        assert log.max_per_node == 2  # the new pod started next to the old one


async def test_on_delete_waits_for_deletion(kyb):
    async with ds_env(kyb, nodes=2) as env:
        await env.client.create(ds_path(env.ns), make_ds(ns=env.ns, strategy="OnDelete"))
        await env.until(lambda: settled_at(2)(env), timeout=30)
        await env.client.patch(ds_path(env.ns, "agent"), {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "fluentd:2"}]}}}}, "strategic")

        async def observed():
            st = await status(env)
            # zero counts are omitted from the status, as Go's omitempty does
            return st if "updatedNumberScheduled" not in st and st.get("numberReady") == 2 else None

        await env.until(observed, timeout=20)
        pods = await live_pods(env)
        assert {p["spec"]["containers"][0]["image"] for p in pods} == {"fluentd:1"}
        victim = pods[0]
        await env.client.delete(resource_path("", "v1", "pods", env.ns, victim["metadata"]["name"]))

        async def replaced():
            st = await status(env)
            return st if st.get("updatedNumberScheduled") == 1 and st.get("numberAvailable") == 2 else None

        await env.until(replaced, timeout=20)
        images = {p["spec"]["nodeName"]: p["spec"]["containers"][0]["image"] for p in await live_pods(env)}
        assert images[victim["spec"]["nodeName"]] == "fluentd:2"
        assert sorted(images.values()) == ["fluentd:1", "fluentd:2"]


async def test_revision_name_collision_bumps_collision_count(kyb):
    async with ds_env(kyb, nodes=1) as env:
        wanted = make_ds(ns=env.ns)
        stored = await env.client.create(ds_path(env.ns), wanted, {"dryRun": "All"})
        name = f"agent-{compute_hash(stored['spec']['template'], None)}"
        await env.client.create(resource_path("apps", "v1", "controllerrevisions", env.ns), {
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": name, "labels": {"other": "x"}}, "data": {"x": 1}, "revision": 1})
        await env.client.create(ds_path(env.ns), wanted)
        st = await env.until(lambda: settled_at(1)(env), timeout=30)
        assert st["collisionCount"] == 1
        pod = (await live_pods(env))[0]
        assert pod["metadata"]["labels"][HASH_LABEL] == compute_hash(stored["spec"]["template"], 1)
