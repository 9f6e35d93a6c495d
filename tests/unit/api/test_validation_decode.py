"""Tests for ``decode_error``: upstream's 400 message when a field of a request body has the wrong JSON type."""

from __future__ import annotations

import time

import pytest

from kybernetes.api.validation import decode_error

DEPLOY = 'Deployment in version "v1" cannot be handled as a Deployment: '


@pytest.mark.parametrize(
    ("obj", "group", "kind", "message"),
    [
        (
            {"spec": {"replicas": "3"}},
            "apps",
            "Deployment",
            DEPLOY + "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            {"spec": {"replicas": 3.5}},
            "apps",
            "Deployment",
            DEPLOY + "json: cannot unmarshal number 3.5 into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            # Go's decoder refuses a JSON number with a fraction part for an integer field, even 3.0
            {"spec": {"replicas": 3.0}},
            "apps",
            "Deployment",
            DEPLOY + "json: cannot unmarshal number 3.0 into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            {"spec": {"replicas": 2**40}},
            "apps",
            "Deployment",
            DEPLOY + "json: cannot unmarshal number 1099511627776 into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            {"spec": {"template": {"spec": {"containers": {"name": "x"}}}}},
            "apps",
            "Deployment",
            DEPLOY + "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container",
        ),
        (
            {"spec": {"template": {"spec": {"containers": [{"name": 1}]}}}},
            "apps",
            "Deployment",
            DEPLOY + "json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.name of type string",
        ),
        (
            {"spec": {"strategy": {"rollingUpdate": {"maxSurge": True}}}},
            "apps",
            "Deployment",
            DEPLOY + "json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32",
        ),
        (
            {"spec": {"template": {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "abc"}}}]}}}},
            "apps",
            "Deployment",
            DEPLOY + "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
        (
            {"data": {"a": 1}},
            "",
            "ConfigMap",
            'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
        ),
        (
            {"metadata": {"labels": {"a": 1}}},
            "",
            "ConfigMap",
            'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field '
            "ObjectMeta.metadata.labels of type string",
        ),
        (
            {"metadata": {"creationTimestamp": "bad"}},
            "",
            "ConfigMap",
            'ConfigMap in version "v1" cannot be handled as a ConfigMap: parsing time "bad" as "2006-01-02T15:04:05Z07:00": cannot parse "bad" as "2006"',
        ),
        (
            {"data": {"a": "!!!"}},
            "",
            "Secret",
            'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0',
        ),
        (
            {"spec": {"ports": [{"port": "80"}]}},
            "",
            "Service",
            'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field '
            "ServicePort.spec.ports.port of type int32",
        ),
        (
            {"spec": "x"},
            "",
            "Pod",
            'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec',
        ),
        (
            {"spec": {"completions": "1"}},
            "batch",
            "Job",
            'Job in version "v1" cannot be handled as a Job: json: cannot unmarshal string into Go struct field JobSpec.spec.completions of type int32',
        ),
    ],
)
def test_wrongly_typed_fields(obj: dict, group: str, kind: str, message: str) -> None:
    assert decode_error(obj, group, "v1", kind) == message


@pytest.mark.parametrize(
    ("obj", "group", "kind"),
    [
        ({"spec": {"strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}}}, "apps", "Deployment"),
        ({"spec": {"template": {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}}]}}}}, "apps", "Deployment"),
        ({"spec": {"ports": [{"port": 80, "targetPort": "http"}]}}, "", "Service"),
        ({"spec": {"replicas": None}}, "apps", "Deployment"),
        ({"foo": "unknown fields are not decode errors", "metadata": {}}, "", "Pod"),
        ({"spec": {"anything": 1}}, "example.com", "Widget"),
        ({"data": {"a": "YQ=="}, "stringData": {"b": "plain"}}, "", "Secret"),
    ],
)
def test_well_typed_objects_decode(obj: dict, group: str, kind: str) -> None:
    assert decode_error(obj, group, "v1", kind) is None


def test_decode_error_is_fast() -> None:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}},
        },
    }
    decode_error(obj, "apps", "v1", "Deployment")  # compiles the schema tree once
    start = time.perf_counter()
    for _ in range(200):
        assert decode_error(obj, "apps", "v1", "Deployment") is None
    assert (time.perf_counter() - start) / 200 < 0.002
