"""Tests for kybernetes.api.conversion: HPA v1 <-> v2 and Event core/v1 <-> events.k8s.io/v1."""

from __future__ import annotations

import copy

import orjson
import pytest

from kybernetes.api.conversion import (
    BEHAVIOR_ANNOTATION,
    CONDITIONS_ANNOTATION,
    CURRENT_METRICS_ANNOTATION,
    METRICS_ANNOTATION,
    ConversionError,
    can_convert,
    convert,
)


def hpa_v1(**spec) -> dict:
    return {
        "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 1, "maxReplicas": 5, **spec},
    }


def cpu_metric(utilization: int) -> dict:
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                        "averageUtilization": utilization}}}


def hpa_v2_full() -> dict:
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default", "annotations": {"keep": "me"}},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2, "maxReplicas": 10,
            "metrics": [
                {"type": "Pods", "pods": {"metric": {"name": "qps"},
                                          "target": {"type": "AverageValue", "averageValue": "1k"}}},
                {"type": "External", "external": {
                    "metric": {"name": "queue", "selector": {"matchLabels": {"q": "a"}}},
                    "target": {"type": "Value", "value": "10"}}},
                {"type": "Object", "object": {
                    "describedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "main"},
                    "target": {"type": "Value", "value": "5"}, "metric": {"name": "rps"}}},
                {"type": "Resource", "resource": {"name": "memory",
                                                  "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                {"type": "ContainerResource", "containerResource": {
                    "name": "cpu", "container": "app", "target": {"type": "Utilization", "averageUtilization": 60}}},
                cpu_metric(50),
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                                       "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}},
        },
        "status": {
            "observedGeneration": 3, "currentReplicas": 2, "desiredReplicas": 3,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu",
                                                  "current": {"averageValue": "100m", "averageUtilization": 40}}},
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "900"}}},
            ],
            "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z",
                            "reason": "ReadyForNewScale", "message": "ok"}],
        },
    }


def test_identity_returns_the_object() -> None:
    obj = hpa_v1(targetCPUUtilizationPercentage=50)
    assert convert(obj, "autoscaling/v1") is obj


def test_hpa_v1_cpu_target_to_v2() -> None:
    out = convert(hpa_v1(targetCPUUtilizationPercentage=50), "autoscaling/v2")
    assert out["apiVersion"] == "autoscaling/v2"
    assert out["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                           "minReplicas": 1, "maxReplicas": 5, "metrics": [cpu_metric(50)]}
    assert "status" not in out and "annotations" not in out["metadata"]


def test_hpa_v1_without_target_gets_the_implicit_80_percent() -> None:
    assert convert(hpa_v1(), "autoscaling/v2")["spec"]["metrics"] == [cpu_metric(80)]


def test_hpa_v2_to_v1_keeps_everything_in_annotations() -> None:
    src = hpa_v2_full()
    original = copy.deepcopy(src)
    v1 = convert(src, "autoscaling/v1")
    assert src == original  # not mutated
    assert v1["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                          "minReplicas": 2, "maxReplicas": 10, "targetCPUUtilizationPercentage": 50}
    assert v1["status"] == {"observedGeneration": 3, "currentReplicas": 2, "desiredReplicas": 3,
                            "currentCPUUtilizationPercentage": 40}
    annotations = v1["metadata"]["annotations"]
    assert annotations["keep"] == "me"
    metrics = orjson.loads(annotations[METRICS_ANNOTATION])
    assert metrics[0] == {"type": "Pods", "pods": {"metricName": "qps", "targetAverageValue": "1k"}}
    assert metrics[1] == {"type": "External", "external": {"metricName": "queue",
                                                           "metricSelector": {"matchLabels": {"q": "a"}},
                                                           "targetValue": "10"}}
    assert metrics[2]["object"] == {"target": {"kind": "Ingress", "name": "main",
                                               "apiVersion": "networking.k8s.io/v1"},
                                    "metricName": "rps", "targetValue": "5"}
    assert metrics[3]["resource"] == {"name": "memory", "targetAverageValue": "100Mi"}
    assert metrics[4]["containerResource"] == {"name": "cpu", "targetAverageUtilization": 60, "container": "app"}
    assert len(metrics) == 5  # the CPU utilization target lives in the v1 field
    # Go's encoding: compact, struct field order.
    assert annotations[METRICS_ANNOTATION].startswith('[{"type":"Pods","pods":{"metricName":"qps"')
    assert annotations[BEHAVIOR_ANNOTATION] == (
        '{"ScaleUp":null,"ScaleDown":{"StabilizationWindowSeconds":300,"SelectPolicy":"Max",'
        '"Policies":[{"Type":"Percent","Value":100,"PeriodSeconds":15}]}}')
    current = orjson.loads(annotations[CURRENT_METRICS_ANNOTATION])
    assert current[0] == {"type": "Resource", "resource": {"name": "cpu", "currentAverageUtilization": 40,
                                                           "currentAverageValue": "100m"}}
    assert current[1] == {"type": "Pods", "pods": {"metricName": "qps", "currentAverageValue": "900"}}
    assert orjson.loads(annotations[CONDITIONS_ANNOTATION]) == [
        {"type": "AbleToScale", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z",
         "reason": "ReadyForNewScale", "message": "ok"}]


def test_hpa_round_trip_v2_v1_v2() -> None:
    src = hpa_v2_full()
    back = convert(convert(src, "autoscaling/v1"), "autoscaling/v2")
    assert back["metadata"] == src["metadata"]  # round-trip annotations dropped again
    assert back["spec"]["behavior"] == src["spec"]["behavior"]
    assert back["status"] == src["status"]
    metrics = back["spec"]["metrics"]
    assert metrics[-1] == cpu_metric(50)  # upstream appends the v1 CPU target after the others
    assert metrics[:-1][0] == src["spec"]["metrics"][0]
    assert metrics[1] == src["spec"]["metrics"][1]
    assert metrics[3] == src["spec"]["metrics"][3]
    assert metrics[4] == src["spec"]["metrics"][4]
    # An Object metric always carries value (upstream keeps the zero Quantity too).
    assert metrics[2]["object"]["target"] == {"type": "Value", "value": "5"}
    assert back["spec"] == dict(src["spec"], metrics=metrics)


def test_hpa_round_trip_v1_v2_v1() -> None:
    src = hpa_v1(targetCPUUtilizationPercentage=70)
    src["status"] = {"currentReplicas": 1, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 65}
    v2 = convert(src, "autoscaling/v2")
    assert v2["status"]["currentMetrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 65}}}]
    back = convert(v2, "autoscaling/v1")
    assert back["spec"] == src["spec"]
    assert back["status"] == src["status"]
    # The v2 status metric has no averageValue; v1 keeps the zero Quantity in the annotation like upstream.
    assert orjson.loads(back["metadata"]["annotations"][CURRENT_METRICS_ANNOTATION]) == [
        {"type": "Resource", "resource": {"name": "cpu", "currentAverageUtilization": 65,
                                          "currentAverageValue": "0"}}]


def test_hpa_v1_behavior_annotation_is_read_case_insensitively() -> None:
    src = hpa_v1(targetCPUUtilizationPercentage=50)
    src["metadata"]["annotations"] = {
        BEHAVIOR_ANNOTATION: '{"scaleup":{"stabilizationWindowSeconds":0,"policies":[{"type":"Pods","value":4,'
                             '"periodSeconds":15}]},"ScaleDown":null}',
        METRICS_ANNOTATION: "not json",
    }
    v2 = convert(src, "autoscaling/v2")
    assert v2["spec"]["behavior"] == {"scaleUp": {"stabilizationWindowSeconds": 0, "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15}]}}
    assert v2["spec"]["metrics"] == [cpu_metric(50)]
    assert "annotations" not in v2["metadata"]


def test_hpa_lists() -> None:
    lst = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscalerList",
           "metadata": {"resourceVersion": "7"},
           "items": [{k: v for k, v in hpa_v2_full().items() if k not in ("apiVersion", "kind")}]}
    out = convert(lst, "autoscaling/v1")
    assert out["apiVersion"] == "autoscaling/v1" and out["kind"] == "HorizontalPodAutoscalerList"
    assert out["metadata"] == {"resourceVersion": "7"}
    assert "apiVersion" not in out["items"][0] and "kind" not in out["items"][0]
    assert out["items"][0]["spec"]["targetCPUUtilizationPercentage"] == 50


def core_event() -> dict:
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "web.17a", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web", "uid": "u1",
                           "apiVersion": "v1", "fieldPath": "spec.containers{c}"},
        "reason": "Pulled", "message": "Successfully pulled image",
        "source": {"component": "kubelet", "host": "node1"},
        "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:01:00Z", "count": 3,
        "type": "Normal", "eventTime": None,
        "series": {"count": 2, "lastObservedTime": "2024-01-01T00:01:00.000000Z"},
        "action": "Pulling", "related": {"kind": "Node", "name": "node1"},
        "reportingComponent": "kubelet", "reportingInstance": "node1",
    }


def test_event_core_to_events() -> None:
    out = convert(core_event(), "events.k8s.io/v1")
    assert out == {
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "web.17a", "namespace": "default"},
        "eventTime": None,
        "series": {"count": 2, "lastObservedTime": "2024-01-01T00:01:00.000000Z"},
        "reportingController": "kubelet", "reportingInstance": "node1",
        "action": "Pulling", "reason": "Pulled",
        "regarding": {"kind": "Pod", "namespace": "default", "name": "web", "uid": "u1", "apiVersion": "v1",
                      "fieldPath": "spec.containers{c}"},
        "related": {"kind": "Node", "name": "node1"},
        "note": "Successfully pulled image", "type": "Normal",
        "deprecatedSource": {"component": "kubelet", "host": "node1"},
        "deprecatedFirstTimestamp": "2024-01-01T00:00:00Z", "deprecatedLastTimestamp": "2024-01-01T00:01:00Z",
        "deprecatedCount": 3,
    }
    assert list(out)[3:6] == ["eventTime", "series", "reportingController"]  # Go's field order


def test_event_round_trips() -> None:
    src = core_event()
    back = convert(convert(src, "events.k8s.io/v1"), "v1")
    assert back == src
    assert list(back) == list(src)
    new = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e", "namespace": "n"},
           "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "kyb/scheduler",
           "reportingInstance": "kyb-scheduler-1", "action": "Binding", "reason": "Scheduled",
           "regarding": {"kind": "Pod", "name": "p", "namespace": "n"}, "note": "assigned", "type": "Normal"}
    core = convert(new, "v1")
    assert core["message"] == "assigned"
    assert core["reportingComponent"] == "kyb/scheduler"
    assert core["involvedObject"] == {"kind": "Pod", "name": "p", "namespace": "n"}
    assert "source" not in core and "count" not in core
    assert convert(core, "events.k8s.io/v1") == new


def test_unsupported_conversions() -> None:
    with pytest.raises(ConversionError):
        convert({"apiVersion": "apps/v1", "kind": "Deployment"}, "apps/v1beta1")
    with pytest.raises(ConversionError):
        convert({"apiVersion": "v1", "kind": "Event"}, "autoscaling/v2")
    assert can_convert("HorizontalPodAutoscaler", "autoscaling/v1", "autoscaling/v2")
    assert can_convert("EventList", "v1", "events.k8s.io/v1")
    assert can_convert("Pod", "v1", "v1")
    assert not can_convert("Deployment", "apps/v1", "apps/v1beta2")
