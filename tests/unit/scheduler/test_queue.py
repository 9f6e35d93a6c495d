"""The scheduling queue with a fake clock: order, back-off, unschedulable pods and cluster events, gates, the
nominator."""

from __future__ import annotations

import asyncio

import pytest

from kybernetes.client.workqueue import FakeClock
from kybernetes.scheduler.framework import ActionType, ClusterEvent, Status, Code, success
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.queuesort import PrioritySort
from kybernetes.scheduler.queue import (EVENT_ASSIGNED_POD_ADD, EVENT_NODE_ADD, Nominator, SchedulingQueue,
                                        is_pod_updated)


def pod(name, priority=0, labels=None, gates=None, nominated=""):
    spec = {"priority": priority, "containers": [{"name": "c", "image": "x"}]}
    if gates:
        spec["schedulingGates"] = [{"name": g} for g in gates]
    p = {"metadata": {"name": name, "namespace": "ns", "uid": f"u-{name}", "labels": labels or {},
                      "resourceVersion": "1"}, "spec": spec, "status": {}}
    if nominated:
        p["status"]["nominatedNodeName"] = nominated
    return p


EVENTS = {
    "Fit": [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE),
            ClusterEvent("Pod", ActionType.DELETE)],
    "Taints": [ClusterEvent("Node", ActionType.UPDATE_NODE_TAINT)],
    "Anything": None,
}


def gate(pi: PodInfo) -> Status:
    gates = (pi.pod.get("spec") or {}).get("schedulingGates")
    if gates:
        return Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ["waiting for scheduling gates"], "SchedulingGates")
    return success()


@pytest.fixture
def clock():
    return FakeClock(1000.0)


@pytest.fixture
def q(clock):
    return SchedulingQueue(PrioritySort(), enqueue_events=EVENTS, pre_enqueue=gate, clock=clock.now)


def fail(q, qpi, *plugins):
    """Hand a popped pod back as rejected by ``plugins`` in the cycle it was popped in."""
    qpi.unschedulable_plugins = set(plugins)
    return q.add_unschedulable_if_not_present(qpi, q.scheduling_cycle)


def names(q):
    out = []
    while (qpi := q.pop_nowait()) is not None:
        out.append(qpi.pod_info.name)
    return out


def test_priority_then_fifo(q, clock):
    q.add(pod("a"))
    clock.advance(1)
    q.add(pod("b", priority=10))
    clock.advance(1)
    q.add(pod("c"))
    clock.advance(1)
    q.add(pod("d", priority=10))
    assert names(q) == ["b", "d", "a", "c"]


def test_generic_less_plugin_without_sort_key(clock):
    class ByName:
        def less(self, a, b):
            return a.pod_info.name > b.pod_info.name  # reverse alphabetical

    q = SchedulingQueue(ByName(), clock=clock.now)
    for n in ("b", "c", "a"):
        q.add(pod(n))
    assert names(q) == ["c", "b", "a"]


def test_pop_counts_attempts_and_cycles(q):
    q.add(pod("a"))
    qpi = q.pop_nowait()
    assert (qpi.attempts, q.scheduling_cycle, q.where("ns/a")) == (1, 1, "in-flight")
    q.done("ns/a")
    assert q.where("ns/a") == ""


@pytest.mark.parametrize("attempts, seconds", [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)])
def test_backoff_duration(q, attempts, seconds):
    q.add(pod("a"))
    qpi = q.pop_nowait()
    qpi.attempts = attempts
    assert q.backoff_duration(qpi) == seconds


def test_error_goes_to_backoff_then_active(q, clock):
    q.add(pod("a"))
    qpi = q.pop_nowait()
    fail(q, qpi)  # no rejecting plugin: an error
    assert q.where("ns/a") == "backoff"
    clock.advance(0.5)
    assert q.flush_backoff_completed() == 0
    clock.advance(0.6)
    assert q.flush_backoff_completed() == 1
    assert q.where("ns/a") == "active"


def test_unschedulable_waits_for_a_matching_event(q, clock):
    q.add(pod("a"))
    qpi = q.pop_nowait()
    q.move_request_cycle = -1
    fail(q, qpi, "Taints")
    assert q.where("ns/a") == "unschedulable"
    clock.advance(20)
    assert q.move_all_to_active_or_backoff(EVENT_NODE_ADD) == 0  # Taints did not register Node/ADD
    assert q.where("ns/a") == "unschedulable"
    assert q.move_all_to_active_or_backoff(ClusterEvent("Node", ActionType.UPDATE_NODE_TAINT)) == 1
    assert q.where("ns/a") == "active"


def test_event_while_backing_off_goes_to_backoff(q, clock):
    q.add(pod("a"))
    qpi = q.pop_nowait()
    fail(q, qpi, "Fit")
    q.move_all_to_active_or_backoff(ClusterEvent("Pod", ActionType.DELETE))
    assert q.where("ns/a") == "backoff"  # still inside its 1 s back-off


def test_plugin_without_registrations_moves_on_any_event(q, clock):
    q.add(pod("a"))
    fail(q, q.pop_nowait(), "Anything")
    clock.advance(5)
    assert q.move_all_to_active_or_backoff(ClusterEvent("PersistentVolume", ActionType.ADD)) == 1


def test_move_request_during_cycle_sends_to_backoff(q):
    q.add(pod("a"))
    qpi = q.pop_nowait()
    cycle = q.scheduling_cycle
    q.move_all_to_active_or_backoff(EVENT_ASSIGNED_POD_ADD)  # something happened while "a" was being scheduled
    qpi.unschedulable_plugins = {"Fit"}
    q.add_unschedulable_if_not_present(qpi, cycle)
    assert q.where("ns/a") == "backoff"


def test_leftover_flush_after_five_minutes(q, clock):
    q.add(pod("a"))
    fail(q, q.pop_nowait(), "Taints")
    clock.advance(299)
    assert q.flush_unschedulable_leftover() == 0
    clock.advance(2)
    assert q.flush_unschedulable_leftover() == 1
    assert q.where("ns/a") == "active"


def test_status_only_update_keeps_pod_unschedulable_but_spec_change_moves_it(q, clock):
    old = pod("a")
    q.add(old)
    fail(q, q.pop_nowait(), "Taints")
    clock.advance(5)
    status_only = {**old, "metadata": {**old["metadata"], "resourceVersion": "2"},
                   "status": {"conditions": [{"type": "PodScheduled", "status": "False"}]}}
    q.update(old, status_only)
    assert q.where("ns/a") == "unschedulable"
    assert q.get("ns/a").pod_info.pod is status_only
    relabelled = {**status_only, "metadata": {**status_only["metadata"], "labels": {"x": "y"}}}
    q.update(status_only, relabelled)
    assert q.where("ns/a") == "active"


def test_update_in_flight_sends_failed_pod_to_backoff(q):
    old = pod("a")
    q.add(old)
    qpi = q.pop_nowait()
    q.update(old, pod("a", labels={"x": "y"}))
    assert q.where("ns/a") == "in-flight"
    fail(q, qpi, "Taints")
    assert q.where("ns/a") == "backoff"


def test_delete(q):
    q.add(pod("a"))
    q.add(pod("b"))
    q.delete(pod("a"))
    assert names(q) == ["b"]
    assert len(q) == 0


def test_deleted_in_flight_is_dropped(q):
    q.add(pod("a"))
    qpi = q.pop_nowait()
    q.delete(pod("a"))
    assert fail(q, qpi, "Fit") is False
    assert q.where("ns/a") == ""


def test_add_of_known_pod_is_an_update(q):
    q.add(pod("a"))
    q.add(pod("a", priority=5))
    assert q.active_count == 1
    assert q.pop_nowait().priority == 5


def test_priority_change_rekeys(q, clock):
    q.add(pod("a"))
    clock.advance(1)
    q.add(pod("b"))
    q.update(pod("b"), pod("b", priority=100))
    assert names(q) == ["b", "a"]


def test_gated_pod_enters_when_gates_are_removed(q, clock):
    q.add(pod("a", gates=["example.com/wait"]))
    assert q.where("ns/a") == "gated"
    assert q.pop_nowait() is None
    clock.advance(400)
    assert q.move_all_to_active_or_backoff(EVENT_NODE_ADD) == 0
    assert q.flush_unschedulable_leftover() == 0
    q.update(pod("a", gates=["example.com/wait"]), pod("a"))
    assert q.where("ns/a") == "active"


async def test_pop_waits_for_add_and_close_wakes(q):
    waiter = asyncio.create_task(q.pop())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    q.add(pod("a"))
    qpi = await asyncio.wait_for(waiter, 5)
    assert qpi.pod_info.name == "a"
    waiter = asyncio.create_task(q.pop())
    await asyncio.sleep(0.01)
    q.close()
    assert await asyncio.wait_for(waiter, 5) is None


async def test_run_flushes_backoff_in_real_time():
    q = SchedulingQueue(PrioritySort(), initial_backoff=0.05, max_backoff=0.05)
    q.add(pod("a"))
    fail(q, q.pop_nowait())
    task = asyncio.create_task(q.run())
    try:
        qpi = await asyncio.wait_for(q.pop(), 5)
        assert qpi.pod_info.name == "a" and qpi.attempts == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_is_pod_updated():
    a = pod("a")
    assert not is_pod_updated(a, {**a, "status": {"phase": "Pending"}})
    assert not is_pod_updated(a, {**a, "metadata": {**a["metadata"], "resourceVersion": "9",
                                                    "managedFields": [{"manager": "x"}]}})
    assert is_pod_updated(a, {**a, "metadata": {**a["metadata"], "annotations": {"k": "v"}}})
    assert is_pod_updated(a, pod("a", gates=["g"]))


# -- nominator ---------------------------------------------------------------------------------------------------

def test_nominator():
    n = Nominator()
    a = PodInfo(pod("a", nominated="n1"))
    n.add(a)  # from the pod's status
    n.add(PodInfo(pod("b")), "n1")  # from preemption's answer
    n.add(PodInfo(pod("c")))  # nothing to nominate
    assert [p.name for p in n.pods_for_node("n1")] == ["a", "b"]
    n.add(PodInfo(pod("b")), "n2")  # moved
    assert [p.name for p in n.pods_for_node("n2")] == ["b"]
    n.add(PodInfo(pod("b")), "")  # cleared
    assert n.pods_for_node("n2") == [] and len(n) == 1
    n.delete("ns/a")
    assert not n


def test_nominator_update_keeps_in_memory_nomination():
    n = Nominator()
    n.add(PodInfo(pod("a")), "n1")
    n.update(pod("a"), PodInfo(pod("a", labels={"x": "y"})))  # status write not seen yet
    assert n.node_of("ns/a") == "n1"
    n.update(pod("a"), PodInfo(pod("a", nominated="n3")))
    assert n.node_of("ns/a") == "n3"


def test_nominator_skips_bound_or_deleted_pods():
    store = {"ns/a": {**pod("a"), "spec": {"nodeName": "n1"}}}
    n = Nominator(lookup=store.get)
    n.add(PodInfo(pod("a")), "n2")
    n.add(PodInfo(pod("gone")), "n2")
    assert not n


def test_unschedulable_failure_nominates_from_status(q):
    q.add(pod("a", nominated="n7"))
    assert q.nominator.node_of("ns/a") == "n7"
