"""What the Job, CronJob and TTL-after-finished controllers share: Job conditions, wall-clock times, pod finish times.

A Job is *finished* when it holds a ``Complete`` or ``Failed`` condition with status ``True``; it *succeeded* when
that condition is ``Complete``.  Since 1.31 the job controller first writes the interim conditions
``SuccessCriteriaMet`` / ``FailureTarget`` and only adds the terminal one once every pod is gone, so a Job with
only an interim condition is not finished yet.

Times on the wire are RFC 3339 with second precision (``2024-01-01T10:00:00Z``); in code they are float seconds
since the epoch.  A pod's *finish time* is when its last container terminated, else when its Ready condition went
False, else its deletion time minus the grace period, else its creation time (upstream's ``getFinishedTime``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = [
    "JOB_TRACKING_FINALIZER", "COND_COMPLETE", "COND_FAILED", "COND_FAILURE_TARGET", "COND_SUCCESS_CRITERIA_MET",
    "COND_SUSPENDED", "parse_time", "format_time", "find_condition", "new_condition", "ensure_condition",
    "is_job_finished", "is_job_succeeded", "finished_condition_type", "has_tracking_finalizer", "pod_finish_time",
    "pod_phase", "is_indexed", "has_backoff_limit_per_index", "is_suspended", "only_replace_failed_pods",
    "is_pod_failed", "is_pod_terminating", "managed_by_other", "completions_of", "JOB_CONTROLLER_NAME", "clean_status",
    "move_uncounted_without_finalizers",
]

JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"

COND_COMPLETE = "Complete"
COND_FAILED = "Failed"
COND_FAILURE_TARGET = "FailureTarget"
COND_SUCCESS_CRITERIA_MET = "SuccessCriteriaMet"
COND_SUSPENDED = "Suspended"

JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"


# -- time ------------------------------------------------------------------------------------------------------------

def parse_time(value: Any) -> float | None:
    """RFC 3339 text (``Z`` or an offset, optional fraction) -> epoch seconds; None for empty or bad input."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def format_time(ts: float) -> str:
    """Epoch seconds -> ``YYYY-MM-DDTHH:MM:SSZ`` (metav1.Time's wire form, fraction dropped)."""
    return datetime.fromtimestamp(int(ts // 1), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- conditions ------------------------------------------------------------------------------------------------------

def _conditions(job: dict[str, Any]) -> list[dict[str, Any]]:
    return (job.get("status") or {}).get("conditions") or []


def find_condition(conditions: list[dict[str, Any]] | None, ctype: str) -> dict[str, Any] | None:
    for c in conditions or ():
        if c.get("type") == ctype:
            return c
    return None


def new_condition(ctype: str, status: str, reason: str, message: str, now: float) -> dict[str, Any]:
    """A JobCondition as upstream writes it: probe and transition time both ``now``; empty strings omitted."""
    c: dict[str, Any] = {"type": ctype, "status": status, "lastProbeTime": format_time(now),
                         "lastTransitionTime": format_time(now)}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def ensure_condition(conditions: list[dict[str, Any]], ctype: str, status: str, reason: str, message: str,
                     now: float) -> bool:
    """Set condition ``ctype`` in ``conditions`` (mutated in place); returns whether the list changed.

    An existing condition is replaced only when status, reason or message differ; a missing one is appended
    unless its status would be ``False`` (going from nothing to False says nothing)."""
    for i, c in enumerate(conditions):
        if c.get("type") == ctype:
            if c.get("status") != status or c.get("reason", "") != reason or c.get("message", "") != message:
                conditions[i] = new_condition(ctype, status, reason, message, now)
                return True
            return False
    if status != "False":
        conditions.append(new_condition(ctype, status, reason, message, now))
        return True
    return False


def finished_condition_type(job: dict[str, Any]) -> str | None:
    """``Complete`` or ``Failed`` when the Job holds that condition as True, else None."""
    for c in _conditions(job):
        if c.get("type") in (COND_COMPLETE, COND_FAILED) and c.get("status") == "True":
            return c["type"]
    return None


def is_job_finished(job: dict[str, Any]) -> bool:
    return finished_condition_type(job) is not None


def is_job_succeeded(job: dict[str, Any]) -> bool:
    return finished_condition_type(job) == COND_COMPLETE


# -- pods ------------------------------------------------------------------------------------------------------------

def pod_phase(pod: dict[str, Any]) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def has_tracking_finalizer(pod: dict[str, Any]) -> bool:
    return JOB_TRACKING_FINALIZER in ((pod.get("metadata") or {}).get("finalizers") or ())


def pod_finish_time(pod: dict[str, Any]) -> float:
    """When ``pod`` finished (see the module docstring); 0.0 when nothing at all is known."""
    status = pod.get("status") or {}
    latest: float | None = None
    statuses = status.get("containerStatuses") or []
    for cs in statuses:
        finished = parse_time(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        if finished is None:
            latest = None
            break
        latest = finished if latest is None else max(latest, finished)
    if statuses and latest is not None:
        return latest
    for c in status.get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "False":
            t = parse_time(c.get("lastTransitionTime"))
            if t is not None:
                return t
    meta = pod.get("metadata") or {}
    deleted = parse_time(meta.get("deletionTimestamp"))
    if deleted is not None:
        return deleted - float(meta.get("deletionGracePeriodSeconds") or 0)
    return parse_time(meta.get("creationTimestamp")) or 0.0


# -- job spec predicates ---------------------------------------------------------------------------------------------

def _spec(job: dict[str, Any]) -> dict[str, Any]:
    return job.get("spec") or {}


def is_indexed(job: dict[str, Any]) -> bool:
    return _spec(job).get("completionMode") == "Indexed"


def completions_of(job: dict[str, Any]) -> int:
    """``spec.completions`` (0 when unset)."""
    return int(_spec(job).get("completions") or 0)


def has_backoff_limit_per_index(job: dict[str, Any]) -> bool:
    return _spec(job).get("backoffLimitPerIndex") is not None


def is_suspended(job: dict[str, Any]) -> bool:
    return bool(_spec(job).get("suspend"))


def managed_by_other(job: dict[str, Any]) -> bool:
    """``spec.managedBy`` names another controller: this one must leave the Job alone."""
    managed_by = _spec(job).get("managedBy")
    return managed_by is not None and managed_by != JOB_CONTROLLER_NAME


def only_replace_failed_pods(job: dict[str, Any]) -> bool:
    """Replacements wait for terminating pods to reach a terminal phase (podReplacementPolicy Failed, implied by
    a pod failure policy)."""
    spec = _spec(job)
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def is_pod_failed(pod: dict[str, Any], job: dict[str, Any]) -> bool:
    """Phase Failed, or (unless only failed pods are replaced) deleted before it succeeded: an orphan deleted
    by the pod GC never reaches a terminal phase."""
    phase = pod_phase(pod)
    if phase == "Failed":
        return True
    if only_replace_failed_pods(job):
        return False
    return bool((pod.get("metadata") or {}).get("deletionTimestamp")) and phase != "Succeeded"


def is_pod_terminating(pod: dict[str, Any]) -> bool:
    """Being deleted but not yet in a terminal phase."""
    return bool((pod.get("metadata") or {}).get("deletionTimestamp")) and \
        pod_phase(pod) not in ("Succeeded", "Failed")


# -- status --------------------------------------------------------------------------------------------------------

def clean_status(status: dict[str, Any]) -> dict[str, Any]:
    """Drop what Go's ``omitempty`` leaves out of a JobStatus (zero counters, empty strings and lists).
    Mutates and returns ``status``."""
    for k in ("active", "succeeded", "failed"):
        if not status.get(k):
            status.pop(k, None)
    if not status.get("completedIndexes"):
        status.pop("completedIndexes", None)
    if not status.get("conditions"):
        status.pop("conditions", None)
    uncounted = status.get("uncountedTerminatedPods")
    if isinstance(uncounted, dict):
        for k in ("succeeded", "failed"):
            if not uncounted.get(k):
                uncounted.pop(k, None)
    return status


def move_uncounted_without_finalizers(status: dict[str, Any], uids_with_finalizer: set[str]) -> bool:
    """Uncounted uids whose pod no longer holds the finalizer are added to the counters.  Mutates ``status``;
    returns whether anything changed."""
    uncounted = status.setdefault("uncountedTerminatedPods", {})
    changed = False
    for kind in ("succeeded", "failed"):
        uids = uncounted.get(kind) or []
        keep = [u for u in uids if u in uids_with_finalizer]
        if len(keep) != len(uids):
            status[kind] = status.get(kind, 0) + len(uids) - len(keep)
            uncounted[kind] = keep
            changed = True
    return changed
