"""NodeName (cases after upstream's node_name_test.go)."""

from __future__ import annotations

from kybernetes.scheduler.framework import ActionType, ClusterEvent, Code, CycleState
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.nodename import NAME, NodeName
from tests.unit.scheduler.plugins.builders import make_node, make_pod, node_info


def test_no_node_name_skips_pre_filter():
    res, st = NodeName().pre_filter(CycleState(), PodInfo(make_pod()))
    assert res is None and st.code == Code.SKIP


def test_node_name_matches():
    pi = PodInfo(make_pod(nodeName="foo"))
    _, st = NodeName().pre_filter(CycleState(), pi)
    assert st.is_success()
    assert NodeName().filter(CycleState(), pi, node_info(make_node("foo"))).is_success()


def test_node_name_does_not_match():
    st = NodeName().filter(CycleState(), PodInfo(make_pod(nodeName="bar")), node_info(make_node("foo")))
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert st.reasons == ["node(s) didn't match the requested node name"]


def test_plugin_identity():
    pl = NodeName()
    assert pl.name == NAME == "NodeName"
    assert pl.extension_points == ("pre_filter", "filter")
    assert pl.events_to_register() == [ClusterEvent("Node", ActionType.ADD)]
