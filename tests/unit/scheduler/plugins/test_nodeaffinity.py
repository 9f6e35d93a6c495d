"""NodeAffinity: Filter/PreFilter (cases after upstream's node_affinity_test.go TestNodeAffinity) and the
preferred-terms score (TestNodeAffinityPriority)."""

from __future__ import annotations

import pytest

from kybernetes.api.placement import pod_matches_node_selector_and_affinity
from kybernetes.scheduler.framework import ActionType, ClusterEvent, Code, CycleState
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.nodeaffinity import NAME, NodeAffinity
from tests.unit.scheduler.plugins.builders import make_node, make_pod, node_info, run_scores

POD_REASON = "node(s) didn't match Pod's node affinity/selector"


def expr(key, op, *values):
    r = {"key": key, "operator": op}
    if values:
        r["values"] = list(values)
    return r


def name_field(op, *values):
    return {"key": "metadata.name", "operator": op, "values": list(values)}


def required(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def run_filter(pod, node, plugin=None):
    """(PreFilter result, PreFilter status, Filter status or None when PreFilter did not succeed)."""
    plugin = plugin or NodeAffinity()
    state, pi = CycleState(), PodInfo(pod)
    res, st = plugin.pre_filter(state, pi)
    if not st.is_success():
        return res, st, None
    return res, st, plugin.filter(state, pi, node_info(node))


FILTER_CASES = [
    # (id, pod spec, node labels, node name, filter passes, prefilter node names)
    ("missing labels", {"nodeSelector": {"foo": "bar"}}, {}, "node1", False, None),
    ("same labels", {"nodeSelector": {"foo": "bar"}}, {"foo": "bar"}, "node1", True, None),
    ("node labels are superset", {"nodeSelector": {"foo": "bar"}}, {"foo": "bar", "baz": "blah"}, "node1", True,
     None),
    ("node labels are subset", {"nodeSelector": {"foo": "bar", "baz": "blah"}}, {"foo": "bar"}, "node1", False,
     None),
    ("In operator matches", {"affinity": required({"matchExpressions": [expr("foo", "In", "bar", "value2")]})},
     {"foo": "bar"}, "node1", True, None),
    ("Gt operator matches", {"affinity": required({"matchExpressions": [expr("kernel-version", "Gt", "0204")]})},
     {"kernel-version": "0206"}, "node1", True, None),
    ("Gt with a non-integer label", {"affinity": required({"matchExpressions": [expr("k", "Gt", "1")]})},
     {"k": "v2"}, "node1", False, None),
    ("Lt operator", {"affinity": required({"matchExpressions": [expr("k", "Lt", "10")]})},
     {"k": "-3"}, "node1", True, None),
    ("NotIn operator matches", {"affinity": required({"matchExpressions": [expr("mem-type", "NotIn", "DDR", "DDR2")]})},
     {"mem-type": "DDR3"}, "node1", True, None),
    ("NotIn with the label absent", {"affinity": required({"matchExpressions": [expr("mem-type", "NotIn", "DDR")]})},
     {}, "node1", True, None),
    ("DoesNotExist operator", {"affinity": required({"matchExpressions": [expr("GPU", "DoesNotExist")]})},
     {"foo": "bar"}, "node1", True, None),
    ("Exists operator", {"affinity": required({"matchExpressions": [expr("GPU", "Exists")]})},
     {"foo": "bar"}, "node1", False, None),
    ("affinity that doesn't match", {"affinity": required({"matchExpressions": [expr("foo", "In", "bar")]})},
     {"foo": "baz"}, "node1", False, None),
    ("empty nodeSelectorTerms match nothing", {"affinity": required()}, {"foo": "bar"}, "node1", False, None),
    ("empty matchExpressions match nothing", {"affinity": required({"matchExpressions": []})}, {"foo": "bar"},
     "node1", False, None),
    ("multiple expressions are ANDed",
     {"affinity": required({"matchExpressions": [expr("GPU", "Exists"), expr("GPU", "NotIn", "AMD", "INTER")]})},
     {"GPU": "NVIDIA-GRID-K1"}, "node1", True, None),
    ("multiple expressions ANDed, one fails",
     {"affinity": required({"matchExpressions": [expr("GPU", "Exists"), expr("GPU", "In", "AMD", "INTER")]})},
     {"GPU": "NVIDIA-GRID-K1"}, "node1", False, None),
    ("multiple terms are ORed",
     {"affinity": required({"matchExpressions": [expr("foo", "In", "bar", "value2")]},
                           {"matchExpressions": [expr("diffkey", "In", "wrong", "value2")]})},
     {"foo": "bar"}, "node1", True, None),
    ("selector and affinity both satisfied",
     {"nodeSelector": {"foo": "bar"}, "affinity": required({"matchExpressions": [expr("foo", "Exists")]})},
     {"foo": "bar"}, "node1", True, None),
    ("affinity satisfied but selector not",
     {"nodeSelector": {"foo": "bar"}, "affinity": required({"matchExpressions": [expr("foo", "Exists")]})},
     {"foo": "barrrrrr"}, "node1", False, None),
    ("matchFields In matches", {"affinity": required({"matchFields": [name_field("In", "node1")]})},
     {}, "node1", True, {"node1"}),
    ("matchFields In does not match", {"affinity": required({"matchFields": [name_field("In", "node1")]})},
     {}, "node2", False, {"node1"}),
    ("matchFields NotIn", {"affinity": required({"matchFields": [name_field("NotIn", "node1")]})},
     {}, "node2", True, None),
    ("two terms: matchFields fails, matchExpressions matches",
     {"affinity": required({"matchFields": [name_field("In", "node1")]},
                           {"matchExpressions": [expr("foo", "In", "bar")]})},
     {"foo": "bar"}, "node2", True, None),
    ("one term: matchFields fails, matchExpressions matches",
     {"affinity": required({"matchFields": [name_field("In", "node1")],
                            "matchExpressions": [expr("foo", "In", "bar")]})},
     {"foo": "bar"}, "node2", False, {"node1"}),
    ("one term: both match",
     {"affinity": required({"matchFields": [name_field("In", "node1")],
                            "matchExpressions": [expr("foo", "In", "bar")]})},
     {"foo": "bar"}, "node1", True, {"node1"}),
    ("two terms of node name affinity",
     {"affinity": required({"matchFields": [name_field("In", "node1")]},
                           {"matchFields": [name_field("In", "node2")]})},
     {}, "node2", True, {"node1", "node2"}),
    ("requirements of one term intersect",
     {"affinity": required({"matchFields": [name_field("In", "node1", "node2"), name_field("In", "node2", "node3")]})},
     {}, "node2", False, {"node2"}),  # In with two values is unparsable for Filter (one value only)
]


@pytest.mark.parametrize("case, spec, labels, name, fits, names", [pytest.param(*c, id=c[0]) for c in FILTER_CASES])
def test_filter(case, spec, labels, name, fits, names):
    pod = make_pod(**spec)
    node = make_node(name, labels=labels)
    res, st, fst = run_filter(pod, node)
    assert st.is_success()
    assert (res.node_names if res else None) == names
    if fits:
        assert fst.is_success()
    else:
        assert fst.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE and fst.reasons == [POD_REASON]
    if case != "requirements of one term intersect":  # placement accepts several values for a field
        # same verdict as the shared placement rules (which DaemonSets use)
        assert pod_matches_node_selector_and_affinity(pod, node) == fits


def test_no_selector_or_affinity_skips():
    res, st, _ = run_filter(make_pod(), make_node("n"))
    assert res is None and st.code == Code.SKIP
    # preferred-only affinity has nothing to filter either
    pod = make_pod(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 1, "preference": {"matchExpressions": [expr("a", "Exists")]}}]}})
    assert run_filter(pod, make_node("n"))[1].code == Code.SKIP


def test_conflicting_match_fields():
    # upstream: "Pod with two conflicting mach field requirements"
    pod = make_pod(affinity=required({"matchFields": [name_field("In", "node1"), name_field("In", "node2")]}))
    res, st, _ = run_filter(pod, make_node("node1"))
    assert res is None
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE and st.reasons == ["pod affinity terms conflict"]


def test_filter_without_pre_filter_computes_requirements():
    pl = NodeAffinity()
    pod = PodInfo(make_pod(nodeSelector={"foo": "bar"}))
    assert pl.filter(CycleState(), pod, node_info(make_node("n", labels={"foo": "bar"}))).is_success()
    assert pl.filter(CycleState(), pod, node_info(make_node("n"))).reasons == [POD_REASON]


ADDED = {"addedAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [expr("zone", "In", "foo")]}]}}}


@pytest.mark.parametrize("pod_spec, labels, reason", [
    pytest.param({"affinity": required({"matchExpressions": [expr("x", "In", "1")]})}, {"zone": "foo", "x": "1"},
                 None, id="matches added affinity and pod's"),
    pytest.param({"affinity": required({"matchExpressions": [expr("x", "In", "1")]})}, {"zone": "foo"},
                 POD_REASON, id="matches added affinity but not pod's"),
    pytest.param({"affinity": required({"matchExpressions": [expr("x", "In", "1")]})}, {"zone": "bar", "x": "1"},
                 "node(s) didn't match scheduler-enforced node affinity", id="doesn't match added affinity"),
    pytest.param({}, {"zone": "bar"}, "node(s) didn't match scheduler-enforced node affinity",
                 id="added affinity applies to pods without any"),
])
def test_added_affinity(pod_spec, labels, reason):
    res, st, fst = run_filter(make_pod(**pod_spec), make_node("n", labels=labels), NodeAffinity(args=ADDED))
    assert st.is_success()
    if reason is None:
        assert fst.is_success()
    else:
        assert fst.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE and fst.reasons == [reason]


def test_invalid_added_affinity_is_a_config_error():
    with pytest.raises(ValueError):
        NodeAffinity(args={"addedAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [expr("k", "Gt", "x")]}]}}})


def preferred(*weighted):
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": w, "preference": {"matchExpressions": list(exprs)}} for w, exprs in weighted]}}


AFFINITY_3 = preferred((2, [expr("foo", "In", "bar")]), (4, [expr("key", "In", "value")]),
                       (5, [expr("foo", "In", "bar"), expr("key", "In", "value"), expr("az", "In", "az1")]))
LABEL1 = {"foo": "bar"}
LABEL2 = {"key": "value"}
LABEL5 = {"foo": "bar", "key": "value", "az": "az1"}


def _score(affinity, labels_by_node, args=None, normalize=True):
    nodes = [node_info(make_node(n, labels=l)) for n, l in labels_by_node.items()]
    pod = make_pod(affinity=affinity) if affinity else make_pod()
    return run_scores(NodeAffinity(args=args), pod, nodes, normalize=normalize)


def test_score_no_preferred_terms_skips():
    # upstream: "all nodes are same priority as NodeAffinity is nil"
    assert _score(None, {"node1": LABEL1, "node2": LABEL2}) is None


def test_score_no_node_matches():
    got = _score(preferred((2, [expr("foo", "In", "bar")])), {"node1": {"x": "y"}, "node2": LABEL2})
    assert got == {"node1": 0, "node2": 0}


def test_score_only_one_node_matches():
    got = _score(preferred((2, [expr("foo", "In", "bar")])), {"node1": LABEL1, "node2": LABEL2, "node3": {}})
    assert got == {"node1": 100, "node2": 0, "node3": 0}


def test_score_different_priorities():
    # upstream: "all nodes matches the preferred scheduling requirements of pod but with different priorities":
    # raw sums 2, 11, 4 -> 2*100//11 = 18, 100, 4*100//11 = 36
    labels = {"node1": LABEL1, "node5": LABEL5, "node2": LABEL2}
    assert _score(AFFINITY_3, labels, normalize=False) == {"node1": 2, "node5": 11, "node2": 4}
    assert _score(AFFINITY_3, labels) == {"node1": 18, "node5": 100, "node2": 36}


def test_score_zero_weight_and_empty_terms_ignored():
    aff = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 0, "preference": {"matchExpressions": [expr("foo", "Exists")]}},
        {"weight": 7, "preference": {}},
        {"weight": 3, "preference": {"matchFields": [name_field("In", "node2")]}}]}}
    assert _score(aff, {"node1": LABEL1, "node2": {}}, normalize=False) == {"node1": 0, "node2": 3}


def test_score_added_preferred_terms():
    # every pod gets the profile's preference: raw node1 = 3 (added) + 2 (pod) = 5, node2 = 0 + 4 = 4, node3 = 0
    args = {"addedAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 3, "preference": {"matchExpressions": [expr("zone", "In", "a")]}}]}}
    aff = preferred((2, [expr("foo", "In", "bar")]), (4, [expr("key", "In", "value")]))
    labels = {"node1": {"zone": "a", "foo": "bar"}, "node2": LABEL2, "node3": {}}
    assert _score(aff, labels, args, normalize=False) == {"node1": 5, "node2": 4, "node3": 0}
    assert _score(aff, labels, args) == {"node1": 100, "node2": 80, "node3": 0}
    # and a pod without preferences is still scored by the added terms
    assert _score(None, labels, args) == {"node1": 100, "node2": 0, "node3": 0}


def test_score_unparsable_preferred_term_is_an_error():
    pl = NodeAffinity()
    pod = PodInfo(make_pod(affinity=preferred((1, [expr("k", "Gt", "x")]))))
    st = pl.pre_score(CycleState(), pod, [node_info(make_node("n"))])
    assert st.code == Code.ERROR


def test_plugin_identity():
    pl = NodeAffinity()
    assert pl.name == NAME == "NodeAffinity"
    assert set(pl.extension_points) == {"pre_filter", "filter", "pre_score", "score", "normalize_score"}
    assert pl.events_to_register() == [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL)]
