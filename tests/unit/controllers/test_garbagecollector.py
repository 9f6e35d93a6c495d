"""The garbage collector against a real API server: background, foreground and orphan deletion, dangling and
invalid owner references, cluster-scoped owners, restarts; kubectl's --cascade modes."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from typing import Any

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers.garbagecollector import GarbageCollector
from kybernetes.machinery.errors import StatusError
from tests.unit.controllers.conftest import running

OPTS = {"gc_discovery_period": 2.0}


def cm_path(ns: str, name: str = "") -> str:
    return resource_path("", "v1", "configmaps", ns, name)


def owner_ref(obj: dict[str, Any], *, block: bool | None = None, controller: bool | None = None) -> dict[str, Any]:
    ref = {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj.get("kind", "ConfigMap"),
           "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"]}
    if block is not None:
        ref["blockOwnerDeletion"] = block
    if controller is not None:
        ref["controller"] = controller
    return ref


async def make_cm(env, name: str, *, ns: str = "", owners: list[dict[str, Any]] | None = None,
                  finalizers: list[str] | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if owners:
        md["ownerReferences"] = owners
    if finalizers:
        md["finalizers"] = finalizers
    obj = await env.client.create(cm_path(ns or env.ns), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md})
    obj.setdefault("apiVersion", "v1")
    obj.setdefault("kind", "ConfigMap")
    return obj


async def get_or_none(env, path: str) -> dict[str, Any] | None:
    try:
        return await env.client.get(path)
    except StatusError as e:
        if e.code == 404:
            return None
        raise


async def gone(env, path: str) -> bool:
    return await get_or_none(env, path) is None


async def drop_finalizers(env, path: str) -> None:
    await env.client.patch(path, {"metadata": {"finalizers": None}}, "merge")


async def kubectl(cluster, *args: str, timeout: float = 60) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        shutil.which("kubectl") or "kubectl", "--kubeconfig", str(cluster.kubeconfig), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode or 0, out.decode()


# -- background ----------------------------------------------------------------------------------------------------


async def test_background_deletion_removes_dependents(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        owner = await make_cm(env, "owner")
        await make_cm(env, "dep-1", owners=[owner_ref(owner)])
        await make_cm(env, "dep-2", owners=[owner_ref(owner, block=True, controller=True)])
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "dep-pod", "ownerReferences": [owner_ref(owner)]},
               "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
        await env.client.create(resource_path("", "v1", "pods", env.ns), pod)
        unrelated = await make_cm(env, "unrelated")
        await asyncio.sleep(0.3)
        assert await get_or_none(env, cm_path(env.ns, "dep-1")) is not None
        await env.client.delete(cm_path(env.ns, "owner"), {"propagationPolicy": "Background"})
        for name in ("dep-1", "dep-2"):
            await env.until(lambda n=name: gone(env, cm_path(env.ns, n)))
        await env.until(lambda: gone(env, resource_path("", "v1", "pods", env.ns, "dep-pod")))
        assert (await env.client.get(cm_path(env.ns, "unrelated")))["metadata"]["uid"] == \
            unrelated["metadata"]["uid"]


async def test_chain_is_collected_level_by_level(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        a = await make_cm(env, "a")
        b = await make_cm(env, "b", owners=[owner_ref(a)])
        await make_cm(env, "c", owners=[owner_ref(b)])
        await env.client.delete(cm_path(env.ns, "a"))
        await env.until(lambda: gone(env, cm_path(env.ns, "b")))
        await env.until(lambda: gone(env, cm_path(env.ns, "c")))


async def test_dependent_with_a_remaining_owner_keeps_it(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        o1 = await make_cm(env, "o1")
        o2 = await make_cm(env, "o2")
        await make_cm(env, "shared", owners=[owner_ref(o1), owner_ref(o2)])
        await env.client.delete(cm_path(env.ns, "o1"))

        async def only_o2() -> bool:
            obj = await get_or_none(env, cm_path(env.ns, "shared"))
            assert obj is not None, "a dependent with a live owner was deleted"
            return [r["uid"] for r in obj["metadata"].get("ownerReferences", [])] == [o2["metadata"]["uid"]]

        await env.until(only_o2)
        await env.client.delete(cm_path(env.ns, "o2"))
        await env.until(lambda: gone(env, cm_path(env.ns, "shared")))


# -- foreground ----------------------------------------------------------------------------------------------------


async def test_foreground_waits_for_blocking_dependents(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        owner = await make_cm(env, "owner")
        # a blocking dependent held by a finalizer: the owner must wait for it
        await make_cm(env, "blocker", owners=[owner_ref(owner, block=True)], finalizers=["example.com/hold"])
        # a non-blocking dependent held by a finalizer: deleted, but the owner does not wait for it
        await make_cm(env, "lazy", owners=[owner_ref(owner, block=False)], finalizers=["example.com/hold"])
        await make_cm(env, "plain", owners=[owner_ref(owner, block=True)])
        await env.client.delete(cm_path(env.ns, "owner"), {"propagationPolicy": "Foreground"})
        await env.until(lambda: gone(env, cm_path(env.ns, "plain")))

        async def terminating(name: str) -> bool:
            obj = await get_or_none(env, cm_path(env.ns, name))
            return bool(obj and obj["metadata"].get("deletionTimestamp"))

        await env.until(lambda: terminating("blocker"))
        await env.until(lambda: terminating("lazy"))
        await asyncio.sleep(0.5)
        held = await env.client.get(cm_path(env.ns, "owner"))
        assert held["metadata"]["deletionTimestamp"]
        assert held["metadata"]["finalizers"] == ["foregroundDeletion"]
        # releasing the non-blocking one changes nothing for the owner
        await drop_finalizers(env, cm_path(env.ns, "lazy"))
        await env.until(lambda: gone(env, cm_path(env.ns, "lazy")))
        await asyncio.sleep(0.5)
        assert await get_or_none(env, cm_path(env.ns, "owner")) is not None
        # releasing the blocking one lets the owner go
        await drop_finalizers(env, cm_path(env.ns, "blocker"))
        await env.until(lambda: gone(env, cm_path(env.ns, "owner")))


async def test_foreground_cascades_through_levels(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        top = await make_cm(env, "top")
        mid = await make_cm(env, "mid", owners=[owner_ref(top, block=True)])
        await make_cm(env, "leaf", owners=[owner_ref(mid, block=True)], finalizers=["example.com/hold"])
        await env.client.delete(cm_path(env.ns, "top"), {"propagationPolicy": "Foreground"})

        async def mid_in_foreground() -> bool:
            obj = await get_or_none(env, cm_path(env.ns, "mid"))
            return bool(obj and "foregroundDeletion" in (obj["metadata"].get("finalizers") or []))

        await env.until(mid_in_foreground)
        await asyncio.sleep(0.5)
        assert await get_or_none(env, cm_path(env.ns, "top")) is not None
        await drop_finalizers(env, cm_path(env.ns, "leaf"))
        await env.until(lambda: gone(env, cm_path(env.ns, "top")))
        assert await gone(env, cm_path(env.ns, "mid"))


async def test_foreground_owner_without_dependents_goes_at_once(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        await make_cm(env, "alone")
        await env.client.delete(cm_path(env.ns, "alone"), {"propagationPolicy": "Foreground"})
        await env.until(lambda: gone(env, cm_path(env.ns, "alone")))


# -- orphan --------------------------------------------------------------------------------------------------------


async def test_orphan_removes_the_reference_and_keeps_dependents(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        owner = await make_cm(env, "owner")
        other = await make_cm(env, "other")
        await make_cm(env, "d1", owners=[owner_ref(owner, block=True)])
        await make_cm(env, "d2", owners=[owner_ref(owner), owner_ref(other)])
        await env.client.delete(cm_path(env.ns, "owner"), {"propagationPolicy": "Orphan"})
        await env.until(lambda: gone(env, cm_path(env.ns, "owner")))
        d1 = await env.client.get(cm_path(env.ns, "d1"))
        d2 = await env.client.get(cm_path(env.ns, "d2"))
        assert "ownerReferences" not in d1["metadata"]
        assert [r["uid"] for r in d2["metadata"]["ownerReferences"]] == [other["metadata"]["uid"]]
        await asyncio.sleep(0.5)
        assert await get_or_none(env, cm_path(env.ns, "d1")) is not None


# -- dangling and invalid references -------------------------------------------------------------------------------


async def test_dangling_references(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": str(uuid.uuid4())}
        await make_cm(env, "never-owned", owners=[ghost])
        live = await make_cm(env, "live")
        stale = {**owner_ref(live), "uid": str(uuid.uuid4())}  # same name, another uid: not this owner
        await make_cm(env, "stale-uid", owners=[stale])
        unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": str(uuid.uuid4())}
        await make_cm(env, "unknown-kind", owners=[unknown])
        await make_cm(env, "half", owners=[owner_ref(live), ghost])
        await env.until(lambda: gone(env, cm_path(env.ns, "never-owned")))
        await env.until(lambda: gone(env, cm_path(env.ns, "stale-uid")))

        async def half_cleaned() -> bool:
            obj = await env.client.get(cm_path(env.ns, "half"))
            return [r["uid"] for r in obj["metadata"]["ownerReferences"]] == [live["metadata"]["uid"]]

        await env.until(half_cleaned)
        # an owner of a kind nobody serves cannot be verified: the dependent stays
        assert await get_or_none(env, cm_path(env.ns, "unknown-kind")) is not None
        assert await get_or_none(env, cm_path(env.ns, "live")) is not None


async def test_cluster_scoped_owner_of_namespaced_dependent(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        name = f"gc-owner-{env.ns}"
        pc = await env.client.create(resource_path("scheduling.k8s.io", "v1", "priorityclasses"),
                                     {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                      "metadata": {"name": name}, "value": 1000})
        pc.setdefault("apiVersion", "scheduling.k8s.io/v1")
        pc.setdefault("kind", "PriorityClass")
        await make_cm(env, "dep", owners=[owner_ref(pc)])
        await asyncio.sleep(0.5)
        assert await get_or_none(env, cm_path(env.ns, "dep")) is not None
        await env.client.delete(resource_path("scheduling.k8s.io", "v1", "priorityclasses", "", name))
        await env.until(lambda: gone(env, cm_path(env.ns, "dep")))


async def events_with_reason(env, ns: str, reason: str, name: str) -> list[dict[str, Any]]:
    items = (await env.client.list(resource_path("", "v1", "events", ns)))["items"]
    return [e for e in items if e["reason"] == reason and e["involvedObject"]["name"] == name]


async def test_owner_in_another_namespace_is_invalid(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        other_ns = f"{env.ns}-b"
        await env.client.create(resource_path("", "v1", "namespaces"),
                                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other_ns}})
        owner = await make_cm(env, "owner", ns=other_ns)
        await make_cm(env, "cross", owners=[owner_ref(owner)])
        await env.until(lambda: gone(env, cm_path(env.ns, "cross")))
        events = await env.until(lambda: events_with_reason(env, env.ns, "OwnerRefInvalidNamespace", "cross"))
        ev = events[0]
        assert ev["type"] == "Warning"
        assert ev["source"]["component"] == "garbage-collector-controller"
        assert ev["message"] == (f"ownerRef [v1/ConfigMap, namespace: {env.ns}, name: owner, "
                                 f"uid: {owner['metadata']['uid']}] does not exist in namespace \"{env.ns}\"")
        assert await get_or_none(env, cm_path(other_ns, "owner")) is not None


async def test_cluster_scoped_dependent_of_namespaced_owner_is_reported_not_collected(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        owner = await make_cm(env, "ns-owner")
        name = f"gc-dep-{env.ns}"
        path = resource_path("scheduling.k8s.io", "v1", "priorityclasses", "", name)
        await env.client.create(resource_path("scheduling.k8s.io", "v1", "priorityclasses"),
                                {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "value": 7,
                                 "metadata": {"name": name, "ownerReferences": [owner_ref(owner)]}})
        try:
            events = await env.until(lambda: events_with_reason(env, "default", "OwnerRefInvalidNamespace", name))
            assert events[0]["message"].endswith('does not exist in namespace ""')
            await env.client.delete(cm_path(env.ns, "ns-owner"))
            await asyncio.sleep(1.0)
            assert await get_or_none(env, path) is not None
        finally:
            await env.client.delete(path)


# -- restarts ------------------------------------------------------------------------------------------------------


async def test_owner_deleted_while_collector_was_down(kyb):
    async with running(kyb, options=OPTS) as env:
        owner = await make_cm(env, "owner")
        await make_cm(env, "dep", owners=[owner_ref(owner)])
        fg = await make_cm(env, "fg-owner")
        await make_cm(env, "fg-dep", owners=[owner_ref(fg, block=True)])
        orph = await make_cm(env, "orphan-owner")
        await make_cm(env, "orphan-dep", owners=[owner_ref(orph)])
        await env.client.delete(cm_path(env.ns, "owner"))
        await env.client.delete(cm_path(env.ns, "fg-owner"), {"propagationPolicy": "Foreground"})
        await env.client.delete(cm_path(env.ns, "orphan-owner"), {"propagationPolicy": "Orphan"})
        await asyncio.sleep(0.3)
        assert await get_or_none(env, cm_path(env.ns, "dep")) is not None  # nobody collects yet
        gc = GarbageCollector(env.ctx)
        await gc.start()
        try:
            await env.until(lambda: gone(env, cm_path(env.ns, "dep")))
            await env.until(lambda: gone(env, cm_path(env.ns, "fg-owner")))
            assert await gone(env, cm_path(env.ns, "fg-dep"))
            await env.until(lambda: gone(env, cm_path(env.ns, "orphan-owner")))
            kept = await env.client.get(cm_path(env.ns, "orphan-dep"))
            assert "ownerReferences" not in kept["metadata"]
        finally:
            await gc.stop()


# -- kubectl --cascade with a real ReplicaSet (no ReplicaSet controller running) -----------------------------------


def replicaset(name: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


async def rs_with_pods(env, name: str, *, hold: bool = False) -> dict[str, Any]:
    rs = await env.client.create(resource_path("apps", "v1", "replicasets", env.ns), replicaset(name))
    rs.setdefault("apiVersion", "apps/v1")
    rs.setdefault("kind", "ReplicaSet")
    for i in range(2):
        md: dict[str, Any] = {"name": f"{name}-{i}", "labels": {"app": name},
                              "ownerReferences": [owner_ref(rs, block=True, controller=True)]}
        if hold and i == 0:
            md["finalizers"] = ["example.com/hold"]
        await env.client.create(resource_path("", "v1", "pods", env.ns),
                                {"apiVersion": "v1", "kind": "Pod", "metadata": md,
                                 "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    return rs


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
async def test_kubectl_cascade_modes(kyb):
    async with running(kyb, GarbageCollector, options=OPTS) as env:
        await rs_with_pods(env, "bg")
        await rs_with_pods(env, "fg", hold=True)
        await rs_with_pods(env, "orph")
        await asyncio.sleep(0.3)

        rc, out = await kubectl(kyb, "-n", env.ns, "delete", "rs", "bg", "--cascade=background")
        assert rc == 0, out
        await env.until(lambda: _no_pods(env, "app=bg"))

        # foreground: kubectl waits while the held pod blocks the ReplicaSet
        task = asyncio.ensure_future(kubectl(kyb, "-n", env.ns, "delete", "rs", "fg", "--cascade=foreground"))
        pod_path = resource_path("", "v1", "pods", env.ns, "fg-0")

        async def held_terminating() -> bool:
            p = await get_or_none(env, pod_path)
            return bool(p and p["metadata"].get("deletionTimestamp"))

        await env.until(held_terminating)
        await env.until(lambda: gone(env, resource_path("", "v1", "pods", env.ns, "fg-1")))
        await asyncio.sleep(0.5)
        rs = await env.client.get(resource_path("apps", "v1", "replicasets", env.ns, "fg"))
        assert rs["metadata"]["finalizers"] == ["foregroundDeletion"]
        assert not task.done()
        await drop_finalizers(env, pod_path)
        rc, out = await asyncio.wait_for(task, 30)
        assert rc == 0, out
        assert await gone(env, resource_path("apps", "v1", "replicasets", env.ns, "fg"))

        rc, out = await kubectl(kyb, "-n", env.ns, "delete", "rs", "orph", "--cascade=orphan")
        assert rc == 0, out
        pods = await env.pods("app=orph")
        assert len(pods) == 2
        assert all("ownerReferences" not in p["metadata"] for p in pods)
        assert await gone(env, resource_path("apps", "v1", "replicasets", env.ns, "orph"))


async def _no_pods(env, selector: str) -> bool:
    return not await env.pods(selector)
