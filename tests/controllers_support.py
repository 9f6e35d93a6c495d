"""Helpers shared by controller tests (unit tests against a real server, and the kubectl integration tests).

- :class:`ControllerSet` runs controllers in-process on their own client and informers, so a test can kill a
  set and start a fresh one (nothing shared but the API server) while simulated nodes keep serving pods.
- :class:`ObjectWatch` follows a collection from a resourceVersion and calls a check after every event, so
  invariants (maxSurge, maxUnavailable) are asserted at every state the API went through; :class:`PodWatch` is
  the one over a namespace's pods.
- :func:`pin_to_node` sets ``spec.nodeName`` in a pod template.  The API server's ``pods/binding`` currently
  answers 422 (the pod update validation rejects the nodeName change), so the stand-in binder of
  ``tests/unit/controllers/conftest.py`` cannot bind; pods created already assigned to a simulated node run
  without a binder.  A template pinned to a node nobody serves gives pods that never become ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections.abc import Callable
from typing import Any

from kybernetes.client.informer import SharedInformerFactory
from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.controllers.base import Controller, ControllerContext

__all__ = ["ControllerSet", "ObjectWatch", "PodWatch", "pin_to_node", "eventually", "UNSERVED_NODE", "active",
           "ready"]

UNSERVED_NODE = "unserved-node"  # no simulated node has this name: pods assigned to it stay Pending


def pin_to_node(template: dict[str, Any], node: str) -> dict[str, Any]:
    """A copy of PodTemplateSpec ``template`` whose pods are created assigned to ``node``."""
    t = copy.deepcopy(template)
    t.setdefault("spec", {})["nodeName"] = node
    return t


async def eventually(fn: Any, timeout: float = 30.0, step: float = 0.1, what: str = "condition") -> Any:
    """Await ``fn()`` (sync or async) until it returns something truthy; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        v = fn()
        if asyncio.iscoroutine(v):
            v = await v
        if v:
            return v
        last = v
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout}s (last: {last!r})")
        await asyncio.sleep(step)


class ControllerSet:
    """Controllers of the given classes on a fresh client and informer factory.  ``await start()`` returns once
    their caches are synced; ``await stop()`` ends everything (idempotent)."""

    def __init__(self, kubeconfig: Any, classes: list[type[Controller]], options: dict[str, Any] | None = None):
        self.kubeconfig = kubeconfig
        self.classes = classes
        self.options = dict(options or {})
        self.client: RESTClient | None = None
        self.factory: SharedInformerFactory | None = None
        self.ctx: ControllerContext | None = None
        self.controllers: list[Controller] = []

    async def start(self) -> ControllerSet:
        self.client = RESTClient.from_kubeconfig(self.kubeconfig)
        self.factory = SharedInformerFactory(self.client)
        self.ctx = ControllerContext(client=self.client, informers=self.factory, options=self.options)
        self.controllers = [cls(self.ctx) for cls in self.classes]
        self.factory.start()
        await self.factory.wait_for_cache_sync(30)
        for c in self.controllers:
            await c.start()
        return self

    async def stop(self) -> None:
        controllers, self.controllers = self.controllers, []
        for c in controllers:
            await c.stop()
        if self.factory is not None:
            await self.factory.stop()
            self.factory = None
        if self.ctx is not None:
            for rec in self.ctx.recorders.values():
                await rec.close()
            self.ctx = None
        if self.client is not None:
            await self.client.close()
            self.client = None


class ObjectWatch:
    """The objects of collection ``path`` as a watch from ``resource_version`` shows them; ``check(objects)``
    runs after every event (``objects``: uid -> object) and its AssertionError is kept in ``failure``.
    ``history`` keeps every object state seen, in order."""

    def __init__(self, client: RESTClient, path: str, resource_version: str,
                 check: Callable[[dict[str, dict[str, Any]]], None], initial: list[dict[str, Any]] | None = None):
        self.client = client
        self.path = path
        self.rv = resource_version
        self.check = check
        self.objects: dict[str, dict[str, Any]] = {o["metadata"]["uid"]: o for o in initial or []}
        self.history: list[dict[str, Any]] = list(initial or [])
        self.events = 0
        self.failure: AssertionError | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def begin(cls, client: RESTClient, path: str,
                    check: Callable[[dict[str, dict[str, Any]]], None] = lambda objects: None) -> ObjectWatch:
        """List ``path`` now and follow it from there."""
        page = await client.list(path)
        w = cls(client, path, page["metadata"]["resourceVersion"], check, page["items"])
        w._task = asyncio.create_task(w._run())
        return w

    async def _run(self) -> None:
        while True:
            async for ev in self.client.watch(self.path, {"resourceVersion": self.rv, "allowWatchBookmarks": True,
                                                          "timeoutSeconds": 300}):
                obj = ev.get("object") or {}
                if ev.get("type") == "ERROR":
                    self.failure = AssertionError(f"watch error: {obj}")
                    return
                self.rv = obj.get("metadata", {}).get("resourceVersion", self.rv)
                if ev["type"] == "BOOKMARK":
                    continue
                uid = obj["metadata"]["uid"]
                if ev["type"] == "DELETED":
                    self.objects.pop(uid, None)
                else:
                    self.objects[uid] = obj
                    self.history.append(obj)
                self.events += 1
                try:
                    self.check(self.objects)
                except AssertionError as e:
                    if self.failure is None:
                        self.failure = e

    async def stop(self) -> None:
        """End the watch and raise the first failed check, if any."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.failure is not None:
            raise self.failure


class PodWatch(ObjectWatch):
    """An ObjectWatch over the pods of one namespace."""

    @classmethod
    async def begin(cls, client: RESTClient, namespace: str,  # type: ignore[override]
                    check: Callable[[dict[str, dict[str, Any]]], None] = lambda objects: None) -> ObjectWatch:
        return await ObjectWatch.begin(client, resource_path("", "v1", "pods", namespace), check)


def active(pod: dict[str, Any]) -> bool:
    """Not being deleted and not finished."""
    return not pod["metadata"].get("deletionTimestamp") and \
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())
