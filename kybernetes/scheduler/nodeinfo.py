"""What the scheduler knows about a node and the pods on it (upstream's framework.NodeInfo / PodInfo / Resource).

A :class:`Resource` is a bundle of integer quantities: ``milli_cpu``, ``memory`` and ``ephemeral_storage`` (bytes),
``allowed_pods`` and extended resources in ``scalar`` (name -> integer value).  :func:`pod_requests` computes what a
pod asks for the way upstream does: the sum of its containers' requests (plus restartable "sidecar" init
containers), or the largest single init container when that is bigger, plus ``spec.overhead``.  For scoring, a
container without a CPU or memory request counts as 100m / 200Mi (:func:`pod_non_zero_requests`).

A :class:`PodInfo` wraps a pod dict with the parsed data every plugin would otherwise recompute (requests, required
and preferred affinity terms, host ports).  A :class:`NodeInfo` holds a node dict, its pods, the sum of their
requests, the host ports in use and a ``generation`` bumped on every change so a snapshot can copy only changed
nodes.  A :class:`Snapshot` is the list of NodeInfos one scheduling cycle sees.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kybernetes.machinery import quantity
from kybernetes.scheduler.nodearrays import NodeArrays

__all__ = ["Resource", "PodInfo", "NodeInfo", "Snapshot", "pod_requests", "pod_non_zero_requests",
           "DEFAULT_MILLI_CPU_REQUEST", "DEFAULT_MEMORY_REQUEST", "next_generation"]

DEFAULT_MILLI_CPU_REQUEST = 100  # 0.1 core, upstream's non-zero default for scoring
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024  # 200 MiB

_generation = itertools.count(1)


@functools.lru_cache(maxsize=4096)
def _cached_milli_value(q: Any) -> int:
    return quantity.milli_value(q)


@functools.lru_cache(maxsize=4096)
def _cached_value(q: Any) -> int:
    return quantity.value(q)


def milli_value(q: Any) -> int:
    """``quantity.milli_value``, remembered: pods of a workload repeat the same few request strings."""
    try:
        return _cached_milli_value(q)
    except TypeError:  # unhashable: let the parser say what is wrong
        return quantity.milli_value(q)


def value(q: Any) -> int:
    """``quantity.value``, remembered."""
    try:
        return _cached_value(q)
    except TypeError:
        return quantity.value(q)


def next_generation() -> int:
    """A process-wide increasing counter: every NodeInfo change takes a fresh value."""
    return next(_generation)


@dataclass(slots=True)
class Resource:
    """Integer amounts of cpu (millicores), memory, ephemeral storage (bytes), pods and extended resources."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    allowed_pods: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_list(cls, rl: dict[str, Any] | None) -> Resource:
        """Parse a ResourceList (``{"cpu": "2", "memory": "1Gi", "pods": "110", "example.com/gpu": "1"}``)."""
        r = cls()
        for name, q in (rl or {}).items():
            r.add_named(name, q)
        return r

    def add_named(self, name: str, q: Any) -> None:
        if name == "cpu":
            self.milli_cpu += milli_value(q)
        elif name == "memory":
            self.memory += value(q)
        elif name == "ephemeral-storage":
            self.ephemeral_storage += value(q)
        elif name == "pods":
            self.allowed_pods += value(q)
        elif _is_scalar(name):
            self.scalar[name] = self.scalar.get(name, 0) + value(q)

    def add(self, other: Resource) -> None:
        self.milli_cpu += other.milli_cpu
        self.memory += other.memory
        self.ephemeral_storage += other.ephemeral_storage
        self.allowed_pods += other.allowed_pods
        for k, v in other.scalar.items():
            self.scalar[k] = self.scalar.get(k, 0) + v

    def sub(self, other: Resource) -> None:
        self.milli_cpu -= other.milli_cpu
        self.memory -= other.memory
        self.ephemeral_storage -= other.ephemeral_storage
        self.allowed_pods -= other.allowed_pods
        for k, v in other.scalar.items():
            self.scalar[k] = self.scalar.get(k, 0) - v

    def set_max(self, other: Resource) -> None:
        self.milli_cpu = max(self.milli_cpu, other.milli_cpu)
        self.memory = max(self.memory, other.memory)
        self.ephemeral_storage = max(self.ephemeral_storage, other.ephemeral_storage)
        for k, v in other.scalar.items():
            self.scalar[k] = max(self.scalar.get(k, 0), v)

    def clone(self) -> Resource:
        return Resource(self.milli_cpu, self.memory, self.ephemeral_storage, self.allowed_pods, dict(self.scalar))

    def get(self, name: str) -> int:
        """The amount of one named resource (``cpu`` in millicores)."""
        if name == "cpu":
            return self.milli_cpu
        if name == "memory":
            return self.memory
        if name == "ephemeral-storage":
            return self.ephemeral_storage
        if name == "pods":
            return self.allowed_pods
        return self.scalar.get(name, 0)


def _is_scalar(name: str) -> bool:
    """Extended (``example.com/gpu``), prefixed native, hugepages-* and attachable-volumes-* resources are scalar."""
    return "/" in name or name.startswith(("hugepages-", "attachable-volumes-"))


def _container_requests(c: dict[str, Any]) -> Resource:
    return Resource.from_list((c.get("resources") or {}).get("requests"))


def _requests(pod: dict[str, Any], non_zero: bool) -> Resource:
    return _both_requests(pod, (non_zero,))[0]


def _both_requests(pod: dict[str, Any], kinds: tuple[bool, ...] = (False, True)) -> list[Resource]:
    """The pod's requests for each of ``kinds`` (False: as asked; True: missing cpu/memory counted as the
    defaults), each container's requests parsed once."""
    spec = pod.get("spec") or {}
    totals = [Resource() for _ in kinds]
    for c in spec.get("containers") or ():
        r = _container_requests(c)
        for total, non_zero in zip(totals, kinds):
            if non_zero:
                rn = r.clone()
                _fill_non_zero(rn, c)
                total.add(rn)
            else:
                total.add(r)
    # init containers run one at a time before the app containers; restartable ones (sidecars) keep running
    init_c = spec.get("initContainers")
    overhead = spec.get("overhead")
    if not init_c and not overhead:
        return totals
    parsed = [(_container_requests(c), c) for c in init_c or ()]
    for total, non_zero in zip(totals, kinds):
        init_max = Resource()
        sidecars = Resource()
        for r, c in parsed:
            if non_zero:
                r = r.clone()
                _fill_non_zero(r, c)
            if c.get("restartPolicy") == "Always":
                sidecars.add(r)
                peak = sidecars.clone()
            else:
                peak = r.clone()
                peak.add(sidecars)
            init_max.set_max(peak)
        total.add(sidecars)
        total.set_max(init_max)
        if overhead:
            total.add(Resource.from_list(overhead))
    return totals


def _fill_non_zero(r: Resource, c: dict[str, Any]) -> None:
    """Upstream's GetNonzeroRequests: a missing cpu/memory request counts as the default; an explicit 0 stays 0."""
    req = (c.get("resources") or {}).get("requests") or {}
    if "cpu" not in req:
        r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST
    if "memory" not in req:
        r.memory = DEFAULT_MEMORY_REQUEST


def pod_requests(pod: dict[str, Any]) -> Resource:
    """What the pod requests (containers + sidecars, or the largest init container, + overhead)."""
    return _requests(pod, False)


def pod_non_zero_requests(pod: dict[str, Any]) -> Resource:
    """As :func:`pod_requests`, counting a missing cpu/memory request as 100m / 200Mi (used by scoring)."""
    return _requests(pod, True)


class PodInfo:
    """A pod and the parsed facts the plugins need.  ``pod`` is never modified."""

    __slots__ = ("pod", "key", "uid", "namespace", "name", "labels", "requests", "non_zero_requests",
                 "host_ports", "required_affinity_terms", "required_anti_affinity_terms",
                 "preferred_affinity_terms", "preferred_anti_affinity_terms", "priority", "cache")

    def __init__(self, pod: dict[str, Any]) -> None:
        self.update(pod)

    def update(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        self.pod = pod
        self.namespace: str = meta.get("namespace", "")
        self.name: str = meta.get("name", "")
        self.key = f"{self.namespace}/{self.name}"
        self.uid: str = meta.get("uid", "")
        self.labels: dict[str, str] = meta.get("labels") or {}
        self.requests, self.non_zero_requests = _both_requests(pod)
        ports: list[tuple[str, str, int]] = []
        for c in itertools.chain(spec.get("containers") or (), spec.get("initContainers") or ()):
            for p in c.get("ports") or ():
                hp = p.get("hostPort")
                if hp:
                    ports.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(hp)))
        self.host_ports = ports
        aff = spec.get("affinity") or {}
        pa = aff.get("podAffinity") or {}
        paa = aff.get("podAntiAffinity") or {}
        # raw API terms; plugins that need compiled selectors cache them in ``cache``
        self.required_affinity_terms: list[dict[str, Any]] = pa.get("requiredDuringSchedulingIgnoredDuringExecution") or []
        self.required_anti_affinity_terms: list[dict[str, Any]] = paa.get("requiredDuringSchedulingIgnoredDuringExecution") or []
        self.preferred_affinity_terms: list[dict[str, Any]] = pa.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        self.preferred_anti_affinity_terms: list[dict[str, Any]] = paa.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        self.priority: int = int(spec.get("priority") or 0)
        self.cache: dict[str, Any] = {}  # per-plugin parsed data, keyed by plugin name

    def __repr__(self) -> str:
        return f"PodInfo({self.key})"


class NodeInfo:
    """A node, the pods assigned to it (bound or assumed) and the aggregates plugins read.

    ``requested`` sums the pods' requests; ``non_zero_requested`` the same with scoring defaults;
    ``used_ports`` holds ``(hostIP, protocol, port)`` triples; ``image_sizes`` maps every image name of the node's
    ``status.images`` to its size; ``generation`` changes whenever anything here changes.
    """

    __slots__ = ("node", "name", "pods", "pods_with_affinity", "pods_with_required_anti_affinity", "requested",
                 "non_zero_requested", "allocatable", "used_ports", "image_sizes", "generation", "labels",
                 "taints", "unschedulable", "_label_index")

    def __init__(self, node: dict[str, Any] | None = None) -> None:
        self.node: dict[str, Any] | None = None
        self.name = ""
        self.pods: list[PodInfo] = []
        self.pods_with_affinity: list[PodInfo] = []
        self.pods_with_required_anti_affinity: list[PodInfo] = []
        self.requested = Resource()
        self.non_zero_requested = Resource()
        self.allocatable = Resource()
        self.used_ports: set[tuple[str, str, int]] = set()
        self.image_sizes: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        self.taints: list[dict[str, Any]] = []
        self.unschedulable = False
        self.generation = next_generation()
        self._label_index: tuple[int, dict[tuple[str, str, str], list[PodInfo]]] | None = None
        if node is not None:
            self.set_node(node)

    def set_node(self, node: dict[str, Any]) -> None:
        """Install or replace the Node object (allocatable, labels, taints, images are re-read)."""
        self.node = node
        meta = node.get("metadata") or {}
        spec = node.get("spec") or {}
        status = node.get("status") or {}
        self.name = meta.get("name", "")
        self.labels = meta.get("labels") or {}
        self.taints = spec.get("taints") or []
        self.unschedulable = bool(spec.get("unschedulable"))
        self.allocatable = Resource.from_list(status.get("allocatable") or status.get("capacity"))
        sizes: dict[str, int] = {}
        for img in status.get("images") or ():
            for n in img.get("names") or ():
                sizes[n] = int(img.get("sizeBytes") or 0)
        self.image_sizes = sizes
        self.generation = next_generation()

    def remove_node(self) -> None:
        self.node = None
        self.generation = next_generation()

    def add_pod(self, pi: PodInfo) -> None:
        self.pods.append(pi)
        if pi.required_affinity_terms or pi.required_anti_affinity_terms or pi.preferred_affinity_terms \
                or pi.preferred_anti_affinity_terms:
            self.pods_with_affinity.append(pi)
        if pi.required_anti_affinity_terms:
            self.pods_with_required_anti_affinity.append(pi)
        self.requested.add(pi.requests)
        self.non_zero_requested.add(pi.non_zero_requests)
        self.used_ports.update(pi.host_ports)
        self.generation = next_generation()

    def remove_pod(self, key: str) -> PodInfo | None:
        """Remove the pod with ``ns/name`` key; returns it, or None when it was not here."""
        for i, pi in enumerate(self.pods):
            if pi.key == key:
                del self.pods[i]
                break
        else:
            return None
        self.pods_with_affinity = [p for p in self.pods_with_affinity if p.key != key]
        self.pods_with_required_anti_affinity = [p for p in self.pods_with_required_anti_affinity if p.key != key]
        self.requested.sub(pi.requests)
        self.non_zero_requested.sub(pi.non_zero_requests)
        if pi.host_ports:
            self.used_ports = {hp for p in self.pods for hp in p.host_ports}
        self.generation = next_generation()
        return pi

    def pods_labelled(self, namespace: str, key: str, value: str) -> list[PodInfo]:
        """The pods of ``namespace`` here whose label ``key`` is ``value`` (an index built on first use for each
        generation of this node, so counting pods that match a selector need not look at every pod)."""
        idx = self._label_index
        if idx is None or idx[0] != self.generation:
            table: dict[tuple[str, str, str], list[PodInfo]] = {}
            for p in self.pods:
                for k, v in p.labels.items():
                    table.setdefault((p.namespace, k, v), []).append(p)
            idx = self._label_index = (self.generation, table)
        return idx[1].get((namespace, key, value), [])

    def clone(self) -> NodeInfo:
        """A copy whose pod lists and aggregates can change without touching this one (PodInfos are shared)."""
        c = NodeInfo.__new__(NodeInfo)
        c.node = self.node
        c.name = self.name
        c.pods = list(self.pods)
        c.pods_with_affinity = list(self.pods_with_affinity)
        c.pods_with_required_anti_affinity = list(self.pods_with_required_anti_affinity)
        c.requested = self.requested.clone()
        c.non_zero_requested = self.non_zero_requested.clone()
        c.allocatable = self.allocatable
        c.used_ports = set(self.used_ports)
        c.image_sizes = self.image_sizes
        c.labels = self.labels
        c.taints = self.taints
        c.unschedulable = self.unschedulable
        c.generation = self.generation
        c._label_index = self._label_index
        return c

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"


_NO_PODS: Mapping[str, list[PodInfo]] = MappingProxyType({})


def _index_pod(idx: dict[tuple[str, str, str], dict[str, list[PodInfo]]], node: str, p: PodInfo) -> None:
    ns = p.namespace
    for k, v in p.labels.items():
        idx.setdefault((ns, k, v), {}).setdefault(node, []).append(p)


def _unindex_pod(idx: dict[tuple[str, str, str], dict[str, list[PodInfo]]], node: str, p: PodInfo) -> None:
    ns = p.namespace
    for k, v in p.labels.items():
        by_node = idx.get((ns, k, v))
        pods = by_node.get(node) if by_node is not None else None
        if not pods:
            continue
        pods[:] = [q for q in pods if q is not p]
        if not pods:
            del by_node[node]  # type: ignore[union-attr]
            if not by_node:
                del idx[(ns, k, v)]


class Snapshot:
    """The nodes one scheduling cycle sees: ``node_info_list`` (stable order) and ``get(name)``.

    ``have_pods_with_affinity`` / ``have_pods_with_required_anti_affinity`` list the NodeInfos holding such pods,
    so affinity plugins need not walk every node.  ``node_arrays()`` gives the nodes' numbers as arrays (row ``i``
    = ``node_info_list[i]``; built on first use, kept row by row by the scheduler cache).  The NodeInfos of a
    snapshot are never changed in place (changes replace them), or the arrays would go stale.
    """

    __slots__ = ("node_info_list", "node_info_map", "have_pods_with_affinity", "have_pods_with_required_anti_affinity",
                 "generation", "arrays", "_label_index")

    def __init__(self, nodes: list[NodeInfo] | None = None) -> None:
        self.node_info_list: list[NodeInfo] = []
        self.node_info_map: dict[str, NodeInfo] = {}
        self.have_pods_with_affinity: list[NodeInfo] = []
        self.have_pods_with_required_anti_affinity: list[NodeInfo] = []
        self.generation = 0
        self.arrays: NodeArrays | None = None
        self._label_index: dict[tuple[str, str, str], dict[str, list[PodInfo]]] | None = None
        if nodes is not None:
            self.set_nodes(nodes)

    def set_nodes(self, nodes: list[NodeInfo]) -> None:
        self.node_info_list = [n for n in nodes if n.node is not None]
        self.node_info_map = {n.name: n for n in self.node_info_list}
        self.arrays = None
        self._label_index = None
        self.refresh_affinity_lists()

    def pods_labelled(self, namespace: str, key: str, value: str) -> Mapping[str, list[PodInfo]]:
        """Node name -> the pods of ``namespace`` on that node whose label ``key`` is ``value`` (nodes without
        such pods left out). Counting the pods a selector matches then looks at the pods carrying one of its
        labels instead of at every node. Built on first use, then kept by :meth:`replace_node`."""
        idx = self._label_index
        if idx is None:
            idx = {}
            for ni in self.node_info_list:
                for p in ni.pods:
                    _index_pod(idx, ni.name, p)
            self._label_index = idx
        return idx.get((namespace, key, value), _NO_PODS)

    def replace_node(self, old: NodeInfo, new: NodeInfo) -> None:
        """Keep the label index (when built) right after ``new`` took the place of ``old`` (same node name):
        only the pods that differ are re-indexed (an updated pod is a new PodInfo)."""
        idx = self._label_index
        if idx is None:
            return
        if old.name != new.name:
            self._label_index = None
            return
        before = {id(p): p for p in old.pods}
        after = {id(p): p for p in new.pods}
        name = new.name
        for i, p in before.items():
            if i not in after:
                _unindex_pod(idx, name, p)
        for i, p in after.items():
            if i not in before:
                _index_pod(idx, name, p)

    def node_arrays(self) -> NodeArrays:
        """The nodes' numbers as arrays, aligned with ``node_info_list`` (built now when missing)."""
        if self.arrays is None:
            self.arrays = NodeArrays(self.node_info_list)
        return self.arrays

    def refresh_affinity_lists(self) -> None:
        self.have_pods_with_affinity = [n for n in self.node_info_list if n.pods_with_affinity]
        self.have_pods_with_required_anti_affinity = [n for n in self.node_info_list
                                                      if n.pods_with_required_anti_affinity]

    def get(self, name: str) -> NodeInfo | None:
        return self.node_info_map.get(name)

    def __len__(self) -> int:
        return len(self.node_info_list)
