"""The pod garbage collector against a real API server (nodes and pod phases are written directly, no kubelet)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from kybernetes.client.rest import resource_path
from kybernetes.controllers.podgc import PodGCController, eviction_order, is_terminated
from kybernetes.machinery.errors import StatusError
from tests.unit.controllers.conftest import running

FAST = {"podgc_check_period": 0.2, "podgc_quarantine_time": 0.5}


def pod_path(ns: str, name: str = "", sub: str = "") -> str:
    return resource_path("", "v1", "pods", ns, name, sub)


async def make_node(env, name: str, *, ready: bool = True, taints: list[dict[str, str]] | None = None) -> None:
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {}}
    if taints:
        body["spec"]["taints"] = taints
    await env.client.create(resource_path("", "v1", "nodes"), body)
    cond = {"type": "Ready", "status": "True" if ready else "False", "reason": "Test",
            "lastHeartbeatTime": "2024-01-01T00:00:00Z", "lastTransitionTime": "2024-01-01T00:00:00Z"}
    await env.client.patch(resource_path("", "v1", "nodes", "", name, "status"),
                           {"status": {"conditions": [cond]}}, "strategic")


async def make_pod(env, name: str, *, node: str = "", phase: str = "", reason: str = "",
                   finalizers: list[str] | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if finalizers:
        md["finalizers"] = finalizers
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if node:
        spec["nodeName"] = node
    pod = await env.client.create(pod_path(env.ns), {"apiVersion": "v1", "kind": "Pod", "metadata": md,
                                                     "spec": spec})
    if phase:
        status: dict[str, Any] = {"phase": phase}
        if reason:
            status["reason"] = reason
        pod = await env.client.patch(pod_path(env.ns, name, "status"), {"status": status}, "merge")
    return pod


async def names(env) -> set[str]:
    return {p["metadata"]["name"] for p in await env.pods()}


async def get_or_none(env, path: str) -> dict[str, Any] | None:
    try:
        return await env.client.get(path)
    except StatusError as e:
        if e.code == 404:
            return None
        raise


async def delete_nodes(env, *names: str) -> None:
    for n in names:
        with contextlib.suppress(StatusError):
            await env.client.delete(resource_path("", "v1", "nodes", "", n))


def test_ordering_and_terminal_phases():
    def pod(name: str, created: str, phase: str = "Succeeded", reason: str = "") -> dict[str, Any]:
        return {"metadata": {"name": name, "creationTimestamp": created},
                "status": {"phase": phase, **({"reason": reason} if reason else {})}}

    pods = [pod("b", "2024-01-01T00:00:02Z"), pod("a", "2024-01-01T00:00:02Z"),
            pod("z", "2024-01-01T00:00:09Z", "Failed", "Evicted"), pod("c", "2024-01-01T00:00:01Z")]
    assert [p["metadata"]["name"] for p in sorted(pods, key=eviction_order)] == ["z", "c", "a", "b"]
    assert [is_terminated({"status": {"phase": ph}}) for ph in ("Pending", "Running", "Unknown", "Succeeded",
                                                                  "Failed")] == [False, False, False, True, True]


async def test_terminated_pods_above_threshold_evicted_then_oldest_first(kyb):
    async with running(kyb, options={**FAST, "podgc_check_period": 3600}) as env:
        node = f"{env.ns}-node"
        await make_node(env, node)
        try:
            for i in range(4):
                await make_pod(env, f"done-{i}", node=node, phase="Succeeded" if i % 2 else "Failed")
            await make_pod(env, "evicted", node=node, phase="Failed", reason="Evicted")
            await make_pod(env, "running", node=node, phase="Running")
            # pods of other namespaces count too: the threshold is cluster-wide, so measure the baseline
            gc = PodGCController(env.ctx)
            await env.until(lambda: len([p for p in gc.pods.list() if p["metadata"]["namespace"] == env.ns]) == 6)
            others = len([p for p in gc.pods.list() if is_terminated(p) and p["metadata"]["namespace"] != env.ns])
            gc.threshold = others + 2
            await gc.sync("gc")
            await env.until(lambda: _names_equal(env, {"done-2", "done-3", "running"}))
        finally:
            await delete_nodes(env, node)


async def _names_equal(env, expected: set[str]) -> bool:
    return await names(env) == expected


async def test_orphaned_pods_get_disruption_target_then_deleted(kyb):
    async with running(kyb, PodGCController, options=FAST) as env:
        node = f"{env.ns}-real"
        await make_node(env, node)
        seen: list[dict[str, Any]] = []

        async def watch() -> None:
            async for ev in env.client.watch(pod_path(env.ns), {"fieldSelector": "metadata.name=orphan"}):
                seen.append(ev)

        watcher = asyncio.ensure_future(watch())
        try:
            await make_pod(env, "orphan", node=f"{env.ns}-ghost", phase="Running")
            await make_pod(env, "housed", node=node, phase="Running")
            await env.until(lambda: _names_equal(env, {"housed"}), timeout=20)
            modified = [e["object"] for e in seen if e["type"] == "MODIFIED"]
            assert modified, seen
            status = modified[-1]["status"]
            assert status["phase"] == "Failed"
            cond = next(c for c in status["conditions"] if c["type"] == "DisruptionTarget")
            assert (cond["status"], cond["reason"], cond["message"]) == \
                ("True", "DeletionByPodGC", "PodGC: node no longer exists")
            assert seen[-1]["type"] == "DELETED"
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await delete_nodes(env, node)


async def test_orphan_quarantine_spares_pods_of_a_late_node(kyb):
    async with running(kyb, PodGCController, options={**FAST, "podgc_quarantine_time": 2.0}) as env:
        node = f"{env.ns}-late"
        await make_pod(env, "early", node=node, phase="Running")
        await asyncio.sleep(0.8)
        await make_node(env, node)  # shows up within the quarantine
        try:
            await asyncio.sleep(2.5)
            assert await names(env) == {"early"}
        finally:
            await delete_nodes(env, node)


async def test_terminating_pods_on_out_of_service_nodes(kyb):
    async with running(kyb, PodGCController, options=FAST) as env:
        oos = f"{env.ns}-oos"
        down = f"{env.ns}-down"
        await make_node(env, oos, ready=False,
                        taints=[{"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown",
                                 "effect": "NoExecute"}])
        await make_node(env, down, ready=False)
        try:
            await make_pod(env, "stuck", node=oos, phase="Running")
            await make_pod(env, "waiting", node=down, phase="Running")
            await make_pod(env, "alive", node=oos, phase="Running")
            for n in ("stuck", "waiting"):
                await env.client.delete(pod_path(env.ns, n))  # graceful: no kubelet will finish it
            await env.until(lambda: _names_equal(env, {"waiting", "alive"}))
            await asyncio.sleep(0.6)
            waiting = await env.client.get(pod_path(env.ns, "waiting"))
            assert waiting["metadata"]["deletionTimestamp"] and waiting["status"]["phase"] == "Running"
        finally:
            await delete_nodes(env, oos, down)


async def test_unscheduled_terminating_pods_are_failed_and_force_deleted(kyb):
    async with running(kyb, PodGCController, options=FAST) as env:
        await make_pod(env, "held", finalizers=["example.com/hold"])
        await make_pod(env, "pending")
        await env.client.delete(pod_path(env.ns, "held"))

        async def failed() -> bool:
            p = await get_or_none(env, pod_path(env.ns, "held"))
            return bool(p and p["status"]["phase"] == "Failed")

        await env.until(failed)
        await env.client.patch(pod_path(env.ns, "held"), {"metadata": {"finalizers": None}}, "merge")
        await env.until(lambda: _names_equal(env, {"pending"}))
        assert (await env.client.get(pod_path(env.ns, "pending")))["status"]["phase"] == "Pending"
