"""A StatefulSet's pods and claims: stable identities, per-ordinal storage and the claim retention policy.

Every pod of StatefulSet ``web`` is named ``web-<ordinal>``; ordinals run from ``spec.ordinals.start`` (default
0) for ``spec.replicas`` pods.  A pod carries its identity in labels (``statefulset.kubernetes.io/pod-name``,
``apps.kubernetes.io/pod-index``), its template revision in ``controller-revision-hash`` (the ControllerRevision's
*name*, e.g. ``web-7b9c5d6f8``) and its DNS identity in ``spec.hostname`` = its name and ``spec.subdomain`` =
``spec.serviceName``.  Pods outside the ordinal range are *condemned* (scale down removes them, highest first).

For each ``spec.volumeClaimTemplates`` entry ``www`` the pod ``web-2`` gets a PersistentVolumeClaim
``www-web-2`` (labels: the template's plus the selector's ``matchLabels``) mounted as volume ``www``; claims
outlive pods, so a re-created ``web-2`` finds its old data.

``persistentVolumeClaimRetentionPolicy`` decides who deletes claims, through ownerReferences the garbage
collector acts on: ``whenDeleted: Delete`` makes the StatefulSet a controller owner of every claim;
``whenScaled: Delete`` makes a condemned pod the owner of its claims (so they go with it).  Claims that another
controller owns, or whose references name an earlier pod or set of the same name (a stale uid), are left alone.

Everything here is pure; the pod and claim bodies returned are new dicts.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from kybernetes.controllers.apps_util import is_pod_available, scaled_value
from kybernetes.controllers.history import template_from_revision
from kybernetes.controllers.podcontrol import controller_ref, is_pod_ready, pod_from_template

__all__ = [
    "POD_NAME_LABEL", "POD_INDEX_LABEL", "REVISION_LABEL", "parent_and_ordinal", "get_ordinal", "start_ordinal",
    "end_ordinal", "spec_replicas", "in_ordinal_range", "pod_name", "claim_name", "is_member_of",
    "identity_matches", "storage_matches", "identity_labels", "retention_policy", "claims_for", "new_pod",
    "new_versioned_pod", "apply_revision", "pod_revision", "is_created", "is_running_and_ready", "is_unavailable",
    "is_failed_or_succeeded", "is_pending", "allows_burst", "has_owner_ref", "has_stale_owner_ref",
    "has_unexpected_controller", "is_claim_owner_up_to_date", "claim_owner_refs", "replica_status",
    "complete_rolling_update", "status_differs", "max_unavailable", "split_pods",
]

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"

RETAIN = "Retain"
DELETE = "Delete"

_ORDINAL = re.compile(r"(.*)-([0-9]+)$")
_INT32_MAX = 2**31 - 1

Obj = dict[str, Any]


# -- names and ordinals -------------------------------------------------------------------------------------------

def parent_and_ordinal(name: str) -> tuple[str, int]:
    """``web-3`` -> (``web``, 3); a name without a trailing ``-<digits>`` (or one beyond int32) -> ordinal -1."""
    m = _ORDINAL.match(name)
    if not m:
        return "", -1
    n = int(m.group(2))
    return m.group(1), (n if n <= _INT32_MAX else -1)


def get_ordinal(pod: Obj) -> int:
    return parent_and_ordinal((pod.get("metadata") or {}).get("name", ""))[1]


def start_ordinal(sts: Obj) -> int:
    return int(((sts.get("spec") or {}).get("ordinals") or {}).get("start") or 0)


def spec_replicas(sts: Obj) -> int:
    r = (sts.get("spec") or {}).get("replicas")
    return 1 if r is None else int(r)


def end_ordinal(sts: Obj) -> int:
    """The last ordinal in range (inclusive); ``start - 1`` for zero replicas."""
    return start_ordinal(sts) + spec_replicas(sts) - 1


def in_ordinal_range(pod: Obj, sts: Obj) -> bool:
    o = get_ordinal(pod)
    return start_ordinal(sts) <= o <= end_ordinal(sts)


def pod_name(sts: Obj, ordinal: int) -> str:
    return f"{sts['metadata']['name']}-{ordinal}"


def claim_name(sts: Obj, template: Obj, ordinal: int) -> str:
    return f"{(template.get('metadata') or {}).get('name', '')}-{sts['metadata']['name']}-{ordinal}"


def is_member_of(sts: Obj, pod: Obj) -> bool:
    """Whether the pod's name says it belongs to ``sts`` (``<set>-<ordinal>``)."""
    parent, ordinal = parent_and_ordinal((pod.get("metadata") or {}).get("name", ""))
    return ordinal >= 0 and parent == sts["metadata"]["name"]


# -- identity and storage -----------------------------------------------------------------------------------------

def identity_labels(sts: Obj, ordinal: int) -> dict[str, str]:
    return {POD_NAME_LABEL: pod_name(sts, ordinal), POD_INDEX_LABEL: str(ordinal)}


def identity_matches(sts: Obj, pod: Obj) -> bool:
    meta = pod.get("metadata") or {}
    parent, ordinal = parent_and_ordinal(meta.get("name", ""))
    labels = meta.get("labels") or {}
    return (ordinal >= 0 and parent == sts["metadata"]["name"]
            and meta.get("namespace") == sts["metadata"].get("namespace")
            and labels.get(POD_NAME_LABEL) == meta.get("name")
            and labels.get(POD_INDEX_LABEL) == str(ordinal))


def _claim_templates(sts: Obj) -> list[Obj]:
    return list((sts.get("spec") or {}).get("volumeClaimTemplates") or [])


def storage_matches(sts: Obj, pod: Obj) -> bool:
    """Every claim template is mounted as a volume of the same name naming this ordinal's claim."""
    ordinal = get_ordinal(pod)
    if ordinal < 0:
        return False
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for t in _claim_templates(sts):
        v = volumes.get((t.get("metadata") or {}).get("name"))
        if v is None or (v.get("persistentVolumeClaim") or {}).get("claimName") != claim_name(sts, t, ordinal):
            return False
    return True


def claims_for(sts: Obj, ordinal: int) -> dict[str, Obj]:
    """template name -> the PersistentVolumeClaim body for ``ordinal`` (labels: the template's plus the
    selector's matchLabels)."""
    out: dict[str, Obj] = {}
    match_labels = ((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    for t in _claim_templates(sts):
        tmeta = t.get("metadata") or {}
        meta: Obj = {"name": claim_name(sts, t, ordinal), "namespace": sts["metadata"].get("namespace", ""),
                     "labels": {**(tmeta.get("labels") or {}), **match_labels}}
        if tmeta.get("annotations"):
            meta["annotations"] = dict(tmeta["annotations"])
        if tmeta.get("finalizers"):
            meta["finalizers"] = list(tmeta["finalizers"])
        out[tmeta.get("name", "")] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                                      "spec": copy.deepcopy(t.get("spec") or {})}
    return out


def _update_storage(sts: Obj, pod: Obj, ordinal: int) -> None:
    claims = claims_for(sts, ordinal)
    volumes = [{"name": name, "persistentVolumeClaim": {"claimName": c["metadata"]["name"]}}
               for name, c in claims.items()]
    volumes += [v for v in pod["spec"].get("volumes") or [] if v.get("name") not in claims]
    if volumes:
        pod["spec"]["volumes"] = volumes


def new_pod(sts: Obj, ordinal: int) -> Obj:
    """The pod for ``ordinal`` from ``sts``'s current ``spec.template``: name, identity labels, hostname,
    subdomain and claim volumes."""
    name = pod_name(sts, ordinal)
    pod = pod_from_template((sts.get("spec") or {}).get("template") or {}, sts, name=name,
                            ref=controller_ref(sts, "apps/v1", "StatefulSet"))
    pod["metadata"].setdefault("labels", {}).update(identity_labels(sts, ordinal))
    pod["spec"]["hostname"] = name
    service = (sts.get("spec") or {}).get("serviceName")
    if service:
        pod["spec"]["subdomain"] = service
    _update_storage(sts, pod, ordinal)
    return pod


def apply_revision(sts: Obj, revision: Obj) -> Obj:
    """``sts`` with its pod template restored from ``revision`` (upstream's ApplyRevision: the revision's patch
    replaces ``spec.template`` whole).  A revision without a template leaves ``sts`` as is.  Returns a copy."""
    out = copy.deepcopy(sts)
    template = template_from_revision(revision)
    if template is not None:
        out.setdefault("spec", {})["template"] = template
    return out


def new_versioned_pod(current_set: Obj, update_set: Obj, current_revision: str, update_revision: str,
                      ordinal: int) -> Obj:
    """A new pod for ``ordinal`` at the right revision: below the partition (RollingUpdate) it keeps the current
    revision, otherwise it gets the update revision (OnDelete always re-creates at the update revision)."""
    spec = current_set.get("spec") or {}
    strategy = spec.get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    start = start_ordinal(current_set)
    # Mirrors upstream's condition, operator precedence included.
    keep_current = ((strategy.get("type", "RollingUpdate") == "RollingUpdate" and rolling is None
                     and ordinal < start + int((current_set.get("status") or {}).get("currentReplicas") or 0))
                    or (rolling is not None and ordinal < start + int(rolling.get("partition") or 0)))
    pod = new_pod(current_set if keep_current else update_set, ordinal)
    pod["metadata"]["labels"][REVISION_LABEL] = current_revision if keep_current else update_revision
    return pod


def pod_revision(pod: Obj) -> str:
    return ((pod.get("metadata") or {}).get("labels") or {}).get(REVISION_LABEL, "")


# -- pod states ---------------------------------------------------------------------------------------------------

def _phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_created(pod: Obj) -> bool:
    """Known to the API server (a pod body not yet created has no phase)."""
    return bool(_phase(pod))


def is_pending(pod: Obj) -> bool:
    return _phase(pod) == "Pending"


def is_failed_or_succeeded(pod: Obj) -> bool:
    return _phase(pod) in ("Failed", "Succeeded")


def is_terminating(pod: Obj) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_running_and_ready(pod: Obj) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def is_unavailable(pod: Obj, min_ready_seconds: int, now: float | None = None) -> bool:
    """Terminating, or not Running+Ready for ``minReadySeconds``."""
    return (is_terminating(pod) or not is_running_and_ready(pod)
            or not is_pod_available(pod, min_ready_seconds, now))


def allows_burst(sts: Obj) -> bool:
    return (sts.get("spec") or {}).get("podManagementPolicy") == "Parallel"


# -- claim retention ----------------------------------------------------------------------------------------------

def retention_policy(sts: Obj) -> tuple[str, str]:
    """(whenDeleted, whenScaled), ``Retain`` for anything unset."""
    p = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    return p.get("whenDeleted") or RETAIN, p.get("whenScaled") or RETAIN


def _refs(obj: Obj) -> list[Obj]:
    return list((obj.get("metadata") or {}).get("ownerReferences") or [])


def _matches_ref(ref: Obj, obj: Obj, api_version: str, kind: str) -> bool:
    return (ref.get("apiVersion") == api_version and ref.get("kind") == kind
            and ref.get("name") == (obj.get("metadata") or {}).get("name"))


def _uid(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("uid") or ""


def has_owner_ref(target: Obj, owner: Obj) -> bool:
    uid = _uid(owner)
    return bool(uid) and any(r.get("uid") == uid for r in _refs(target))


def has_stale_owner_ref(target: Obj, obj: Obj, api_version: str, kind: str) -> bool:
    """A reference naming ``obj`` (kind and name) carries another uid: it was meant for an earlier object."""
    for r in _refs(target):
        if _matches_ref(r, obj, api_version, kind):
            return r.get("uid") != _uid(obj)
    return False


def has_unexpected_controller(claim: Obj, sts: Obj, pod: Obj) -> bool:
    """Under a Delete policy: some controller other than this set or pod manages the claim (or a reference to
    the set or pod has another uid)."""
    if retention_policy(sts) == (RETAIN, RETAIN):
        return False
    for r in _refs(claim):
        if _matches_ref(r, sts, "apps/v1", "StatefulSet"):
            if r.get("uid") != _uid(sts):
                return True
            continue
        if _matches_ref(r, pod, "v1", "Pod"):
            if r.get("uid") != _uid(pod):
                return True
            continue
        if r.get("controller"):
            return True
    return False


def _has_non_controller_owner(claim: Obj, sts: Obj, pod: Obj) -> bool:
    uids = {u for u in (_uid(sts), _uid(pod)) if u}
    return any(r.get("uid") in uids and not r.get("controller") for r in _refs(claim))


def is_claim_owner_up_to_date(claim: Obj, sts: Obj, pod: Obj) -> bool:
    """Whether ``claim``'s references already follow the retention policy for ``pod`` (claims in an unknown
    state -- stale references, another controller -- count as up to date so they are not touched)."""
    if has_stale_owner_ref(claim, sts, "apps/v1", "StatefulSet") or has_stale_owner_ref(claim, pod, "v1", "Pod"):
        return True
    if has_unexpected_controller(claim, sts, pod):
        return not (has_owner_ref(claim, sts) or has_owner_ref(claim, pod))
    if _has_non_controller_owner(claim, sts, pod):
        return False
    when_deleted, when_scaled = retention_policy(sts)
    set_ref, pod_ref = has_owner_ref(claim, sts), has_owner_ref(claim, pod)
    scaled_down = not in_ordinal_range(pod, sts)
    if when_scaled == DELETE and when_deleted == DELETE:
        return scaled_down != set_ref and scaled_down == pod_ref
    if when_scaled == DELETE:
        return not set_ref and scaled_down == pod_ref
    if when_deleted == DELETE:
        return set_ref and not pod_ref
    return not set_ref and not pod_ref


def claim_owner_refs(claim: Obj, sts: Obj, pod: Obj) -> list[Obj]:
    """``claim``'s ownerReferences rewritten for the retention policy: references to this set and pod are
    scrubbed, then the set (whenDeleted Delete, pod in range) and/or the pod (whenScaled Delete, pod condemned)
    are added as controllers.  With an unexpected controller only the scrubbing happens."""
    unexpected = has_unexpected_controller(claim, sts, pod)
    refs = [r for r in _refs(claim) if not (_matches_ref(r, sts, "apps/v1", "StatefulSet")
                                            or _matches_ref(r, pod, "v1", "Pod"))]
    if unexpected:
        return refs
    when_deleted, when_scaled = retention_policy(sts)
    scaled_down = not in_ordinal_range(pod, sts)

    def add(owner: Obj, api_version: str, kind: str) -> None:
        if _uid(owner) and not any(r.get("uid") == _uid(owner) for r in refs):
            refs.append(controller_ref(owner, api_version, kind))

    if when_scaled == DELETE and scaled_down:
        add(pod, "v1", "Pod")
    if when_deleted == DELETE and not (when_scaled == DELETE and scaled_down):
        add(sts, "apps/v1", "StatefulSet")
    return refs


# -- status -------------------------------------------------------------------------------------------------------

def replica_status(pods: Iterable[Obj], min_ready_seconds: int, current_revision: str, update_revision: str,
                   now: float | None = None) -> dict[str, int]:
    """replicas (created), readyReplicas, availableReplicas, currentReplicas and updatedReplicas (created, not
    terminating, labelled with that revision)."""
    out = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "currentReplicas": 0, "updatedReplicas": 0}
    for pod in pods:
        created = is_created(pod)
        if created:
            out["replicas"] += 1
        if is_running_and_ready(pod):
            out["readyReplicas"] += 1
            if is_pod_available(pod, min_ready_seconds, now):
                out["availableReplicas"] += 1
        if created and not is_terminating(pod):
            rev = pod_revision(pod)
            if rev == current_revision:
                out["currentReplicas"] += 1
            if rev == update_revision:
                out["updatedReplicas"] += 1
    return out


def complete_rolling_update(sts: Obj, status: Obj) -> None:
    """When every replica runs the update revision and is ready, the update revision becomes current.
    Mutates ``status``."""
    strategy = ((sts.get("spec") or {}).get("updateStrategy") or {}).get("type", "RollingUpdate")
    n = spec_replicas(sts)
    if (strategy == "RollingUpdate" and status.get("updatedReplicas") == n and status.get("readyReplicas") == n
            and status.get("replicas") == n):
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = status["updateRevision"]


_STATUS_FIELDS = ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas")


def status_differs(sts: Obj, status: Obj) -> bool:
    """Whether writing ``status`` would change anything that matters (upstream's inconsistentStatus, plus the
    collision count)."""
    old = sts.get("status") or {}
    if int(status.get("observedGeneration") or 0) > int(old.get("observedGeneration") or 0):
        return True
    if any(int(status.get(f) or 0) != int(old.get(f) or 0) for f in _STATUS_FIELDS):
        return True
    return any((status.get(f) or "") != (old.get(f) or "") for f in ("currentRevision", "updateRevision")) or \
        int(status.get("collisionCount") or 0) != int(old.get("collisionCount") or 0)


def max_unavailable(sts: Obj) -> int:
    """``rollingUpdate.maxUnavailable`` (default 1) scaled against replicas, rounded down, at least 1."""
    rolling = ((sts.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    return max(1, scaled_value(rolling.get("maxUnavailable"), spec_replicas(sts), round_up=False, default=1))


def split_pods(sts: Obj, pods: Iterable[Obj]) -> tuple[dict[int, Obj], list[Obj]]:
    """(ordinal -> pod for ordinals in range, condemned pods sorted by descending ordinal); pods without an
    ordinal are ignored."""
    replicas: dict[int, Obj] = {}
    condemned: list[Obj] = []
    for pod in pods:
        o = get_ordinal(pod)
        if o < 0:
            continue
        if in_ordinal_range(pod, sts):
            replicas[o] = pod
        else:
            condemned.append(pod)
    condemned.sort(key=get_ordinal, reverse=True)
    return replicas, condemned
