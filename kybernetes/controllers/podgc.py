"""The pod garbage collector: force-deletes pods nothing else will ever clean up.

Every ``podgc_check_period`` seconds (20) one pass over the informer caches deletes, as upstream 1.32 does:

- *terminated* pods (phase neither Pending, Running nor Unknown) beyond ``terminated_pod_gc_threshold`` (12500;
  0 disables this part), evicted pods first, then oldest first (name breaks ties);
- *terminating* pods on a node that is not Ready and carries the ``node.kubernetes.io/out-of-service`` taint;
- *orphaned* pods bound to a node that does not exist: a node missing from the cache is quarantined for
  ``podgc_quarantine_time`` seconds (40), then looked up live, and only a NotFound condemns its pods; they get
  the ``DisruptionTarget`` condition (reason ``DeletionByPodGC``) before deletion;
- *unscheduled terminating* pods (deletion requested, never bound to a node).

A pod that is not yet terminal is first marked ``Failed`` through ``pods/status`` (nothing else would: its
kubelet is gone), then deleted with ``gracePeriodSeconds: 0``.  NotFound is success everywhere; other failures
are logged and the next pass tries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any

from kybernetes.client.informer import object_key
from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_not_found
from kybernetes.machinery.errors import StatusError

__all__ = ["PodGCController", "is_terminated", "eviction_order"]

log = logging.getLogger(__name__)

KEY = "gc"
CHECK_PERIOD = 20.0
QUARANTINE_TIME = 40.0
TERMINATED_POD_GC_THRESHOLD = 12500
TAINT_OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
PARALLEL_DELETES = 50


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_terminated(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Pending", "Running", "Unknown")


def _is_evicted(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Failed" and status.get("reason") == "Evicted"


def eviction_order(pod: dict[str, Any]) -> tuple[bool, str, str]:
    """Sort key: evicted pods first, then by creationTimestamp, then by name."""
    md = pod.get("metadata") or {}
    return (not _is_evicted(pod), md.get("creationTimestamp", ""), md.get("name", ""))


def _node_ready(node: dict[str, Any]) -> bool:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def _has_taint(node: dict[str, Any], key: str) -> bool:
    return any(t.get("key") == key for t in (node.get("spec") or {}).get("taints") or [])


class PodGCController(Controller):
    """Periodic force-deletion of terminated, orphaned and stuck terminating pods."""

    name = "podgc"
    workers = 1

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.pods = ctx.informer("", "v1", "pods")
        self.nodes = ctx.informer("", "v1", "nodes")
        opts = ctx.options
        self.threshold = int(opts.get("terminated_pod_gc_threshold", TERMINATED_POD_GC_THRESHOLD))
        self.check_period = float(opts.get("podgc_check_period", CHECK_PERIOD))
        self.quarantine = float(opts.get("podgc_quarantine_time", QUARANTINE_TIME))
        # node name -> monotonic time it was first seen missing from the cache
        self._missing_since: dict[str, float] = {}

    async def start(self) -> None:
        await super().start()
        self.spawn(self._tick(), name="podgc-tick")

    async def _tick(self) -> None:
        while True:
            self.queue.add(KEY)
            await asyncio.sleep(self.check_period)

    async def sync(self, key: str) -> None:
        """One garbage collection pass (``key`` is always ``"gc"``)."""
        pods = self.pods.list()
        node_names = {n["metadata"]["name"] for n in self.nodes.list()}
        if self.threshold > 0:
            await self._gc_terminated(pods)
        await self._gc_terminating(pods)
        await self._gc_orphaned(pods, node_names)
        await self._gc_unscheduled_terminating(pods)

    # -- the four passes -----------------------------------------------------------------------------------------

    async def _gc_terminated(self, pods: list[dict[str, Any]]) -> None:
        terminated = [p for p in pods if is_terminated(p)]
        excess = len(terminated) - self.threshold
        if excess <= 0:
            return
        log.info("podgc: garbage collecting %d terminated pods", excess)
        await self._delete_all(sorted(terminated, key=eviction_order)[:excess])

    async def _gc_terminating(self, pods: list[dict[str, Any]]) -> None:
        doomed = []
        for pod in pods:
            if not (pod.get("metadata") or {}).get("deletionTimestamp"):
                continue
            node = self.nodes.get((pod.get("spec") or {}).get("nodeName") or "")
            if node is None:
                continue
            if not _node_ready(node) and _has_taint(node, TAINT_OUT_OF_SERVICE):
                doomed.append(pod)
        if doomed:
            log.info("podgc: garbage collecting %d pods terminating on out-of-service nodes", len(doomed))
            await self._delete_all(sorted(doomed, key=eviction_order))

    async def _gc_orphaned(self, pods: list[dict[str, Any]], node_names: set[str]) -> None:
        now = time.monotonic()
        wanted = {(p.get("spec") or {}).get("nodeName") for p in pods} - {None, ""} - node_names
        for name in list(self._missing_since):
            if name not in wanted:
                del self._missing_since[name]
        for name in wanted:
            self._missing_since.setdefault(name, now)
        deleted_nodes = set()
        for name, since in list(self._missing_since.items()):
            if now - since < self.quarantine:
                continue
            del self._missing_since[name]  # quarantined afresh if still missing and not confirmed gone
            try:
                await self.client.get(resource_path("", "v1", "nodes", "", name))
            except StatusError as e:
                if is_not_found(e):
                    deleted_nodes.add(name)
                else:
                    log.warning("podgc: error getting node %s: %s", name, e)
        if not deleted_nodes:
            return
        condition = {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                     "lastTransitionTime": _now(), "reason": "DeletionByPodGC",
                     "message": "PodGC: node no longer exists"}
        orphans = [p for p in pods if (p.get("spec") or {}).get("nodeName") in deleted_nodes]
        for pod in orphans:
            log.info("podgc: found orphaned pod %s assigned to node %s, deleting", object_key(pod),
                     pod["spec"]["nodeName"])
        await self._delete_all(orphans, condition)

    async def _gc_unscheduled_terminating(self, pods: list[dict[str, Any]]) -> None:
        doomed = [p for p in pods
                  if (p.get("metadata") or {}).get("deletionTimestamp") and not (p.get("spec") or {}).get("nodeName")]
        await self._delete_all(doomed)

    # -- writes --------------------------------------------------------------------------------------------------

    async def _delete_all(self, pods: list[dict[str, Any]], condition: dict[str, Any] | None = None) -> None:
        for i in range(0, len(pods), PARALLEL_DELETES):
            results = await asyncio.gather(*(self._mark_failed_and_delete(p, condition)
                                             for p in pods[i:i + PARALLEL_DELETES]), return_exceptions=True)
            for pod, r in zip(pods[i:i + PARALLEL_DELETES], results):
                if isinstance(r, asyncio.CancelledError):
                    raise r
                if isinstance(r, BaseException):
                    log.warning("podgc: deleting pod %s failed: %s", object_key(pod), r)

    async def _mark_failed_and_delete(self, pod: dict[str, Any], condition: dict[str, Any] | None) -> None:
        """Mark ``pod`` Failed (with ``condition``) unless terminal, then force-delete it.  NotFound is success."""
        md = pod["metadata"]
        ns, name = md.get("namespace", ""), md["name"]
        log.info("podgc: force deleting pod %s/%s", ns, name)
        try:
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                status: dict[str, Any] = {"phase": "Failed"}
                if condition is not None:
                    status["conditions"] = [condition]
                await self.client.patch(resource_path("", "v1", "pods", ns, name, "status"),
                                        {"metadata": {"uid": md.get("uid")}, "status": status}, "strategic")
            await self.client.delete(resource_path("", "v1", "pods", ns, name),
                                     {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                                      "preconditions": {"uid": md.get("uid")}})
        except StatusError as e:
            if not is_not_found(e):
                raise
