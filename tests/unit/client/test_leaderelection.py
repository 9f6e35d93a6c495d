"""Leader election against a real API server: one leader at a time, hand-over on release and on expiry."""

import asyncio
import re

import pytest

from kybernetes.client.leaderelection import LeaderElector, micro_time
from kybernetes.client.rest import RESTClient, resource_path

MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
FAST = dict(lease_duration=2.0, renew_deadline=1.0, retry_period=0.2)


def test_micro_time_format():
    assert micro_time(0) == "1970-01-01T00:00:00.000000Z"
    assert micro_time(1.5) == "1970-01-01T00:00:01.500000Z"


def test_timing_constraints_are_checked():
    with pytest.raises(ValueError):
        LeaderElector(None, name="x", namespace="default", identity="a", lease_duration=1, renew_deadline=2)
    with pytest.raises(ValueError):
        LeaderElector(None, name="x", namespace="default", identity="a", lease_duration=5, renew_deadline=1,
                      retry_period=1)


class Candidate:
    def __init__(self, client, identity, lease, **kw):
        self.elector = LeaderElector(client, name=lease, namespace="default", identity=identity, **{**FAST, **kw})
        self.leading = asyncio.Event()
        self.stopped = asyncio.Event()
        self.work_cancelled = False
        self.task = asyncio.create_task(self.elector.run(self._lead, self.stopped.set))

    async def _lead(self):
        self.leading.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.work_cancelled = True
            raise

    async def cancel(self):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def first_leader(a, b, timeout=5):
    done, _ = await asyncio.wait([asyncio.ensure_future(a.leading.wait()), asyncio.ensure_future(b.leading.wait())],
                                 timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    assert done, "nobody became leader"
    return (a, b) if a.leading.is_set() else (b, a)


async def lease_spec(c, name):
    return (await c.get(resource_path("coordination.k8s.io", "v1", "leases", "default", name)))["spec"]


async def test_exactly_one_leads_and_the_other_takes_over_on_release(kyb):
    async with RESTClient.from_kubeconfig(kyb.kubeconfig) as c1, RESTClient.from_kubeconfig(kyb.kubeconfig) as c2:
        a, b = Candidate(c1, "a", "le-release"), Candidate(c2, "b", "le-release")
        try:
            leader, other = await first_leader(a, b)
            for _ in range(4):  # several renew periods: still exactly one leader
                await asyncio.sleep(0.3)
                assert leader.elector.is_leader and not other.elector.is_leader
                assert not other.leading.is_set()
            spec = await lease_spec(c1, "le-release")
            assert spec["holderIdentity"] == leader.elector.identity
            assert spec["leaseDurationSeconds"] == 2
            assert MICRO.match(spec["acquireTime"]) and MICRO.match(spec["renewTime"])
            assert spec["renewTime"] > spec["acquireTime"]
            transitions = spec.get("leaseTransitions", 0)
            await leader.cancel()
            assert leader.stopped.is_set() and leader.work_cancelled
            # released: the other needs no lease expiry (2 s) to take over
            await asyncio.wait_for(other.leading.wait(), 1.5)
            spec = await lease_spec(c1, "le-release")
            assert spec["holderIdentity"] == other.elector.identity
            assert spec["leaseTransitions"] == transitions + 1  # the release keeps the count; the successor adds one
        finally:
            await a.cancel()
            await b.cancel()


async def test_takeover_after_expiry_without_release(kyb):
    async with RESTClient.from_kubeconfig(kyb.kubeconfig) as c1, RESTClient.from_kubeconfig(kyb.kubeconfig) as c2:
        a = Candidate(c1, "a", "le-expiry", release_on_cancel=False)
        await asyncio.wait_for(a.leading.wait(), 5)
        b = Candidate(c2, "b", "le-expiry")
        try:
            await asyncio.sleep(0.5)
            assert not b.leading.is_set()
            await a.cancel()
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            await asyncio.wait_for(b.leading.wait(), 5)
            assert loop.time() - t0 > 1.0, "the holder did not release, so the lease had to expire first"
            assert (await lease_spec(c2, "le-expiry"))["holderIdentity"] == "b"
        finally:
            await a.cancel()
            await b.cancel()
