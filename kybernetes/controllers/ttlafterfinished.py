"""The TTL-after-finished controller: deletes finished Jobs ``ttlSecondsAfterFinished`` seconds after they finish.

A Job is due when it has a TTL, is finished (``Complete`` or ``Failed`` True) and its finish time (that
condition's ``lastTransitionTime``) plus the TTL has passed.  A Job not yet due is looked at again when it will
be.  Before deleting, the Job is read fresh from the API and checked again (its TTL may have just changed), then
deleted with foreground propagation (its pods go first) and a uid precondition, so a new Job of the same name is
never touched.  A finish time in the future (clock skew) simply defers the deletion.

"Now" comes from ``ctx.options["ttl_clock"]`` (epoch seconds) when given.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import Controller, ControllerContext
from kybernetes.controllers.job_util import COND_COMPLETE, COND_FAILED, is_job_finished, parse_time
from kybernetes.machinery.errors import StatusError

__all__ = ["TTLAfterFinishedController", "needs_cleanup", "time_left"]

log = logging.getLogger(__name__)


def needs_cleanup(job: dict[str, Any]) -> bool:
    """The Job has a TTL and is finished."""
    return (job.get("spec") or {}).get("ttlSecondsAfterFinished") is not None and is_job_finished(job)


def _finish_time(job: dict[str, Any]) -> float:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in (COND_COMPLETE, COND_FAILED) and c.get("status") == "True":
            t = parse_time(c.get("lastTransitionTime"))
            if t is None:
                raise ValueError(f"unable to find the time when the Job {_name(job)} finished")
            return t
    raise ValueError(f"unable to find the status of the finished Job {_name(job)}")


def _name(job: dict[str, Any]) -> str:
    m = job.get("metadata") or {}
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


def time_left(job: dict[str, Any], now: float) -> tuple[float, float]:
    """(seconds until the Job expires, when it expires) for a Job that ``needs_cleanup``; raises ValueError
    when the finish time cannot be found.  Pure."""
    finished = _finish_time(job)
    if finished > now:
        log.info("Warning: Found Job finished in the future. This is likely due to time skew in the cluster. "
                 "Job cleanup will be deferred. job=%s", _name(job))
    expire = finished + float(job["spec"]["ttlSecondsAfterFinished"])
    return expire - now, expire


class TTLAfterFinishedController(Controller):
    """Deletes finished Jobs whose TTL has run out (see the module docstring)."""

    name = "ttl-after-finished"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.now: Callable[[], float] = ctx.options.get("ttl_clock") or time.time
        self.jobs = ctx.informer("batch", "v1", "jobs")
        self.jobs.add_event_handler(on_add=self._changed, on_update=lambda old, new: self._changed(new))

    def _changed(self, job: dict[str, Any]) -> None:
        if not (job.get("metadata") or {}).get("deletionTimestamp") and needs_cleanup(job):
            self.enqueue(job)

    def _expired(self, job: dict[str, Any]) -> bool:
        """Whether ``job`` is due now; when it will be due later, look again then."""
        if (job.get("metadata") or {}).get("deletionTimestamp") or not needs_cleanup(job):
            return False
        left, _ = time_left(job, self.now())
        if left <= 0:
            return True
        self.enqueue_after(job, left)
        return False

    async def sync(self, key: str) -> None:
        """Delete Job ``key`` if its TTL has expired (checked against the cache, then against a fresh read)."""
        job = self.jobs.get(key)
        if job is None or not self._expired(job):
            return
        ns, _, name = key.partition("/")
        try:
            fresh = await self.client.get(resource_path("batch", "v1", "jobs", ns, name))
        except StatusError as e:
            if e.code == 404:
                return
            raise
        fresh.setdefault("apiVersion", "batch/v1")
        fresh.setdefault("kind", "Job")
        if not self._expired(fresh):
            return
        log.debug("ttl-after-finished: cleaning up Job %s", key)
        try:
            await self.client.delete(resource_path("batch", "v1", "jobs", ns, name),
                                     {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground",
                                      "preconditions": {"uid": fresh["metadata"]["uid"]}})
        except StatusError as e:
            if e.code != 404:
                raise
