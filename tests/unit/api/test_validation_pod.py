"""Tests for Pod and pod spec validation (containers, ports, env, volumes, mounts, resources, probes, policies,
tolerations) and the Pod update rules of ``kybernetes.api.validation``."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation import validate, validate_update

LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
POD_UPDATE_MSG = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def pod(containers: list | None = None, **spec: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}] if containers is None else containers, **spec},
    }


def errors(obj: dict) -> list[tuple[str, str, str]]:
    obj = copy.deepcopy(obj)
    apply_defaults(obj, "", "v1", "Pod")
    return [(e.field, e.type, e.error_body()) for e in validate(obj, "", "v1", "Pod")]


def update_errors(new: dict, old: dict) -> list[tuple[str, str, str]]:
    new, old = copy.deepcopy(new), copy.deepcopy(old)
    apply_defaults(new, "", "v1", "Pod")
    apply_defaults(old, "", "v1", "Pod")
    return [(e.field, e.type, e.error_body()) for e in validate_update(new, old, "", "v1", "Pod")]


def test_minimal_pod_is_valid() -> None:
    assert errors(pod()) == []


def test_containers_required() -> None:
    assert errors(pod([])) == [("spec.containers", "FieldValueRequired", "Required value")]


def test_container_names_unique_across_init_and_regular_containers() -> None:
    obj = pod([{"name": "c", "image": "x"}, {"name": "c", "image": ""}], initContainers=[{"name": "c", "image": "y"}])
    assert errors(obj) == [
        ("spec.containers[1].image", "FieldValueRequired", "Required value"),
        ("spec.containers[1].name", "FieldValueDuplicate", 'Duplicate value: "c"'),
        ("spec.initContainers[0].name", "FieldValueDuplicate", 'Duplicate value: "c"'),
    ]


def test_container_name_required_and_format() -> None:
    assert errors(pod([{"name": "", "image": "x"}])) == [("spec.containers[0].name", "FieldValueRequired", "Required value")]
    assert errors(pod([{"name": "Web_1", "image": "x"}])) == [
        ("spec.containers[0].name", "FieldValueInvalid", f'Invalid value: "Web_1": {LABEL_MSG}')
    ]


def test_image_must_not_have_surrounding_whitespace() -> None:
    assert errors(pod([{"name": "c", "image": " nginx"}])) == [
        ("spec.containers[0].image", "FieldValueInvalid", 'Invalid value: " nginx": must not have leading or trailing whitespace')
    ]


def test_ports() -> None:
    ports = [{"containerPort": 0}, {"containerPort": 70000, "name": "http"}, {"containerPort": 80, "name": "http", "protocol": "ICMP"}]
    assert errors(pod([{"name": "c", "image": "x", "ports": ports}])) == [
        ("spec.containers[0].ports[0].containerPort", "FieldValueRequired", "Required value"),
        ("spec.containers[0].ports[1].containerPort", "FieldValueInvalid", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ("spec.containers[0].ports[2].name", "FieldValueDuplicate", 'Duplicate value: "http"'),
        ("spec.containers[0].ports[2].protocol", "FieldValueNotSupported", 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'),
    ]


def test_port_name_format() -> None:
    found = errors(pod([{"name": "c", "image": "x", "ports": [{"containerPort": 80, "name": "a-very-long-port-name"}]}]))
    assert found == [
        ("spec.containers[0].ports[0].name", "FieldValueInvalid", 'Invalid value: "a-very-long-port-name": must be no more than 15 characters')
    ]


def test_host_port_range() -> None:
    found = errors(pod([{"name": "c", "image": "x", "ports": [{"containerPort": 80, "hostPort": 70000}]}]))
    assert found == [("spec.containers[0].ports[0].hostPort", "FieldValueInvalid", "Invalid value: 70000: must be between 1 and 65535, inclusive")]


def test_env_names_and_sources() -> None:
    env = [{"name": ""}, {"name": "a=b"}, {"name": "ok", "value": "v", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    assert errors(pod([{"name": "c", "image": "x", "env": env}])) == [
        ("spec.containers[0].env[0].name", "FieldValueRequired", "Required value"),
        (
            "spec.containers[0].env[1].name",
            "FieldValueInvalid",
            "Invalid value: \"a=b\": a valid environment variable name must consist only of printable ASCII characters other than '='",
        ),
        ("spec.containers[0].env[2].valueFrom", "FieldValueInvalid", 'Invalid value: "": may not be specified when `value` is not empty'),
    ]


def test_env_value_from_needs_a_source() -> None:
    found = errors(pod([{"name": "c", "image": "x", "env": [{"name": "A", "valueFrom": {}}]}]))
    assert found == [
        (
            "spec.containers[0].env[0].valueFrom",
            "FieldValueInvalid",
            'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        )
    ]


def test_env_field_ref_paths() -> None:
    env = [{"name": "A", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.bogus"}}}]
    env.append({"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}})
    env.append({"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "status.podIPs"}}})
    assert errors(pod([{"name": "c", "image": "x", "env": env}])) == [
        (
            "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
            "FieldValueInvalid",
            'Invalid value: "spec.bogus": error converting fieldPath: field label not supported: spec.bogus',
        )
    ]


def test_relaxed_env_names_allow_dots_and_dashes() -> None:
    assert errors(pod([{"name": "c", "image": "x", "env": [{"name": "my.var-1", "value": "v"}, {"name": "1st", "value": ""}]}])) == []


def test_volumes() -> None:
    volumes = [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}, {"name": "x", "emptyDir": {}, "hostPath": {"path": "/a"}}]
    mounts = [{"name": "nope", "mountPath": "/a"}, {"name": "v", "mountPath": ""}]
    assert errors(pod([{"name": "c", "image": "x", "volumeMounts": mounts}], volumes=volumes)) == [
        ("spec.volumes[1].name", "FieldValueDuplicate", 'Duplicate value: "v"'),
        ("spec.volumes[2].hostPath", "FieldValueForbidden", "Forbidden: may not specify more than 1 volume type"),
        ("spec.containers[0].volumeMounts[0].name", "FieldValueNotFound", 'Not found: "nope"'),
        ("spec.containers[0].volumeMounts[1].mountPath", "FieldValueRequired", "Required value"),
    ]


def test_volume_without_source_defaults_to_empty_dir() -> None:
    assert errors(pod(volumes=[{"name": "scratch"}])) == []


def test_volume_name_and_source_details() -> None:
    volumes = [{"name": "Bad_", "configMap": {"name": ""}}, {"name": "s", "secret": {"secretName": "s", "defaultMode": 999}}]
    assert errors(pod(volumes=volumes)) == [
        ("spec.volumes[0].configMap.name", "FieldValueRequired", "Required value"),
        ("spec.volumes[0].name", "FieldValueInvalid", f'Invalid value: "Bad_": {LABEL_MSG}'),
        (
            "spec.volumes[1].secret.defaultMode",
            "FieldValueInvalid",
            "Invalid value: 999: must be a number between 0 and 0777 (octal), both inclusive",
        ),
    ]


def test_duplicate_mount_paths() -> None:
    mounts = [{"name": "v", "mountPath": "/data"}, {"name": "v", "mountPath": "/data"}]
    found = errors(pod([{"name": "c", "image": "x", "volumeMounts": mounts}], volumes=[{"name": "v", "emptyDir": {}}]))
    assert found == [("spec.containers[0].volumeMounts[1].mountPath", "FieldValueInvalid", 'Invalid value: "/data": must be unique')]


def test_requests_must_not_exceed_limits() -> None:
    resources = {"limits": {"cpu": "100m", "memory": "1Gi"}, "requests": {"cpu": "200m", "memory": "2Gi"}}
    assert errors(pod([{"name": "c", "image": "x", "resources": resources}])) == [
        ("spec.containers[0].resources.requests", "FieldValueInvalid", 'Invalid value: "200m": must be less than or equal to cpu limit of 100m'),
        ("spec.containers[0].resources.requests", "FieldValueInvalid", 'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi'),
    ]


def test_resource_names_and_values() -> None:
    # Upstream walks a Go map, so the order between resource names is not fixed; compare as sets.
    resources = {"requests": {"foo": "1", "cpu": "-1"}}
    assert sorted(errors(pod([{"name": "c", "image": "x", "resources": resources}]))) == sorted(
        [
            ("spec.containers[0].resources.requests[cpu]", "FieldValueInvalid", 'Invalid value: "-1": must be greater than or equal to 0'),
            ("spec.containers[0].resources.requests[foo]", "FieldValueInvalid", 'Invalid value: "foo": must be a standard resource type or fully qualified'),
            ("spec.containers[0].resources.requests[foo]", "FieldValueInvalid", 'Invalid value: "foo": must be a standard resource for containers'),
        ]
    )


def test_limits_only_are_copied_to_requests_and_valid() -> None:
    assert errors(pod([{"name": "c", "image": "x", "resources": {"limits": {"cpu": "1", "memory": "128Mi"}}}])) == []


def test_probes() -> None:
    container = {
        "name": "c",
        "image": "x",
        "livenessProbe": {"periodSeconds": 5},
        "readinessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": -1, "successThreshold": 2},
        "startupProbe": {"tcpSocket": {"port": "http"}, "successThreshold": 2},
    }
    assert errors(pod([container])) == [
        ("spec.containers[0].livenessProbe", "FieldValueRequired", "Required value: must specify a handler type"),
        ("spec.containers[0].readinessProbe.initialDelaySeconds", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.containers[0].startupProbe.successThreshold", "FieldValueInvalid", "Invalid value: 2: must be 1"),
    ]


def test_probe_handler_port_and_lifecycle_handler() -> None:
    container = {"name": "c", "image": "x", "livenessProbe": {"httpGet": {"port": 0}}, "lifecycle": {"preStop": {}}}
    assert errors(pod([container])) == [
        ("spec.containers[0].lifecycle.preStop", "FieldValueRequired", "Required value: must specify a handler type"),
        ("spec.containers[0].livenessProbe.httpGet.port", "FieldValueInvalid", "Invalid value: 0: must be between 1 and 65535, inclusive"),
    ]


def test_probe_with_two_handlers() -> None:
    container = {"name": "c", "image": "x", "readinessProbe": {"exec": {"command": ["a"]}, "tcpSocket": {"port": 80}}}
    assert errors(pod([container])) == [
        ("spec.containers[0].readinessProbe.tcpSocket", "FieldValueForbidden", "Forbidden: may not specify more than 1 handler type")
    ]


def test_restart_and_dns_policy_values() -> None:
    assert errors(pod(restartPolicy="Sometimes", dnsPolicy="Foo")) == [
        ("spec.restartPolicy", "FieldValueNotSupported", 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
        (
            "spec.dnsPolicy",
            "FieldValueNotSupported",
            'Unsupported value: "Foo": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
        ),
    ]


def test_dns_policy_none_needs_dns_config() -> None:
    assert errors(pod(dnsPolicy="None")) == [
        ("spec.dnsConfig", "FieldValueRequired", "Required value: must provide `dnsConfig` when `dnsPolicy` is None")
    ]
    assert errors(pod(dnsPolicy="None", dnsConfig={"nameservers": ["1.1.1.1"]})) == []


def test_container_policies() -> None:
    found = errors(pod([{"name": "c", "image": "x", "imagePullPolicy": "Sometimes", "terminationMessagePolicy": "Foo"}]))
    assert found == [
        ("spec.containers[0].terminationMessagePolicy", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "File", "FallbackToLogsOnError"'),
        ("spec.containers[0].imagePullPolicy", "FieldValueNotSupported", 'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'),
    ]


def test_node_selector_keys() -> None:
    found = errors(pod(nodeSelector={"a b": "c"}))
    assert len(found) == 1
    assert found[0][:2] == ("spec.nodeSelector", "FieldValueInvalid")
    assert found[0][2].startswith('Invalid value: "a b": name part must consist of alphanumeric characters')


def test_tolerations() -> None:
    tolerations = [
        {"key": "k", "operator": "Exists", "value": "v"},
        {"operator": "Equal", "value": "x"},
        {"key": "a", "effect": "Bad"},
        {"key": "k", "effect": "NoSchedule", "tolerationSeconds": 5},
        {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5},
    ]
    assert errors(pod(tolerations=tolerations)) == [
        ("spec.tolerations[0].operator", "FieldValueInvalid", "Invalid value: \"v\": value must be empty when `operator` is 'Exists'"),
        (
            "spec.tolerations[1].operator",
            "FieldValueInvalid",
            'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
        ("spec.tolerations[2].effect", "FieldValueNotSupported", 'Unsupported value: "Bad": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'),
        ("spec.tolerations[3].effect", "FieldValueInvalid", "Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"),
    ]


def test_negative_termination_grace_period_is_accepted_like_upstream() -> None:
    # Upstream validation does not bound it (the kubelet treats negatives as 1); only updates are constrained.
    assert errors(pod(terminationGracePeriodSeconds=-1)) == []


def test_active_deadline_seconds_positive() -> None:
    assert errors(pod(activeDeadlineSeconds=0)) == [
        ("spec.activeDeadlineSeconds", "FieldValueInvalid", "Invalid value: 0: must be between 1 and 2147483647, inclusive")
    ]


def test_hostname_and_security_context() -> None:
    assert errors(pod(hostname="Bad_", securityContext={"runAsUser": -1})) == [
        ("spec.securityContext.runAsUser", "FieldValueInvalid", "Invalid value: -1: must be between 0 and 2147483647, inclusive"),
        ("spec.hostname", "FieldValueInvalid", f'Invalid value: "Bad_": {LABEL_MSG}'),
    ]


def test_pod_namespace_required() -> None:
    obj = pod()
    del obj["metadata"]["namespace"]
    assert errors(obj) == [("metadata.namespace", "FieldValueRequired", "Required value")]


# --- updates ---------------------------------------------------------------------------------------------------


def stored_pod() -> dict:
    obj = pod([{"name": "c", "image": "nginx:1.25", "imagePullPolicy": "IfNotPresent"}])
    obj["metadata"].update(uid="u1", resourceVersion="7", creationTimestamp="2024-01-01T00:00:00Z")
    return obj


def test_pod_update_image_change_allowed() -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"
    new["spec"]["activeDeadlineSeconds"] = 30
    new["metadata"]["labels"] = {"changed": "yes"}
    assert update_errors(new, old) == []


def test_pod_update_adding_tolerations_allowed() -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
    assert update_errors(new, old) == []


def test_pod_update_other_spec_fields_forbidden() -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    found = update_errors(new, old)
    assert len(found) == 1
    field, kind, body = found[0]
    assert (field, kind) == ("spec", "FieldValueForbidden")
    assert body.startswith(POD_UPDATE_MSG + "\n  core.PodSpec{\n")
    assert "containers[0].ports" in body


def test_pod_update_node_name_forbidden() -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["spec"]["nodeName"] = "n1"
    found = update_errors(new, old)
    assert [(f, t) for f, t, _ in found] == [("spec", "FieldValueForbidden")]
    assert '+ \tnodeName: "n1"' in found[0][2]


def test_pod_update_removing_tolerations_forbidden() -> None:
    old = stored_pod()
    old["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
    new = copy.deepcopy(old)
    new["spec"]["tolerations"] = []
    assert update_errors(new, old) == [
        ("spec.tolerations", "FieldValueForbidden", "Forbidden: existing toleration can not be modified except its tolerationSeconds")
    ]


def test_pod_update_empty_image_reported_by_both_checks() -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = ""
    assert update_errors(new, old) == [
        ("spec.containers[0].image", "FieldValueRequired", "Required value"),
        ("spec.containers[0].image", "FieldValueRequired", "Required value"),
    ]


def test_pod_update_grace_period_from_negative_only_to_one() -> None:
    old = stored_pod()
    old["spec"]["terminationGracePeriodSeconds"] = -5
    new = copy.deepcopy(old)
    new["spec"]["terminationGracePeriodSeconds"] = 1
    assert update_errors(new, old) == []
    new["spec"]["terminationGracePeriodSeconds"] = 10
    found = update_errors(new, old)
    assert [(f, t) for f, t, _ in found] == [("spec", "FieldValueForbidden")]
    assert "- \tterminationGracePeriodSeconds: -5\n+ \tterminationGracePeriodSeconds: 10\n" in found[0][2]


@pytest.mark.parametrize("field", ["uid", "name"])
def test_pod_update_metadata_immutable(field: str) -> None:
    old = stored_pod()
    new = copy.deepcopy(old)
    new["metadata"][field] = "changed"
    found = update_errors(new, old)
    assert (f"metadata.{field}", "FieldValueInvalid", 'Invalid value: "changed": field is immutable') in found
