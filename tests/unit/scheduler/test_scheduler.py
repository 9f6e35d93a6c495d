"""The scheduling loop in-process with fake plugins and a fake API client: binding, failure messages and status,
sampling with a rotating start, requeueing on node events, profiles."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from kybernetes.machinery.errors import StatusError
from kybernetes.scheduler.config import API_VERSION, KIND, parse_config
from kybernetes.scheduler.framework import ActionType, Code, Status, unresolvable, unschedulable
from kybernetes.scheduler.plugins.defaultbinder import DefaultBinder
from kybernetes.scheduler.plugins.registry import Registry
from kybernetes.scheduler.scheduler import Diagnosis, Scheduler, fit_error_message, node_change_action
from tests.unit.scheduler.fakes import FAKES


class FakeClient:
    """Records writes; binding fails while ``bind_error`` is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.bind_error: StatusError | None = None

    async def create(self, path: str, body: dict, params: Any = None) -> dict:
        self.calls.append(("POST", path, body))
        if path.endswith("/binding") and self.bind_error is not None:
            raise self.bind_error
        return body

    async def patch(self, path: str, body: Any, patch_type: str = "merge", params: Any = None) -> dict:
        self.calls.append(("PATCH", path, body))
        return {}

    def bindings(self) -> dict[str, str]:
        return {c[2]["metadata"]["name"]: c[2]["target"]["name"] for c in self.calls if c[1].endswith("/binding")}

    def events(self, reason: str) -> list[dict]:
        return [c[2] for c in self.calls if c[0] == "POST" and c[1].endswith("/events") and c[2]["reason"] == reason]

    def status_patches(self) -> list[tuple[str, dict]]:
        return [(c[1], c[2]) for c in self.calls if c[0] == "PATCH" and c[1].endswith("/status")]


def node(name: str, cpu: str = "1", labels: dict | None = None) -> dict:
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "labels": labels or {}},
            "spec": {}, "status": {"allocatable": {"cpu": cpu, "pods": "110"},
                                   "conditions": [{"type": "Ready", "status": "True",
                                                   "lastHeartbeatTime": "2024-01-01T00:00:00Z"}]}}


def pod(name: str, cpu: str = "100m", scheduler: str = "default-scheduler", **spec: Any) -> dict:
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "resourceVersion": "1"},
            "spec": {"schedulerName": scheduler, "priority": 0,
                     "containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": cpu}}}], **spec},
            "status": {"phase": "Pending"}}


PROFILE_PLUGINS = {"multiPoint": {"disabled": [{"name": "*"}], "enabled": [
    {"name": "PrioritySort"}, {"name": "DefaultBinder"}, {"name": "Fit"}, {"name": "Scorer"}]}}


def make_scheduler(*profiles: str, percentage: int = 0, extra: dict | None = None) -> tuple[Scheduler, FakeClient]:
    client = FakeClient()
    cfg = parse_config({"apiVersion": API_VERSION, "kind": KIND, "percentageOfNodesToScore": percentage,
                        "profiles": [{"schedulerName": p, "plugins": PROFILE_PLUGINS}
                                     for p in (profiles or ("default-scheduler",))]})
    reg = Registry({**FAKES, "DefaultBinder": DefaultBinder, **(extra or {})})
    s = Scheduler(client, cfg, registry=reg, rng=random.Random(7))  # type: ignore[arg-type]
    return s, client


def add_node(s: Scheduler, n: dict) -> None:
    s.node_informer.store[n["metadata"]["name"]] = n
    s._on_node_add(n)


def add_pod(s: Scheduler, p: dict) -> None:
    s.pod_informer.store[f"ns/{p['metadata']['name']}"] = p
    s._on_pod_add(p)


async def settle(s: Scheduler) -> None:
    """Run every queued pod through a scheduling cycle and let binding/status/event tasks finish."""
    while (qpi := s.queue.pop_nowait()) is not None:
        s.schedule_one(qpi)
    for _ in range(5):
        await asyncio.gather(*list(s._background), return_exceptions=True)
        for rec in s.recorders.values():
            await asyncio.wait_for(rec.flush(), 5)
    await asyncio.sleep(0)


@pytest.fixture
async def env():
    s, client = make_scheduler()
    yield s, client
    await s.stop()


# -- messages ----------------------------------------------------------------------------------------------------

def test_fit_error_message_counts_and_sorts_reasons():
    d = Diagnosis()
    d.node_to_status = {"n1": unschedulable("Insufficient cpu"),
                        "n2": unresolvable("node(s) had untolerated taint {k: v}"),
                        "n3": unresolvable("node(s) had untolerated taint {k: v}")}
    d.post_filter_msg = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    assert fit_error_message(3, d) == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


def test_fit_error_message_sorts_as_strings_and_counts_absent_nodes():
    d = Diagnosis()
    d.node_to_status = {f"n{i}": unschedulable("Insufficient memory") for i in range(10)}
    d.node_to_status["x"] = unschedulable("Insufficient cpu", "Too many pods")
    d.absent_status = unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]")
    assert fit_error_message(13, d) == ("0/13 nodes are available: 1 Insufficient cpu, 1 Too many pods, "
                                        "10 Insufficient memory, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].")


def test_fit_error_message_pre_filter():
    d = Diagnosis()
    d.pre_filter_msg = "node(s) didn't satisfy plugin(s) [A B] simultaneously"
    d.node_to_status = {"n1": unschedulable("ignored")}
    assert fit_error_message(2, d) == ("0/2 nodes are available: node(s) didn't satisfy plugin(s) [A B] "
                                       "simultaneously.")


@pytest.mark.parametrize("change, action", [
    pytest.param({}, 0, id="heartbeat-only"),
    pytest.param({"status": {"allocatable": {"cpu": "2"}}}, ActionType.UPDATE_NODE_ALLOCATABLE, id="allocatable"),
    pytest.param({"metadata": {"labels": {"a": "b"}}}, ActionType.UPDATE_NODE_LABEL, id="labels"),
    pytest.param({"spec": {"unschedulable": True}}, ActionType.UPDATE_NODE_TAINT, id="cordon"),
    pytest.param({"spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}}, ActionType.UPDATE_NODE_TAINT,
                 id="taints"),
    pytest.param({"status": {"conditions": [{"type": "Ready", "status": "False"}]}},
                 ActionType.UPDATE_NODE_CONDITION, id="condition"),
])
def test_node_change_action(change, action):
    old = node("n1")
    new = node("n1")
    new["status"]["conditions"][0]["lastHeartbeatTime"] = "2024-01-01T00:01:00Z"
    for part, fields in change.items():
        if part == "status" and "conditions" not in fields:
            new["status"] = {**new["status"], **fields}
        else:
            new[part] = {**new[part], **fields}
    assert node_change_action(old, new) == action


# -- the loop ----------------------------------------------------------------------------------------------------

async def test_pods_are_bound_with_uid_and_scheduled_event(env):
    s, client = env
    for i in range(1, 4):
        add_node(s, node(f"n{i}"))
    add_pod(s, pod("a"))
    await settle(s)
    assert client.bindings() == {"a": "n3"}  # Scorer prefers the highest node number
    binding = next(c[2] for c in client.calls if c[1].endswith("/binding"))
    assert binding["metadata"]["uid"] == "uid-a" and binding["target"]["kind"] == "Node"
    assert client.calls[0][1] == "/api/v1/namespaces/ns/pods/a/binding"
    ev = client.events("Scheduled")
    assert [e["message"] for e in ev] == ["Successfully assigned ns/a to n3"]
    assert ev[0]["type"] == "Normal" and ev[0]["source"] == {"component": "default-scheduler"}
    assert s.cache.is_assumed("uid-a")  # until the informer shows the binding
    bound = {**pod("a"), "spec": {**pod("a")["spec"], "nodeName": "n3"}}
    s._on_pod_update(pod("a"), bound)
    assert not s.cache.is_assumed("uid-a") and s.cache.node_info("n3").requested.milli_cpu == 100


async def test_assumed_pods_count_for_the_next_pod(env):
    s, client = env
    add_node(s, node("n1", cpu="150m"))
    add_node(s, node("n2", cpu="150m"))
    add_pod(s, pod("a"))
    add_pod(s, pod("b"))
    await settle(s)
    assert sorted(client.bindings().values()) == ["n1", "n2"]


async def test_unschedulable_pod_event_status_and_retry_on_node_add(env):
    s, client = env
    add_node(s, node("n1", cpu="100m"))
    add_node(s, node("n2", cpu="100m"))
    add_pod(s, pod("big", cpu="2"))
    await settle(s)
    assert client.bindings() == {}
    [ev] = client.events("FailedScheduling")
    assert ev["message"] == "0/2 nodes are available: 2 Insufficient cpu."
    assert ev["type"] == "Warning"
    [(path, body)] = client.status_patches()
    assert path == "/api/v1/namespaces/ns/pods/big/status"
    cond = body["status"]["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "PodScheduled", "False", "Unschedulable", "0/2 nodes are available: 2 Insufficient cpu.")
    assert "nominatedNodeName" not in body["status"]
    assert s.queue.where("ns/big") == "unschedulable"
    # Fit registered Node/ADD: a fitting node brings the pod back (after its back-off)
    s.queue.clock = lambda: 1e12
    add_node(s, node("n3", cpu="4"))
    assert s.queue.where("ns/big") == "active"
    await settle(s)
    assert client.bindings() == {"big": "n3"}


async def test_same_failure_does_not_patch_status_again(env):
    s, client = env
    add_node(s, node("n1", cpu="100m"))
    p = pod("big", cpu="2")
    add_pod(s, p)
    await settle(s)
    p2 = {**p, "status": {"phase": "Pending", "conditions": [client.status_patches()[0][1]["status"]["conditions"][0]]}}
    s.pod_informer.store["ns/big"] = p2
    s._on_pod_update(p, p2)
    s.queue.activate(["ns/big"])
    await settle(s)
    assert len(client.status_patches()) == 1
    # the event is repeated (aggregated by the recorder into count 2), the status is not rewritten
    assert len(client.events("FailedScheduling")) == 1
    assert [c[2]["count"] for c in client.calls if c[0] == "PATCH" and "/events/" in c[1]] == [2]


async def test_no_nodes():
    s, client = make_scheduler()
    add_pod(s, pod("a"))
    await settle(s)
    [ev] = client.events("FailedScheduling")
    assert ev["message"] == "no nodes available to schedule pods"
    assert client.status_patches()[0][1]["status"]["conditions"][0]["reason"] == "Unschedulable"
    await s.stop()


async def test_binding_failure_forgets_and_retries(env):
    s, client = env
    add_node(s, node("n1"))
    client.bind_error = StatusError(409, "Conflict", 'pod a is already assigned to node "x"')
    add_pod(s, pod("a"))
    await settle(s)
    assert not s.cache.is_assumed("uid-a") and s.cache.node_info("n1").requested.milli_cpu == 0
    [ev] = client.events("FailedScheduling")
    assert ev["message"] == 'running Bind plugin "DefaultBinder": pod a is already assigned to node "x"'
    cond = client.status_patches()[0][1]["status"]["conditions"][0]
    assert cond["reason"] == "SchedulerError"
    assert s.queue.where("ns/a") == "backoff"


async def test_sampling_rotates_start_index():
    s, client = make_scheduler(percentage=0)
    for i in range(200):
        add_node(s, node(f"n{i}"))
    scorer = s.profiles["default-scheduler"].plugins["Scorer"]
    scorer.args["mod"] = 100
    add_pod(s, pod("a"))
    await settle(s)
    # 200 nodes: 50 - 200/125 = 49% = 98 nodes, but at least 100 are looked at
    assert scorer.scored == 100
    assert s.next_start_node_index == 100
    add_pod(s, pod("b"))
    await settle(s)
    assert s.next_start_node_index == 0
    assert client.bindings()["a"] == "n99" and client.bindings()["b"] == "n199"
    await s.stop()


async def test_nominated_node_is_tried_first(env):
    s, client = env
    for i in range(1, 4):
        add_node(s, node(f"n{i}"))
    p = pod("a")
    p["status"]["nominatedNodeName"] = "n1"
    add_pod(s, p)
    await settle(s)
    assert client.bindings() == {"a": "n1"}
    assert s.profiles["default-scheduler"].plugins["Scorer"].scored == 0


async def test_profiles_and_foreign_or_deleting_pods():
    s, client = make_scheduler("default-scheduler", "second")
    add_node(s, node("n1"))
    add_pod(s, pod("mine", scheduler="second"))
    add_pod(s, pod("foreign", scheduler="someone-else"))
    gone = pod("gone")
    gone["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    add_pod(s, gone)
    await settle(s)
    assert client.bindings() == {"mine": "n1"}
    assert s.queue.where("ns/foreign") == ""
    assert client.events("Scheduled")[0]["source"] == {"component": "second"}
    assert client.events("FailedScheduling")[0]["message"] == "skip schedule deleting pod: ns/gone"
    await s.stop()


async def test_random_tie_break():
    s, _ = make_scheduler()
    picks = {s.select_host([5, 7, 7, 1, 7]) for _ in range(200)}
    assert picks == {1, 2, 4}
    assert s.select_host([3]) == 0
    await s.stop()


async def test_preemption_nomination_is_written():
    class Nominate(FAKES["Preempt"]):  # type: ignore[misc, valid-type]
        name = "Nominate"

    s, client = make_scheduler(extra={"Nominate": Nominate})
    await s.stop()
    cfg = parse_config({"apiVersion": API_VERSION, "kind": KIND, "profiles": [{"plugins": {"multiPoint": {
        "disabled": [{"name": "*"}], "enabled": [{"name": "PrioritySort"}, {"name": "DefaultBinder"},
                                                 {"name": "Fit"}, {"name": "Nominate"}]}},
        "pluginConfig": [{"name": "Nominate", "args": {"node": "n1"}}]}]})
    s = Scheduler(client, cfg, registry=Registry({**FAKES, "DefaultBinder": DefaultBinder, "Nominate": Nominate}))  # type: ignore[arg-type]
    add_node(s, node("n1", cpu="100m"))
    add_pod(s, pod("big", cpu="2"))
    await settle(s)
    [ev] = client.events("FailedScheduling")
    assert ev["message"] == "0/1 nodes are available: 1 Insufficient cpu. preemption: not helpful"
    body = client.status_patches()[0][1]["status"]
    assert body["nominatedNodeName"] == "n1"
    assert s.nominator.node_of("ns/big") == "n1"
    await s.stop()


async def test_plugin_exception_fails_the_pod_not_the_scheduler():
    class Broken(FAKES["Fit"]):  # type: ignore[misc, valid-type]
        name = "Fit"

        def filter(self, state, pod_info, node_info):
            raise RuntimeError("bug")

    s, client = make_scheduler(extra={"Fit": Broken})
    add_node(s, node("n1"))
    add_pod(s, pod("a"))
    await settle(s)
    assert client.events("FailedScheduling")[0]["message"].startswith("internal error: RuntimeError('bug')")
    assert s.metrics.errors == 1
    await s.stop()


def test_status_codes_sanity():
    assert Status(Code.UNSCHEDULABLE).is_rejected()


async def test_filter_chain_memo_reuses_results_for_unchanged_nodes():
    from tests.unit.scheduler.test_profile import Memo

    class MemoFit(Memo):
        name = "Fit"

    s, client = make_scheduler(extra={"Fit": MemoFit})  # every active Filter has a signature
    pl = s.profiles["default-scheduler"].plugins["Fit"]
    for i in range(1, 4):
        add_node(s, node(f"n{i}", cpu="250m"))
    add_pod(s, pod("a", cpu="200m"))
    await settle(s)
    assert pl.filtered == 3
    add_pod(s, pod("b", cpu="200m"))
    await settle(s)
    assert pl.filtered == 4  # only the node "a" was assumed on changed
    assert client.bindings()["b"] != client.bindings()["a"]
    add_pod(s, pod("c", cpu="200m"))
    await settle(s)
    assert pl.filtered == 5
    add_pod(s, pod("d", cpu="200m"))
    await settle(s)
    assert pl.filtered == 6 and "d" not in client.bindings()
    assert client.events("FailedScheduling")[0]["message"] == "0/3 nodes are available: 3 Insufficient cpu."
    await s.stop()


