"""NodeUnschedulable (cases after upstream's node_unschedulable_test.go)."""

from __future__ import annotations

import pytest

from kybernetes.scheduler.framework import ActionType, ClusterEvent, Code, CycleState
from kybernetes.scheduler.nodeinfo import PodInfo
from kybernetes.scheduler.plugins.nodeunschedulable import NAME, NodeUnschedulable
from tests.unit.scheduler.plugins.builders import make_node, make_pod, node_info

UNSCHEDULABLE_TOLERATION = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


@pytest.mark.parametrize("unschedulable, tolerations, want", [
    pytest.param(True, None, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, id="cordoned node rejects"),
    pytest.param(False, None, Code.SUCCESS, id="normal node accepts"),
    pytest.param(True, [UNSCHEDULABLE_TOLERATION], Code.SUCCESS, id="toleration of the unschedulable taint"),
    pytest.param(True, [{"operator": "Exists"}], Code.SUCCESS, id="tolerate-everything toleration"),
    pytest.param(True, [{"key": "node.kubernetes.io/unschedulable", "effect": "NoExecute"}],
                 Code.UNSCHEDULABLE_AND_UNRESOLVABLE, id="toleration with another effect does not help"),
])
def test_filter(unschedulable, tolerations, want):
    pod = make_pod(tolerations=tolerations) if tolerations else make_pod()
    st = NodeUnschedulable().filter(CycleState(), PodInfo(pod), node_info(make_node("n", unschedulable=unschedulable)))
    assert st.code == want
    if want != Code.SUCCESS:
        assert st.reasons == ["node(s) were unschedulable"]


def test_plugin_identity():
    pl = NodeUnschedulable()
    assert pl.name == NAME == "NodeUnschedulable"
    assert pl.extension_points == ("filter",)
    assert pl.events_to_register() == [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT)]
