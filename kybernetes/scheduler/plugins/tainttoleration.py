"""TaintToleration: a pod may only land on nodes whose NoSchedule/NoExecute taints it tolerates, and prefers
nodes with fewer PreferNoSchedule taints it does not tolerate.

Filter rejects a node with the first untolerated ``NoSchedule``/``NoExecute`` taint, naming it the way upstream
does (``node(s) had untolerated taint {key: value}``); the rejection is unresolvable (evicting pods never removes
a taint).  Score counts the node's ``PreferNoSchedule`` taints that none of the pod's tolerations with effect
``PreferNoSchedule`` (or no effect) tolerates; NormalizeScore maps the counts reversed onto 0..100, so the node with
the most intolerable taints scores 0 and nodes without any score 100.  The plugin's weight in the profile is
applied by the framework.

PreScore counts once for all candidate nodes and answers SKIP when no candidate has an intolerable
PreferNoSchedule taint: every node would then score the same, which cannot change the choice.  (Given a NodeList
it first asks the snapshot's arrays whether any candidate has taints at all.)  Results depend on the pod's
tolerations only (``signature``); untainted nodes pass Filter in bulk (``filter_batch``).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from kybernetes.api.placement import tolerates
from kybernetes.scheduler.framework import (ActionType, ClusterEvent, CycleState, NodeScore, Plugin, Status, skip,
                                            success, unresolvable)
from kybernetes.scheduler.nodearrays import FLAG_TAINTS, NodeArrays, NodeList
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo
from kybernetes.scheduler.plugins.helper import default_normalize_score, json_key

__all__ = ["NAME", "TaintToleration", "untolerated_taint_reason"]

NAME = "TaintToleration"
PRE_SCORE_STATE_KEY = "PreScore" + NAME
_SIG_KEY = NAME + "/signature"
_DO_NOT_SCHEDULE = ("NoSchedule", "NoExecute")
_OK = success()  # the shared SUCCESS status, returned without a call on the per-node path


def untolerated_taint_reason(taint: dict[str, Any]) -> str:
    """Upstream's Filter reason for one untolerated taint (an absent value prints as nothing)."""
    return f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value') or ''}}}"


def _tolerations(pod_info: PodInfo) -> list[dict[str, Any]]:
    return (pod_info.pod.get("spec") or {}).get("tolerations") or []


def count_intolerable_prefer_no_schedule(taints: list[dict[str, Any]], tolerations: list[dict[str, Any]]) -> int:
    """How many ``PreferNoSchedule`` taints of ``taints`` no toleration in ``tolerations`` tolerates."""
    n = 0
    for t in taints:
        if t.get("effect") == "PreferNoSchedule" and not tolerates(tolerations, t):
            n += 1
    return n


class TaintToleration(Plugin):
    """Filter on NoSchedule/NoExecute taints; PreScore/Score/NormalizeScore on PreferNoSchedule taints."""

    name = NAME
    extension_points = ("filter", "pre_score", "score", "normalize_score")

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT)]

    def signature(self, pod_info: PodInfo) -> Hashable:
        """Filter and Score depend on the pod's tolerations only."""
        sig = pod_info.cache.get(_SIG_KEY)
        if sig is None:
            sig = pod_info.cache[_SIG_KEY] = json_key(_tolerations(pod_info))
        return sig

    def filter_batch(self, state: CycleState, pod_info: PodInfo, arrays: NodeArrays) -> Any:
        """Nodes without taints pass."""
        return arrays.without(FLAG_TAINTS)

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        taints = node_info.taints
        if not taints:
            return _OK
        tolerations = _tolerations(pod_info)
        for t in taints:
            if t.get("effect") in _DO_NOT_SCHEDULE and not tolerates(tolerations, t):
                return unresolvable(untolerated_taint_reason(t))
        return _OK

    def pre_score(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        """Count the intolerable PreferNoSchedule taints of every candidate (state: node name -> count, only
        non-zero counts); SKIP when all counts are zero."""
        if isinstance(nodes, NodeList) and not nodes.arrays.any_flagged(FLAG_TAINTS, nodes.rows):
            return skip()
        prefer = [t for t in _tolerations(pod_info) if not t.get("effect") or t.get("effect") == "PreferNoSchedule"]
        counts: dict[str, int] = {}
        for ni in nodes:
            if ni.taints:
                c = count_intolerable_prefer_no_schedule(ni.taints, prefer)
                if c:
                    counts[ni.name] = c
        if not counts:
            return skip()
        state.write(PRE_SCORE_STATE_KEY, counts)
        return success()

    def score(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> int:
        counts: dict[str, int] = state.read(PRE_SCORE_STATE_KEY)  # KeyError: PreScore did not run (a bug)
        return counts.get(node_info.name, 0)

    def score_nodes(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        get = state.read(PRE_SCORE_STATE_KEY).get  # KeyError: PreScore did not run (a bug)
        return [get(ni.name, 0) for ni in nodes]

    def normalize_score(self, state: CycleState, pod_info: PodInfo, scores: list[NodeScore]) -> Status:
        return default_normalize_score(scores, reverse=True)
