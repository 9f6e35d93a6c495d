"""The arithmetic of Deployments: pure functions over Deployment and ReplicaSet dicts (upstream's deployment/util).

A Deployment owns ReplicaSets, one per pod template it has had.  The *new* ReplicaSet is the oldest one whose
template equals the Deployment's (ignoring the ``pod-template-hash`` label); every other one is *old*.  Each
ReplicaSet carries a revision (``deployment.kubernetes.io/revision``); when an old ReplicaSet becomes new again
(a rollback) its revision moves past every other and the revisions it had are kept in
``deployment.kubernetes.io/revision-history``.  ``desired-replicas`` and ``max-replicas`` annotations record the
Deployment's size (and size plus surge) when a ReplicaSet was last scaled, so a later resize can be spread over
the ReplicaSets of an unfinished rollout in proportion.

A rolling update keeps the total pod count at most ``replicas + maxSurge`` and the available count at least
``replicas - maxUnavailable``: ``resolve_fenceposts`` turns the int-or-percent values into numbers (surge rounded
up, unavailability rounded down, and never both zero).

Status arithmetic (``calculate_status``), the Progressing/Available conditions and the progress deadline checks
live here too.  Nothing here does I/O; functions that change an object say so and return whether they did.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import orjson

__all__ = [
    "REVISION_ANNOTATION", "REVISION_HISTORY_ANNOTATION", "DESIRED_REPLICAS_ANNOTATION", "MAX_REPLICAS_ANNOTATION",
    "ROLLBACK_TO_ANNOTATION", "CHANGE_CAUSE_ANNOTATION", "LAST_APPLIED_ANNOTATION", "POD_TEMPLATE_HASH_LABEL",
    "MAX_REV_HISTORY_LENGTH_IN_CHARS", "scaled_value", "resolve_fenceposts", "max_surge", "max_unavailable",
    "is_rolling_update", "fnv32a", "safe_encode_string", "compute_hash", "equal_ignore_hash", "revision",
    "max_revision", "last_revision", "set_replicas_annotations", "set_new_replica_set_annotations",
    "set_deployment_revision", "set_deployment_annotations_to", "new_condition", "get_condition", "set_condition",
    "remove_condition", "find_new_replica_set", "find_old_replica_sets", "find_active_or_latest", "filter_active",
    "is_saturated", "get_proportion", "new_rs_new_replicas", "deployment_complete", "deployment_progressing",
    "deployment_timed_out", "has_progress_deadline", "calculate_status", "spec_replicas", "by_creation",
    "by_revision", "old_pods_running", "format_time", "parse_time", "statuses_equal", "rollback_to",
    "namespace_terminating", "settled_available_count", "pod_count_upper_bound", "replica_count",
    "available_replica_count", "actual_replica_count", "desired_replicas_annotation", "max_replicas_annotation",
    "replicas_annotations_need_update", "rs_to_deployment_condition", "clone",
]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO_ANNOTATION = "deprecated.deployment.rollback.to"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000
MAX_INT32 = 2**31 - 1

# Condition types and reasons (the words `kubectl describe` and `rollout status` read).
PROGRESSING, AVAILABLE, REPLICA_FAILURE = "Progressing", "Available", "ReplicaFailure"
NEW_RS_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
RS_UPDATED_REASON = "ReplicaSetUpdated"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
PAUSED_REASON = "DeploymentPaused"
RESUMED_REASON = "DeploymentResumed"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
MIN_AVAILABLE_REASON = "MinimumReplicasAvailable"
MIN_UNAVAILABLE_REASON = "MinimumReplicasUnavailable"

# Annotations of a Deployment that are never copied to its ReplicaSets (nor back on rollback).
_SKIPPED_ANNOTATIONS = frozenset({LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION,
                                  DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, ROLLBACK_TO_ANNOTATION})

# upstream's rand.SafeEncodeString alphabet: no vowels, no 0/1/3 (nothing that spells words or looks alike)
_SAFE_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"

Obj = dict[str, Any]


# -- time ------------------------------------------------------------------------------------------------------

def format_time(ts: float) -> str:
    """RFC 3339 with second precision in UTC, as metav1.Time is written."""
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> float | None:
    """Seconds since the epoch of an RFC 3339 time (fractions kept), or None when absent or malformed."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# -- maxSurge / maxUnavailable ---------------------------------------------------------------------------------

def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """An IntOrString resolved against ``total``: ints as they are, ``"25%"`` as a share of ``total`` rounded up or
    down.  ``None`` is 0.  Raises ValueError for a string that is not an integer percentage (upstream's words)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError("invalid value for IntOrString: invalid type: neither int nor percentage")
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise ValueError("invalid value for IntOrString: invalid type: neither int nor percentage")
    if not value.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    try:
        pct = int(value[:-1])
    except ValueError:
        raise ValueError(f'invalid value for IntOrString: invalid value "{value}": '
                         f'strconv.Atoi: parsing "{value[:-1]}": invalid syntax') from None
    product = pct * total
    # exact integer arithmetic for ceil/floor(pct * total / 100)
    return -(-product // 100) if round_up else product // 100


def resolve_fenceposts(surge: int | str | None, unavailable: int | str | None, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as pod counts for ``desired`` replicas: surge rounds up, unavailability rounds
    down, and when both come out 0 unavailability becomes 1 (so a rollout can always move).  Raises ValueError
    for malformed values."""
    s = scaled_value(surge, desired, True)
    u = scaled_value(unavailable, desired, False)
    if s == 0 and u == 0:
        u = 1
    return s, u


def spec_replicas(obj: Obj | None) -> int:
    """``spec.replicas`` (1 when unset, the API default); 0 for None."""
    if obj is None:
        return 0
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def is_rolling_update(d: Obj) -> bool:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def _rolling_params(d: Obj) -> tuple[Any, Any]:
    ru = ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    return ru.get("maxSurge"), ru.get("maxUnavailable")


def max_surge(d: Obj) -> int:
    """The resolved maxSurge of a rolling Deployment (0 for Recreate or malformed values)."""
    if not is_rolling_update(d):
        return 0
    try:
        return resolve_fenceposts(*_rolling_params(d), spec_replicas(d))[0]
    except ValueError:
        return 0


def max_unavailable(d: Obj) -> int:
    """The resolved maxUnavailable of a rolling Deployment, at most its replicas (0 for Recreate, zero replicas
    or malformed values)."""
    replicas = spec_replicas(d)
    if not is_rolling_update(d) or replicas == 0:
        return 0
    try:
        u = resolve_fenceposts(*_rolling_params(d), replicas)[1]
    except ValueError:
        return 0
    return min(u, replicas)


# -- pod-template-hash -----------------------------------------------------------------------------------------

def fnv32a(data: bytes, h: int = 0x811C9DC5) -> int:
    """32-bit FNV-1a of ``data`` (continuing from ``h``)."""
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    """Map each character to upstream's vowel-free alphabet (rand.SafeEncodeString)."""
    return "".join(_SAFE_ALPHANUMS[ord(c) % len(_SAFE_ALPHANUMS)] for c in s)


def compute_hash(template: Obj, collision_count: int | None = None) -> str:
    """The ``pod-template-hash`` of a PodTemplateSpec: FNV-1a over its canonical JSON (sorted keys), then the
    collision count as 8 little-endian bytes when set, rendered in decimal through safe_encode_string.  Stable
    across processes and restarts."""
    h = fnv32a(orjson.dumps(template, option=orjson.OPT_SORT_KEYS))
    if collision_count is not None:
        h = fnv32a((int(collision_count) & 0xFFFFFFFF).to_bytes(8, "little"), h)
    return safe_encode_string(str(h))


def _semantic(value: Any) -> Any:
    """A normal form for comparing templates: nulls, empty lists and empty maps are dropped (Go's semantic
    equality treats nil and empty alike, and omitempty hides them)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _semantic(v)
            if v is None or v == {} or v == []:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def _without_hash(template: Obj | None) -> Obj:
    t = _semantic(template or {})  # a fresh structure: safe to edit
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(POD_TEMPLATE_HASH_LABEL, None)
        if not labels:
            del t["metadata"]["labels"]
            if not t["metadata"]:
                del t["metadata"]
    return t


def equal_ignore_hash(t1: Obj | None, t2: Obj | None) -> bool:
    """Whether two PodTemplateSpecs are semantically equal apart from the ``pod-template-hash`` label."""
    return _without_hash(t1) == _without_hash(t2)


def clone(obj: Any) -> Any:
    """A deep copy of a JSON value (much faster than copy.deepcopy for API objects)."""
    return orjson.loads(orjson.dumps(obj))


# -- revisions and annotations ---------------------------------------------------------------------------------

def _annotations(obj: Obj) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def _mutable_annotations(obj: Obj) -> dict[str, str]:
    md = obj.setdefault("metadata", {})
    if md.get("annotations") is None:
        md["annotations"] = {}
    return md["annotations"]


def revision(obj: Obj) -> int:
    """The revision annotation as an int (0 when absent); raises ValueError when it is not a number."""
    value = _annotations(obj).get(REVISION_ANNOTATION)
    return 0 if value in (None, "") else int(value)


def max_revision(rss: list[Obj]) -> int:
    """The highest parseable revision among ``rss`` (0 if none)."""
    best = 0
    for rs in rss:
        try:
            best = max(best, revision(rs))
        except ValueError:
            continue
    return best


def last_revision(rss: list[Obj]) -> int:
    """The second highest revision among ``rss`` (the one a plain rollback returns to), 0 if none."""
    top = second = 0
    for rs in rss:
        try:
            v = revision(rs)
        except ValueError:
            continue
        if v >= top:
            top, second = v, top
        elif v > second:
            second = v
    return second


def _replicas_annotation(rs: Obj, name: str) -> int | None:
    value = _annotations(rs).get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def desired_replicas_annotation(rs: Obj) -> int | None:
    return _replicas_annotation(rs, DESIRED_REPLICAS_ANNOTATION)


def max_replicas_annotation(rs: Obj) -> int | None:
    return _replicas_annotation(rs, MAX_REPLICAS_ANNOTATION)


def set_replicas_annotations(rs: Obj, desired: int, max_replicas: int) -> bool:
    """Write the desired-replicas and max-replicas annotations of ``rs`` (mutates); True when either changed."""
    ann = _mutable_annotations(rs)
    changed = False
    for name, value in ((DESIRED_REPLICAS_ANNOTATION, str(desired)), (MAX_REPLICAS_ANNOTATION, str(max_replicas))):
        if ann.get(name) != value:
            ann[name] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = _annotations(rs)
    return ann.get(DESIRED_REPLICAS_ANNOTATION) != str(desired) or ann.get(MAX_REPLICAS_ANNOTATION) != str(max_replicas)


def _copy_deployment_annotations(d: Obj, rs: Obj) -> bool:
    """Copy the Deployment's annotations (all but the skipped ones) onto ``rs`` (mutates); True when any changed.
    Annotations the Deployment no longer has are left on the ReplicaSet, as upstream does."""
    changed = False
    for k, v in _annotations(d).items():
        if k in _SKIPPED_ANNOTATIONS:
            continue
        ann = _mutable_annotations(rs)
        if ann.get(k) == v:
            continue
        ann[k] = v
        changed = True
    return changed


def set_new_replica_set_annotations(d: Obj, rs: Obj, new_revision: str, exists: bool,
                                    history_limit: int = MAX_REV_HISTORY_LENGTH_IN_CHARS) -> bool:
    """Bring the new ReplicaSet's annotations up to date (mutates ``rs``); True when anything changed.

    Copies the Deployment's annotations, raises the revision to ``new_revision`` when it is higher (keeping the
    ReplicaSet's earlier revisions in revision-history, within ``history_limit`` characters: oldest dropped
    first), and for a ReplicaSet about to be created (``exists`` False) sets the replicas annotations.
    """
    changed = _copy_deployment_annotations(d, rs)
    ann = _mutable_annotations(rs)
    had_revision = REVISION_ANNOTATION in ann
    old_revision = ann.get(REVISION_ANNOTATION, "")
    try:
        old_int = int(old_revision) if old_revision != "" else 0
    except ValueError:
        return changed
    try:
        new_int = int(new_revision)
    except ValueError:
        return changed
    if old_int < new_int:
        ann[REVISION_ANNOTATION] = new_revision
        changed = True
        if had_revision:
            history = ann.get(REVISION_HISTORY_ANNOTATION, "")
            old_list = history.split(",")
            if not old_list[0]:
                ann[REVISION_HISTORY_ANNOTATION] = old_revision
            else:
                total = len(history) + len(old_revision) + 1
                start = 0
                while total > history_limit and start < len(old_list):
                    total -= len(old_list[start]) + 1
                    start += 1
                if total <= history_limit:
                    ann[REVISION_HISTORY_ANNOTATION] = ",".join(old_list[start:] + [old_revision])
    if not exists and set_replicas_annotations(rs, spec_replicas(d), spec_replicas(d) + max_surge(d)):
        changed = True
    return changed


def set_deployment_revision(d: Obj, rev: str) -> bool:
    """Set the Deployment's revision annotation (mutates); True when it changed."""
    ann = _mutable_annotations(d)
    if ann.get(REVISION_ANNOTATION) == rev:
        return False
    ann[REVISION_ANNOTATION] = rev
    return True


def set_deployment_annotations_to(d: Obj, rs: Obj) -> None:
    """Replace the Deployment's copyable annotations with those of ``rs`` (used by a rollback; mutates ``d``)."""
    kept = {k: v for k, v in _annotations(d).items() if k in _SKIPPED_ANNOTATIONS}
    for k, v in _annotations(rs).items():
        if k not in _SKIPPED_ANNOTATIONS:
            kept[k] = v
    d.setdefault("metadata", {})["annotations"] = kept


# -- conditions ------------------------------------------------------------------------------------------------

def new_condition(ctype: str, status: str, reason: str, message: str, now: float) -> Obj:
    t = format_time(now)
    return {"type": ctype, "status": status, "lastUpdateTime": t, "lastTransitionTime": t, "reason": reason,
            "message": message}


def get_condition(status: Obj | None, ctype: str) -> Obj | None:
    for c in (status or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def set_condition(status: Obj, cond: Obj) -> None:
    """Put ``cond`` into ``status.conditions`` (mutates): nothing happens when a condition of that type already
    has the same status and reason; a same-status change keeps the old lastTransitionTime."""
    current = get_condition(status, cond["type"])
    if current is not None and current.get("status") == cond["status"] and current.get("reason") == cond["reason"]:
        return
    cond = dict(cond)
    if current is not None and current.get("status") == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime")
    status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != cond["type"]] + [cond]


def remove_condition(status: Obj, ctype: str) -> None:
    conds = [c for c in status.get("conditions") or () if c.get("type") != ctype]
    if conds:
        status["conditions"] = conds
    else:
        status.pop("conditions", None)


def rs_to_deployment_condition(c: Obj) -> Obj:
    return {"type": c.get("type"), "status": c.get("status"), "lastUpdateTime": c.get("lastTransitionTime"),
            "lastTransitionTime": c.get("lastTransitionTime"), "reason": c.get("reason", ""),
            "message": c.get("message", "")}


# -- finding and sorting ReplicaSets ---------------------------------------------------------------------------

def by_creation(rs: Obj) -> tuple[float, str]:
    """Sort key: older first, name as the tie breaker."""
    md = rs.get("metadata") or {}
    return (parse_time(md.get("creationTimestamp")) or 0.0, md.get("name", ""))


def by_revision(rs: Obj) -> tuple[int, float, str]:
    """Sort key: lower revision first (unparseable counts as 0), then older first."""
    try:
        rev = revision(rs)
    except ValueError:
        rev = 0
    return (rev, *by_creation(rs))


def _uid(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("uid", "")


def find_new_replica_set(d: Obj, rss: list[Obj]) -> Obj | None:
    """The oldest ReplicaSet whose template equals the Deployment's (ignoring the hash label), or None."""
    want = _without_hash((d.get("spec") or {}).get("template"))
    for rs in sorted(rss, key=by_creation):
        if _without_hash((rs.get("spec") or {}).get("template")) == want:
            return rs
    return None


def find_old_replica_sets(d: Obj, rss: list[Obj]) -> tuple[list[Obj], list[Obj]]:
    """(old ReplicaSets with replicas, every old ReplicaSet)."""
    new = find_new_replica_set(d, rss)
    new_uid = _uid(new) if new is not None else None
    every = [rs for rs in rss if _uid(rs) != new_uid]
    return [rs for rs in every if spec_replicas(rs) != 0], every


def filter_active(rss: list[Obj | None]) -> list[Obj]:
    """The ReplicaSets with spec.replicas > 0."""
    return [rs for rs in rss if rs is not None and spec_replicas(rs) > 0]


def find_active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    """The only active ReplicaSet; when none is active the new one (or the newest old one); None when several
    are active."""
    if new_rs is None and not old_rss:
        return None
    olds = sorted(old_rss, key=by_creation, reverse=True)
    active = filter_active(olds + [new_rs])
    if not active:
        return new_rs if new_rs is not None else olds[0]
    if len(active) == 1:
        return active[0]
    return None


def _status_int(rs: Obj | None, name: str) -> int:
    return int(((rs or {}).get("status") or {}).get(name) or 0) if rs is not None else 0


def replica_count(rss: list[Obj | None]) -> int:
    return sum(spec_replicas(rs) for rs in rss if rs is not None)


def actual_replica_count(rss: list[Obj | None]) -> int:
    return sum(_status_int(rs, "replicas") for rs in rss if rs is not None)


def ready_replica_count(rss: list[Obj | None]) -> int:
    return sum(_status_int(rs, "readyReplicas") for rs in rss if rs is not None)


def available_replica_count(rss: list[Obj | None]) -> int:
    return sum(_status_int(rs, "availableReplicas") for rs in rss if rs is not None)


def settled_available_count(rss: list[Obj | None]) -> int:
    """Available pods that will remain once each ReplicaSet reaches its spec: min(available, replicas) each.
    (A ReplicaSet just scaled down still reports the pods it is deleting as available.)"""
    return sum(min(_status_int(rs, "availableReplicas"), spec_replicas(rs)) for rs in rss if rs is not None)


def pod_count_upper_bound(rss: list[Obj | None]) -> int:
    """Pods that may exist: max(spec.replicas, status.replicas) each (pods of a ReplicaSet just scaled down
    exist until its controller has deleted them)."""
    return sum(max(spec_replicas(rs), _status_int(rs, "replicas")) for rs in rss if rs is not None)


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    """Whether ``rs`` runs the Deployment's full size, all available, with matching desired annotation."""
    if rs is None:
        return False
    want = spec_replicas(d)
    return (desired_replicas_annotation(rs) == want and spec_replicas(rs) == want
            and _status_int(rs, "availableReplicas") == want)


# -- proportional scaling --------------------------------------------------------------------------------------

def _round_half_away(x: float) -> int:
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def rs_fraction(rs: Obj, d: Obj) -> int:
    """How many replicas ``rs`` should gain (or lose, negative) for the Deployment's new size, in proportion to
    its share of the size recorded in its max-replicas annotation (else the Deployment's status.replicas)."""
    if spec_replicas(d) == 0:
        return -spec_replicas(rs)
    deployment_replicas = spec_replicas(d) + max_surge(d)
    annotated = max_replicas_annotation(rs)
    if annotated is None:
        annotated = int((d.get("status") or {}).get("replicas") or 0)
    if annotated == 0:
        return 0
    return _round_half_away(spec_replicas(rs) * deployment_replicas / annotated) - spec_replicas(rs)


def get_proportion(rs: Obj | None, d: Obj, to_add: int, added: int) -> int:
    """The share of ``to_add`` (of which ``added`` is already given out) that ``rs`` receives."""
    if rs is None or spec_replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = rs_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def new_rs_new_replicas(d: Obj, all_rss: list[Obj | None], new_rs: Obj) -> int:
    """The size the new ReplicaSet may grow to now: for RollingUpdate as far as the surge allows, never past the
    Deployment's replicas; for Recreate the full size.

    Pods are counted as max(spec, status.replicas) per ReplicaSet, so pods an old ReplicaSet is still deleting
    keep new ones from being created (upstream counts specs only; this keeps maxSurge true for observed pods).
    """
    if not is_rolling_update(d):
        return spec_replicas(d)
    replicas = spec_replicas(d)
    try:
        surge = scaled_value(_rolling_params(d)[0], replicas, True)
    except ValueError:
        surge = 0
    current = pod_count_upper_bound([rs for rs in all_rss if rs is not None and _uid(rs) != _uid(new_rs)])
    current += spec_replicas(new_rs)
    max_total = replicas + surge
    if current >= max_total:
        return spec_replicas(new_rs)
    scale_up = min(max_total - current, replicas - spec_replicas(new_rs))
    return spec_replicas(new_rs) + scale_up


# -- progress and status ---------------------------------------------------------------------------------------

def has_progress_deadline(d: Obj) -> bool:
    pds = (d.get("spec") or {}).get("progressDeadlineSeconds")
    return pds is not None and pds != MAX_INT32


def deployment_complete(d: Obj, status: Obj) -> bool:
    """Every replica updated and available, nothing old left, and the latest generation observed."""
    want = spec_replicas(d)
    return (int(status.get("updatedReplicas") or 0) == want and int(status.get("replicas") or 0) == want
            and int(status.get("availableReplicas") or 0) == want
            and int(status.get("observedGeneration") or 0) >= int((d.get("metadata") or {}).get("generation") or 0))


def deployment_progressing(d: Obj, new_status: Obj) -> bool:
    """Whether ``new_status`` shows progress over the Deployment's recorded status: more updated, fewer old,
    more ready or more available replicas."""
    old = d.get("status") or {}

    def g(s: Obj, k: str) -> int:
        return int(s.get(k) or 0)

    old_old = g(old, "replicas") - g(old, "updatedReplicas")
    new_old = g(new_status, "replicas") - g(new_status, "updatedReplicas")
    return (g(new_status, "updatedReplicas") > g(old, "updatedReplicas") or new_old < old_old
            or g(new_status, "readyReplicas") > g(old, "readyReplicas")
            or g(new_status, "availableReplicas") > g(old, "availableReplicas"))


def deployment_timed_out(d: Obj, new_status: Obj, now: float) -> bool:
    """Whether the Progressing condition was last updated more than progressDeadlineSeconds ago (never after a
    completed rollout; always once the deadline was reported exceeded)."""
    if not has_progress_deadline(d):
        return False
    cond = get_condition(new_status, PROGRESSING)
    if cond is None:
        return False
    if cond.get("reason") == NEW_RS_AVAILABLE_REASON:
        return False
    if cond.get("reason") == TIMED_OUT_REASON:
        return True
    since = parse_time(cond.get("lastUpdateTime"))
    if since is None:
        return False
    return since + int(d["spec"]["progressDeadlineSeconds"]) < now


def _compact(status: Obj) -> Obj:
    """Drop zero counters and empty fields, as Go's omitempty does on the wire."""
    return {k: v for k, v in status.items() if v not in (0, None, [], {})}


def calculate_status(all_rss: list[Obj | None], new_rs: Obj | None, d: Obj, now: float) -> Obj:
    """The Deployment status the ReplicaSets imply: counts summed from their statuses, conditions carried over
    and the Available condition set from the availability floor (replicas - maxUnavailable)."""
    available = available_replica_count(all_rss)
    total = replica_count(all_rss)
    old = d.get("status") or {}
    status: Obj = {
        "observedGeneration": int((d.get("metadata") or {}).get("generation") or 0),
        "replicas": actual_replica_count(all_rss),
        "updatedReplicas": actual_replica_count([new_rs]),
        "readyReplicas": ready_replica_count(all_rss),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total - available),
        "collisionCount": old.get("collisionCount"),
        "conditions": [dict(c) for c in old.get("conditions") or ()],
    }
    if available >= spec_replicas(d) - max_unavailable(d):
        set_condition(status, new_condition(AVAILABLE, "True", MIN_AVAILABLE_REASON,
                                            "Deployment has minimum availability.", now))
    else:
        set_condition(status, new_condition(AVAILABLE, "False", MIN_UNAVAILABLE_REASON,
                                            "Deployment does not have minimum availability.", now))
    return _compact(status)


def statuses_equal(a: Obj | None, b: Obj | None) -> bool:
    """Equality of two statuses as Go compares the structs (absent == zero)."""
    return _compact(dict(a or {})) == _compact(dict(b or {}))


def old_pods_running(new_rs: Obj | None, old_rss: list[Obj], pod_map: dict[str, list[Obj]]) -> bool:
    """Whether any pod of an old ReplicaSet may still run (Recreate waits for none): an old ReplicaSet reports
    pods, or a pod of an old ReplicaSet is not Succeeded/Failed."""
    if actual_replica_count(old_rss) > 0:
        return True
    new_uid = _uid(new_rs) if new_rs is not None else None
    for rs_uid, pods in pod_map.items():
        if rs_uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                return True
    return False


def rollback_to(d: Obj) -> int | None:
    """The revision the deprecated rollback annotation asks for, or None (absent or not a number)."""
    value = _annotations(d).get(ROLLBACK_TO_ANNOTATION)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def namespace_terminating(e: Exception) -> bool:
    """Whether an API error says the namespace is being deleted (every create there will fail)."""
    details = getattr(e, "details", None) or {}
    return any(c.get("reason") == "NamespaceTerminating" or c.get("type") == "NamespaceTerminating"
               for c in details.get("causes") or ())
