"""The framework runner with tiny fake plugins: building profiles, Skip, PreFilterResult narrowing, filters with
nominated pods, weighted/normalized scores, reserve/permit/bind."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from kybernetes.scheduler.config import API_VERSION, KIND, parse_config
from kybernetes.scheduler.framework import (ActionType, ClusterEvent, Code, CycleState, NodeScore, Plugin, error,
                                            success, unresolvable, unschedulable)
from kybernetes.scheduler.nodearrays import NodeArrays, NodeList
from kybernetes.scheduler.plugins.registry import Registry
from kybernetes.scheduler.profile import Framework, FrameworkError
from kybernetes.scheduler.queue import Nominator
from tests.unit.scheduler.fakes import FAKES, NormScorer, node, pod


def framework(*multi, points=None, args=None, nominator=None, **kw) -> Framework:
    """A profile with multiPoint = PrioritySort, Binder + ``multi`` (names or (name, weight)), defaults off."""
    enabled = [{"name": "PrioritySort"}, {"name": "Binder"}]
    for m in multi:
        enabled.append({"name": m[0], "weight": m[1]} if isinstance(m, tuple) else {"name": m})
    plugins = {"multiPoint": {"enabled": enabled, "disabled": [{"name": "*"}]}, **(points or {})}
    cfg = parse_config({"apiVersion": API_VERSION, "kind": KIND, "profiles": [{
        "schedulerName": "default-scheduler", "plugins": plugins,
        "pluginConfig": [{"name": n, "args": a} for n, a in (args or {}).items()]}]})
    return Framework(cfg.profiles[0], Registry(FAKES), nominator=nominator, **kw)


# -- building ----------------------------------------------------------------------------------------------------

def test_multipoint_expands_to_implemented_points():
    f = framework("Fit", ("Scorer", 3), args={"Scorer": {}})
    assert f.list_plugins() == {"pre_filter": ["Fit"], "filter": ["Fit"], "pre_score": ["Scorer"],
                                "score": ["Scorer"], "bind": ["Binder"], "queue_sort": ["PrioritySort"]}
    assert f.score_weights == {"Scorer": 3}


def test_explicit_point_overrides_multipoint_weight_and_order():
    f = framework(("Scorer", 5), ("NormScorer", 5),
                  points={"score": {"enabled": [{"name": "Scorer2"}, {"name": "NormScorer", "weight": 4}]}})
    # overrides first (in their explicit order), then multiPoint-only ones, then the other explicit ones
    assert f.list_plugins()["score"] == ["NormScorer", "Scorer", "Scorer2"]
    assert f.score_weights == {"NormScorer": 4, "Scorer": 5, "Scorer2": 1}


def test_disabled_at_one_point_only():
    f = framework("Fit", points={"preFilter": {"disabled": [{"name": "Fit"}]}})
    assert "pre_filter" not in f.list_plugins()
    assert f.list_plugins()["filter"] == ["Fit"]


def test_missing_weight_means_one():
    assert framework("Scorer").score_weights == {"Scorer": 1}


@pytest.mark.parametrize("kwargs, message", [
    pytest.param({"multi": ("Nope",)}, 'plugin "Nope" does not exist', id="unknown"),
    pytest.param({"points": {"score": {"enabled": [{"name": "Fit"}]}}},
                 'plugin "Fit" does not extend ScorePlugin plugin', id="wrong-point"),
    pytest.param({"points": {"filter": {"enabled": [{"name": "Fit"}, {"name": "Fit"}]}}},
                 'plugin "Fit" already registered as "FilterPlugin"', id="duplicate"),
    pytest.param({"multi": ("Fit", "Fit")}, 'plugin "Fit" already registered as "PreFilterPlugin"',
                 id="duplicate-multipoint"),
    pytest.param({"points": {"bind": {"disabled": [{"name": "*"}]}}},
                 'at least one bind plugin is needed for profile with scheduler name "default-scheduler"',
                 id="no-binder"),
    pytest.param({"points": {"queueSort": {"disabled": [{"name": "*"}]}}},
                 "only one queue sort plugin required", id="no-queue-sort"),
])
def test_build_errors(kwargs, message):
    with pytest.raises(FrameworkError, match=None) as ei:
        framework(*kwargs.get("multi", ()), points=kwargs.get("points"))
    assert message in str(ei.value)


def test_plugin_receives_args_and_handle():
    f = framework("Scorer", args={"Scorer": {"factor": 7}})
    pl = f.plugins["Scorer"]
    assert pl.args == {"factor": 7} and pl.handle is f


def test_unavailable_default_plugin_is_skipped_but_explicit_one_fails():
    reg = Registry({**FAKES, "SchedulingGates": "kybernetes.scheduler.plugins.no_such_module:X",
                    "Custom": "kybernetes.scheduler.plugins.no_such_module:X"})
    cfg = parse_config({"apiVersion": API_VERSION, "kind": KIND, "profiles": [{"plugins": {"multiPoint": {
        "disabled": [{"name": "*"}],
        "enabled": [{"name": "SchedulingGates"}, {"name": "PrioritySort"}, {"name": "Binder"}]}}}]})
    f = Framework(cfg.profiles[0], reg)
    assert f.unavailable == {"SchedulingGates"}
    cfg.profiles[0].plugins["multiPoint"].enabled.append(type(cfg.profiles[0].plugins["multiPoint"].enabled[0])(
        "Custom"))
    with pytest.raises(FrameworkError, match="no_such_module does not exist"):
        Framework(cfg.profiles[0], reg)


def test_enqueue_events():
    f = framework("Fit", "Recorder", "Scorer")
    ev = f.enqueue_events()
    assert ev["Fit"] == [ClusterEvent("Node", ActionType.ADD)]
    assert ev["Recorder"] is None  # reserve/permit plugin without registrations: any event
    assert "Scorer" not in ev      # score plugins never requeue


# -- filtering ---------------------------------------------------------------------------------------------------

def test_pre_filter_skip_skips_filter():
    f = framework("Fit")
    state = CycleState()
    res, s, _ = f.run_pre_filter_plugins(state, pod("p"))
    assert s.is_success() and res is None
    assert state.skip_filter_plugins == {"Fit"}
    assert f.filter_funcs(state) == []
    full = node("n1", cpu=0)
    assert f.run_filter_plugins(state, pod("p"), full).is_success()
    state2 = CycleState()
    f.run_pre_filter_plugins(state2, pod("q", cpu=10))
    s = f.run_filter_plugins(state2, pod("q", cpu=10), full)
    assert (s.code, s.reasons, s.plugin) == (Code.UNSCHEDULABLE, ["Insufficient cpu"], "Fit")


def test_pre_filter_results_intersect():
    f = framework("Narrow", "Narrow2", args={"Narrow": {"nodes": ["a", "b"]}, "Narrow2": {"nodes": ["b", "c"]}})
    res, s, with_nodes = f.run_pre_filter_plugins(CycleState(), pod("p"))
    assert s.is_success() and res.node_names == {"b"} and with_nodes == {"Narrow", "Narrow2"}


@pytest.mark.parametrize("narrow2, message", [
    pytest.param(None, "node(s) didn't satisfy plugin Narrow", id="one-plugin"),
    pytest.param(["c"], "node(s) didn't satisfy plugin(s) [Narrow Narrow2] simultaneously", id="two-plugins"),
])
def test_pre_filter_empty_intersection(narrow2, message):
    multi = ("Narrow", "Narrow2") if narrow2 else ("Narrow",)
    args = {"Narrow": {"nodes": ["a"] if narrow2 else []}}
    if narrow2:
        args["Narrow2"] = {"nodes": narrow2}
    f = framework(*multi, args=args)
    _, s, _ = f.run_pre_filter_plugins(CycleState(), pod("p"))
    assert s.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE and s.message() == message


class RejectPF(Plugin):
    name = "RejectPF"
    extension_points = ("pre_filter",)

    def pre_filter(self, state, pod_info):
        return None, {"unsched": unschedulable("nope"), "unresolvable": unresolvable("never"),
                      "error": error("boom")}[self.args["mode"]]


class CountPF(Plugin):
    name = "CountPF"
    extension_points = ("pre_filter",)
    runs = 0

    def pre_filter(self, state, pod_info):
        CountPF.runs += 1
        return None, success()


@pytest.mark.parametrize("mode, code, later_runs, message", [
    ("unsched", Code.UNSCHEDULABLE, 1, "nope"),        # preemption may need the later PreFilters' state
    ("unresolvable", Code.UNSCHEDULABLE_AND_UNRESOLVABLE, 0, "never"),
    ("error", Code.ERROR, 0, 'running PreFilter plugin "RejectPF": boom'),
])
def test_pre_filter_rejections(mode, code, later_runs, message):
    FAKES.update(RejectPF=RejectPF, CountPF=CountPF)
    try:
        f = framework("RejectPF", "CountPF", args={"RejectPF": {"mode": mode}})
        CountPF.runs = 0
        _, s, _ = f.run_pre_filter_plugins(CycleState(), pod("p"))
        assert (s.code, s.message(), CountPF.runs) == (code, message, later_runs)
        assert s.plugin == "RejectPF"
    finally:
        del FAKES["RejectPF"], FAKES["CountPF"]


class BadFilter(Plugin):
    name = "BadFilter"
    extension_points = ("filter",)

    def filter(self, state, pod_info, node_info):
        return error("disk on fire")


def test_filter_error_names_plugin():
    FAKES["BadFilter"] = BadFilter
    try:
        f = framework("BadFilter")
        s = f.run_filter_plugins(CycleState(), pod("p"), node("n1"))
        assert (s.code, s.message(), s.plugin) == (Code.ERROR, 'running "BadFilter" filter plugin: disk on fire',
                                                   "BadFilter")
    finally:
        del FAKES["BadFilter"]


def test_filters_with_nominated_pods():
    nom = Nominator()
    f = framework("Fit", nominator=nom)
    n1 = node("n1", cpu=1000)
    high = pod("high", cpu=800, priority=100, nominated="n1")
    low = pod("low", cpu=800, priority=-5, nominated="n1")
    nom.add(high)
    nom.add(low)
    me = pod("me", cpu=500, priority=10)
    state = CycleState()
    f.run_pre_filter_plugins(state, me)
    # the higher-priority nominated pod's room is taken; the lower-priority one does not count
    s = f.run_filter_plugins_with_nominated_pods(state, me, n1)
    assert s.code == Code.UNSCHEDULABLE
    assert n1.requested.milli_cpu == 0  # the real NodeInfo was not touched
    nom.delete(high.key)
    assert f.run_filter_plugins_with_nominated_pods(state, me, n1).is_success()
    # the pod itself being nominated to the node does not block it
    nom.add(pod("me", cpu=500, priority=10, nominated="n1"))
    assert f.run_filter_plugins_with_nominated_pods(state, me, n1).is_success()


class NeedsCompany(Plugin):
    """Passes only when a pod labelled ``friend`` is on the node (like required pod affinity)."""

    name = "NeedsCompany"
    extension_points = ("filter",)

    def filter(self, state, pod_info, node_info):
        if any(p.name == "friend" for p in node_info.pods):
            return success()
        return unschedulable("no friend")


def test_second_pass_without_nominated_pods():
    FAKES["NeedsCompany"] = NeedsCompany
    try:
        nom = Nominator()
        f = framework("NeedsCompany", nominator=nom)
        nom.add(pod("friend", priority=100, nominated="n1"))
        # first pass (friend added) passes, second pass (friend not there yet) fails: conservative answer
        s = f.run_filter_plugins_with_nominated_pods(CycleState(), pod("me"), node("n1"))
        assert s.code == Code.UNSCHEDULABLE and s.reasons == ["no friend"]
    finally:
        del FAKES["NeedsCompany"]


def test_post_filter_result_and_message():
    f = framework("Preempt", args={"Preempt": {"node": "n9"}})
    r, s = f.run_post_filter_plugins(CycleState(), pod("p"), {"n1": unschedulable("x")})
    assert r.nominated_node_name == "n9"
    assert (s.code, s.message(), s.plugin) == (Code.UNSCHEDULABLE, "preemption: not helpful", "Preempt")
    assert f.plugins["Preempt"].seen == {"n1": unschedulable("x")}


# -- scoring -----------------------------------------------------------------------------------------------------

def test_scores_weighted_and_normalized():
    f = framework(("Scorer", 2), ("NormScorer", 3))
    nodes = [node("n1"), node("n2"), node("n4")]
    state = CycleState()
    assert f.run_pre_score_plugins(state, pod("p"), nodes).is_success()
    totals, s = f.run_score_plugins(state, pod("p"), nodes)
    assert s.is_success()
    # Scorer raw 1,2,4 * 2; NormScorer 25,50,100 * 3
    assert totals == [2 + 75, 4 + 150, 8 + 300]


def test_pre_score_skip_skips_score():
    f = framework("Scorer", args={"Scorer": {"skip": True}})
    state = CycleState()
    f.run_pre_score_plugins(state, pod("p"), [node("n1")])
    assert state.skip_score_plugins == {"Scorer"}
    totals, s = f.run_score_plugins(state, pod("p"), [node("n1"), node("n2")])
    assert s.is_success() and totals == [0, 0] and f.plugins["Scorer"].scored == 0


def test_score_out_of_range_is_an_error():
    f = framework("Scorer", args={"Scorer": {"factor": 60}})
    totals, s = f.run_score_plugins(CycleState(), pod("p"), [node("n1"), node("n2")])
    assert s.code == Code.ERROR
    assert 'plugin "Scorer" returns an invalid score 120, it should in the range of [0, 100]' in s.message()


# -- reserve, permit, bind ---------------------------------------------------------------------------------------

def test_reserve_rejection_and_unreserve_in_reverse_order():
    f = framework("Recorder", "Recorder2", args={"Recorder2": {"reject_reserve": True}})
    state = CycleState()
    s = f.run_reserve_plugins_reserve(state, pod("p"), "n1")
    assert (s.code, s.plugin) == (Code.UNSCHEDULABLE, "Recorder2")
    order = []
    f.plugins["Recorder"].unreserve = lambda *a: order.append("Recorder")
    f.plugins["Recorder2"].unreserve = lambda *a: order.append("Recorder2")
    f.run_reserve_plugins_unreserve(state, pod("p"), "n1")
    assert order == ["Recorder2", "Recorder"]


async def test_permit_wait_then_allow():
    f = framework("Recorder", args={"Recorder": {"wait": 30}})
    p = pod("p")
    s = f.run_permit_plugins(CycleState(), p, "n1")
    assert s.code == Code.WAIT
    wp = f.get_waiting_pod(p.uid)
    assert wp is not None and wp.pending == {"Recorder"}
    waiter = asyncio.create_task(f.wait_on_permit(p))
    await asyncio.sleep(0)
    assert not waiter.done()
    wp.allow("Recorder")
    assert (await asyncio.wait_for(waiter, 5)).is_success()
    assert f.get_waiting_pod(p.uid) is None


async def test_permit_wait_times_out_and_reject():
    f = framework("Recorder", args={"Recorder": {"wait": 0.05}})
    p = pod("p")
    f.run_permit_plugins(CycleState(), p, "n1")
    s = await asyncio.wait_for(f.wait_on_permit(p), 5)
    assert s.code == Code.UNSCHEDULABLE and s.plugin == "Recorder"
    assert s.message() == "rejected due to timeout after waiting 0.05s at plugin Recorder"
    q = pod("q")
    f.plugins["Recorder"].args["wait"] = 30
    f.run_permit_plugins(CycleState(), q, "n1")
    assert f.reject_waiting_pod(q.uid) is True
    assert (await asyncio.wait_for(f.wait_on_permit(q), 5)).code == Code.UNSCHEDULABLE
    assert f.reject_waiting_pod("nope") is False


async def test_bind_skips_to_next_binder_and_pre_post_bind_run():
    f = framework("SkipBinder", "Recorder", points={"bind": {"enabled": [{"name": "SkipBinder"}]}})
    assert f.list_plugins()["bind"] == ["SkipBinder", "Binder"]
    state, p = CycleState(), pod("p")
    assert (await f.run_pre_bind_plugins(state, p, "n1")).is_success()
    assert (await f.run_bind_plugins(state, p, "n1")).is_success()
    await f.run_post_bind_plugins(state, p, "n1")
    assert f.plugins["Binder"].bound == [("p", "n1")]
    assert f.plugins["Recorder"].calls == ["pre_bind", "post_bind"]


def test_normalize_receives_node_scores():
    got = []

    class Spy(NormScorer):
        name = "Spy"

        def normalize_score(self, state, pod_info, scores):
            got.extend(scores)
            return success()

    FAKES["Spy"] = Spy
    try:
        f = framework("Spy")
        f.run_score_plugins(CycleState(), pod("p"), [node("n3"), node("n5")])
        assert got == [NodeScore("n3", 3), NodeScore("n5", 5)]
    finally:
        del FAKES["Spy"]


# -- memoization -------------------------------------------------------------------------------------------------

class Memo(Plugin):
    """Filter and Score that count their calls; signature = the pod's cpu request (None when args say so)."""

    name = "Memo"
    extension_points = ("filter", "score")

    def __init__(self, handle=None, args=None):
        super().__init__(handle, args)
        self.filtered = 0
        self.scored = 0

    def signature(self, pod_info):
        return None if self.args.get("no_signature") else pod_info.requests.milli_cpu

    def filter(self, state, pod_info, node_info):
        self.filtered += 1
        free = node_info.allocatable.milli_cpu - node_info.requested.milli_cpu
        return success() if pod_info.requests.milli_cpu <= free else unschedulable("Insufficient cpu")

    def score(self, state, pod_info, node_info):
        self.scored += 1
        return node_info.requested.milli_cpu // 10


def run_cycle(f, p, nodes):
    state = CycleState()
    statuses = [f.run_filter_plugins(state, p, ni) for ni in nodes]
    totals, s = f.run_score_plugins(state, p, nodes)
    assert s.is_success()
    return [(x.code, tuple(x.reasons)) for x in statuses], totals


@pytest.mark.parametrize("no_signature", [False, True], ids=["memoized", "plain"])
def test_memoized_results_equal_fresh_ones(no_signature):
    FAKES["Memo"] = Memo
    try:
        f = framework("Memo", args={"Memo": {"no_signature": no_signature}})
        pl = f.plugins["Memo"]
        nodes = [node("n1", cpu=500), node("n2", cpu=500), node("n3", cpu=100)]
        first = run_cycle(f, pod("a", cpu=200), nodes)
        assert (pl.filtered, pl.scored) == (3, 3)
        again = run_cycle(f, pod("b", cpu=200), nodes)  # same signature, nodes unchanged
        assert again == first
        assert (pl.filtered, pl.scored) == ((6, 6) if no_signature else (3, 3))
        nodes[0] = nodes[0].clone()
        nodes[0].add_pod(pod("x", cpu=400))  # n1 changed: a new generation
        third = run_cycle(f, pod("c", cpu=200), nodes)
        assert third[0][0] == (Code.UNSCHEDULABLE, ("Insufficient cpu",)) and third[1][0] == 40
        assert (pl.filtered, pl.scored) == ((9, 9) if no_signature else (4, 4))
        other = run_cycle(f, pod("d", cpu=50), nodes)  # another signature: computed afresh
        assert other[0][2] == (Code.SUCCESS, ())
        assert (pl.filtered, pl.scored) == ((12, 12) if no_signature else (7, 7))
    finally:
        del FAKES["Memo"]


# -- scores as arrays (plugins computing over the snapshot's arrays) ---------------------------------------------

class ArrayScorer(Plugin):
    """Scorer's scores, returned as a numpy array; ``batch_scoring``: memoized only for plain lists."""

    name = "ArrayScorer"
    extension_points = ("score",)
    batch_scoring = True

    def __init__(self, handle=None, args=None):
        super().__init__(handle, args)
        self.batches = 0

    def signature(self, pod_info):
        return 1

    def score(self, state, pod_info, node_info):
        return int(node_info.name[1:]) * self.args.get("factor", 1)

    def score_nodes(self, state, pod_info, nodes):
        self.batches += 1
        return np.array([self.score(state, pod_info, ni) for ni in nodes], dtype=np.int64)


def node_list(nodes):
    return NodeList(nodes, NodeArrays(nodes), np.arange(len(nodes), dtype=np.intp))


def test_array_scores_mix_with_list_scores():
    FAKES["ArrayScorer"] = ArrayScorer
    try:
        f = framework(("ArrayScorer", 3), ("Scorer", 2), ("NormScorer", 1))
        nodes = [node("n1"), node("n2"), node("n4")]
        for given in (nodes, node_list(nodes)):
            totals, s = f.run_score_plugins(CycleState(), pod("p"), given)
            assert s.is_success() and type(totals) is list
            assert totals == [3 * 1 + 2 * 1 + 25, 3 * 2 + 2 * 2 + 50, 3 * 4 + 2 * 4 + 100]
            raw, s = f.score_totals(CycleState(), pod("p"), given)
            assert list(raw) == totals
        pl = f.plugins["ArrayScorer"]
        assert pl.batches == 3  # the plain list once (then memoized), the NodeList each time
        f.run_score_plugins(CycleState(), pod("p"), nodes)
        assert pl.batches == 3
        f.run_score_plugins(CycleState(), pod("p"), node_list(nodes))
        assert pl.batches == 4
    finally:
        del FAKES["ArrayScorer"]


def test_array_score_out_of_range_is_an_error():
    FAKES["ArrayScorer"] = ArrayScorer
    try:
        f = framework("ArrayScorer", args={"ArrayScorer": {"factor": 60}})
        totals, s = f.run_score_plugins(CycleState(), pod("p"), node_list([node("n1"), node("n2")]))
        assert s.code == Code.ERROR
        assert 'plugin "ArrayScorer" returns an invalid score 120, it should in the range of [0, 100]' in s.message()
    finally:
        del FAKES["ArrayScorer"]


def test_filter_batch_masks_are_anded_and_name_the_rest():
    class MaskFit(FAKES["Fit"]):  # type: ignore[misc, valid-type]
        name = "MaskFit"

        def filter_batch(self, state, pod_info, arrays):
            return arrays.free_cpu >= pod_info.requests.milli_cpu

    class MaskNone(MaskFit):
        name = "MaskNone"

        def filter_batch(self, state, pod_info, arrays):
            return None

    FAKES["MaskFit"], FAKES["MaskNone"] = MaskFit, MaskNone
    try:
        f = framework("MaskFit", "Fit", "MaskNone")
        nodes = [node("n1", cpu=500), node("n2", cpu=100), node("n3", cpu=300)]
        state = CycleState()
        f.run_pre_filter_plugins(state, pod("p", cpu=200))
        mask, rest, chain = f.run_filter_batch(state, pod("p", cpu=200), NodeArrays(nodes))
        assert mask.tolist() == [True, False, True]
        assert [n for n, _ in rest] == ["Fit", "MaskNone"] and [n for n, _ in chain] == ["MaskFit", "Fit", "MaskNone"]
        state.skip_filter_plugins = {"MaskFit"}
        assert f.run_filter_batch(state, pod("p", cpu=200), NodeArrays(nodes)) == (None, [], [])
    finally:
        del FAKES["MaskFit"], FAKES["MaskNone"]
