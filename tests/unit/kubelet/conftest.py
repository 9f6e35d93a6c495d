"""Kubelet tests against a real API server: a module-scoped server, and ``running_kubelet`` that runs a Kubelet
in-process over the in-memory :class:`FakeRuntime` (or a real runtime), with scratch directories, an imitated
cgroup tree, short intervals and short back-offs.  Also registers the ``e2e`` marker."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.kubelet.backoff import Backoff
from kybernetes.kubelet.kubelet import Kubelet, KubeletConfig
from kybernetes.machinery.errors import StatusError
from tests.conftest import start_cluster

from .fakeruntime import FakeRuntime


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end tests with real containers (root, crun and CNI needed)")


@pytest.fixture(scope="module")
def kyb(tmp_path_factory):
    c = start_cluster(tmp_path_factory.mktemp("kyb-kubelet"))
    yield c
    c.stop()
    if c.proc.returncode not in (0, -signal.SIGTERM):
        print(c.log.read_text()[-4000:])


def fake_cgroup_tree(root: Path) -> Path:
    for ctrl in ("cpu,cpuacct", "memory", "pids"):
        (root / ctrl).mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        (root / "cpu").symlink_to("cpu,cpuacct")
    return root


@dataclass
class Env:
    client: RESTClient
    kubelet: Kubelet
    runtime: Any
    ns: str
    node: str
    tmp: Path

    async def until(self, fn: Any, timeout: float = 20.0, step: float = 0.05) -> Any:
        """Await ``fn()`` (sync or async) until truthy; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                v = fn()
                if asyncio.iscoroutine(v):
                    v = await v
            except (StatusError, KeyError, StopIteration, IndexError) as e:
                v, last = None, e
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not reached in {timeout}s (last error: {last!r})")
            await asyncio.sleep(step)

    def pod_path(self, name: str, sub: str = "") -> str:
        return resource_path("", "v1", "pods", self.ns, name, sub)

    async def get_pod(self, name: str) -> dict[str, Any]:
        return await self.client.get(self.pod_path(name))

    async def create_pod(self, name: str, spec: dict[str, Any], **meta: Any) -> dict[str, Any]:
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **meta},
                "spec": {"nodeName": self.node, "terminationGracePeriodSeconds": 5, **spec}}
        return await self.client.create(resource_path("", "v1", "pods", self.ns), body)

    async def phase(self, name: str) -> str:
        return ((await self.get_pod(name)).get("status") or {}).get("phase", "")

    async def container_status(self, name: str, container: str) -> dict[str, Any]:
        st = (await self.get_pod(name)).get("status") or {}
        for key in ("containerStatuses", "initContainerStatuses"):
            for cs in st.get(key) or ():
                if cs["name"] == container:
                    return cs
        return {}

    async def events(self, name: str) -> list[dict[str, Any]]:
        await asyncio.wait_for(self.kubelet.recorder.flush(), 15)
        items = (await self.client.list(resource_path("", "v1", "events", self.ns)))["items"]
        return [e for e in items if e["involvedObject"].get("name") == name]

    async def gone(self, name: str) -> bool:
        try:
            await self.get_pod(name)
        except StatusError as e:
            return e.code == 404
        return False


def new_kubelet(client: RESTClient, runtime: Any, tmp: Path, node: str, **overrides: Any) -> Kubelet:
    resolv = tmp / "resolv.conf"
    resolv.write_text("nameserver 192.0.2.53\nsearch example.test\n")
    config = KubeletConfig(node_name=node, root_dir=str(tmp / "root"), pod_logs_dir=str(tmp / "logs"),
                           node_ips=["192.0.2.10"], cgroup_mount=str(fake_cgroup_tree(tmp / "cgroup")),
                           resolv_conf=str(resolv), cluster_dns=["10.43.0.10"], sync_frequency=5,
                           housekeeping_interval=0.5, pleg_period=0.1, static_pod_interval=0.2,
                           node_status_interval=0.5, node_lease_interval=0.5)
    for k, v in overrides.items():
        setattr(config, k, v)
    (tmp / "root").mkdir(parents=True, exist_ok=True)
    k = Kubelet(client, runtime, runtime, config)
    k.rm.backoff = Backoff(initial=0.4, maximum=1.6)
    k.rm.image_backoff = Backoff(initial=0.4, maximum=1.6)
    return k


@contextlib.asynccontextmanager
async def running_kubelet(kyb: Any, tmp: Path, runtime: Any = None, **overrides: Any) -> AsyncIterator[Env]:
    client = RESTClient.from_kubeconfig(kyb.kubeconfig)
    ns = f"kt-{uuid.uuid4().hex[:8]}"
    node = f"node-{uuid.uuid4().hex[:8]}"
    await client.create(resource_path("", "v1", "namespaces"), {"apiVersion": "v1", "kind": "Namespace",
                                                                "metadata": {"name": ns}})
    runtime = runtime if runtime is not None else FakeRuntime()
    kubelet = new_kubelet(client, runtime, tmp, node, **overrides)
    await kubelet.start()
    env = Env(client, kubelet, runtime, ns, node, tmp)
    try:
        yield env
    finally:
        await env.kubelet.stop()
        with contextlib.suppress(StatusError):
            await client.delete(resource_path("", "v1", "nodes", name=node))
        with contextlib.suppress(StatusError):
            await client.delete(resource_path("coordination.k8s.io", "v1", "leases", "kube-node-lease", node))
        with contextlib.suppress(StatusError):
            await client.delete(resource_path("", "v1", "namespaces", name=ns))
        await client.close()
