"""NodeUnschedulable: keep pods off cordoned nodes (``spec.unschedulable: true``).

A cordoned node accepts only pods that tolerate the taint ``node.kubernetes.io/unschedulable:NoSchedule`` (the
node lifecycle controller also puts that taint on such nodes; this plugin reads the flag directly so a fresh
cordon is honoured before the taint appears).  A rejection is unresolvable: evicting pods never uncordons a node.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from kybernetes.api.placement import tolerates
from kybernetes.scheduler.framework import ActionType, ClusterEvent, CycleState, Plugin, Status, success, unresolvable
from kybernetes.scheduler.nodearrays import FLAG_UNSCHEDULABLE, NodeArrays
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo

__all__ = ["NAME", "NodeUnschedulable", "ERR_REASON_UNSCHEDULABLE"]

NAME = "NodeUnschedulable"
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
_UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
_OK = success()  # the shared SUCCESS status, returned without a call on the per-node path


class NodeUnschedulable(Plugin):
    """Filter: rejects nodes with ``spec.unschedulable`` unless the pod tolerates the unschedulable taint."""

    name = NAME
    extension_points = ("filter",)

    def events_to_register(self) -> list[ClusterEvent]:
        # uncordoning is classified as a taint change of the node
        return [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT)]

    def signature(self, pod_info: PodInfo) -> Hashable:
        """Filter depends only on whether the pod tolerates the unschedulable taint."""
        return tolerates((pod_info.pod.get("spec") or {}).get("tolerations"), _UNSCHEDULABLE_TAINT)

    def filter_batch(self, state: CycleState, pod_info: PodInfo, arrays: NodeArrays) -> Any:
        """Nodes not cordoned pass."""
        return arrays.without(FLAG_UNSCHEDULABLE)

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        if not node_info.unschedulable:
            return _OK
        if tolerates((pod_info.pod.get("spec") or {}).get("tolerations"), _UNSCHEDULABLE_TAINT):
            return _OK
        return unresolvable(ERR_REASON_UNSCHEDULABLE)
