"""Controllers against a real API server: a module-scoped server, and ``running`` to run controllers in-process.

``async with running(cluster, DeploymentController, ...) as env`` starts the given controllers on a fresh
RESTClient + SharedInformerFactory, optionally ``nodes`` simulated nodes (sim/) and a minimal round-robin binder
standing in for the scheduler (pods without nodeName are bound through pods/binding), and yields an ``Env`` with
``client``, ``ns`` (a fresh namespace), ``sim`` and ``controllers``.  Everything is stopped on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from kybernetes.client.informer import SharedInformerFactory
from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.controllers.base import Controller, ControllerContext
from kybernetes.machinery.errors import StatusError
from kybernetes.sim.nodes import SimulatedNodes
from tests.conftest import start_cluster


@pytest.fixture(scope="module")
def kyb(tmp_path_factory):
    c = start_cluster(tmp_path_factory.mktemp("kyb-ctrl"))
    yield c
    c.stop()
    if c.proc.returncode not in (0, -signal.SIGTERM):
        print(c.log.read_text()[-4000:])


@dataclass
class Env:
    client: RESTClient
    ns: str
    ctx: ControllerContext
    sim: SimulatedNodes | None = None
    controllers: list[Controller] = field(default_factory=list)

    async def until(self, fn: Any, timeout: float = 15.0, step: float = 0.1) -> Any:
        """Await ``fn()`` (sync or async) until truthy; AssertionError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            v = fn()
            if asyncio.iscoroutine(v):
                v = await v
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not reached in {timeout}s")
            await asyncio.sleep(step)

    async def pods(self, label_selector: str = "") -> list[dict[str, Any]]:
        params = {"labelSelector": label_selector} if label_selector else None
        return (await self.client.list(resource_path("", "v1", "pods", self.ns), params))["items"]


async def _binder(client: RESTClient, sim: SimulatedNodes, ns: str) -> None:
    """Bind every unscheduled pod of ``ns`` to the simulated nodes in turn (a stand-in for the scheduler)."""
    names = itertools.cycle(sim.node_names)
    while True:
        try:
            pods = (await client.list(resource_path("", "v1", "pods", ns),
                                      {"fieldSelector": "spec.nodeName="}))["items"]
            for p in pods:
                if p["metadata"].get("deletionTimestamp"):
                    continue
                m = p["metadata"]
                body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": m["name"], "uid": m["uid"]},
                        "target": {"apiVersion": "v1", "kind": "Node", "name": next(names)}}
                with contextlib.suppress(StatusError):
                    await client.create(resource_path("", "v1", "pods", ns, m["name"], "binding"), body)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep binding
            pass
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running(cluster, *controller_classes: type[Controller], nodes: int = 0, bind: bool = True,
                  options: dict[str, Any] | None = None, sim_kw: dict[str, Any] | None = None):
    client = RESTClient.from_kubeconfig(cluster.kubeconfig)
    ns = f"t-{uuid.uuid4().hex[:8]}"
    await client.create(resource_path("", "v1", "namespaces"), {"apiVersion": "v1", "kind": "Namespace",
                                                                "metadata": {"name": ns}})
    factory = SharedInformerFactory(client)
    ctx = ControllerContext(client=client, informers=factory, options=dict(options or {}))
    env = Env(client=client, ns=ns, ctx=ctx)
    tasks: list[asyncio.Task] = []
    try:
        if nodes:
            env.sim = SimulatedNodes(client, count=nodes, name_prefix=f"{ns}-n",
                                     **{"ready_delay": 0.05, "run_seconds": 0.3, **(sim_kw or {})})
            await env.sim.start()
            if bind:
                tasks.append(asyncio.create_task(_binder(client, env.sim, ns)))
        env.controllers = [cls(ctx) for cls in controller_classes]
        factory.start()
        await factory.wait_for_cache_sync(15)
        for c in env.controllers:
            await c.start()
        yield env
    finally:
        for c in env.controllers:
            await c.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if env.sim is not None:
            await env.sim.stop()
        await factory.stop()
        for rec in ctx.recorders.values():
            await rec.close()
        await client.close()
