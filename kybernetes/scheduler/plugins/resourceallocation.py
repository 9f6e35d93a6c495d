"""Resource-allocation scoring shared by NodeResourcesFit and NodeResourcesBalancedAllocation (upstream's
``noderesources/resource_allocation.go`` and its scorers).

A scorer looks at a list of resources (``[(name, weight)]``, default cpu 1 and memory 1).  For each resource it
takes the node's allocatable amount and what would be requested on the node with the pod added:

- ``cpu`` / ``memory``: the node's *non-zero* requests (pods without a request count 100m / 200Mi) plus the
  pod's non-zero request, or the plain requests when ``use_requested`` is set (BalancedAllocation);
- ``ephemeral-storage``: the node's requests plus the pod's request;
- extended and other scalar resources: only when the pod asks for some and the node has it allocatable;
- anything else, or a resource the node has none of, is left out of the score.

The strategies combine the per-resource (requested, allocatable) pairs, in integer arithmetic like upstream:

- LeastAllocated: ``(allocatable - requested) * 100 / allocatable`` (0 when over), weighted mean;
- MostAllocated: ``min(requested, allocatable) * 100 / allocatable``, weighted mean;
- RequestedToCapacityRatio: a broken-linear function of utilization ``requested * 100 / allocatable`` (100 when
  over) through the configured shape points (scores 0..10, scaled by 10); resources scoring 0 drop out of the
  weighted mean, which is rounded half away from zero;
- Balanced: ``(1 - std) * 100`` of the requested fractions (capped at 1): for two resources
  ``std = |f1 - f2| / 2``, otherwise the population standard deviation.

Per node this is a handful of integer operations; the pod's requests are computed once per cycle (PreScore).
For the usual configuration (cpu and memory, any strategy but RequestedToCapacityRatio) ``score_nodes`` also has
an array form over a :class:`~kybernetes.scheduler.nodearrays.NodeList`, giving the same integers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from kybernetes.scheduler.framework import MAX_NODE_SCORE
from kybernetes.scheduler.nodearrays import NodeArrays, NodeList, exact
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo
from kybernetes.scheduler.plugins.helper import div_trunc, round_half_away

__all__ = ["LEAST_ALLOCATED", "MOST_ALLOCATED", "REQUESTED_TO_CAPACITY_RATIO", "BALANCED", "DEFAULT_RESOURCES",
           "MAX_CUSTOM_PRIORITY_SCORE", "MAX_UTILIZATION", "ResourceAllocationScorer", "parse_resources",
           "parse_shape", "broken_linear"]

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"
REQUESTED_TO_CAPACITY_RATIO = "RequestedToCapacityRatio"
BALANCED = "Balanced"  # NodeResourcesBalancedAllocation's scorer (not a NodeResourcesFit strategy)

DEFAULT_RESOURCES: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))
MAX_CUSTOM_PRIORITY_SCORE = 10  # shape point scores are 0..10
MAX_UTILIZATION = 100

_CPU, _MEMORY, _EPHEMERAL, _SCALAR, _OTHER = range(5)


def _kind(name: str) -> int:
    if name == "cpu":
        return _CPU
    if name == "memory":
        return _MEMORY
    if name == "ephemeral-storage":
        return _EPHEMERAL
    if "/" in name or name.startswith(("hugepages-", "attachable-volumes-")):
        return _SCALAR
    return _OTHER


def parse_resources(specs: Sequence[Mapping[str, Any]] | None) -> tuple[tuple[str, int], ...]:
    """``[{"name": "cpu", "weight": 1}, ...]`` -> ``(("cpu", 1), ...)``; empty -> cpu 1, memory 1; a missing or
    zero weight means 1 (upstream's v1 defaulting).  ValueError on a weight outside 1..100 or a duplicate."""
    if not specs:
        return DEFAULT_RESOURCES
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    for i, s in enumerate(specs):
        name = s.get("name") or ""
        weight = int(s.get("weight") or 0) or 1
        if not name:
            raise ValueError(f"resources[{i}].name: Required value")
        if name in seen:
            raise ValueError(f"resources[{i}].name: Duplicate value: {name!r}")
        if not 1 <= weight <= 100:
            raise ValueError(f"resources[{i}].weight: Invalid value: {weight}: resource weight of {name} should "
                             f"be in range [1, 100]")
        seen.add(name)
        out.append((name, weight))
    return tuple(out)


def parse_shape(points: Sequence[Mapping[str, Any]] | None) -> tuple[tuple[int, int], ...]:
    """RequestedToCapacityRatio shape ``[{"utilization": 0, "score": 10}, ...]`` -> ``((utilization, score * 10),
    ...)``.  ValueError unless non-empty, utilization 0..100 strictly increasing, score 0..10."""
    if not points:
        raise ValueError("scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must "
                         "be specified")
    out: list[tuple[int, int]] = []
    for i, p in enumerate(points):
        u, s = int(p.get("utilization") or 0), int(p.get("score") or 0)
        if not 0 <= u <= MAX_UTILIZATION:
            raise ValueError(f"shape[{i}].utilization: Invalid value: {u}: not in valid range [0, 100]")
        if out and u <= out[-1][0]:
            raise ValueError(f"shape[{i}].utilization: Invalid value: {u}: utilization values must be sorted in "
                             f"increasing order")
        if not 0 <= s <= MAX_CUSTOM_PRIORITY_SCORE:
            raise ValueError(f"shape[{i}].score: Invalid value: {s}: not in valid range [0, 10]")
        out.append((u, s * (MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE)))
    return tuple(out)


def broken_linear(shape: Sequence[tuple[int, int]], p: int) -> int:
    """The piecewise-linear function through ``shape`` at ``p`` (flat before the first and after the last point;
    integer arithmetic truncating toward zero as upstream)."""
    for i, (u, s) in enumerate(shape):
        if p <= u:
            if i == 0:
                return s
            pu, ps = shape[i - 1]
            return ps + div_trunc((s - ps) * (p - pu), u - pu)
    return shape[-1][1]


class ResourceAllocationScorer:
    """Scores one node for one pod by a strategy over weighted resources (see the module docstring).

    ``score(node_info, pod_requests)`` is an attribute chosen at construction: for the common configuration
    (exactly cpu then memory, LeastAllocated/MostAllocated/Balanced) a specialised function that reads the
    four numbers it needs and allocates nothing; otherwise the general path over :meth:`pairs`.
    """

    __slots__ = ("strategy", "resources", "use_requested", "shape", "_specs", "score", "_bulk")

    def __init__(self, strategy: str, resources: Sequence[tuple[str, int]] = DEFAULT_RESOURCES, *,
                 use_requested: bool = False, shape: Sequence[tuple[int, int]] = ()) -> None:
        if strategy not in (LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO, BALANCED):
            raise ValueError(f"scoring strategy {strategy} is not supported")
        if strategy == REQUESTED_TO_CAPACITY_RATIO and not shape:
            raise ValueError("RequestedToCapacityRatio needs a shape")
        self.strategy = strategy
        self.resources = tuple(resources)
        self.use_requested = use_requested
        self.shape = tuple(shape)
        self._specs = tuple((_kind(n), n, w) for n, w in self.resources)
        self.score: Callable[[NodeInfo, Sequence[int]], int] = self._general
        self._bulk: Callable[[NodeArrays, np.ndarray, int, int], np.ndarray] | None = None
        if [k for k, _, _ in self._specs] == [_CPU, _MEMORY] and strategy != REQUESTED_TO_CAPACITY_RATIO:
            wc, wm = self.resources[0][1], self.resources[1][1]
            self.score = _cpu_mem_scorer(strategy, wc, wm, use_requested, self._general)
            self._bulk = _cpu_mem_bulk_scorer(strategy, wc, wm, use_requested)

    def score_nodes(self, nodes: Sequence[NodeInfo], pod_requests: Sequence[int]) -> list[int] | np.ndarray:
        """``score`` for every node; over the arrays when ``nodes`` is a NodeList and the configuration has a bulk
        form (cpu and memory, not RequestedToCapacityRatio) -- nodes whose allocatable cpu or memory is not
        positive (or whose numbers are too large for exact array arithmetic) are then still scored one by one."""
        bulk = self._bulk
        if bulk is not None and isinstance(nodes, NodeList) and exact(*pod_requests):
            out = bulk(nodes.arrays, nodes.rows, pod_requests[0], pod_requests[1])
            if out.size:
                arrays = nodes.arrays
                rows = nodes.rows
                odd = ((arrays.alloc_cpu[rows] <= 0) | (arrays.alloc_memory[rows] <= 0)).nonzero()[0]
                if odd.size:
                    score = self.score
                    for k in odd.tolist():
                        out[k] = score(nodes[k], pod_requests)
            return out
        score = self.score
        return [score(ni, pod_requests) for ni in nodes]

    def pod_requests(self, pod_info: PodInfo) -> tuple[int, ...]:
        """The pod's request for each configured resource (cpu in millicores), non-zero unless use_requested."""
        r = pod_info.requests if self.use_requested else pod_info.non_zero_requests
        return tuple(r.get(n) for _, n, _ in self._specs)

    def pairs(self, node_info: NodeInfo, pod_requests: Sequence[int]) -> list[tuple[int, int, int]]:
        """``(requested, allocatable, weight)`` for each resource that takes part in the score on this node."""
        alloc = node_info.allocatable
        req = node_info.requested
        base = req if self.use_requested else node_info.non_zero_requested
        out: list[tuple[int, int, int]] = []
        for (kind, name, weight), p in zip(self._specs, pod_requests):
            if kind == _CPU:
                a, r = alloc.milli_cpu, base.milli_cpu + p
            elif kind == _MEMORY:
                a, r = alloc.memory, base.memory + p
            elif kind == _EPHEMERAL:
                a, r = alloc.ephemeral_storage, req.ephemeral_storage + p
            elif kind == _SCALAR and p:
                a = alloc.scalar.get(name, 0)
                r = req.scalar.get(name, 0) + p
            else:
                continue
            if a:
                out.append((r, a, weight))
        return out

    def _general(self, node_info: NodeInfo, pod_requests: Sequence[int]) -> int:
        pairs = self.pairs(node_info, pod_requests)
        strategy = self.strategy
        if strategy == BALANCED:
            return _balanced(pairs)
        total = wsum = 0
        if strategy == LEAST_ALLOCATED:
            for r, a, w in pairs:
                total += ((a - r) * MAX_NODE_SCORE // a if r <= a else 0) * w
                wsum += w
            return total // wsum if wsum else 0
        if strategy == MOST_ALLOCATED:
            for r, a, w in pairs:
                total += (min(r, a) * MAX_NODE_SCORE // a) * w
                wsum += w
            return total // wsum if wsum else 0
        shape = self.shape
        for r, a, w in pairs:
            s = broken_linear(shape, MAX_UTILIZATION if r > a else r * MAX_UTILIZATION // a)
            if s > 0:
                total += s * w
                wsum += w
        return round_half_away(total, wsum) if wsum else 0


def _cpu_mem_scorer(strategy: str, wc: int, wm: int, use_requested: bool,
                    general: Callable[[NodeInfo, Sequence[int]], int]) -> Callable[[NodeInfo, Sequence[int]], int]:
    """A scorer for resources == (cpu, memory) when both are allocatable (else it defers to ``general``)."""
    wsum = wc + wm
    m = MAX_NODE_SCORE

    if strategy == LEAST_ALLOCATED:
        def least(ni: NodeInfo, pr: Sequence[int]) -> int:
            alloc = ni.allocatable
            ac = alloc.milli_cpu
            am = alloc.memory
            if not ac or not am:
                return general(ni, pr)
            base = ni.requested if use_requested else ni.non_zero_requested
            rc = base.milli_cpu + pr[0]
            rm = base.memory + pr[1]
            sc = (ac - rc) * m // ac if rc <= ac else 0
            sm = (am - rm) * m // am if rm <= am else 0
            return (sc * wc + sm * wm) // wsum
        return least

    if strategy == MOST_ALLOCATED:
        def most(ni: NodeInfo, pr: Sequence[int]) -> int:
            alloc = ni.allocatable
            ac = alloc.milli_cpu
            am = alloc.memory
            if not ac or not am:
                return general(ni, pr)
            base = ni.requested if use_requested else ni.non_zero_requested
            rc = base.milli_cpu + pr[0]
            rm = base.memory + pr[1]
            sc = (rc if rc < ac else ac) * m // ac
            sm = (rm if rm < am else am) * m // am
            return (sc * wc + sm * wm) // wsum
        return most

    def balanced(ni: NodeInfo, pr: Sequence[int]) -> int:
        alloc = ni.allocatable
        ac = alloc.milli_cpu
        am = alloc.memory
        if not ac or not am:
            return general(ni, pr)
        base = ni.requested if use_requested else ni.non_zero_requested
        fc = (base.milli_cpu + pr[0]) / ac
        fm = (base.memory + pr[1]) / am
        if fc > 1.0:
            fc = 1.0
        if fm > 1.0:
            fm = 1.0
        return int((1 - abs((fc - fm) / 2)) * m)
    return balanced


def _cpu_mem_bulk_scorer(strategy: str, wc: int, wm: int,
                         use_requested: bool) -> Callable[[NodeArrays, np.ndarray, int, int], np.ndarray]:
    """The array form of :func:`_cpu_mem_scorer` for the nodes at ``rows``; entries of nodes whose allocatable cpu
    or memory is not positive are meaningless (the caller scores those one by one)."""
    wsum = wc + wm
    m = MAX_NODE_SCORE

    def bulk(arrays: NodeArrays, rows: np.ndarray, pc: int, pm: int) -> np.ndarray:
        ac = arrays.alloc_cpu[rows]
        am = arrays.alloc_memory[rows]
        if use_requested:
            rc = arrays.req_cpu[rows] + pc
            rm = arrays.req_memory[rows] + pm
        else:
            rc = arrays.nz_cpu[rows] + pc
            rm = arrays.nz_memory[rows] + pm
        # a zero (or negative) allocatable: divide by 1 instead, the caller scores those nodes one by one
        ac1 = np.maximum(ac, 1)
        am1 = np.maximum(am, 1)
        if strategy == LEAST_ALLOCATED:
            sc = np.where(rc <= ac, (ac - rc) * m // ac1, 0)
            sm = np.where(rm <= am, (am - rm) * m // am1, 0)
            return (sc * wc + sm * wm) // wsum
        if strategy == MOST_ALLOCATED:
            sc = np.minimum(rc, ac) * m // ac1
            sm = np.minimum(rm, am) * m // am1
            return (sc * wc + sm * wm) // wsum
        # Balanced: float64 of integers below 2**53 is exact, so each operation rounds as Python's does
        fc = np.minimum(rc / ac1, 1.0)
        fm = np.minimum(rm / am1, 1.0)
        return ((1 - np.abs((fc - fm) / 2)) * m).astype(np.int64)
    return bulk


def _balanced(pairs: list[tuple[int, int, int]]) -> int:
    fractions = [min(r / a, 1.0) for r, a, _ in pairs]
    n = len(fractions)
    std = 0.0
    if n == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif n > 2:
        # plain left-to-right float sums, as upstream (sum() may compensate rounding on newer Pythons)
        total = 0.0
        for f in fractions:
            total += f
        mean = total / n
        sq = 0.0
        for f in fractions:
            sq += (f - mean) * (f - mean)
        std = math.sqrt(sq / n)
    return int((1 - std) * MAX_NODE_SCORE)
