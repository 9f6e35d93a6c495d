"""TTL-after-finished controller: expiry math (pure) and deletion of finished Jobs on a real API server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers.job import JobController
from kybernetes.controllers.ttlafterfinished import TTLAfterFinishedController, needs_cleanup, time_left
from tests.unit.controllers.conftest import running

FAST = {"job_backoff_base": 0.2, "job_sync_batch_period": 0.05}


def finished_job(ttl: int | None, ctype: str = "Complete", at: str = "2024-01-01T00:00:00Z") -> dict[str, Any]:
    spec = {} if ttl is None else {"ttlSecondsAfterFinished": ttl}
    return {"metadata": {"name": "j", "namespace": "ns"}, "spec": spec,
            "status": {"conditions": [{"type": "SuccessCriteriaMet", "status": "True",
                                       "lastTransitionTime": "2023-12-31T23:59:00Z"},
                                      {"type": ctype, "status": "True", "lastTransitionTime": at}]}}


@pytest.mark.parametrize("job,expect", [
    (finished_job(10), True),
    (finished_job(10, "Failed"), True),
    (finished_job(None), False),
    (finished_job(10, "SuccessCriteriaMet"), False),
], ids=["complete", "failed", "no-ttl", "only-interim-condition"])
def test_needs_cleanup(job, expect):
    assert needs_cleanup(job) is expect


def test_time_left_counts_from_the_terminal_condition():
    job = finished_job(100)
    finished = 1704067200.0  # 2024-01-01T00:00:00Z
    assert time_left(job, finished + 30) == (70.0, finished + 100)
    assert time_left(job, finished + 150)[0] == -50.0
    assert time_left(job, finished - 10)[0] == 110.0  # finished "in the future": wait longer, never early


def job_body(name: str, ttl: int) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"ttlSecondsAfterFinished": ttl, "template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}


async def _deleted(env, name: str) -> bool:
    try:
        job = await env.client.get(resource_path("batch", "v1", "jobs", env.ns, name))
    except Exception as e:  # noqa: BLE001
        return getattr(e, "code", None) == 404
    # Foreground deletion: the Job waits (finalizer foregroundDeletion) for the garbage collector.
    return bool(job["metadata"].get("deletionTimestamp"))


async def test_finished_job_is_deleted_after_its_ttl(kyb):
    offset = {"s": 0.0}
    opts = {**FAST, "ttl_clock": lambda: time.time() + offset["s"]}
    async with running(kyb, JobController, TTLAfterFinishedController, nodes=2, options=opts) as env:
        jobs = resource_path("batch", "v1", "jobs", env.ns)
        await env.client.create(jobs, job_body("now", 0))
        await env.client.create(jobs, job_body("later", 3600))
        await env.until(lambda: _deleted(env, "now"), timeout=20)
        ttl = next(c for c in env.controllers if isinstance(c, TTLAfterFinishedController))
        await env.until(lambda: needs_cleanup(ttl.jobs.get(f"{env.ns}/later") or {}))
        await ttl.sync(f"{env.ns}/later")
        assert not await _deleted(env, "later")
        offset["s"] = 3700.0
        await ttl.sync(f"{env.ns}/later")
        assert await _deleted(env, "later")
