"""The StatefulSet controller: pods with stable names and storage, created, updated and removed in order.

``sync(ns/name)`` works from the informer caches, level-triggered:

1. claim: adopt orphan ControllerRevisions and pods whose labels match the selector and whose name is
   ``<set>-<ordinal>``; release owned pods that no longer match.
2. revisions: the *update revision* is the ControllerRevision whose data equals the current pod template (created,
   or an older equal one re-numbered on a rollback); the *current revision* is ``status.currentRevision`` (or the
   update revision for a new set).
3. replicas (ordinals ``start .. start+replicas-1``): a Failed/Succeeded pod is deleted (re-created on a later
   sync); a missing pod is created with its claims -- below the RollingUpdate partition at the current revision,
   otherwise at the update revision.  Under ``OrderedReady`` (the default) one pod is created per pass and nothing
   proceeds past a pod that is not Running, Ready and available (``minReadySeconds``); ``Parallel`` creates them
   all at once (in slow-start batches).  Identity labels, missing claims and claim ownerReferences (retention
   policy) are repaired on existing pods.
4. condemned pods (ordinals out of range): claims get their retention ownerReferences, then pods are deleted
   highest ordinal first, one at a time under OrderedReady and only while every other pod is healthy.
5. rolling update (not for ``OnDelete``): while at most ``maxUnavailable`` (default 1) replicas are unavailable,
   delete the highest-ordinal pods at or above the partition that are not at the update revision; step 3
   re-creates them at the update revision.
6. status: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas, revisions, collision
   count and observedGeneration; once every replica is updated and ready the update revision becomes current.
   Revisions no pod uses beyond ``revisionHistoryLimit`` are deleted, oldest first.

Nothing is kept between syncs but the informer caches, so the controller may be killed at any moment: fixed pod
names make a repeated create fail with AlreadyExists instead of doubling pods, deletes carry uid preconditions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from kybernetes.client.informer import Informer
from kybernetes.client.rest import resource_path
from kybernetes.controllers import statefulset_pods as sp
from kybernetes.controllers.apps_util import available_in
from kybernetes.controllers.base import Controller, ControllerContext, is_already_exists, is_not_found
from kybernetes.controllers.history import (create_revision, data_equal, delete_revision, new_revision, next_revision,
                                            sort_revisions, template_patch, update_revision_number)
from kybernetes.controllers.podcontrol import create_pod, get_controller_of, is_pod_ready
from kybernetes.controllers.refmanager import claim_objects
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.labels import Selector, selector_from_dict

__all__ = ["StatefulSetController", "ClaimTerminatingError"]

log = logging.getLogger(__name__)

KIND = "StatefulSet"
COMPONENT = "statefulset-controller"
# Upstream's MaxBatchSize for Parallel pod management.
MAX_BATCH_SIZE = 500

Obj = dict[str, Any]


class ClaimTerminatingError(Exception):
    """A pod's claim is being deleted: the pod cannot be created until the claim is gone."""


class StatefulSetController(Controller):
    """Reconciles StatefulSets (``--controllers`` name ``statefulset``)."""

    name = "statefulset"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        # sets: the objects reconciled; pods, revisions, claims: what they own (read from caches only).
        self.sets = ctx.informer("apps", "v1", "statefulsets")
        self.pods = ctx.informer("", "v1", "pods")
        self.revisions = ctx.informer("apps", "v1", "controllerrevisions")
        self.claims = ctx.informer("", "v1", "persistentvolumeclaims")
        self.recorder = ctx.recorder(COMPONENT)
        self.sets.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new),
                                    on_delete=self.enqueue)
        self.pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                                    on_delete=self._pod_deleted)

    # -- event handlers: map pods to the sets that care, enqueue keys ------------------------------------------

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if not ref or ref.get("kind") != KIND:
            return None
        sts = self.sets.get(f"{namespace}/{ref.get('name', '')}")
        return sts if sts is not None and sts["metadata"].get("uid") == ref.get("uid") else None

    def _sets_selecting(self, pod: Obj) -> list[Obj]:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        out = []
        for sts in self.sets.by_index("namespace", pod["metadata"].get("namespace", "")):
            try:
                if selector_from_dict((sts.get("spec") or {}).get("selector")).matches(labels):
                    out.append(sts)
            except ValueError:
                continue
        return out

    def _pod_added(self, pod: Obj) -> None:
        if sp.is_terminating(pod):
            self._pod_deleted(pod)
            return
        sts = self._resolve(pod["metadata"].get("namespace", ""), get_controller_of(pod))
        if sts is not None:
            self.enqueue(sts)
            return
        if get_controller_of(pod) is None:
            for s in self._sets_selecting(pod):
                self.enqueue(s)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        ns = new["metadata"].get("namespace", "")
        old_ref, new_ref = get_controller_of(old), get_controller_of(new)
        if old_ref != new_ref and old_ref is not None:
            prev = self._resolve(ns, old_ref)
            if prev is not None:
                self.enqueue(prev)
        if new_ref is not None:
            sts = self._resolve(ns, new_ref)
            if sts is None:
                return
            self.enqueue(sts)
            min_ready = int((sts.get("spec") or {}).get("minReadySeconds") or 0)
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                self.enqueue_after(sts, min_ready + 1)
            return
        if old_ref != new_ref or (old["metadata"].get("labels") != new["metadata"].get("labels")):
            for s in self._sets_selecting(new):
                self.enqueue(s)

    def _pod_deleted(self, pod: Obj) -> None:
        sts = self._resolve(pod["metadata"].get("namespace", ""), get_controller_of(pod))
        if sts is not None:
            self.enqueue(sts)

    # -- sync ----------------------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        sts = self.sets.get(key)
        if sts is None:
            return
        try:
            selector = selector_from_dict((sts.get("spec") or {}).get("selector"))
        except ValueError as e:
            self.recorder.event(sts, "Warning", "InvalidSelector", f"Error converting selector: {e}")
            return
        revisions = await self._claim(sts, selector, self.revisions, "apps", "controllerrevisions")
        pods = await self._claim(sts, selector, self.pods, "", "pods",
                                 match=lambda p: sp.is_member_of(sts, p))
        await self._update_set(key, sts, pods, sort_revisions(revisions))

    async def _claim(self, sts: Obj, selector: Selector, informer: Informer, group: str, plural: str,
                     match: Callable[[Obj], bool] | None = None) -> list[Obj]:
        meta = sts["metadata"]
        uid = meta["uid"]
        candidates = [o for o in informer.by_index("namespace", meta.get("namespace", ""))
                      if (ref := get_controller_of(o)) is None or ref.get("uid") == uid]

        async def recheck() -> Obj | None:
            try:
                return await self.client.get(resource_path("apps", "v1", "statefulsets", meta.get("namespace", ""),
                                                           meta["name"]))
            except StatusError as e:
                if e.code == 404:
                    return None
                raise

        return await claim_objects(self.client, sts, selector, candidates, group=group, version="v1",
                                   plural=plural, recheck=recheck, match=match)

    async def _update_set(self, key: str, sts: Obj, pods: list[Obj], revisions: list[Obj]) -> None:
        """Revisions, pods, status and history for one set; raises (after writing status) to retry."""
        status_in = sts.get("status") or {}
        collision = int(status_in.get("collisionCount") or 0)
        current, update, collision = await self._revisions(sts, revisions, collision)
        spec = sts.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        status: Obj = {"observedGeneration": int(sts["metadata"].get("generation") or 0),
                       "currentRevision": current["metadata"]["name"],
                       "updateRevision": update["metadata"]["name"], "collisionCount": collision,
                       **sp.replica_status(pods, min_ready, current["metadata"]["name"],
                                           update["metadata"]["name"])}
        error: BaseException | None = None
        try:
            await self._reconcile(key, sts, current, update, pods, status)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - status is written before the error is raised
            error = e
        try:
            await self._write_status(sts, status)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001
            if error is None:
                error = e
            else:
                log.warning("statefulset %s: status update failed: %s", key, e)
        try:
            await self._truncate_history(sts, pods, revisions, current, update)
        except StatusError as e:
            error = error or e
        if error is not None:
            raise error
        if min_ready > 0 and status.get("availableReplicas", 0) != sp.spec_replicas(sts):
            self.enqueue_after(key, min_ready)

    async def _revisions(self, sts: Obj, revisions: list[Obj], collision: int) -> tuple[Obj, Obj, int]:
        """(current revision, update revision, collision count); may create or re-number a revision."""
        candidate = new_revision(sts, kind=KIND, data=template_patch(sts), revision=next_revision(revisions),
                                 collision_count=collision)
        equal = [r for r in revisions if data_equal(r.get("data"), candidate["data"])]
        if equal and equal[-1] is revisions[-1]:
            update = revisions[-1]
        elif equal:
            update = await update_revision_number(self.client, equal[-1], candidate["revision"])
        else:
            update, collision = await create_revision(self.client, sts, candidate, collision)
        wanted = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == wanted), None) or update
        return current, update, collision

    async def _reconcile(self, key: str, sts: Obj, current: Obj, update: Obj, pods: list[Obj],
                         status: Obj) -> None:
        """Steps 3-5 of the module docstring; mutates ``status`` (currentReplicas on update deletions)."""
        current_set = sp.apply_revision(sts, current)
        update_set = sp.apply_revision(sts, update)
        cur_name, upd_name = current["metadata"]["name"], update["metadata"]["name"]
        spec = sts.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        by_ordinal, condemned = sp.split_pods(sts, pods)
        start, count = sp.start_ordinal(sts), sp.spec_replicas(sts)
        replicas = [by_ordinal.get(o) or sp.new_versioned_pod(current_set, update_set, cur_name, upd_name, o)
                    for o in range(start, start + count)]
        first_unavailable = next((p for p in replicas + condemned[::-1] if sp.is_unavailable(p, min_ready)), None)
        if sp.is_terminating(sts):
            return
        monotonic = not sp.allows_burst(sts)

        async def replica(i: int) -> bool:
            return await self._process_replica(key, sts, update_set, monotonic, replicas[i], min_ready)

        if await _run_for_all(len(replicas), replica, monotonic):
            return

        async def fix_claims(i: int) -> bool:
            if not self._claims_match_retention(update_set, condemned[i]):
                await self._update_claims_for_retention(update_set, condemned[i])
            return False

        if await _run_for_all(len(condemned), fix_claims, monotonic):
            return

        async def condemn(i: int) -> bool:
            return await self._process_condemned(sts, first_unavailable, monotonic, condemned[i], min_ready)

        if await _run_for_all(len(condemned), condemn, monotonic):
            return
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return
        await self._rolling_update(sts, replicas, upd_name, min_ready, status)

    async def _process_replica(self, key: str, sts: Obj, update_set: Obj, monotonic: bool, pod: Obj,
                               min_ready: int) -> bool:
        """One in-range ordinal; True means "stop this pass" (only honoured under OrderedReady)."""
        if sp.is_failed_or_succeeded(pod):
            if not sp.is_terminating(pod):
                await self._delete_pod(sts, pod)
            return True
        if not sp.is_created(pod):
            if self._claim_is_stale(sts, pod):
                return True
            if not await self._create_pod(sts, pod):
                return True
            if monotonic:
                return True
            return False
        if sp.is_pending(pod):
            await self._create_claims(sts, pod)
        if monotonic:
            if sp.is_terminating(pod) or not sp.is_running_and_ready(pod):
                return True
            wait = available_in(pod, min_ready)
            if wait is None or wait > 0:
                self.enqueue_after(key, (wait or 0) + 0.05)
                return True
        retention_ok = self._claims_match_retention(update_set, pod)
        if sp.identity_matches(sts, pod) and sp.storage_matches(sts, pod) and retention_ok:
            return False
        await self._repair_pod(update_set, pod)
        return False

    async def _process_condemned(self, sts: Obj, first_unavailable: Obj | None, monotonic: bool, pod: Obj,
                                 min_ready: int) -> bool:
        if sp.is_terminating(pod):
            return monotonic
        if monotonic and pod is not first_unavailable and sp.is_unavailable(pod, min_ready):
            return True
        await self._delete_pod(sts, pod)
        return True

    async def _rolling_update(self, sts: Obj, replicas: list[Obj], update_name: str, min_ready: int,
                              status: Obj) -> None:
        """Delete outdated pods from the highest ordinal down to the partition, keeping at most maxUnavailable
        replicas unavailable."""
        rolling = ((sts.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
        partition = int(rolling.get("partition") or 0)
        try:
            max_unavailable = sp.max_unavailable(sts)
        except ValueError as e:
            self.recorder.event(sts, "Warning", "InvalidMaxUnavailable", str(e))
            return
        unavailable = sum(1 for p in replicas if sp.is_unavailable(p, min_ready))
        budget = max_unavailable - unavailable
        for target in range(len(replicas) - 1, partition - 1, -1):
            if budget <= 0:
                return
            pod = replicas[target]
            if sp.pod_revision(pod) != update_name and not sp.is_terminating(pod):
                await self._delete_pod(sts, pod)
                budget -= 1
                status["currentReplicas"] = status.get("currentReplicas", 0) - 1

    async def _write_status(self, sts: Obj, status: Obj) -> None:
        sp.complete_rolling_update(sts, status)
        if not sp.status_differs(sts, status):
            return
        meta = sts["metadata"]
        # conditional on the version the status was computed from (upstream writes it with UpdateStatus): a sync
        # that ran on a stale copy (say, woken by its own pod's event before its status write came back) must not
        # overwrite newer status, such as a collisionCount just raised; the conflict re-queues the set
        await self.client.patch(resource_path("apps", "v1", "statefulsets", meta.get("namespace", ""),
                                              meta["name"], "status"),
                                {"metadata": {"resourceVersion": meta.get("resourceVersion")},
                                 "status": _wire_status(status)})

    async def _truncate_history(self, sts: Obj, pods: list[Obj], revisions: list[Obj], current: Obj,
                                update: Obj) -> None:
        """Delete the oldest revisions no pod, nor the current or update revision, uses, down to the limit."""
        live = {current["metadata"]["name"], update["metadata"]["name"], *(sp.pod_revision(p) for p in pods)}
        history = [r for r in revisions if r["metadata"]["name"] not in live]
        limit = (sts.get("spec") or {}).get("revisionHistoryLimit")
        limit = 10 if limit is None else int(limit)
        if limit < 0 or len(history) <= limit:
            return
        for r in history[:len(history) - limit]:
            await delete_revision(self.client, r)

    # -- pods and claims -----------------------------------------------------------------------------------------

    def _event(self, sts: Obj, verb: str, what: str, error: BaseException | None) -> None:
        name = sts["metadata"]["name"]
        if error is None:
            self.recorder.event(sts, "Normal", f"Successful{verb.title()}",
                                f"{verb} {what} in StatefulSet {name} successful")
        else:
            self.recorder.event(sts, "Warning", f"Failed{verb.title()}",
                                f"{verb} {what} in StatefulSet {name} failed error: {_message(error)}")

    async def _create_pod(self, sts: Obj, pod: Obj) -> bool:
        """Claims first, then the pod; False when the pod already exists (the cache was behind).  Raises on
        other failures (after a FailedCreate event)."""
        what = f"Pod {pod['metadata']['name']}"
        try:
            await self._create_claims(sts, pod)
        except (StatusError, ClaimTerminatingError) as e:
            self._event(sts, "create", what, e)
            raise
        try:
            created = await create_pod(self.client, pod)
        except StatusError as e:
            if is_already_exists(e):
                return False
            self._event(sts, "create", what, e)
            raise
        try:
            await self._update_claims_for_retention(sts, created)
        except StatusError as e:
            self._event(sts, "update", what, e)
            raise
        self._event(sts, "create", what, None)
        return True

    async def _create_claims(self, sts: Obj, pod: Obj) -> None:
        """Create the pod's missing claims; raises StatusError when one cannot be created, ClaimTerminatingError
        when one is being deleted (the pod must wait for it to go)."""
        ns = sts["metadata"].get("namespace", "")
        pod_name = pod["metadata"]["name"]
        errors: list[Exception] = []
        for claim in sp.claims_for(sts, sp.get_ordinal(pod)).values():
            cname = claim["metadata"]["name"]
            cached = self.claims.get(f"{ns}/{cname}")
            if cached is not None:
                if sp.is_terminating(cached):
                    errors.append(ClaimTerminatingError(f"pvc {cname} is being deleted"))
                continue
            try:
                await self.client.create(resource_path("", "v1", "persistentvolumeclaims", ns), claim)
            except StatusError as e:
                if is_already_exists(e):
                    continue
                errors.append(e)
                self.recorder.event(sts, "Warning", "FailedCreate",
                                    f"create Claim {cname} for Pod {pod_name} in StatefulSet "
                                    f"{sts['metadata']['name']} failed error: {_message(e)}")
                continue
            self.recorder.event(sts, "Normal", "SuccessfulCreate",
                                f"create Claim {cname} Pod {pod_name} in StatefulSet {sts['metadata']['name']} "
                                f"success")
        if errors:
            raise errors[0]

    def _claim_is_stale(self, sts: Obj, pod: Obj) -> bool:
        """A claim still owned by an earlier pod of this name (whenScaled Delete): wait until it is gone."""
        if sp.retention_policy(sts)[1] != sp.DELETE:
            return False
        ns = sts["metadata"].get("namespace", "")
        for claim in sp.claims_for(sts, sp.get_ordinal(pod)).values():
            cached = self.claims.get(f"{ns}/{claim['metadata']['name']}")
            if cached is not None and sp.has_stale_owner_ref(cached, pod, "v1", "Pod"):
                return True
        return False

    def _claims_match_retention(self, sts: Obj, pod: Obj) -> bool:
        ns = sts["metadata"].get("namespace", "")
        for claim in sp.claims_for(sts, sp.get_ordinal(pod)).values():
            cached = self.claims.get(f"{ns}/{claim['metadata']['name']}")
            if cached is not None and not sp.is_claim_owner_up_to_date(cached, sts, pod):
                return False
        return True

    async def _update_claims_for_retention(self, sts: Obj, pod: Obj) -> None:
        ns = sts["metadata"].get("namespace", "")
        for claim in sp.claims_for(sts, sp.get_ordinal(pod)).values():
            cname = claim["metadata"]["name"]
            cached = self.claims.get(f"{ns}/{cname}")
            if cached is None:
                continue  # not in the cache yet: a later sync picks it up
            if sp.has_unexpected_controller(cached, sts, pod):
                self.recorder.event(sts, "Warning", "ConflictingController",
                                    f"PersistentVolumeClaim {cname} has a conflicting OwnerReference that acts as a "
                                    f"managing controller, the retention policy is ignored for this claim")
            if sp.is_claim_owner_up_to_date(cached, sts, pod):
                continue
            refs = sp.claim_owner_refs(cached, sts, pod)
            body = {"metadata": {"ownerReferences": refs,
                                 "resourceVersion": cached["metadata"].get("resourceVersion")}}
            try:
                await self.client.patch(resource_path("", "v1", "persistentvolumeclaims", ns, cname), body)
            except StatusError as e:
                if not is_not_found(e):
                    raise

    async def _repair_pod(self, sts: Obj, pod: Obj) -> None:
        """Restore identity labels, create missing claims and fix claim ownership (pod volumes are immutable,
        so a pod without its claim volumes stays as it is)."""
        name = pod["metadata"]["name"]
        if not sp.identity_matches(sts, pod):
            labels = sp.identity_labels(sts, sp.get_ordinal(pod))
            try:
                await self.client.patch(resource_path("", "v1", "pods", sts["metadata"].get("namespace", ""), name),
                                        {"metadata": {"labels": labels}})
            except StatusError as e:
                if is_not_found(e):
                    return
                self._event(sts, "update", f"Pod {name}", e)
                raise
            self._event(sts, "update", f"Pod {name}", None)
        if not sp.storage_matches(sts, pod):
            await self._create_claims(sts, pod)
        if not self._claims_match_retention(sts, pod):
            await self._update_claims_for_retention(sts, pod)

    async def _delete_pod(self, sts: Obj, pod: Obj) -> None:
        meta = pod["metadata"]
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": meta.get("uid")}}
        try:
            await self.client.delete(resource_path("", "v1", "pods", meta.get("namespace", ""), meta["name"]), body)
        except StatusError as e:
            if e.code in (404, 409):
                return
            self._event(sts, "delete", f"Pod {meta['name']}", e)
            raise
        self._event(sts, "delete", f"Pod {meta['name']}", None)


async def _run_for_all(n: int, fn: Callable[[int], Awaitable[bool]], monotonic: bool) -> bool:
    """Call ``fn(0..n-1)``: in order, stopping at the first True, when ``monotonic``; otherwise concurrently in
    slow-start batches (1, 2, 4, ... up to 500), stopping at the first batch with a failure (re-raised).
    Returns whether the pass should stop."""
    if monotonic:
        for i in range(n):
            if await fn(i):
                return True
        return False
    pos, batch = 0, 1
    while pos < n:
        size = min(batch, n - pos, MAX_BATCH_SIZE)
        results = await asyncio.gather(*(fn(i) for i in range(pos, pos + size)), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r
        pos += size
        batch = min(2 * size, MAX_BATCH_SIZE)
    return False


# Status fields Go omits when zero (omitempty); a merge patch removes them with null.
_OMIT_EMPTY = ("observedGeneration", "readyReplicas", "currentReplicas", "updatedReplicas", "currentRevision",
               "updateRevision")


def _wire_status(status: Obj) -> Obj:
    return {k: (None if k in _OMIT_EMPTY and not v else v) for k, v in status.items()}


def _message(error: BaseException) -> str:
    return getattr(error, "message", "") or str(error)

