"""Conversion between API versions that share one stored representation.

Two pairs of served versions are stored once:

- ``autoscaling/v1`` and ``autoscaling/v2`` HorizontalPodAutoscaler, stored as v2.  v1 knows only a CPU
  utilization target; everything else v2 can say travels through v1 in annotations, exactly as upstream does it,
  so that a v1 client's read-modify-write keeps it: ``autoscaling.alpha.kubernetes.io/metrics`` (the metrics
  besides the CPU utilization target, in v1's annotation-only ``MetricSpec`` shape),
  ``autoscaling.alpha.kubernetes.io/current-metrics`` (status metrics), ``autoscaling.alpha.kubernetes.io/
  conditions`` (status conditions) and ``autoscaling.alpha.kubernetes.io/behavior`` (scaling behavior, serialized
  with Go's field names, a quirk upstream keeps for compatibility).  Converting to v2 reads those annotations
  back and drops them; a v1 object without any metric gets upstream's implicit 80% CPU target.
- core ``v1`` and ``events.k8s.io/v1`` Event, stored as core v1: the same fields under other names
  (``message``/``note``, ``involvedObject``/``regarding``, ``reportingComponent``/``reportingController``,
  ``source``/``deprecatedSource``, ``firstTimestamp``/``deprecatedFirstTimestamp``, ...).

Lists of these kinds convert item by item.  `convert` never mutates its argument.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import orjson

__all__ = ["convert", "ConversionError", "can_convert",
           "METRICS_ANNOTATION", "CURRENT_METRICS_ANNOTATION", "CONDITIONS_ANNOTATION", "BEHAVIOR_ANNOTATION"]

METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
ROUND_TRIP_ANNOTATIONS = (METRICS_ANNOTATION, BEHAVIOR_ANNOTATION, CURRENT_METRICS_ANNOTATION,
                          CONDITIONS_ANNOTATION)
DEFAULT_CPU_UTILIZATION = 80

HPA = "HorizontalPodAutoscaler"
AUTOSCALING_V1 = "autoscaling/v1"
AUTOSCALING_V2 = "autoscaling/v2"
CORE_V1 = "v1"
EVENTS_V1 = "events.k8s.io/v1"


class ConversionError(ValueError):
    """No conversion exists between the requested versions of this kind."""


def _put(out: dict, src: dict, src_key: str, dst_key: str | None = None) -> None:
    if src_key in src:
        out[dst_key or src_key] = copy.deepcopy(src[src_key])


def _dumps(value: Any) -> str:
    # Go's json.Marshal output: compact, keys in struct order (our dicts are built in that order).
    return orjson.dumps(value).decode()


def _qty(value: Any) -> Any:
    """A Go non-pointer Quantity: absent marshals as "0"."""
    return "0" if value is None else copy.deepcopy(value)


# --------------------------------------------------------------------------------------------------------------
# HorizontalPodAutoscaler: v2 (and the storage form) -> v1


def _ref_v1(described: dict | None) -> dict:
    described = described or {}
    out = {"kind": described.get("kind", ""), "name": described.get("name", "")}
    if described.get("apiVersion"):
        out["apiVersion"] = described["apiVersion"]
    return out


def _metric_spec_to_v1(metric: dict) -> dict:
    """A v2 MetricSpec in autoscaling/v1's annotation-only MetricSpec shape."""
    out: dict = {"type": metric.get("type", "")}
    if metric.get("object") is not None:
        src = metric["object"]
        target, ident = src.get("target") or {}, src.get("metric") or {}
        obj = {"target": _ref_v1(src.get("describedObject")), "metricName": ident.get("name", ""),
               "targetValue": _qty(target.get("value"))}
        _put(obj, ident, "selector")
        _put(obj, target, "averageValue")
        out["object"] = obj
    if metric.get("pods") is not None:
        src = metric["pods"]
        target, ident = src.get("target") or {}, src.get("metric") or {}
        pods = {"metricName": ident.get("name", ""), "targetAverageValue": _qty(target.get("averageValue"))}
        _put(pods, ident, "selector")
        out["pods"] = pods
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            src = metric[key]
            target = src.get("target") or {}
            res: dict = {"name": src.get("name", "")}
            _put(res, target, "averageUtilization", "targetAverageUtilization")
            _put(res, target, "averageValue", "targetAverageValue")
            if key == "containerResource":
                res["container"] = src.get("container", "")
            out[key] = res
    if metric.get("external") is not None:
        src = metric["external"]
        target, ident = src.get("target") or {}, src.get("metric") or {}
        ext: dict = {"metricName": ident.get("name", "")}
        _put(ext, ident, "selector", "metricSelector")
        _put(ext, target, "value", "targetValue")
        _put(ext, target, "averageValue", "targetAverageValue")
        out["external"] = ext
    return out


def _metric_status_to_v1(metric: dict) -> dict:
    out: dict = {"type": metric.get("type", "")}
    if metric.get("object") is not None:
        src = metric["object"]
        current, ident = src.get("current") or {}, src.get("metric") or {}
        obj = {"target": _ref_v1(src.get("describedObject")), "metricName": ident.get("name", ""),
               "currentValue": _qty(current.get("value"))}
        _put(obj, ident, "selector")
        _put(obj, current, "averageValue")
        out["object"] = obj
    if metric.get("pods") is not None:
        src = metric["pods"]
        current, ident = src.get("current") or {}, src.get("metric") or {}
        pods = {"metricName": ident.get("name", ""), "currentAverageValue": _qty(current.get("averageValue"))}
        _put(pods, ident, "selector")
        out["pods"] = pods
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            src = metric[key]
            current = src.get("current") or {}
            res: dict = {"name": src.get("name", "")}
            _put(res, current, "averageUtilization", "currentAverageUtilization")
            res["currentAverageValue"] = _qty(current.get("averageValue"))
            if key == "containerResource":
                res["container"] = src.get("container", "")
            out[key] = res
    if metric.get("external") is not None:
        src = metric["external"]
        current, ident = src.get("current") or {}, src.get("metric") or {}
        ext: dict = {"metricName": ident.get("name", "")}
        _put(ext, ident, "selector", "metricSelector")
        ext["currentValue"] = _qty(current.get("value"))
        _put(ext, current, "averageValue", "currentAverageValue")
        out["external"] = ext
    return out


def _condition_to_v1(cond: dict) -> dict:
    out = {"type": cond.get("type", ""), "status": cond.get("status", ""),
           "lastTransitionTime": cond.get("lastTransitionTime")}
    for key in ("reason", "message"):
        if cond.get(key):
            out[key] = cond[key]
    return out


_GO_RULES = (("stabilizationWindowSeconds", "StabilizationWindowSeconds"), ("selectPolicy", "SelectPolicy"))


def _behavior_to_go(behavior: dict) -> dict:
    """The behavior as upstream stores it in the v1 annotation: Go field names, nil pointers as null."""

    def rules(r: dict | None) -> dict | None:
        if r is None:
            return None
        out: dict = {go: r.get(key) for key, go in _GO_RULES}
        policies = r.get("policies")
        out["Policies"] = None if policies is None else [
            {"Type": p.get("type", ""), "Value": p.get("value", 0), "PeriodSeconds": p.get("periodSeconds", 0)}
            for p in policies
        ]
        return out

    return {"ScaleUp": rules(behavior.get("scaleUp")), "ScaleDown": rules(behavior.get("scaleDown"))}


def _is_cpu_resource(metric: dict, part: str) -> bool:
    res = metric.get("resource")
    return metric.get("type") == "Resource" and isinstance(res, dict) and res.get("name") == "cpu" and part in res


def _hpa_v2_to_v1(obj: dict) -> dict:
    metadata = copy.deepcopy(obj.get("metadata") or {})
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in ROUND_TRIP_ANNOTATIONS}
    spec = obj.get("spec") or {}
    status = obj.get("status")
    metrics = spec.get("metrics") or []

    out_spec: dict = {"scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef") or {})}
    _put(out_spec, spec, "minReplicas")
    out_spec["maxReplicas"] = spec.get("maxReplicas", 0)
    for metric in metrics:
        if _is_cpu_resource(metric, "target"):
            utilization = (metric["resource"].get("target") or {}).get("averageUtilization")
            if utilization is not None:
                out_spec["targetCPUUtilizationPercentage"] = utilization
            break

    other = [m for m in metrics
             if not (_is_cpu_resource(m, "target")
                     and (m["resource"].get("target") or {}).get("averageUtilization") is not None)]
    if other:
        annotations[METRICS_ANNOTATION] = _dumps([_metric_spec_to_v1(m) for m in other])
    if spec.get("behavior") is not None:
        annotations[BEHAVIOR_ANNOTATION] = _dumps(_behavior_to_go(spec["behavior"]))

    out: dict = {"apiVersion": AUTOSCALING_V1, "kind": HPA, "metadata": metadata, "spec": out_spec}
    if status is not None:
        out_status: dict = {}
        _put(out_status, status, "observedGeneration")
        _put(out_status, status, "lastScaleTime")
        out_status["currentReplicas"] = status.get("currentReplicas", 0)
        out_status["desiredReplicas"] = status.get("desiredReplicas", 0)
        current = status.get("currentMetrics") or []
        for metric in current:
            if _is_cpu_resource(metric, "current"):
                utilization = (metric["resource"].get("current") or {}).get("averageUtilization")
                if utilization is not None:
                    out_status["currentCPUUtilizationPercentage"] = utilization
        if current:
            annotations[CURRENT_METRICS_ANNOTATION] = _dumps([_metric_status_to_v1(m) for m in current])
        conditions = status.get("conditions") or []
        if conditions:
            annotations[CONDITIONS_ANNOTATION] = _dumps([_condition_to_v1(c) for c in conditions])
        out["status"] = out_status

    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    return out


# --------------------------------------------------------------------------------------------------------------
# HorizontalPodAutoscaler: v1 -> v2


def _ref_v2(target: dict | None) -> dict:
    target = target or {}
    out = {"kind": target.get("kind", ""), "name": target.get("name", "")}
    if target.get("apiVersion"):
        out["apiVersion"] = target["apiVersion"]
    return out


def _identifier(name: Any, selector_src: dict, selector_key: str) -> dict:
    out = {"name": name or ""}
    _put(out, selector_src, selector_key, "selector")
    return out


def _metric_spec_from_v1(metric: dict) -> dict:
    out: dict = {"type": metric.get("type", "")}
    if metric.get("object") is not None:
        src = metric["object"]
        target: dict = {"type": "Value" if src.get("averageValue") is None else "AverageValue",
                        "value": _qty(src.get("targetValue"))}
        _put(target, src, "averageValue")
        out["object"] = {"describedObject": _ref_v2(src.get("target")), "target": target,
                         "metric": _identifier(src.get("metricName"), src, "selector")}
    if metric.get("pods") is not None:
        src = metric["pods"]
        out["pods"] = {"metric": _identifier(src.get("metricName"), src, "selector"),
                       "target": {"type": "AverageValue", "averageValue": _qty(src.get("targetAverageValue"))}}
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            src = metric[key]
            target = {"type": "AverageValue" if src.get("targetAverageUtilization") is None else "Utilization"}
            _put(target, src, "targetAverageValue", "averageValue")
            _put(target, src, "targetAverageUtilization", "averageUtilization")
            res: dict = {"name": src.get("name", ""), "target": target}
            if key == "containerResource":
                res["container"] = src.get("container", "")
            out[key] = res
    if metric.get("external") is not None:
        src = metric["external"]
        target = {"type": "AverageValue" if src.get("targetValue") is None else "Value"}
        _put(target, src, "targetValue", "value")
        _put(target, src, "targetAverageValue", "averageValue")
        out["external"] = {"metric": _identifier(src.get("metricName"), src, "metricSelector"), "target": target}
    return out


def _metric_status_from_v1(metric: dict) -> dict:
    out: dict = {"type": metric.get("type", "")}
    if metric.get("object") is not None:
        src = metric["object"]
        current: dict = {"value": _qty(src.get("currentValue"))}
        _put(current, src, "averageValue")
        out["object"] = {"metric": _identifier(src.get("metricName"), src, "selector"), "current": current,
                         "describedObject": _ref_v2(src.get("target"))}
    if metric.get("pods") is not None:
        src = metric["pods"]
        out["pods"] = {"metric": _identifier(src.get("metricName"), src, "selector"),
                       "current": {"averageValue": _qty(src.get("currentAverageValue"))}}
    for key in ("resource", "containerResource"):
        if metric.get(key) is not None:
            src = metric[key]
            current = {"averageValue": _qty(src.get("currentAverageValue"))}
            _put(current, src, "currentAverageUtilization", "averageUtilization")
            res: dict = {"name": src.get("name", ""), "current": current}
            if key == "containerResource":
                res["container"] = src.get("container", "")
            out[key] = res
    if metric.get("external") is not None:
        src = metric["external"]
        current = {"value": _qty(src.get("currentValue"))}
        _put(current, src, "currentAverageValue", "averageValue")
        out["external"] = {"metric": _identifier(src.get("metricName"), src, "metricSelector"),
                           "current": current}
    return out


def _condition_from_v1(cond: dict) -> dict:
    out = {"type": cond.get("type", ""), "status": cond.get("status", "")}
    if cond.get("lastTransitionTime") is not None:
        out["lastTransitionTime"] = cond["lastTransitionTime"]
    for key in ("reason", "message"):
        if cond.get(key):
            out[key] = cond[key]
    return out


def _fold(d: Any) -> dict:
    """Go's json.Unmarshal matches field names case-insensitively."""
    return {k.lower(): v for k, v in d.items()} if isinstance(d, dict) else {}


def _behavior_from_go(raw: Any) -> dict | None:
    behavior = _fold(raw)

    def rules(r: Any) -> dict | None:
        if not isinstance(r, dict):
            return None
        r = _fold(r)
        out: dict = {}
        for key, go in _GO_RULES:
            if r.get(go.lower()) is not None:
                out[key] = r[go.lower()]
        policies = r.get("policies")
        if isinstance(policies, list):
            out["policies"] = []
            for p in policies:
                p = _fold(p)
                out["policies"].append({"type": p.get("type", ""), "value": p.get("value", 0),
                                        "periodSeconds": p.get("periodseconds", 0)})
        return out

    out = {}
    for key in ("scaleUp", "scaleDown"):
        r = rules(behavior.get(key.lower()))
        if r is not None:
            out[key] = r
    return out or None


def _annotation_json(annotations: dict, key: str) -> Any:
    raw = annotations.get(key)
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None  # upstream ignores annotations it cannot parse


def _cpu_target(utilization: Any) -> dict:
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                        "averageUtilization": utilization}}}


def _hpa_v1_to_v2(obj: dict) -> dict:
    metadata = copy.deepcopy(obj.get("metadata") or {})
    annotations = metadata.get("annotations") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status")

    out_spec: dict = {"scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef") or {})}
    _put(out_spec, spec, "minReplicas")
    out_spec["maxReplicas"] = spec.get("maxReplicas", 0)

    metrics: list[dict] = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics = [_cpu_target(spec["targetCPUUtilizationPercentage"])]
    other = _annotation_json(annotations, METRICS_ANNOTATION)
    if isinstance(other, list):
        metrics = [_metric_spec_from_v1(m) for m in other if isinstance(m, dict)] + metrics
    if not metrics:
        # autoscaling/v1's implicit default, made explicit.
        metrics = [_cpu_target(DEFAULT_CPU_UTILIZATION)]
    out_spec["metrics"] = metrics
    behavior = _behavior_from_go(_annotation_json(annotations, BEHAVIOR_ANNOTATION))
    if behavior is not None:
        out_spec["behavior"] = behavior

    out: dict = {"apiVersion": AUTOSCALING_V2, "kind": HPA, "metadata": metadata, "spec": out_spec}
    current_annotation = _annotation_json(annotations, CURRENT_METRICS_ANNOTATION)
    conditions_annotation = _annotation_json(annotations, CONDITIONS_ANNOTATION)
    if status is not None or current_annotation is not None or conditions_annotation is not None:
        status = status or {}
        out_status: dict = {}
        _put(out_status, status, "observedGeneration")
        _put(out_status, status, "lastScaleTime")
        if status.get("currentReplicas"):
            out_status["currentReplicas"] = status["currentReplicas"]
        out_status["desiredReplicas"] = status.get("desiredReplicas", 0)
        current: list[dict] = []
        if status.get("currentCPUUtilizationPercentage") is not None:
            current = [{"type": "Resource", "resource": {
                "name": "cpu", "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
        if isinstance(current_annotation, list):
            # The annotation has more information than the v1 field: it wins.
            current = [_metric_status_from_v1(m) for m in current_annotation if isinstance(m, dict)]
        if current:
            out_status["currentMetrics"] = current
        if isinstance(conditions_annotation, list):
            conditions = [_condition_from_v1(c) for c in conditions_annotation if isinstance(c, dict)]
            if conditions:
                out_status["conditions"] = conditions
        out["status"] = out_status

    remaining = {k: v for k, v in annotations.items() if k not in ROUND_TRIP_ANNOTATIONS}
    if remaining:
        metadata["annotations"] = remaining
    else:
        metadata.pop("annotations", None)
    return out


# --------------------------------------------------------------------------------------------------------------
# Event: core v1 <-> events.k8s.io/v1

# (core v1 field, events.k8s.io/v1 field), in the order Go writes events.k8s.io/v1 fields.
_EVENT_FIELDS = (
    ("eventTime", "eventTime"),
    ("series", "series"),
    ("reportingComponent", "reportingController"),
    ("reportingInstance", "reportingInstance"),
    ("action", "action"),
    ("reason", "reason"),
    ("involvedObject", "regarding"),
    ("related", "related"),
    ("message", "note"),
    ("type", "type"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
)
# The order Go writes core v1 Event fields.
_CORE_EVENT_ORDER = ("involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count",
                     "type", "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance")
_TO_EVENTS = dict(_EVENT_FIELDS)
_TO_CORE = {new: old for old, new in _EVENT_FIELDS}


def _event_core_to_events(obj: dict) -> dict:
    out: dict = {"apiVersion": EVENTS_V1, "kind": "Event", "metadata": copy.deepcopy(obj.get("metadata") or {})}
    for old, new in _EVENT_FIELDS:
        _put(out, obj, old, new)
    return out


def _event_events_to_core(obj: dict) -> dict:
    out: dict = {"apiVersion": CORE_V1, "kind": "Event", "metadata": copy.deepcopy(obj.get("metadata") or {})}
    for old in _CORE_EVENT_ORDER:
        _put(out, obj, _TO_EVENTS[old], old)
    return out


# --------------------------------------------------------------------------------------------------------------

_CONVERTERS: dict[tuple[str, str, str], Callable[[dict], dict]] = {
    (HPA, AUTOSCALING_V1, AUTOSCALING_V2): _hpa_v1_to_v2,
    (HPA, AUTOSCALING_V2, AUTOSCALING_V1): _hpa_v2_to_v1,
    ("Event", CORE_V1, EVENTS_V1): _event_core_to_events,
    ("Event", EVENTS_V1, CORE_V1): _event_events_to_core,
}


def _convert_item(converter: Callable[[dict], dict], item: dict, api_version: str, kind: str) -> dict:
    # Items of served lists carry no apiVersion/kind of their own; keep it that way.
    converted = converter(dict(item, apiVersion=api_version, kind=kind))
    if "apiVersion" not in item:
        del converted["apiVersion"]
    if "kind" not in item:
        del converted["kind"]
    return converted


def can_convert(kind: str, from_api_version: str, to_api_version: str) -> bool:
    """Whether `convert` handles this pair (identity included; ``<Kind>List`` follows its items' kind)."""
    if from_api_version == to_api_version:
        return True
    if kind.endswith("List") and (kind[:-4], from_api_version, to_api_version) in _CONVERTERS:
        return True
    return (kind, from_api_version, to_api_version) in _CONVERTERS


def convert(obj: dict, to_api_version: str) -> dict:
    """``obj`` (with ``apiVersion`` and ``kind``) in ``to_api_version``.  Returns ``obj`` itself when it is
    already in that version, otherwise a new object sharing nothing with ``obj``.  Raises `ConversionError` when
    the kind has no conversion between the two versions."""
    from_api_version = obj.get("apiVersion", "")
    kind = obj.get("kind", "")
    if from_api_version == to_api_version:
        return obj
    converter = _CONVERTERS.get((kind, from_api_version, to_api_version))
    if converter is not None:
        return converter(obj)
    if kind.endswith("List"):
        item_converter = _CONVERTERS.get((kind[:-4], from_api_version, to_api_version))
        if item_converter is not None:
            out = {"apiVersion": to_api_version, "kind": kind}
            for key, value in obj.items():
                if key in ("apiVersion", "kind"):
                    continue
                if key == "items":
                    out["items"] = [_convert_item(item_converter, item, from_api_version, kind[:-4])
                                    for item in value or []]
                else:
                    out[key] = copy.deepcopy(value)
            return out
    raise ConversionError(f"no conversion for {kind} from {from_api_version!r} to {to_api_version!r}")
