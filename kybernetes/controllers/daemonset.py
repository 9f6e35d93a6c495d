"""The DaemonSet controller: one pod of the template on every eligible node.

Which nodes are eligible, and what a daemon pod looks like (its node named in a required node affinity the
scheduler honours, the automatic daemon tolerations, the ``controller-revision-hash`` and
``pod-template-generation`` labels), is in :mod:`kybernetes.controllers.daemonset_pods`.  This controller does not
bind pods; the scheduler does.

``sync(ns/name)``, level-triggered from the caches:

1. history: ControllerRevisions owned by the set whose data equals the current template are the current revision
   (duplicates are merged, its number raised above every other); without one a new revision ``<ds>-<hash>`` is
   created.  Old revisions beyond ``revisionHistoryLimit`` that no pod uses are deleted.
2. pods are claimed (adopted/released) and grouped by target node (``spec.nodeName`` or the affinity's node).
3. unless earlier creates/deletes are still unobserved (expectations): create pods on eligible nodes without one,
   delete Failed (with back-off) and Succeeded pods, extra pods (all but the oldest; with surge the oldest old and
   new pod), pods on nodes that may not run them and unscheduled pods whose node is gone.  Pods bound to removed
   nodes are left to pod GC and not counted.
4. RollingUpdate: with ``maxSurge`` 0, delete old pods while at most ``maxUnavailable`` nodes are unavailable
   (unavailable old pods are replaced at once); with ``maxSurge``, start new pods next to old ones on up to
   ``maxSurge`` nodes and delete an old pod once its replacement is available.  ``OnDelete`` waits for users.
5. status: desired/current/updated numbers scheduled, misscheduled, ready, available, unavailable and (when the
   manage step ran) observedGeneration.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Iterable
from typing import Any

from kybernetes.client.informer import Informer, object_key
from kybernetes.client.rest import resource_path
from kybernetes.controllers.apps_util import is_pod_available
from kybernetes.controllers.base import Controller, ControllerContext, is_already_exists
from kybernetes.controllers.daemonset_pods import (HASH_LABEL, FailedPodBackoff, allows_surge, compute_hash,
                                                   create_pod_template, group_by_node, is_pod_updated,
                                                   node_should_run, pod_order, replace_node_affinity, surge_count,
                                                   template_generation, unavailable_count, updated_pods_on_node)
from kybernetes.controllers.expectations import Expectations
from kybernetes.controllers.history import (data_equal, delete_revision, max_revision, template_patch,
                                            update_revision_number)
from kybernetes.controllers.podcontrol import (controller_ref, create_pod, get_controller_of, is_pod_ready,
                                               is_terminating, pod_from_template)
from kybernetes.controllers.refmanager import claim_objects
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.labels import Selector, selector_from_dict

__all__ = ["DaemonSetController"]

log = logging.getLogger(__name__)

KIND = "DaemonSet"
COMPONENT = "daemonset-controller"
# At most this many creates or deletes per sync (upstream BurstReplicas).
BURST_REPLICAS = 250
SLOW_START_INITIAL_BATCH = 1
# Status fields Go omits when zero (omitempty); a merge patch removes them with null.
_OMIT_EMPTY = ("observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable")

Obj = dict[str, Any]


# -- the controller -----------------------------------------------------------------------------------------------

class DaemonSetController(Controller):
    """Reconciles DaemonSets (``--controllers`` name ``daemonset``)."""

    name = "daemonset"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        # sets: reconciled; pods, revisions: what they own; nodes: where pods should run.
        self.sets = ctx.informer("apps", "v1", "daemonsets")
        self.pods = ctx.informer("", "v1", "pods")
        self.nodes = ctx.informer("", "v1", "nodes")
        self.revisions = ctx.informer("apps", "v1", "controllerrevisions")
        self.recorder = ctx.recorder(COMPONENT)
        # Creates and deletes issued but not yet seen in the pod informer, per set key.
        self.expectations = Expectations()
        self.backoff = FailedPodBackoff()
        self.sets.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new),
                                    on_delete=self._set_deleted)
        self.pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                                    on_delete=self._pod_deleted)
        self.nodes.add_event_handler(on_add=self._node_added, on_update=self._node_updated,
                                     on_delete=lambda node: self._enqueue_all())
        self.revisions.add_event_handler(on_add=self._revision_changed,
                                         on_update=lambda old, new: self._revision_changed(new),
                                         on_delete=self._revision_changed)

    async def start(self) -> None:
        await super().start()
        self.spawn(self._gc_backoff(), name=f"{self.name}-backoff-gc")

    async def _gc_backoff(self) -> None:
        while True:
            await asyncio.sleep(60)
            self.backoff.gc()

    # -- event handlers ------------------------------------------------------------------------------------------

    def _set_deleted(self, ds: Obj) -> None:
        self.expectations.delete(object_key(ds))
        self.enqueue(ds)

    def _enqueue_all(self) -> None:
        for ds in self.sets.list():
            self.enqueue(ds)

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if not ref or ref.get("kind") != KIND:
            return None
        ds = self.sets.get(f"{namespace}/{ref.get('name', '')}")
        return ds if ds is not None and ds["metadata"].get("uid") == ref.get("uid") else None

    def _sets_selecting(self, obj: Obj) -> list[Obj]:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        out = []
        for ds in self.sets.by_index("namespace", obj["metadata"].get("namespace", "")):
            try:
                sel = selector_from_dict((ds.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if not sel.empty and sel.matches(labels):
                out.append(ds)
        return out

    def _pod_added(self, pod: Obj) -> None:
        ds = self._resolve(pod["metadata"].get("namespace", ""), get_controller_of(pod))
        if ds is not None:
            if is_terminating(pod):  # seen first while terminating (a relist): its deletion is what happened
                self._pod_deleted(pod)
                return
            key = object_key(ds)
            self.expectations.creation_observed(key)
            self.enqueue(key)
        elif get_controller_of(pod) is None and not is_terminating(pod):
            for d in self._sets_selecting(pod):
                self.enqueue(d)

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
            ds = self._resolve(ns, new_ref)
            if ds is None:
                return
            if is_terminating(new):
                # As upstream, every event of a terminating pod counts as its deletion observed: counting more
                # than once only lets the next sync come sooner, while missing one would stall the set until
                # the expectations expire (a second DELETE of a pod already terminating changes nothing).
                self.expectations.deletion_observed(object_key(ds))
            self.enqueue(ds)
            min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
            if min_ready > 0 and not is_pod_ready(old) and is_pod_ready(new):
                self.enqueue_after(ds, min_ready + 1)
            return
        if old_ref != new_ref or old["metadata"].get("labels") != new["metadata"].get("labels"):
            for d in self._sets_selecting(new):
                self.enqueue(d)

    def _pod_deleted(self, pod: Obj) -> None:
        ds = self._resolve(pod["metadata"].get("namespace", ""), get_controller_of(pod))
        if ds is None:
            return
        self.expectations.deletion_observed(object_key(ds))
        self.enqueue(ds)

    def _node_added(self, node: Obj) -> None:
        for ds in self.sets.list():
            if node_should_run(node, ds)[0]:
                self.enqueue(ds)

    def _node_updated(self, old: Obj, new: Obj) -> None:
        for ds in self.sets.list():
            if node_should_run(old, ds) != node_should_run(new, ds):
                self.enqueue(ds)

    def _revision_changed(self, rev: Obj) -> None:
        ref = get_controller_of(rev)
        if ref is not None:
            ds = self._resolve(rev["metadata"].get("namespace", ""), ref)
            if ds is not None:
                self.enqueue(ds)
        else:
            for d in self._sets_selecting(rev):
                self.enqueue(d)

    # -- sync ----------------------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        ds = self.sets.get(key)
        if ds is None:
            self.expectations.delete(key)
            return
        try:
            selector = selector_from_dict((ds.get("spec") or {}).get("selector"))
        except ValueError as e:
            self.recorder.event(ds, "Warning", "InvalidSelector", f"Error converting selector: {e}")
            return
        if selector.empty:
            self.recorder.event(ds, "Warning", "SelectingAll",
                                "This daemon set is selecting all pods. A non-empty selector is required.")
            return
        # A set being deleted may already have lost its history: leave everything to the garbage collector.
        if is_terminating(ds):
            return
        nodes = self.nodes.list()
        cur, old = await self._construct_history(ds, selector)
        hash_ = ((cur.get("metadata") or {}).get("labels") or {}).get(HASH_LABEL, "")
        pods = await self._claim(ds, selector, self.pods, "", "pods")
        node_pods = group_by_node(pods)
        if not self.expectations.satisfied(key):
            await self._update_status(ds, nodes, node_pods, hash_, observed=False)
            return
        error: BaseException | None = None
        try:
            await self._manage(ds, nodes, node_pods, hash_)
            if self.expectations.satisfied(key):
                if ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type", "RollingUpdate") == \
                        "RollingUpdate":
                    # Read the pods again: deletions made by manage are seen by now, and an old pod already
                    # terminating must not be picked (and deleted) a second time.
                    pods = await self._claim(ds, selector, self.pods, "", "pods")
                    node_pods = group_by_node(pods)
                    await self._rolling_update(ds, nodes, node_pods, hash_)
            await self._cleanup_history(ds, old, pods)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - status is written before the error is raised
            error = e
        try:
            await self._update_status(ds, nodes, node_pods, hash_, observed=True)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001
            if error is None:
                raise
            log.warning("daemonset %s: status update failed: %s", key, e)
        if error is not None:
            raise error

    async def _claim(self, ds: Obj, selector: Selector, informer: Informer, group: str, plural: str) -> list[Obj]:
        meta = ds["metadata"]
        uid = meta["uid"]
        candidates = [o for o in informer.by_index("namespace", meta.get("namespace", ""))
                      if (ref := get_controller_of(o)) is None or ref.get("uid") == uid]

        async def recheck() -> Obj | None:
            try:
                return await self.client.get(resource_path("apps", "v1", "daemonsets", meta.get("namespace", ""),
                                                           meta["name"]))
            except StatusError as e:
                if e.code == 404:
                    return None
                raise

        return await claim_objects(self.client, ds, selector, candidates, group=group, version="v1",
                                   plural=plural, recheck=recheck)

    # -- history -------------------------------------------------------------------------------------------------

    async def _construct_history(self, ds: Obj, selector: Selector) -> tuple[Obj, list[Obj]]:
        """(current revision, old revisions); creates, relabels, de-duplicates or re-numbers revisions."""
        histories = await self._claim(ds, selector, self.revisions, "apps", "controllerrevisions")
        data = template_patch(ds)
        current: list[Obj] = []
        old: list[Obj] = []
        for h in histories:
            if HASH_LABEL not in ((h.get("metadata") or {}).get("labels") or {}):
                h = await self._put_revision(h, labels={HASH_LABEL: h["metadata"]["name"]})
            (current if data_equal(h.get("data"), data) else old).append(h)
        number = max_revision(old) + 1
        if not current:
            return await self._snapshot(ds, data, number), old
        cur = await self._dedup(ds, current)
        if int(cur.get("revision") or 0) < number:
            cur = await update_revision_number(self.client, cur, number)
        return cur, old

    async def _put_revision(self, rev: Obj, *, labels: dict[str, str]) -> Obj:
        body = copy.deepcopy(rev)
        body["metadata"].setdefault("labels", {}).update(labels)
        m = body["metadata"]
        return await self.client.update(resource_path("apps", "v1", "controllerrevisions", m["namespace"],
                                                      m["name"]), body)

    async def _snapshot(self, ds: Obj, data: Obj, number: int) -> Obj:
        """Create the revision for the current template; on a clash with other data bump the collision count
        and raise (the next sync hashes again)."""
        meta = ds["metadata"]
        ns = meta.get("namespace", "")
        template = (ds.get("spec") or {}).get("template") or {}
        collision = (ds.get("status") or {}).get("collisionCount")
        hash_ = compute_hash(template, collision)
        name = f"{meta['name']}-{hash_}"
        rev: Obj = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                    "metadata": {"name": name, "namespace": ns,
                                 "labels": {**((template.get("metadata") or {}).get("labels") or {}),
                                            HASH_LABEL: hash_},
                                 "ownerReferences": [controller_ref(ds, "apps/v1", KIND)]},
                    "data": data, "revision": number}
        if meta.get("annotations"):
            rev["metadata"]["annotations"] = dict(meta["annotations"])
        try:
            return await self.client.create(resource_path("apps", "v1", "controllerrevisions", ns), rev)
        except StatusError as e:
            if not is_already_exists(e):
                raise
            existing = await self.client.get(resource_path("apps", "v1", "controllerrevisions", ns, name))
            if data_equal(existing.get("data"), data):
                return existing
            fresh = await self.client.get(resource_path("apps", "v1", "daemonsets", ns, meta["name"]))
            count = int((fresh.get("status") or {}).get("collisionCount") or 0)
            # Bump only the count this hash was made with: a cache behind the API must not bump it twice.
            if count == int(collision or 0):
                await self.client.patch(resource_path("apps", "v1", "daemonsets", ns, meta["name"], "status"),
                                        {"status": {"collisionCount": count + 1}})
                log.info("daemonset %s/%s: hash collision, collisionCount now %d", ns, meta["name"], count + 1)
            raise

    async def _dedup(self, ds: Obj, current: list[Obj]) -> Obj:
        """Keep the highest-numbered of several equal revisions: relabel pods of the others, delete them."""
        if len(current) == 1:
            return current[0]
        current = sorted(current, key=lambda r: int(r.get("revision") or 0))
        keep = current[-1]
        keep_hash = keep["metadata"]["labels"].get(HASH_LABEL, "")
        ns = ds["metadata"].get("namespace", "")
        for dup in current[:-1]:
            dup_hash = (dup["metadata"].get("labels") or {}).get(HASH_LABEL)
            for pod in self.pods.by_index("owner-uid", ds["metadata"]["uid"]):
                if ((pod["metadata"].get("labels") or {}).get(HASH_LABEL)) == dup_hash:
                    await self.client.patch(resource_path("", "v1", "pods", ns, pod["metadata"]["name"]),
                                            {"metadata": {"labels": {HASH_LABEL: keep_hash}}})
            await delete_revision(self.client, dup)
        return keep

    async def _cleanup_history(self, ds: Obj, old: list[Obj], pods: Iterable[Obj]) -> None:
        limit = (ds.get("spec") or {}).get("revisionHistoryLimit")
        limit = 10 if limit is None else int(limit)
        to_kill = len(old) - limit
        if to_kill <= 0:
            return
        live = {h for p in pods if (h := ((p.get("metadata") or {}).get("labels") or {}).get(HASH_LABEL))}
        for rev in sorted(old, key=lambda r: int(r.get("revision") or 0)):
            if to_kill <= 0:
                break
            if ((rev["metadata"].get("labels") or {}).get(HASH_LABEL)) in live:
                continue
            await delete_revision(self.client, rev)
            to_kill -= 1

    # -- manage --------------------------------------------------------------------------------------------------

    def _pods_for_node(self, ds: Obj, node: Obj, node_pods: dict[str, list[Obj]],
                       hash_: str) -> tuple[bool, list[Obj]]:
        """(needs a new pod, pods to delete) for one node (upstream podsShouldBeOnNode)."""
        name = node["metadata"]["name"]
        should_run, should_continue = node_should_run(node, ds)
        pods = node_pods.get(name)
        delete: list[Obj] = []
        if should_run and pods is None:
            return True, delete
        if should_continue:
            running: list[Obj] = []
            for pod in pods or []:
                if is_terminating(pod):
                    continue
                phase = (pod.get("status") or {}).get("phase")
                if phase == "Failed":
                    bkey = f"{ds['metadata']['uid']}/{(ds.get('status') or {}).get('observedGeneration', 0)}/{name}"
                    if self.backoff.in_backoff(bkey):
                        self.enqueue_after(ds, self.backoff.delay(bkey))
                        continue
                    self.backoff.next(bkey)
                    self.recorder.event(ds, "Warning", "FailedDaemonPod",
                                        f"Found failed daemon pod {pod['metadata'].get('namespace')}/"
                                        f"{pod['metadata']['name']} on node {name}, will try to kill it")
                    delete.append(pod)
                elif phase == "Succeeded":
                    self.recorder.event(ds, "Normal", "SucceededDaemonPod",
                                        f"Found succeeded daemon pod {pod['metadata'].get('namespace')}/"
                                        f"{pod['metadata']['name']} on node {name}, will try to delete it")
                    delete.append(pod)
                else:
                    running.append(pod)
            running.sort(key=pod_order)
            if not allows_surge(ds):
                delete.extend(running[1:])
                return False, delete
            if len(running) <= 1:
                return (not running and should_run), delete
            oldest_new = oldest_old = None
            for pod in running:
                is_new = ((pod["metadata"].get("labels") or {}).get(HASH_LABEL)) == hash_
                if is_new and oldest_new is None:
                    oldest_new = pod
                elif not is_new and oldest_old is None:
                    oldest_old = pod
                else:
                    delete.append(pod)
            if oldest_new is not None and oldest_old is not None:
                min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
                if not is_pod_ready(oldest_old) or is_pod_available(oldest_new, min_ready):
                    delete.append(oldest_old)
            return False, delete
        if pods is not None:
            delete.extend(p for p in pods if not is_terminating(p))
        return False, delete

    async def _manage(self, ds: Obj, nodes: list[Obj], node_pods: dict[str, list[Obj]], hash_: str) -> None:
        needing: list[str] = []
        delete: list[Obj] = []
        for node in nodes:
            need, gone = self._pods_for_node(ds, node, node_pods, hash_)
            if need:
                needing.append(node["metadata"]["name"])
            delete.extend(gone)
        # Unscheduled pods for nodes that no longer exist would never be bound (nor collected by pod GC).
        existing = {n["metadata"]["name"] for n in nodes}
        for node_name, pods in node_pods.items():
            if node_name not in existing:
                delete.extend(p for p in pods if not (p.get("spec") or {}).get("nodeName")
                              and not is_terminating(p))
        await self._sync_nodes(ds, delete, needing, hash_)

    async def _sync_nodes(self, ds: Obj, delete: list[Obj], needing: list[str], hash_: str) -> None:
        """Create a pod on each node of ``needing`` and delete ``delete`` (at most BURST_REPLICAS of each),
        with expectations raised first; creates go in slow-start batches.  Raises the first failure."""
        key = object_key(ds)
        creates = needing[:BURST_REPLICAS]
        deletes = delete[:BURST_REPLICAS]
        if not creates and not deletes:
            return
        self.expectations.set(key, len(creates), len(deletes))
        template = create_pod_template((ds.get("spec") or {}).get("template") or {}, template_generation(ds), hash_)
        ref = controller_ref(ds, "apps/v1", KIND)
        errors: list[BaseException] = []

        async def create_one(node_name: str) -> None:
            t = copy.deepcopy(template)
            t["spec"]["affinity"] = replace_node_affinity(t["spec"].get("affinity"), node_name)
            pod = pod_from_template(t, ds, generate_name=f"{ds['metadata']['name']}-", ref=ref)
            try:
                created = await create_pod(self.client, pod)
            except Exception as e:  # noqa: BLE001 - no event will come for a failed create: count it now
                self.expectations.creation_observed(key)
                if isinstance(e, StatusError) and _namespace_terminating(e):
                    return
                self.recorder.event(ds, "Warning", "FailedCreate", f"Error creating: {_message(e)}")
                errors.append(e)
                return
            self.recorder.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

        pos, batch = 0, SLOW_START_INITIAL_BATCH
        while pos < len(creates):
            size = min(batch, len(creates) - pos)
            before = len(errors)
            await asyncio.gather(*(create_one(n) for n in creates[pos:pos + size]))
            pos += size
            if len(errors) > before:
                skipped = len(creates) - pos
                if skipped:
                    self.expectations.raise_expectations(key, -skipped, 0)
                break
            batch = 2 * size

        async def delete_one(pod: Obj) -> None:
            m = pod["metadata"]
            body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": m.get("uid")}}
            try:
                await self.client.delete(resource_path("", "v1", "pods", m.get("namespace", ""), m["name"]), body)
            except Exception as e:  # noqa: BLE001 - no event will come for a failed delete: count it now
                self.expectations.deletion_observed(key)
                if getattr(e, "code", None) not in (404, 409):
                    self.recorder.event(ds, "Warning", "FailedDelete", f"Error deleting: {_message(e)}")
                    errors.append(e)
                return
            self.recorder.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {m['name']}")

        await asyncio.gather(*(delete_one(p) for p in deletes))
        if errors:
            raise errors[0]

    # -- rolling update ------------------------------------------------------------------------------------------

    async def _rolling_update(self, ds: Obj, nodes: list[Obj], node_pods: dict[str, list[Obj]],
                              hash_: str) -> None:
        existing = {n["metadata"]["name"]: n for n in nodes}
        # Only nodes that exist count; pods left on removed nodes are pod GC's business.
        by_node = {name: pods for name, pods in node_pods.items() if name in existing}
        desired = 0
        for name, node in existing.items():
            if node_should_run(node, ds)[0]:
                desired += 1
                by_node.setdefault(name, [])
        try:
            max_surge, max_unavailable = surge_count(ds, desired), unavailable_count(ds, desired)
        except ValueError as e:
            self.recorder.event(ds, "Warning", "InvalidUpdateStrategy", str(e))
            return
        if desired > 0 and max_surge == 0 and max_unavailable == 0:
            max_unavailable = 1
        generation = template_generation(ds)
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        now = time.time()
        if max_surge == 0:
            unavailable = 0
            allowed: list[Obj] = []
            candidates: list[Obj] = []
            for name in sorted(by_node):
                new, old, ok = updated_pods_on_node(by_node[name], hash_, generation)
                if not ok:
                    unavailable += 1
                    continue
                if (old is None) == (new is None):
                    unavailable += 1  # nothing or both: manage fixes it; count it unavailable meanwhile
                elif new is not None:
                    if not is_pod_available(new, min_ready, now):
                        unavailable += 1
                elif not is_pod_available(old, min_ready, now):
                    allowed.append(old)  # an unavailable old pod is replaced at once
                elif unavailable < max_unavailable:
                    candidates.append(old)
            remaining = max(0, min(max_unavailable - unavailable, len(candidates)))
            await self._sync_nodes(ds, allowed + candidates[:remaining], [], hash_)
            return
        surging = 0
        allowed_nodes: list[str] = []
        candidate_nodes: list[str] = []
        old_to_delete: list[Obj] = []
        for name in sorted(by_node):
            new, old, ok = updated_pods_on_node(by_node[name], hash_, generation)
            if not ok:
                surging += 1
                continue
            if old is None:
                continue
            if new is None:
                if not is_pod_available(old, min_ready, now):
                    allowed_nodes.append(name)
                elif surging < max_surge:
                    candidate_nodes.append(name)
                continue
            if not is_pod_available(new, min_ready, now):
                surging += 1
                continue
            old_to_delete.append(old)
        remaining = max(0, min(max_surge - surging, len(candidate_nodes)))
        await self._sync_nodes(ds, old_to_delete, allowed_nodes + candidate_nodes[:remaining], hash_)

    # -- status --------------------------------------------------------------------------------------------------

    async def _update_status(self, ds: Obj, nodes: list[Obj], node_pods: dict[str, list[Obj]], hash_: str, *,
                             observed: bool) -> None:
        desired = current = misscheduled = ready = updated = available = 0
        generation = template_generation(ds)
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        now = time.time()
        for node in nodes:
            should_run, _ = node_should_run(node, ds)
            pods = node_pods.get(node["metadata"]["name"]) or []
            if not should_run:
                if pods:
                    misscheduled += 1
                continue
            desired += 1
            if not pods:
                continue
            current += 1
            pod = min(pods, key=pod_order)
            if is_pod_ready(pod):
                ready += 1
                if is_pod_available(pod, min_ready, now):
                    available += 1
            if is_pod_updated(pod, hash_, generation):
                updated += 1
        status = {"desiredNumberScheduled": desired, "currentNumberScheduled": current,
                  "numberMisscheduled": misscheduled, "numberReady": ready, "updatedNumberScheduled": updated,
                  "numberAvailable": available, "numberUnavailable": desired - available}
        old = ds.get("status") or {}
        gen = int(ds["metadata"].get("generation") or 0)
        if observed:
            status["observedGeneration"] = gen
        unchanged = (all(int(old.get(k) or 0) == v for k, v in status.items() if k != "observedGeneration")
                     and int(old.get("observedGeneration") or 0) >= gen)
        if not unchanged:
            meta = ds["metadata"]
            # Go omits these when zero; a merge patch removes them with null.
            wire = {k: (None if k in _OMIT_EMPTY and not v else v) for k, v in status.items()}
            await self.client.patch(resource_path("apps", "v1", "daemonsets", meta.get("namespace", ""),
                                                  meta["name"], "status"), {"status": wire})
        if min_ready > 0 and ready != available:
            self.enqueue_after(ds, min_ready)


def _namespace_terminating(e: StatusError) -> bool:
    causes = (e.details or {}).get("causes") or []
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


def _message(e: BaseException) -> str:
    return getattr(e, "message", "") or str(e)
