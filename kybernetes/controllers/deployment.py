"""Deployment controller: rolls a Deployment's pod template out through ReplicaSets.

A Deployment owns one ReplicaSet per template it has run (named ``<deployment>-<pod-template-hash>``; the hash
label is added to the ReplicaSet's selector, template and labels so sibling ReplicaSets never fight over pods).
Each sync, level-triggered from the informer caches:

1. claims ReplicaSets (adopting matching orphans, releasing ones that stopped matching);
2. a Deployment being deleted only gets its status refreshed;
3. records ``DeploymentPaused`` / ``DeploymentResumed`` in the Progressing condition when ``spec.paused`` flips;
4. a paused Deployment, or one whose size changed (a ReplicaSet's desired-replicas annotation differs from
   ``spec.replicas``), is only *scaled*: the one active ReplicaSet takes the new size, or during a rollout the
   difference is spread over the active ReplicaSets in proportion to their size (``sync_scale``);
5. otherwise the strategy runs (``deployment_rollout``): RollingUpdate grows the new ReplicaSet within maxSurge
   and shrinks old ones within maxUnavailable; Recreate scales every old ReplicaSet to zero, waits for their pods
   to be gone, then scales the new one up;
6. the status is recomputed from the ReplicaSets' statuses, with the Progressing condition
   (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
   ProgressDeadlineExceeded), the Available condition and any ReplicaFailure of a ReplicaSet.  A rollout that
   has not finished is looked at again when its progress deadline would pass.

Revisions: the new ReplicaSet carries ``max(revision of the others) + 1`` (so a rollback, which makes an old
ReplicaSet new again, moves its revision to the top and appends its old one to revision-history); the
Deployment carries the new ReplicaSet's revision; the Deployment's annotations (``kubernetes.io/change-cause``
among them) are copied to the new ReplicaSet.  Old ReplicaSets beyond ``revisionHistoryLimit`` that are scaled
to zero are deleted, lowest revision first.

Every write is an update carrying the resourceVersion that was read, so decisions taken on a stale cache fail
with a conflict and are retried; nothing but the API state survives a restart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kybernetes.client.informer import INDEX_NAMESPACE, INDEX_OWNER_UID, Informer
from kybernetes.client.rest import resource_path
from kybernetes.controllers import deployment_util as du
from kybernetes.controllers.deployment_util import clone
from kybernetes.controllers.base import Controller, ControllerContext, is_already_exists, is_not_found, object_key
from kybernetes.controllers.deployment_rollout import rollback, rollout_recreate, rollout_rolling
from kybernetes.controllers.podcontrol import controller_ref, get_controller_of, is_terminating
from kybernetes.controllers.refmanager import claim_objects
from kybernetes.controllers.replicaset import INDEX_ORPHANS, claim_candidates, orphan_namespace
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.labels import selector_from_dict

__all__ = ["DeploymentController"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]


def _refresh(target: Obj, fresh: Obj) -> Obj:
    """Make ``target`` (our own copy) the object the server answered, in place, so every list holding it sees
    the new resourceVersion.  Returns ``target``."""
    target.clear()
    target.update(fresh)
    return target


def _selector_is_empty(d: Obj) -> bool:
    sel = (d.get("spec") or {}).get("selector")
    return sel is not None and not sel.get("matchLabels") and not sel.get("matchExpressions")


class DeploymentController(Controller):
    """Rolls out Deployments (see the module docstring)."""

    name = "deployment"
    workers = 5
    component = "deployment-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.clock: Callable[[], float] = time.time
        self.recorder = ctx.recorder(self.component)
        self.deployments: Informer = ctx.informer("apps", "v1", "deployments")
        self.replicasets: Informer = ctx.informer("apps", "v1", "replicasets")
        self.pods: Informer = ctx.informer("", "v1", "pods")
        self.deployments.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new),
                                           on_delete=self.enqueue)
        self.replicasets.add_indexer(INDEX_ORPHANS, orphan_namespace)
        self.replicasets.add_event_handler(on_add=self._rs_added, on_update=self._rs_updated,
                                           on_delete=self._rs_deleted)
        self.pods.add_event_handler(on_delete=self._pod_deleted)

    # -- informer handlers -------------------------------------------------------------------------------------

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if ref is None or ref.get("kind") != "Deployment":
            return None
        d = self.deployments.get(f"{namespace}/{ref.get('name', '')}")
        if d is None or (d.get("metadata") or {}).get("uid") != ref.get("uid"):
            return None
        return d

    def _deployments_matching(self, rs: Obj) -> list[Obj]:
        md = rs.get("metadata") or {}
        labels = md.get("labels") or {}
        if not labels:
            return []
        out = []
        for d in self.deployments.by_index(INDEX_NAMESPACE, md.get("namespace", "")):
            try:
                selector = selector_from_dict((d.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if not selector.empty and selector.matches(labels):
                out.append(d)
        return out

    def _rs_added(self, rs: Obj) -> None:
        if is_terminating(rs):
            self._rs_deleted(rs)
            return
        ns = (rs.get("metadata") or {}).get("namespace", "")
        ref = get_controller_of(rs)
        if ref is not None:
            d = self._resolve(ns, ref)
            if d is not None:
                self.enqueue(d)
            return
        for d in self._deployments_matching(rs):
            self.enqueue(d)

    def _rs_updated(self, old: Obj, new: Obj) -> None:
        om, nm = old.get("metadata") or {}, new.get("metadata") or {}
        if om.get("resourceVersion") == nm.get("resourceVersion"):
            return
        ns = nm.get("namespace", "")
        new_ref, old_ref = get_controller_of(new), get_controller_of(old)
        if new_ref != old_ref and old_ref is not None:
            d = self._resolve(ns, old_ref)
            if d is not None:
                self.enqueue(d)
        if new_ref is not None:
            d = self._resolve(ns, new_ref)
            if d is not None:
                self.enqueue(d)
            return
        if (om.get("labels") or {}) != (nm.get("labels") or {}) or new_ref != old_ref:
            for d in self._deployments_matching(new):
                self.enqueue(d)

    def _rs_deleted(self, rs: Obj) -> None:
        d = self._resolve((rs.get("metadata") or {}).get("namespace", ""), get_controller_of(rs))
        if d is not None:
            self.enqueue(d)

    def _pod_deleted(self, pod: Obj) -> None:
        """A Recreate rollout waits for the old pods to be gone: look again when one goes."""
        ns = (pod.get("metadata") or {}).get("namespace", "")
        ref = get_controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.replicasets.get(f"{ns}/{ref.get('name', '')}")
        if rs is None or (rs.get("metadata") or {}).get("uid") != ref.get("uid"):
            return
        d = self._resolve(ns, get_controller_of(rs))
        if d is not None and not du.is_rolling_update(d):
            self.enqueue(d)

    # -- API writes --------------------------------------------------------------------------------------------

    @staticmethod
    def _rs_path(namespace: str, name: str = "") -> str:
        return resource_path("apps", "v1", "replicasets", namespace, name)

    async def update_status(self, d: Obj) -> Obj:
        """Write ``d`` through deployments/status (its annotations too, as upstream does) and refresh it in
        place.  Raises StatusError (409 when ``d`` is stale)."""
        md = d["metadata"]
        fresh = await self.client.update(
            resource_path("apps", "v1", "deployments", md.get("namespace", ""), md["name"], "status"), d)
        return _refresh(d, fresh)

    async def update_rs(self, rs: Obj, body: Obj) -> Obj:
        """Replace ReplicaSet ``rs`` with ``body`` (same resourceVersion) and refresh ``rs`` in place."""
        md = body["metadata"]
        fresh = await self.client.update(self._rs_path(md.get("namespace", ""), md["name"]), body)
        return _refresh(rs, fresh)

    # -- sync --------------------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        """One pass over Deployment ``key`` (see the module docstring); raises to be retried."""
        cached = self.deployments.get(key)
        if cached is None:
            return
        d = clone(cached)
        d.setdefault("apiVersion", "apps/v1")
        d.setdefault("kind", "Deployment")
        d.setdefault("status", {})
        if _selector_is_empty(d):
            self.recorder.event(d, "Warning", "SelectingAll",
                                "This deployment is selecting all pods. A non-empty selector is required.")
            gen = int(d["metadata"].get("generation") or 0)
            if int(d["status"].get("observedGeneration") or 0) < gen:
                d["status"]["observedGeneration"] = gen
                await self.update_status(d)
            return
        rs_list = await self.get_replica_sets(d)
        if is_terminating(d):
            await self.sync_status_only(d, rs_list)
            return
        await self.check_paused_conditions(d)
        if (d.get("spec") or {}).get("paused"):
            await self.sync_scale(d, rs_list)
            return
        if du.rollback_to(d) is not None:
            await rollback(self, d, rs_list)
            return
        if await self.is_scaling_event(d, rs_list):
            await self.sync_scale(d, rs_list)
            return
        if du.is_rolling_update(d):
            await rollout_rolling(self, d, rs_list)
        else:
            await rollout_recreate(self, d, rs_list, self.pod_map(d, rs_list))

    async def get_replica_sets(self, d: Obj) -> list[Obj]:
        """The ReplicaSets ``d`` controls after adoption/release, as private copies (callers mutate them)."""
        md = d["metadata"]
        ns, name = md.get("namespace", ""), md["name"]
        selector = selector_from_dict(d["spec"].get("selector"))

        async def recheck() -> Obj | None:
            try:
                return await self.client.get(resource_path("apps", "v1", "deployments", ns, name))
            except StatusError as e:
                if is_not_found(e):
                    return None
                raise

        claimed = await claim_objects(self.client, d, selector, claim_candidates(self.replicasets, d),
                                      group="apps", version="v1", plural="replicasets", recheck=recheck)
        out = []
        for rs in claimed:
            rs = clone(rs)
            rs.setdefault("apiVersion", "apps/v1")
            rs.setdefault("kind", "ReplicaSet")
            out.append(rs)
        return out

    def pod_map(self, d: Obj, rs_list: list[Obj]) -> dict[str, list[Obj]]:
        """The pods of each of ``rs_list`` (by ReplicaSet uid) that match the Deployment's selector."""
        selector = selector_from_dict(d["spec"].get("selector"))
        out: dict[str, list[Obj]] = {rs["metadata"]["uid"]: [] for rs in rs_list}
        for uid in out:
            for pod in self.pods.by_index(INDEX_OWNER_UID, uid):
                ref = get_controller_of(pod)
                if ref is not None and ref.get("uid") == uid and \
                        selector.matches((pod.get("metadata") or {}).get("labels") or {}):
                    out[uid].append(pod)
        return out

    async def check_paused_conditions(self, d: Obj) -> None:
        """Record a pause or resume in the Progressing condition (unless the deadline was already reported
        exceeded); writes status when that changes it."""
        if not du.has_progress_deadline(d):
            return
        cond = du.get_condition(d["status"], du.PROGRESSING)
        if cond is not None and cond.get("reason") == du.TIMED_OUT_REASON:
            return
        paused_recorded = cond is not None and cond.get("reason") == du.PAUSED_REASON
        paused = bool(d["spec"].get("paused"))
        now = self.clock()
        if paused and not paused_recorded:
            du.set_condition(d["status"], du.new_condition(du.PROGRESSING, "Unknown", du.PAUSED_REASON,
                                                           "Deployment is paused", now))
        elif not paused and paused_recorded:
            du.set_condition(d["status"], du.new_condition(du.PROGRESSING, "Unknown", du.RESUMED_REASON,
                                                           "Deployment is resumed", now))
        else:
            return
        await self.update_status(d)

    async def is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        """Whether an active ReplicaSet records a desired size other than the Deployment's replicas."""
        new_rs, old_rss = await self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        want = du.spec_replicas(d)
        for rs in du.filter_active(old_rss + [new_rs]):
            desired = du.desired_replicas_annotation(rs)
            if desired is not None and desired != want:
                return True
        return False

    async def get_all_replica_sets_and_sync_revision(self, d: Obj, rs_list: list[Obj],
                                                     create: bool) -> tuple[Obj | None, list[Obj]]:
        """(new ReplicaSet, every old ReplicaSet); the new one is created when missing and ``create``."""
        _, all_old = du.find_old_replica_sets(d, rs_list)
        new_rs = await self.get_new_replica_set(d, rs_list, all_old, create)
        return new_rs, all_old

    async def get_new_replica_set(self, d: Obj, rs_list: list[Obj], old_rss: list[Obj],
                                  create: bool) -> Obj | None:
        """The new ReplicaSet with its annotations, revision and minReadySeconds brought up to date (and the
        Deployment's revision annotation and Progressing condition), created when missing and ``create``.
        Raises StatusError on failed writes (a hash collision bumps status.collisionCount first)."""
        existing = du.find_new_replica_set(d, rs_list)
        new_revision = str(du.max_revision(old_rss) + 1)
        now = self.clock()
        min_ready = int(d["spec"].get("minReadySeconds") or 0)
        if existing is not None:
            body = clone(existing)
            annotations_updated = du.set_new_replica_set_annotations(d, body, new_revision, True)
            if annotations_updated or int(body["spec"].get("minReadySeconds") or 0) != min_ready:
                if min_ready:
                    body["spec"]["minReadySeconds"] = min_ready
                else:
                    body["spec"].pop("minReadySeconds", None)
                return await self.update_rs(existing, body)
            needs_update = du.set_deployment_revision(
                d, ((existing["metadata"].get("annotations") or {}).get(du.REVISION_ANNOTATION, "")))
            if du.has_progress_deadline(d) and du.get_condition(d["status"], du.PROGRESSING) is None:
                du.set_condition(d["status"], du.new_condition(
                    du.PROGRESSING, "True", du.FOUND_NEW_RS_REASON,
                    f'Found new replica set "{existing["metadata"]["name"]}"', now))
                needs_update = True
            if needs_update:
                await self.update_status(d)
            return existing
        if not create:
            return None

        md = d["metadata"]
        ns = md.get("namespace", "")
        template = clone(d["spec"].get("template") or {})
        pod_hash = du.compute_hash(template, d["status"].get("collisionCount"))
        tmeta = template.setdefault("metadata", {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), du.POD_TEMPLATE_HASH_LABEL: pod_hash}
        selector = clone(d["spec"].get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), du.POD_TEMPLATE_HASH_LABEL: pod_hash}
        name = f"{md['name']}-{pod_hash}"
        new_rs: Obj = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": ns, "labels": dict(tmeta["labels"]),
                         "ownerReferences": [controller_ref(d, "apps/v1", "Deployment")]},
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        if min_ready:
            new_rs["spec"]["minReadySeconds"] = min_ready
        new_replicas = du.new_rs_new_replicas(d, old_rss + [new_rs], new_rs)
        new_rs["spec"]["replicas"] = new_replicas
        du.set_new_replica_set_annotations(d, new_rs, new_revision, False)
        already_exists = False
        try:
            created = await self.client.create(self._rs_path(ns), new_rs)
        except StatusError as e:
            if is_already_exists(e):
                # a slow cache, or a hash collision with a ReplicaSet that is not ours
                try:
                    current = await self.client.get(self._rs_path(ns, name))
                except StatusError as ge:
                    if is_not_found(ge):
                        raise e from None
                    raise
                ref = get_controller_of(current)
                if ref is not None and ref.get("uid") == md.get("uid") and \
                        du.equal_ignore_hash(d["spec"].get("template"), current["spec"].get("template")):
                    created, already_exists = current, True
                else:
                    d["status"]["collisionCount"] = int(d["status"].get("collisionCount") or 0) + 1
                    try:
                        await self.update_status(d)
                        log.info("deployment %s/%s: hash collision, collisionCount now %s", ns, md["name"],
                                 d["status"].get("collisionCount"))
                    except StatusError:
                        pass
                    raise
            else:
                if not du.namespace_terminating(e):
                    msg = f'Failed to create new replica set "{name}": {e}'
                    if du.has_progress_deadline(d):
                        du.set_condition(d["status"], du.new_condition(du.PROGRESSING, "False",
                                                                       du.FAILED_RS_CREATE_REASON, msg, now))
                        try:
                            await self.update_status(d)
                        except StatusError:
                            pass  # the create failure is the bigger news
                    self.recorder.event(d, "Warning", du.FAILED_RS_CREATE_REASON, msg)
                raise
        created.setdefault("apiVersion", "apps/v1")
        created.setdefault("kind", "ReplicaSet")
        if not already_exists and new_replicas > 0:
            self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                f"Scaled up replica set {created['metadata']['name']} from 0 to {new_replicas}")
        needs_update = du.set_deployment_revision(d, new_revision)
        if not already_exists and du.has_progress_deadline(d):
            du.set_condition(d["status"], du.new_condition(du.PROGRESSING, "True", du.NEW_RS_REASON,
                                                           f'Created new replica set "{name}"', now))
            needs_update = True
        if needs_update:
            await self.update_status(d)
        return created

    # -- scaling -----------------------------------------------------------------------------------------------

    async def scale_replica_set_and_record_event(self, rs: Obj, new_scale: int, d: Obj) -> tuple[bool, Obj]:
        """Scale ``rs`` to ``new_scale`` when it differs; (scaled?, rs refreshed in place)."""
        if du.spec_replicas(rs) == new_scale:
            return False, rs
        op = "up" if du.spec_replicas(rs) < new_scale else "down"
        return await self.scale_replica_set(rs, new_scale, d, op)

    async def scale_replica_set(self, rs: Obj, new_scale: int, d: Obj, op: str) -> tuple[bool, Obj]:
        """Set ``rs`` to ``new_scale`` replicas and the Deployment's size annotations (one update, only when
        something changes); records ScalingReplicaSet when the size changed."""
        want, max_total = du.spec_replicas(d), du.spec_replicas(d) + du.max_surge(d)
        size_changes = du.spec_replicas(rs) != new_scale
        if not size_changes and not du.replicas_annotations_need_update(rs, want, max_total):
            return False, rs
        old_scale = du.spec_replicas(rs)
        body = clone(rs)
        body["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(body, want, max_total)
        await self.update_rs(rs, body)
        if size_changes:
            self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                f"Scaled {op} replica set {rs['metadata']['name']} from {old_scale} to {new_scale}")
        return size_changes, rs

    async def scale(self, d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> None:
        """Bring the ReplicaSets to the Deployment's size: the only active one takes it all; with a saturated
        new ReplicaSet the old ones go to zero; during a rolling update the difference is shared out in
        proportion (leftovers to the largest)."""
        want = du.spec_replicas(d)
        only = du.find_active_or_latest(new_rs, old_rss)
        if only is not None:
            if du.spec_replicas(only) != want:
                await self.scale_replica_set_and_record_event(only, want, d)
            return
        if du.is_saturated(d, new_rs):
            for old in du.filter_active(old_rss):
                await self.scale_replica_set_and_record_event(old, 0, d)
            return
        if not du.is_rolling_update(d):
            return
        all_rss = du.filter_active(old_rss + [new_rs])
        allowed = want + du.max_surge(d) if want > 0 else 0
        to_add = allowed - du.replica_count(all_rss)
        op = ""
        if to_add != 0:
            # larger first; among equal sizes newer first when growing, older first when shrinking
            all_rss.sort(key=du.by_creation, reverse=to_add > 0)
            all_rss.sort(key=lambda rs: -du.spec_replicas(rs))
            op = "up" if to_add > 0 else "down"
        added = 0
        sizes: dict[str, int] = {}
        for rs in all_rss:
            if to_add != 0:
                share = du.get_proportion(rs, d, to_add, added)
                sizes[rs["metadata"]["name"]] = du.spec_replicas(rs) + share
                added += share
            else:
                sizes[rs["metadata"]["name"]] = du.spec_replicas(rs)
        for i, rs in enumerate(all_rss):
            name = rs["metadata"]["name"]
            if i == 0 and to_add != 0:
                sizes[name] = max(0, sizes[name] + to_add - added)
            await self.scale_replica_set(rs, sizes[name], d, op)

    async def sync_scale(self, d: Obj, rs_list: list[Obj]) -> None:
        """Scale without rolling out (paused Deployments and resizes); a paused Deployment's history is
        trimmed too.  Writes status when it changes."""
        new_rs, old_rss = await self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        await self.scale(d, new_rs, old_rss)
        if d["spec"].get("paused") and du.rollback_to(d) is None:
            await self.cleanup_deployment(old_rss, d)
        await self.sync_deployment_status(old_rss + [new_rs], new_rs, d)

    async def sync_status_only(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old_rss = await self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        await self.sync_deployment_status(old_rss + [new_rs], new_rs, d)

    async def cleanup_deployment(self, old_rss: list[Obj], d: Obj) -> None:
        """Delete the lowest-revision old ReplicaSets beyond revisionHistoryLimit that are fully scaled down and
        whose latest spec their controller has observed."""
        limit = d["spec"].get("revisionHistoryLimit")
        if limit is None:
            return
        cleanable = [rs for rs in old_rss if rs is not None and not is_terminating(rs)]
        diff = len(cleanable) - int(limit)
        if diff <= 0:
            return
        cleanable.sort(key=du.by_revision)
        for rs in cleanable[:diff]:
            status = rs.get("status") or {}
            if int(status.get("replicas") or 0) != 0 or du.spec_replicas(rs) != 0 or \
                    int(rs["metadata"].get("generation") or 0) > int(status.get("observedGeneration") or 0):
                continue
            try:
                await self.client.delete(self._rs_path(rs["metadata"].get("namespace", ""), rs["metadata"]["name"]),
                                         {"apiVersion": "v1", "kind": "DeleteOptions",
                                          "preconditions": {"uid": rs["metadata"].get("uid")}})
            except StatusError as e:
                if not is_not_found(e) and e.code != 409:
                    raise

    # -- status ------------------------------------------------------------------------------------------------

    async def sync_deployment_status(self, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj) -> None:
        """Write the status the ReplicaSets imply, when it differs."""
        new_status = du.calculate_status(all_rss, new_rs, d, self.clock())
        if du.statuses_equal(d.get("status"), new_status):
            return
        d["status"] = new_status
        await self.update_status(d)

    def replica_failures(self, all_rss: list[Obj | None], new_rs: Obj | None) -> list[Obj]:
        """ReplicaFailure conditions of the new ReplicaSet, else of any other, as Deployment conditions."""
        def of(rs: Obj | None) -> list[Obj]:
            return [du.rs_to_deployment_condition(c) for c in ((rs or {}).get("status") or {}).get("conditions") or ()
                    if c.get("type") == du.REPLICA_FAILURE]

        found = of(new_rs)
        if found:
            return found
        for rs in all_rss:
            found.extend(of(rs))
        return found

    async def sync_rollout_status(self, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj) -> None:
        """Write the status of a rollout in progress: counts, Available, and Progressing judged against the
        progress deadline; re-checks later when the rollout might time out."""
        now = self.clock()
        new_status = du.calculate_status(all_rss, new_rs, d, now)
        if not du.has_progress_deadline(d):
            du.remove_condition(new_status, du.PROGRESSING)
        current = du.get_condition(d["status"], du.PROGRESSING)
        complete_before = (int(new_status.get("replicas") or 0) == int(new_status.get("updatedReplicas") or 0)
                           and current is not None and current.get("reason") == du.NEW_RS_AVAILABLE_REASON)
        name = d["metadata"]["name"]
        if du.has_progress_deadline(d) and not complete_before:
            if du.deployment_complete(d, new_status):
                msg = (f'ReplicaSet "{new_rs["metadata"]["name"]}" has successfully progressed.' if new_rs
                       else f'Deployment "{name}" has successfully progressed.')
                du.set_condition(new_status, du.new_condition(du.PROGRESSING, "True", du.NEW_RS_AVAILABLE_REASON,
                                                              msg, now))
            elif du.deployment_progressing(d, new_status):
                msg = (f'ReplicaSet "{new_rs["metadata"]["name"]}" is progressing.' if new_rs
                       else f'Deployment "{name}" is progressing.')
                cond = du.new_condition(du.PROGRESSING, "True", du.RS_UPDATED_REASON, msg, now)
                if current is not None:
                    if current.get("status") == "True":
                        cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    du.remove_condition(new_status, du.PROGRESSING)
                du.set_condition(new_status, cond)
            elif du.deployment_timed_out(d, new_status, now):
                msg = (f'ReplicaSet "{new_rs["metadata"]["name"]}" has timed out progressing.' if new_rs
                       else f'Deployment "{name}" has timed out progressing.')
                du.set_condition(new_status, du.new_condition(du.PROGRESSING, "False", du.TIMED_OUT_REASON,
                                                              msg, now))
        failures = self.replica_failures(all_rss, new_rs)
        if failures:
            du.set_condition(new_status, failures[0])
        else:
            du.remove_condition(new_status, du.REPLICA_FAILURE)
        if du.statuses_equal(d.get("status"), new_status):
            self.requeue_stuck_deployment(d, new_status)
            return
        d["status"] = new_status
        await self.update_status(d)

    def requeue_stuck_deployment(self, d: Obj, new_status: Obj) -> None:
        """An unfinished rollout that made no progress is looked at again when its deadline passes."""
        current = du.get_condition(d["status"], du.PROGRESSING)
        if not du.has_progress_deadline(d) or current is None:
            return
        if du.deployment_complete(d, new_status) or current.get("reason") == du.TIMED_OUT_REASON:
            return
        since = du.parse_time(current.get("lastUpdateTime"))
        if since is None:
            return
        after = since + int(d["spec"]["progressDeadlineSeconds"]) - self.clock()
        # a second more absorbs the second-precision timestamps (upstream re-queues rate-limited under a second;
        # a plain short delay does the same without spinning through the rate limiter's fast first steps)
        self.enqueue_after(object_key(d), max(after, 0.0) + 1)
