"""Where a pod may run: node selectors, required node affinity and taints/tolerations (pure functions).

Shared by the scheduler's plugins and by controllers that place pods themselves (DaemonSet), so both read the
rules the same way.

- A NodeSelectorTerm matches when all its ``matchExpressions`` (on labels) and ``matchFields`` (only
  ``metadata.name``) hold; a NodeSelector (list of terms) matches when any term matches; an empty term list
  matches nothing, and a term without requirements matches nothing (upstream semantics).
- Operators: ``In``, ``NotIn`` (true when the label is absent), ``Exists``, ``DoesNotExist``, ``Gt`` and ``Lt``
  (integer comparison; a non-integer label never matches).
- A toleration tolerates a taint when the effects agree (an empty toleration effect matches any), the keys agree
  (an empty key with ``Exists`` matches every key) and, for ``Equal`` (the default), the values agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["node_selector_requirement_matches", "node_selector_term_matches", "node_selector_matches",
           "pod_matches_node_selector_and_affinity", "tolerates", "tolerates_taint", "find_untolerated_taint",
           "DO_NOT_SCHEDULE_EFFECTS"]

DO_NOT_SCHEDULE_EFFECTS = ("NoSchedule", "NoExecute")


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def node_selector_requirement_matches(req: Mapping[str, Any], values_by_key: Mapping[str, str]) -> bool:
    key = req.get("key", "")
    op = req.get("operator", "")
    vals = req.get("values") or []
    present = key in values_by_key
    v = values_by_key.get(key)
    if op == "In":
        return present and v in vals
    if op == "NotIn":
        return not present or v not in vals
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        if not present or len(vals) != 1:
            return False
        a, b = _int(v or ""), _int(vals[0])
        if a is None or b is None:
            return False
        return a > b if op == "Gt" else a < b
    return False


def node_selector_term_matches(term: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    meta = node.get("metadata") or {}
    labels = meta.get("labels") or {}
    for req in exprs:
        if not node_selector_requirement_matches(req, labels):
            return False
    if fields:
        name_map = {"metadata.name": meta.get("name", "")}
        for req in fields:
            if req.get("key") != "metadata.name" or not node_selector_requirement_matches(req, name_map):
                return False
    return True


def node_selector_matches(node_selector: Mapping[str, Any] | None, node: Mapping[str, Any]) -> bool:
    """A v1.NodeSelector (``{"nodeSelectorTerms": [...]}``): any term matching."""
    terms = (node_selector or {}).get("nodeSelectorTerms") or []
    return any(node_selector_term_matches(t, node) for t in terms)


def pod_matches_node_selector_and_affinity(pod: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """``spec.nodeSelector`` (all labels equal) and required node affinity both hold for ``node``."""
    spec = pod.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    for k, v in (spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is not None:
        return node_selector_matches(required, node)
    return True


def tolerates_taint(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    op = toleration.get("operator") or "Equal"
    if key and key != taint.get("key"):
        return False
    if op == "Exists":
        return True
    if op == "Equal":
        if not key:
            return False
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerates(tolerations: Iterable[Mapping[str, Any]] | None, taint: Mapping[str, Any]) -> bool:
    return any(tolerates_taint(t, taint) for t in tolerations or ())


def find_untolerated_taint(taints: Iterable[Mapping[str, Any]] | None,
                           tolerations: Iterable[Mapping[str, Any]] | None,
                           effects: tuple[str, ...] = DO_NOT_SCHEDULE_EFFECTS) -> Mapping[str, Any] | None:
    """The first taint with one of ``effects`` that no toleration tolerates, or None."""
    tols = list(tolerations or ())
    for taint in taints or ():
        if taint.get("effect") in effects and not tolerates(tols, taint):
            return taint
    return None
