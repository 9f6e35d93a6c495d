"""Which pods a Job counts, keeps, deletes or creates: pure decisions over a Job and its pods.

* *New* finished pods are those still holding the tracking finalizer that are not yet in the uncounted lists nor
  having their finalizer removed (and, for Indexed Jobs, carry a valid index): only they can change the counts.
* Pods to delete are chosen cheapest first (upstream's ActivePods order: unscheduled, pending, not ready, ready
  for less time, more restarts, newer); for Indexed Jobs every pod without a valid index and all but one pod of
  a duplicated index go first.
* Indexes to create are the lowest with no active pod, no success and no failure.
* With ``backoffLimitPerIndex`` an index fails once a counted failure reaches the limit (or a ``FailIndex`` rule
  matches); the last failed pod of an index keeps its finalizer until its replacement, which inherits its
  failure counts, exists, and the replacement waits out the per-index back-off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kybernetes.controllers.job_indexes import (Intervals, completion_index, index_failure_count,
                                                index_ignored_failure_count)
from kybernetes.controllers.job_policy import ACTION_FAIL_INDEX, match_pod_failure_policy, remaining_backoff
from kybernetes.controllers.job_util import (completions_of, has_tracking_finalizer, is_indexed, is_pod_failed,
                                             is_pod_terminating, only_replace_failed_pods, parse_time,
                                             pod_finish_time, pod_phase)
from kybernetes.controllers.podcontrol import is_pod_ready, pod_ready_since

__all__ = ["valid_index", "new_finished_pods", "deletion_order", "pods_for_removal", "first_pending_indexes",
           "failed_indexes", "pods_with_delayed_deletion", "indexes_ready_to_create", "inherited_failure_counts",
           "absolute_failures", "succeeded_indexes"]

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def _uid(obj: dict[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("uid", "")


def valid_index(job: dict[str, Any], pod: dict[str, Any]) -> int | None:
    """The pod's completion index when it is below ``completions``, else None."""
    ix = completion_index(pod)
    return ix if ix is not None and ix < completions_of(job) else None


def new_finished_pods(job: dict[str, Any], pods: Iterable[dict[str, Any]], skip_uids: set[str],
                      pred: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Pods holding the finalizer, whose uid is not in ``skip_uids``, with a valid index (Indexed Jobs), for
    which ``pred`` holds."""
    out = []
    indexed = is_indexed(job)
    for p in pods:
        if not has_tracking_finalizer(p) or _uid(p) in skip_uids:
            continue
        if indexed and valid_index(job, p) is None:
            continue
        if pred(p):
            out.append(p)
    return out


def succeeded_indexes(job: dict[str, Any], pods: Iterable[dict[str, Any]]) -> tuple[Intervals, Intervals]:
    """(indexes in ``status.completedIndexes``, those plus the not yet counted successes)."""
    prev = Intervals.parse((job.get("status") or {}).get("completedIndexes"), completions_of(job))
    new = [ix for p in pods if pod_phase(p) == "Succeeded" and has_tracking_finalizer(p)
           and (ix := valid_index(job, p)) is not None]
    return prev, prev.with_indexes(new)


def deletion_order(pod: dict[str, Any]) -> tuple:
    """Sort key putting the pods cheapest to lose first (see the module docstring)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready = is_pod_ready(pod)
    ready_since = parse_time(pod_ready_since(pod)) if ready else None
    restarts = sum(cs.get("restartCount", 0) for cs in status.get("containerStatuses") or ())
    created = parse_time((pod.get("metadata") or {}).get("creationTimestamp"))
    return (bool(spec.get("nodeName")), _PHASE_RANK.get(pod_phase(pod), 0), ready,
            -(ready_since or 0.0) if ready else 0.0, -restarts, -(created or float("inf")))


def pods_for_removal(job: dict[str, Any], active: list[dict[str, Any]], at_least: int) -> list[dict[str, Any]]:
    """Active pods to delete: bad and duplicated indexes first (Indexed Jobs), then the cheapest until
    ``at_least`` are chosen."""
    remove: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    if is_indexed(job):
        completions = completions_of(job)
        by_index: dict[int, list[dict[str, Any]]] = {}
        for p in active:
            ix = completion_index(p)
            if ix is None or ix >= completions:
                remove.append(p)
            else:
                by_index.setdefault(ix, []).append(p)
        for ix in sorted(by_index):
            group = sorted(by_index[ix], key=deletion_order)
            remove.extend(group[:-1])
            left.append(group[-1])
    else:
        left = list(active)
    if len(remove) < at_least:
        left.sort(key=deletion_order)
        remove.extend(left[:at_least - len(remove)])
    return remove


def first_pending_indexes(job: dict[str, Any], pods: list[dict[str, Any]], active: list[dict[str, Any]],
                          succeeded: Intervals, failed: Intervals | None, count: int) -> list[int]:
    """The ``count`` lowest indexes with no active pod, no success, no failure (and, when only failed pods are
    replaced, no terminating pod)."""
    busy = succeeded.with_indexes(ix for p in active if (ix := completion_index(p)) is not None)
    if only_replace_failed_pods(job):
        busy = busy.with_indexes(ix for p in pods if is_pod_terminating(p)
                                 and (ix := completion_index(p)) is not None)
    if failed is not None:
        busy = busy.merge(failed)
    out: list[int] = []
    ix, completions = 0, completions_of(job)
    while ix < completions and len(out) < count:
        if not busy.has(ix):
            out.append(ix)
        ix += 1
    return out


def failed_indexes(job: dict[str, Any], pods: Iterable[dict[str, Any]]) -> Intervals:
    """``status.failedIndexes`` plus the indexes whose new failure exhausts ``backoffLimitPerIndex`` or matches
    a FailIndex rule."""
    prev = Intervals.parse((job.get("status") or {}).get("failedIndexes"), completions_of(job))
    spec = job.get("spec") or {}
    policy = spec.get("podFailurePolicy")
    limit = spec.get("backoffLimitPerIndex") or 0
    new: list[int] = []
    for p in pods:
        ix = valid_index(job, p)
        if ix is None or not has_tracking_finalizer(p) or not is_pod_failed(p, job):
            continue
        verdict = match_pod_failure_policy(policy, p)
        if verdict.action == ACTION_FAIL_INDEX or (verdict.count_failed and index_failure_count(p) >= limit):
            new.append(ix)
    return prev.with_indexes(new)


def absolute_failures(pod: dict[str, Any]) -> int:
    """Failures of the pod's index before it, counted or ignored."""
    return index_failure_count(pod) + index_ignored_failure_count(pod)


def pods_with_delayed_deletion(job: dict[str, Any], pods: list[dict[str, Any]], active: list[dict[str, Any]],
                               skip_uids: set[str], succeeded: Intervals,
                               failed: Intervals | None) -> dict[int, dict[str, Any]]:
    """Per index with no active pod, no success and no failure: its latest failed pod, whose finalizer stays
    until its replacement has inherited its failure counts."""
    active_indexes = {ix for p in active if (ix := completion_index(p)) is not None}
    out: dict[int, dict[str, Any]] = {}
    for p in new_finished_pods(job, pods, skip_uids, lambda q: is_pod_failed(q, job)):
        ix = valid_index(job, p)
        if ix is None or ix in active_indexes or succeeded.has(ix) or (failed is not None and failed.has(ix)):
            continue
        last = out.get(ix)
        if last is None or (absolute_failures(last) <= absolute_failures(p)
                            and pod_finish_time(p) >= pod_finish_time(last)):
            out[ix] = p
    return out


def indexes_ready_to_create(indexes: list[int], delayed: dict[int, dict[str, Any]], now: float, base: float,
                            cap: float) -> tuple[list[int], float]:
    """Of ``indexes``, those whose per-index back-off has passed; when none has, the shortest wait."""
    ready: list[int] = []
    waits: list[float] = []
    for ix in indexes:
        last_failed = delayed.get(ix)
        wait = 0.0
        if last_failed is not None:
            wait = remaining_backoff(absolute_failures(last_failed) + 1, pod_finish_time(last_failed), now, base,
                                     cap)
        if wait <= 0:
            ready.append(ix)
        else:
            waits.append(wait)
    if ready:
        return ready, 0.0
    return [], min(waits) if waits else 0.0


def inherited_failure_counts(job: dict[str, Any], replaced: dict[str, Any] | None) -> tuple[int, int]:
    """(index failure count, ignored failure count) for the pod replacing ``replaced`` in its index."""
    if replaced is None:
        return 0, 0
    failures, ignored = index_failure_count(replaced), index_ignored_failure_count(replaced)
    if match_pod_failure_policy((job.get("spec") or {}).get("podFailurePolicy"), replaced).count_failed:
        failures += 1
    else:
        ignored += 1
    return failures, ignored
