"""NodeAffinity: ``spec.nodeSelector`` and ``spec.affinity.nodeAffinity`` (required and preferred).

Filter: a node must carry every ``nodeSelector`` label and match at least one required NodeSelectorTerm (all of a
term's ``matchExpressions`` on labels and ``matchFields`` on ``metadata.name``); an empty term list matches
nothing, a term without requirements matches nothing, a term that cannot be parsed matches nothing.  Rejections
are unresolvable ("node(s) didn't match Pod's node affinity/selector"; preemption cannot relabel a node).

PreFilter answers SKIP when the pod has neither a node selector nor required node affinity (and the profile adds
none).  When every required term pins ``metadata.name`` with ``In``, it narrows the candidates to those names
(the union over terms of the intersection within a term); when those sets are all empty no node can match
("pod affinity terms conflict").

Score sums the weights of the preferred terms (``preferredDuringSchedulingIgnoredDuringExecution``) a node
matches; NormalizeScore scales the sums onto 0..100.  PreScore answers SKIP when there are no preferred terms.

Plugin args (``NodeAffinityArgs``): ``addedAffinity`` with ``requiredDuringSchedulingIgnoredDuringExecution`` (an
extra NodeSelector every pod must match: "node(s) didn't match scheduler-enforced node affinity") and
``preferredDuringSchedulingIgnoredDuringExecution`` (extra weighted terms for every pod).

Selectors are compiled once per pod (cached in ``PodInfo.cache``) into tuples so the per-node checks are plain
dictionary lookups; the semantics are those of :mod:`kybernetes.api.placement`, with integer parsing for ``Gt``/
``Lt`` as strict as Go's ``strconv.ParseInt``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from kybernetes.scheduler.framework import (ActionType, ClusterEvent, CycleState, NodeScore, Plugin, PreFilterResult,
                                            Status, error, skip, success, unresolvable)
from kybernetes.scheduler.nodeinfo import NodeInfo, PodInfo
from kybernetes.scheduler.plugins.helper import default_normalize_score, json_key

__all__ = ["NAME", "NodeAffinity", "ERR_REASON_POD", "ERR_REASON_ENFORCED", "ERR_REASON_CONFLICT",
           "RequiredNodeAffinity", "compile_node_selector", "compile_preferred_terms"]

NAME = "NodeAffinity"
PRE_FILTER_STATE_KEY = "PreFilter" + NAME
PRE_SCORE_STATE_KEY = "PreScore" + NAME
_SIG_KEY = NAME + "/signature"
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity"
ERR_REASON_CONFLICT = "pod affinity terms conflict"
_OK = success()  # the shared SUCCESS status, returned without a call on the per-node path

_INT = re.compile(r"[+-]?[0-9]+\Z")
_INT64_MIN, _INT64_MAX = -(2 ** 63), 2 ** 63 - 1

# requirement operators, compiled
_IN, _NOT_IN, _EXISTS, _DOES_NOT_EXIST, _GT, _LT = range(6)


class _Invalid(Exception):
    """A requirement that cannot be parsed (the term it is in then matches nothing)."""


def _parse_int(text: str) -> int | None:
    if not _INT.match(text):
        return None
    v = int(text)
    return v if _INT64_MIN <= v <= _INT64_MAX else None


def _compile_expression(req: Mapping[str, Any]) -> tuple[int, str, Any]:
    key = req.get("key") or ""
    op = req.get("operator") or ""
    vals = req.get("values") or []
    if op in ("In", "NotIn"):
        if not vals:
            raise _Invalid(f"{op} requires at least one value")
        return (_IN if op == "In" else _NOT_IN), key, frozenset(vals)
    if op in ("Exists", "DoesNotExist"):
        if vals:
            raise _Invalid(f"{op} takes no values")
        return (_EXISTS if op == "Exists" else _DOES_NOT_EXIST), key, None
    if op in ("Gt", "Lt"):
        n = _parse_int(vals[0]) if len(vals) == 1 else None
        if n is None:
            raise _Invalid(f"{op} requires one integer value")
        return (_GT if op == "Gt" else _LT), key, n
    raise _Invalid(f"unsupported operator {op!r}")


def _compile_field(req: Mapping[str, Any]) -> tuple[int, str, Any]:
    op = req.get("operator") or ""
    vals = req.get("values") or []
    if op not in ("In", "NotIn"):
        raise _Invalid(f"unsupported field operator {op!r}")
    if len(vals) != 1:
        raise _Invalid("field requirements take exactly one value")
    return (_IN if op == "In" else _NOT_IN), req.get("key") or "", vals[0]


# A compiled term: (label requirements, field requirements), or None when it can never match.
_Term = tuple[tuple[tuple[int, str, Any], ...], tuple[tuple[int, str, Any], ...]]


def _compile_term(term: Mapping[str, Any] | None) -> _Term | None:
    """None for an empty or unparsable term (it matches nothing)."""
    term = term or {}
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return None
    try:
        return tuple(map(_compile_expression, exprs)), tuple(map(_compile_field, fields))
    except _Invalid:
        return None


def _labels_match(reqs: tuple[tuple[int, str, Any], ...], labels: Mapping[str, str]) -> bool:
    for op, key, arg in reqs:
        if op == _IN:
            v = labels.get(key)
            if v is None or v not in arg:
                return False
        elif op == _NOT_IN:
            v = labels.get(key)
            if v is not None and v in arg:
                return False
        elif op == _EXISTS:
            if key not in labels:
                return False
        elif op == _DOES_NOT_EXIST:
            if key in labels:
                return False
        else:
            v = labels.get(key)
            n = _parse_int(v) if v is not None else None
            if n is None or not (n > arg if op == _GT else n < arg):
                return False
    return True


def _term_matches(term: _Term, labels: Mapping[str, str], name: str) -> bool:
    label_reqs, field_reqs = term
    if label_reqs and not _labels_match(label_reqs, labels):
        return False
    for op, key, value in field_reqs:
        actual = name if key == "metadata.name" else ""
        if (actual == value) != (op == _IN):
            return False
    return True


class CompiledNodeSelector:
    """A v1.NodeSelector compiled for fast matching: any of its terms matches."""

    __slots__ = ("terms",)

    def __init__(self, selector: Mapping[str, Any] | None) -> None:
        terms = (_compile_term(t) for t in (selector or {}).get("nodeSelectorTerms") or ())
        self.terms: tuple[_Term, ...] = tuple(t for t in terms if t is not None)

    def matches(self, labels: Mapping[str, str], name: str) -> bool:
        for t in self.terms:
            if _term_matches(t, labels, name):
                return True
        return False


def compile_node_selector(selector: Mapping[str, Any] | None) -> CompiledNodeSelector:
    """Compile a v1.NodeSelector (``{"nodeSelectorTerms": [...]}``)."""
    return CompiledNodeSelector(selector)


class RequiredNodeAffinity:
    """A pod's ``spec.nodeSelector`` plus its required node affinity (upstream's RequiredNodeAffinity).

    ``matches(labels, name)`` is chosen at construction; the usual single-label node selector compiles to one
    dictionary lookup.
    """

    __slots__ = ("node_selector", "affinity", "matches")

    def __init__(self, pod: Mapping[str, Any]) -> None:
        spec = pod.get("spec") or {}
        self.node_selector: tuple[tuple[str, str], ...] = tuple((spec.get("nodeSelector") or {}).items())
        required = _required_terms(spec)
        self.affinity: CompiledNodeSelector | None = None if required is None else CompiledNodeSelector(required)
        self.matches: Callable[[Mapping[str, str], str], bool] = _required_matcher(self.node_selector, self.affinity)


def _required_matcher(selector: tuple[tuple[str, str], ...],
                      affinity: CompiledNodeSelector | None) -> Callable[[Mapping[str, str], str], bool]:
    if affinity is None and len(selector) == 1:
        ((key, value),) = selector

        def one_label(labels: Mapping[str, str], name: str) -> bool:
            return labels.get(key) == value
        return one_label

    def full(labels: Mapping[str, str], name: str) -> bool:
        for k, v in selector:
            if labels.get(k) != v:
                return False
        return affinity is None or affinity.matches(labels, name)
    return full


def _node_affinity(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    return (spec.get("affinity") or {}).get("nodeAffinity") or {}


def _required_terms(spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return _node_affinity(spec).get("requiredDuringSchedulingIgnoredDuringExecution")


# preferred terms compiled: ((weight, term), ...)
_Preferred = tuple[tuple[int, _Term], ...]


def compile_preferred_terms(terms: list[Mapping[str, Any]] | None) -> _Preferred:
    """Compile PreferredSchedulingTerms, dropping zero weights and empty terms; ValueError on an unparsable term
    (upstream refuses to score with one)."""
    out: list[tuple[int, _Term]] = []
    for i, t in enumerate(terms or ()):
        weight = int(t.get("weight") or 0)
        pref = t.get("preference") or {}
        if weight == 0 or not (pref.get("matchExpressions") or pref.get("matchFields")):
            continue
        try:
            compiled = (tuple(map(_compile_expression, pref.get("matchExpressions") or ())),
                        tuple(map(_compile_field, pref.get("matchFields") or ())))
        except _Invalid as e:
            raise ValueError(f"[{i}].preference: {e}") from None
        out.append((weight, compiled))
    return tuple(out)


def _preferred_score(terms: _Preferred, labels: Mapping[str, str], name: str) -> int:
    total = 0
    for weight, term in terms:
        if _term_matches(term, labels, name):
            total += weight
    return total


class _PodCache:
    """What this plugin parsed from one pod (kept in ``PodInfo.cache[NAME]`` across scheduling attempts)."""

    __slots__ = ("required", "has_required", "preferred", "preferred_error", "node_names", "conflict")

    def __init__(self, pod: Mapping[str, Any]) -> None:
        spec = pod.get("spec") or {}
        required = _required_terms(spec)
        self.has_required = required is not None or bool(spec.get("nodeSelector"))
        self.required = RequiredNodeAffinity(pod)
        self.node_names, self.conflict = _names_from_terms(required)
        self.preferred: _Preferred = ()
        self.preferred_error = ""
        try:
            self.preferred = compile_preferred_terms(
                _node_affinity(spec).get("preferredDuringSchedulingIgnoredDuringExecution"))
        except ValueError as e:
            self.preferred_error = str(e)


def _names_from_terms(required: Mapping[str, Any] | None) -> tuple[set[str] | None, bool]:
    """The node names the required terms restrict the pod to (None: no restriction) and whether they conflict."""
    terms = (required or {}).get("nodeSelectorTerms") or []
    if not terms:
        return None, False
    names: set[str] = set()
    for t in terms:
        term_names: set[str] | None = None
        for r in t.get("matchFields") or ():
            if r.get("key") == "metadata.name" and r.get("operator") == "In":
                s = set(r.get("values") or ())
                term_names = s if term_names is None else term_names & s
        if term_names is None:
            return None, False  # this term allows any node name; terms are ORed
        names |= term_names
    if not names:
        return None, True
    return names, False


_NOTHING = _PodCache({})  # shared by every pod without node selector or node affinity


def _pod_cache(pod_info: PodInfo) -> _PodCache:
    c = pod_info.cache.get(NAME)
    if c is None:
        spec = pod_info.pod.get("spec") or {}
        if spec.get("nodeSelector") or _node_affinity(spec):
            c = _PodCache(pod_info.pod)
        else:
            c = _NOTHING
        pod_info.cache[NAME] = c
    return c


class NodeAffinity(Plugin):
    """PreFilter/Filter on node selector + required node affinity; PreScore/Score/NormalizeScore on preferred
    node affinity."""

    name = NAME
    extension_points = ("pre_filter", "filter", "pre_score", "score", "normalize_score")

    def __init__(self, handle: Any = None, args: dict[str, Any] | None = None) -> None:
        """Raises ValueError when ``addedAffinity`` cannot be parsed."""
        super().__init__(handle, args)
        added = self.args.get("addedAffinity") or {}
        self.added_selector: CompiledNodeSelector | None = None
        required = added.get("requiredDuringSchedulingIgnoredDuringExecution")
        if required is not None:
            for i, t in enumerate(required.get("nodeSelectorTerms") or ()):
                if (t.get("matchExpressions") or t.get("matchFields")) and _compile_term(t) is None:
                    raise ValueError(f"parsing addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: "
                                     f"term [{i}] is invalid")
            self.added_selector = CompiledNodeSelector(required)
        try:
            self.added_preferred = compile_preferred_terms(
                added.get("preferredDuringSchedulingIgnoredDuringExecution"))
        except ValueError as e:
            raise ValueError(f"parsing addedAffinity.preferredDuringSchedulingIgnoredDuringExecution: {e}") from None

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL)]

    def signature(self, pod_info: PodInfo) -> Hashable:
        """Filter and Score depend on the pod's node selector and node affinity (and the plugin's args)."""
        sig = pod_info.cache.get(_SIG_KEY)
        if sig is None:
            spec = pod_info.pod.get("spec") or {}
            sig = pod_info.cache[_SIG_KEY] = json_key([spec.get("nodeSelector"), _node_affinity(spec)])
        return sig

    # -- filtering
    def pre_filter(self, state: CycleState, pod_info: PodInfo) -> tuple[PreFilterResult | None, Status]:
        c = _pod_cache(pod_info)
        if not c.has_required and self.added_selector is None:
            return None, skip()
        state.write(PRE_FILTER_STATE_KEY, c.required)
        if c.conflict:
            return None, unresolvable(ERR_REASON_CONFLICT)
        if c.node_names:
            return PreFilterResult(set(c.node_names)), success()
        return None, success()

    def filter(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> Status:
        labels = node_info.labels
        if self.added_selector is not None and not self.added_selector.matches(labels, node_info.name):
            return unresolvable(ERR_REASON_ENFORCED)
        try:
            required: RequiredNodeAffinity = state.read(PRE_FILTER_STATE_KEY)
        except KeyError:
            required = _pod_cache(pod_info).required  # PreFilter disabled: compute here, as upstream does
        if required.matches(labels, node_info.name):
            return _OK
        return unresolvable(ERR_REASON_POD)

    # -- scoring
    def pre_score(self, state: CycleState, pod_info: PodInfo, nodes: list[NodeInfo]) -> Status:
        c = _pod_cache(pod_info)
        if c.preferred_error:
            return error(c.preferred_error)
        if not c.preferred and not self.added_preferred:
            return skip()
        state.write(PRE_SCORE_STATE_KEY, c.preferred)
        return success()

    def score(self, state: CycleState, pod_info: PodInfo, node_info: NodeInfo) -> int:
        """The sum of the weights of the matching preferred terms (the pod's and the profile's)."""
        preferred: _Preferred = state.read(PRE_SCORE_STATE_KEY)  # KeyError: PreScore did not run (a bug)
        total = 0
        if self.added_preferred:
            total = _preferred_score(self.added_preferred, node_info.labels, node_info.name)
        if preferred:
            total += _preferred_score(preferred, node_info.labels, node_info.name)
        return total

    def normalize_score(self, state: CycleState, pod_info: PodInfo, scores: list[NodeScore]) -> Status:
        return default_normalize_score(scores)
