"""The Job controller: runs pods until a Job has enough successes, or fails it.

A Job wants ``completions`` successful pods (or, without ``completions``, any success once all pods stopped),
running at most ``parallelism`` at once.  Each sync is level-triggered over the informer caches:

1. *claim* the namespace's pods (adopting orphans that match the selector, releasing children that no longer do);
2. *count* finished pods: a pod still carrying the ``batch.kubernetes.io/job-tracking`` finalizer has not been
   counted yet.  Its uid first goes into ``status.uncountedTerminatedPods`` (one status write), then its
   finalizer is removed, then it moves from the uncounted lists into ``succeeded``/``failed`` (a second write).
   Whatever crashes in between, a restarted controller finishes the move and never counts a pod twice: pods
   without the finalizer are never counted again, uids in the uncounted lists are never added again, and every
   status write is conditional on the resourceVersion the counts were computed from;
3. *decide* whether the Job is finished: a ``podFailurePolicy`` FailJob rule, more failures than
   ``backoffLimit``, ``activeDeadlineSeconds`` passed, too many failed indexes, a ``successPolicy`` rule met or
   enough completions.  As in 1.32 the verdict is first written as the interim condition ``FailureTarget`` or
   ``SuccessCriteriaMet``; remaining pods are deleted and the terminal ``Failed``/``Complete`` condition (same
   reason) follows once no pod is terminating and nothing is left uncounted;
4. otherwise *manage* pods: delete all when suspended, delete extras (duplicate indexes first), or create the
   missing ones after the pod-failure back-off, in slow-start batches (1, 2, 4, ...), gated by expectations so
   pods not yet seen in the cache are not created twice.

Pods of finished or deleted Jobs that still hold the tracking finalizer are handed to a second queue that only
removes the finalizer.  Options (``ctx.options``): ``job_backoff_base`` (10 s) and ``job_backoff_max`` (600 s)
for the pod-failure back-off, ``job_sync_batch_period`` (1 s, how long pod events are batched), ``job_clock``
(a callable giving wall-clock epoch seconds, for tests).  Pure decisions live in ``job_pods``, ``job_policy``,
``job_indexes`` and ``job_util``.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kybernetes.client.rest import resource_path
from kybernetes.client.workqueue import SHUTDOWN, WorkQueue
from kybernetes.controllers.base import Controller, ControllerContext, object_key
from kybernetes.controllers.expectations import Expectations
from kybernetes.controllers.job_indexes import (
    COMPLETION_INDEX_ANNOTATION, INDEX_FAILURE_COUNT_ANNOTATION, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION, Intervals,
    add_completion_index_env, completion_index, pod_generate_name)
from kybernetes.controllers.job_pods import (
    failed_indexes, first_pending_indexes, indexes_ready_to_create, inherited_failure_counts, new_finished_pods,
    pods_for_removal, pods_with_delayed_deletion, succeeded_indexes, valid_index)
from kybernetes.controllers.job_policy import (
    DEFAULT_BACKOFF, MAX_BACKOFF, BackoffRecord, match_pod_failure_policy, match_success_policy, next_backoff_record,
    remaining_backoff)
from kybernetes.controllers.job_util import (
    COND_COMPLETE, COND_FAILED, COND_FAILURE_TARGET, COND_SUCCESS_CRITERIA_MET, COND_SUSPENDED,
    JOB_TRACKING_FINALIZER, clean_status, completions_of, ensure_condition, find_condition, format_time,
    has_backoff_limit_per_index, has_tracking_finalizer, is_indexed, is_job_finished, is_pod_failed,
    is_pod_terminating, is_suspended, managed_by_other, move_uncounted_without_finalizers, new_condition,
    only_replace_failed_pods, parse_time, pod_phase)
from kybernetes.controllers.podcontrol import (
    controller_ref, delete_pod, get_controller_of, is_pod_active, is_pod_ready, pod_from_template)
from kybernetes.controllers.refmanager import claim_objects
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.labels import selector_from_dict

__all__ = ["JobController", "MAX_UNCOUNTED_PODS", "MAX_POD_CREATE_DELETE_PER_SYNC"]

log = logging.getLogger(__name__)

MAX_UNCOUNTED_PODS = 500
MAX_POD_CREATE_DELETE_PER_SYNC = 500
SLOW_START_INITIAL_BATCH = 1
SYNC_BATCH_PERIOD = 1.0

REASON_BACKOFF_LIMIT = "BackoffLimitExceeded"
REASON_DEADLINE = "DeadlineExceeded"
REASON_POD_FAILURE_POLICY = "PodFailurePolicy"
REASON_MAX_FAILED_INDEXES = "MaxFailedIndexesExceeded"
REASON_FAILED_INDEXES = "FailedIndexes"
REASON_SUCCESS_POLICY = "SuccessPolicy"
REASON_COMPLETIONS_REACHED = "CompletionsReached"

_REMOVE_FINALIZER_PATCH = {"metadata": {"$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER]}}


# -- small helpers ---------------------------------------------------------------------------------------------------

def _spec(job: dict[str, Any]) -> dict[str, Any]:
    return job.get("spec") or {}


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _uid(obj: dict[str, Any]) -> str:
    return _meta(obj).get("uid", "")


# -- per-sync state --------------------------------------------------------------------------------------------------

@dataclass
class _SyncContext:
    """What one sync of one Job has worked out so far."""

    job: dict[str, Any]  # private copy; replaced by the stored Job after each status write
    pods: list[dict[str, Any]]  # every pod the Job owns (after adoption)
    active_pods: list[dict[str, Any]]  # not terminal, not being deleted
    ready: int  # active pods with Ready=True
    terminating: int  # pods being deleted that are not terminal yet
    uncounted_succeeded: set[str]  # status.uncountedTerminatedPods as found
    uncounted_failed: set[str]
    expected_rm_finalizers: set[str]  # pods whose finalizer removal we sent but have not seen yet
    succeeded: int = 0  # counted + uncounted + new successes
    failed: int = 0  # likewise, failures the pod failure policy does not ignore
    finished_condition: dict[str, Any] | None = None  # the verdict, when the Job must finish
    prev_succeeded_indexes: Intervals = field(default_factory=Intervals)  # status.completedIndexes
    succeeded_indexes: Intervals = field(default_factory=Intervals)  # ... plus new successes
    failed_indexes: Intervals | None = None  # only with backoffLimitPerIndex
    new_backoff: BackoffRecord = field(default_factory=BackoffRecord)  # stored once the status is written
    delayed_deletion: dict[int, dict[str, Any]] = field(default_factory=dict)  # index -> failed pod kept


class _FinalizerExpectations:
    """Per Job, the pod uids whose finalizer removal was sent but not yet seen in the pod informer."""

    def __init__(self) -> None:
        self._uids: dict[str, set[str]] = {}

    def expect(self, key: str, uids: list[str]) -> None:
        self._uids.setdefault(key, set()).update(uids)

    def observed(self, key: str, uid: str) -> None:
        uids = self._uids.get(key)
        if uids is not None:
            uids.discard(uid)
            if not uids:
                del self._uids[key]

    def get(self, key: str) -> set[str]:
        return set(self._uids.get(key, ()))

    def delete(self, key: str) -> None:
        self._uids.pop(key, None)


def _is_success_criteria_met(cond: dict[str, Any] | None) -> bool:
    return cond is not None and cond.get("type") == COND_SUCCESS_CRITERIA_MET and cond.get("status") == "True"


def _success_criteria_met_condition(job: dict[str, Any]) -> dict[str, Any] | None:
    c = find_condition((job.get("status") or {}).get("conditions"), COND_SUCCESS_CRITERIA_MET)
    return c if c is not None and c.get("status") == "True" else None


class JobController(Controller):
    """batch/v1 Jobs (see the module docstring)."""

    name = "job"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        opts = ctx.options
        self.backoff_base = float(opts.get("job_backoff_base", DEFAULT_BACKOFF))
        self.backoff_max = float(opts.get("job_backoff_max", MAX_BACKOFF))
        self.batch_period = float(opts.get("job_sync_batch_period", SYNC_BATCH_PERIOD))
        self.now: Callable[[], float] = opts.get("job_clock") or time.time
        self.recorder = ctx.recorder("job-controller")
        self.expectations = Expectations()
        self.finalizer_expectations = _FinalizerExpectations()
        self.backoffs: dict[str, BackoffRecord] = {}
        self.orphans = WorkQueue(name="job_orphan_pod")
        self.jobs = ctx.informer("batch", "v1", "jobs")
        self.pods = ctx.informer("", "v1", "pods")
        self.jobs.add_event_handler(on_add=self._add_job, on_update=self._update_job, on_delete=self._delete_job)
        self.pods.add_event_handler(on_add=self._add_pod, on_update=self._update_pod,
                                    on_delete=lambda pod: self._delete_pod(pod, final=True))

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await super().start()
        self.spawn(self._orphan_worker(), name="job-orphan-worker")

    async def stop(self) -> None:
        self.orphans.shut_down()
        await super().stop()

    # -- event handlers (only enqueue keys and note expectations) ---------------------------------------------------

    def _enqueue_batched(self, key: str, delay: float | None = None) -> None:
        delay = self.batch_period if delay is None else max(delay, self.batch_period)
        self.enqueue_after(key, delay) if delay > 0 else self.enqueue(key)

    def _resolve(self, namespace: str, ref: dict[str, Any]) -> dict[str, Any] | None:
        if ref.get("kind") != "Job":
            return None
        job = self.jobs.get(f"{namespace}/{ref.get('name', '')}")
        if job is None or _uid(job) != ref.get("uid"):
            return None
        return job

    def _jobs_selecting(self, pod: dict[str, Any]) -> list[dict[str, Any]]:
        labels = _meta(pod).get("labels") or {}
        out = []
        for job in self.jobs.by_index("namespace", _meta(pod).get("namespace", "")):
            try:
                selector = selector_from_dict(_spec(job).get("selector"))
            except ValueError:
                continue
            if not selector.empty() and selector.matches(labels):
                out.append(job)
        return out

    def _enqueue_orphan(self, pod: dict[str, Any]) -> None:
        self.orphans.add(object_key(pod))

    def _add_pod(self, pod: dict[str, Any]) -> None:
        if _meta(pod).get("deletionTimestamp"):
            # A pod already being deleted when first seen (after a restart) is no creation to observe.
            self._delete_pod(pod, final=False)
            return
        ref = get_controller_of(pod)
        if ref is not None:
            job = self._resolve(_meta(pod).get("namespace", ""), ref)
            if job is None:
                return
            key = object_key(job)
            self.expectations.creation_observed(key)
            self._enqueue_batched(key)
            return
        if has_tracking_finalizer(pod):
            self._enqueue_orphan(pod)
        for job in self._jobs_selecting(pod):
            self._enqueue_batched(object_key(job))

    def _update_pod(self, old: dict[str, Any], cur: dict[str, Any]) -> None:
        if _meta(old).get("resourceVersion") == _meta(cur).get("resourceVersion"):
            return
        if _meta(cur).get("deletionTimestamp"):
            self._delete_pod(cur, final=False)
            return
        ns = _meta(cur).get("namespace", "")
        finalizer_removed = not has_tracking_finalizer(cur)
        cur_ref, old_ref = get_controller_of(cur), get_controller_of(old)
        ref_changed = cur_ref != old_ref
        if ref_changed and old_ref is not None:
            job = self._resolve(ns, old_ref)
            if job is not None:
                if finalizer_removed:
                    self.finalizer_expectations.observed(object_key(job), _uid(cur))
                self._enqueue_batched(object_key(job))
        if cur_ref is not None:
            job = self._resolve(ns, cur_ref)
            if job is None:
                return
            if finalizer_removed:
                self.finalizer_expectations.observed(object_key(job), _uid(cur))
            self._enqueue_batched(object_key(job))
            return
        if has_tracking_finalizer(cur):
            self._enqueue_orphan(cur)
        if ref_changed or (_meta(cur).get("labels") or {}) != (_meta(old).get("labels") or {}):
            for job in self._jobs_selecting(cur):
                self._enqueue_batched(object_key(job))

    def _delete_pod(self, pod: dict[str, Any], *, final: bool) -> None:
        ref = get_controller_of(pod)
        has_finalizer = has_tracking_finalizer(pod)
        if ref is None:
            if has_finalizer:
                self._enqueue_orphan(pod)
            return
        job = self._resolve(_meta(pod).get("namespace", ""), ref)
        if job is None or is_job_finished(job):
            if has_finalizer:  # no sync of the Job will remove it
                self._enqueue_orphan(pod)
            return
        key = object_key(job)
        self.expectations.deletion_observed(key)
        if final or not has_finalizer:
            self.finalizer_expectations.observed(key, _uid(pod))
        self._enqueue_batched(key)

    def _add_job(self, job: dict[str, Any]) -> None:
        self.enqueue(job)

    def _update_job(self, old: dict[str, Any], cur: dict[str, Any]) -> None:
        key = object_key(cur)
        if _meta(cur).get("generation") == _meta(old).get("generation"):
            self._enqueue_batched(key)  # status writes, mostly our own
        else:
            self.enqueue(key)  # spec changes act at once
        if is_job_finished(cur):
            self._cleanup_pod_finalizers(cur)  # backstop: a finished Job's pods keep no finalizer
        start = parse_time((cur.get("status") or {}).get("startTime"))
        cur_ads = _spec(cur).get("activeDeadlineSeconds")
        if start is not None and cur_ads is not None and _spec(old).get("activeDeadlineSeconds") != cur_ads:
            self.enqueue_after(key, cur_ads - (self.now() - start))

    def _delete_job(self, job: dict[str, Any]) -> None:
        self.enqueue(job)
        self._cleanup_pod_finalizers(job)

    def _cleanup_pod_finalizers(self, job: dict[str, Any]) -> None:
        try:
            selector = selector_from_dict(_spec(job).get("selector"))
        except ValueError:
            return
        uid = _uid(job)
        for pod in self.pods.by_index("namespace", _meta(job).get("namespace", "")):
            ref = get_controller_of(pod)
            if ref is not None and ref.get("uid") == uid and has_tracking_finalizer(pod) and \
                    selector.matches(_meta(pod).get("labels") or {}):
                self._enqueue_orphan(pod)

    # -- orphan pods -------------------------------------------------------------------------------------------------

    async def _orphan_worker(self) -> None:
        while True:
            key = await self.orphans.get()
            if key is SHUTDOWN:
                return
            try:
                await self.sync_orphan_pod(str(key))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried with back-off
                log.warning("job: orphan pod %s: %s", key, exc)
                self.orphans.add_rate_limited(key)
            else:
                self.orphans.forget(key)
            finally:
                self.orphans.done(key)

    async def sync_orphan_pod(self, key: str) -> None:
        """Remove the tracking finalizer from pod ``key`` unless a live, unfinished Job of ours owns it."""
        pod = self.pods.get(key)
        if pod is None:
            return
        ref = get_controller_of(pod)
        if ref is not None:
            if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
                return  # owned by something else: its finalizer is not ours to touch
            job = self._resolve(_meta(pod).get("namespace", ""), ref)
            if job is not None and (managed_by_other(job) or not is_job_finished(job)):
                return
        if has_tracking_finalizer(pod):
            await self._remove_finalizer(pod)

    async def _remove_finalizer(self, pod: dict[str, Any]) -> None:
        """Patch the tracking finalizer away (a pod already gone counts as done); raises other API errors."""
        m = _meta(pod)
        try:
            await self.client.patch(resource_path("", "v1", "pods", m.get("namespace", ""), m.get("name", "")),
                                    _REMOVE_FINALIZER_PATCH, "strategic")
        except StatusError as e:
            if e.code != 404:
                raise

    # -- sync --------------------------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        """Reconcile Job ``key`` (see the module docstring).  Raises to be retried with back-off."""
        cached = self.jobs.get(key)
        if cached is None:
            self.expectations.delete(key)
            self.finalizer_expectations.delete(key)
            self.backoffs.pop(key, None)
            return
        if managed_by_other(cached):
            return
        job = copy.deepcopy(cached)
        if is_job_finished(job):
            self.backoffs.pop(key, None)
            return
        spec = _spec(job)
        if spec.get("completionMode", "NonIndexed") not in ("NonIndexed", "Indexed"):
            self.recorder.event(job, "Warning", "UnknownCompletionMode",
                                "Skipped Job sync because completion mode is unknown")
            return
        status = job.setdefault("status", {})
        uncounted = status.get("uncountedTerminatedPods")
        if not isinstance(uncounted, dict):
            uncounted = status["uncountedTerminatedPods"] = {}
        # Expectations are read before the pods, so a pod created meanwhile only defers work, never doubles it.
        satisfied = self.expectations.satisfied(key)
        pods = await self._claim_pods(job)
        active_pods = [p for p in pods if is_pod_active(p)]
        ctx = _SyncContext(
            job=job, pods=pods, active_pods=active_pods, ready=sum(1 for p in active_pods if is_pod_ready(p)),
            terminating=sum(1 for p in pods if is_pod_terminating(p)),
            uncounted_succeeded=set(uncounted.get("succeeded") or ()),
            uncounted_failed=set(uncounted.get("failed") or ()),
            expected_rm_finalizers=self.finalizer_expectations.get(key))
        active = len(active_pods)
        expected = ctx.expected_rm_finalizers
        new_succeeded = new_finished_pods(job, pods, ctx.uncounted_succeeded | expected,
                                          lambda p: pod_phase(p) == "Succeeded")
        new_failed = new_finished_pods(job, pods, ctx.uncounted_failed | expected, lambda p: is_pod_failed(p, job))
        ctx.succeeded = status.get("succeeded", 0) + len(new_succeeded) + len(ctx.uncounted_succeeded)
        ctx.failed = (status.get("failed", 0) + self._non_ignored_count(job, new_failed)
                      + len(ctx.uncounted_failed))
        now = self.now()
        if not status.get("startTime") and not is_suspended(job):
            status["startTime"] = format_time(now)
        ctx.new_backoff = next_backoff_record(self._backoff_record(key, ctx), new_succeeded, new_failed)

        self._judge(key, ctx, now)
        manage_error: BaseException | None = None
        suspend_changed = False
        if ctx.finished_condition is not None:
            deleted_ready, deleted, manage_error = await self._delete_active_pods(job, ctx.active_pods)
            if deleted != active or not satisfied:
                # Pods not yet deleted, or not yet in the cache: the Job cannot be declared finished yet.
                ctx.finished_condition = None
            active -= deleted
            ctx.terminating += deleted
            ctx.ready -= deleted_ready
        else:
            managed = False
            if satisfied and not _meta(job).get("deletionTimestamp"):
                active, manage_error = await self._manage(key, job, ctx)
                managed = True
            completions = spec.get("completions")
            if completions is None:
                complete = ctx.succeeded > 0 and active == 0
            else:
                complete = ctx.succeeded >= completions and active == 0
            if complete:
                ctx.finished_condition = new_condition(COND_SUCCESS_CRITERIA_MET, "True", REASON_COMPLETIONS_REACHED,
                                                       "Reached expected number of succeeded pods", now)
            elif managed:
                conditions = status.setdefault("conditions", [])
                if is_suspended(job):
                    if ensure_condition(conditions, COND_SUSPENDED, "True", "JobSuspended", "Job suspended", now):
                        suspend_changed = True
                        self.recorder.event(job, "Normal", "Suspended", "Job suspended")
                elif ensure_condition(conditions, COND_SUSPENDED, "False", "JobResumed", "Job resumed", now):
                    suspend_changed = True
                    self.recorder.event(job, "Normal", "Resumed", "Job resumed")
                    # activeDeadlineSeconds counts continuous activity: the clock restarts on resume.
                    status["startTime"] = format_time(now)

        needs_update = (suspend_changed or active != status.get("active", 0) or ctx.ready != status.get("ready")
                        or ctx.terminating != status.get("terminating"))
        status["active"] = active
        status["ready"] = ctx.ready
        status["terminating"] = ctx.terminating
        await self._track_status(key, ctx, needs_update)
        if manage_error is not None:
            raise manage_error

    # -- judging -----------------------------------------------------------------------------------------------------

    def _judge(self, key: str, ctx: _SyncContext, now: float) -> None:
        """Set ``ctx.finished_condition`` when the Job must finish (interim condition types), and requeue for
        an active deadline still ahead."""
        job = ctx.job
        spec, status = _spec(job), job["status"]
        ctx.finished_condition = _success_criteria_met_condition(job)
        if ctx.finished_condition is None:
            target = find_condition(status.get("conditions"), COND_FAILURE_TARGET)
            if target is not None and target.get("status") == "True":
                ctx.finished_condition = new_condition(COND_FAILED, "True", target.get("reason", ""),
                                                       target.get("message", ""), now)
            else:
                message = self._fail_job_message(job, ctx.pods)
                if message is not None:
                    ctx.finished_condition = new_condition(COND_FAILURE_TARGET, "True", REASON_POD_FAILURE_POLICY,
                                                           message, now)
        if ctx.finished_condition is None:
            start = parse_time(status.get("startTime"))
            ads = spec.get("activeDeadlineSeconds")
            if ctx.failed > spec.get("backoffLimit", 6) or self._past_backoff_limit_on_failure(job, ctx.pods):
                ctx.finished_condition = new_condition(COND_FAILURE_TARGET, "True", REASON_BACKOFF_LIMIT,
                                                       "Job has reached the specified backoff limit", now)
            elif ads is not None and start is not None and not is_suspended(job) and now - start >= ads:
                ctx.finished_condition = new_condition(COND_FAILURE_TARGET, "True", REASON_DEADLINE,
                                                       "Job was active longer than specified deadline", now)
            elif ads is not None and start is not None and not is_suspended(job):
                self.enqueue_after(key, ads - (now - start))
        if is_indexed(job):
            completions = completions_of(job)
            ctx.prev_succeeded_indexes, ctx.succeeded_indexes = succeeded_indexes(job, ctx.pods)
            ctx.succeeded = ctx.succeeded_indexes.total()
            if has_backoff_limit_per_index(job):
                ctx.failed_indexes = failed_indexes(job, ctx.pods)
                if ctx.finished_condition is None:
                    max_failed = spec.get("maxFailedIndexes")
                    nfailed = ctx.failed_indexes.total()
                    if max_failed is not None and nfailed > max_failed:
                        ctx.finished_condition = new_condition(
                            COND_FAILURE_TARGET, "True", REASON_MAX_FAILED_INDEXES,
                            "Job has exceeded the specified maximal number of failed indexes", now)
                    elif nfailed > 0 and nfailed + ctx.succeeded_indexes.total() >= completions:
                        ctx.finished_condition = new_condition(COND_FAILURE_TARGET, "True", REASON_FAILED_INDEXES,
                                                               "Job has failed indexes", now)
                ctx.delayed_deletion = pods_with_delayed_deletion(
                    job, ctx.pods, ctx.active_pods, ctx.expected_rm_finalizers, ctx.succeeded_indexes,
                    ctx.failed_indexes)
            if ctx.finished_condition is None:
                message = match_success_policy(spec.get("successPolicy"), completions, ctx.succeeded_indexes)
                if message is not None:
                    ctx.finished_condition = new_condition(COND_SUCCESS_CRITERIA_MET, "True", REASON_SUCCESS_POLICY,
                                                           message, now)

    @staticmethod
    def _fail_job_message(job: dict[str, Any], pods: list[dict[str, Any]]) -> str | None:
        policy = _spec(job).get("podFailurePolicy")
        if not policy:
            return None
        for p in pods:
            if is_pod_failed(p, job):
                message = match_pod_failure_policy(policy, p).fail_job_message
                if message is not None:
                    return message
        return None

    @staticmethod
    def _past_backoff_limit_on_failure(job: dict[str, Any], pods: list[dict[str, Any]]) -> bool:
        """With restartPolicy OnFailure, container restarts of running pods count against backoffLimit."""
        spec = _spec(job)
        if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
            return False
        restarts = 0
        for p in pods:
            if pod_phase(p) in ("Running", "Pending"):
                st = p.get("status") or {}
                for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
                    restarts += cs.get("restartCount", 0)
        limit = spec.get("backoffLimit", 6)
        return restarts > 0 if limit == 0 else restarts >= limit

    @staticmethod
    def _non_ignored_count(job: dict[str, Any], failed: list[dict[str, Any]]) -> int:
        policy = _spec(job).get("podFailurePolicy")
        if not policy:
            return len(failed)
        return sum(1 for p in failed if match_pod_failure_policy(policy, p).count_failed)

    def _backoff_record(self, key: str, ctx: _SyncContext) -> BackoffRecord:
        """The remembered back-off of ``key``; after a restart it is rebuilt from the already counted pods (those
        without the finalizer), so a restart does not skip the back-off."""
        record = self.backoffs.get(key)
        if record is not None:
            return record
        job = ctx.job
        policy = _spec(job).get("podFailurePolicy")
        counted = [p for p in ctx.pods if not has_tracking_finalizer(p)]
        succeeded = [p for p in counted if pod_phase(p) == "Succeeded"]
        failed = [p for p in counted if is_pod_failed(p, job)
                  and match_pod_failure_policy(policy, p).count_failed]
        record = next_backoff_record(BackoffRecord(), succeeded, failed)
        self.backoffs[key] = record
        return record

    # -- claiming ----------------------------------------------------------------------------------------------------

    async def _claim_pods(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """The Job's pods after adoption/release; adopted pods get the tracking finalizer too."""
        try:
            selector = selector_from_dict(_spec(job).get("selector"))
        except ValueError as e:
            raise ValueError(f"couldn't convert Job selector: {e}") from e
        meta = _meta(job)
        ns, name, uid = meta.get("namespace", ""), meta.get("name", ""), meta.get("uid", "")

        async def recheck() -> dict[str, Any] | None:
            try:
                fresh = await self.client.get(resource_path("batch", "v1", "jobs", ns, name))
            except StatusError as e:
                if e.code == 404:
                    return None
                raise
            return fresh if _uid(fresh) == uid else None

        candidates = self.pods.by_index("namespace", ns)
        claimed = await claim_objects(self.client, job, selector, candidates, recheck=recheck)
        out = []
        for pod in claimed:
            # A pod whose ownerReference was just patched in was adopted: make sure it is tracked.
            if not has_tracking_finalizer(pod) and not any(
                    r.get("uid") == uid for r in _meta(self.pods.get(object_key(pod)) or {}).get("ownerReferences")
                    or ()):
                pod = await self._add_finalizer(pod)
            out.append(pod)
        return out

    async def _add_finalizer(self, pod: dict[str, Any]) -> dict[str, Any]:
        m = _meta(pod)
        body = {"metadata": {"finalizers": [JOB_TRACKING_FINALIZER], "uid": m.get("uid")}}
        try:
            return await self.client.patch(resource_path("", "v1", "pods", m.get("namespace", ""), m.get("name", "")),
                                           body, "strategic")
        except StatusError as e:
            log.debug("job: adding the tracking finalizer to %s: %s", m.get("name"), e)
            pod = copy.deepcopy(pod)
            pod["metadata"].setdefault("finalizers", []).append(JOB_TRACKING_FINALIZER)
            return pod

    # -- managing pods -----------------------------------------------------------------------------------------------

    async def _manage(self, key: str, job: dict[str, Any],
                      ctx: _SyncContext) -> tuple[int, BaseException | None]:
        """Create or delete pods toward the wanted number of active pods; returns the new active count and the
        first API error met (after doing what it could)."""
        spec = _spec(job)
        active = len(ctx.active_pods)
        if is_suspended(job):
            to_delete = pods_for_removal(job, ctx.active_pods, active)
            self.expectations.expect_deletions(key, len(to_delete))
            ready, removed, error = await self._delete_job_pods(key, job, to_delete)
            ctx.terminating += removed
            ctx.ready -= ready
            return active - removed, error
        parallelism = spec.get("parallelism", 1)
        completions = spec.get("completions")
        if completions is None:
            want = active if ctx.succeeded > 0 else parallelism
        else:
            want = max(0, min(completions - ctx.succeeded, parallelism))
        to_delete = pods_for_removal(job, ctx.active_pods, max(0, active - want))
        to_delete = to_delete[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if to_delete:
            # Deletions and creations never mix in one sync; deletions go first.
            self.expectations.expect_deletions(key, len(to_delete))
            ready, removed, error = await self._delete_job_pods(key, job, to_delete)
            ctx.terminating += removed
            ctx.ready -= ready
            return active - removed, error
        terminating = ctx.terminating if only_replace_failed_pods(job) else 0
        diff = want - terminating - active
        if diff <= 0:
            return active, None
        now = self.now()
        if not has_backoff_limit_per_index(job):
            wait = remaining_backoff(ctx.new_backoff.failures_after_last_success, ctx.new_backoff.last_failure_time,
                                     now, self.backoff_base, self.backoff_max)
            if wait > 0:
                self._enqueue_batched(key, wait)
                return active, None
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int] = []
        if is_indexed(job):
            indexes = first_pending_indexes(job, ctx.pods, ctx.active_pods, ctx.succeeded_indexes,
                                            ctx.failed_indexes, diff)
            if has_backoff_limit_per_index(job):
                indexes, wait = indexes_ready_to_create(indexes, ctx.delayed_deletion, now, self.backoff_base,
                                                        self.backoff_max)
                if wait > 0:
                    self._enqueue_batched(key, wait)
                    return active, None
            diff = len(indexes)
            if diff == 0:
                return active, None
        created, error = await self._create_pods(key, job, ctx, diff, indexes)
        return active + created, error

    async def _create_pods(self, key: str, job: dict[str, Any], ctx: _SyncContext, diff: int,
                           indexes: list[int]) -> tuple[int, BaseException | None]:
        """Create ``diff`` pods in slow-start batches; returns how many were created and the first error."""
        self.expectations.expect_creations(key, diff)
        template = copy.deepcopy(_spec(job).get("template") or {})
        if is_indexed(job):
            add_completion_index_env(template)
        tmeta = template.setdefault("metadata", {})
        finalizers = tmeta.setdefault("finalizers", [])
        if JOB_TRACKING_FINALIZER not in finalizers:
            finalizers.append(JOB_TRACKING_FINALIZER)
        ref = controller_ref(job, "batch/v1", "Job")
        job_name = _meta(job).get("name", "")
        errors: list[BaseException] = []
        created = 0
        pending = list(indexes)
        batch = min(diff, SLOW_START_INITIAL_BATCH)
        remaining = diff
        while remaining > 0:
            bodies = []
            for _ in range(batch):
                ix = pending.pop(0) if pending else None
                bodies.append(self._pod_body(job, template, ref, job_name, ix, ctx))
            results = await asyncio.gather(*(self._create_one(key, job, b) for b in bodies), return_exceptions=True)
            failures = [r for r in results if isinstance(r, BaseException)]
            created += len(results) - len(failures)
            errors.extend(failures)
            remaining -= batch
            if failures and remaining > 0:
                # The rest would likely fail the same way: give up this round, and stop expecting them.
                for _ in range(remaining):
                    self.expectations.creation_observed(key)
                break
            batch = min(2 * batch, remaining)
        return created, errors[0] if errors else None

    def _pod_body(self, job: dict[str, Any], template: dict[str, Any], ref: dict[str, Any], job_name: str,
                  ix: int | None, ctx: _SyncContext) -> dict[str, Any]:
        if ix is None:
            return pod_from_template(template, job, ref=ref)
        t = copy.deepcopy(template)
        tmeta = t.setdefault("metadata", {})
        tmeta.setdefault("annotations", {})[COMPLETION_INDEX_ANNOTATION] = str(ix)
        tmeta.setdefault("labels", {})[COMPLETION_INDEX_ANNOTATION] = str(ix)
        t.setdefault("spec", {})["hostname"] = f"{job_name}-{ix}"
        if has_backoff_limit_per_index(job):
            failures, ignored = inherited_failure_counts(job, ctx.delayed_deletion.get(ix))
            tmeta["annotations"][INDEX_FAILURE_COUNT_ANNOTATION] = str(failures)
            if ignored > 0:
                tmeta["annotations"][INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = str(ignored)
        return pod_from_template(t, job, generate_name=pod_generate_name(job_name, ix), ref=ref)

    async def _create_one(self, key: str, job: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        try:
            pod = await self.client.create(resource_path("", "v1", "pods", body["metadata"]["namespace"]), body)
        except Exception as e:
            # No add event will come for this pod.
            self.expectations.creation_observed(key)
            if not _namespace_terminating(e):
                self.recorder.event(job, "Warning", "FailedCreate", f"Error creating: {_err_text(e)}")
            raise
        self.recorder.event(job, "Normal", "SuccessfulCreate", f"Created pod: {_meta(pod).get('name', '')}")
        return pod

    async def _delete_job_pods(self, key: str, job: dict[str, Any],
                               pods: list[dict[str, Any]]) -> tuple[int, int, BaseException | None]:
        """Remove the finalizer (so a deliberately deleted pod is not counted as failed), then delete.  Returns
        (ready pods deleted, pods deleted, first error)."""

        async def one(pod: dict[str, Any]) -> bool:
            try:
                if has_tracking_finalizer(pod):
                    await self._remove_finalizer(pod)
                await self._delete(job, pod)
            except Exception:
                self.expectations.deletion_observed(key)
                raise
            return is_pod_ready(pod)

        results = await asyncio.gather(*(one(p) for p in pods), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        ready = sum(1 for r in results if r is True)
        return ready, len(pods) - len(errors), errors[0] if errors else None

    async def _delete_active_pods(self, job: dict[str, Any],
                                  pods: list[dict[str, Any]]) -> tuple[int, int, BaseException | None]:
        """Delete active pods of a finishing Job, keeping their finalizers (they are counted when gone)."""
        results = await asyncio.gather(*(self._delete(job, p) for p in pods), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        ready = sum(1 for p, r in zip(pods, results) if not isinstance(r, BaseException) and is_pod_ready(p))
        return ready, len(pods) - len(errors), errors[0] if errors else None

    async def _delete(self, job: dict[str, Any], pod: dict[str, Any]) -> None:
        m = _meta(pod)
        try:
            await delete_pod(self.client, m.get("namespace", ""), m.get("name", ""))
        except Exception as e:
            self.recorder.event(job, "Warning", "FailedDelete", f"Error deleting: {_err_text(e)}")
            raise
        self.recorder.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {m.get('name', '')}")

    # -- status and finalizers ---------------------------------------------------------------------------------------

    async def _track_status(self, key: str, ctx: _SyncContext, needs_flush: bool) -> None:
        """Count finished pods through uncountedTerminatedPods, remove their finalizers, and write the terminal
        condition once everything is counted and nothing terminates."""
        job = ctx.job
        status = job["status"]
        indexed = is_indexed(job)
        uncounted = status["uncountedTerminatedPods"]
        pods = sorted(ctx.pods, key=lambda p: completion_index(p) if completion_index(p) is not None else -1) \
            if indexed else ctx.pods
        with_finalizer = {_uid(p) for p in pods
                          if has_tracking_finalizer(p) and _uid(p) not in ctx.expected_rm_finalizers}
        if move_uncounted_without_finalizers(status, with_finalizer):
            needs_flush = True
        policy = _spec(job).get("podFailurePolicy")
        to_strip: list[dict[str, Any]] = []
        new_indexes: list[int] = []
        reached_max = False
        for pod in pods:
            uid = _uid(pod)
            if not has_tracking_finalizer(pod) or uid in ctx.expected_rm_finalizers:
                continue  # handled by an earlier sync
            failed = is_pod_failed(pod, job)
            if not self._can_remove_finalizer(ctx, pod, failed):
                continue
            to_strip.append(pod)
            if pod_phase(pod) == "Succeeded" and uid not in ctx.uncounted_failed:
                if indexed:
                    # The index itself guards against counting a success twice.
                    ix = valid_index(job, pod)
                    if ix is not None and not ctx.prev_succeeded_indexes.has(ix):
                        new_indexes.append(ix)
                        needs_flush = True
                elif uid not in ctx.uncounted_succeeded:
                    uncounted.setdefault("succeeded", []).append(uid)
                    needs_flush = True
            elif failed or (ctx.finished_condition is not None
                            and not _is_success_criteria_met(ctx.finished_condition)):
                # Once the Job is failing, every pod that did not succeed counts as failed.
                if uid not in ctx.uncounted_failed and (not indexed or valid_index(job, pod) is not None):
                    if not policy or match_pod_failure_policy(policy, pod).count_failed:
                        uncounted.setdefault("failed", []).append(uid)
                        needs_flush = True
            if len(new_indexes) + len(uncounted.get("succeeded") or ()) + len(uncounted.get("failed") or ()) \
                    >= MAX_UNCOUNTED_PODS:
                # Keep the status small and this sync short; the writes below bring the Job back.
                reached_max = True
                break
        if indexed:
            ctx.succeeded_indexes = ctx.succeeded_indexes.with_indexes(new_indexes)
            text = str(ctx.succeeded_indexes)
            if text != status.get("completedIndexes", ""):
                needs_flush = True
            status["succeeded"] = ctx.succeeded_indexes.total()
            status["completedIndexes"] = text
            failed_text = str(ctx.failed_indexes) if ctx.failed_indexes is not None else None
            if status.get("failedIndexes") != failed_text:
                if failed_text is None:
                    status.pop("failedIndexes", None)
                else:
                    status["failedIndexes"] = failed_text
                needs_flush = True
        now = self.now()
        cond = ctx.finished_condition
        if cond is not None and cond["type"] == COND_FAILURE_TARGET:
            # Record the verdict before finalizers go, so it survives a crash; Failed follows later.
            status.setdefault("conditions", []).append(cond)
            needs_flush = True
            ctx.finished_condition = new_condition(COND_FAILED, "True", cond.get("reason", ""),
                                                   cond.get("message", ""), now)
        if _is_success_criteria_met(ctx.finished_condition):
            cond = ctx.finished_condition
            if _success_criteria_met_condition(job) is None:
                status.setdefault("conditions", []).append(cond)
                needs_flush = True
            ctx.finished_condition = new_condition(COND_COMPLETE, "True", cond.get("reason", ""),
                                                   cond.get("message", ""), now)
        needs_flush = await self._flush_and_strip(key, ctx, to_strip, with_finalizer, needs_flush)
        finished = not reached_max and self._enact_finished(ctx, now)
        if finished or needs_flush:
            ctx.job = await self._update_status(ctx.job)
            if finished:
                self._record_finished(ctx.job, ctx.finished_condition)

    @staticmethod
    def _can_remove_finalizer(ctx: _SyncContext, pod: dict[str, Any], failed: bool) -> bool:
        if _meta(ctx.job).get("deletionTimestamp") or ctx.finished_condition is not None \
                or pod_phase(pod) == "Succeeded":
            return True
        if not failed:
            return False
        if has_backoff_limit_per_index(ctx.job):
            ix = completion_index(pod)
            delayed = ctx.delayed_deletion.get(ix) if ix is not None else None
            if delayed is not None and _uid(delayed) == _uid(pod):
                return False  # kept until its replacement has inherited its failure count
        return True

    async def _flush_and_strip(self, key: str, ctx: _SyncContext, to_strip: list[dict[str, Any]],
                               with_finalizer: set[str], needs_flush: bool) -> bool:
        """Write the status holding the new uncounted uids, strip the finalizers of those pods, move what was
        stripped into the counters.  Returns whether a status write is still pending; raises a finalizer
        removal error after writing the partial progress."""
        if needs_flush:
            ctx.job = await self._update_status(ctx.job)
            self.backoffs[key] = ctx.new_backoff
            needs_flush = False
        error: BaseException | None = None
        if to_strip:
            stripped, error = await self._remove_tracking_finalizers(key, to_strip)
            for pod, ok in zip(to_strip, stripped):
                if ok:
                    with_finalizer.discard(_uid(pod))
        status = ctx.job.setdefault("status", {})
        status.setdefault("uncountedTerminatedPods", {})
        if move_uncounted_without_finalizers(status, with_finalizer):
            needs_flush = True
        if error is not None:
            if needs_flush:
                ctx.job = await self._update_status(ctx.job)
            raise error
        return needs_flush

    async def _remove_tracking_finalizers(self, key: str,
                                          pods: list[dict[str, Any]]) -> tuple[list[bool], BaseException | None]:
        """Strip the tracking finalizer from ``pods`` concurrently; returns per pod whether it is gone (a pod
        already deleted counts) and the first error."""
        self.finalizer_expectations.expect(key, [_uid(p) for p in pods])

        async def one(pod: dict[str, Any]) -> bool:
            try:
                await self._remove_finalizer(pod)
            except Exception:
                self.finalizer_expectations.observed(key, _uid(pod))
                raise
            return True

        results = await asyncio.gather(*(one(p) for p in pods), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        return [r is True for r in results], errors[0] if errors else None

    def _enact_finished(self, ctx: _SyncContext, now: float) -> bool:
        """Add the terminal condition when nothing is uncounted and no pod is terminating."""
        cond = ctx.finished_condition
        if cond is None:
            return False
        status = ctx.job.setdefault("status", {})
        uncounted = status.get("uncountedTerminatedPods") or {}
        if uncounted.get("succeeded") or uncounted.get("failed"):
            return False
        if ctx.terminating > 0:
            return False
        conditions = status.setdefault("conditions", [])
        ensure_condition(conditions, cond["type"], cond["status"], cond.get("reason", ""), cond.get("message", ""),
                         now)
        if cond["type"] == COND_COMPLETE:
            status["completionTime"] = cond["lastTransitionTime"]
        return True

    def _record_finished(self, job: dict[str, Any], cond: dict[str, Any] | None) -> None:
        if cond is None:
            return
        if cond["type"] == COND_COMPLETE:
            completions = _spec(job).get("completions")
            if completions is not None and (job.get("status") or {}).get("succeeded", 0) > completions:
                self.recorder.event(job, "Warning", "TooManySucceededPods",
                                    "Too many succeeded pods running after completion count reached")
            self.recorder.event(job, "Normal", "Completed", "Job completed")
        else:
            self.recorder.event(job, "Warning", cond.get("reason", ""), cond.get("message", ""))

    async def _update_status(self, job: dict[str, Any]) -> dict[str, Any]:
        """PUT the Job's status (conditional on its resourceVersion); returns the stored Job."""
        body = copy.deepcopy(job)
        clean_status(body.setdefault("status", {}))
        m = _meta(job)
        stored = await self.client.update(
            resource_path("batch", "v1", "jobs", m.get("namespace", ""), m.get("name", ""), "status"), body)
        stored.setdefault("apiVersion", "batch/v1")
        stored.setdefault("kind", "Job")
        stored.setdefault("status", {}).setdefault("uncountedTerminatedPods", {})
        return stored


# -- helpers ---------------------------------------------------------------------------------------------------------

def _namespace_terminating(exc: BaseException) -> bool:
    if not isinstance(exc, StatusError):
        return False
    causes = (exc.details or {}).get("causes") or []
    return any(c.get("type") == "NamespaceTerminating" for c in causes)


def _err_text(exc: BaseException) -> str:
    return getattr(exc, "message", "") or str(exc)
