"""The controller manager: runs every controller in one process over one set of shared informers.

``ControllerManager.run()`` campaigns for the ``kube-system/kube-controller-manager`` Lease (so of two managers
only one acts), then builds the enabled controllers (each registers the informers it needs), starts the shared
informers, waits for their caches and starts every controller's workers.  Losing the lease stops the process's
work (the caller exits, as upstream does, and its supervisor starts it again as a candidate).

Controllers are named as upstream's ``--controllers`` flag names them; ``"*"`` means all, ``-name`` disables one.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import socket
import uuid
from typing import Any

from kybernetes.client.informer import SharedInformerFactory
from kybernetes.client.leaderelection import LeaderElector
from kybernetes.client.rest import RESTClient
from kybernetes.controllers.base import Controller, ControllerContext

__all__ = ["ControllerManager", "CONTROLLERS", "enabled_controllers"]

log = logging.getLogger(__name__)

# name -> "module:Class" (modules under kybernetes.controllers)
CONTROLLERS: dict[str, str] = {
    "replicaset": "replicaset:ReplicaSetController",
    "replicationcontroller": "replicaset:ReplicationControllerController",
    "deployment": "deployment:DeploymentController",
    "garbagecollector": "garbagecollector:GarbageCollector",
    "namespace": "namespace:NamespaceController",
    "serviceaccount": "serviceaccount:ServiceAccountController",
    "podgc": "podgc:PodGCController",
    "statefulset": "statefulset:StatefulSetController",
    "daemonset": "daemonset:DaemonSetController",
    "job": "job:JobController",
    "cronjob": "cronjob:CronJobController",
    "ttl-after-finished": "ttlafterfinished:TTLAfterFinishedController",
    "endpoints": "endpoints:EndpointsController",
    "endpointslice": "endpointslice:EndpointSliceController",
    "endpointslicemirroring": "endpointslicemirroring:EndpointSliceMirroringController",
    "nodelifecycle": "nodelifecycle:NodeLifecycleController",
    "disruption": "disruption:DisruptionController",
}


def enabled_controllers(spec: str = "*") -> list[str]:
    """Resolve a ``--controllers`` value (``*,-job`` / ``deployment,replicaset``) to controller names."""
    names: list[str] = []
    parts = [p.strip() for p in spec.split(",") if p.strip()] or ["*"]
    disabled = {p[1:] for p in parts if p.startswith("-")}
    for p in parts:
        if p == "*":
            names.extend(n for n in CONTROLLERS if n not in names)
        elif not p.startswith("-"):
            if p not in CONTROLLERS:
                raise ValueError(f"unknown controller {p!r}")
            if p not in names:
                names.append(p)
    return [n for n in names if n not in disabled]


def _load(name: str) -> type[Controller]:
    module, cls = CONTROLLERS[name].split(":")
    return getattr(importlib.import_module(f"kybernetes.controllers.{module}"), cls)


class ControllerManager:
    def __init__(self, client: RESTClient, *, controllers: str = "*", options: dict[str, Any] | None = None,
                 leader_elect: bool = True, identity: str = "") -> None:
        self.client = client
        self.names = enabled_controllers(controllers)
        self.options = dict(options or {})
        self.leader_elect = leader_elect
        self.identity = identity or f"{socket.gethostname()}_{uuid.uuid4()}"
        self.factory: SharedInformerFactory | None = None
        self.ctx: ControllerContext | None = None
        self.controllers: list[Controller] = []
        self.started = asyncio.Event()

    async def run(self) -> None:
        """Lead and run the controllers until cancelled or the lease is lost (then returns)."""
        if not self.leader_elect:
            await self._lead()
            return
        elector = LeaderElector(self.client, name="kube-controller-manager", namespace="kube-system",
                                identity=self.identity)
        await elector.run(self._lead, self._stop)

    async def _lead(self) -> None:
        self.factory = SharedInformerFactory(self.client)
        self.ctx = ControllerContext(client=self.client, informers=self.factory, options=self.options)
        self.controllers = [_load(n)(self.ctx) for n in self.names]
        self.factory.start()
        await self.factory.wait_for_cache_sync()
        for c in self.controllers:
            await c.start()
        log.info("controller manager %s: started %s", os.getpid(), ", ".join(self.names))
        self.started.set()
        try:
            await asyncio.Event().wait()
        finally:
            await self._stop()

    async def _stop(self) -> None:
        controllers, self.controllers = self.controllers, []
        for c in controllers:
            await c.stop()
        if self.factory is not None:
            await self.factory.stop()
            self.factory = None
        if self.ctx is not None:
            for rec in self.ctx.recorders.values():
                await rec.close()
