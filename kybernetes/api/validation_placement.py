"""Validation of where a pod may run, as upstream ``pkg/apis/core/validation`` does it: node selectors and node
affinity, pod (anti-)affinity, tolerations (and taint effects, shared with Node validation) and topology spread
constraints.
"""

from __future__ import annotations

from typing import Any

from kybernetes.api.validation_common import (
    as_dict,
    as_int,
    as_list,
    as_str,
    is_int,
    label_value,
    name_is_dns_label,
    name_is_dns_subdomain,
)
from kybernetes.api.validation_meta import (
    validate_label_name,
    validate_label_selector,
)
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_duplicate,
    field_forbidden,
    field_invalid,
    field_not_supported,
    field_required,
)

__all__ = [
    "node_selector",
    "taint_effect",
    "validate_affinity",
    "validate_tolerations",
    "validate_topology_spread",
]

# ---------------------------------------------------------------------------------------------------------------
# Scheduling: affinity, tolerations, topology spread
# ---------------------------------------------------------------------------------------------------------------


def _node_selector_requirement(rq: dict, allow_invalid_value: bool, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    op = rq.get("operator", "")
    values = as_list(rq.get("values"))
    if op in ("In", "NotIn"):
        if not values:
            errs.append(field_required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist"):
        if values:
            errs.append(field_forbidden(path.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif op in ("Gt", "Lt"):
        if len(values) != 1:
            errs.append(field_required(path.child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
    else:
        errs.append(field_invalid(path.child("operator"), op, "not a valid selector operator"))
    errs += validate_label_name(rq.get("key", ""), path.child("key"))
    if not allow_invalid_value:
        for i, v in enumerate(values):
            v = v if isinstance(v, str) else ""
            errs += [field_invalid(path.child("values").index(i), v, m) for m in label_value(v)]
    return errs


def _node_field_requirement(rq: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    op = rq.get("operator", "")
    values = as_list(rq.get("values"))
    if op in ("In", "NotIn"):
        if len(values) != 1:
            errs.append(field_required(path.child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
    else:
        errs.append(field_invalid(path.child("operator"), op, "not a valid selector operator"))
    key = rq.get("key", "")
    if key != "metadata.name":
        errs.append(field_invalid(path.child("key"), key, "not a valid field selector key"))
    else:
        for i, v in enumerate(values):
            v = as_str(v)
            errs += [field_invalid(path.child("values").index(i), v, m) for m in name_is_dns_subdomain(v)]
    return errs


def _node_selector_term(term: dict, allow_invalid_value: bool, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for j, rq in enumerate(as_list(term.get("matchExpressions"))):
        errs += _node_selector_requirement(as_dict(rq), allow_invalid_value, path.child("matchExpressions").index(j))
    for j, rq in enumerate(as_list(term.get("matchFields"))):
        errs += _node_field_requirement(as_dict(rq), path.child("matchFields").index(j))
    return errs


def node_selector(ns: dict, allow_invalid_value: bool, path: FieldPath) -> list[FieldError]:
    """ValidateNodeSelector: at least one term."""
    terms = as_list(ns.get("nodeSelectorTerms"))
    tp = path.child("nodeSelectorTerms")
    if not terms:
        return [field_required(tp, "must have at least one node selector term")]
    errs: list[FieldError] = []
    for i, t in enumerate(terms):
        errs += _node_selector_term(as_dict(t), allow_invalid_value, tp.index(i))
    return errs


def _label_keys(path: FieldPath, keys: list, selector: Any) -> list[FieldError]:
    if not keys:
        return []
    if selector is None:
        return [field_forbidden(path, "must not be specified when labelSelector is not set")]
    errs: list[FieldError] = []
    for i, k in enumerate(keys):
        errs += validate_label_name(k, path.index(i))
    return errs


def _pod_affinity_term(term: dict, path: FieldPath) -> list[FieldError]:
    errs = validate_label_selector(term.get("labelSelector"), path.child("labelSelector"))
    errs += validate_label_selector(term.get("namespaceSelector"), path.child("namespaceSelector"))
    for name in as_list(term.get("namespaces")):
        name = as_str(name)
        errs += [field_invalid(path.child("namespace"), name, m) for m in name_is_dns_label(name)]
    match_keys = as_list(term.get("matchLabelKeys"))
    mismatch_keys = as_list(term.get("mismatchLabelKeys"))
    sel = term.get("labelSelector")
    errs += _label_keys(path.child("matchLabelKeys"), match_keys, sel)
    errs += _label_keys(path.child("mismatchLabelKeys"), mismatch_keys, sel)
    if isinstance(sel, dict):
        idx = {k: i for i, k in enumerate(match_keys) if isinstance(k, str)}
        seen = set(as_dict(sel.get("matchLabels")))
        for e in as_list(sel.get("matchExpressions")):
            k = as_dict(e).get("key")
            if k in idx and k in seen:
                errs.append(field_invalid(path.index(idx[k]), k, "exists in both matchLabelKeys and labelSelector"))
            seen.add(k)
    for i, k in enumerate(match_keys):
        if k in mismatch_keys:
            errs.append(field_invalid(path.child("matchLabelKeys").index(i), k, "exists in both matchLabelKeys and mismatchLabelKeys"))
    tk = as_str(term.get("topologyKey"))
    if not tk:
        errs.append(field_required(path.child("topologyKey"), "can not be empty"))
    return errs + validate_label_name(tk, path.child("topologyKey"))


def _pod_affinity(pa: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    rp = path.child("requiredDuringSchedulingIgnoredDuringExecution")
    for i, t in enumerate(as_list(pa.get("requiredDuringSchedulingIgnoredDuringExecution"))):
        errs += _pod_affinity_term(as_dict(t), rp.index(i))
    pp = path.child("preferredDuringSchedulingIgnoredDuringExecution")
    for i, w in enumerate(as_list(pa.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        w = as_dict(w)
        weight = as_int(w.get("weight"))
        if weight <= 0 or weight > 100:
            errs.append(field_invalid(pp.index(i).child("weight"), weight, "must be in the range 1-100"))
        errs += _pod_affinity_term(as_dict(w.get("podAffinityTerm")), pp.index(i).child("podAffinityTerm"))
    return errs


def validate_affinity(aff: Any, path: FieldPath) -> list[FieldError]:
    if not isinstance(aff, dict):
        return []
    errs: list[FieldError] = []
    na = aff.get("nodeAffinity")
    if isinstance(na, dict):
        np = path.child("nodeAffinity")
        req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(req, dict):
            errs += node_selector(req, False, np.child("requiredDuringSchedulingIgnoredDuringExecution"))
        pp = np.child("preferredDuringSchedulingIgnoredDuringExecution")
        for i, t in enumerate(as_list(na.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            t = as_dict(t)
            weight = as_int(t.get("weight"))
            if weight <= 0 or weight > 100:
                errs.append(field_invalid(pp.index(i).child("weight"), weight, "must be in the range 1-100"))
            errs += _node_selector_term(as_dict(t.get("preference")), True, pp.index(i).child("preference"))
    if isinstance(aff.get("podAffinity"), dict):
        errs += _pod_affinity(aff["podAffinity"], path.child("podAffinity"))
    if isinstance(aff.get("podAntiAffinity"), dict):
        errs += _pod_affinity(aff["podAntiAffinity"], path.child("podAntiAffinity"))
    return errs


_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def taint_effect(effect: str, allow_empty: bool, path: FieldPath) -> list[FieldError]:
    """validateTaintEffect."""
    if not allow_empty and not effect:
        return [field_required(path, "")]
    if effect not in _TAINT_EFFECTS:
        return [field_not_supported(path, effect, _TAINT_EFFECTS)]
    return []


def validate_tolerations(tolerations: Any, path: FieldPath) -> list[FieldError]:
    """ValidateTolerations."""
    errs: list[FieldError] = []
    for i, t in enumerate(as_list(tolerations)):
        t = as_dict(t)
        ip = path.index(i)
        key = as_str(t.get("key"))
        op = as_str(t.get("operator"))
        effect = as_str(t.get("effect"))
        value = as_str(t.get("value"))
        if key:
            errs += validate_label_name(key, ip.child("key"))
        if not key and op != "Exists":
            errs.append(field_invalid(ip.child("operator"), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'))
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(field_invalid(ip.child("effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if op in ("Equal", ""):
            msgs = label_value(value)
            if msgs:
                errs.append(field_invalid(ip.child("operator"), value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(field_invalid(ip.child("operator"), value, "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(field_not_supported(ip.child("operator"), op, ("Equal", "Exists")))
        if effect:
            errs += taint_effect(effect, True, ip.child("effect"))
    return errs


def validate_topology_spread(constraints: Any, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    cs = [as_dict(c) for c in as_list(constraints)]
    for i, c in enumerate(cs):
        p = path.index(i)
        skew = as_int(c.get("maxSkew"))
        if skew <= 0:
            errs.append(field_invalid(p.child("maxSkew"), skew, "must be greater than zero"))
        tk = as_str(c.get("topologyKey"))
        if not tk:
            errs.append(field_required(p.child("topologyKey"), "can not be empty"))
        wu = as_str(c.get("whenUnsatisfiable"))
        if wu not in ("DoNotSchedule", "ScheduleAnyway"):
            errs.append(field_not_supported(p.child("whenUnsatisfiable"), wu, ("DoNotSchedule", "ScheduleAnyway")))
        for other in cs[i + 1:]:
            if as_str(other.get("topologyKey")) == tk and as_str(other.get("whenUnsatisfiable")) == wu:
                errs.append(field_duplicate(p.child("{topologyKey, whenUnsatisfiable}"), f"{{{tk}, {wu}}}"))
                break
        md = c.get("minDomains")
        if is_int(md):
            if md <= 0:
                errs.append(field_invalid(p.child("minDomains"), md, "must be greater than zero"))
            if wu != "DoNotSchedule":
                errs.append(field_invalid(p.child("minDomains"), md, f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {wu}"))
        for key in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            v = c.get(key)
            if isinstance(v, str) and v not in ("Honor", "Ignore"):
                errs.append(field_not_supported(p.child(key), v, ("Honor", "Ignore")))
        mlk = as_list(c.get("matchLabelKeys"))
        if mlk:
            sel = c.get("labelSelector")
            keys: set = set()
            if isinstance(sel, dict):
                keys = set(as_dict(sel.get("matchLabels"))) | {as_dict(e).get("key") for e in as_list(sel.get("matchExpressions"))}
            else:
                errs.append(field_forbidden(p.child("matchLabelKeys"), "must not be specified when labelSelector is not set"))
            for j, k in enumerate(mlk):
                errs += validate_label_name(k, p.child("matchLabelKeys").index(j))
                if k in keys:
                    errs.append(field_invalid(p.child("matchLabelKeys").index(j), k, "exists in both matchLabelKeys and labelSelector"))
        errs += validate_label_selector(c.get("labelSelector"), p.child("labelSelector"))
    return errs
