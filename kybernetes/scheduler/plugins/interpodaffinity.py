"""InterPodAffinity: place pods near (affinity) or away from (anti-affinity) other pods, by topology domain.

A pod affinity term selects pods (``labelSelector``) in some namespaces and names a node label
(``topologyKey``); the domain of a node is its value of that label.  The namespaces are ``namespaces`` plus every
namespace whose labels match ``namespaceSelector`` (``{}`` means all namespaces); with neither given, the term's
own pod's namespace.  ``matchLabelKeys`` / ``mismatchLabelKeys`` AND ``key in (v)`` / ``key notin (v)`` into the
selector, ``v`` being the term owner's value of ``key`` (the API server of 1.32 already merges them at creation;
merging again is harmless, so pods written by any server behave the same).

Filtering (required terms), all counted once per pod in PreFilter so Filter is O(terms) per node:

- affinity: every required affinity term must have a matching pod in the node's domain; a node lacking a
  topology key never fits.  Exception: the first pod of a group that is affine to itself (no pod anywhere matches
  all its terms, and the pod matches them itself) may go anywhere the keys exist.  Rejections are
  UNSCHEDULABLE_AND_UNRESOLVABLE: removing pods cannot create a match.
- anti-affinity: no pod matching a required anti-affinity term may run in the node's domain (UNSCHEDULABLE).
- symmetry: no existing pod whose required anti-affinity term matches the incoming pod may run in the node's
  domain for that term (UNSCHEDULABLE).

PreFilter returns SKIP when the pod has no required terms and no existing pod's anti-affinity matches it, so the
common pod costs one pass over the (usually few) pods with required anti-affinity.  The AddPod/RemovePod
extensions adjust the counts for preemption (the state clones itself).

Scoring (preferred terms): for every existing pod, its node's domain gains the weight of each preferred affinity
term of the incoming pod it matches (loses it for anti-affinity), and the weight of each preferred
(anti-)affinity term of the existing pod that the incoming pod matches, and ``hardPodAffinityWeight`` (arg,
default 1) for each of its required affinity terms the incoming pod matches.  Scores are min-max normalized.
``ignorePreferredTermsOfExistingPods`` (arg, default false) skips scoring for pods without preferred terms.

Wiring: namespace labels for ``namespaceSelector`` come from, first found, ``args["namespaceLabels"]`` (a
callable ``namespace name -> labels dict or None``, :data:`NamespaceLabels`) or ``handle.informers`` (the
SharedInformerFactory whose namespaces informer is then used, see :func:`informer_namespace_labels`).  Without
either, every namespace is taken to have no labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kybernetes.machinery.labels import IN, NOT_IN, Requirement, Selector, selector_from_dict
from kybernetes.scheduler.framework import (
    MAX_NODE_SCORE, ActionType, ClusterEvent, CycleState, Handle, NodeScore, Plugin, PreFilterResult, Status,
    error, skip, success, unresolvable, unschedulable,
)
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo

__all__ = ["NAME", "InterPodAffinity", "new", "AffinityTerm", "PodTerms", "NamespaceLabels", "pod_terms",
           "informer_namespace_labels", "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
           "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH", "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH"]

NAME = "InterPodAffinity"

ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"

PRE_FILTER_STATE_KEY = "PreFilter" + NAME
PRE_SCORE_STATE_KEY = "PreScore" + NAME

DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1

NamespaceLabels = Callable[[str], Mapping[str, str] | None]
"""``namespace name -> its labels`` (None when unknown)."""

_TopologyCounts = dict[tuple[str, str], int]


# ---------------------------------------------------------------------------------------------------------------
# Terms
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """One parsed PodAffinityTerm (``weight`` set for preferred terms)."""

    namespaces: frozenset[str]
    namespace_selector: Selector  # Selector.nothing() when the term has none
    selector: Selector
    topology_key: str
    weight: int = 0

    def matches(self, pod_info: PodInfo, ns_labels: Callable[[str], Mapping[str, str]]) -> bool:
        """Whether ``pod_info`` is in the term's namespaces and matches its selector; ``ns_labels`` is asked for
        the pod's namespace labels only when the namespace selector needs them."""
        ns = pod_info.namespace
        if ns not in self.namespaces:
            nss = self.namespace_selector
            if nss.matches_nothing or not (nss.empty or nss.matches(ns_labels(ns))):
                return False
        return self.selector.matches(pod_info.labels)


@dataclass(frozen=True, slots=True)
class PodTerms:
    """A pod's parsed affinity terms."""

    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[AffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[AffinityTerm, ...] = ()


_NO_TERMS = PodTerms()


def _parse_term(term: Mapping[str, Any], namespace: str, labels: Mapping[str, str], weight: int = 0) -> AffinityTerm:
    raw_selector = term.get("labelSelector")
    selector = selector_from_dict(raw_selector)
    if raw_selector is not None:
        extra = [Requirement(k, IN, (labels[k],)) for k in term.get("matchLabelKeys") or () if k in labels]
        extra += [Requirement(k, NOT_IN, (labels[k],)) for k in term.get("mismatchLabelKeys") or () if k in labels]
        if extra:
            selector = selector.add(*(r for r in extra if r not in selector.requirements))
    names = term.get("namespaces") or []
    raw_ns_selector = term.get("namespaceSelector")
    if not names and raw_ns_selector is None:
        names = [namespace]
    return AffinityTerm(frozenset(names), selector_from_dict(raw_ns_selector), selector,
                        term.get("topologyKey") or "", weight)


def pod_terms(pod_info: PodInfo, *, strict: bool = False) -> PodTerms:
    """The parsed terms of ``pod_info``, cached on it.  A bad selector raises ValueError when ``strict``, and
    otherwise drops that term (what upstream does for pods already placed)."""
    cached = pod_info.cache.get(NAME)
    if cached is not None and not strict:
        return cached
    if not (pod_info.required_affinity_terms or pod_info.required_anti_affinity_terms
            or pod_info.preferred_affinity_terms or pod_info.preferred_anti_affinity_terms):
        pod_info.cache[NAME] = _NO_TERMS
        return _NO_TERMS
    ns, labels = pod_info.namespace, pod_info.labels

    def parse(raw: Iterable[Mapping[str, Any]], weighted: bool) -> tuple[AffinityTerm, ...]:
        out = []
        for t in raw:
            try:
                if weighted:
                    out.append(_parse_term(t.get("podAffinityTerm") or {}, ns, labels, int(t.get("weight") or 0)))
                else:
                    out.append(_parse_term(t, ns, labels))
            except ValueError:
                if strict:
                    raise
        return tuple(out)

    terms = PodTerms(parse(pod_info.required_affinity_terms, False),
                     parse(pod_info.required_anti_affinity_terms, False),
                     parse(pod_info.preferred_affinity_terms, True),
                     parse(pod_info.preferred_anti_affinity_terms, True))
    pod_info.cache[NAME] = terms
    return terms


def informer_namespace_labels(factory: Any) -> NamespaceLabels:
    """A :data:`NamespaceLabels` reading the namespaces informer of a SharedInformerFactory (created here)."""
    namespaces = factory.informer("", "v1", "namespaces")

    def lookup(name: str) -> Mapping[str, str] | None:
        obj = namespaces.get(name)
        return None if obj is None else ((obj.get("metadata") or {}).get("labels") or {})

    return lookup


class _NamespaceLabelCache:
    """Namespace labels looked up at most once per scheduling cycle."""

    __slots__ = ("lookup", "seen")

    def __init__(self, lookup: NamespaceLabels | None) -> None:
        self.lookup = lookup
        self.seen: dict[str, Mapping[str, str]] = {}

    def __call__(self, ns: str) -> Mapping[str, str]:
        labels = self.seen.get(ns)
        if labels is None:
            labels = (self.lookup(ns) if self.lookup is not None else None) or {}
            self.seen[ns] = labels
        return labels


def _add(counts: _TopologyCounts, node_labels: Mapping[str, str], key: str, delta: int) -> None:
    value = node_labels.get(key)
    if value is None:
        return
    pair = (key, value)
    n = counts.get(pair, 0) + delta
    if n == 0:
        counts.pop(pair, None)
    else:
        counts[pair] = n


def _matches_all(terms: tuple[AffinityTerm, ...], pod_info: PodInfo,
                 ns_labels: Callable[[str], Mapping[str, str]]) -> bool:
    return bool(terms) and all(t.matches(pod_info, ns_labels) for t in terms)


# ---------------------------------------------------------------------------------------------------------------
# Cycle state
# ---------------------------------------------------------------------------------------------------------------

class _PreFilterState:
    """Domains holding pods that (a) have anti-affinity matching the incoming pod, (b) match all its affinity
    terms, (c) match one of its anti-affinity terms; with the incoming pod's terms."""

    __slots__ = ("existing_anti_affinity", "affinity", "anti_affinity", "pod_info", "terms", "ns_labels")

    def __init__(self, pod_info: PodInfo, terms: PodTerms, ns_labels: _NamespaceLabelCache) -> None:
        self.existing_anti_affinity: _TopologyCounts = {}
        self.affinity: _TopologyCounts = {}
        self.anti_affinity: _TopologyCounts = {}
        self.pod_info = pod_info
        self.terms = terms
        self.ns_labels = ns_labels

    def clone(self) -> _PreFilterState:
        c = _PreFilterState(self.pod_info, self.terms, self.ns_labels)
        c.existing_anti_affinity = dict(self.existing_anti_affinity)
        c.affinity = dict(self.affinity)
        c.anti_affinity = dict(self.anti_affinity)
        return c

    def update_with_pod(self, other: PodInfo, node_labels: Mapping[str, str], delta: int) -> None:
        """Count (delta 1) or uncount (-1) ``other`` as running on a node with ``node_labels``."""
        for t in pod_terms(other).required_anti_affinity:
            if t.matches(self.pod_info, self.ns_labels):
                _add(self.existing_anti_affinity, node_labels, t.topology_key, delta)
        if _matches_all(self.terms.required_affinity, other, self.ns_labels):
            for t in self.terms.required_affinity:
                _add(self.affinity, node_labels, t.topology_key, delta)
        for t in self.terms.required_anti_affinity:
            if t.matches(other, self.ns_labels):
                _add(self.anti_affinity, node_labels, t.topology_key, delta)


@dataclass(slots=True)
class _PreScoreState:
    topology_score: dict[str, dict[str, int]]

    def clone(self) -> _PreScoreState:
        return self  # read-only after PreScore


# ---------------------------------------------------------------------------------------------------------------
# The plugin
# ---------------------------------------------------------------------------------------------------------------

class InterPodAffinity(Plugin):
    """Required and preferred inter-pod (anti-)affinity (args: ``hardPodAffinityWeight``,
    ``ignorePreferredTermsOfExistingPods``, ``namespaceLabels``)."""

    name = NAME
    extension_points = ("pre_filter", "pre_filter_add_pod", "pre_filter_remove_pod", "filter", "pre_score",
                        "score", "normalize_score")

    def __init__(self, handle: Handle | None = None, args: dict[str, Any] | None = None) -> None:
        super().__init__(handle, args)
        weight = self.args.get("hardPodAffinityWeight")
        self.hard_pod_affinity_weight = DEFAULT_HARD_POD_AFFINITY_WEIGHT if weight is None else int(weight)
        if not 0 <= self.hard_pod_affinity_weight <= 100:
            raise ValueError(f"hardPodAffinityWeight: Invalid value: {self.hard_pod_affinity_weight}: "
                             "not in valid range [0-100]")
        self.ignore_preferred_terms_of_existing_pods = bool(self.args.get("ignorePreferredTermsOfExistingPods"))
        lookup = self.args.get("namespaceLabels")
        if lookup is None:
            factory = getattr(handle, "informers", None)
            if factory is not None:
                lookup = informer_namespace_labels(factory)
        self.namespace_labels: NamespaceLabels | None = lookup

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", ActionType.ALL),
                ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL)]

    def _snapshot(self) -> Any:
        if self.handle is None:
            raise RuntimeError(f"{NAME} needs a framework handle with a snapshot")
        return self.handle.snapshot

    # -- filtering -------------------------------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod_info: PodInfo) -> tuple[PreFilterResult | None, Status]:
        """Count the domains each rule cares about; SKIP when no rule concerns the pod."""
        try:
            terms = pod_terms(pod_info, strict=True)
        except ValueError as e:
            return None, unresolvable(f"parsing pod: {e}")
        snapshot = self._snapshot()
        s = _PreFilterState(pod_info, terms, _NamespaceLabelCache(self.namespace_labels))
        # Existing pods' anti-affinity against the incoming pod (symmetry); only nodes with such pods.
        for ni in snapshot.have_pods_with_required_anti_affinity:
            labels = ni.labels
            for existing in ni.pods_with_required_anti_affinity:
                for t in pod_terms(existing).required_anti_affinity:
                    if t.matches(pod_info, s.ns_labels):
                        _add(s.existing_anti_affinity, labels, t.topology_key, 1)
        affinity, anti = terms.required_affinity, terms.required_anti_affinity
        if affinity or anti:
            for ni in snapshot.node_info_list:
                labels = ni.labels
                for existing in ni.pods:
                    if affinity and _matches_all(affinity, existing, s.ns_labels):
                        for t in affinity:
                            _add(s.affinity, labels, t.topology_key, 1)
                    for t in anti:
                        if t.matches(existing, s.ns_labels):
                            _add(s.anti_affinity, labels, t.topology_key, 1)
        elif not s.existing_anti_affinity:
            return None, skip()
        state.write(PRE_FILTER_STATE_KEY, s)
        return None, success()

    def _pre_filter_state(self, state: CycleState) -> _PreFilterState | None:
        s = state.get(PRE_FILTER_STATE_KEY)
        if s is None and NAME not in state.skip_filter_plugins:
            raise KeyError(f"reading {PRE_FILTER_STATE_KEY!r} from cycleState: PreFilter of {NAME} did not run")
        return s

    def pre_filter_add_pod(self, state: CycleState, pod_info: PodInfo, to_add: PodInfo,
                           node_info: NodeInfo) -> Status:
        """Count ``to_add`` as running on ``node_info`` (mutates the cycle state)."""
        try:
            s = self._pre_filter_state(state)
        except KeyError as e:
            return error(str(e))
        if s is not None:
            s.update_with_pod(to_add, node_info.labels, 1)
        return success()

    def pre_filter_remove_pod(self, state: CycleState, pod_info: PodInfo, to_remove: PodInfo,
                              node_info: NodeInfo) -> Status:
        """Stop counting ``to_remove`` on ``node_info`` (mutates the cycle state)."""
        try:
            s = self._pre_filter_state(state)
        except KeyError as e:
            return error(str(e))
        if s is not None:
            s.update_with_pod(to_remove, node_info.labels, -1)
        return success()

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        """Affinity first (unresolvable), then the pod's anti-affinity, then existing pods' anti-affinity."""
        try:
            s = self._pre_filter_state(state)
        except KeyError as e:
            return error(str(e))
        if s is None:
            return success()
        labels = node_info.labels
        if not self._satisfies_affinity(s, labels):
            return unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH)
        if s.anti_affinity:
            for t in s.terms.required_anti_affinity:
                value = labels.get(t.topology_key)
                if value is not None and s.anti_affinity.get((t.topology_key, value), 0) > 0:
                    return unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
        if s.existing_anti_affinity:
            for pair in labels.items():
                if s.existing_anti_affinity.get(pair, 0) > 0:
                    return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)
        return success()

    @staticmethod
    def _satisfies_affinity(s: _PreFilterState, labels: Mapping[str, str]) -> bool:
        pods_exist = True
        for t in s.terms.required_affinity:
            value = labels.get(t.topology_key)
            if value is None:
                return False  # every topology key must exist on the node
            if s.affinity.get((t.topology_key, value), 0) <= 0:
                pods_exist = False
        if pods_exist:
            return True
        # The first pod of a group affine to itself: nothing matches anywhere yet, and the pod matches itself.
        return not s.affinity and _matches_all(s.terms.required_affinity, s.pod_info, s.ns_labels)

    # -- scoring ---------------------------------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        """Sum term weights per topology domain; SKIP when nothing matched."""
        if not nodes:
            return skip()
        terms = pod_terms(pod_info)
        has_constraints = bool(terms.preferred_affinity or terms.preferred_anti_affinity)
        if self.ignore_preferred_terms_of_existing_pods and not has_constraints:
            return skip()
        snapshot = self._snapshot()
        # Unless the pod has preferred terms, only pods with affinity of their own can contribute.
        node_list = snapshot.node_info_list if has_constraints else snapshot.have_pods_with_affinity
        ns_labels = _NamespaceLabelCache(self.namespace_labels)
        scores: dict[str, dict[str, int]] = {}
        hard_weight = self.hard_pod_affinity_weight

        def process(term: AffinityTerm, weight: int, target: PodInfo, labels: Mapping[str, str]) -> None:
            if term.matches(target, ns_labels):
                value = labels.get(term.topology_key)
                if value is not None:
                    per_key = scores.setdefault(term.topology_key, {})
                    per_key[value] = per_key.get(value, 0) + weight

        for ni in node_list:
            labels = ni.labels
            if not labels:
                continue
            for existing in (ni.pods if has_constraints else ni.pods_with_affinity):
                for t in terms.preferred_affinity:
                    process(t, t.weight, existing, labels)
                for t in terms.preferred_anti_affinity:
                    process(t, -t.weight, existing, labels)
                eterms = pod_terms(existing)
                if eterms is _NO_TERMS:
                    continue
                if hard_weight > 0:
                    for t in eterms.required_affinity:
                        process(t, hard_weight, pod_info, labels)
                for t in eterms.preferred_affinity:
                    process(t, t.weight, pod_info, labels)
                for t in eterms.preferred_anti_affinity:
                    process(t, -t.weight, pod_info, labels)
        if not scores:
            return skip()
        state.write(PRE_SCORE_STATE_KEY, _PreScoreState(scores))
        return success()

    def _pre_score_state(self, state: CycleState) -> _PreScoreState:
        try:
            return state.read(PRE_SCORE_STATE_KEY)
        except KeyError:
            raise KeyError(f"reading {PRE_SCORE_STATE_KEY!r} from cycleState: PreScore of {NAME} did not run") \
                from None

    def score(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> int:
        """The summed weights of the node's domains."""
        s = self._pre_score_state(state)
        labels = node_info.labels
        total = 0
        for key, per_value in s.topology_score.items():
            value = labels.get(key)
            if value is not None:
                total += per_value.get(value, 0)
        return total

    def normalize_score(self, state: CycleState, pod_info: PodInfo, scores: list[NodeScore]) -> Status:
        """Min-max scale to [0, 100] (all equal: all 0)."""
        s = self._pre_score_state(state)
        if not s.topology_score or not scores:
            return success()
        lo = min(ns.score for ns in scores)
        hi = max(ns.score for ns in scores)
        diff = hi - lo
        for ns in scores:
            ns.score = int(MAX_NODE_SCORE * ((ns.score - lo) / diff)) if diff > 0 else 0
        return success()


def new(handle: Handle | None = None, args: dict[str, Any] | None = None) -> InterPodAffinity:
    """The plugin factory."""
    return InterPodAffinity(handle, args)
