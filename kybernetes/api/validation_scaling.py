"""Validation of scaling objects: HorizontalPodAutoscalers (``autoscaling``) and PodDisruptionBudgets (``policy``).

An HPA names its target (kind and name are path segments), keeps ``1 <= minReplicas <= maxReplicas`` (scale to
zero is an alpha feature, off in 1.32) and lists metrics whose source type matches the one populated member and
whose targets are positive. ``autoscaling/v1`` objects are mapped to the v2 shape first, as upstream validates the
internal (v2-like) type: a v1 ``targetCPUUtilizationPercentage`` becomes a CPU utilization resource metric.

A PodDisruptionBudget sets at most one of ``minAvailable``/``maxUnavailable`` (each a non-negative integer or a
percentage up to 100%). Upstream's PDB validation does not look at metadata; the API server's generic metadata
check (run by the caller, see ``validation``) covers it.
"""

from __future__ import annotations

from typing import Any

from kybernetes.api.validation_apps import not_more_than_100_percent, positive_int_or_percent
from kybernetes.api.validation_common import (
    GoLiteral,
    as_dict,
    as_int,
    as_list,
    as_str,
    canonical_quantity,
    dns1123_label,
    is_int,
    name_is_dns_subdomain,
    path_segment_name,
    quantity,
)
from kybernetes.api.validation_meta import object_meta, object_meta_update, validate_label_selector
from kybernetes.api.validation_container import container_resource_name
from kybernetes.machinery.errors import (
    FieldError,
    FieldPath,
    field_forbidden,
    field_invalid,
    field_not_supported,
    field_required,
)

_SPEC = FieldPath("spec")
_SOURCE_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
_MAX_PERIOD = 1800
_MAX_WINDOW = 3600


def hpa_v1_to_v2(hpa: dict) -> dict:
    """An autoscaling/v1 HPA in the v2 shape (the CPU utilization target becomes a resource metric)."""
    out = dict(hpa)
    spec = dict(as_dict(hpa.get("spec")))
    cpu = spec.pop("targetCPUUtilizationPercentage", None)
    if cpu is not None:
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}]
    out["spec"] = spec
    return out


def _cross_ref(ref: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    for key in ("kind", "name"):
        v = as_str(ref.get(key))
        if not v:
            errs.append(field_required(path.child(key), ""))
        else:
            errs += [field_invalid(path.child(key), v, m) for m in path_segment_name(v)]
    return errs


def _quantity_shown(v: Any) -> GoLiteral:
    return GoLiteral(canonical_quantity(v))


def _metric_target(mt: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    t = as_str(mt.get("type"))
    if not t:
        errs.append(field_required(path.child("type"), "must specify a metric target type"))
    if t not in ("Utilization", "Value", "AverageValue"):
        errs.append(field_invalid(path.child("type"), t, "must be either Utilization, Value, or AverageValue"))
    for key in ("value", "averageValue"):
        v = mt.get(key)
        if v is not None:
            q = quantity(v)
            if q is not None and q <= 0:
                errs.append(field_invalid(path.child(key), _quantity_shown(v), "must be positive"))
    au = mt.get("averageUtilization")
    if is_int(au) and au < 1:
        errs.append(field_invalid(path.child("averageUtilization"), au, "must be greater than 0"))
    return errs


def _metric_identifier(mid: dict, path: FieldPath) -> list[FieldError]:
    name = as_str(mid.get("name"))
    if not name:
        return [field_required(path.child("name"), "must specify a metric name")]
    return [field_invalid(path.child("name"), name, m) for m in path_segment_name(name)]


def _source(kind: str, src: dict, path: FieldPath) -> list[FieldError]:
    target = as_dict(src.get("target"))
    tp = path.child("target")
    errs: list[FieldError] = []
    if kind == "object":
        errs += _cross_ref(as_dict(src.get("describedObject")), path.child("describedObject"))
        errs += _metric_identifier(as_dict(src.get("metric")), path.child("metric"))
        errs += _metric_target(target, tp)
        if target.get("value") is None and target.get("averageValue") is None:
            errs.append(field_required(tp.child("averageValue"), "must set either a target value or averageValue"))
    elif kind == "external":
        errs += _metric_identifier(as_dict(src.get("metric")), path.child("metric"))
        errs += _metric_target(target, tp)
        if target.get("value") is None and target.get("averageValue") is None:
            errs.append(field_required(tp.child("averageValue"), "must set either a target value for metric or a per-pod target"))
        if target.get("value") is not None and target.get("averageValue") is not None:
            errs.append(field_forbidden(tp.child("value"), "may not set both a target value for metric and a per-pod target"))
    elif kind == "pods":
        errs += _metric_identifier(as_dict(src.get("metric")), path.child("metric"))
        errs += _metric_target(target, tp)
        if target.get("averageValue") is None:
            errs.append(field_required(tp.child("averageValue"), "must specify a positive target averageValue"))
    else:
        name = as_str(src.get("name"))
        if not name:
            errs.append(field_required(path.child("name"), "must specify a resource name"))
        elif kind == "containerResource":
            errs += container_resource_name(name, path.child("name"))
        if kind == "containerResource":
            c = as_str(src.get("container"))
            if not c:
                errs.append(field_required(path.child("container"), "must specify a container"))
            else:
                errs += [field_invalid(path.child("container"), c, m) for m in dns1123_label(c)]
        errs += _metric_target(target, tp)
        if target.get("averageUtilization") is None and target.get("averageValue") is None:
            errs.append(field_required(tp.child("averageUtilization"), "must set either a target raw value or a target utilization"))
        if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
            errs.append(field_forbidden(tp.child("averageValue"), "may not set both a target raw value and a target utilization"))
    return errs


_SOURCE_FIELDS = (("object", "Object"), ("external", "External"), ("pods", "Pods"), ("resource", "Resource"), ("containerResource", "ContainerResource"))


def _metric_spec(spec: dict, path: FieldPath) -> list[FieldError]:
    errs: list[FieldError] = []
    t = as_str(spec.get("type"))
    if not t:
        errs.append(field_required(path.child("type"), "must specify a metric source type"))
    if t not in _SOURCE_TYPES:
        errs.append(field_not_supported(path.child("type"), t, _SOURCE_TYPES))
    present: list[str] = []
    for key, _ in _SOURCE_FIELDS:
        if isinstance(spec.get(key), dict):
            present.append(key)
            if len(present) == 1:
                errs += _source(key, spec[key], path.child(key))
    expected = ""
    for key, typ in _SOURCE_FIELDS:
        if t == typ:
            expected = key
            if key not in present:
                errs.append(field_required(path.child(key), "must populate information for the given metric source"))
    if expected == "" and t in _SOURCE_TYPES:
        pass
    elif expected == "":
        errs.append(field_not_supported(path.child("type"), t, _SOURCE_TYPES))
    if len(present) != 1:
        for key in sorted(k for k in present if k != expected):
            errs.append(field_forbidden(path.child(key), "must populate the given metric source only"))
    return errs


def _scaling_rules(rules: Any, path: FieldPath) -> list[FieldError]:
    if not isinstance(rules, dict):
        return []
    errs: list[FieldError] = []
    sws = rules.get("stabilizationWindowSeconds")
    if is_int(sws):
        if sws < 0:
            errs.append(field_invalid(path.child("stabilizationWindowSeconds"), sws, "must be greater than or equal to zero"))
        if sws > _MAX_WINDOW:
            errs.append(field_invalid(path.child("stabilizationWindowSeconds"), sws, f"must be less than or equal to {_MAX_WINDOW}"))
    sp = rules.get("selectPolicy")
    if isinstance(sp, str) and sp not in ("Disabled", "Max", "Min"):
        errs.append(field_not_supported(path.child("selectPolicy"), sp, ("Disabled", "Max", "Min")))
    pp = path.child("policies")
    policies = as_list(rules.get("policies"))
    if not policies:
        errs.append(field_required(pp, "must specify at least one Policy"))
    for i, pol in enumerate(policies):
        pol = as_dict(pol)
        ip = pp.index(i)
        t = as_str(pol.get("type"))
        if t not in ("Pods", "Percent"):
            errs.append(field_not_supported(ip.child("type"), t, ("Percent", "Pods")))
        v = as_int(pol.get("value"))
        if v <= 0:
            errs.append(field_invalid(ip.child("value"), v, "must be greater than zero"))
        ps = as_int(pol.get("periodSeconds"))
        if ps <= 0:
            errs.append(field_invalid(ip.child("periodSeconds"), ps, "must be greater than zero"))
        if ps > _MAX_PERIOD:
            errs.append(field_invalid(ip.child("periodSeconds"), ps, f"must be less than or equal to {_MAX_PERIOD}"))
    return errs


def _hpa_spec(spec: dict, path: FieldPath, min_bound: int) -> list[FieldError]:
    errs: list[FieldError] = []
    mn = spec.get("minReplicas")
    mx = as_int(spec.get("maxReplicas"))
    if is_int(mn) and mn < min_bound:
        errs.append(field_invalid(path.child("minReplicas"), mn, f"must be greater than or equal to {min_bound}"))
    if mx < 1:
        errs.append(field_invalid(path.child("maxReplicas"), mx, "must be greater than 0"))
    if is_int(mn) and mx < mn:
        errs.append(field_invalid(path.child("maxReplicas"), mx, "must be greater than or equal to `minReplicas`"))
    errs += _cross_ref(as_dict(spec.get("scaleTargetRef")), path.child("scaleTargetRef"))
    metrics = as_list(spec.get("metrics"))
    has_obj_or_ext = False
    for i, m in enumerate(metrics):
        m = as_dict(m)
        errs += _metric_spec(m, path.child("metrics").index(i))
        has_obj_or_ext = has_obj_or_ext or m.get("type") in ("Object", "External")
    if is_int(mn) and mn == 0 and not has_obj_or_ext:
        errs.append(field_forbidden(path.child("metrics"), "must specify at least one Object or External metric to support scaling to zero replicas"))
    beh = spec.get("behavior")
    if isinstance(beh, dict):
        errs += _scaling_rules(beh.get("scaleUp"), path.child("behavior", "scaleUp"))
        errs += _scaling_rules(beh.get("scaleDown"), path.child("behavior", "scaleDown"))
    return errs


def validate_hpa(hpa: dict, version: str = "v2") -> list[FieldError]:
    if version == "v1":
        hpa = hpa_v1_to_v2(hpa)
    return object_meta(hpa.get("metadata"), True, name_is_dns_subdomain) + _hpa_spec(as_dict(hpa.get("spec")), _SPEC, 1)


def validate_hpa_update(new: dict, old: dict, version: str = "v2") -> list[FieldError]:
    if version == "v1":
        new, old = hpa_v1_to_v2(new), hpa_v1_to_v2(old)
    bound = 0 if as_dict(old.get("spec")).get("minReplicas") == 0 else 1
    return object_meta_update(new.get("metadata"), old.get("metadata")) + _hpa_spec(as_dict(new.get("spec")), _SPEC, bound)


def _go_pdb_spec(spec: dict) -> GoLiteral:
    def ptr(key: str, typ: str) -> str:
        return f"(*{typ})(nil)" if spec.get(key) is None else f"(*{typ})(0xc000000000)"

    return GoLiteral(
        "policy.PodDisruptionBudgetSpec{MinAvailable:%s, Selector:%s, MaxUnavailable:%s, UnhealthyPodEvictionPolicy:%s}"
        % (ptr("minAvailable", "intstr.IntOrString"), ptr("selector", "v1.LabelSelector"), ptr("maxUnavailable", "intstr.IntOrString"),
           ptr("unhealthyPodEvictionPolicy", "policy.UnhealthyPodEvictionPolicyType"))
    )


def validate_pdb(pdb: dict, allow_invalid_label_value: bool = False) -> list[FieldError]:
    """ValidatePodDisruptionBudget (spec only, as upstream)."""
    spec = as_dict(pdb.get("spec"))
    errs: list[FieldError] = []
    mn, mu = spec.get("minAvailable"), spec.get("maxUnavailable")
    if mn is not None and mu is not None:
        errs.append(field_invalid(_SPEC, _go_pdb_spec(spec), "minAvailable and maxUnavailable cannot be both set"))
    for key, v in (("minAvailable", mn), ("maxUnavailable", mu)):
        if v is not None:
            errs += positive_int_or_percent(v, _SPEC.child(key))
            errs += not_more_than_100_percent(v, _SPEC.child(key))
    errs += validate_label_selector(spec.get("selector"), _SPEC.child("selector"), allow_invalid_label_value=allow_invalid_label_value)
    uep = spec.get("unhealthyPodEvictionPolicy")
    if isinstance(uep, str) and uep not in ("AlwaysAllow", "IfHealthyBudget"):
        errs.append(field_not_supported(_SPEC.child("unhealthyPodEvictionPolicy"), uep, ("AlwaysAllow", "IfHealthyBudget")))
    return errs


def validate_pdb_update(new: dict, old: dict) -> list[FieldError]:
    allow = bool(validate_label_selector(as_dict(old.get("spec")).get("selector"), FieldPath("x")))
    return validate_pdb(new, allow)
