"""ReplicaSet and ReplicationController controllers: keep ``spec.replicas`` pods running for a selector.

Each sync of a ReplicaSet (or ReplicationController, the same logic over ``v1`` with a map selector):

1. claims its pods: active pods of its namespace matching the selector are adopted when orphaned, owned pods
   that stopped matching are released (``claim_objects``);
2. if its *expectations* are satisfied, creates or deletes pods to match ``spec.replicas`` (at most 500 per
   sync).  Creates go out in slow-start batches of 1, 2, 4, ... and stop at the first error, so a quota or
   admission failure costs one request, not hundreds.  Before acting it records how many creates (or which
   pod uids it deletes) it expects to see in the pod informer; until they are seen, later syncs only refresh
   status, so informer lag never causes double creates or deletes;
3. always recomputes status: replicas, fullyLabeledReplicas (pods carrying every template label),
   readyReplicas, availableReplicas (ready for minReadySeconds), observedGeneration, and the ReplicaFailure
   condition (FailedCreate/FailedDelete with the API error) while create/delete fails.  When pods are ready but
   not yet available it looks again when the first of them becomes available.

Which pods go when scaling down follows upstream's ranking: unassigned before assigned, Pending before Unknown
before Running, not ready before ready, lower ``controller.kubernetes.io/pod-deletion-cost``, more pods of the
same owner family on the pod's node, ready for less time, more container restarts, created more recently (the
times compared in log2 buckets, ties broken by uid).

Nothing here matters across restarts apart from expectations, which a fresh controller starts without: it then
acts on what its freshly listed caches show.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kybernetes.client.informer import INDEX_NAMESPACE, INDEX_OWNER_UID, Informer
from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_not_found, object_key
from kybernetes.controllers.deployment_util import clone, format_time, namespace_terminating, parse_time
from kybernetes.controllers.expectations import UIDTrackingExpectations
from kybernetes.controllers.podcontrol import (controller_ref, get_controller_of, is_pod_active, is_pod_ready,
                                               is_terminating, pod_from_template)
from kybernetes.controllers.refmanager import claim_objects
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.labels import Selector, selector_from_dict, selector_from_set

__all__ = ["ReplicaSetController", "ReplicationControllerController", "slow_start_batch", "pods_to_delete",
           "deletion_order", "is_pod_available", "calculate_status", "BURST_REPLICAS", "POD_DELETION_COST",
           "INDEX_ORPHANS", "orphan_namespace", "claim_candidates"]

log = logging.getLogger(__name__)

BURST_REPLICAS = 500  # most creates or deletes one sync issues
SLOW_START_INITIAL_BATCH_SIZE = 1
STATUS_UPDATE_RETRIES = 1
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
REPLICA_FAILURE = "ReplicaFailure"

_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}

# informer index: the namespace of objects without a controller reference (what a controller may adopt)
INDEX_ORPHANS = "orphans-by-namespace"

Obj = dict[str, Any]


def orphan_namespace(obj: Obj) -> list[str]:
    """Index function: ``[namespace]`` for an object without a controller reference, else ``[]``."""
    if get_controller_of(obj) is not None:
        return []
    return [(obj.get("metadata") or {}).get("namespace", "")]


def claim_candidates(informer: Informer, owner: Obj) -> list[Obj]:
    """What ``owner`` may claim: the objects referencing its uid plus the orphans of its namespace (the
    informer needs the INDEX_ORPHANS index).  Avoids scanning a whole namespace per sync."""
    md = owner.get("metadata") or {}
    out = informer.by_index(INDEX_OWNER_UID, md.get("uid", ""))
    seen = {(o.get("metadata") or {}).get("uid") for o in out}
    out.extend(o for o in informer.by_index(INDEX_ORPHANS, md.get("namespace", ""))
               if (o.get("metadata") or {}).get("uid") not in seen)
    return out


# -- pure helpers ------------------------------------------------------------------------------------------------

async def slow_start_batch(count: int, initial: int,
                           fn: Callable[[], Awaitable[None]]) -> tuple[int, BaseException | None]:
    """Call ``fn`` ``count`` times in concurrent batches of ``initial``, then twice as many each round, stopping
    after the first batch with a failure.  Returns (successes, first error or None)."""
    remaining, successes = count, 0
    batch = min(remaining, initial)
    while batch > 0:
        results = await asyncio.gather(*(fn() for _ in range(batch)), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        for e in errors:
            if isinstance(e, asyncio.CancelledError):
                raise e
        successes += batch - len(errors)
        if errors:
            return successes, errors[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


def _ready_condition(pod: Obj) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c
    return None


def pod_ready_time(pod: Obj) -> float | None:
    """When the pod last became Ready (None when not ready or unknown)."""
    c = _ready_condition(pod)
    if c is None or c.get("status") != "True":
        return None
    return parse_time(c.get("lastTransitionTime"))


def is_pod_available(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    """Ready, and (with minReadySeconds) Ready since more than minReadySeconds before ``now``."""
    if not is_pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = pod_ready_time(pod)
    return since is not None and since + min_ready_seconds < now


def _deletion_cost(pod: Obj) -> int:
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(POD_DELETION_COST)
    if value is None:
        return 0
    try:
        cost = int(value)
    except ValueError:
        return 0
    return cost if -(2**31) <= cost < 2**31 else 0


def _max_restarts(pod: Obj) -> int:
    return max((int(cs.get("restartCount") or 0) for cs in (pod.get("status") or {}).get("containerStatuses") or ()),
               default=0)


def _log_bucket(t: float, now: float) -> int:
    d = (now - t) * 1e9  # nanoseconds, as Go's Duration
    return int(math.log2(d)) if d > 0 else -1


def _compare_times(ti: float | None, tj: float | None, now: float, uid_i: str, uid_j: str) -> int:
    """-1 when the pod with time ``ti`` goes first: zero times first, else more recent first (log2 buckets of
    the age, ties by uid).  0 when the times are equal."""
    if ti == tj:
        return 0
    if ti is None or tj is None:
        return -1 if ti is None else 1
    diff = _log_bucket(ti, now) - _log_bucket(tj, now)
    if diff == 0:
        return -1 if uid_i < uid_j else (1 if uid_i > uid_j else 0)
    return -1 if diff < 0 else 1


def _deletion_cmp(a: tuple[Obj, int], b: tuple[Obj, int], now: float) -> int:
    pi, ri = a
    pj, rj = b
    ni, nj = (pi.get("spec") or {}).get("nodeName") or "", (pj.get("spec") or {}).get("nodeName") or ""
    if ni != nj and (not ni or not nj):
        return -1 if not ni else 1
    phi = _PHASE_ORDINAL.get((pi.get("status") or {}).get("phase"), 0)
    phj = _PHASE_ORDINAL.get((pj.get("status") or {}).get("phase"), 0)
    if phi != phj:
        return -1 if phi < phj else 1
    rdi, rdj = is_pod_ready(pi), is_pod_ready(pj)
    if rdi != rdj:
        return -1 if not rdi else 1
    ci, cj = _deletion_cost(pi), _deletion_cost(pj)
    if ci != cj:
        return -1 if ci < cj else 1
    if ri != rj:
        return -1 if ri > rj else 1
    uid_i, uid_j = (pi.get("metadata") or {}).get("uid", ""), (pj.get("metadata") or {}).get("uid", "")
    if rdi and rdj:
        c = _compare_times(pod_ready_time(pi), pod_ready_time(pj), now, uid_i, uid_j)
        if c:
            return c
    mi, mj = _max_restarts(pi), _max_restarts(pj)
    if mi != mj:
        return -1 if mi > mj else 1
    c = _compare_times(parse_time((pi.get("metadata") or {}).get("creationTimestamp")),
                       parse_time((pj.get("metadata") or {}).get("creationTimestamp")), now, uid_i, uid_j)
    return c


def deletion_order(pods: list[Obj], related: list[Obj], now: float) -> list[Obj]:
    """``pods`` sorted so the ones to delete first come first (see the module docstring).  ``related`` are the
    pods of the owner's whole family (its siblings under the same controller); a pod's rank is how many active
    related pods share its node, and pods on crowded nodes go first.  Pure; ``now`` is epoch seconds."""
    on_node: dict[str, int] = {}
    for p in related:
        if is_pod_active(p):
            node = (p.get("spec") or {}).get("nodeName") or ""
            on_node[node] = on_node.get(node, 0) + 1
    ranked = [(p, on_node.get((p.get("spec") or {}).get("nodeName") or "", 0)) for p in pods]
    ranked.sort(key=functools.cmp_to_key(lambda a, b: _deletion_cmp(a, b, now)))
    return [p for p, _ in ranked]


def pods_to_delete(pods: list[Obj], related: list[Obj], diff: int, now: float) -> list[Obj]:
    """The ``diff`` pods to delete (all of them when ``diff`` covers every pod)."""
    if diff < len(pods):
        pods = deletion_order(pods, related, now)
    return pods[:diff]


def calculate_status(owner: Obj, pods: list[Obj], manage_error: BaseException | None, now: float) -> Obj:
    """The status ``owner`` should report for its active claimed ``pods`` (observedGeneration untouched).  The
    ReplicaFailure condition is added on a create/delete error (FailedCreate when short of pods, FailedDelete
    when over) and removed once a sync succeeds."""
    spec = owner.get("spec") or {}
    status = clone(owner.get("status") or {})
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    template_selector = selector_from_set(template_labels)
    min_ready = int(spec.get("minReadySeconds") or 0)
    status["replicas"] = len(pods)
    status["fullyLabeledReplicas"] = sum(
        1 for p in pods if template_selector.matches((p.get("metadata") or {}).get("labels") or {}))
    status["readyReplicas"] = sum(1 for p in pods if is_pod_ready(p))
    status["availableReplicas"] = sum(1 for p in pods if is_pod_available(p, min_ready, now))
    conds = [c for c in status.get("conditions") or () if c.get("type") != REPLICA_FAILURE]
    failure = next((c for c in status.get("conditions") or () if c.get("type") == REPLICA_FAILURE), None)
    if manage_error is not None and failure is None:
        diff = len(pods) - int(spec.get("replicas", 1))
        reason = "FailedCreate" if diff < 0 else ("FailedDelete" if diff > 0 else "")
        conds.append({"type": REPLICA_FAILURE, "status": "True", "lastTransitionTime": format_time(now),
                      "reason": reason, "message": str(manage_error)})
        status["conditions"] = conds
    elif manage_error is None and failure is not None:
        status["conditions"] = conds
    return _compact_status(status)


def _compact_status(status: Obj) -> Obj:
    # omitempty: every counter but replicas, and conditions, vanish when zero/empty
    return {k: v for k, v in status.items() if k == "replicas" or v not in (0, None, [], {})}


def _status_unchanged(owner: Obj, new: Obj) -> bool:
    old = owner.get("status") or {}
    keys = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")
    return (all(int(old.get(k) or 0) == int(new.get(k) or 0) for k in keys)
            and int((owner.get("metadata") or {}).get("generation") or 0) == int(old.get("observedGeneration") or 0)
            and (old.get("conditions") or []) == (new.get("conditions") or []))


# -- the controller ----------------------------------------------------------------------------------------------

class ReplicaSetController(Controller):
    """Keeps each apps/v1 ReplicaSet's pod count at spec.replicas (see the module docstring)."""

    name = "replicaset"
    workers = 5
    group, version, plural, kind = "apps", "v1", "replicasets", "ReplicaSet"
    component = "replicaset-controller"
    burst_replicas = BURST_REPLICAS

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.clock: Callable[[], float] = time.time
        self.expectations = UIDTrackingExpectations()
        self.recorder = ctx.recorder(self.component)
        self.api_version = f"{self.group}/{self.version}" if self.group else self.version
        self.owners: Informer = ctx.informer(self.group, self.version, self.plural)
        self.pods: Informer = ctx.informer("", "v1", "pods")
        self.owners.add_event_handler(on_add=self.enqueue, on_update=self._owner_updated,
                                      on_delete=self._owner_deleted)
        self.pods.add_indexer(INDEX_ORPHANS, orphan_namespace)
        self.pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted)

    # -- what differs between ReplicaSets and ReplicationControllers ------------------------------------------

    def selector_of(self, owner: Obj) -> Selector:
        """The owner's pod selector; raises ValueError when malformed."""
        return selector_from_dict((owner.get("spec") or {}).get("selector"))

    # -- informer handlers (they only enqueue keys and count expectations) -------------------------------------

    def _owner_updated(self, old: Obj, new: Obj) -> None:
        if (old.get("metadata") or {}).get("uid") != (new.get("metadata") or {}).get("uid"):
            self._owner_deleted(old)
        self.enqueue(new)

    def _owner_deleted(self, owner: Obj) -> None:
        key = object_key(owner)
        self.expectations.delete(key)
        self.enqueue(key)

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        """The cached owner a controller reference points to (same kind and uid), else None."""
        if ref is None or ref.get("kind") != self.kind:
            return None
        owner = self.owners.get(f"{namespace}/{ref.get('name', '')}")
        if owner is None or (owner.get("metadata") or {}).get("uid") != ref.get("uid"):
            return None
        return owner

    def _matching_owners(self, pod: Obj) -> list[Obj]:
        md = pod.get("metadata") or {}
        labels = md.get("labels") or {}
        if not labels:
            return []
        out = []
        for owner in self.owners.by_index(INDEX_NAMESPACE, md.get("namespace", "")):
            try:
                selector = self.selector_of(owner)
            except ValueError:
                continue
            if not selector.empty and selector.matches(labels):
                out.append(owner)
        return out

    def _pod_added(self, pod: Obj) -> None:
        if is_terminating(pod):
            # a restarted controller may see a pod that is already being deleted: count it as a deletion
            self._pod_deleted(pod)
            return
        md = pod.get("metadata") or {}
        ref = get_controller_of(pod)
        if ref is not None:
            owner = self._resolve(md.get("namespace", ""), ref)
            if owner is not None:
                key = object_key(owner)
                self.expectations.creation_observed(key)
                self.enqueue(key)
            return
        for owner in self._matching_owners(pod):
            self.enqueue(owner)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        om, nm = old.get("metadata") or {}, new.get("metadata") or {}
        if om.get("resourceVersion") == nm.get("resourceVersion"):
            return
        labels_changed = (om.get("labels") or {}) != (nm.get("labels") or {})
        if is_terminating(new):
            self._pod_deleted(new)
            if labels_changed:
                self._pod_deleted(old)
            return
        new_ref, old_ref = get_controller_of(new), get_controller_of(old)
        ref_changed = new_ref != old_ref
        ns = nm.get("namespace", "")
        if ref_changed and old_ref is not None:
            owner = self._resolve(ns, old_ref)
            if owner is not None:
                self.enqueue(owner)
        if new_ref is not None:
            owner = self._resolve(ns, new_ref)
            if owner is None:
                return
            self.enqueue(owner)
            min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                # the pod turns available minReadySeconds from now; a second more absorbs clock skew
                self.enqueue_after(owner, min_ready + 1)
            return
        if labels_changed or ref_changed:
            for owner in self._matching_owners(new):
                self.enqueue(owner)

    def _pod_deleted(self, pod: Obj) -> None:
        md = pod.get("metadata") or {}
        owner = self._resolve(md.get("namespace", ""), get_controller_of(pod))
        if owner is None:
            return
        key = object_key(owner)
        self.expectations.deletion_observed_uid(key, md.get("uid", ""))
        self.enqueue(key)

    # -- sync --------------------------------------------------------------------------------------------------

    def _path(self, namespace: str, name: str = "", subresource: str = "") -> str:
        return resource_path(self.group, self.version, self.plural, namespace, name, subresource)

    async def sync(self, key: str) -> None:
        """Claim pods, create/delete towards spec.replicas when expectations allow, write status.  Raises to be
        retried (a failed create/delete is raised after the status recording it was written)."""
        cached = self.owners.get(key)
        if cached is None:
            self.expectations.delete(key)
            return
        owner = clone(cached)
        owner.setdefault("apiVersion", self.api_version)
        owner.setdefault("kind", self.kind)
        md = owner["metadata"]
        ns, name = md.get("namespace", ""), md["name"]
        needs_sync = self.expectations.satisfied(key)
        try:
            selector = self.selector_of(owner)
        except ValueError as e:
            log.warning("%s %s: bad selector: %s", self.kind, key, e)
            return
        candidates = [p for p in claim_candidates(self.pods, owner) if is_pod_active(p)]

        async def recheck() -> Obj | None:
            try:
                return await self.client.get(self._path(ns, name))
            except StatusError as e:
                if is_not_found(e):
                    return None
                raise

        pods = await claim_objects(self.client, owner, selector, candidates, recheck=recheck)
        manage_error: BaseException | None = None
        if needs_sync and not is_terminating(owner):
            try:
                await self.manage_replicas(pods, owner, key)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - recorded in status, then raised to retry
                manage_error = e
        now = self.clock()
        status = calculate_status(owner, pods, manage_error, now)
        updated = await self._update_status(owner, status)
        if manage_error is not None:
            raise manage_error
        self._requeue_for_availability(key, updated, pods, now)

    def _requeue_for_availability(self, key: str, owner: Obj, pods: list[Obj], now: float) -> None:
        """With minReadySeconds, look again when the first ready-but-not-yet-available pod becomes available."""
        min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
        if min_ready <= 0:
            return
        waits = []
        for p in pods:
            since = pod_ready_time(p)
            if since is not None and not is_pod_available(p, min_ready, now):
                waits.append(since + min_ready - now)
        if waits:
            self.enqueue_after(key, max(0.0, min(waits)) + 0.5)

    async def _update_status(self, owner: Obj, status: Obj) -> Obj:
        """Write ``status`` (with observedGeneration = generation) unless nothing changed; one retry on a fresh
        read.  Returns the stored owner."""
        if _status_unchanged(owner, status):
            return owner
        status = dict(status)
        status["observedGeneration"] = int(owner["metadata"].get("generation") or 0)
        md = owner["metadata"]
        path = self._path(md.get("namespace", ""), md["name"], "status")
        current = owner
        for attempt in range(STATUS_UPDATE_RETRIES + 1):
            body = dict(current)
            body["status"] = _compact_status(status)
            try:
                return await self.client.update(path, body)
            except StatusError:
                if attempt >= STATUS_UPDATE_RETRIES:
                    raise
                current = await self.client.get(self._path(md.get("namespace", ""), md["name"]))
        return owner  # not reached

    async def manage_replicas(self, pods: list[Obj], owner: Obj, key: str) -> None:
        """Create or delete pods so ``owner`` has spec.replicas active pods; raises the first API error."""
        want = int((owner.get("spec") or {}).get("replicas", 1))
        diff = len(pods) - want
        if diff < 0:
            count = min(-diff, self.burst_replicas)
            self.expectations.expect_creations(key, count)
            successes, err = await slow_start_batch(count, SLOW_START_INITIAL_BATCH_SIZE,
                                                    lambda: self._create_pod(owner))
            # the informer will never see the pods that were not created
            for _ in range(count - successes):
                self.expectations.creation_observed(key)
            if err is not None:
                raise err
        elif diff > 0:
            count = min(diff, self.burst_replicas)
            victims = pods_to_delete(pods, self._related_pods(owner), count, self.clock())
            self.expectations.expect_deletions_of(key, [(p.get("metadata") or {}).get("uid", "") for p in victims])
            results = await asyncio.gather(*(self._delete_pod(owner, key, p) for p in victims),
                                           return_exceptions=True)
            for r in results:
                if isinstance(r, asyncio.CancelledError):
                    raise r
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                raise errors[0]

    def _related_pods(self, owner: Obj) -> list[Obj]:
        """Pods of every owner that shares ``owner``'s controller (the ReplicaSets of one Deployment), each once;
        just ``owner``'s own when it has no controller."""
        ref = get_controller_of(owner)
        if ref is None:
            siblings = [owner]
        else:
            siblings = [o for o in self.owners.by_index(INDEX_OWNER_UID, ref.get("uid", ""))
                        if (get_controller_of(o) or {}).get("uid") == ref.get("uid")] or [owner]
        seen: set[str] = set()
        out = []
        for sib in siblings:
            try:
                selector = self.selector_of(sib)
            except ValueError:
                continue
            for p in claim_candidates(self.pods, sib):
                uid = (p.get("metadata") or {}).get("uid", "")
                if uid in seen or not selector.matches((p.get("metadata") or {}).get("labels") or {}):
                    continue
                seen.add(uid)
                out.append(p)
        return out

    async def _create_pod(self, owner: Obj) -> None:
        template = (owner.get("spec") or {}).get("template") or {}
        ref = controller_ref(owner, self.api_version, self.kind)
        pod = pod_from_template(template, owner, ref=ref)
        if not (pod["metadata"].get("labels")):
            err = ValueError("unable to create pods, no labels")
            self.recorder.event(owner, "Warning", "FailedCreate", f"Error creating: {err}")
            raise err
        ns = owner["metadata"].get("namespace", "")
        try:
            created = await self.client.create(resource_path("", "v1", "pods", ns), pod)
        except StatusError as e:
            if namespace_terminating(e):
                return  # every create will fail; the namespace is going away
            self.recorder.event(owner, "Warning", "FailedCreate", f"Error creating: {e}")
            raise
        self.recorder.event(owner, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    async def _delete_pod(self, owner: Obj, key: str, pod: Obj) -> None:
        md = pod["metadata"]
        ns = owner["metadata"].get("namespace", "")
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": md.get("uid")}}
        try:
            await self.client.delete(resource_path("", "v1", "pods", ns, md["name"]), body)
        except StatusError as e:
            # no deletion event will come for this pod from us
            self.expectations.deletion_observed_uid(key, md.get("uid", ""))
            if is_not_found(e) or e.code == 409:
                return
            self.recorder.event(owner, "Warning", "FailedDelete", f"Error deleting: {e}")
            raise
        self.recorder.event(owner, "Normal", "SuccessfulDelete", f"Deleted pod: {md['name']}")


class ReplicationControllerController(ReplicaSetController):
    """The same logic over v1 ReplicationControllers, whose selector is a plain label map."""

    name = "replicationcontroller"
    group, version, plural, kind = "", "v1", "replicationcontrollers", "ReplicationController"
    component = "replication-controller"

    def selector_of(self, owner: Obj) -> Selector:
        return selector_from_set((owner.get("spec") or {}).get("selector") or {})
