"""Node resources as columns of numbers, so hot Filters and Scores handle every node in a few array operations.

A scheduling cycle at 5000 nodes examines ~500 of them; calling a Python function per node and plugin costs
milliseconds per pod.  :class:`NodeArrays` keeps, for each NodeInfo of a :class:`~kybernetes.scheduler.nodeinfo.
Snapshot` (row ``i`` is ``snapshot.node_info_list[i]``), the integers the resource plugins read -- allocatable
cpu/memory/ephemeral-storage/pods, requested cpu/memory/ephemeral-storage, non-zero requested cpu/memory, the number
of pods -- and flags saying which nodes have taints, are cordoned, have host ports in use, hold images, have extended
resources, or hold a number too large to be computed on exactly in arrays (``FLAG_INEXACT``).  The scheduler cache
rewrites only the rows of the nodes that changed, together with the snapshot.

Exactness: every number kept is below ``EXACT_LIMIT`` (2**52) in absolute value, or the row is flagged inexact and
the plugins compute it per node with the plain Python code.  Below that limit int64 arithmetic cannot overflow
(sums stay below 2**53, times 100 below 2**60), and int64 -> float64 conversions are exact, so float formulas give
bit for bit what Python's int/int true division gives.

The free amounts (allocatable minus requested, allowed pods minus pods) are kept too.  An inexact row holds zeros
everywhere (no room, nothing allocatable), so array code treats it as "ask the node".

A :class:`NodeList` is a plain ``list`` of NodeInfos that also carries the arrays and the row of each of its
nodes; the scheduler hands one to PreScore/Score plugins so they may compute over the rows instead of the nodes.
Plugins must treat any other list as "no arrays" and fall back to their per-node code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kybernetes.scheduler.nodeinfo import NodeInfo

__all__ = ["NodeArrays", "NodeList", "EXACT_LIMIT", "exact", "FLAG_TAINTS", "FLAG_UNSCHEDULABLE", "FLAG_PORTS",
           "FLAG_IMAGES", "FLAG_SCALAR", "FLAG_INEXACT"]

EXACT_LIMIT = 1 << 52

FLAG_TAINTS = 1
FLAG_UNSCHEDULABLE = 2
FLAG_PORTS = 4
FLAG_IMAGES = 8
FLAG_SCALAR = 16  # extended/scalar resources allocatable or requested
FLAG_INEXACT = 32

# row numbers in the int64 matrix (one row per quantity, one column per node)
(ALLOC_CPU, ALLOC_MEMORY, ALLOC_EPHEMERAL, ALLOC_PODS, REQ_CPU, REQ_MEMORY, REQ_EPHEMERAL, NZ_CPU, NZ_MEMORY,
 NUM_PODS, FREE_CPU, FREE_MEMORY, FREE_EPHEMERAL, FREE_PODS, FLAGS) = range(15)
_QUANTITIES = 10  # the ones read from the NodeInfo; the free amounts are derived


def exact(*values: int) -> bool:
    """True when every value is small enough for exact array arithmetic (see the module docstring)."""
    for v in values:
        if not -EXACT_LIMIT < v < EXACT_LIMIT:
            return False
    return True


def _row(ni: NodeInfo) -> list[int]:
    a = ni.allocatable
    r = ni.requested
    nz = ni.non_zero_requested
    vals = [a.milli_cpu, a.memory, a.ephemeral_storage, a.allowed_pods, r.milli_cpu, r.memory, r.ephemeral_storage,
            nz.milli_cpu, nz.memory, len(ni.pods)]
    flags = 0
    if ni.taints:
        flags |= FLAG_TAINTS
    if ni.unschedulable:
        flags |= FLAG_UNSCHEDULABLE
    if ni.used_ports:
        flags |= FLAG_PORTS
    if ni.image_sizes:
        flags |= FLAG_IMAGES
    if a.scalar or r.scalar:
        flags |= FLAG_SCALAR
    if not exact(*vals):
        flags |= FLAG_INEXACT  # all zero: nothing is free, nothing is allocatable
        vals = [0] * _QUANTITIES
    vals += (vals[ALLOC_CPU] - vals[REQ_CPU], vals[ALLOC_MEMORY] - vals[REQ_MEMORY],
             vals[ALLOC_EPHEMERAL] - vals[REQ_EPHEMERAL], vals[ALLOC_PODS] - vals[NUM_PODS], flags)
    return vals


class NodeArrays:
    """The numbers of ``len(nodes)`` NodeInfos, one column per node (attributes are 1-D int64 views)."""

    __slots__ = ("data", "size", "alloc_cpu", "alloc_memory", "alloc_ephemeral", "alloc_pods", "req_cpu",
                 "req_memory", "req_ephemeral", "nz_cpu", "nz_memory", "num_pods", "free_cpu", "free_memory",
                 "free_ephemeral", "free_pods", "flags", "_without")

    def __init__(self, nodes: Iterable[NodeInfo]) -> None:
        rows = [_row(ni) for ni in nodes]
        self.size = len(rows)
        if rows:
            self.data = np.array(rows, dtype=np.int64).T.copy()
        else:
            self.data = np.zeros((FLAGS + 1, 0), dtype=np.int64)
        d = self.data
        self.alloc_cpu = d[ALLOC_CPU]
        self.alloc_memory = d[ALLOC_MEMORY]
        self.alloc_ephemeral = d[ALLOC_EPHEMERAL]
        self.alloc_pods = d[ALLOC_PODS]
        self.req_cpu = d[REQ_CPU]
        self.req_memory = d[REQ_MEMORY]
        self.req_ephemeral = d[REQ_EPHEMERAL]
        self.nz_cpu = d[NZ_CPU]
        self.nz_memory = d[NZ_MEMORY]
        self.num_pods = d[NUM_PODS]
        self.free_cpu = d[FREE_CPU]  # allocatable - requested
        self.free_memory = d[FREE_MEMORY]
        self.free_ephemeral = d[FREE_EPHEMERAL]
        self.free_pods = d[FREE_PODS]  # allowed pods - pods
        self.flags = d[FLAGS]
        self._without: dict[int, np.ndarray] = {}

    def set(self, i: int, ni: NodeInfo) -> None:
        """Rewrite column ``i`` from ``ni`` (the node now at that position of the snapshot)."""
        row = _row(ni)
        self.data[:, i] = row
        flags = row[FLAGS]
        for flag, mask in self._without.items():
            mask[i] = not flags & flag

    def without(self, flag: int) -> np.ndarray:
        """Boolean mask of the nodes having none of the ``flag`` bits.  Kept up to date and shared: never modify
        it (combine with ``&``, which makes a new array)."""
        mask = self._without.get(flag)
        if mask is None:
            mask = self._without[flag] = (self.flags & flag) == 0
        return mask

    def flagged(self, flag: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask of the nodes (all, or those at ``rows``) having any of the ``flag`` bits."""
        f = self.flags if rows is None else self.flags[rows]
        return (f & flag) != 0

    def any_flagged(self, flag: int, rows: np.ndarray | None = None) -> bool:
        """Whether any node (of all, or of those at ``rows``) has any of the ``flag`` bits."""
        if rows is None:
            return not self.without(flag).all()
        return not self.without(flag)[rows].all()


class NodeList(list):  # type: ignore[type-arg]
    """A list of NodeInfos that also knows their rows in ``arrays`` (``rows[k]`` is the row of ``self[k]``)."""

    __slots__ = ("arrays", "rows")

    def __init__(self, nodes: Iterable[NodeInfo], arrays: NodeArrays, rows: np.ndarray) -> None:
        super().__init__(nodes)
        self.arrays = arrays
        self.rows = rows
