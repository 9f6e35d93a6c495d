"""NodeResourcesFit: a pod only fits a node with room for its requests; among those, score by allocation.

PreFilter takes the pod's requests (containers + sidecars, or the largest init container, + overhead: see
:func:`kybernetes.scheduler.nodeinfo.pod_requests`).  Filter lists every resource that does not fit, in
upstream's words and order, in one ``UNSCHEDULABLE`` status (preempting pods frees room):

- "Too many pods" when the node already holds ``allocatable.pods`` pods;
- "Insufficient cpu" / "Insufficient memory" / "Insufficient ephemeral-storage" when the pod's non-zero request
  exceeds allocatable minus what the node's pods request;
- "Insufficient <name>" for an extended or other scalar resource (hugepages-*, example.com/gpu), unless the
  name is in ``ignoredResources`` or its domain (the part before "/") is in ``ignoredResourceGroups``; only
  extended resources can be ignored.

Score rates the node by ``scoringStrategy`` (LeastAllocated by default, MostAllocated, RequestedToCapacityRatio
with a ``shape``) over ``resources`` (default cpu 1 and memory 1), using non-zero requests for cpu and memory
(pods without requests count 100m / 200Mi) -- see :mod:`kybernetes.scheduler.plugins.resourceallocation`.

For speed: ``signature`` lets the framework reuse results for identical pods; ``filter_batch`` answers the
common case (room for the pod's cpu, memory, ephemeral storage and one more pod) for all nodes at once from the
snapshot's arrays; ``score_nodes`` scores a NodeList over the arrays.  All give exactly what Filter/Score give.

Plugin args (``NodeResourcesFitArgs``, v1 JSON names): ``ignoredResources``, ``ignoredResourceGroups``,
``scoringStrategy: {type, resources: [{name, weight}], requestedToCapacityRatio: {shape: [{utilization, score}]}}``.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from typing import Any

from kybernetes.scheduler.framework import (ActionType, ClusterEvent, Code, CycleState, Plugin, PreFilterResult,
                                            Status, success)
from kybernetes.scheduler.nodearrays import NodeArrays, exact
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo
from kybernetes.scheduler.plugins.helper import missing_state
from kybernetes.scheduler.plugins.resourceallocation import (LEAST_ALLOCATED, MOST_ALLOCATED,
                                                             REQUESTED_TO_CAPACITY_RATIO, ResourceAllocationScorer,
                                                             parse_resources, parse_shape)

__all__ = ["NAME", "NodeResourcesFit", "FitState", "is_extended_resource_name", "insufficient_resources"]

NAME = "NodeResourcesFit"
PRE_FILTER_STATE_KEY = "PreFilter" + NAME
PRE_SCORE_STATE_KEY = "PreScore" + NAME
_OK = success()  # the shared SUCCESS status, returned without a call on the per-node path

_instance_ids = itertools.count(1)

REASON_TOO_MANY_PODS = "Too many pods"
REASON_CPU = "Insufficient cpu"
REASON_MEMORY = "Insufficient memory"
REASON_EPHEMERAL = "Insufficient ephemeral-storage"


def is_extended_resource_name(name: str) -> bool:
    """Extended resources are domain-qualified names outside ``kubernetes.io/`` (and not ``requests.*``)."""
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


class FitState:
    """The pod's requests as Filter checks them (computed once per pod and kept in ``PodInfo.cache``)."""

    __slots__ = ("milli_cpu", "memory", "ephemeral_storage", "scalars", "zero")

    def __init__(self, pod_info: PodInfo, ignored: frozenset[str], ignored_groups: frozenset[str]) -> None:
        r = pod_info.requests
        self.milli_cpu = r.milli_cpu
        self.memory = r.memory
        self.ephemeral_storage = r.ephemeral_storage
        nonzero = [(n, q) for n, q in r.scalar.items() if q > 0]
        # nothing requested at all: only the pod count can fail (ignored resources still count as requested)
        self.zero = not (self.milli_cpu or self.memory or self.ephemeral_storage or nonzero)
        scalars: list[tuple[str, int, str]] = []
        for n, q in nonzero:
            if is_extended_resource_name(n) and (n in ignored or n.split("/", 1)[0] in ignored_groups):
                continue
            scalars.append((n, q, f"Insufficient {n}"))
        self.scalars: tuple[tuple[str, int, str], ...] = tuple(scalars)


def insufficient_resources(s: FitState, node_info: NodeInfo) -> list[str] | None:
    """The reasons the pod does not fit ``node_info`` (None when it fits)."""
    alloc = node_info.allocatable
    reasons: list[str] | None = None
    if len(node_info.pods) + 1 > alloc.allowed_pods:
        reasons = [REASON_TOO_MANY_PODS]
    if s.zero:
        return reasons
    req = node_info.requested
    if s.milli_cpu and s.milli_cpu > alloc.milli_cpu - req.milli_cpu:
        reasons = [REASON_CPU] if reasons is None else reasons + [REASON_CPU]
    if s.memory and s.memory > alloc.memory - req.memory:
        reasons = [REASON_MEMORY] if reasons is None else reasons + [REASON_MEMORY]
    if s.ephemeral_storage and s.ephemeral_storage > alloc.ephemeral_storage - req.ephemeral_storage:
        reasons = [REASON_EPHEMERAL] if reasons is None else reasons + [REASON_EPHEMERAL]
    for name, q, reason in s.scalars:
        if q > alloc.scalar.get(name, 0) - req.scalar.get(name, 0):
            reasons = [reason] if reasons is None else reasons + [reason]
    return reasons


class NodeResourcesFit(Plugin):
    """PreFilter/Filter on requests vs. allocatable; PreScore/Score by the configured scoring strategy."""

    name = NAME
    extension_points = ("pre_filter", "filter", "pre_score", "score")

    def __init__(self, handle: Any = None, args: dict[str, Any] | None = None) -> None:
        """Raises ValueError on invalid args (unknown strategy, bad weights or shape)."""
        super().__init__(handle, args)
        self.ignored = frozenset(self.args.get("ignoredResources") or ())
        self.ignored_groups = frozenset(self.args.get("ignoredResourceGroups") or ())
        strategy = self.args.get("scoringStrategy") or {}
        kind = strategy.get("type") or LEAST_ALLOCATED
        if kind not in (LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO):
            raise ValueError(f"scoringStrategy.type: Unsupported value: {kind!r}: supported values: "
                             f"\"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\"")
        shape: tuple[tuple[int, int], ...] = ()
        if kind == REQUESTED_TO_CAPACITY_RATIO:
            shape = parse_shape((strategy.get("requestedToCapacityRatio") or {}).get("shape"))
        self.scorer = ResourceAllocationScorer(kind, parse_resources(strategy.get("resources")), shape=shape)
        # FitState depends on the args, so cache it per plugin instance (profiles may differ)
        self._cache_key = f"{NAME}/{next(_instance_ids)}"

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", ActionType.DELETE),
                ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE)]

    def _fit_state(self, pod_info: PodInfo) -> FitState:
        s = pod_info.cache.get(self._cache_key)
        if s is None:
            s = pod_info.cache[self._cache_key] = FitState(pod_info, self.ignored, self.ignored_groups)
        return s

    def signature(self, pod_info: PodInfo) -> Hashable:
        """What Filter (the FitState) and Score (the scorer's view of the requests) read of the pod."""
        key = self._cache_key + "/signature"
        sig = pod_info.cache.get(key)
        if sig is None:
            s = self._fit_state(pod_info)
            sig = pod_info.cache[key] = (s.milli_cpu, s.memory, s.ephemeral_storage, s.scalars, s.zero,
                                         self.scorer.pod_requests(pod_info))
        return sig

    # -- filtering
    def pre_filter(self, state: CycleState, pod_info: PodInfo) -> tuple[PreFilterResult | None, Status]:
        state.write(PRE_FILTER_STATE_KEY, self._fit_state(pod_info))
        return None, success()

    def filter_batch(self, state: CycleState, pod_info: PodInfo, arrays: NodeArrays) -> Any:
        """The fast path of ``filter`` over all nodes: room for one more pod and for the cpu, memory and
        ephemeral storage asked (pods asking for extended resources: no bulk answer)."""
        s: FitState | None = state.get(PRE_FILTER_STATE_KEY)
        if s is None or s.scalars or not exact(s.milli_cpu, s.memory, s.ephemeral_storage):
            return None
        m = arrays.free_pods > 0
        m &= arrays.free_cpu >= s.milli_cpu
        m &= arrays.free_memory >= s.memory
        m &= arrays.free_ephemeral >= s.ephemeral_storage
        return m

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        try:
            s: FitState = state.read(PRE_FILTER_STATE_KEY)
        except KeyError:
            return missing_state(PRE_FILTER_STATE_KEY, "PreFilter")
        alloc = node_info.allocatable
        req = node_info.requested
        # fast path: everything fits (a zero request against an overcommitted node takes the slow path, which
        # does not count it as insufficient)
        if (len(node_info.pods) < alloc.allowed_pods and s.milli_cpu <= alloc.milli_cpu - req.milli_cpu
                and s.memory <= alloc.memory - req.memory
                and s.ephemeral_storage <= alloc.ephemeral_storage - req.ephemeral_storage and not s.scalars):
            return _OK
        reasons = insufficient_resources(s, node_info)
        if reasons is None:
            return _OK
        return Status(Code.UNSCHEDULABLE, reasons)

    # -- scoring
    def pre_score(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        state.write(PRE_SCORE_STATE_KEY, self.scorer.pod_requests(pod_info))
        return success()

    def score(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> int:
        try:
            requests = state.read(PRE_SCORE_STATE_KEY)
        except KeyError:  # PreScore disabled: compute here, as upstream does
            requests = self.scorer.pod_requests(pod_info)
        return self.scorer.score(node_info, requests)

    batch_scoring = True

    def score_nodes(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Any:
        requests = state.get(PRE_SCORE_STATE_KEY)
        if requests is None:
            requests = self.scorer.pod_requests(pod_info)
        return self.scorer.score_nodes(nodes, requests)
