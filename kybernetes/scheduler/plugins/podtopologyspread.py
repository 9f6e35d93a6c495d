"""PodTopologySpread: spread pods evenly across topology domains (zones, nodes, ...).

A pod's ``spec.topologySpreadConstraints`` name a node label (``topologyKey``) whose values are the domains, a
label selector picking the pods that count (only pods in the incoming pod's namespace, terminating pods
excluded), and ``maxSkew``.  For a node in domain *d* the skew is ``count(d) + (1 if the pod matches its own
selector) - global minimum``; the global minimum is the smallest count over the eligible domains, or 0 while
fewer than ``minDomains`` (default 1) domains exist.

- ``whenUnsatisfiable: DoNotSchedule`` constraints are hard: Filter rejects a node whose skew would exceed
  ``maxSkew`` (UNSCHEDULABLE: preemption may help) or that lacks the topology label (UNSCHEDULABLE_AND_UNRESOLVABLE,
  "... (missing required label)").  PreFilter counts matching pods per domain once per pod and keeps the two
  smallest domains per constraint ("critical paths"), so Filter is O(constraints) per node.  The AddPod/RemovePod
  extensions adjust these counts when preemption simulates removing victims (the state clones itself).
- ``whenUnsatisfiable: ScheduleAnyway`` constraints are soft: PreScore counts matching pods per domain over all
  nodes, Score sums ``count * log(number of domains + 2) + maxSkew - 1`` per constraint, NormalizeScore inverts it
  so the emptiest domain scores 100.
- Which nodes make up the domains: only nodes carrying every topology key of the pod's constraints, further
  narrowed per constraint by ``nodeAffinityPolicy`` (``Honor``, the default: the pod's nodeSelector and required
  node affinity must match) and ``nodeTaintsPolicy`` (``Ignore`` by default; ``Honor``: nodes with an untolerated
  NoSchedule/NoExecute taint are left out).
- ``matchLabelKeys``: the incoming pod's values of these label keys are ANDed into the constraint's selector.

Cluster default constraints apply when the pod has no constraints of its own.  ``defaultingType: System`` (the
default) uses hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway; ``defaultingType: List`` uses the
``defaultConstraints`` arg.  Their selector is the union of what selects the pod: the selectors of the Services
in its namespace that match it, plus the selector of its controlling ReplicationController, ReplicaSet or
StatefulSet (:func:`default_selector`).  A pod selected by none of those gets no default constraints.

Wiring (how the core provides the objects the defaults need), first found wins:

1. ``args["selectorLookup"]``: a callable ``pod dict -> Selector`` (:data:`SelectorLookup`);
2. ``handle.informers``: the :class:`~kybernetes.client.informer.SharedInformerFactory`; the plugin asks it
   for the services, replicationcontrollers, replicasets and statefulsets informers at construction (so they are
   started and synced with the rest) and builds the lookup with :func:`informer_selector_lookup`.

Without either, default constraints are not applied.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kybernetes.api.placement import find_untolerated_taint, pod_matches_node_selector_and_affinity
from kybernetes.machinery.labels import Selector, selector_from_dict, selector_from_set
from kybernetes.scheduler.framework import (
    MAX_NODE_SCORE, ActionType, ClusterEvent, CycleState, Handle, NodeScore, Plugin, PreFilterResult, Status,
    error, skip, success, unresolvable, unschedulable,
)
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo, Snapshot

__all__ = ["NAME", "PodTopologySpread", "new", "Constraint", "SelectorLookup", "default_selector",
           "informer_selector_lookup", "ERR_REASON_CONSTRAINTS_NOT_MATCH", "ERR_REASON_NODE_LABEL_NOT_MATCH",
           "SYSTEM_DEFAULT_CONSTRAINTS", "LABEL_HOSTNAME", "LABEL_ZONE"]

NAME = "PodTopologySpread"

ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"

LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"

DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
HONOR = "Honor"

SYSTEM_DEFAULTING = "System"
LIST_DEFAULTING = "List"

SYSTEM_DEFAULT_CONSTRAINTS: tuple[dict[str, Any], ...] = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": LABEL_ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
)

PRE_FILTER_STATE_KEY = "PreFilter" + NAME
PRE_SCORE_STATE_KEY = "PreScore" + NAME

_MAX_INT32 = 2**31 - 1

SelectorLookup = Callable[[dict[str, Any]], Selector]
"""``pod -> Selector`` of the Services/RCs/RSs/StatefulSets selecting the pod (empty selector: none)."""


# ---------------------------------------------------------------------------------------------------------------
# Constraints
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Constraint:
    """One parsed topology spread constraint (the selector already merged with ``matchLabelKeys``)."""

    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1
    honor_node_affinity: bool = True
    honor_node_taints: bool = False

    def includes_node(self, pod: Mapping[str, Any], node_info: NodeInfo, affinity_match: Callable[[], bool]) -> bool:
        """Whether ``node_info`` counts as part of the domains for ``pod`` under the node inclusion policies.
        ``affinity_match`` computes (and may cache) whether the pod's node selector/affinity match the node."""
        if self.honor_node_affinity and not affinity_match():
            return False
        if self.honor_node_taints:
            tolerations = (pod.get("spec") or {}).get("tolerations")
            if find_untolerated_taint(node_info.taints, tolerations) is not None:
                return False
        return True


def _merge_match_label_keys(selector: Selector, keys: Iterable[str], pod_labels: Mapping[str, str]) -> Selector:
    wanted = {k: pod_labels[k] for k in keys if k in pod_labels}
    if not wanted:
        return selector
    merged = selector_from_set(wanted)
    if selector.matches_nothing:
        return merged
    return merged.add(*selector.requirements)


def parse_constraints(raw: Iterable[Mapping[str, Any]], pod_labels: Mapping[str, str], action: str) -> list[Constraint]:
    """The constraints of ``raw`` whose ``whenUnsatisfiable`` is ``action``, parsed.  Raises ValueError for a bad
    label selector.  Pure function."""
    out: list[Constraint] = []
    for c in raw:
        if c.get("whenUnsatisfiable") != action:
            continue
        selector = selector_from_dict(c.get("labelSelector"))
        keys = c.get("matchLabelKeys") or ()
        if keys:
            selector = _merge_match_label_keys(selector, keys, pod_labels)
        min_domains = c.get("minDomains")
        out.append(Constraint(
            max_skew=int(c.get("maxSkew") or 0),
            topology_key=c.get("topologyKey") or "",
            selector=selector,
            min_domains=int(min_domains) if min_domains is not None else 1,
            honor_node_affinity=(c.get("nodeAffinityPolicy") or HONOR) == HONOR,
            honor_node_taints=(c.get("nodeTaintsPolicy") or "Ignore") == HONOR,
        ))
    return out


def _node_has_all_keys(labels: Mapping[str, str], constraints: Iterable[Constraint]) -> bool:
    return all(c.topology_key in labels for c in constraints)


def _indexed_label(selector: Selector) -> tuple[str, str] | None:
    """The first label ``key=value`` every pod matching ``selector`` carries (an equality requirement), or None."""
    for r in selector.requirements:
        if r.operator in ("=", "==", "in") and len(r.values) == 1:
            return r.key, r.values[0]
    return None


def _count_matching(node_info: NodeInfo, selector: Selector, namespace: str,
                    indexed: tuple[str, str] | None) -> int:
    """Pods of ``namespace`` on the node matching ``selector``, terminating pods left out. ``indexed`` is the
    selector's equality requirement (:func:`_indexed_label`, found once per pod by the caller): with one, only the
    pods carrying that label are looked at (the node's label index)."""
    pods: Iterable[PodInfo] = node_info.pods
    if indexed:
        pods = node_info.pods_labelled(namespace, indexed[0], indexed[1])
    return sum(1 for p in pods if p.namespace == namespace and _counts(p, selector))


def _counts(p: PodInfo, selector: Selector) -> bool:
    """Whether ``p`` counts for a constraint with ``selector``: it matches and is not terminating."""
    return not (p.pod.get("metadata") or {}).get("deletionTimestamp") and selector.matches(p.labels)


def _matching_by_node(snapshot: Snapshot | None, selector: Selector, namespace: str,
                      indexed: tuple[str, str] | None) -> dict[str, int] | None:
    """:func:`_count_matching` for every node of ``snapshot`` at once: node name -> count, nodes without a
    matching pod left out. Only the pods carrying the selector's ``indexed`` label are looked at (the snapshot's
    label index); None without one (or without a snapshot): then count node by node."""
    if indexed is None or snapshot is None:
        return None
    out: dict[str, int] = {}
    for node, pods in snapshot.pods_labelled(namespace, indexed[0], indexed[1]).items():
        n = sum(1 for p in pods if _counts(p, selector))
        if n:
            out[node] = n
    return out


def _always_true() -> bool:
    return True


class _AffinityCache:
    """Whether the pod's node selector / required node affinity match a node, computed at most once per node."""

    __slots__ = ("pod", "node_info", "value")

    def __init__(self, pod: Mapping[str, Any], node_info: NodeInfo) -> None:
        self.pod = pod
        self.node_info = node_info
        self.value: bool | None = None

    @staticmethod
    def for_pod(pod: Mapping[str, Any]) -> Callable[[NodeInfo], Callable[[], bool]]:
        """A factory of per-node caches; a pod without a node selector or required node affinity matches every
        node, so it gets one shared always-true answer instead of an object per node."""
        spec = pod.get("spec") or {}
        required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                    .get("requiredDuringSchedulingIgnoredDuringExecution"))
        if not spec.get("nodeSelector") and required is None:
            return lambda ni: _always_true
        return lambda ni: _AffinityCache(pod, ni)

    def __call__(self) -> bool:
        if self.value is None:
            self.value = pod_matches_node_selector_and_affinity(self.pod, self.node_info.node or {})
        return self.value


# ---------------------------------------------------------------------------------------------------------------
# Default selector (Services, RCs, RSs, StatefulSets)
# ---------------------------------------------------------------------------------------------------------------

_CONTROLLER_KINDS = {("v1", "ReplicationController"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")}


def default_selector(pod: Mapping[str, Any], *, services: Iterable[Mapping[str, Any]],
                     get_controller: Callable[[str, str, str], Mapping[str, Any] | None]) -> Selector:
    """The selector upstream derives for default spreading: the merged selectors of ``services`` (those of the
    pod's namespace) that select the pod, plus the selector of the pod's controlling ReplicationController,
    ReplicaSet or StatefulSet, fetched by ``get_controller(kind, namespace, name)``.  An empty result means "no
    default spreading".  Pure apart from the callbacks."""
    meta = pod.get("metadata") or {}
    ns = meta.get("namespace", "")
    pod_labels = meta.get("labels") or {}
    merged: dict[str, str] = {}
    for svc in services:
        if (svc.get("metadata") or {}).get("namespace", ns) != ns:
            continue
        sel = (svc.get("spec") or {}).get("selector")
        if sel is None:  # a Service without a selector selects nothing
            continue
        if selector_from_set(sel).matches(pod_labels):
            merged.update(sel)
    selector = selector_from_set(merged)
    owner = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
    if owner is None or (owner.get("apiVersion"), owner.get("kind")) not in _CONTROLLER_KINDS:
        return selector
    ctrl = get_controller(owner["kind"], ns, owner.get("name", ""))
    if ctrl is None:
        return selector
    spec_selector = (ctrl.get("spec") or {}).get("selector")
    if owner["kind"] == "ReplicationController":
        merged.update(spec_selector or {})
        return selector_from_set(merged)
    try:
        other = selector_from_dict(spec_selector)
    except ValueError:
        return selector
    if other.matches_nothing or not other.requirements:
        return selector
    return selector.add(*other.requirements)


def informer_selector_lookup(factory: Any) -> SelectorLookup:
    """A :data:`SelectorLookup` reading the services, replicationcontrollers, replicasets and statefulsets
    informers of a SharedInformerFactory (created here, so start the factory afterwards or it starts them)."""
    services = factory.informer("", "v1", "services")
    controllers = {
        "ReplicationController": factory.informer("", "v1", "replicationcontrollers"),
        "ReplicaSet": factory.informer("apps", "v1", "replicasets"),
        "StatefulSet": factory.informer("apps", "v1", "statefulsets"),
    }

    def lookup(pod: dict[str, Any]) -> Selector:
        ns = (pod.get("metadata") or {}).get("namespace", "")
        return default_selector(pod, services=services.by_index("namespace", ns),
                                get_controller=lambda kind, cns, name: controllers[kind].get(f"{cns}/{name}"))

    return lookup


# ---------------------------------------------------------------------------------------------------------------
# Cycle state
# ---------------------------------------------------------------------------------------------------------------

class _CriticalPaths:
    """The two domains with the fewest matching pods (index 0 always holds the minimum; index 1 is >= it but not
    necessarily the second smallest).  Enough for preemption, which changes one node at a time on a clone."""

    __slots__ = ("values", "nums")

    def __init__(self) -> None:
        self.values = ["", ""]
        self.nums = [_MAX_INT32, _MAX_INT32]

    def copy(self) -> _CriticalPaths:
        c = _CriticalPaths()
        c.values = list(self.values)
        c.nums = list(self.nums)
        return c

    def update(self, value: str, num: int) -> None:
        values, nums = self.values, self.nums
        if value == values[0] or value == values[1]:
            i = 0 if value == values[0] else 1
            nums[i] = num
            if nums[0] > nums[1]:
                values.reverse()
                nums.reverse()
        elif num < nums[0]:
            values[1], nums[1] = values[0], nums[0]
            values[0], nums[0] = value, num
        elif num < nums[1]:
            values[1], nums[1] = value, num


class _PreFilterState:
    """Hard constraints and, per constraint, matching pods per domain plus the critical paths."""

    __slots__ = ("constraints", "self_match", "counts", "paths")

    def __init__(self, constraints: list[Constraint], pod_labels: Mapping[str, str]) -> None:
        self.constraints = constraints
        # 1 when the incoming pod matches the constraint's own selector (it will count once placed)
        self.self_match = [1 if c.selector.matches(pod_labels) else 0 for c in constraints]
        self.counts: list[dict[str, int]] = [{} for _ in constraints]
        self.paths: list[_CriticalPaths] = [_CriticalPaths() for _ in constraints]

    def clone(self) -> _PreFilterState:
        c = _PreFilterState.__new__(_PreFilterState)
        c.constraints = self.constraints  # never modified
        c.self_match = self.self_match
        c.counts = [dict(m) for m in self.counts]
        c.paths = [p.copy() for p in self.paths]
        return c

    def min_match_num(self, i: int) -> int:
        """The global minimum for constraint ``i``: 0 while fewer than minDomains domains are eligible."""
        if len(self.counts[i]) < self.constraints[i].min_domains:
            return 0
        return self.paths[i].nums[0]


@dataclass(slots=True)
class _PreScoreState:
    constraints: list[Constraint]
    ignored_nodes: set[str]
    counts: list[dict[str, int]]
    weights: list[float]

    def clone(self) -> _PreScoreState:
        return self  # read-only after PreScore


# ---------------------------------------------------------------------------------------------------------------
# The plugin
# ---------------------------------------------------------------------------------------------------------------

class PodTopologySpread(Plugin):
    """Filters and scores nodes by pod topology spread constraints (args: ``defaultingType`` ``System``|``List``,
    ``defaultConstraints``, ``selectorLookup``)."""

    name = NAME
    extension_points = ("pre_filter", "pre_filter_add_pod", "pre_filter_remove_pod", "filter", "pre_score",
                        "score", "normalize_score")

    def __init__(self, handle: Handle | None = None, args: dict[str, Any] | None = None) -> None:
        super().__init__(handle, args)
        defaulting = self.args.get("defaultingType") or SYSTEM_DEFAULTING
        if defaulting == SYSTEM_DEFAULTING:
            if self.args.get("defaultConstraints"):
                raise ValueError("defaultConstraints: Invalid value: when .defaultingType is \"System\", "
                                 "constraints must be empty")
            self.default_constraints: tuple[Mapping[str, Any], ...] = SYSTEM_DEFAULT_CONSTRAINTS
            self.system_defaulted = True
        elif defaulting == LIST_DEFAULTING:
            self.default_constraints = tuple(self.args.get("defaultConstraints") or ())
            for c in self.default_constraints:
                if c.get("labelSelector") is not None:
                    raise ValueError("defaultConstraints.labelSelector: Forbidden: constraint must not define a "
                                     "selector, as they deduced for each pod")
            self.system_defaulted = False
        else:
            raise ValueError(f"defaultingType: Unsupported value: {defaulting!r}: supported values: "
                             "\"List\", \"System\"")
        lookup = self.args.get("selectorLookup")
        if lookup is None and self.default_constraints:
            factory = getattr(handle, "informers", None)
            if factory is not None:
                lookup = informer_selector_lookup(factory)
        self.selector_lookup: SelectorLookup | None = lookup
        # the default constraints parsed once, unless matchLabelKeys make them depend on the pod
        self._parsed_defaults: dict[str, list[Constraint]] = {}
        if not any(c.get("matchLabelKeys") for c in self.default_constraints):
            try:
                for action in (DO_NOT_SCHEDULE, SCHEDULE_ANYWAY):
                    self._parsed_defaults[action] = parse_constraints(self.default_constraints, {}, action)
            except ValueError:  # reported per pod, as before
                self._parsed_defaults = {}

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", ActionType.ALL),
                ClusterEvent("Node", ActionType.ADD | ActionType.DELETE | ActionType.UPDATE_NODE_LABEL
                             | ActionType.UPDATE_NODE_TAINT)]

    # -- constraints -----------------------------------------------------------------------------------------------

    def _constraints(self, pod_info: PodInfo, action: str) -> list[Constraint]:
        """The pod's own constraints for ``action``, or the cluster defaults when it has none.  Raises ValueError
        for a bad selector."""
        own = (pod_info.pod.get("spec") or {}).get("topologySpreadConstraints")
        if own:
            return parse_constraints(own, pod_info.labels, action)
        constraints = self._parsed_defaults.get(action)
        if constraints is None:  # defaults with matchLabelKeys depend on the pod's labels
            constraints = parse_constraints(self.default_constraints, pod_info.labels, action)
        if not constraints or self.selector_lookup is None:
            return []
        selector = self.selector_lookup(pod_info.pod)
        if selector.empty or selector.matches_nothing:
            return []
        return [replace(c, selector=selector) for c in constraints]

    # -- filtering -------------------------------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod_info: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Count matching pods per domain of every hard constraint; SKIP when the pod has none."""
        try:
            constraints = self._constraints(pod_info, DO_NOT_SCHEDULE)
        except ValueError as e:
            return None, error(f"get constraints from pod: {e}")
        if not constraints:
            return None, skip()
        s = _PreFilterState(constraints, pod_info.labels)
        pod = pod_info.pod
        ns = pod_info.namespace
        affinity_of = _AffinityCache.for_pod(pod)
        indexed = [_indexed_label(c.selector) for c in constraints]
        snapshot = self._snapshot()
        by_node = [_matching_by_node(snapshot, c.selector, ns, ix) for c, ix in zip(constraints, indexed)]
        for ni in snapshot.node_info_list:
            labels = ni.labels
            if not _node_has_all_keys(labels, constraints):
                continue
            affinity = affinity_of(ni)
            for i, c in enumerate(constraints):
                if not c.includes_node(pod, ni, affinity):
                    continue
                value = labels[c.topology_key]
                counts = s.counts[i]
                m = by_node[i]
                n = m.get(ni.name, 0) if m is not None else _count_matching(ni, c.selector, ns, indexed[i])
                counts[value] = counts.get(value, 0) + n
        for i, counts in enumerate(s.counts):
            paths = s.paths[i]
            for value, num in counts.items():
                paths.update(value, num)
        state.write(PRE_FILTER_STATE_KEY, s)
        return None, success()

    def _snapshot(self) -> Snapshot:
        if self.handle is None:
            raise RuntimeError(f"{NAME} needs a framework handle with a snapshot")
        return self.handle.snapshot

    def _pre_filter_state(self, state: CycleState) -> _PreFilterState | None:
        s = state.get(PRE_FILTER_STATE_KEY)
        if s is None and NAME not in state.skip_filter_plugins:
            raise KeyError(f"reading {PRE_FILTER_STATE_KEY!r} from cycleState: PreFilter of {NAME} did not run")
        return s

    def _update_with_pod(self, state: CycleState, pod_info: PodInfo, other: PodInfo, node_info: NodeInfo,
                         delta: int) -> Status:
        try:
            s = self._pre_filter_state(state)
        except KeyError as e:
            return error(str(e))
        if s is None or other.namespace != pod_info.namespace or node_info.node is None:
            return success()
        labels = node_info.labels
        if not _node_has_all_keys(labels, s.constraints):
            return success()
        affinity = _AffinityCache(pod_info.pod, node_info)
        for i, c in enumerate(s.constraints):
            if not c.selector.matches(other.labels) or not c.includes_node(pod_info.pod, node_info, affinity):
                continue
            value = labels[c.topology_key]
            num = s.counts[i].get(value, 0) + delta
            s.counts[i][value] = num
            s.paths[i].update(value, num)
        return success()

    def pre_filter_add_pod(self, state: CycleState, pod_info: PodInfo, to_add: PodInfo,
                           node_info: NodeInfo) -> Status:
        """Count ``to_add`` as running on ``node_info`` (mutates the cycle state's counts)."""
        return self._update_with_pod(state, pod_info, to_add, node_info, 1)

    def pre_filter_remove_pod(self, state: CycleState, pod_info: PodInfo, to_remove: PodInfo,
                              node_info: NodeInfo) -> Status:
        """Stop counting ``to_remove`` on ``node_info`` (mutates the cycle state's counts)."""
        return self._update_with_pod(state, pod_info, to_remove, node_info, -1)

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        """Reject the node when it lacks a topology label or placing the pod there exceeds a maxSkew."""
        try:
            s = self._pre_filter_state(state)
        except KeyError as e:
            return error(str(e))
        if s is None or not s.constraints:
            return success()
        labels = node_info.labels
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH)
            skew = s.counts[i].get(value, 0) + s.self_match[i] - s.min_match_num(i)
            if skew > c.max_skew:
                return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
        return success()

    # -- scoring ---------------------------------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        """Count matching pods per domain of every soft constraint over all nodes; SKIP when there are none."""
        snapshot = self._snapshot()
        all_nodes = snapshot.node_info_list
        if not nodes or not all_nodes:
            return skip()
        try:
            constraints = self._constraints(pod_info, SCHEDULE_ANYWAY)
        except ValueError as e:
            return error(f"calculating preScoreState: {e}")
        if not constraints:
            return skip()
        # With the system defaults a node without a zone label still gets hostname spreading.
        own = bool((pod_info.pod.get("spec") or {}).get("topologySpreadConstraints"))
        require_all = own or not self.system_defaulted
        ignored: set[str] = set()
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for ni in nodes:
            labels = ni.labels
            if require_all and not _node_has_all_keys(labels, constraints):
                ignored.add(ni.name)
                continue
            for i, c in enumerate(constraints):
                if c.topology_key != LABEL_HOSTNAME:  # per-node counts are taken in Score
                    counts[i].setdefault(labels.get(c.topology_key, ""), 0)
        weights = []
        for i, c in enumerate(constraints):
            size = len(nodes) - len(ignored) if c.topology_key == LABEL_HOSTNAME else len(counts[i])
            weights.append(math.log(size + 2))
        # Count the matching pods of every domain (hostname counts come in Score). Only constraints with domains
        # count; with the selectors' pods looked up by label, only the nodes holding such pods are visited (the
        # others add 0).
        active = [i for i, c in enumerate(constraints) if c.topology_key != LABEL_HOSTNAME and counts[i]]
        if active:
            pod = pod_info.pod
            ns = pod_info.namespace
            affinity_of = _AffinityCache.for_pod(pod)
            indexed = {i: _indexed_label(constraints[i].selector) for i in active}
            by_node = {i: _matching_by_node(snapshot, constraints[i].selector, ns, indexed[i]) for i in active}
            visit: Iterable[NodeInfo] = all_nodes
            if all(m is not None for m in by_node.values()):
                names = {name for m in by_node.values() if m is not None for name in m}
                visit = [ni for ni in (snapshot.get(n) for n in names) if ni is not None]
            for ni in visit:
                labels = ni.labels
                if require_all and not _node_has_all_keys(labels, constraints):
                    continue
                affinity = affinity_of(ni)
                for i in active:
                    c = constraints[i]
                    # a node without the key counts for no domain (upstream skips it)
                    value = labels.get(c.topology_key)
                    domain_counts = counts[i]
                    if value is None or value not in domain_counts or not c.includes_node(pod, ni, affinity):
                        continue
                    m = by_node[i]
                    domain_counts[value] += m.get(ni.name, 0) if m is not None else \
                        _count_matching(ni, c.selector, ns, indexed[i])
        state.write(PRE_SCORE_STATE_KEY, _PreScoreState(constraints, ignored, counts, weights))
        return success()

    def _pre_score_state(self, state: CycleState) -> _PreScoreState:
        try:
            return state.read(PRE_SCORE_STATE_KEY)
        except KeyError:
            raise KeyError(f"reading {PRE_SCORE_STATE_KEY!r} from cycleState: PreScore of {NAME} did not run") \
                from None

    def score(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> int:
        """The weighted number of matching pods in the node's domains (lower is better before normalizing)."""
        s = self._pre_score_state(state)
        if node_info.name in s.ignored_nodes:
            return 0
        labels = node_info.labels
        total = 0.0
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                cnt = _count_matching(node_info, c.selector, pod_info.namespace, _indexed_label(c.selector))
            else:
                cnt = s.counts[i].get(value, 0)
            total += cnt * s.weights[i] + (c.max_skew - 1)
        return math.floor(total + 0.5)  # round half away from zero (the total is never negative)

    def score_nodes(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        """:meth:`score` for every node, the cycle state read and each selector's indexed label found once."""
        s = self._pre_score_state(state)
        ns = pod_info.namespace
        ignored = s.ignored_nodes
        snapshot = self.handle.snapshot if self.handle is not None else None
        in_snapshot = snapshot.node_info_map if snapshot is not None else {}
        per = []
        for i, c in enumerate(s.constraints):
            by_host = c.topology_key == LABEL_HOSTNAME
            indexed = _indexed_label(c.selector)
            # per-host counts for all nodes at once; a node that is not the snapshot's own is counted by itself
            host = _matching_by_node(snapshot, c.selector, ns, indexed) if by_host else None
            per.append((c.topology_key, by_host, s.counts[i], s.weights[i], c.max_skew - 1, c.selector, indexed,
                        host))
        floor = math.floor
        out: list[int] = []
        for ni in nodes:
            name = ni.name
            if name in ignored:
                out.append(0)
                continue
            labels = ni.labels
            total = 0.0
            for key, by_host, counts, weight, extra, selector, indexed, host in per:
                value = labels.get(key)
                if value is None:
                    continue
                if not by_host:
                    cnt = counts.get(value, 0)
                elif host is not None and in_snapshot.get(name) is ni:
                    cnt = host.get(name, 0)
                else:
                    cnt = _count_matching(ni, selector, ns, indexed)
                total += cnt * weight + extra
            out.append(floor(total + 0.5))
        return out

    def normalize_score(self, state: CycleState, pod_info: PodInfo, scores: list[NodeScore]) -> Status:
        """Invert to [0, 100]: the node with the fewest matching pods gets 100; ignored nodes get 0."""
        s = self._pre_score_state(state)
        valid = [ns.score for ns in scores if ns.name not in s.ignored_nodes]
        lo = min(valid) if valid else 0
        hi = max(valid) if valid else 0
        for ns in scores:
            if ns.name in s.ignored_nodes:
                ns.score = 0
            elif hi == 0:
                ns.score = MAX_NODE_SCORE
            else:
                ns.score = MAX_NODE_SCORE * (hi + lo - ns.score) // hi
        return success()


def new(handle: Handle | None = None, args: dict[str, Any] | None = None) -> PodTopologySpread:
    """The plugin factory."""
    return PodTopologySpread(handle, args)
