"""NodeResourcesBalancedAllocation: prefer nodes whose resources would be used evenly with the pod added.

For each configured resource (default cpu and memory) the fraction requested/allocatable is taken with the pod
added (capped at 1; resources the node has none of, or extended resources the pod does not ask for, are left
out).  The score is ``(1 - std) * 100`` truncated, where ``std`` is ``|f1 - f2| / 2`` for two fractions and the
population standard deviation for more (0 for fewer).  Unlike NodeResourcesFit's scoring this uses the plain
requests, not the 100m/200Mi defaults for pods without requests (as upstream 1.32 does).

Plugin args (``NodeResourcesBalancedAllocationArgs``): ``resources: [{name, weight}]`` (weights are accepted
and ignored by the formula).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from typing import Any

from kybernetes.scheduler.framework import CycleState, Plugin, Status, success
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo
from kybernetes.scheduler.plugins.resourceallocation import BALANCED, ResourceAllocationScorer, parse_resources

__all__ = ["NAME", "NodeResourcesBalancedAllocation"]

NAME = "NodeResourcesBalancedAllocation"
_instance_ids = itertools.count(1)
PRE_SCORE_STATE_KEY = "PreScore" + NAME


class NodeResourcesBalancedAllocation(Plugin):
    """PreScore (the pod's requests) and Score (balance of the requested fractions)."""

    name = NAME
    extension_points = ("pre_score", "score")

    def __init__(self, handle: Any = None, args: dict[str, Any] | None = None) -> None:
        """Raises ValueError on invalid ``resources``."""
        super().__init__(handle, args)
        self.scorer = ResourceAllocationScorer(BALANCED, parse_resources(self.args.get("resources")),
                                               use_requested=True)
        self._sig_key = f"{NAME}/{next(_instance_ids)}"  # the resources may differ between profiles

    def pre_score(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        state.write(PRE_SCORE_STATE_KEY, self.scorer.pod_requests(pod_info))
        return success()

    def score(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> int:
        try:
            requests = state.read(PRE_SCORE_STATE_KEY)
        except KeyError:  # PreScore disabled: compute here, as upstream does
            requests = self.scorer.pod_requests(pod_info)
        return self.scorer.score(node_info, requests)

    def signature(self, pod_info: PodInfo) -> Hashable:
        """Score reads only the pod's requests of the configured resources."""
        sig = pod_info.cache.get(self._sig_key)
        if sig is None:
            sig = pod_info.cache[self._sig_key] = self.scorer.pod_requests(pod_info)
        return sig

    batch_scoring = True

    def score_nodes(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Any:
        """``score`` for all nodes (over the snapshot's arrays for a NodeList)."""
        requests = state.get(PRE_SCORE_STATE_KEY)
        if requests is None:
            requests = self.scorer.pod_requests(pod_info)
        return self.scorer.score_nodes(nodes, requests)
