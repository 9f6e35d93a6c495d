"""TaintToleration: Filter messages and the PreferNoSchedule score (cases after upstream's
taint_toleration_test.go, TestTaintTolerationFilter and TestTaintTolerationScore)."""

from __future__ import annotations

import pytest

from kybernetes.scheduler.framework import ActionType, ClusterEvent, Code, CycleState
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.tainttoleration import NAME, TaintToleration
from tests.unit.scheduler.plugins.builders import make_node, make_pod, node_info, run_scores


def taint(key, value="", effect="NoSchedule"):
    t = {"key": key, "effect": effect}
    if value:
        t["value"] = value
    return t


def tol(key="", value="", effect="", operator=""):
    t = {}
    for k, v in (("key", key), ("value", value), ("effect", effect), ("operator", operator)):
        if v:
            t[k] = v
    return t


FILTER_CASES = [
    pytest.param([], [taint("dedicated", "user1")], "node(s) had untolerated taint {dedicated: user1}",
                 id="no tolerations, NoSchedule taint"),
    pytest.param([tol("dedicated", "user1", "NoSchedule")], [taint("dedicated", "user1")], None,
                 id="dedicated node assigned to user1"),
    pytest.param([tol("dedicated", "user2", "NoSchedule", "Equal")], [taint("dedicated", "user1")],
                 "node(s) had untolerated taint {dedicated: user1}", id="dedicated node assigned to someone else"),
    pytest.param([tol("foo", effect="NoSchedule", operator="Exists")], [taint("foo", "bar")], None,
                 id="operator Exists tolerates"),
    pytest.param([tol("dedicated", "user2", "NoSchedule"), tol("foo", effect="NoSchedule", operator="Exists")],
                 [taint("dedicated", "user2"), taint("foo", "bar")], None, id="several taints all tolerated"),
    pytest.param([tol("foo", "bar", "PreferNoSchedule")], [taint("foo", "bar")],
                 "node(s) had untolerated taint {foo: bar}", id="same key and value, other effect"),
    pytest.param([tol("foo", "bar")], [taint("foo", "bar")], None, id="empty toleration effect matches all"),
    pytest.param([tol("dedicated", "user2", "NoSchedule")], [taint("dedicated", "user1", "PreferNoSchedule")],
                 None, id="PreferNoSchedule taints do not filter"),
    pytest.param([], [taint("node.kubernetes.io/not-ready", effect="NoExecute")],
                 "node(s) had untolerated taint {node.kubernetes.io/not-ready: }", id="NoExecute without value"),
    pytest.param([], [], None, id="untainted node"),
]


@pytest.mark.parametrize("tolerations, taints, reason", FILTER_CASES)
def test_filter(tolerations, taints, reason):
    pod = make_pod(tolerations=tolerations)
    st = TaintToleration().filter(CycleState(), PodInfo(pod), node_info(make_node("n", taints=taints)))
    if reason is None:
        assert st.is_success()
    else:
        assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        assert st.reasons == [reason]


def _scores(tolerations, nodes_taints):
    nodes = [node_info(make_node(f"node{i}", taints=t)) for i, t in enumerate(nodes_taints, 1)]
    return run_scores(TaintToleration(), make_pod(tolerations=tolerations), nodes, normalize=True)


def test_score_tolerated_taint_beats_intolerable_one():
    # upstream: "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints"
    got = _scores([tol("foo", "bar", "PreferNoSchedule", "Equal")],
                  [[taint("foo", "bar", "PreferNoSchedule")], [taint("foo", "blah", "PreferNoSchedule")]])
    assert got == {"node1": 100, "node2": 0}


def test_score_more_intolerable_taints_score_lower():
    # upstream: "the more intolerable taints a node has, the lower score it gets": counts 0, 1, 2 -> reversed
    # normalisation 100 - 100*c/2 -> 100, 50, 0
    got = _scores([tol("foo", "bar", "PreferNoSchedule", "Equal")],
                  [[], [taint("cpu-type", "arm64", "PreferNoSchedule")],
                   [taint("cpu-type", "arm64", "PreferNoSchedule"), taint("disk-type", "ssd", "PreferNoSchedule")]])
    assert got == {"node1": 100, "node2": 50, "node3": 0}


def test_score_only_prefer_no_schedule_counts():
    # upstream: "only taints and tolerations that have effect PreferNoSchedule are checked by prioritizer function";
    # the NoSchedule tolerations do not count for scoring, the NoSchedule taint is not scored
    got = _scores([tol("cpu-type", "arm64", "NoSchedule"), tol("disk-type", "ssd", "NoSchedule")],
                  [[], [taint("cpu-type", "arm64", "NoSchedule")], [taint("disk-type", "ssd", "PreferNoSchedule")]])
    assert got == {"node1": 100, "node2": 100, "node3": 0}


def test_score_counts_raw_before_normalising():
    # 3 intolerable vs 1: raw 3 and 1; normalised reversed 100 - 100*1//3 = 67, and 0
    ts = [taint(k, "x", "PreferNoSchedule") for k in ("a", "b", "c")]
    nodes = [node_info(make_node("n1", taints=ts[:1])), node_info(make_node("n2", taints=ts))]
    assert run_scores(TaintToleration(), make_pod(), nodes) == {"n1": 1, "n2": 3}
    assert run_scores(TaintToleration(), make_pod(), nodes, normalize=True) == {"n1": 67, "n2": 0}


def test_score_skips_when_every_node_scores_the_same():
    # upstream: "the nodes that all of their taints are tolerated by the pod, get the same score" (all 100):
    # nothing can differ, so PreScore answers SKIP
    assert _scores([tol("cpu-type", "arm64", "PreferNoSchedule"), tol("disk-type", "ssd", "PreferNoSchedule")],
                   [[], [taint("cpu-type", "arm64", "PreferNoSchedule")],
                    [taint("cpu-type", "arm64", "PreferNoSchedule"),
                     taint("disk-type", "ssd", "PreferNoSchedule")]]) is None
    assert _scores([], [[], [taint("a", "b", "NoSchedule")]]) is None


def test_plugin_identity():
    pl = TaintToleration()
    assert pl.name == NAME == "TaintToleration"
    assert set(pl.extension_points) == {"filter", "pre_score", "score", "normalize_score"}
    assert pl.events_to_register() == [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT)]
