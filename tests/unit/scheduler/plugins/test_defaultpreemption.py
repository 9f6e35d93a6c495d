"""DefaultPreemption with a fake framework handle: a cpu-and-affinity Filter written here, a recording client.

Covers eligibility, which nodes are candidates, victim selection (reprieve order, PDBs), the choice between
candidate nodes, the candidate search window, the API actions and the failure messages."""

from __future__ import annotations

import random
from typing import Any

import pytest

from kybernetes.machinery.errors import not_found
from kybernetes.scheduler.framework import Code, CycleState, Plugin, Status, success, unresolvable, unschedulable
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot
from kybernetes.scheduler.plugins.defaultpreemption import (
    Candidate, DefaultPreemption, filter_pods_with_pdb_violation, fit_error_message, pick_one_node_for_preemption,
)
from kybernetes.scheduler.plugins.interpodaffinity import InterPodAffinity

HOST = "kubernetes.io/hostname"


# -- builders -----------------------------------------------------------------------------------------------------

def node(name: str, cpu: str = "3") -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {HOST: name}},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}}


def pod(name: str, priority: int, *, cpu: str = "1", node_name: str = "", start: str = "",
        labels: dict[str, str] | None = None, status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}],
                         "priority": priority, **spec}
    if node_name:
        s["nodeName"] = node_name
    st = dict(status or {})
    if start:
        st["startTime"] = start
    return {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "labels": labels or {}},
            "spec": s, "status": st}


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.gone: set[str] = set()

    async def patch(self, path: str, body: Any, patch_type: str = "merge", params: Any = None) -> dict[str, Any]:
        self.calls.append(("patch", path, body, patch_type))
        return {}

    async def delete(self, path: str, body: Any = None, params: Any = None) -> Any:
        self.calls.append(("delete", path))
        if path in self.gone:
            raise not_found("", "pods", path.rsplit("/", 1)[-1])
        return {}


class FakeRecorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, str]] = []

    def event(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        self.events.append((obj["kind"] + "/" + obj["metadata"]["name"], type_, reason, message))


class FakeHandle:
    """Filters: a NodeResourcesFit-like cpu check, then the given plugins (e.g. InterPodAffinity)."""

    def __init__(self, snapshot: Snapshot, plugins: list[Plugin] | None = None,
                 nominated: dict[str, list[PodInfo]] | None = None) -> None:
        self.snapshot = snapshot
        self.plugins = plugins or []
        self.nominated = nominated or {}
        self.client = FakeClient()
        self.recorder = FakeRecorder()

    def run_filter_plugins(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        if node_info.requested.milli_cpu + pod_info.requests.milli_cpu > node_info.allocatable.milli_cpu:
            return unschedulable("Insufficient cpu")
        for pl in self.plugins:
            if pl.name not in state.skip_filter_plugins:
                st = pl.filter(state, pod_info, node_info)
                if not st.is_success():
                    return st
        return success()

    def run_pre_filter_extension_add_pod(self, state: CycleState, pod_info: PodInfo, to_add: PodInfo,
                                         node_info: NodeInfo) -> Status:
        for pl in self.plugins:
            if pl.name not in state.skip_filter_plugins:
                st = pl.pre_filter_add_pod(state, pod_info, to_add, node_info)
                if not st.is_success():
                    return st
        return success()

    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod_info: PodInfo, to_remove: PodInfo,
                                            node_info: NodeInfo) -> Status:
        for pl in self.plugins:
            if pl.name not in state.skip_filter_plugins:
                st = pl.pre_filter_remove_pod(state, pod_info, to_remove, node_info)
                if not st.is_success():
                    return st
        return success()

    def nominated_pods_for_node(self, node_name: str) -> list[PodInfo]:
        return self.nominated.get(node_name, [])

    def parallelism(self) -> int:
        return 1


def cluster(nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> Snapshot:
    infos = {n["metadata"]["name"]: NodeInfo(n) for n in nodes}
    for p in pods:
        infos[p["spec"]["nodeName"]].add_pod(PodInfo(p))
    return Snapshot(list(infos.values()))


def schedule(handle: FakeHandle, incoming: dict[str, Any]) -> tuple[CycleState, PodInfo, dict[str, Status]]:
    """PreFilter + Filter on every node, as the framework would; returns what PostFilter gets."""
    state = CycleState()
    pi = PodInfo(incoming)
    for pl in handle.plugins:
        _, st = pl.pre_filter(state, pi)
        if st.is_skip():
            state.skip_filter_plugins.add(pl.name)
    statuses = {}
    for ni in handle.snapshot.node_info_list:
        st = handle.run_filter_plugins(state, pi, ni)
        if not st.is_success():
            statuses[ni.name] = st
    return state, pi, statuses


def preemption(handle: FakeHandle, **args: Any) -> DefaultPreemption:
    pl = DefaultPreemption(handle, args)
    pl.rand = random.Random(0)
    pl.clock = lambda: 1_800_000_000.0
    return pl


def victims_of(plugin: DefaultPreemption, handle: FakeHandle, incoming: dict[str, Any], node_name: str,
               pdbs: list[dict[str, Any]] | None = None) -> tuple[list[str], int, Status]:
    state, pi, _ = schedule(handle, incoming)
    ni = handle.snapshot.get(node_name).clone()
    victims, n, st = plugin.select_victims_on_node(state.clone(), pi, ni, pdbs or [])
    return [v.name for v in victims], n, st


def pdb(selector: dict[str, str], allowed: int, disrupted: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": "pdb", "namespace": "default"}, "spec": {"selector": {"matchLabels": selector}},
            "status": {"disruptionsAllowed": allowed, "disruptedPods": disrupted or {}}}


# -- eligibility --------------------------------------------------------------------------------------------------

def test_preemption_policy_never() -> None:
    handle = FakeHandle(cluster([node("n1")], [pod("low", 1, cpu="3", node_name="n1")]))
    state, pi, statuses = schedule(handle, pod("p", 10, preemptionPolicy="Never"))
    result, st = preemption(handle).post_filter(state, pi, statuses)
    assert result is None
    assert (st.code, st.message()) == (Code.UNSCHEDULABLE, "preemption: not eligible due to preemptionPolicy=Never.")


@pytest.mark.parametrize("victim_status,node_status,eligible", [
    pytest.param({"conditions": [{"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}]},
                 unschedulable("Insufficient cpu"), False, id="terminating-victim"),
    pytest.param({"conditions": [{"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}]},
                 unresolvable("node(s) didn't match Pod's node affinity/selector"), True,
                 id="terminating-victim-but-node-now-unresolvable"),
    pytest.param({"conditions": [{"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI"}]},
                 unschedulable("Insufficient cpu"), True, id="terminating-for-another-reason"),
])
def test_nominated_node_with_terminating_victims(victim_status: dict[str, Any], node_status: Status,
                                                 eligible: bool) -> None:
    victim = pod("low", 1, cpu="3", node_name="n1", status=victim_status)
    victim["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    handle = FakeHandle(cluster([node("n1")], [victim]))
    incoming = PodInfo(pod("p", 10, status={"nominatedNodeName": "n1"}))
    ok, msg = preemption(handle).pod_eligible_to_preempt_others(incoming, node_status)
    assert ok is eligible
    assert msg == ("" if eligible else "not eligible due to a terminating pod on the nominated node.")


# -- candidates and messages ----------------------------------------------------------------------------------------

def test_only_unschedulable_nodes_are_candidates() -> None:
    handle = FakeHandle(cluster([node("n1"), node("n2")], [pod("low", 1, cpu="3", node_name="n1"),
                                                           pod("low2", 1, cpu="3", node_name="n2")]))
    state, pi, _ = schedule(handle, pod("p", 10))
    statuses = {"n1": unresolvable("node(s) had untolerated taint {a: b}"),
                "n2": unresolvable("node(s) didn't match Pod's node affinity/selector")}
    result, st = preemption(handle).post_filter(state, pi, statuses)
    assert result is not None and result.nominated_node_name == ""
    assert st.code == Code.UNSCHEDULABLE
    assert st.message() == "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    assert handle.client.calls == []


def test_no_lower_priority_pods() -> None:
    pods = [pod(f"high{i}", 100, cpu="3", node_name=f"n{i}") for i in (1, 2, 3)]
    handle = FakeHandle(cluster([node("n1"), node("n2"), node("n3")], pods))
    state, pi, statuses = schedule(handle, pod("p", 10))
    result, st = preemption(handle).post_filter(state, pi, statuses)
    assert result is not None and result.nominated_node_name == ""
    assert st.message() == "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."


def test_mixed_failure_histogram() -> None:
    pods = [pod("high1", 100, cpu="3", node_name="n1"), pod("low2", 1, cpu="1", node_name="n2")]
    # n2 cannot fit the 4-cpu pod even empty; n3 is rejected as unresolvable by some other filter
    handle = FakeHandle(cluster([node("n1"), node("n2"), node("n3")], pods))
    state, pi, statuses = schedule(handle, pod("p", 10, cpu="4"))
    statuses["n3"] = unresolvable("node(s) were unschedulable")
    _, st = preemption(handle).post_filter(state, pi, statuses)
    assert st.message() == ("preemption: 0/3 nodes are available: 1 Insufficient cpu, 1 No preemption victims found "
                            "for incoming pod, 1 Preemption is not helpful for scheduling.")


def test_fit_error_message_sorts_as_strings() -> None:
    statuses = {f"n{i}": unschedulable("b") for i in range(10)}
    statuses["x"] = unschedulable("a", "c")
    assert fit_error_message(12, statuses, "z") == "0/12 nodes are available: 1 a, 1 c, 1 z, 10 b."


def test_calculate_num_candidates() -> None:
    pl = DefaultPreemption(FakeHandle(Snapshot()))
    assert [pl.calculate_num_candidates(n) for n in (5, 100, 1000, 5000)] == [5, 100, 100, 500]
    pl = DefaultPreemption(FakeHandle(Snapshot()), {"minCandidateNodesPercentage": 50,
                                                    "minCandidateNodesAbsolute": 1})
    assert [pl.calculate_num_candidates(n) for n in (1, 10)] == [1, 5]
    with pytest.raises(ValueError):
        DefaultPreemption(None, {"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0})


@pytest.mark.parametrize("offset,want", [(0, "n1"), (2, "n3"), (1, "n2")])
def test_search_starts_at_the_random_offset_and_stops_early(offset: int, want: str) -> None:
    names = ["n1", "n2", "n3"]
    handle = FakeHandle(cluster([node(n) for n in names], [pod(f"low-{n}", 1, cpu="3", node_name=n) for n in names]))
    pl = preemption(handle, minCandidateNodesPercentage=1, minCandidateNodesAbsolute=1)

    class FixedRandom:
        def randrange(self, n: int) -> int:
            assert n == 3
            return offset

    pl.rand = FixedRandom()  # type: ignore[assignment]
    state, pi, statuses = schedule(handle, pod("p", 10))
    candidates, _, _ = pl.find_candidates(state, pi, statuses)
    assert [c.node_name for c in candidates] == [want]


# -- victims ------------------------------------------------------------------------------------------------------

def test_victims_are_the_fewest_lowest_priority_pods() -> None:
    pods = [pod("p1", 1, node_name="n1", start="2024-01-01T00:00:01Z"),
            pod("p2", 2, node_name="n1", start="2024-01-01T00:00:02Z"),
            pod("p3", 3, node_name="n1", start="2024-01-01T00:00:03Z")]
    handle = FakeHandle(cluster([node("n1", cpu="3")], pods))
    pl = preemption(handle)
    # room for one more cpu: the highest priority pods are reprieved first, p1 goes
    assert victims_of(pl, handle, pod("p", 10), "n1") == (["p1"], 0, success())
    # two cpus: p1 and p2 go, listed most important first
    assert victims_of(pl, handle, pod("p", 10, cpu="2"), "n1") == (["p2", "p1"], 0, success())
    # only pods of lower priority than the preemptor are candidates
    names, _, st = victims_of(pl, handle, pod("p", 2, cpu="2"), "n1")
    assert names == [] and st.code == Code.UNSCHEDULABLE and st.message() == "Insufficient cpu"


def test_same_priority_reprieves_the_earlier_started_pod() -> None:
    pods = [pod("late", 1, node_name="n1", start="2024-01-01T00:00:09Z"),
            pod("early", 1, node_name="n1", start="2024-01-01T00:00:01Z")]
    handle = FakeHandle(cluster([node("n1", cpu="2")], pods))
    assert victims_of(preemption(handle), handle, pod("p", 10), "n1")[0] == ["late"]


def test_pdb_violating_pods_are_reprieved_first() -> None:
    pods = [pod("a", 1, node_name="n1", labels={"app": "x"}), pod("b", 2, node_name="n1")]
    handle = FakeHandle(cluster([node("n1", cpu="2")], pods))
    pl = preemption(handle)
    # without a PDB the more important b is reprieved and a is the victim
    assert victims_of(pl, handle, pod("p", 10), "n1")[:2] == (["a"], 0)
    # a PDB that allows no disruption of a: a is tried first and kept, b goes
    assert victims_of(pl, handle, pod("p", 10), "n1", [pdb({"app": "x"}, 0)])[:2] == (["b"], 0)
    # when both must go, the PDB violation is counted
    assert victims_of(pl, handle, pod("p", 10, cpu="2"), "n1", [pdb({"app": "x"}, 0)])[:2] == (["b", "a"], 1)


def test_filter_pods_with_pdb_violation() -> None:
    pis = [PodInfo(pod(n, 1, labels={"app": "x"})) for n in ("a", "b", "c")] + [PodInfo(pod("d", 1))]
    violating, ok = filter_pods_with_pdb_violation(pis, [pdb({"app": "x"}, 1)])
    assert [p.name for p in violating] == ["b", "c"] and [p.name for p in ok] == ["a", "d"]
    # pods already being disrupted do not use the budget
    violating, ok = filter_pods_with_pdb_violation(pis, [pdb({"app": "x"}, 1, {"a": "2024-01-01T00:00:00Z"})])
    assert [p.name for p in violating] == ["c"]
    # an empty selector matches nothing; another namespace does not apply
    empty = {"metadata": {"namespace": "default"}, "spec": {"selector": {}}, "status": {"disruptionsAllowed": 0}}
    other = pdb({"app": "x"}, 0)
    other["metadata"]["namespace"] = "other"
    assert filter_pods_with_pdb_violation(pis, [empty, other])[0] == []


def test_preemption_for_anti_affinity_uses_the_remove_extension() -> None:
    pods = [pod("web-low", 1, node_name="n1", labels={"app": "web"}), pod("web-high", 100, node_name="n2",
                                                                       labels={"app": "web"})]
    snap = cluster([node("n1"), node("n2")], pods)
    handle = FakeHandle(snap)
    handle.plugins = [InterPodAffinity(handle)]
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": HOST}]}}
    state, pi, statuses = schedule(handle, pod("p", 10, affinity=anti))
    assert {n: s.code for n, s in statuses.items()} == {"n1": Code.UNSCHEDULABLE, "n2": Code.UNSCHEDULABLE}
    candidates, node_statuses, _ = preemption(handle).find_candidates(state, pi, statuses)
    assert [(c.node_name, [v.name for v in c.victims]) for c in candidates] == [("n1", ["web-low"])]
    assert node_statuses["n2"].message() == "No preemption victims found for incoming pod"
    # the cycle state and the snapshot were not touched by the dry run
    assert handle.run_filter_plugins(state, pi, snap.get("n1")).code == Code.UNSCHEDULABLE
    assert [p.name for p in snap.get("n1").pods] == ["web-low"]


# -- choosing the node --------------------------------------------------------------------------------------------

def cand(node_name: str, *victims: tuple[int, str], pdb_violations: int = 0) -> Candidate:
    return Candidate(node_name, tuple(PodInfo(pod(f"{node_name}-{i}", prio, start=start))
                                      for i, (prio, start) in enumerate(victims)), pdb_violations)


T1, T2, T3 = "2024-01-01T00:00:01Z", "2024-01-01T00:00:02Z", "2024-01-01T00:00:03Z"


@pytest.mark.parametrize("candidates,want", [
    pytest.param([cand("a", (1, T1), pdb_violations=1), cand("b", (5, T1), (5, T1))], "b", id="fewest-pdb-violations"),
    pytest.param([cand("a", (5, T1)), cand("b", (3, T1), (3, T1), (3, T1))], "b", id="lowest-highest-priority"),
    pytest.param([cand("a", (3, T1), (3, T1)), cand("b", (3, T1), (1, T1))], "b", id="smallest-priority-sum"),
    pytest.param([cand("a", (-5, T1), (-5, T1)), cand("b", (-5, T1))], "b", id="sum-counts-negative-priorities"),
    # equal highest priority and equal sums (every priority is offset by 2^31): the fewer victims win
    pytest.param([cand("a", (0, T1), (-2**31, T1)), cand("b", (0, T1))], "b", id="fewest-victims"),
    pytest.param([cand("a", (3, T1), (1, T3)), cand("b", (3, T2), (1, T1))], "b",
                 id="latest-start-of-highest-priority-victims"),
    pytest.param([cand("a", (3, T2)), cand("b", (3, T2))], "a", id="full-tie-first"),
])
def test_pick_one_node_for_preemption(candidates: list[Candidate], want: str) -> None:
    picked = pick_one_node_for_preemption(candidates, now=2_000_000_000.0)
    assert picked is not None and picked.node_name == want


# -- actions ------------------------------------------------------------------------------------------------------

async def test_post_filter_nominates_and_preempts() -> None:
    pods = [pod("v1", 1, cpu="2", node_name="n1"), pod("keep", 5, cpu="1", node_name="n1"),
            pod("big", 50, cpu="3", node_name="n2")]
    lower = PodInfo(pod("lower", 2, status={"nominatedNodeName": "n1"}))
    higher = PodInfo(pod("higher", 20, status={"nominatedNodeName": "n1"}))
    handle = FakeHandle(cluster([node("n1"), node("n2")], pods), nominated={"n1": [lower, higher]})
    pl = preemption(handle)
    state, pi, statuses = schedule(handle, pod("p", 10, cpu="2", schedulerName="my-scheduler"))
    result, st = pl.post_filter(state, pi, statuses)
    assert st.is_success() and st.message() == ""
    assert result is not None and result.nominated_node_name == "n1"
    assert pl.is_pod_running_preemption("uid-p")
    # a second attempt while the first preemption is being carried out does not preempt again
    again, st2 = pl.post_filter(state, pi, statuses)
    assert again is None and st2.code == Code.UNSCHEDULABLE
    assert st2.message() == "preemption: waiting for the preemption for this pod to be finished"
    await pl.wait_for_preemptions()
    assert not pl.is_pod_running_preemption("uid-p")

    calls = handle.client.calls
    assert calls[0] == ("patch", "/api/v1/namespaces/default/pods/p/status",
                        {"status": {"nominatedNodeName": "n1"}}, "merge")
    _, path, body, ptype = calls[1]
    assert (path, ptype) == ("/api/v1/namespaces/default/pods/v1/status", "strategic")
    cond = body["status"]["conditions"][0]
    assert {k: cond[k] for k in ("type", "status", "reason", "message")} == {
        "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
        "message": "my-scheduler: preempting to accommodate a higher priority pod"}
    assert cond["lastTransitionTime"] == "2027-01-15T08:00:00Z"
    assert calls[2] == ("delete", "/api/v1/namespaces/default/pods/v1")
    assert calls[3] == ("patch", "/api/v1/namespaces/default/pods/lower/status",
                        {"status": {"nominatedNodeName": None}}, "merge")
    assert len(calls) == 4  # "keep" and "higher" are left alone
    assert handle.recorder.events == [("Pod/v1", "Normal", "Preempted", "Preempted by pod uid-p on node n1")]


async def test_victim_already_gone_gets_no_event() -> None:
    handle = FakeHandle(cluster([node("n1")], [pod("v1", 1, cpu="3", node_name="n1")]))
    handle.client.gone.add("/api/v1/namespaces/default/pods/v1")
    pl = preemption(handle)
    state, pi, statuses = schedule(handle, pod("p", 10, status={"nominatedNodeName": "n1"}))
    result, st = pl.post_filter(state, pi, statuses)
    assert st.is_success() and result is not None and result.nominated_node_name == "n1"
    await pl.wait_for_preemptions()
    # already nominated there: no nomination patch; the delete hit NotFound: no event
    assert [c[0] for c in handle.client.calls] == ["patch", "delete"]
    assert handle.recorder.events == []


async def test_existing_condition_is_not_patched_again() -> None:
    cond = {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
            "message": "default-scheduler: preempting to accommodate a higher priority pod"}
    handle = FakeHandle(cluster([node("n1")], [pod("v1", 1, cpu="3", node_name="n1",
                                                    status={"conditions": [cond]})]))
    pl = preemption(handle)
    await pl.prepare_candidate(Candidate("n1", (handle.snapshot.get("n1").pods[0],)), PodInfo(pod("p", 10)))
    assert [c[0] for c in handle.client.calls] == ["patch", "delete"]  # nominate, delete



async def test_victim_waiting_at_permit_is_rejected_not_deleted() -> None:
    class Waiting:
        def __init__(self) -> None:
            self.rejected: list[tuple[str, str]] = []

        def reject(self, plugin: str, message: str) -> None:
            self.rejected.append((plugin, message))

    waiting = Waiting()
    handle = FakeHandle(cluster([node("n1")], [pod("v1", 1, cpu="3", node_name="n1")]))
    handle.get_waiting_pod = lambda uid: waiting if uid == "uid-v1" else None  # type: ignore[attr-defined]
    pl = preemption(handle)
    await pl.prepare_candidate(Candidate("n1", (handle.snapshot.get("n1").pods[0],)), PodInfo(pod("p", 10)))
    assert waiting.rejected == [("DefaultPreemption", "preempted")]
    assert [c[0] for c in handle.client.calls] == ["patch"]  # only the nomination
    assert handle.recorder.events == [("Pod/v1", "Normal", "Preempted", "Preempted by pod uid-p on node n1")]
