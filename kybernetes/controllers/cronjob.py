"""The CronJob controller: creates a Job for every due start of a CronJob's schedule.

Each sync of a CronJob (level-triggered over the job and cronjob informers):

1. deletes the oldest finished Jobs beyond ``successfulJobsHistoryLimit`` / ``failedJobsHistoryLimit`` (ordered
   by start time, then name);
2. reconciles ``status.active`` with the Jobs it owns: finished Jobs leave the list (``SawCompletedJob``), Jobs
   gone from the API leave it (``MissingJob``), unknown unfinished children are reported (``UnexpectedJob``);
   ``lastSuccessfulTime`` follows the newest completed Job;
3. unless the CronJob is being deleted, is suspended, or has a bad time zone or schedule, finds the most recent
   start that is due (see ``cronjob_schedule``).  A start older than ``startingDeadlineSeconds`` is skipped
   (``MissSchedule``); one already in ``status.active`` or equal to ``lastScheduleTime`` was already served;
   ``Forbid`` waits while a Job is active (``JobAlreadyActive``); ``Replace`` deletes the active Jobs first;
4. creates the Job ``<cronjob>-<minutes since the epoch>`` (the name is the lock: a controller that crashed
   after creating it finds it on the next run instead of creating another), annotated
   ``batch.kubernetes.io/cronjob-scheduled-timestamp`` with the start in the CronJob's zone, records it in
   ``status.active`` and ``lastScheduleTime`` (one status write per sync), and sleeps until the next start.

"Now" comes from ``ctx.options["cronjob_clock"]`` (a callable returning an aware datetime) so tests need not
wait for the wall clock.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import orjson

from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext, is_already_exists, object_key
from kybernetes.controllers.cronjob_schedule import (
    Missed, Schedule, ScheduleError, format_rfc3339, job_name, load_location, most_recent_schedule_time,
    next_schedule_delay, parse_schedule)
from kybernetes.controllers.job_util import (
    finished_condition_type, format_time, is_job_finished, is_job_succeeded, parse_time)
from kybernetes.controllers.podcontrol import controller_ref, get_controller_of
from kybernetes.machinery.errors import StatusError

__all__ = ["CronJobController", "SCHEDULED_TIMESTAMP_ANNOTATION", "format_schedule", "job_from_template",
           "jobs_to_remove"]

log = logging.getLogger(__name__)

SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def _q(text: str) -> str:
    """Go's ``%q`` for plain text."""
    return orjson.dumps(text).decode()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _dt(value: Any) -> datetime | None:
    ts = parse_time(value)
    return datetime.fromtimestamp(ts, tz=timezone.utc) if ts is not None else None


def format_schedule(cronjob: dict[str, Any]) -> tuple[str, bool]:
    """The schedule as parsed: ``TZ=<timeZone> <schedule>`` when a valid time zone is set.  The flag says the
    schedule itself names a zone (unsupported, warned about)."""
    spec = cronjob.get("spec") or {}
    schedule = spec.get("schedule", "")
    if "TZ" in schedule:
        return schedule, True
    tz = spec.get("timeZone")
    if tz is not None:
        try:
            load_location(tz)
        except ScheduleError:
            return schedule, False
        return f"TZ={tz} {schedule}", False
    return schedule, False


def job_from_template(cronjob: dict[str, Any], scheduled: datetime) -> dict[str, Any]:
    """The Job to create for the start at ``scheduled``: the job template's labels, annotations and spec, the
    deterministic name, the scheduled-timestamp annotation and a controller reference.  Raises ScheduleError
    for an unknown time zone."""
    spec = cronjob.get("spec") or {}
    template = spec.get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    location = load_location(spec.get("timeZone") or "")
    annotations = dict(tmeta.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = format_rfc3339(scheduled.astimezone(location))
    meta: dict[str, Any] = {"name": job_name(cronjob["metadata"]["name"], scheduled),
                            "namespace": cronjob["metadata"].get("namespace", ""),
                            "annotations": annotations,
                            "ownerReferences": [controller_ref(cronjob, "batch/v1", "CronJob")]}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {})}


def _start_order(job: dict[str, Any]) -> tuple:
    start = parse_time((job.get("status") or {}).get("startTime"))
    return (start is None, start or 0.0, job["metadata"].get("name", ""))


def jobs_to_remove(cronjob: dict[str, Any], jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The finished Jobs beyond the history limits, oldest first (a limit that is not set keeps everything)."""
    spec = cronjob.get("spec") or {}
    out: list[dict[str, Any]] = []
    for kind, limit_key in (("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")):
        limit = spec.get(limit_key)
        if limit is None:
            continue
        finished = sorted((j for j in jobs if finished_condition_type(j) == kind), key=_start_order)
        if len(finished) > limit:
            out.extend(finished[:len(finished) - limit])
    return out


def _object_reference(job: dict[str, Any]) -> dict[str, Any]:
    m = job["metadata"]
    ref = {"kind": "Job", "namespace": m.get("namespace", ""), "name": m.get("name", ""), "uid": m.get("uid", ""),
           "apiVersion": "batch/v1", "resourceVersion": m.get("resourceVersion", "")}
    return {k: v for k, v in ref.items() if v}


class CronJobController(Controller):
    """batch/v1 CronJobs (see the module docstring)."""

    name = "cronjob"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.now: Callable[[], datetime] = ctx.options.get("cronjob_clock") or _utc_now
        self.recorder = ctx.recorder("cronjob-controller")
        self.cronjobs = ctx.informer("batch", "v1", "cronjobs")
        self.jobs = ctx.informer("batch", "v1", "jobs")
        self.cronjobs.add_event_handler(on_add=self.enqueue, on_update=self._update_cronjob, on_delete=self.enqueue)
        self.jobs.add_event_handler(on_add=self._job_changed, on_update=self._update_job, on_delete=self._job_changed)

    # -- event handlers ----------------------------------------------------------------------------------------------

    def _resolve(self, namespace: str, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if ref is None or ref.get("kind") != "CronJob":
            return None
        cj = self.cronjobs.get(f"{namespace}/{ref.get('name', '')}")
        if cj is None or cj["metadata"].get("uid") != ref.get("uid"):
            return None
        return cj

    def _job_changed(self, job: dict[str, Any]) -> None:
        cj = self._resolve(job["metadata"].get("namespace", ""), get_controller_of(job))
        if cj is not None:
            self.enqueue(cj)

    def _update_job(self, old: dict[str, Any], cur: dict[str, Any]) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        old_ref, cur_ref = get_controller_of(old), get_controller_of(cur)
        if old_ref != cur_ref and old_ref is not None:
            cj = self._resolve(old["metadata"].get("namespace", ""), old_ref)
            if cj is not None:
                self.enqueue(cj)
        self._job_changed(cur)

    def _update_cronjob(self, old: dict[str, Any], cur: dict[str, Any]) -> None:
        ospec, cspec = old.get("spec") or {}, cur.get("spec") or {}
        if ospec.get("schedule") != cspec.get("schedule") or ospec.get("timeZone") != cspec.get("timeZone"):
            # A new schedule: look again at its next start (a sooner one replaces the pending wake-up).
            try:
                schedule = parse_schedule(format_schedule(cur)[0])
            except ScheduleError as e:
                self.recorder.event(cur, "Warning", "UnParseableCronJobSchedule",
                                    f"unparseable schedule for cronjob: {cspec.get('schedule', '')}")
                log.debug("cronjob %s: %s", object_key(cur), e)
                return
            self.enqueue_after(cur, self._next_delay(cur, schedule, self.now()))
            return
        self.enqueue(cur)

    # -- sync --------------------------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        """Reconcile CronJob ``key`` (see the module docstring); requeues itself for its next start."""
        cached = self.cronjobs.get(key)
        if cached is None:
            return
        cj = copy.deepcopy(cached)
        cj.setdefault("status", {})
        ns, name = cj["metadata"].get("namespace", ""), cj["metadata"]["name"]
        jobs = [j for j in self.jobs.by_index("namespace", ns)
                if (ref := get_controller_of(j)) is not None and ref.get("name") == name]
        update = await self._cleanup_finished(cj, jobs)
        cj, requeue, changed, error = await self._sync_cronjob(cj, jobs)
        if update or changed:
            clean = copy.deepcopy(cj)
            status = clean.setdefault("status", {})
            if not status.get("active"):
                status.pop("active", None)
            await self.client.update(resource_path("batch", "v1", "cronjobs", ns, name, "status"), clean)
        if requeue is not None:
            self.enqueue_after(key, max(requeue, 0.0))
            return
        if error is not None:
            raise error

    async def _cleanup_finished(self, cj: dict[str, Any], jobs: list[dict[str, Any]]) -> bool:
        changed = False
        for job in jobs_to_remove(cj, jobs):
            if await self._delete_job(cj, job):
                changed = True
        return changed

    async def _delete_job(self, cj: dict[str, Any], job: dict[str, Any]) -> bool:
        """Delete ``job`` (its pods in the background) and drop it from ``status.active``."""
        m = job["metadata"]
        try:
            await self.client.delete(resource_path("batch", "v1", "jobs", m.get("namespace", ""), m["name"]),
                                     {"apiVersion": "v1", "kind": "DeleteOptions",
                                      "propagationPolicy": "Background"})
        except StatusError as e:
            if e.code != 404:
                self.recorder.event(cj, "Warning", "FailedDelete", f"Deleted job: {e.message}")
                log.warning("cronjob %s: deleting job %s: %s", object_key(cj), m["name"], e)
                return False
        _remove_active(cj, m.get("uid", ""))
        self.recorder.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {m['name']}")
        return True

    async def _get_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return await self.client.get(resource_path("batch", "v1", "jobs", namespace, name))
        except StatusError as e:
            if e.code == 404:
                return None
            raise

    async def _sync_cronjob(self, cj: dict[str, Any], jobs: list[dict[str, Any]]
                            ) -> tuple[dict[str, Any], float | None, bool, BaseException | None]:
        """The scheduling step.  Returns (cronjob with new status, seconds until the next look or None, whether
        status changed, error to retry with)."""
        now = self.now()
        status = cj["status"]
        changed = False
        children: set[str] = set()
        for job in jobs:
            uid = job["metadata"].get("uid", "")
            children.add(uid)
            found = _in_active(cj, uid)
            if not found and not is_job_finished(job):
                fresh = await self.client.get(resource_path("batch", "v1", "cronjobs",
                                                            cj["metadata"].get("namespace", ""),
                                                            cj["metadata"]["name"]))
                if _in_active(fresh, uid):
                    cj = fresh
                    cj.setdefault("status", {})
                    status = cj["status"]
                    continue
                self.recorder.event(cj, "Warning", "UnexpectedJob",
                                    f"Saw a job that the controller did not create or forgot: {job['metadata']['name']}")
            elif found and is_job_finished(job):
                _remove_active(cj, uid)
                self.recorder.event(cj, "Normal", "SawCompletedJob",
                                    f"Saw completed job: {job['metadata']['name']}, "
                                    f"status: {finished_condition_type(job)}")
                changed = True
            elif is_job_succeeded(job):
                # A successful Job need not be active for its completion to count.
                done = parse_time((job.get("status") or {}).get("completionTime"))
                last = parse_time(status.get("lastSuccessfulTime"))
                if done is not None and (last is None or done > last):
                    status["lastSuccessfulTime"] = format_time(done)
                    changed = True
        for ref in list(status.get("active") or ()):
            if ref.get("uid") in children:
                continue
            # The informer may lag: ask the API before declaring the Job gone.
            if await self._get_job(ref.get("namespace", ""), ref.get("name", "")) is None:
                self.recorder.event(cj, "Normal", "MissingJob", f"Active job went missing: {ref.get('name', '')}")
                _remove_active(cj, ref.get("uid", ""))
                changed = True

        spec = cj.get("spec") or {}
        if cj["metadata"].get("deletionTimestamp"):
            return cj, None, changed, None
        tz = spec.get("timeZone")
        if tz is not None:
            try:
                load_location(tz)
            except ScheduleError as e:
                self.recorder.event(cj, "Warning", "UnknownTimeZone", f"invalid timeZone: {_q(tz)}: {e}")
                return cj, None, changed, None
        if spec.get("suspend"):
            return cj, None, changed, None
        text, unsupported = format_schedule(cj)
        if unsupported:
            self.recorder.event(cj, "Warning", "UnsupportedSchedule",
                                f"CRON_TZ or TZ used in schedule {_q(text)} is not officially supported, see "
                                "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more "
                                "details")
        try:
            schedule = parse_schedule(text)
        except ScheduleError as e:
            self.recorder.event(cj, "Warning", "UnparseableSchedule",
                                f"unparseable schedule: {_q(spec.get('schedule', ''))} : {e}")
            return cj, None, changed, None
        created = _dt(cj["metadata"].get("creationTimestamp")) or now
        last = _dt(status.get("lastScheduleTime"))
        try:
            found = most_recent_schedule_time(schedule, now, created=created, last_scheduled=last,
                                              starting_deadline=spec.get("startingDeadlineSeconds"),
                                              include_deadline=True)
        except ScheduleError as e:
            self.recorder.event(cj, "Warning", "InvalidSchedule",
                                f"invalid schedule: {spec.get('schedule', '')} : {e}")
            return cj, None, changed, None
        scheduled = found.most_recent
        if scheduled is not None and found.missed is Missed.MANY:
            self.recorder.event(cj, "Warning", "TooManyMissedTimes",
                                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or "
                                "check clock skew")
            log.info("cronjob %s: too many missed times", object_key(cj))
        if scheduled is None or scheduled > now:
            return cj, self._next_delay(cj, schedule, now), changed, None
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and (scheduled.timestamp() + deadline) < now.timestamp():
            self.recorder.event(cj, "Warning", "MissSchedule",
                                f"Missed scheduled time to start a job: {format_datetime(scheduled)}")
            return cj, self._next_delay(cj, schedule, now), changed, None
        name = job_name(cj["metadata"]["name"], scheduled)
        if any(r.get("name") == name for r in status.get("active") or ()) or last == scheduled:
            return cj, self._next_delay(cj, schedule, now), changed, None
        policy = spec.get("concurrencyPolicy", "Allow")
        if policy == "Forbid" and status.get("active"):
            self.recorder.event(cj, "Normal", "JobAlreadyActive",
                                "Not starting job because prior execution is running and concurrency policy is "
                                "Forbid")
            return cj, self._next_delay(cj, schedule, now), changed, None
        if policy == "Replace":
            for ref in list(status.get("active") or ()):
                try:
                    job = await self._get_job(ref.get("namespace", ""), ref.get("name", ""))
                except StatusError as e:
                    self.recorder.event(cj, "Warning", "FailedGet", f"Get job: {e.message}")
                    return cj, None, changed, e
                if job is None:
                    self.recorder.event(cj, "Warning", "FailedGet",
                                        f'Get job: jobs.batch "{ref.get("name", "")}" not found')
                    return cj, None, changed, RuntimeError(f"job {ref.get('name')} not found")
                if not await self._delete_job(cj, job):
                    return cj, None, changed, RuntimeError(
                        f"could not replace job {job['metadata'].get('namespace')}/{job['metadata']['name']}")
                changed = True

        try:
            body = job_from_template(cj, scheduled)
        except ScheduleError as e:
            return cj, None, changed, e
        ns = cj["metadata"].get("namespace", "")
        try:
            created_job = await self.client.create(resource_path("batch", "v1", "jobs", ns), body)
            self.recorder.event(cj, "Normal", "SuccessfulCreate", f"Created job {created_job['metadata']['name']}")
        except StatusError as e:
            if is_already_exists(e):
                # Created earlier by us (crash before the status write) or by someone else.
                existing = await self._get_job(ns, name)
                if existing is None:
                    return cj, None, changed, e
                ref = get_controller_of(existing)
                if ref is None or ref.get("uid") != cj["metadata"].get("uid") or \
                        _in_active(cj, existing["metadata"].get("uid", "")):
                    return cj, None, changed, None
                created_job = existing
            else:
                if not any(c.get("type") == "NamespaceTerminating"
                           for c in (e.details or {}).get("causes") or ()):
                    self.recorder.event(cj, "Warning", "FailedCreate", f"Error creating job: {e.message}")
                return cj, None, changed, e
        status.setdefault("active", []).append(_object_reference(created_job))
        status["lastScheduleTime"] = format_time(scheduled.timestamp())
        return cj, self._next_delay(cj, schedule, now), True, None

    def _next_delay(self, cj: dict[str, Any], schedule: Schedule, now: datetime) -> float:
        created = _dt(cj["metadata"].get("creationTimestamp")) or now
        last = _dt((cj.get("status") or {}).get("lastScheduleTime"))
        return next_schedule_delay(schedule, now, created=created, last_scheduled=last)


def _in_active(cj: dict[str, Any], uid: str) -> bool:
    return any(r.get("uid") == uid for r in (cj.get("status") or {}).get("active") or ())


def _remove_active(cj: dict[str, Any], uid: str) -> None:
    status = cj.setdefault("status", {})
    status["active"] = [r for r in status.get("active") or () if r.get("uid") != uid]
