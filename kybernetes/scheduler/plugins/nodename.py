"""NodeName: a pod that names its node (``spec.nodeName``) may only go to that node.

Pods created with ``spec.nodeName`` are normally bound already and never reach the scheduler; the plugin exists
for the ones that do (and for preemption/simulation callers).  A mismatch is unresolvable.  PreFilter answers
SKIP for the usual pod without ``spec.nodeName``, so Filter costs nothing then.
"""

from __future__ import annotations

from collections.abc import Hashable

from kybernetes.scheduler.framework import (ActionType, ClusterEvent, CycleState, Plugin, PreFilterResult, Status,
                                            skip, success, unresolvable)
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo

__all__ = ["NAME", "NodeName", "ERR_REASON"]

NAME = "NodeName"
ERR_REASON = "node(s) didn't match the requested node name"
_OK = success()  # the shared SUCCESS status, returned without a call on the per-node path


def _node_name(pod_info: PodInfo) -> str:
    return (pod_info.pod.get("spec") or {}).get("nodeName") or ""


class NodeName(Plugin):
    """PreFilter (SKIP without ``spec.nodeName``) and Filter (the node's name must equal ``spec.nodeName``)."""

    name = NAME
    extension_points = ("pre_filter", "filter")

    def events_to_register(self) -> list[ClusterEvent]:
        # only a new node (with the requested name) can change the answer
        return [ClusterEvent("Node", ActionType.ADD)]

    def pre_filter(self, state: CycleState, pod_info: PodInfo) -> tuple[PreFilterResult | None, Status]:
        if not _node_name(pod_info):
            return None, skip()
        return None, success()

    def signature(self, pod_info: PodInfo) -> Hashable:
        return _node_name(pod_info)

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        want = _node_name(pod_info)
        if want and want != node_info.name:
            return unresolvable(ERR_REASON)
        return _OK
