"""Job controller: pure pieces (indexes, policies, back-off) and runs against a real API server with sim nodes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers.job import JobController
from kybernetes.controllers.job_pods import deletion_order, first_pending_indexes, pods_for_removal
from kybernetes.controllers.job_indexes import (COMPLETION_INDEX_ANNOTATION, Intervals, add_completion_index_env,
                                                pod_generate_name)
from kybernetes.controllers.job_policy import (BackoffRecord, match_pod_failure_policy, match_success_policy,
                                               next_backoff_record, remaining_backoff)
from kybernetes.controllers.job_util import JOB_TRACKING_FINALIZER, clean_status, ensure_condition, pod_finish_time
from tests.unit.controllers.conftest import running

FAST = {"job_backoff_base": 0.2, "job_sync_batch_period": 0.05}


# -- builders ----------------------------------------------------------------------------------------------------------

def job_body(name: str, *, completions: int | None = 1, parallelism: int = 1, annotations: dict | None = None,
             **spec: Any) -> dict[str, Any]:
    template: dict[str, Any] = {
        "metadata": {"annotations": dict(annotations or {})},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]},
    }
    body_spec: dict[str, Any] = {"parallelism": parallelism, "template": template, **spec}
    if completions is not None:
        body_spec["completions"] = completions
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": body_spec}


def failed_pod(name: str = "p", *, exit_code: int = 1, container: str = "c", conditions: list | None = None,
               finished: str = "2024-01-01T00:00:10Z") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "annotations": {}},
            "status": {"phase": "Failed", "conditions": conditions or [],
                       "containerStatuses": [{"name": container, "state": {"terminated": {
                           "exitCode": exit_code, "finishedAt": finished}}}]}}


def jobs_path(ns: str, name: str = "", sub: str = "") -> str:
    return resource_path("batch", "v1", "jobs", ns, name, sub)


async def get_job(env, name: str) -> dict[str, Any]:
    return await env.client.get(jobs_path(env.ns, name))


def condition(job: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c["type"] == ctype:
            return c
    return None


async def wait_condition(env, name: str, ctype: str, timeout: float = 20.0) -> dict[str, Any]:
    last: dict[str, Any] = {}

    async def check():
        job = last["job"] = await get_job(env, name)
        c = condition(job, ctype)
        return job if c is not None and c["status"] == "True" else None
    try:
        return await env.until(check, timeout=timeout)
    except AssertionError:
        pods = [(p["metadata"]["name"], p["status"].get("phase"), p["metadata"].get("finalizers"))
                for p in await env.pods()]
        raise AssertionError(f"{name} never got {ctype}: status {last.get('job', {}).get('status')}, pods {pods}")


class PodWatch:
    """Follows the pods of a namespace through a watch: max concurrent active pods, creation times."""

    def __init__(self, env) -> None:
        self.env = env
        self.pods: dict[str, dict[str, Any]] = {}
        self.max_active = 0
        self.added: list[tuple[float, str]] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> PodWatch:
        listing = await self.env.client.list(resource_path("", "v1", "pods", self.env.ns))
        rv = listing["metadata"]["resourceVersion"]
        self._task = asyncio.create_task(self._run(rv))
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self, rv: str) -> None:
        async for ev in self.env.client.watch(resource_path("", "v1", "pods", self.env.ns),
                                              {"resourceVersion": rv, "timeoutSeconds": 120}):
            pod = ev["object"]
            name = pod["metadata"]["name"]
            if ev["type"] == "ADDED":
                self.added.append((time.monotonic(), name))
            if ev["type"] == "DELETED":
                self.pods.pop(name, None)
            else:
                self.pods[name] = pod
            self.max_active = max(self.max_active, self.active())

    def active(self) -> int:
        return sum(1 for p in self.pods.values() if not p["metadata"].get("deletionTimestamp")
                   and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))


# -- pure: indexes ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,completions,expect", [
    ("", 5, ""),
    ("0,1,2", 5, "0-2"),
    ("1,3-5,7", 10, "1,3-5,7"),
    ("3-9", 6, "3-5"),
    ("1,x,3", 5, "1,3"),
    ("2,7", 5, "2"),
], ids=["empty", "merge-neighbours", "mixed", "cut-at-completions", "corrupt-piece", "out-of-range"])
def test_intervals_parse_and_format(text, completions, expect):
    assert str(Intervals.parse(text, completions)) == expect


def test_intervals_operations():
    iv = Intervals.parse("1,3-5", 10)
    assert iv.total() == 4
    assert [iv.has(i) for i in range(7)] == [False, True, False, True, True, True, False]
    assert str(iv.with_indexes([2, 8, 9])) == "1-5,8,9"
    assert str(iv.merge(Intervals.parse("0,2,6", 10))) == "0-6"
    assert list(iv) == [1, 3, 4, 5]


def test_pod_generate_name_is_cut_to_fit():
    assert pod_generate_name("work", 3) == "work-3-"
    long = "j" * 60
    name = pod_generate_name(long, 12)
    assert len(name) == 58 and name.endswith("-12-")


def test_completion_index_env_is_added_once():
    tmpl = {"spec": {"initContainers": [{"name": "i"}],
                     "containers": [{"name": "a"}, {"name": "b", "env": [{"name": "JOB_COMPLETION_INDEX",
                                                                         "value": "mine"}]}]}}
    add_completion_index_env(tmpl)
    want = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
        "fieldPath": f"metadata.labels['{COMPLETION_INDEX_ANNOTATION}']"}}}
    assert tmpl["spec"]["initContainers"][0]["env"] == [want]
    assert tmpl["spec"]["containers"][0]["env"] == [want]
    assert tmpl["spec"]["containers"][1]["env"] == [{"name": "JOB_COMPLETION_INDEX", "value": "mine"}]


# -- pure: policies -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rules,pod,expect", [
    ([{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1, 2]}}], failed_pod(exit_code=2),
     ("Container c for pod ns/p failed with exit code 2 matching FailJob rule at index 0", True, "FailJob")),
    ([{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}},
      {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [0, 3]}}], failed_pod(exit_code=5),
     (None, True, "Count")),
    ([{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [5]}}], failed_pod(exit_code=5),
     (None, False, "Ignore")),
    ([{"action": "FailJob", "onExitCodes": {"containerName": "other", "operator": "In", "values": [1]}}],
     failed_pod(exit_code=1), (None, True, None)),
    ([{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}],
     failed_pod(conditions=[{"type": "DisruptionTarget", "status": "True"}]), (None, False, "Ignore")),
    ([{"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}],
     failed_pod(conditions=[{"type": "DisruptionTarget", "status": "True"}]),
     ("Pod ns/p has condition DisruptionTarget matching FailJob rule at index 0", True, "FailJob")),
    ([{"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [1]}}], failed_pod(),
     (None, True, "FailIndex")),
    ([{"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [1]}}], failed_pod(exit_code=0),
     (None, True, None)),
], ids=["failjob-exit", "first-match-wins", "ignore", "other-container", "ignore-condition", "failjob-condition",
        "failindex", "exit-zero-never-matches"])
def test_pod_failure_policy(rules, pod, expect):
    m = match_pod_failure_policy({"rules": rules}, pod)
    assert (m.fail_job_message, m.count_failed, m.action) == expect


@pytest.mark.parametrize("rules,succeeded,expect", [
    ([{"succeededIndexes": "0-2"}], "0-2", "Matched rules at index 0"),
    ([{"succeededIndexes": "0-2"}], "0,2", None),
    ([{"succeededIndexes": "0-4", "succeededCount": 2}], "1,3", "Matched rules at index 0"),
    ([{"succeededIndexes": "7"}, {"succeededCount": 3}], "0-2", "Matched rules at index 1"),
    ([{"succeededCount": 3}], "0,1", None),
], ids=["all-required", "missing-one", "count-within-set", "second-rule", "count-short"])
def test_success_policy(rules, succeeded, expect):
    assert match_success_policy({"rules": rules}, 5, Intervals.parse(succeeded, 5)) == expect


def test_backoff_delay_doubles_and_is_capped():
    assert remaining_backoff(0, None, 100.0) == 0
    assert remaining_backoff(1, 100.0, 100.0) == 10
    assert remaining_backoff(3, 100.0, 105.0) == 35
    assert remaining_backoff(20, 100.0, 100.0) == 600
    assert remaining_backoff(2, 100.0, 130.0) == 0


def test_backoff_record_counts_failures_after_last_success():
    def pod(phase: str, finished: str) -> dict[str, Any]:
        return {"metadata": {}, "status": {"phase": phase, "containerStatuses": [
            {"name": "c", "state": {"terminated": {"exitCode": 0, "finishedAt": finished}}}]}}

    r = next_backoff_record(BackoffRecord(), [], [pod("Failed", "2024-01-01T00:00:05Z")])
    assert r.failures_after_last_success == 1
    r = next_backoff_record(r, [], [pod("Failed", "2024-01-01T00:00:07Z"), pod("Failed", "2024-01-01T00:00:06Z")])
    assert r.failures_after_last_success == 3 and r.last_failure_time == pod_finish_time(
        pod("Failed", "2024-01-01T00:00:07Z"))
    r = next_backoff_record(r, [pod("Succeeded", "2024-01-01T00:00:08Z")], [pod("Failed", "2024-01-01T00:00:09Z")])
    assert r.failures_after_last_success == 1
    assert next_backoff_record(r, [pod("Succeeded", "2024-01-01T00:00:10Z")], []) == BackoffRecord()


def test_deletion_order_prefers_cheap_pods():
    unscheduled = {"metadata": {"name": "a"}, "spec": {}, "status": {"phase": "Pending"}}
    pending = {"metadata": {"name": "b"}, "spec": {"nodeName": "n"}, "status": {"phase": "Pending"}}
    running = {"metadata": {"name": "c"}, "spec": {"nodeName": "n"}, "status": {"phase": "Running"}}
    ready = {"metadata": {"name": "d"}, "spec": {"nodeName": "n"},
             "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True",
                                                            "lastTransitionTime": "2024-01-01T00:00:00Z"}]}}
    pods = sorted([ready, running, pending, unscheduled], key=deletion_order)
    assert [p["metadata"]["name"] for p in pods] == ["a", "b", "c", "d"]


def _indexed_pod(name: str, ix: int | None, phase: str = "Running", node: str = "n") -> dict[str, Any]:
    ann = {} if ix is None else {COMPLETION_INDEX_ANNOTATION: str(ix)}
    return {"metadata": {"name": name, "annotations": ann}, "spec": {"nodeName": node},
            "status": {"phase": phase}}


def test_first_pending_indexes_skip_busy_ones():
    job = {"spec": {"completions": 6, "completionMode": "Indexed"}}
    active = [_indexed_pod("a", 1)]
    got = first_pending_indexes(job, active, active, Intervals.parse("0", 6), Intervals.parse("3", 6), 3)
    assert got == [2, 4, 5]
    assert first_pending_indexes(job, active, active, Intervals.parse("0", 6), None, 1) == [2]


def test_pods_for_removal_takes_bad_and_duplicate_indexes_first():
    job = {"spec": {"completions": 3, "completionMode": "Indexed"}}
    pods = [_indexed_pod("keep-0", 0), _indexed_pod("dup-0", 0, phase="Pending"), _indexed_pod("none", None),
            _indexed_pod("too-big", 5), _indexed_pod("keep-1", 1)]
    assert sorted(p["metadata"]["name"] for p in pods_for_removal(job, pods, 0)) == ["dup-0", "none", "too-big"]
    assert len(pods_for_removal(job, pods, 4)) == 4
    plain = {"spec": {"completions": 3}}
    assert [p["metadata"]["name"] for p in pods_for_removal(plain, pods, 1)] == ["dup-0"]


def test_condition_helpers_and_status_cleaning():
    conds: list = []
    assert not ensure_condition(conds, "Suspended", "False", "JobResumed", "Job resumed", 0)
    assert ensure_condition(conds, "Suspended", "True", "JobSuspended", "Job suspended", 0)
    assert not ensure_condition(conds, "Suspended", "True", "JobSuspended", "Job suspended", 5)
    assert ensure_condition(conds, "Suspended", "False", "JobResumed", "Job resumed", 5)
    assert conds == [{"type": "Suspended", "status": "False", "reason": "JobResumed", "message": "Job resumed",
                      "lastProbeTime": "1970-01-01T00:00:05Z", "lastTransitionTime": "1970-01-01T00:00:05Z"}]
    st = clean_status({"active": 0, "succeeded": 2, "failed": 0, "ready": 0, "terminating": 0,
                       "uncountedTerminatedPods": {"succeeded": [], "failed": ["u"]}, "completedIndexes": ""})
    assert st == {"succeeded": 2, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {"failed": ["u"]}}


# -- against the API server ---------------------------------------------------------------------------------------------

async def test_completions_with_parallelism_limit(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        async with PodWatch(env) as watch:
            await env.client.create(jobs_path(env.ns), job_body("work", completions=5, parallelism=2))
            job = await wait_condition(env, "work", "Complete")
        assert watch.max_active == 2
        status = job["status"]
        assert status["succeeded"] == 5 and "failed" not in status and "active" not in status
        assert status["ready"] == 0 and status["terminating"] == 0
        assert status["uncountedTerminatedPods"] == {}
        assert status["completionTime"] and status["startTime"]
        met = condition(job, "SuccessCriteriaMet")
        complete = condition(job, "Complete")
        assert met["reason"] == complete["reason"] == "CompletionsReached"
        assert complete["message"] == "Reached expected number of succeeded pods"
        pods = await env.pods()
        assert len(pods) == 5
        assert all(p["status"]["phase"] == "Succeeded" for p in pods)
        assert all(JOB_TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or []) for p in pods)
        assert all(p["metadata"]["generateName"] == "work-" for p in pods)
        assert all(p["metadata"]["ownerReferences"][0]["kind"] == "Job" for p in pods)


async def test_failing_job_backs_off_and_hits_backoff_limit(kyb):
    opts = {**FAST, "job_backoff_base": 1.0}
    async with running(kyb, JobController, nodes=2, options=opts) as env:
        async with PodWatch(env) as watch:
            await env.client.create(jobs_path(env.ns), job_body(
                "flaky", backoffLimit=2, annotations={"sim.kybernetes.io/fail": "true"}))
            job = await wait_condition(env, "flaky", "Failed", timeout=30)
        target = condition(job, "FailureTarget")
        failed = condition(job, "Failed")
        assert target["reason"] == failed["reason"] == "BackoffLimitExceeded"
        assert failed["message"] == "Job has reached the specified backoff limit"
        assert job["status"]["failed"] == 3 and "succeeded" not in job["status"]
        assert "completionTime" not in job["status"]
        assert len(watch.added) == 3
        # The third pod waits out a 2 s back-off (1 s base doubled), less the finish time's second truncation.
        (t1, _), (t2, _), (t3, _) = watch.added
        assert t3 - t2 >= 1.2

        async def warned():
            events = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
            return any(e["reason"] == "BackoffLimitExceeded" and e["type"] == "Warning" for e in events)
        await env.until(warned)


async def test_indexed_job_gives_each_pod_its_index(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        body = job_body("idx", completions=3, parallelism=3, completionMode="Indexed")
        body["spec"]["template"]["spec"]["subdomain"] = "workers"
        await env.client.create(jobs_path(env.ns), body)
        job = await wait_condition(env, "idx", "Complete")
        assert job["status"]["completedIndexes"] == "0-2"
        assert job["status"]["succeeded"] == 3
        pods = sorted(await env.pods(), key=lambda p: int(p["metadata"]["annotations"][COMPLETION_INDEX_ANNOTATION]))
        assert len(pods) == 3
        for i, p in enumerate(pods):
            meta, spec = p["metadata"], p["spec"]
            assert meta["annotations"][COMPLETION_INDEX_ANNOTATION] == str(i)
            assert meta["labels"][COMPLETION_INDEX_ANNOTATION] == str(i)
            assert meta["generateName"] == f"idx-{i}-"
            assert spec["hostname"] == f"idx-{i}" and spec["subdomain"] == "workers"
            env_var = spec["containers"][0]["env"][0]
            assert env_var["name"] == "JOB_COMPLETION_INDEX"
            assert env_var["valueFrom"]["fieldRef"]["fieldPath"] == \
                f"metadata.labels['{COMPLETION_INDEX_ANNOTATION}']"


async def test_active_deadline_fails_the_job_and_stops_its_pods(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body(
            "slow", parallelism=2, completions=2, activeDeadlineSeconds=1,
            annotations={"sim.kybernetes.io/run-seconds": "120"}))
        job = await wait_condition(env, "slow", "Failed", timeout=20)
        assert condition(job, "FailureTarget")["reason"] == "DeadlineExceeded"
        assert condition(job, "Failed")["message"] == "Job was active longer than specified deadline"
        assert "active" not in job["status"] and job["status"]["terminating"] == 0
        pods = await env.pods()
        assert all(p["metadata"].get("deletionTimestamp") or p["status"]["phase"] in ("Succeeded", "Failed")
                   for p in pods)
        assert all(JOB_TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or []) for p in pods)


async def test_suspend_resume_and_suspend_again(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body(
            "sleepy", parallelism=2, completions=2, suspend=True,
            annotations={"sim.kybernetes.io/run-seconds": "120"}))
        job = await wait_condition(env, "sleepy", "Suspended")
        assert condition(job, "Suspended")["reason"] == "JobSuspended"
        assert "startTime" not in job["status"]
        assert await env.pods() == []

        await env.client.patch(jobs_path(env.ns, "sleepy"), {"spec": {"suspend": False}})

        async def resumed():
            j = await get_job(env, "sleepy")
            c = condition(j, "Suspended")
            return j if c["status"] == "False" and j["status"].get("active") == 2 else None
        job = await env.until(resumed)
        assert condition(job, "Suspended")["reason"] == "JobResumed" and job["status"]["startTime"]

        await env.until(lambda: _count_running(env, 2))
        await env.client.patch(jobs_path(env.ns, "sleepy"), {"spec": {"suspend": True}})

        async def suspended():
            j = await get_job(env, "sleepy")
            return j if condition(j, "Suspended")["status"] == "True" and not j["status"].get("active") else None
        job = await env.until(suspended)
        assert "failed" not in job["status"]  # pods deleted on purpose are not failures
        await env.until(lambda: _no_active_pods(env))

        async def recorded():
            events = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
            return {"Suspended", "Resumed", "SuccessfulCreate", "SuccessfulDelete"} <= {e["reason"] for e in events}
        await env.until(recorded)


async def _count_running(env, n: int) -> bool:
    return sum(1 for p in await env.pods() if p["status"].get("phase") == "Running") == n


async def _no_active_pods(env) -> bool:
    return all(p["metadata"].get("deletionTimestamp") or p["status"].get("phase") in ("Succeeded", "Failed")
               for p in await env.pods())


async def test_pod_failure_policy_fail_job(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body(
            "pfp", backoffLimit=5, annotations={"sim.kybernetes.io/fail": "true"},
            podFailurePolicy={"rules": [{"action": "FailJob",
                                         "onExitCodes": {"operator": "In", "values": [1]}}]}))
        job = await wait_condition(env, "pfp", "Failed")
        pods = await env.pods()
        assert len(pods) == 1
        failed = condition(job, "Failed")
        assert failed["reason"] == "PodFailurePolicy"
        assert failed["message"] == (f"Container c for pod {env.ns}/{pods[0]['metadata']['name']} failed with exit "
                                     "code 1 matching FailJob rule at index 0")
        assert condition(job, "FailureTarget")["message"] == failed["message"]
        assert job["status"]["failed"] == 1


async def test_pod_failure_policy_ignore_does_not_count(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body(
            "ign", backoffLimit=0, annotations={"sim.kybernetes.io/fail": "true"},
            podFailurePolicy={"rules": [{"action": "Ignore",
                                         "onExitCodes": {"operator": "In", "values": [1]}}]}))

        async def three_failed():
            return sum(1 for p in await env.pods() if p["status"].get("phase") == "Failed") >= 3
        await env.until(three_failed, timeout=20)
        job = await get_job(env, "ign")
        assert "failed" not in job["status"]
        assert condition(job, "Failed") is None and condition(job, "FailureTarget") is None
        await env.client.delete(jobs_path(env.ns, "ign"))


async def test_backoff_limit_per_index_fails_indexes(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body(
            "per", completions=2, parallelism=2, completionMode="Indexed", backoffLimitPerIndex=1,
            annotations={"sim.kybernetes.io/fail": "true"}))
        job = await wait_condition(env, "per", "Failed", timeout=30)
        assert condition(job, "Failed")["reason"] == "FailedIndexes"
        assert condition(job, "Failed")["message"] == "Job has failed indexes"
        assert job["status"]["failedIndexes"] == "0,1"
        assert job["status"]["failed"] == 4
        counts = sorted((p["metadata"]["annotations"][COMPLETION_INDEX_ANNOTATION],
                         p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"])
                        for p in await env.pods())
        assert counts == [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")]


async def test_success_policy_ends_the_job_early(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body(
            "early", completions=3, parallelism=1, completionMode="Indexed",
            successPolicy={"rules": [{"succeededCount": 1}]}))
        job = await wait_condition(env, "early", "Complete")
        for ctype in ("SuccessCriteriaMet", "Complete"):
            c = condition(job, ctype)
            assert (c["reason"], c["message"]) == ("SuccessPolicy", "Matched rules at index 0")
        assert job["status"]["completedIndexes"] == "0"
        assert len(await env.pods()) == 1


class _StripFails(JobController):
    """Crashes every time it tries to remove a tracking finalizer (after the uncounted uids were written)."""

    async def _remove_finalizer(self, pod):
        raise RuntimeError("injected crash before the finalizer is removed")


class _CountWriteFails(JobController):
    """Crashes on every status write once it has removed a finalizer: the uncounted uids stay in the status
    while their pods no longer hold the finalizer."""

    stripped = False

    async def _remove_tracking_finalizers(self, key, pods):
        result = await super()._remove_tracking_finalizers(key, pods)
        self.stripped = True
        return result

    async def _update_status(self, job):
        if self.stripped:
            raise RuntimeError("injected crash before the counters are written")
        return await super()._update_status(job)


async def _switch_to_fresh_controller(env) -> None:
    await env.controllers[0].stop()
    fresh = JobController(env.ctx)
    env.controllers.append(fresh)
    await fresh.start()


def _uncounted(job: dict[str, Any]) -> list[str]:
    return job["status"].get("uncountedTerminatedPods", {}).get("succeeded") or []


def _tracked(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in pods if JOB_TRACKING_FINALIZER in (p["metadata"].get("finalizers") or [])]


@pytest.mark.parametrize("crashing,stuck", [
    (_StripFails, lambda job, pods: len(_uncounted(job)) == 3 and len(_tracked(pods)) == 3),
    (_CountWriteFails, lambda job, pods: _uncounted(job) and "succeeded" not in job["status"]
     and not {p["metadata"]["uid"] for p in _tracked(pods)} & set(_uncounted(job))),
], ids=["crash-before-finalizer-removal", "crash-before-counting"])
async def test_restart_mid_tracking_never_double_counts(kyb, crashing, stuck):
    async with running(kyb, crashing, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body("once", completions=3, parallelism=3))

        async def stuck_with_uncounted():
            return stuck(await get_job(env, "once"), await env.pods())
        await env.until(stuck_with_uncounted)
        await _switch_to_fresh_controller(env)
        job = await wait_condition(env, "once", "Complete")
        assert job["status"]["succeeded"] == 3
        assert job["status"]["uncountedTerminatedPods"] == {}
        assert len(await env.pods()) == 3


async def test_restart_mid_job_finishes_with_exact_counts(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body("long", completions=6, parallelism=2))

        async def some_done():
            return (await get_job(env, "long"))["status"].get("succeeded", 0) >= 2
        await env.until(some_done)
        await _switch_to_fresh_controller(env)
        job = await wait_condition(env, "long", "Complete")
        assert job["status"]["succeeded"] == 6
        pods = await env.pods()
        assert len(pods) == 6 and all(p["status"]["phase"] == "Succeeded" for p in pods)


async def test_deleted_job_releases_pod_finalizers(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        await env.client.create(jobs_path(env.ns), job_body(
            "gone", annotations={"sim.kybernetes.io/run-seconds": "120"}))
        await env.until(lambda: _count_running(env, 1))
        await env.client.delete(jobs_path(env.ns, "gone"))

        async def released():
            pods = await env.pods()
            return pods and all(JOB_TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or []) for p in pods)
        await env.until(released)


async def test_adopts_orphan_pod_and_tracks_it(kyb):
    async with running(kyb, JobController, nodes=2, options=FAST) as env:
        orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orphan", "labels": {"app": "adopt"}},
                  "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}
        await env.client.create(resource_path("", "v1", "pods", env.ns), orphan)
        body = job_body("adopt", manualSelector=True, selector={"matchLabels": {"app": "adopt"}})
        body["spec"]["template"]["metadata"]["labels"] = {"app": "adopt"}
        await env.client.create(jobs_path(env.ns), body)
        job = await wait_condition(env, "adopt", "Complete")
        assert job["status"]["succeeded"] == 1
        pods = await env.pods()
        assert [p["metadata"]["name"] for p in pods] == ["orphan"]
        assert pods[0]["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]
        assert JOB_TRACKING_FINALIZER not in (pods[0]["metadata"].get("finalizers") or [])
