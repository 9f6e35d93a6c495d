"""The namespace controller against a real API server: content removal, status conditions, finalization.

The test namespaces carry a metadata finalizer of their own (``example.com/test-hold``) so they stay visible after
the controller finalizes them; the test then lets them go.  ``test_kubectl_delete_namespace`` is the plain
``kubectl delete ns`` flow.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers.namespace import CONDITION_TYPES, ConditionUpdater, DeletionTotals, NamespaceController
from kybernetes.controllers.discovery import APIResource
from kybernetes.machinery.errors import StatusError
from tests.unit.controllers.conftest import running

HOLD = "example.com/test-hold"
OPTS = {"namespace_deletion_grace_period": 0, "namespace_content_recheck_max": 0.5}


def ns_path(name: str, sub: str = "") -> str:
    return resource_path("", "v1", "namespaces", "", name, sub)


async def get_or_none(env, path: str) -> dict[str, Any] | None:
    try:
        return await env.client.get(path)
    except StatusError as e:
        if e.code == 404:
            return None
        raise


async def make_ns(env, name: str, finalizers: list[str] | None = None) -> None:
    md: dict[str, Any] = {"name": name}
    if finalizers:
        md["finalizers"] = finalizers
    await env.client.create(resource_path("", "v1", "namespaces"),
                            {"apiVersion": "v1", "kind": "Namespace", "metadata": md})


async def fill(env, ns: str) -> None:
    """Objects of several kinds, one of them (services) without DeleteCollection."""
    c = env.client
    for i in range(3):
        await c.create(resource_path("", "v1", "configmaps", ns),
                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}})
    await c.create(resource_path("", "v1", "secrets", ns),
                   {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}})
    await c.create(resource_path("", "v1", "services", ns),
                   {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
                    "spec": {"ports": [{"port": 80}], "selector": {"app": "x"}}})
    await c.create(resource_path("", "v1", "pods", ns),
                   {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    await c.create(resource_path("apps", "v1", "deployments", ns),
                   {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                    "spec": {"selector": {"matchLabels": {"app": "d"}},
                             "template": {"metadata": {"labels": {"app": "d"}},
                                          "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})


async def content(env, ns: str) -> dict[str, int]:
    out = {}
    for group, version, plural in (("", "v1", "configmaps"), ("", "v1", "secrets"), ("", "v1", "services"),
                                   ("", "v1", "pods"), ("apps", "v1", "deployments")):
        n = len((await env.client.list(resource_path(group, version, plural, ns)))["items"])
        if n:
            out[plural] = n
    return out


def conditions(ns: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (ns.get("status") or {}).get("conditions") or []}


def test_condition_updater_messages():
    cm = APIResource("", "v1", "configmaps", "ConfigMap", True, frozenset())
    deploy = APIResource("apps", "v1", "deployments", "Deployment", True, frozenset())
    up = ConditionUpdater()
    up.totals(DeletionTotals(by_resource={deploy: 1, cm: 2}, by_finalizer={"b/x": 1, "a/y": 2}))
    up.content_failed("boom 2")
    up.content_failed("boom 1")
    status: dict[str, Any] = {"phase": "Terminating"}
    assert up.update(status)
    got = {c["type"]: c for c in status["conditions"]}
    assert [c["type"] for c in status["conditions"]] == list(CONDITION_TYPES)
    assert got["NamespaceContentRemaining"]["message"] == \
        "Some resources are remaining: configmaps. has 2 resource instances, deployments.apps has 1 resource instances"
    assert got["NamespaceFinalizersRemaining"]["message"] == \
        "Some finalizers are remaining: a/y in 2 resource instances, b/x in 1 resource instances"
    assert got["NamespaceDeletionContentFailure"]["message"] == \
        "Failed to delete all resource types, 2 remaining: boom 1, boom 2"
    assert got["NamespaceDeletionDiscoveryFailure"] == {
        **got["NamespaceDeletionDiscoveryFailure"], "status": "False", "reason": "ResourcesDiscovered",
        "message": "All resources successfully discovered"}
    # the same outcome again changes nothing; success flips the status and its transition time
    again = ConditionUpdater()
    again.totals(DeletionTotals(by_resource={deploy: 1, cm: 2}, by_finalizer={"b/x": 1, "a/y": 2}))
    again.content_failed("boom 1")
    again.content_failed("boom 2")
    assert not again.update(status)
    assert ConditionUpdater().update(status)
    assert all(c["status"] == "False" for c in status["conditions"])


async def test_namespace_emptied_conditions_set_and_finalized(kyb):
    async with running(kyb, NamespaceController, options=OPTS) as env:
        name = f"{env.ns}-gone"
        await make_ns(env, name, finalizers=[HOLD])
        await fill(env, name)
        assert await content(env, name)
        await env.client.delete(ns_path(name))

        async def finalized() -> dict[str, Any] | None:
            ns = await env.client.get(ns_path(name))
            return ns if ns["spec"]["finalizers"] == [] else None

        ns = await env.until(finalized)
        assert await content(env, name) == {}
        assert ns["status"]["phase"] == "Terminating"
        conds = conditions(ns)
        assert set(conds) == set(CONDITION_TYPES)
        assert all(c["status"] == "False" for c in conds.values())
        assert conds["NamespaceContentRemaining"]["reason"] == "ContentRemoved"
        # a terminating namespace takes no new content
        with pytest.raises(StatusError) as err:
            await env.client.create(resource_path("", "v1", "configmaps", name),
                                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late"}})
        assert err.value.code == 403
        await env.client.patch(ns_path(name), {"metadata": {"finalizers": None}}, "merge")
        await env.until(lambda: _gone(env, ns_path(name)))


async def _gone(env, path: str) -> bool:
    return await get_or_none(env, path) is None


async def test_content_held_by_finalizers_is_reported_and_waited_for(kyb):
    async with running(kyb, NamespaceController, options=OPTS) as env:
        name = f"{env.ns}-held"
        await make_ns(env, name, finalizers=[HOLD])
        cm = resource_path("", "v1", "configmaps", name, "sticky")
        await env.client.create(resource_path("", "v1", "configmaps", name),
                                {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "sticky", "finalizers": ["example.com/hold"]}})
        await env.client.delete(ns_path(name))

        async def reported() -> dict[str, Any] | None:
            c = conditions(await env.client.get(ns_path(name)))
            return c if c.get("NamespaceFinalizersRemaining", {}).get("status") == "True" else None

        conds = await env.until(reported)
        assert conds["NamespaceContentRemaining"]["status"] == "True"
        assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
        assert conds["NamespaceContentRemaining"]["message"] == \
            "Some resources are remaining: configmaps. has 1 resource instances"
        assert conds["NamespaceFinalizersRemaining"]["reason"] == "SomeFinalizerRemain"
        assert conds["NamespaceFinalizersRemaining"]["message"] == \
            "Some finalizers are remaining: example.com/hold in 1 resource instances"
        await asyncio.sleep(1.0)
        assert (await env.client.get(ns_path(name)))["spec"]["finalizers"] == ["kubernetes"]
        await env.client.patch(cm, {"metadata": {"finalizers": None}}, "merge")

        async def done() -> bool:
            ns = await env.client.get(ns_path(name))
            c = conditions(ns)
            return ns["spec"]["finalizers"] == [] and c["NamespaceFinalizersRemaining"]["status"] == "False"

        await env.until(done)
        await env.client.patch(ns_path(name), {"metadata": {"finalizers": None}}, "merge")


async def test_running_pods_terminate_gracefully_before_finalization(kyb):
    async with running(kyb, NamespaceController, nodes=1, options=OPTS) as env:
        await env.client.patch(ns_path(env.ns), {"metadata": {"finalizers": [HOLD]}}, "merge")
        for i in range(2):
            await env.client.create(resource_path("", "v1", "pods", env.ns),
                                    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"},
                                     "spec": {"containers": [{"name": "c", "image": "busybox"}]}})

        async def all_running() -> bool:
            pods = await env.pods()
            return len(pods) == 2 and all(p["status"].get("phase") == "Running" for p in pods)

        await env.until(all_running)
        await env.client.delete(ns_path(env.ns))
        # the pods are deleted gracefully (the simulated kubelet finishes that), then the namespace is released
        await env.until(lambda: _finalizers_empty(env, env.ns))
        assert await env.pods() == []
        await env.client.patch(ns_path(env.ns), {"metadata": {"finalizers": None}}, "merge")


async def test_restart_picks_up_a_namespace_left_terminating(kyb):
    async with running(kyb, options=OPTS) as env:
        name = f"{env.ns}-later"
        await make_ns(env, name, finalizers=[HOLD])
        await fill(env, name)
        await env.client.delete(ns_path(name))
        await asyncio.sleep(0.3)
        assert (await env.client.get(ns_path(name)))["spec"]["finalizers"] == ["kubernetes"]
        nc = NamespaceController(env.ctx)
        await env.ctx.informers.wait_for_cache_sync(15)
        await nc.start()
        try:
            await env.until(lambda: _finalizers_empty(env, name))
            assert await content(env, name) == {}
        finally:
            await nc.stop()
            await env.client.patch(ns_path(name), {"metadata": {"finalizers": None}}, "merge")


async def _finalizers_empty(env, name: str) -> bool:
    return (await env.client.get(ns_path(name)))["spec"]["finalizers"] == []


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
async def test_kubectl_delete_namespace(kyb):
    async with running(kyb, NamespaceController, options=OPTS) as env:
        name = f"{env.ns}-k"
        await make_ns(env, name)
        await fill(env, name)
        proc = await asyncio.create_subprocess_exec(
            shutil.which("kubectl") or "kubectl", "--kubeconfig", str(kyb.kubeconfig), "delete", "ns", name,
            "--timeout=60s", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(proc.communicate(), 90)
        assert proc.returncode == 0, out.decode()
        assert await get_or_none(env, ns_path(name)) is None
        assert await content(env, name) == {}
