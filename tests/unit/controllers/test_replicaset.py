"""ReplicaSet and ReplicationController controllers: deletion ranking, slow start, status arithmetic,
expectations on a fake API (informer lag made explicit), and behaviour against a real server."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from kybernetes.client.informer import SharedInformerFactory
from kybernetes.client.rest import resource_path
from kybernetes.controllers.base import ControllerContext
from kybernetes.controllers.deployment_util import format_time
from kybernetes.controllers.replicaset import (POD_DELETION_COST, ReplicaSetController,
                                               ReplicationControllerController, calculate_status, deletion_order,
                                               is_pod_available, slow_start_batch)
from kybernetes.machinery.errors import StatusError
from tests.controllers_support import PodWatch, active, eventually, pin_to_node
from tests.unit.controllers.conftest import running

NOW = 1_700_000_000.0

# -- builders -----------------------------------------------------------------------------------------------------

_uids = itertools.count()


def pod(name: str = "", *, node: str = "n1", phase: str = "Running", ready: bool = True, ready_ago: float = 100,
        created_ago: float = 1000, restarts: int = 0, cost: int | None = None, labels: dict | None = None,
        owner: dict | None = None, uid: str = "") -> dict:
    md: dict[str, Any] = {"name": name or f"p{next(_uids)}", "namespace": "ns", "uid": uid or f"uid-{name}",
                          "creationTimestamp": format_time(NOW - created_ago), "labels": labels or {"app": "web"}}
    if cost is not None:
        md["annotations"] = {POD_DELETION_COST: str(cost)}
    if owner is not None:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner["metadata"]["name"],
                                  "uid": owner["metadata"]["uid"], "controller": True}]
    conds = [{"type": "Ready", "status": "True" if ready else "False",
              "lastTransitionTime": format_time(NOW - ready_ago)}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": {"nodeName": node},
            "status": {"phase": phase, "conditions": conds, "containerStatuses": [{"restartCount": restarts}]}}


def replicaset(replicas: int = 3, name: str = "web", *, min_ready: int = 0, generation: int = 1,
               status: dict | None = None) -> dict:
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web", "tier": "fe"}},
                                         "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "generation": generation,
                         "resourceVersion": "1"},
            "spec": spec, "status": status or {"replicas": 0}}


# -- deletion ranking ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("first,second", [
    pytest.param(pod("a", node=""), pod("b"), id="unassigned-before-assigned"),
    pytest.param(pod("a", phase="Pending", ready=False), pod("b", phase="Unknown", ready=False),
                 id="pending-before-unknown"),
    pytest.param(pod("a", phase="Unknown"), pod("b", phase="Running"), id="unknown-before-running"),
    pytest.param(pod("a", ready=False), pod("b"), id="not-ready-before-ready"),
    pytest.param(pod("a", cost=-5), pod("b"), id="lower-deletion-cost-first"),
    pytest.param(pod("a", cost=10, ready_ago=1), pod("b", cost=20, ready_ago=10_000), id="cost-beats-ready-time"),
    pytest.param(pod("a", ready_ago=5), pod("b", ready_ago=5000), id="ready-for-less-time-first"),
    pytest.param(pod("a", restarts=3), pod("b", restarts=1), id="more-restarts-first"),
    pytest.param(pod("a", created_ago=10), pod("b", created_ago=10_000), id="newer-first"),
    pytest.param(pod("a", ready_ago=100, created_ago=10, uid="uid-1"),
                 pod("b", ready_ago=101, created_ago=11, uid="uid-2"), id="same-log-bucket-uid-decides"),
])
def test_deletion_order_pairs(first, second):
    assert [p["metadata"]["name"] for p in deletion_order([second, first], [], NOW)] == ["a", "b"]
    assert [p["metadata"]["name"] for p in deletion_order([first, second], [], NOW)] == ["a", "b"]


def test_deletion_order_prefers_crowded_nodes():
    a, b = pod("a", node="busy"), pod("b", node="quiet")
    related = [a, b, pod("c", node="busy"), pod("d", node="busy")]
    assert [p["metadata"]["name"] for p in deletion_order([b, a], related, NOW)] == ["a", "b"]


def test_deletion_order_full_ranking():
    pods = [pod("old-ready", ready_ago=9000, created_ago=9000), pod("unassigned", node=""),
            pod("pending", phase="Pending", ready=False), pod("not-ready", ready=False),
            pod("young-ready", ready_ago=2, created_ago=3)]
    assert [p["metadata"]["name"] for p in deletion_order(pods, [], NOW)] == [
        "unassigned", "pending", "not-ready", "young-ready", "old-ready"]


def test_is_pod_available():
    p = pod(ready_ago=5)
    assert is_pod_available(p, 0, NOW) and is_pod_available(p, 4, NOW)
    assert not is_pod_available(p, 5, NOW) and not is_pod_available(p, 10, NOW)
    assert not is_pod_available(pod(ready=False), 0, NOW)


# -- slow start ---------------------------------------------------------------------------------------------------

async def test_slow_start_batches_double_and_stop_at_first_error():
    calls = 0
    in_flight = max_in_flight = 0

    async def fn() -> None:
        nonlocal calls, in_flight, max_in_flight
        calls += 1
        mine = calls
        in_flight += 1
        max_in_flight = max(max_in_flight, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        if mine == 5:
            raise RuntimeError("quota")

    ok, err = await slow_start_batch(20, 1, fn)
    assert (ok, calls, str(err)) == (6, 7, "quota")  # batches 1, 2, 4: the failure ends it
    assert max_in_flight == 4

    calls = in_flight = max_in_flight = 0

    async def ok_fn() -> None:
        nonlocal calls, in_flight, max_in_flight
        calls += 1
        in_flight += 1
        max_in_flight = max(max_in_flight, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1

    assert await slow_start_batch(10, 1, ok_fn) == (10, None)
    assert (calls, max_in_flight) == (10, 4)  # batches 1, 2, 4, 3


# -- status arithmetic --------------------------------------------------------------------------------------------

def test_calculate_status_counts_and_failure_condition():
    rs = replicaset(4, min_ready=10)
    pods = [pod("a", ready_ago=60), pod("b", ready_ago=2), pod("c", ready=False),
            pod("d", labels={"app": "web", "tier": "fe"}, ready_ago=60)]
    st = calculate_status(rs, pods, None, NOW)
    assert st == {"replicas": 4, "fullyLabeledReplicas": 1, "readyReplicas": 3, "availableReplicas": 2}
    failed = calculate_status(rs, pods[:2], StatusError(403, "Forbidden", "exceeded quota"), NOW)
    [c] = failed["conditions"]
    assert (c["type"], c["status"], c["reason"], c["message"]) == ("ReplicaFailure", "True", "FailedCreate",
                                                                   "exceeded quota")
    assert calculate_status(replicaset(1), pods, RuntimeError("x"), NOW)["conditions"][0]["reason"] == "FailedDelete"
    rs["status"] = failed
    assert "conditions" not in calculate_status(rs, pods, None, NOW)


# -- expectations against a fake API (the informer only learns what the test feeds it) ---------------------------

class FakeAPI:
    """Just enough of RESTClient for one ReplicaSet: creates pods with generated names, records every call."""

    def __init__(self) -> None:
        self.created: list[dict] = []
        self.deleted: list[str] = []
        self.statuses: list[dict] = []
        self.fail_create_at: set[int] = set()
        self.n = 0

    async def create(self, path: str, body: dict, params: Any = None) -> dict:
        self.n += 1
        if self.n in self.fail_create_at:
            raise StatusError(403, "Forbidden", 'pods "x" is forbidden: exceeded quota: q')
        md = body["metadata"]
        md["name"] = f"{md.pop('generateName', 'p-')}{self.n}"
        md["uid"] = f"uid-{md['name']}"
        md["creationTimestamp"] = format_time(NOW)
        self.created.append(body)
        return body

    async def delete(self, path: str, body: Any = None, params: Any = None) -> None:
        self.deleted.append(path.rsplit("/", 1)[-1])

    async def update(self, path: str, body: dict, params: Any = None) -> dict:
        assert path.endswith("/status")
        self.statuses.append(body["status"])
        return body

    async def get(self, path: str, params: Any = None) -> dict:
        raise AssertionError(f"unexpected GET {path}")

    async def patch(self, *a: Any, **kw: Any) -> dict:
        raise AssertionError("unexpected PATCH")


def fake_controller() -> tuple[ReplicaSetController, FakeAPI]:
    api = FakeAPI()
    ctx = ControllerContext(client=api, informers=SharedInformerFactory(api))  # type: ignore[arg-type]
    rc = ReplicaSetController(ctx)
    rc.recorder.event = lambda *a, **kw: None  # type: ignore[method-assign]
    rc.clock = lambda: NOW
    return rc, api


def feed(informer, obj: dict) -> None:
    """Deliver an ADDED/MODIFIED event to an informer that is not running (as its watch would)."""
    informer._upsert(obj)


async def test_informer_lag_never_double_creates():
    rc, api = fake_controller()
    rs = replicaset(3)
    feed(rc.owners, rs)
    await rc.sync("ns/web")
    assert len(api.created) == 3
    await rc.sync("ns/web")  # the pod informer has seen none of them yet
    assert len(api.created) == 3
    assert api.statuses[-1]["replicas"] == 0
    for body in api.created:
        feed(rc.pods, {**body, "status": {"phase": "Pending"}})
    assert rc.expectations.satisfied("ns/web")
    await rc.sync("ns/web")
    assert len(api.created) == 3
    assert api.statuses[-1]["replicas"] == 3


async def test_failed_create_stops_batch_records_condition_and_recovers():
    rc, api = fake_controller()
    feed(rc.owners, replicaset(5))
    api.fail_create_at = {3}  # batch 1 (call 1) ok, batch 2 (calls 2, 3) fails
    with pytest.raises(StatusError, match="exceeded quota"):
        await rc.sync("ns/web")
    assert api.n == 3 and len(api.created) == 2
    [cond] = api.statuses[-1]["conditions"]
    assert (cond["reason"], cond["message"]) == ("FailedCreate", 'pods "x" is forbidden: exceeded quota: q')
    # only the two created pods are still expected
    assert rc.expectations.pending("ns/web") == (2, 0)
    for body in api.created:
        feed(rc.pods, body)
    feed(rc.owners, {**replicaset(5), "status": api.statuses[-1]})
    api.fail_create_at = set()
    await rc.sync("ns/web")
    assert len(api.created) == 5
    assert "conditions" not in api.statuses[-1]


async def test_scale_down_deletes_worst_pods_once():
    rc, api = fake_controller()
    rs = replicaset(1, status={"replicas": 3})
    feed(rc.owners, rs)
    for p in (pod("good", owner=rs), pod("pending", phase="Pending", ready=False, owner=rs),
              pod("unassigned", node="", owner=rs)):
        feed(rc.pods, p)
    await rc.sync("ns/web")
    assert sorted(api.deleted) == ["pending", "unassigned"]
    await rc.sync("ns/web")  # deletions not observed yet: no second round
    assert len(api.deleted) == 2


# -- against a real server ----------------------------------------------------------------------------------------

def api_rs(name: str, node: str, replicas: int, *, labels: dict | None = None, **spec: Any) -> dict:
    labels = labels or {"app": name}
    t = pin_to_node({"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
                    node)
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": t, **spec}}


def rspath(ns: str, name: str = "", sub: str = "") -> str:
    return resource_path("apps", "v1", "replicasets", ns, name, sub)


async def status_is(env, path: str, **want: int) -> dict | None:
    obj = await env.client.get(path)
    st = obj.get("status") or {}
    if st.get("observedGeneration") != obj["metadata"]["generation"]:
        return None
    return obj if all(st.get(k, 0) == v for k, v in want.items()) else None


async def test_replicaset_creates_scales_and_reports(kyb):
    async with running(kyb, ReplicaSetController, nodes=1, bind=False) as env:
        node = env.sim.node_names[0]
        seen: set[str] = set()

        def check(pods: dict) -> None:
            seen.update(pods)
        watch = await PodWatch.begin(env.client, env.ns, check)
        await env.client.create(rspath(env.ns), api_rs("web", node, 12, labels={"app": "web", "tier": "x"}))
        await eventually(lambda: status_is(env, rspath(env.ns, "web"), replicas=12, readyReplicas=12,
                                           availableReplicas=12, fullyLabeledReplicas=12), what="12 available")
        await asyncio.sleep(0.5)
        assert len(seen) == 12, "no pod beyond spec.replicas was ever created"
        pods = await env.pods()
        assert all(p["metadata"]["name"].startswith("web-") for p in pods)
        assert all(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" for p in pods)
        await env.client.patch(rspath(env.ns, "web", "scale"), {"spec": {"replicas": 2}})
        await eventually(lambda: status_is(env, rspath(env.ns, "web"), replicas=2, readyReplicas=2),
                         what="scaled to 2")
        await watch.stop()

        async def events():
            evs = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
            reasons = [e["reason"] for e in evs if e["source"]["component"] == "replicaset-controller"]
            return reasons.count("SuccessfulCreate") == 12 and reasons.count("SuccessfulDelete") == 10
        await eventually(events, what="create/delete events")


async def test_min_ready_seconds_delays_availability(kyb):
    async with running(kyb, ReplicaSetController, nodes=1, bind=False) as env:
        await env.client.create(rspath(env.ns), api_rs("web", env.sim.node_names[0], 2, minReadySeconds=2))
        await eventually(lambda: status_is(env, rspath(env.ns, "web"), replicas=2, readyReplicas=2),
                         what="ready")
        rs = await env.client.get(rspath(env.ns, "web"))
        assert rs["status"].get("availableReplicas", 0) == 0
        await eventually(lambda: status_is(env, rspath(env.ns, "web"), availableReplicas=2), timeout=15,
                         what="available after minReadySeconds")


async def test_adopts_matching_orphans_and_releases_relabelled_pods(kyb):
    async with running(kyb, ReplicaSetController, nodes=1, bind=False) as env:
        node = env.sim.node_names[0]
        orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orphan", "labels": {"app": "web"}},
                  "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}}
        await env.client.create(resource_path("", "v1", "pods", env.ns), orphan)
        rs = await env.client.create(rspath(env.ns), api_rs("web", node, 2))
        await eventually(lambda: status_is(env, rspath(env.ns, "web"), replicas=2), what="2 pods")
        pods = {p["metadata"]["name"]: p for p in await env.pods()}
        assert len(pods) == 2
        assert pods["orphan"]["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        # relabel the adopted pod: it is released and replaced
        await env.client.patch(resource_path("", "v1", "pods", env.ns, "orphan"),
                               {"metadata": {"labels": {"app": "other"}}})

        async def released():
            p = await env.client.get(resource_path("", "v1", "pods", env.ns, "orphan"))
            return not p["metadata"].get("ownerReferences")
        await eventually(released, what="release")
        await eventually(lambda: status_is(env, rspath(env.ns, "web"), replicas=2, readyReplicas=2),
                         what="replacement")
        assert len([p for p in await env.pods() if active(p)]) == 3


async def test_replication_controller(kyb):
    async with running(kyb, ReplicationControllerController, nodes=1, bind=False) as env:
        path = resource_path("", "v1", "replicationcontrollers", env.ns)
        t = pin_to_node({"metadata": {"labels": {"app": "rc", "x": "y"}},
                         "spec": {"containers": [{"name": "c", "image": "busybox"}]}}, env.sim.node_names[0])
        await env.client.create(path, {"apiVersion": "v1", "kind": "ReplicationController",
                                       "metadata": {"name": "rc"},
                                       "spec": {"replicas": 3, "selector": {"app": "rc"}, "template": t}})
        await eventually(lambda: status_is(env, f"{path}/rc", replicas=3, readyReplicas=3, availableReplicas=3,
                                           fullyLabeledReplicas=3), what="rc status")
        pods = await env.pods()
        assert {p["metadata"]["ownerReferences"][0]["kind"] for p in pods} == {"ReplicationController"}
        assert all(p["metadata"]["generateName"] == "rc-" for p in pods)
        await env.client.patch(f"{path}/rc", {"spec": {"replicas": 1}})
        await eventually(lambda: status_is(env, f"{path}/rc", replicas=1), what="rc scaled down")

        async def events():
            evs = (await env.client.list(resource_path("", "v1", "events", env.ns)))["items"]
            return any(e["source"]["component"] == "replication-controller" and e["reason"] == "SuccessfulDelete"
                       for e in evs)
        await eventually(events, what="replication-controller events")
