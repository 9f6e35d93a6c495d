"""The disruption controller: pure pieces, PDB status against a real API server, and the eviction API / kubectl
drain refusing what a budget does not allow."""

from __future__ import annotations

import asyncio
import subprocess
import time

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers.disruption import (
    DELETION_TIMEOUT,
    DisruptionController,
    ExpectedCountError,
    build_disrupted_pods,
    count_healthy,
    disruption_allowed_condition,
    scaled_value,
    set_condition,
)
from kybernetes.machinery.errors import StatusError
from tests.conftest import kubectl_binary
from tests.unit.controllers.conftest import running

# -- pure ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value,total,up,want", [
    (3, 10, True, 3), ("50%", 5, True, 3), ("50%", 5, False, 2), ("0%", 7, True, 0), ("100%", 7, True, 7),
    ("34%", 3, True, 2),
])
def test_scaled_value(value, total, up, want):
    assert scaled_value(value, total, up) == want


@pytest.mark.parametrize("value", ["abc%", "5", True])
def test_scaled_value_rejects(value):
    with pytest.raises(ExpectedCountError):
        scaled_value(value, 4, True)


def _pod(name: str, ready: bool = True, deleting: bool = False) -> dict:
    meta = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {"metadata": meta, "status": {"conditions": [{"type": "Ready", "status": str(ready)}]}}


def _rfc(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def test_healthy_pods_and_disrupted_pod_bookkeeping():
    now = time.time()
    pods = [_pod("a"), _pod("b"), _pod("c", ready=False), _pod("d", deleting=True), _pod("e"), _pod("f")]
    disrupted = {"b": _rfc(now - 10), "d": _rfc(now - 10), "gone": _rfc(now - 10), "e": _rfc(now - 500)}
    kept, recheck, expired = build_disrupted_pods(pods, disrupted, now)
    assert kept == {"b": disrupted["b"]}  # d is being deleted, "gone" does not exist, e timed out
    assert [p["metadata"]["name"] for p in expired] == ["e"]
    assert recheck == pytest.approx(now - 10 + DELETION_TIMEOUT, abs=1)
    assert count_healthy(pods, kept, now) == 3  # a, e, f (b is about to go, c unready, d deleting)


def test_conditions():
    cond = disruption_allowed_condition({"disruptionsAllowed": 2, "observedGeneration": 3})
    assert cond == {"type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods", "message": "",
                    "observedGeneration": 3}
    first = set_condition([], cond)
    assert first[0]["lastTransitionTime"]
    same = set_condition([dict(first[0], lastTransitionTime="2020-01-01T00:00:00Z")],
                         dict(cond, observedGeneration=4))
    assert same[0]["lastTransitionTime"] == "2020-01-01T00:00:00Z" and same[0]["observedGeneration"] == 4
    flipped = set_condition(same, disruption_allowed_condition({"disruptionsAllowed": 0}))
    assert flipped[0]["status"] == "False" and flipped[0]["reason"] == "InsufficientPods"
    assert flipped[0]["lastTransitionTime"] != "2020-01-01T00:00:00Z"


# -- against the API server ----------------------------------------------------------------------------------------

PDBS = ("policy", "v1", "poddisruptionbudgets")


async def _owner(env, kind: str, name: str, replicas: int, owner: dict | None = None) -> dict:
    plural = {"ReplicaSet": "replicasets", "Deployment": "deployments"}[kind]
    meta: dict = {"name": name}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner["kind"], "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    body = {"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    obj = await env.client.create(resource_path("apps", "v1", plural, env.ns), body)
    obj.setdefault("kind", kind)
    return obj


async def _pods_of(env, owner: dict | None, app: str, n: int, node: str = "", ref: dict | None = None) -> None:
    for i in range(n):
        meta: dict = {"name": f"{app}-{i}", "labels": {"app": app}}
        if owner is not None or ref is not None:
            ref = ref or {"apiVersion": "apps/v1", "kind": owner["kind"], "name": owner["metadata"]["name"],
                          "uid": owner["metadata"]["uid"]}
            meta["ownerReferences"] = [{**ref, "controller": True}]
        spec: dict = {"containers": [{"name": "c", "image": "nginx"}]}
        if node:
            spec["nodeName"] = node
        await env.client.create(resource_path("", "v1", "pods", env.ns),
                                {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})

    async def all_ready():
        pods = await env.pods(f"app={app}")
        return len(pods) == n and all(any(c["type"] == "Ready" and c["status"] == "True"
                                          for c in p["status"].get("conditions") or []) for p in pods)

    await env.until(all_ready, timeout=30)


async def _pdb(env, name: str, app: str, **spec) -> dict:
    return await env.client.create(resource_path(*PDBS, env.ns), {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": app}}, **spec}})


async def _status_when(env, name: str, **want) -> dict:
    async def check():
        pdb = await env.client.get(resource_path(*PDBS, env.ns, name))
        st = pdb.get("status") or {}
        return pdb if all(st.get(k) == v for k, v in want.items()) else None

    return await env.until(check, timeout=20)


async def _evict(env, name: str) -> None:
    await env.client.create(resource_path("", "v1", "pods", env.ns, name, "eviction"),
                            {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}})


async def test_min_available_status_and_evictions(kyb):
    async with running(kyb, DisruptionController, nodes=2) as env:
        rs = await _owner(env, "ReplicaSet", "web", 4)
        await _pods_of(env, rs, "web", 4)
        pdb = await _pdb(env, "web", "web", minAvailable=3)
        got = await _status_when(env, "web", expectedPods=4, desiredHealthy=3, currentHealthy=4,
                                 disruptionsAllowed=1, observedGeneration=pdb["metadata"]["generation"])
        (cond,) = got["status"]["conditions"]
        assert (cond["type"], cond["status"], cond["reason"]) == ("DisruptionAllowed", "True", "SufficientPods")

        await _evict(env, "web-0")
        with pytest.raises(StatusError) as e:
            await _evict(env, "web-1")
        assert e.value.code == 429
        assert e.value.message == "Cannot evict pod as it would violate the pod's disruption budget."

        # The evicted pod goes away; the budget settles at 3 healthy, no disruption allowed, no disrupted pods.
        got = await _status_when(env, "web", currentHealthy=3, disruptionsAllowed=0, disruptedPods=None)
        assert await env.client.get(resource_path("", "v1", "pods", env.ns, "web-1"))
        assert got["status"]["conditions"][0]["reason"] == "InsufficientPods"


async def test_max_unavailable_follows_the_deployment_scale(kyb):
    async with running(kyb, DisruptionController, nodes=2) as env:
        dep = await _owner(env, "Deployment", "api", 6)
        rs = await _owner(env, "ReplicaSet", "api", 4, owner=dep)
        await _pods_of(env, rs, "api", 4)
        await _pdb(env, "api", "api", maxUnavailable="50%")
        # Expected pods come from the Deployment (6), not the ReplicaSet (4) or the pod count.
        await _status_when(env, "api", expectedPods=6, desiredHealthy=3, currentHealthy=4, disruptionsAllowed=1)
        await env.client.patch(resource_path("apps", "v1", "deployments", env.ns, "api", "scale"),
                               {"spec": {"replicas": 2}})
        await _status_when(env, "api", expectedPods=2, desiredHealthy=1, disruptionsAllowed=3)


async def test_scale_subresource_fallback(kyb):
    async with running(kyb, DisruptionController, nodes=1) as env:
        # A ReplicaSet whose Deployment is gone: no finder for Deployments matches, the ReplicaSet finder skips
        # Deployment-controlled sets, so the scale comes from replicasets/<name>/scale.
        ghost = {"kind": "Deployment", "metadata": {"name": "ghost", "uid": "00000000-0000-0000-0000-00000000beef"}}
        rs = await _owner(env, "ReplicaSet", "orphan", 3, owner=ghost)
        await _pods_of(env, rs, "orphan", 2)
        await _pdb(env, "orphan", "orphan", maxUnavailable=1)
        await _status_when(env, "orphan", expectedPods=3, desiredHealthy=2, currentHealthy=2, disruptionsAllowed=0)


async def test_fail_safe_and_unmanaged_pods(kyb):
    async with running(kyb, DisruptionController, nodes=1) as env:
        # Pods owned by something without a scale subresource: the status fails safe.
        ref = {"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": "00000000-0000-0000-0000-000000000001"}
        await _pods_of(env, None, "job", 2, ref=ref)
        await _pdb(env, "job", "job", maxUnavailable=1)

        async def sync_failed():
            pdb = await env.client.get(resource_path(*PDBS, env.ns, "job"))
            conds = (pdb.get("status") or {}).get("conditions") or []
            return conds if conds and conds[0]["reason"] == "SyncFailed" else None

        (cond,) = await env.until(sync_failed)
        assert cond["status"] == "False" and cond["message"] == "jobs.batch does not implement the scale subresource"

        # Unmanaged pods with an int minAvailable are fine; with a percent they count for nothing (and an event).
        await _pods_of(env, None, "bare", 2)
        await _pdb(env, "bare", "bare", minAvailable=1)
        await _status_when(env, "bare", expectedPods=2, currentHealthy=2, desiredHealthy=1, disruptionsAllowed=1)
        await _pdb(env, "bare-pct", "bare", minAvailable="50%")
        await _status_when(env, "bare-pct", expectedPods=0, currentHealthy=2, desiredHealthy=0, disruptionsAllowed=0)

        async def unmanaged_event():
            evs = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
            return [e for e in evs if e["reason"] == "UnmanagedPods"]

        await env.until(unmanaged_event)


async def test_kubectl_drain_respects_the_budget(kyb, tmp_path):
    kubectl = kubectl_binary(32)
    if kubectl is None:
        pytest.skip("kubectl 1.32 is not installed")
    async with running(kyb, DisruptionController, nodes=2, bind=False) as env:
        node = env.sim.node_names[0]
        rs = await _owner(env, "ReplicaSet", "db", 2)
        await _pods_of(env, rs, "db", 2, node=node)
        await _pdb(env, "db", "db", minAvailable=1)
        await _status_when(env, "db", disruptionsAllowed=1)

        def drain() -> subprocess.CompletedProcess:
            return subprocess.run(
                [kubectl, "--kubeconfig", str(kyb.kubeconfig), "--cache-dir", str(tmp_path / "cache"), "drain", node,
                 "--ignore-daemonsets", "--pod-selector", "app=db", "--timeout", "6s"],
                capture_output=True, text=True, timeout=60)

        r = await asyncio.to_thread(drain)
        # One pod may go; the other is refused (kubectl retries 429s until its timeout, then gives up).
        assert r.returncode != 0, r.stdout + r.stderr
        assert "Cannot evict pod as it would violate the pod's disruption budget." in r.stderr
        assert len(await env.pods("app=db")) == 1
        n = await env.client.get(resource_path("", "v1", "nodes", name=node))
        assert n["spec"].get("unschedulable") is True  # drain cordons first
