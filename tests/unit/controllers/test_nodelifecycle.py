"""The node lifecycle controller: zone states, taint rules, toleration timing, and against a real API server with
simulated nodes: a node that stops heartbeating goes Unknown, is tainted, its pods are marked NotReady and evicted
after their tolerationSeconds; the taints go when it is back."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime, timezone

import pytest

from kybernetes.client.informer import SharedInformerFactory
from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.controllers.base import ControllerContext
from kybernetes.controllers.nodelifecycle import (
    STATE_FULL_DISRUPTION,
    STATE_NORMAL,
    STATE_PARTIAL_DISRUPTION,
    NodeLifecycleController,
    TokenBucket,
    _Health,
    compute_zone_state,
    matching_tolerations,
    min_toleration_seconds,
    no_schedule_taints,
    zone_key,
)
from kybernetes.machinery.errors import StatusError
from tests.unit.controllers.conftest import running

# -- pure ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("statuses,want", [
    (["True", "True"], (0, STATE_NORMAL)),
    (["Unknown", "True", "True"], (1, STATE_NORMAL)),
    (["Unknown", "False", "True"], (2, STATE_NORMAL)),  # never partial with 2 or fewer not-ready nodes
    (["Unknown", "False", None, "True", "True"], (3, STATE_PARTIAL_DISRUPTION)),  # 3/5 = 60 % >= 55 %
    (["Unknown", "False", None, "True", "True", "True"], (3, STATE_NORMAL)),  # 50 %
    (["Unknown", None], (2, STATE_FULL_DISRUPTION)),
    ([], (0, STATE_NORMAL)),
])
def test_zone_state(statuses, want):
    assert compute_zone_state(statuses) == want


def node_obj(conditions: dict, unschedulable: bool = False, labels: dict | None = None) -> dict:
    return {"metadata": {"name": "n", "labels": labels or {}}, "spec": {"unschedulable": unschedulable},
            "status": {"conditions": [{"type": t, "status": s} for t, s in conditions.items()]}}


@pytest.mark.parametrize("conditions,unschedulable,want", [
    ({"Ready": "True", "MemoryPressure": "False"}, False, set()),
    ({"Ready": "False"}, False, {"node.kubernetes.io/not-ready"}),
    ({"Ready": "Unknown", "DiskPressure": "True"}, False,
     {"node.kubernetes.io/unreachable", "node.kubernetes.io/disk-pressure"}),
    ({"Ready": "True", "PIDPressure": "True", "NetworkUnavailable": "True"}, True,
     {"node.kubernetes.io/pid-pressure", "node.kubernetes.io/network-unavailable", "node.kubernetes.io/unschedulable"}),
])
def test_no_schedule_taints_by_condition(conditions, unschedulable, want):
    assert no_schedule_taints(node_obj(conditions, unschedulable)) == want


def test_zone_key():
    assert zone_key(node_obj({})) == ""
    assert zone_key(node_obj({}, labels={"topology.kubernetes.io/zone": "a"})) == ":\x00:a"
    assert zone_key(node_obj({}, labels={"failure-domain.beta.kubernetes.io/region": "r",
                                      "topology.kubernetes.io/zone": "a"})) == "r:\x00:a"


UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
CUSTOM = {"key": "example.com/evict", "value": "x", "effect": "NoExecute"}


def test_tolerations_and_their_seconds():
    t300 = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
            "tolerationSeconds": 300}
    t5 = {"operator": "Exists", "tolerationSeconds": 5}
    forever = {"key": "example.com/evict", "operator": "Equal", "value": "x"}
    assert matching_tolerations([UNREACHABLE, CUSTOM], [t300]) == (False, [])
    ok, used = matching_tolerations([UNREACHABLE, CUSTOM], [t300, forever])
    assert ok and used == [t300, forever] and min_toleration_seconds(used) == 300
    assert min_toleration_seconds([forever]) == -1
    assert min_toleration_seconds(matching_tolerations([UNREACHABLE, CUSTOM], [t5, t300])[1]) == 5
    assert min_toleration_seconds([dict(t5, tolerationSeconds=-3)]) == 0
    assert min_toleration_seconds([]) == 0


def test_token_bucket():
    now = [0.0]
    b = TokenBucket(0.1, clock=lambda: now[0])
    assert b.try_accept() and not b.try_accept()
    now[0] = 9.9
    assert not b.try_accept()
    now[0] = 10.0
    assert b.try_accept()
    now[0] = 100.0
    assert b.try_accept() and not b.try_accept()  # burst 1: idle time does not pile up tokens
    assert not TokenBucket(0.0).try_accept()


def _controller(**options) -> NodeLifecycleController:
    """A controller that is never started (no API calls): for its zone bookkeeping."""
    client = RESTClient("https://127.0.0.1:1")
    return NodeLifecycleController(ControllerContext(client=client, informers=SharedInformerFactory(client),
                                                     options=options))


def _rates(ctrl: NodeLifecycleController) -> dict[str, float]:
    return {zone: t.bucket.qps for zone, t in ctrl.tainters.items()}


async def test_zone_states_set_the_tainting_rates():
    ctrl = _controller(large_cluster_size_threshold=5)
    for zone in ("a", "b", "big"):
        ctrl._tainter_for(node_obj({}, labels={"topology.kubernetes.io/zone": zone}))
    a, b, big = ":\x00:a", ":\x00:b", ":\x00:big"
    healthy = {a: ["True"] * 3, b: ["True"] * 3, big: ["True"] * 6}
    await ctrl._handle_disruption(healthy, [])
    assert set(ctrl.zone_states.values()) == {STATE_NORMAL} and set(_rates(ctrl).values()) == {0.1}
    # Partial disruption: a small zone stops tainting, a large one slows down; a fully disrupted zone among
    # healthy ones is tainted at the normal rate.
    await ctrl._handle_disruption({a: ["Unknown"] * 3 + ["True"], b: ["Unknown"] * 3,
                                   big: ["Unknown"] * 4 + ["True"] * 2}, [])
    assert ctrl.zone_states == {a: STATE_PARTIAL_DISRUPTION, b: STATE_FULL_DISRUPTION,
                                big: STATE_PARTIAL_DISRUPTION}
    assert _rates(ctrl) == {a: 0.0, b: 0.1, big: 0.01}
    # Every zone fully disrupted: the controller assumes it is the one cut off and stops tainting.
    await ctrl._handle_disruption({a: ["Unknown"], b: [None], big: ["False"]}, [])
    assert set(ctrl.zone_states.values()) == {STATE_FULL_DISRUPTION} and set(_rates(ctrl).values()) == {0.0}
    ctrl.health["n"] = _Health(probe=0.0, ready_transition=0.0)
    # Back from it: normal rates, and every node gets a fresh grace period.
    await ctrl._handle_disruption(healthy, [])
    assert set(ctrl.zone_states.values()) == {STATE_NORMAL} and set(_rates(ctrl).values()) == {0.1}
    assert ctrl.health["n"].probe > 0
    await ctrl.client.close()


class _FakeClient:
    def __init__(self) -> None:
        self.patches: list[dict] = []

    async def patch(self, path: str, body: dict, *a) -> dict:
        self.patches.append(body)
        return {}


async def test_swapping_taints_keeps_order_and_time_added():
    ctrl = _controller()
    await ctrl.client.close()
    ctrl.client = fake = _FakeClient()
    other = {"key": "example.com/x", "effect": "NoSchedule"}
    old = dict(UNREACHABLE, timeAdded="2024-01-01T00:00:00Z")
    node = {"metadata": {"name": "n", "resourceVersion": "7"}, "spec": {"taints": [other, old]}}
    not_ready = {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}
    assert await ctrl._swap_taints(node, [dict(UNREACHABLE, timeAdded="2025-01-01T00:00:00Z")], [not_ready])
    assert fake.patches == []  # already tainted: nothing to write, the original timeAdded stays
    assert await ctrl._swap_taints(node, [dict(not_ready, timeAdded="2025-01-01T00:00:00Z")], [UNREACHABLE])
    assert fake.patches == [{"metadata": {"resourceVersion": "7"},
                             "spec": {"taints": [other, dict(not_ready, timeAdded="2025-01-01T00:00:00Z")]}}]
    assert await ctrl._swap_taints(node, [], [other, UNREACHABLE])
    assert fake.patches[-1]["spec"]["taints"] is None  # no taints left: the field is removed


# -- against the API server ----------------------------------------------------------------------------------------

OPTIONS = {"node_monitor_grace_period": 3.0, "node_monitor_period": 0.3}


def _sim_kw(**kw) -> dict:
    # Each test's nodes form their own zone, so nodes left over by earlier tests (no longer heartbeating) do not
    # change the zone states this test sees.
    return {"lease_interval": 0.3, "status_interval": 600.0,
            "labels": {"topology.kubernetes.io/zone": f"z-{uuid.uuid4().hex[:6]}"}, **kw}


async def _node(env, name: str) -> dict:
    return await env.client.get(resource_path("", "v1", "nodes", name=name))


def _cond(obj: dict, ctype: str) -> dict:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == ctype), {})


def _taints(node: dict) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in (node.get("spec") or {}).get("taints") or []}


async def _pod(env, name: str, node: str, tolerations: list) -> None:
    await env.client.create(resource_path("", "v1", "pods", env.ns), {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"nodeName": node, "tolerations": tolerations, "containers": [{"name": "c", "image": "nginx"}]}})


async def _get_pod(env, name: str) -> dict | None:
    try:
        return await env.client.get(resource_path("", "v1", "pods", env.ns, name))
    except StatusError as e:
        if e.code == 404:
            return None
        raise


async def _running(env, *names: str) -> None:
    async def check():
        for n in names:
            p = await _get_pod(env, n)
            if p is None or p["status"].get("phase") != "Running":
                return False
        return True

    await env.until(check)


async def _delete_nodes(env) -> None:
    for name in env.sim.node_names:
        with contextlib.suppress(StatusError):
            await env.client.delete(resource_path("", "v1", "nodes", name=name))


async def _heartbeat(env, name: str) -> None:
    """Play the kubelet of a node whose simulated heartbeat was stopped: renew its Lease and post Ready."""
    now = datetime.now(timezone.utc)
    while True:
        with contextlib.suppress(StatusError):
            await env.client.patch(resource_path("coordination.k8s.io", "v1", "leases", "kube-node-lease", name),
                                   {"spec": {"renewTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}})
            await env.client.patch(resource_path("", "v1", "nodes", name=name, subresource="status"),
                                   {"status": {"conditions": env.sim.node_status(name)["conditions"]}})
        await asyncio.sleep(0.3)
        now = datetime.now(timezone.utc)


async def test_unreachable_node_is_tainted_and_its_pods_evicted(kyb):
    async with running(kyb, NodeLifecycleController, nodes=3, options=OPTIONS, sim_kw=_sim_kw()) as env:
        try:
            dead, alive = env.sim.node_names[0], env.sim.node_names[1]
            unreachable = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}
            await _pod(env, "short", dead, [dict(unreachable, tolerationSeconds=2)])
            await _pod(env, "long", dead, [dict(unreachable, tolerationSeconds=3600)])
            await _pod(env, "elsewhere", alive, [])
            await _running(env, "short", "long", "elsewhere")
            await asyncio.sleep(OPTIONS["node_monitor_grace_period"] + 0.5)  # healthy nodes stay healthy
            assert _cond(await _node(env, dead), "Ready")["status"] == "True"

            env.sim.stop_heartbeat(dead)

            async def unknown():
                n = await _node(env, dead)
                return n if _cond(n, "Ready").get("status") == "Unknown" else None

            n = await env.until(unknown, timeout=20)
            ready = _cond(n, "Ready")
            assert (ready["reason"], ready["message"]) == ("NodeStatusUnknown", "Kubelet stopped posting node status.")
            for ctype in ("MemoryPressure", "DiskPressure", "PIDPressure"):
                assert _cond(n, ctype)["status"] == "Unknown"

            async def tainted():
                n = await _node(env, dead)
                return n if {("node.kubernetes.io/unreachable", "NoExecute"),
                             ("node.kubernetes.io/unreachable", "NoSchedule")} <= _taints(n) else None

            n = await env.until(tainted, timeout=20)
            no_exec = next(t for t in n["spec"]["taints"] if t["effect"] == "NoExecute")
            assert no_exec.get("timeAdded")

            # Pods on the node are marked NotReady; the one tolerating 2 s is evicted, the other stays.
            async def long_not_ready():
                p = await _get_pod(env, "long")
                return _cond(p, "Ready").get("status") == "False"

            await env.until(long_not_ready, timeout=20)
            await env.until(lambda: _is_none(_get_pod(env, "short")), timeout=20)
            assert await _get_pod(env, "long") is not None
            other = await _node(env, alive)
            assert _cond(other, "Ready")["status"] == "True" and not _taints(other)
            assert _cond(await _get_pod(env, "elsewhere"), "Ready")["status"] == "True"

            async def eviction_event():
                evs = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
                return [e for e in evs if e["reason"] == "TaintManagerEviction"
                        and e["involvedObject"]["name"] == "short"]

            (ev,) = await env.until(eviction_event)
            assert ev["message"] == f"Marking for deletion Pod {env.ns}/short"

            # The node comes back: its taints go.
            beat = asyncio.create_task(_heartbeat(env, dead))
            try:
                async def clean():
                    n = await _node(env, dead)
                    return _cond(n, "Ready").get("status") == "True" and not _taints(n)

                await env.until(clean, timeout=20)
            finally:
                beat.cancel()
                await asyncio.gather(beat, return_exceptions=True)
        finally:
            await _delete_nodes(env)


async def test_no_execute_taint_evicts_untolerating_pods_at_once(kyb):
    async with running(kyb, NodeLifecycleController, nodes=2, options=OPTIONS, sim_kw=_sim_kw()) as env:
        try:
            node = env.sim.node_names[0]
            await _pod(env, "plain", node, [])
            await _pod(env, "tolerant", node, [{"key": "example.com/evict", "operator": "Exists",
                                                "effect": "NoExecute"}])
            await _running(env, "plain", "tolerant")
            seen: list[dict] = []

            async def watch() -> None:
                path = resource_path("", "v1", "pods", env.ns)
                async for ev in env.client.watch(path, {"fieldSelector": "metadata.name=plain"}):
                    seen.append(ev["object"])

            watcher = asyncio.create_task(watch())
            await asyncio.sleep(0.3)
            n = await _node(env, node)
            await env.client.patch(resource_path("", "v1", "nodes", name=node),
                                   {"spec": {"taints": [*(n["spec"].get("taints") or []), CUSTOM]}})
            try:
                await env.until(lambda: _is_none(_get_pod(env, "plain")), timeout=20)
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            marked = [_cond(p, "DisruptionTarget") for p in seen if _cond(p, "DisruptionTarget")]
            assert marked and marked[-1]["status"] == "True"
            assert (marked[-1]["reason"], marked[-1]["message"]) == (
                "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")
            await asyncio.sleep(1.0)
            assert await _get_pod(env, "tolerant") is not None
        finally:
            await _delete_nodes(env)


async def test_conditions_become_no_schedule_taints(kyb):
    async with running(kyb, NodeLifecycleController, nodes=2, options=OPTIONS, sim_kw=_sim_kw()) as env:
        try:
            node = env.sim.node_names[1]

            async def set_memory(status: str) -> None:
                n = await _node(env, node)
                conds = [dict(c, status=status) if c["type"] == "MemoryPressure" else c
                         for c in n["status"]["conditions"]]
                await env.client.patch(resource_path("", "v1", "nodes", name=node, subresource="status"),
                                       {"status": {"conditions": conds}})

            async def has(taint: tuple[str, str], want: bool = True):
                return (taint in _taints(await _node(env, node))) == want

            pressure = ("node.kubernetes.io/memory-pressure", "NoSchedule")
            await set_memory("True")
            await env.until(lambda: has(pressure))
            await env.client.patch(resource_path("", "v1", "nodes", name=node), {"spec": {"unschedulable": True}})
            await env.until(lambda: has(("node.kubernetes.io/unschedulable", "NoSchedule")))
            await set_memory("False")
            await env.until(lambda: has(pressure, False))
            await env.client.patch(resource_path("", "v1", "nodes", name=node), {"spec": {"unschedulable": False}})
            await env.until(lambda: has(("node.kubernetes.io/unschedulable", "NoSchedule"), False))
        finally:
            await _delete_nodes(env)


async def _is_none(coro) -> bool:
    return (await coro) is None
