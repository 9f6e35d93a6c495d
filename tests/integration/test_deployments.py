"""Acceptance: Deployments driven by the real kubectl 1.32 against the API server, with the ReplicaSet and
Deployment controllers running in this process and simulated nodes playing the kubelets.

kubectl runs in a thread (``asyncio.to_thread``) so the controllers keep working while it waits.  Pods are
created already assigned to a simulated node (see ``tests/controllers_support.py``: ``pods/binding`` is broken
on the server for now), by patching ``spec.template.spec.nodeName`` right after ``kubectl create deployment``,
before any controller runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers import deployment_util as du
from kybernetes.controllers.deployment import DeploymentController
from kybernetes.controllers.replicaset import ReplicaSetController
from tests.conftest import Cluster, kubectl_binary
from tests.controllers_support import UNSERVED_NODE, ControllerSet, PodWatch, active, eventually, ready
from tests.integration.conftest import Kubectl
from tests.unit.controllers.conftest import Env, running

pytestmark = pytest.mark.kubectl

CONTROLLERS = [ReplicaSetController, DeploymentController]


class K:
    """kubectl 1.32 in one namespace, run off the event loop."""

    def __init__(self, kubectl: Kubectl, ns: str) -> None:
        self.kubectl = kubectl
        self.ns = ns

    async def __call__(self, *args: str, check: bool = True, timeout: float = 60.0) -> Any:
        return await asyncio.to_thread(self.kubectl.run, "-n", self.ns, *args, check=check, timeout=timeout)

    async def json(self, *args: str) -> Any:
        return json.loads((await self(*args, "-o", "json")).stdout)


@pytest.fixture
def kubectl132(cluster: Cluster, tmp_path: Path) -> Kubectl:
    binary = kubectl_binary(32)
    if binary is None:
        pytest.skip("kubectl.1.32 is not installed")
    return Kubectl(binary, 32, cluster.kubeconfig, tmp_path / "kube-cache")


@contextlib.asynccontextmanager
async def cluster_env(cluster: Cluster, kubectl: Kubectl) -> AsyncIterator[tuple[Env, K]]:
    """A namespace with two simulated nodes and no controllers yet."""
    async with running(cluster, nodes=2, bind=False) as env:
        yield env, K(kubectl, env.ns)


async def create_web(env: Env, k: K, replicas: int) -> None:
    """``kubectl create deployment web --image=busybox``, pods pinned to a simulated node (see module doc)."""
    await k("create", "deployment", "web", "--image=busybox", f"--replicas={replicas}")
    patch: dict[str, Any] = {"spec": {"template": {"spec": {"nodeName": env.sim.node_names[0]}}}}
    await k("patch", "deployment", "web", "-p", json.dumps(patch))


@contextlib.asynccontextmanager
async def controllers(cluster: Cluster) -> AsyncIterator[ControllerSet]:
    cs = await ControllerSet(cluster.kubeconfig, CONTROLLERS).start()
    try:
        yield cs
    finally:
        await cs.stop()


@contextlib.asynccontextmanager
async def web(cluster: Cluster, kubectl: Kubectl, replicas: int,
              before: list[tuple[str, ...]] = ()) -> AsyncIterator[tuple[Env, K]]:
    """Deployment ``web`` created by kubectl (then the ``before`` kubectl commands), and only then the
    controllers, so revision 1 is the template as the test set it up."""
    async with cluster_env(cluster, kubectl) as (env, k):
        await create_web(env, k, replicas)
        for args in before:
            await k(*args)
        async with controllers(cluster):
            yield env, k


async def rollout_status(k: K, check: bool = True) -> Any:
    return await k("rollout", "status", "deployment/web", "--timeout=90s", check=check, timeout=120)


def web_pods_check(replicas: int, surge: int, unavailable: int):
    """A PodWatch check: at most replicas + surge pods exist, at least replicas - unavailable are ready."""
    def check(pods: dict) -> None:
        live = [p for p in pods.values() if active(p)]
        up = [p for p in live if ready(p)]
        assert len(live) <= replicas + surge, f"{len(live)} pods exceed {replicas} + maxSurge {surge}"
        assert len(up) >= replicas - unavailable, \
            f"only {len(up)} ready pods, below {replicas} - maxUnavailable {unavailable}"
    return check


def revisions(history: str) -> dict[int, str]:
    """``kubectl rollout history`` rows as revision -> change-cause."""
    out = {}
    for line in history.splitlines():
        parts = line.split(None, 1)
        if parts and parts[0].isdigit():
            out[int(parts[0])] = parts[1].strip() if len(parts) > 1 else ""
    return out


async def test_create_set_image_history_and_undo(cluster, kubectl132):
    annotate = ("annotate", "deployment", "web", "kubernetes.io/change-cause=create web")
    async with web(cluster, kubectl132, 5, before=[annotate]) as (env, k):
        r = await rollout_status(k)
        assert 'deployment "web" successfully rolled out' in r.stdout

        # 5 replicas, 25% / 25%: maxSurge 2, maxUnavailable 1, at every state the watch shows
        watch = await PodWatch.begin(env.client, env.ns, web_pods_check(5, 2, 1))
        await k("set", "image", "deployment/web", "busybox=busybox:1.36")
        await k("annotate", "deployment", "web", "--overwrite", "kubernetes.io/change-cause=image 1.36")
        r = await rollout_status(k)
        assert 'deployment "web" successfully rolled out' in r.stdout
        await asyncio.sleep(0.3)
        await watch.stop()
        assert watch.events >= 10
        pods = [p for p in await env.pods() if active(p)]
        assert len(pods) == 5 and {p["spec"]["containers"][0]["image"] for p in pods} == {"busybox:1.36"}

        async def history() -> dict[int, str] | None:
            h = revisions((await k("rollout", "history", "deployment/web")).stdout)
            return h if h == {1: "create web", 2: "image 1.36"} else None
        await eventually(history, what="history with change causes")

        r = await k("rollout", "undo", "deployment/web")
        assert "rolled back" in r.stdout
        await rollout_status(k)
        d = await k.json("get", "deployment", "web")
        assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox"
        assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "3"
        h = revisions((await k("rollout", "history", "deployment/web")).stdout)
        assert h == {2: "image 1.36", 3: "create web"}
        rss = (await k.json("get", "rs"))["items"]
        first = next(r for r in rss if r["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox")
        assert first["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "1"
        assert sorted(r["spec"]["replicas"] for r in rss) == [0, 5]

        await k("rollout", "undo", "deployment/web", "--to-revision=2")
        await rollout_status(k)
        d = await k.json("get", "deployment", "web")
        assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.36"
        assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "4"
        st = d["status"]
        assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (5, 5, 5, 5)


async def test_pause_resume_scale_and_restart(cluster, kubectl132):
    async with web(cluster, kubectl132, 2) as (env, k):
        await rollout_status(k)
        await k("rollout", "pause", "deployment/web")
        await k("set", "image", "deployment/web", "busybox=busybox:1.36")
        await k("scale", "deployment", "web", "--replicas=3")

        async def scaled_while_paused():
            d = await k.json("get", "deployment", "web")
            st = d.get("status") or {}
            cond = du.get_condition(st, "Progressing") or {}
            return (st.get("observedGeneration") == d["metadata"]["generation"] and st.get("replicas") == 3
                    and cond.get("reason") == "DeploymentPaused")
        await eventually(scaled_while_paused, what="paused deployment scaled")
        rss = (await k.json("get", "rs"))["items"]
        assert len(rss) == 1 and rss[0]["spec"]["replicas"] == 3  # no rollout while paused

        await k("rollout", "resume", "deployment/web")
        await rollout_status(k)
        pods = [p for p in await env.pods() if active(p)]
        assert {p["spec"]["containers"][0]["image"] for p in pods} == {"busybox:1.36"} and len(pods) == 3

        await k("rollout", "restart", "deployment/web")
        await rollout_status(k)
        d = await k.json("get", "deployment", "web")
        assert "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]
        assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "3"
        rss = (await k.json("get", "rs"))["items"]
        assert sorted(r["spec"]["replicas"] for r in rss) == [0, 0, 3]


async def test_stuck_rollout_exceeds_progress_deadline(cluster, kubectl132):
    deadline = ("patch", "deployment", "web", "-p", '{"spec": {"progressDeadlineSeconds": 3}}')
    async with web(cluster, kubectl132, 3, before=[deadline]) as (env, k):
        await rollout_status(k)
        # the new pods go to a node nobody serves: they never run (as on full nodes)
        await k("patch", "deployment", "web", "-p", json.dumps(
            {"spec": {"template": {"spec": {"nodeName": UNSERVED_NODE, "containers": [
                {"name": "busybox", "image": "busybox:broken"}]}}}}))
        r = await rollout_status(k, check=False)
        assert r.returncode != 0
        assert 'deployment "web" exceeded its progress deadline' in r.stderr
        d = await k.json("get", "deployment", "web")
        cond = du.get_condition(d["status"], "Progressing")
        assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
        # 25% of 3: maxSurge 1, maxUnavailable 0, so the three old pods keep serving
        assert du.get_condition(d["status"], "Available")["status"] == "True"
        assert sorted(r["spec"]["replicas"] for r in (await k.json("get", "rs"))["items"]) == [1, 3]
        out = (await k("describe", "deployment", "web")).stdout
        assert "ProgressDeadlineExceeded" in out


async def test_controllers_killed_mid_rollout_converge(cluster, kubectl132):
    async with cluster_env(cluster, kubectl132) as (env, k):
        await create_web(env, k, 6)
        async with controllers(cluster):
            await rollout_status(k)
        rng = random.Random(6)
        for i in range(1, 5):
            await k("set", "image", "deployment/web", f"busybox=busybox:v{i}")
            cs = await ControllerSet(cluster.kubeconfig, CONTROLLERS).start()
            await asyncio.sleep(rng.uniform(0.05, 0.6))
            await cs.stop()
        async with controllers(cluster):
            await rollout_status(k)

            async def settled():
                pods = [p for p in await env.pods() if active(p)]
                d = await k.json("get", "deployment", "web")
                st = d["status"]
                ok = (len(pods) == 6 and {p["spec"]["containers"][0]["image"] for p in pods} == {"busybox:v4"}
                      and (st.get("replicas"), st.get("updatedReplicas"), st.get("availableReplicas")) == (6, 6, 6))
                return (pods, d) if ok else None
            pods, d = await eventually(settled, what="final state")
            rss = (await k.json("get", "rs"))["items"]
            new = [r for r in rss if r["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:v4"]
            assert len(new) == 1, "exactly one ReplicaSet for the final template"
            assert {p["metadata"]["ownerReferences"][0]["uid"] for p in pods} == {new[0]["metadata"]["uid"]}
            assert all(r["spec"]["replicas"] == 0 for r in rss if r is not new[0])
            assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == \
                new[0]["metadata"]["annotations"][du.REVISION_ANNOTATION]
            # nothing extra shows up afterwards either
            await asyncio.sleep(1.0)
            assert len([p for p in await env.pods() if active(p)]) == 6
        all_rs = (await env.client.list(resource_path("apps", "v1", "replicasets", env.ns)))["items"]
        assert len({r["metadata"]["name"] for r in all_rs}) == len(all_rs) <= 5
