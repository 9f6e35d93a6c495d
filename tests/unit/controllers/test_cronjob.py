"""CronJob controller: schedule math with a fake clock (pure), and runs against a real API server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers.cronjob import (SCHEDULED_TIMESTAMP_ANNOTATION, CronJobController, format_schedule,
                                            job_from_template, jobs_to_remove)
from kybernetes.controllers.cronjob_schedule import (CronSchedule, EverySchedule, Missed, ScheduleError, job_name,
                                                     most_recent_schedule_time, next_schedule_delay, parse_schedule)
from kybernetes.controllers.job import JobController
from kybernetes.controllers.job_util import parse_time
from tests.unit.controllers.conftest import running

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


class FakeClock:
    """Wall-clock stand-in for the controller: only moves when told."""

    def __init__(self, now: datetime) -> None:
        self.t = now

    def __call__(self) -> datetime:
        return self.t


# -- pure: parsing ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,after,expect", [
    ("* * * * *", "2024-01-01T10:00:00", "2024-01-01T10:01:00"),
    ("* * * * *", "2024-01-01T10:00:59.700000", "2024-01-01T10:01:00"),
    ("*/15 * * * ?", "2024-01-01T10:00:00", "2024-01-01T10:15:00"),
    ("@hourly", "2024-01-01T10:30:00", "2024-01-01T11:00:00"),
    ("@daily", "2024-01-01T10:30:00", "2024-01-02T00:00:00"),
    ("@weekly", "2024-01-01T10:30:00", "2024-01-07T00:00:00"),
    ("@yearly", "2024-03-01T00:00:00", "2025-01-01T00:00:00"),
    ("0 9 * * MON-FRI", "2024-01-05T09:00:00", "2024-01-08T09:00:00"),
    ("0 0 1 JAN *", "2024-01-01T00:00:00", "2025-01-01T00:00:00"),
    ("TZ=America/New_York 0 9 * * *", "2024-01-01T00:00:00", "2024-01-01T14:00:00"),
    ("CRON_TZ=Asia/Tokyo 0 9 * * *", "2024-01-01T00:00:00", "2024-01-02T00:00:00"),
    ("@every 90s", "2024-01-01T10:00:00.500000", "2024-01-01T10:01:30"),
    ("@every 1h30m", "2024-01-01T10:00:00", "2024-01-01T11:30:00"),
], ids=lambda v: v if isinstance(v, str) and ("*" in v or "@" in v) else None)
def test_next_start(spec, after, expect):
    assert parse_schedule(spec).next(at(after)) == at(expect)


@pytest.mark.parametrize("spec,message", [
    ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
    ("* * *", "expected exactly 5 fields, found 3: [* * *]"),
    ("61 * * * *", "end of range (61) above maximum (59): 61"),
    ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ("TZ=Mars/Olympus * * * * *", "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"),
    ("0 0 L * *", "failed to parse int from L"),
    ("", "empty spec string"),
], ids=["six-fields", "three-fields", "minute-range", "day-zero", "descriptor", "bad-zone", "L", "empty"])
def test_bad_schedules(spec, message):
    with pytest.raises(ScheduleError) as e:
        parse_schedule(spec)
    assert str(e.value).startswith(message)


def test_format_schedule_adds_time_zone():
    cj = {"spec": {"schedule": "0 * * * *", "timeZone": "Europe/Paris"}}
    assert format_schedule(cj) == ("TZ=Europe/Paris 0 * * * *", False)
    assert format_schedule({"spec": {"schedule": "TZ=UTC 0 * * * *"}}) == ("TZ=UTC 0 * * * *", True)
    assert format_schedule({"spec": {"schedule": "0 * * * *", "timeZone": "Nowhere/Else"}}) == ("0 * * * *", False)


# -- pure: which start is due -------------------------------------------------------------------------------------------

MINUTELY = CronSchedule("* * * * *")
CREATED = at("2024-01-01T10:00:30")


def recent(now: str, *, last: str | None = None, deadline: int | None = None, schedule=MINUTELY):
    return most_recent_schedule_time(schedule, at(now), created=CREATED, last_scheduled=at(last) if last else None,
                                     starting_deadline=deadline, include_deadline=True)


def test_nothing_due_before_the_first_start():
    found = recent("2024-01-01T10:00:59")
    assert found.most_recent is None and found.missed is Missed.NONE


def test_one_start_due():
    found = recent("2024-01-01T10:01:05")
    assert found.most_recent == at("2024-01-01T10:01:00") and found.missed is Missed.NONE


def test_missed_starts_pick_the_most_recent():
    found = recent("2024-01-01T10:07:10")
    assert found.most_recent == at("2024-01-01T10:07:00") and found.missed is Missed.FEW
    found = recent("2024-01-01T10:07:10", last="2024-01-01T10:05:00")
    assert found.most_recent == at("2024-01-01T10:07:00")


def test_too_many_missed_starts():
    found = recent("2024-01-01T12:00:10")  # 120 minutes since creation
    assert found.missed is Missed.MANY and found.most_recent == at("2024-01-01T12:00:00")
    found = recent("2024-01-01T11:40:10")  # exactly 100 missed is still "few"
    assert found.missed is Missed.FEW


def test_starting_deadline_limits_how_far_back():
    found = recent("2024-01-01T12:00:50", deadline=30)
    assert found.most_recent is None  # 12:00:00 is older than 30 s
    found = recent("2024-01-01T12:00:20", deadline=30)
    assert found.most_recent == at("2024-01-01T12:00:00") and found.missed is Missed.NONE


def test_every_schedule_counts_from_the_last_start():
    found = recent("2024-01-01T10:20:00", last="2024-01-01T10:00:00", schedule=EverySchedule(300))
    assert found.most_recent == at("2024-01-01T10:20:00")


def test_schedule_that_never_fires_is_invalid():
    with pytest.raises(ScheduleError, match="less than 1 second"):
        recent("2024-06-01T00:00:00", schedule=parse_schedule("59 23 31 2 *"))


def test_next_schedule_delay():
    assert next_schedule_delay(MINUTELY, at("2024-01-01T10:00:40"), created=CREATED, last_scheduled=None) == \
        pytest.approx(20.1)
    # A start is due (10:01) and not yet taken: the next wake-up is 10:02.
    assert next_schedule_delay(MINUTELY, at("2024-01-01T10:01:30"), created=CREATED, last_scheduled=None) == \
        pytest.approx(30.1)


# -- pure: jobs -----------------------------------------------------------------------------------------------------

def cronjob_body(name: str = "tick", schedule: str = "* * * * *", **spec: Any) -> dict[str, Any]:
    pod_spec = {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
    job_template = {"metadata": {"labels": {"team": "a"}, "annotations": {"note": "x"}},
                    "spec": {"backoffLimit": 0, "template": {"spec": pod_spec}}}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, **spec, "jobTemplate": job_template}}


def test_job_name_is_minutes_since_epoch():
    assert job_name("tick", at("2024-01-01T10:01:00")) == f"tick-{int(at('2024-01-01T10:01:00').timestamp()) // 60}"
    assert job_name("tick", at("1970-01-01T00:59:59")) == "tick-59"


def test_job_from_template():
    cj = cronjob_body(timeZone="America/New_York")
    cj["metadata"].update(namespace="ns", uid="u-1")
    job = job_from_template(cj, at("2024-01-01T14:00:00"))
    meta = job["metadata"]
    assert meta["name"] == "tick-28401960"
    assert meta["labels"] == {"team": "a"}
    assert meta["annotations"] == {"note": "x", SCHEDULED_TIMESTAMP_ANNOTATION: "2024-01-01T09:00:00-05:00"}
    assert meta["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "tick", "uid": "u-1",
                                        "controller": True, "blockOwnerDeletion": True}]
    assert job["spec"]["backoffLimit"] == 0
    plain = cronjob_body()
    plain["metadata"].update(namespace="ns", uid="u-2")
    utc = job_from_template(plain, at("2024-01-01T14:00:00"))
    assert utc["metadata"]["annotations"][SCHEDULED_TIMESTAMP_ANNOTATION] == "2024-01-01T14:00:00Z"


def test_history_limits_remove_the_oldest_finished():
    def job(name: str, kind: str | None, start: str | None) -> dict[str, Any]:
        status: dict[str, Any] = {}
        if start:
            status["startTime"] = start
        if kind:
            status["conditions"] = [{"type": kind, "status": "True"}]
        return {"metadata": {"name": name}, "status": status}

    jobs = [job("ok-3", "Complete", "2024-01-01T03:00:00Z"), job("ok-1", "Complete", "2024-01-01T01:00:00Z"),
            job("ok-2", "Complete", "2024-01-01T02:00:00Z"), job("bad-1", "Failed", "2024-01-01T01:00:00Z"),
            job("bad-2", "Failed", None), job("running", None, "2024-01-01T00:00:00Z")]
    cj = {"spec": {"successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 1}}
    assert [j["metadata"]["name"] for j in jobs_to_remove(cj, jobs)] == ["ok-1", "ok-2", "bad-1"]
    assert jobs_to_remove({"spec": {}}, jobs) == []


# -- against the API server ---------------------------------------------------------------------------------------------

FAST = {"job_backoff_base": 0.2, "job_sync_batch_period": 0.05}
CRONJOBS = "cronjobs"


def cj_path(ns: str, name: str = "") -> str:
    return resource_path("batch", "v1", CRONJOBS, ns, name)


async def create_cronjob(env, body: dict[str, Any], clock: FakeClock) -> tuple[dict[str, Any], datetime]:
    """Create the CronJob and put the clock 5 s past the first minute boundary after its creation."""
    cj = await env.client.create(cj_path(env.ns), body)
    created = datetime.fromtimestamp(parse_time(cj["metadata"]["creationTimestamp"]), tz=UTC)
    first = created.replace(second=0) + timedelta(minutes=1)
    clock.t = first + timedelta(seconds=5)
    return cj, first


def controller(env) -> CronJobController:
    return next(c for c in env.controllers if isinstance(c, CronJobController))


async def tick(env, clock: FakeClock, name: str, minutes: int = 1) -> None:
    clock.t += timedelta(minutes=minutes)
    controller(env).enqueue(f"{env.ns}/{name}")


async def jobs(env) -> list[dict[str, Any]]:
    return (await env.client.list(resource_path("batch", "v1", "jobs", env.ns)))["items"]


async def job_names(env) -> list[str]:
    return sorted(j["metadata"]["name"] for j in await jobs(env))


async def events(env, reason: str) -> list[dict[str, Any]]:
    items = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
    return [e for e in items if e["reason"] == reason]


def minute(t: datetime) -> int:
    return int(t.timestamp()) // 60


async def test_minutely_cronjob_creates_a_job_per_start(kyb):
    clock = FakeClock(datetime.now(UTC))
    async with running(kyb, CronJobController, options={"cronjob_clock": clock}) as env:
        cj, first = await create_cronjob(env, cronjob_body(concurrencyPolicy="Allow"), clock)
        controller(env).enqueue(f"{env.ns}/tick")
        await env.until(lambda: _has_jobs(env, 1))
        job = (await jobs(env))[0]
        assert job["metadata"]["name"] == f"tick-{minute(first)}"
        assert job["metadata"]["annotations"][SCHEDULED_TIMESTAMP_ANNOTATION] == \
            first.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert job["metadata"]["labels"]["team"] == "a"
        assert job["metadata"]["ownerReferences"][0]["uid"] == cj["metadata"]["uid"]

        async def status_has(n: int):
            st = (await env.client.get(cj_path(env.ns, "tick"))).get("status") or {}
            return st if len(st.get("active") or []) == n else None
        status = await env.until(lambda: status_has(1))
        assert status["lastScheduleTime"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert status["active"][0]["name"] == job["metadata"]["name"]
        assert status["active"][0]["kind"] == "Job" and status["active"][0]["apiVersion"] == "batch/v1"

        await tick(env, clock, "tick")
        await env.until(lambda: _has_jobs(env, 2))
        assert await job_names(env) == [f"tick-{minute(first)}", f"tick-{minute(first) + 1}"]
        await env.until(lambda: status_has(2))
        # The same start is never served twice, however often the CronJob is synced.
        await env.until(lambda: _cached_active(env, "tick", 2))
        await controller(env).sync(f"{env.ns}/tick")
        assert len(await jobs(env)) == 2


def _cached_active(env, name: str, n: int) -> bool:
    cj = controller(env).cronjobs.get(f"{env.ns}/{name}")
    return cj is not None and len((cj.get("status") or {}).get("active") or []) == n


async def _has_jobs(env, n: int) -> bool:
    return len(await jobs(env)) == n


async def _has_events(env, reason: str, n: int = 1) -> bool:
    return len(await events(env, reason)) >= n


async def test_history_limits_and_last_successful_time(kyb):
    clock = FakeClock(datetime.now(UTC))
    async with running(kyb, CronJobController, JobController, nodes=2,
                       options={"cronjob_clock": clock, **FAST}) as env:
        await create_cronjob(env, cronjob_body(successfulJobsHistoryLimit=1, failedJobsHistoryLimit=1), clock)
        controller(env).enqueue(f"{env.ns}/tick")
        for n in range(3):
            if n:
                await tick(env, clock, "tick")
            await env.until(lambda: _newest_complete(env, n + 1), timeout=20)

        async def trimmed():
            return await job_names(env) if len(await jobs(env)) == 1 else None
        names = await env.until(trimmed)
        assert names == [f"tick-{minute(clock.t)}"]
        status = (await env.client.get(cj_path(env.ns, "tick")))["status"]
        assert not status.get("active")
        assert status["lastSuccessfulTime"]
        await env.until(lambda: _has_events(env, "SawCompletedJob", 3))
        await env.until(lambda: _has_events(env, "SuccessfulDelete", 2))


async def _newest_complete(env, created: int) -> bool:
    items = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
    if sum(1 for e in items if e["reason"] == "SuccessfulCreate" and e["involvedObject"]["kind"] == "CronJob") \
            < created:
        return False
    cj = await env.client.get(cj_path(env.ns, "tick"))
    return not (cj.get("status") or {}).get("active")


async def test_forbid_skips_while_a_job_runs(kyb):
    clock = FakeClock(datetime.now(UTC))
    async with running(kyb, CronJobController, options={"cronjob_clock": clock}) as env:
        await create_cronjob(env, cronjob_body(concurrencyPolicy="Forbid"), clock)
        controller(env).enqueue(f"{env.ns}/tick")
        await env.until(lambda: _has_jobs(env, 1))
        await tick(env, clock, "tick")
        await env.until(lambda: _has_events(env, "JobAlreadyActive"))
        assert len(await jobs(env)) == 1


async def test_replace_deletes_the_running_job(kyb):
    clock = FakeClock(datetime.now(UTC))
    async with running(kyb, CronJobController, options={"cronjob_clock": clock}) as env:
        _, first = await create_cronjob(env, cronjob_body(concurrencyPolicy="Replace"), clock)
        controller(env).enqueue(f"{env.ns}/tick")
        await env.until(lambda: _has_jobs(env, 1))
        await tick(env, clock, "tick")

        async def replaced():
            return await job_names(env) == [f"tick-{minute(first) + 1}"]
        await env.until(replaced)

        async def active_is_new():
            st = (await env.client.get(cj_path(env.ns, "tick"))).get("status") or {}
            return [r["name"] for r in st.get("active") or []] == [f"tick-{minute(first) + 1}"]
        await env.until(active_is_new)


async def test_suspended_cronjob_and_missed_deadline(kyb):
    clock = FakeClock(datetime.now(UTC))
    async with running(kyb, CronJobController, options={"cronjob_clock": clock}) as env:
        ctrl = controller(env)
        await create_cronjob(env, cronjob_body(name="paused", suspend=True), clock)
        _, first = await create_cronjob(env, cronjob_body(name="late", startingDeadlineSeconds=10), clock)
        clock.t = first + timedelta(seconds=25)  # 25 s past the first start: too late for a 10 s deadline
        await env.until(lambda: ctrl.cronjobs.get(f"{env.ns}/paused") and ctrl.cronjobs.get(f"{env.ns}/late"))
        await ctrl.sync(f"{env.ns}/paused")
        await ctrl.sync(f"{env.ns}/late")
        assert await jobs(env) == []  # the start 25 s ago is skipped, as upstream (no start older than 10 s)
        # The next start is served on time.
        clock.t = first + timedelta(minutes=1, seconds=5)
        ctrl.enqueue(f"{env.ns}/late")
        ctrl.enqueue(f"{env.ns}/paused")
        await env.until(lambda: _has_jobs(env, 1))
        assert (await jobs(env))[0]["metadata"]["name"].startswith("late-")
        await ctrl.sync(f"{env.ns}/paused")
        assert len(await jobs(env)) == 1


async def test_too_many_missed_starts_warns_and_runs_the_latest(kyb):
    clock = FakeClock(datetime.now(UTC))
    async with running(kyb, CronJobController, options={"cronjob_clock": clock}) as env:
        _, first = await create_cronjob(env, cronjob_body(), clock)
        clock.t += timedelta(minutes=150)
        controller(env).enqueue(f"{env.ns}/tick")
        await env.until(lambda: _has_jobs(env, 1))
        assert await job_names(env) == [f"tick-{minute(first) + 150}"]
        await env.until(lambda: _has_events(env, "TooManyMissedTimes"))
