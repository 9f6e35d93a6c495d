"""The namespace controller: empties a namespace being deleted, then releases it with the ``kubernetes`` finalizer.

A Namespace that is deleted keeps existing (``deletionTimestamp`` set) while ``spec.finalizers`` holds
``kubernetes``.  For such a namespace :meth:`NamespaceController.sync`, level-triggered:

1. makes sure ``status.phase`` is ``Terminating`` (the server then refuses new content);
2. discovers every namespaced resource with the ``delete`` verb (preferred versions) and deletes its objects in
   the namespace with propagationPolicy Background: one DeleteCollection where served, else list + delete each;
3. lists what remains, counting objects per resource and per finalizer; pods still within their termination
   grace period give an *estimate* of how long to wait;
4. records the outcome in the namespace's status conditions as upstream does (``NamespaceDeletionDiscoveryFailure``,
   ``NamespaceDeletionGroupVersionParsingFailure``, ``NamespaceDeletionContentFailure``,
   ``NamespaceContentRemaining``, ``NamespaceFinalizersRemaining``: True with the failure, else False with the
   "all is well" reason and message);
5. when nothing remains, removes ``kubernetes`` from ``spec.finalizers`` through ``PUT .../namespaces/<name>/
   finalize``; the server deletes the namespace once no finalizer is left.

Remaining content is looked at again after half the estimate (``namespace_content_recheck_max`` caps it);
failures are retried with back-off.  Namespace events are processed after ``namespace_deletion_grace_period``
seconds (5, as upstream) so late creations in the namespace are seen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_conflict, is_not_found
from kybernetes.controllers.discovery import APIResource, Discovery, discover
from kybernetes.controllers.metadata import metadata_client
from kybernetes.machinery.errors import StatusError

__all__ = ["NamespaceController", "FINALIZER", "CONDITION_TYPES", "ConditionUpdater", "DeletionTotals"]

log = logging.getLogger(__name__)

FINALIZER = "kubernetes"
DELETION_GRACE_PERIOD = 5.0
# A remaining object held by a finalizer is given this long before we look again (upstream's estimate).
FINALIZER_ESTIMATE_SECONDS = 15

CONDITION_TYPES = (
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
)
_OK = {
    "NamespaceDeletionDiscoveryFailure": ("ResourcesDiscovered", "All resources successfully discovered"),
    "NamespaceDeletionGroupVersionParsingFailure": ("ParsedGroupVersions",
                                                    "All legacy kube types successfully parsed"),
    "NamespaceDeletionContentFailure": ("ContentDeleted",
                                        "All content successfully deleted, may be waiting on finalization"),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": ("ContentRemoved", "All content successfully removed"),
}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def _gvr_text(res: APIResource) -> str:
    # Go's %v of a GroupVersionResource struct
    return f"{{{res.group} {res.version} {res.plural}}}"


@dataclass(slots=True)
class DeletionTotals:
    """What remains after one pass: objects per resource and per finalizer."""

    by_resource: dict[APIResource, int] = field(default_factory=dict)
    by_finalizer: dict[str, int] = field(default_factory=dict)


class ConditionUpdater:
    """Collects a pass's failures and turns them into the namespace's deletion conditions (pure)."""

    def __init__(self) -> None:
        self.conditions: dict[str, dict[str, Any]] = {}
        self.content_errors: list[str] = []

    def _failed(self, type_: str, reason: str, message: str) -> None:
        self.conditions[type_] = {"type": type_, "status": "True", "lastTransitionTime": _now(),
                                  "reason": reason, "message": message}

    def discovery_failed(self, failed: dict[str, str]) -> None:
        detail = ", ".join(f"{gv}: {err}" for gv, err in sorted(failed.items()))
        self._failed("NamespaceDeletionDiscoveryFailure", "DiscoveryFailed",
                     f"Discovery failed for some groups, {len(failed)} failing: unable to retrieve the complete "
                     f"list of server APIs: {detail}")

    def content_failed(self, message: str) -> None:
        self.content_errors.append(message)

    def totals(self, totals: DeletionTotals) -> None:
        remaining = sorted(f"{r.plural}.{r.group} has {n} resource instances"
                           for r, n in totals.by_resource.items() if n)
        if remaining:
            self._failed("NamespaceContentRemaining", "SomeResourcesRemain",
                         f"Some resources are remaining: {', '.join(remaining)}")
        held = sorted(f"{f} in {n} resource instances" for f, n in totals.by_finalizer.items() if n)
        if held:
            self._failed("NamespaceFinalizersRemaining", "SomeFinalizerRemain",
                         f"Some finalizers are remaining: {', '.join(held)}")

    def update(self, status: dict[str, Any]) -> bool:
        """Merge the conditions into ``status`` (mutated); True if anything changed."""
        if self.content_errors and "NamespaceDeletionContentFailure" not in self.conditions:
            msgs = sorted(self.content_errors)
            self._failed("NamespaceDeletionContentFailure", "ContentDeletionFailed",
                         f"Failed to delete all resource types, {len(msgs)} remaining: {', '.join(msgs)}")
        existing = status.setdefault("conditions", [])
        changed = False
        for type_ in CONDITION_TYPES:
            new = self.conditions.get(type_)
            if new is None:
                reason, message = _OK[type_]
                new = {"type": type_, "status": "False", "lastTransitionTime": _now(), "reason": reason,
                       "message": message}
            old = next((c for c in existing if c.get("type") == type_), None)
            if old is None:
                existing.append(new)
                changed = True
            elif (old.get("status"), old.get("reason"), old.get("message")) != \
                    (new["status"], new["reason"], new["message"]):
                if old.get("status") != new["status"]:
                    old["lastTransitionTime"] = new["lastTransitionTime"]
                old.update(status=new["status"], reason=new["reason"], message=new["message"])
                changed = True
        return changed


class NamespaceController(Controller):
    """Deletes the content of namespaces being deleted and finalizes them."""

    name = "namespace"
    workers = 10

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = ctx.informer("", "v1", "namespaces")
        self.grace = float(ctx.options.get("namespace_deletion_grace_period", DELETION_GRACE_PERIOD))
        cap = ctx.options.get("namespace_content_recheck_max")
        self.recheck_max = float(cap) if cap is not None else None
        self._mclient: RESTClient | None = None

        def handle(obj: dict[str, Any]) -> None:
            if (obj.get("metadata") or {}).get("deletionTimestamp"):
                self.enqueue_after(obj, self.grace)

        self.namespaces.add_event_handler(on_add=handle, on_update=lambda old, new: handle(new))

    @property
    def mclient(self) -> RESTClient:
        if self._mclient is None:
            self._mclient = metadata_client(self.client)
        return self._mclient

    async def stop(self) -> None:
        await super().stop()
        if self._mclient is not None:
            await self._mclient.close()
            self._mclient = None

    # -- sync ----------------------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        path = resource_path("", "v1", "namespaces", "", key)
        try:
            ns = await self.client.get(path)
        except StatusError as e:
            if is_not_found(e):
                return
            raise
        if not ns["metadata"].get("deletionTimestamp"):
            return
        ns = await self._ensure_terminating(ns)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        if not (ns.get("spec") or {}).get("finalizers"):
            return  # finalized already: the server removes it once its metadata finalizers are gone
        estimate, errors = await self._delete_all_content(ns)
        if errors:
            raise StatusError(500, "InternalError", "; ".join(errors))
        if estimate > 0:
            log.info("namespace %s: some content remains, estimate %d seconds before it is removed", key, estimate)
            delay = estimate / 2
            if self.recheck_max is not None:
                delay = min(delay, self.recheck_max)
            self.enqueue_after(key, delay)
            return
        await self._finalize(ns)

    async def _ensure_terminating(self, ns: dict[str, Any]) -> dict[str, Any] | None:
        """Set ``status.phase`` to Terminating (retrying conflicts); None if the namespace vanished."""
        name = ns["metadata"]["name"]
        uid = ns["metadata"].get("uid")
        for _ in range(10):
            if (ns.get("status") or {}).get("phase") == "Terminating":
                return ns
            ns.setdefault("status", {})["phase"] = "Terminating"
            try:
                return await self.client.update(resource_path("", "v1", "namespaces", "", name, "status"), ns)
            except StatusError as e:
                if is_not_found(e):
                    return None
                if not is_conflict(e):
                    raise
            ns = await self.client.get(resource_path("", "v1", "namespaces", "", name))
            if ns["metadata"].get("uid") != uid:
                raise StatusError(409, "Conflict", "namespace uid has changed across retries")
        raise StatusError(409, "Conflict", f"namespace {name}: status kept changing")

    async def _delete_all_content(self, ns: dict[str, Any]) -> tuple[int, list[str]]:
        """One deletion pass over every namespaced resource; returns (estimate seconds, errors) and writes the
        status conditions."""
        name = ns["metadata"]["name"]
        deleted_at = _parse_time(ns["metadata"]["deletionTimestamp"])
        updater = ConditionUpdater()
        errors: list[str] = []
        try:
            disc = await discover(self.client)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - nothing discovered: report and retry
            disc = Discovery(failed={"": str(e)})
        if disc.failed:
            updater.discovery_failed(disc.failed)
            errors.append(f"discovery failed for {len(disc.failed)} group versions")
        totals = DeletionTotals()
        estimate = 0
        for res in disc.filtered("delete", namespaced=True):
            try:
                est, remaining, finalizers = await self._delete_resource(res, name, deleted_at)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - carry on with the other resources
                msg = str(e) or type(e).__name__
                updater.content_failed(msg)
                errors.append(msg)
                continue
            estimate = max(estimate, est)
            if remaining:
                totals.by_resource[res] = remaining
                for f, n in finalizers.items():
                    totals.by_finalizer[f] = totals.by_finalizer.get(f, 0) + n
        updater.totals(totals)
        await self._write_conditions(name, updater)
        return estimate, errors

    async def _delete_resource(self, res: APIResource, ns: str, deleted_at: float) -> tuple[int, int, dict[str, int]]:
        """Delete every ``res`` object in ``ns``; returns (estimate, remaining count, finalizer counts)."""
        path = resource_path(res.group, res.version, res.plural, ns)
        estimate = await self._estimate(res, ns, deleted_at)
        background = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        collection_done = False
        if res.supports("deletecollection"):
            try:
                await self.mclient.delete(path, background)
                collection_done = True
            except StatusError as e:
                if e.code not in (404, 405):
                    raise
        if not collection_done and res.supports("list"):
            for item in await self._list(path):
                try:
                    await self.mclient.delete(resource_path(res.group, res.version, res.plural, ns,
                                                            item["metadata"]["name"]), background)
                except StatusError as e:
                    if e.code not in (404, 405):
                        raise
        if not res.supports("list"):
            return estimate, 0, {}
        items = await self._list(path)
        if not items:
            return 0, 0, {}
        finalizers: dict[str, int] = {}
        for item in items:
            for f in item["metadata"].get("finalizers") or []:
                finalizers[f] = finalizers.get(f, 0) + 1
        if estimate:
            return estimate, len(items), finalizers
        if finalizers:
            return FINALIZER_ESTIMATE_SECONDS, len(items), finalizers
        raise StatusError(500, "InternalError",
                          f"unexpected items still remain in namespace: {ns} for gvr: {_gvr_text(res)}")

    async def _list(self, path: str) -> list[dict[str, Any]]:
        try:
            return (await self.mclient.list(path)).get("items") or []
        except StatusError as e:
            if e.code in (404, 405):
                return []
            raise

    async def _estimate(self, res: APIResource, ns: str, deleted_at: float) -> int:
        """Seconds pods may still need to terminate gracefully (0 once that long has passed since deletion)."""
        if (res.group, res.plural) != ("", "pods"):
            return 0
        pods = (await self.client.list(resource_path("", "v1", "pods", ns))).get("items") or []
        estimate = 0
        for pod in pods:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
            if grace is not None and grace > estimate:
                estimate = int(grace)
        if time.time() - deleted_at >= estimate:
            return 0
        return estimate

    async def _write_conditions(self, name: str, updater: ConditionUpdater) -> None:
        path = resource_path("", "v1", "namespaces", "", name)
        for _ in range(5):
            try:
                ns = await self.client.get(path)
            except StatusError as e:
                if is_not_found(e):
                    return
                raise
            if not updater.update(ns.setdefault("status", {})):
                return
            try:
                await self.client.update(path + "/status", ns)
                return
            except StatusError as e:
                if is_not_found(e):
                    return
                if not is_conflict(e):
                    log.warning("namespace %s: couldn't update status conditions: %s", name, e)
                    return

    async def _finalize(self, ns: dict[str, Any]) -> None:
        """Remove our finalizer token through the finalize subresource (retrying conflicts)."""
        name = ns["metadata"]["name"]
        path = resource_path("", "v1", "namespaces", "", name)
        for _ in range(10):
            spec = ns.get("spec") or {}
            rest = sorted({f for f in spec.get("finalizers") or [] if f != FINALIZER})
            body = {"apiVersion": "v1", "kind": "Namespace", "metadata": ns["metadata"],
                    "spec": {**spec, "finalizers": rest}}
            try:
                await self.client.update(path + "/finalize", body)
                log.info("namespace %s: content removed, finalized", name)
                return
            except StatusError as e:
                if is_not_found(e):
                    return
                if not is_conflict(e):
                    raise
            ns = await self.client.get(path)
        raise StatusError(409, "Conflict", f"namespace {name}: could not finalize")
