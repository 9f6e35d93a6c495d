"""The two rollout strategies of a Deployment, and the legacy annotation-driven rollback.

RollingUpdate, one step per sync: first try to grow the new ReplicaSet (as far as ``replicas + maxSurge`` total
pods allows); if nothing grew, try to shrink old ReplicaSets: first their unavailable pods, then as many
available ones as keep ``replicas - maxUnavailable`` pods available.  Whatever happens the status is written
and, once the rollout is complete, old ReplicaSets beyond revisionHistoryLimit are deleted.  Each step relies on
the ReplicaSets' reported status, so the Deployment moves as fast as pods become available, never faster.

Two counts here are deliberately more careful than upstream's, so the bounds hold for the pods a watcher sees
and not only for ReplicaSet specs: pods a shrinking ReplicaSet has not yet deleted still count against the
surge (``new_rs_new_replicas``), and a shrinking ReplicaSet's available pods count at most up to its new size.

Recreate: scale every old ReplicaSet to zero, wait until none of their pods runs, then create/scale the new one.

The rollback here serves the deprecated ``deprecated.deployment.rollback.to`` annotation; ``kubectl rollout
undo`` (1.30+) instead writes the old template into the Deployment itself, which the normal path handles: the
old ReplicaSet becomes the new one again and its revision moves to the top.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kybernetes.client.rest import resource_path
from kybernetes.controllers import deployment_util as du

if TYPE_CHECKING:
    from kybernetes.controllers.deployment import DeploymentController

__all__ = ["rollout_rolling", "rollout_recreate", "rollback"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]


# -- RollingUpdate -----------------------------------------------------------------------------------------------

async def rollout_rolling(dc: DeploymentController, d: Obj, rs_list: list[Obj]) -> None:
    """One step of a rolling update, then the status write."""
    new_rs, old_rss = await dc.get_all_replica_sets_and_sync_revision(d, rs_list, True)
    assert new_rs is not None
    all_rss = old_rss + [new_rs]
    if await reconcile_new_replica_set(dc, all_rss, new_rs, d):
        await dc.sync_rollout_status(all_rss, new_rs, d)
        return
    if await reconcile_old_replica_sets(dc, all_rss, du.filter_active(old_rss), new_rs, d):
        await dc.sync_rollout_status(all_rss, new_rs, d)
        return
    if du.deployment_complete(d, d.get("status") or {}):
        await dc.cleanup_deployment(old_rss, d)
    await dc.sync_rollout_status(all_rss, new_rs, d)


async def reconcile_new_replica_set(dc: DeploymentController, all_rss: list[Obj], new_rs: Obj, d: Obj) -> bool:
    """Shrink a new ReplicaSet larger than the Deployment, or grow it within the surge; True when scaled."""
    want = du.spec_replicas(d)
    have = du.spec_replicas(new_rs)
    if have == want:
        return False
    if have > want:
        scaled, _ = await dc.scale_replica_set_and_record_event(new_rs, want, d)
        return scaled
    scaled, _ = await dc.scale_replica_set_and_record_event(new_rs, du.new_rs_new_replicas(d, all_rss, new_rs), d)
    return scaled


def max_scaled_down(all_rss: list[Obj], new_rs: Obj, d: Obj) -> int:
    """How many old pods may go now: all pods, minus the availability floor, minus the new ReplicaSet's pods
    that are not available yet (they may never become so)."""
    min_available = du.spec_replicas(d) - du.max_unavailable(d)
    new_unavailable = du.spec_replicas(new_rs) - int((new_rs.get("status") or {}).get("availableReplicas") or 0)
    return du.replica_count(all_rss) - min_available - new_unavailable


async def reconcile_old_replica_sets(dc: DeploymentController, all_rss: list[Obj], old_rss: list[Obj],
                                     new_rs: Obj, d: Obj) -> bool:
    """Shrink old ReplicaSets as far as availability allows; True when any was scaled."""
    if du.replica_count(old_rss) == 0:
        return False
    budget = max_scaled_down(all_rss, new_rs, d)
    if budget <= 0:
        return False
    old_rss, cleaned = await cleanup_unhealthy_replicas(dc, old_rss, d, budget)
    scaled_down = await scale_down_old_replica_sets_for_rolling_update(dc, old_rss + [new_rs], old_rss, d)
    return cleaned + scaled_down > 0


async def cleanup_unhealthy_replicas(dc: DeploymentController, old_rss: list[Obj], d: Obj,
                                     budget: int) -> tuple[list[Obj], int]:
    """Scale old ReplicaSets down by their unavailable pods, oldest first, at most ``budget`` in all (removing
    pods that are not serving costs no availability and unblocks a stuck rollout)."""
    old_rss = sorted(old_rss, key=du.by_creation)
    total = 0
    for rs in old_rss:
        if total >= budget:
            break
        replicas = du.spec_replicas(rs)
        available = int((rs.get("status") or {}).get("availableReplicas") or 0)
        if replicas == 0 or available >= replicas:
            continue
        count = min(budget - total, replicas - available)
        await dc.scale_replica_set_and_record_event(rs, replicas - count, d)
        total += count
    return old_rss, total


async def scale_down_old_replica_sets_for_rolling_update(dc: DeploymentController, all_rss: list[Obj],
                                                         old_rss: list[Obj], d: Obj) -> int:
    """Scale old ReplicaSets down (oldest first) by as many pods as are available beyond the floor
    replicas - maxUnavailable; returns how many."""
    min_available = du.spec_replicas(d) - du.max_unavailable(d)
    available = du.settled_available_count(all_rss)
    if available <= min_available:
        return 0
    budget = available - min_available
    total = 0
    for rs in sorted(old_rss, key=du.by_creation):
        if total >= budget:
            break
        replicas = du.spec_replicas(rs)
        if replicas == 0:
            continue
        count = min(replicas, budget - total)
        await dc.scale_replica_set_and_record_event(rs, replicas - count, d)
        total += count
    return total


# -- Recreate ----------------------------------------------------------------------------------------------------

async def rollout_recreate(dc: DeploymentController, d: Obj, rs_list: list[Obj],
                           pod_map: dict[str, list[Obj]]) -> None:
    """Old ReplicaSets to zero; once no old pod runs, the new ReplicaSet (created if needed) to full size."""
    new_rs, old_rss = await dc.get_all_replica_sets_and_sync_revision(d, rs_list, False)
    all_rss: list[Obj | None] = [*old_rss, new_rs]
    scaled_down = False
    for rs in du.filter_active(old_rss):
        scaled, _ = await dc.scale_replica_set_and_record_event(rs, 0, d)
        scaled_down = scaled_down or scaled
    if scaled_down or du.old_pods_running(new_rs, old_rss, pod_map):
        await dc.sync_rollout_status(all_rss, new_rs, d)
        return
    if new_rs is None:
        new_rs, old_rss = await dc.get_all_replica_sets_and_sync_revision(d, rs_list, True)
        all_rss = [*old_rss, new_rs]
    assert new_rs is not None
    await dc.scale_replica_set_and_record_event(new_rs, du.spec_replicas(d), d)
    if du.deployment_complete(d, d.get("status") or {}):
        await dc.cleanup_deployment(old_rss, d)
    await dc.sync_rollout_status(all_rss, new_rs, d)


# -- the deprecated rollback annotation --------------------------------------------------------------------------

async def rollback(dc: DeploymentController, d: Obj, rs_list: list[Obj]) -> None:
    """Copy the template of the requested revision (0: the previous one) into the Deployment and clear the
    annotation; warns and clears it when the revision does not exist or the template is already current."""
    new_rs, old_rss = await dc.get_all_replica_sets_and_sync_revision(d, rs_list, True)
    all_rss = [rs for rs in [*old_rss, new_rs] if rs is not None]
    target = du.rollback_to(d) or 0
    if target == 0:
        target = du.last_revision(all_rss)
        if target == 0:
            dc.recorder.event(d, "Warning", "DeploymentRollbackRevisionNotFound", "Unable to find last revision.")
            await _clear_rollback_to(dc, d)
            return
    for rs in all_rss:
        try:
            rev = du.revision(rs)
        except ValueError:
            continue
        if rev != target:
            continue
        if not du.equal_ignore_hash(d["spec"].get("template"), rs["spec"].get("template")):
            template = dict(rs["spec"].get("template") or {})
            meta = dict(template.get("metadata") or {})
            labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != du.POD_TEMPLATE_HASH_LABEL}
            meta["labels"] = labels
            template["metadata"] = meta
            d["spec"]["template"] = template
            du.set_deployment_annotations_to(d, rs)
            await _clear_rollback_to(dc, d)
            dc.recorder.event(d, "Normal", "DeploymentRollback",
                              f'Rolled back deployment "{d["metadata"]["name"]}" to revision {target}')
        else:
            dc.recorder.event(d, "Warning", "DeploymentRollbackTemplateUnchanged",
                              f'The rollback revision contains the same template as current deployment '
                              f'"{d["metadata"]["name"]}"')
            await _clear_rollback_to(dc, d)
        return
    dc.recorder.event(d, "Warning", "DeploymentRollbackRevisionNotFound", "Unable to find the revision to rollback to.")
    await _clear_rollback_to(dc, d)


async def _clear_rollback_to(dc: DeploymentController, d: Obj) -> None:
    (d["metadata"].get("annotations") or {}).pop(du.ROLLBACK_TO_ANNOTATION, None)
    md = d["metadata"]
    fresh = await dc.client.update(resource_path("apps", "v1", "deployments", md.get("namespace", ""), md["name"]), d)
    d.clear()
    d.update(fresh)
