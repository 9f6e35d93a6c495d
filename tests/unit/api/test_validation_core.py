"""Tests for core/v1 kinds other than Pod: Service, ConfigMap, Secret, Namespace, ServiceAccount, Node,
PersistentVolumeClaim/Volume, Endpoints, ResourceQuota, LimitRange and Event (``kybernetes.api.validation``)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation import validate, validate_update
from kybernetes.api.validation_gojson import go_json_error

CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
META = {"name": "x", "namespace": "default"}


def errors(obj: dict, kind: str, group: str = "", version: str = "v1") -> list[tuple[str, str, str]]:
    obj = copy.deepcopy(obj)
    apply_defaults(obj, group, version, kind)
    return [(e.field, e.type, e.error_body()) for e in validate(obj, group, version, kind)]


def update_errors(new: dict, old: dict, kind: str, group: str = "", version: str = "v1") -> list[tuple[str, str, str]]:
    new, old = copy.deepcopy(new), copy.deepcopy(old)
    apply_defaults(new, group, version, kind)
    apply_defaults(old, group, version, kind)
    return [(e.field, e.type, e.error_body()) for e in validate_update(new, old, group, version, kind)]


def stored_meta(**extra: Any) -> dict:
    return {**META, "uid": "u1", "resourceVersion": "4", "creationTimestamp": "2024-01-01T00:00:00Z", **extra}


# --- Service -----------------------------------------------------------------------------------------------------


def service(**spec: Any) -> dict:
    """A Service as validation sees it: the registry has already allocated its cluster IP and IP family."""
    base = {
        "selector": {"app": "web"},
        "ports": [{"port": 80}],
        "clusterIP": "10.0.0.5",
        "clusterIPs": ["10.0.0.5"],
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
    }
    base.update(spec)
    return {"metadata": dict(META), "spec": base}


def test_service_valid() -> None:
    assert errors(service(), "Service") == []


def test_service_ports_required() -> None:
    assert errors(service(ports=[]), "Service") == [("spec.ports", "FieldValueRequired", "Required value")]


def test_headless_service_needs_no_ports() -> None:
    assert errors(service(ports=[], clusterIP="None", clusterIPs=["None"]), "Service") == []


def test_service_port_rules() -> None:
    ports = [{"port": 0}, {"port": 80, "name": "a"}, {"port": 81, "name": "a", "protocol": "X", "targetPort": "toolongportname123"}]
    assert errors(service(ports=ports), "Service") == [
        ("spec.ports[0].name", "FieldValueRequired", "Required value"),
        ("spec.ports[0].port", "FieldValueInvalid", "Invalid value: 0: must be between 1 and 65535, inclusive"),
        ("spec.ports[0].targetPort", "FieldValueInvalid", "Invalid value: 0: must be between 1 and 65535, inclusive"),
        ("spec.ports[2].name", "FieldValueDuplicate", 'Duplicate value: "a"'),
        ("spec.ports[2].protocol", "FieldValueNotSupported", 'Unsupported value: "X": supported values: "SCTP", "TCP", "UDP"'),
        ("spec.ports[2].targetPort", "FieldValueInvalid", 'Invalid value: "toolongportname123": must be no more than 15 characters'),
    ]


def test_service_type_values() -> None:
    assert errors(service(type="Foo"), "Service") == [
        ("spec.type", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"')
    ]


def test_node_port_only_for_node_port_types() -> None:
    assert errors(service(ports=[{"port": 80, "nodePort": 30080}]), "Service") == [
        ("spec.ports[0].nodePort", "FieldValueForbidden", "Forbidden: may not be used when `type` is 'ClusterIP'")
    ]
    assert errors(service(type="NodePort", ports=[{"port": 80, "nodePort": 30080}]), "Service") == []


def test_external_name_service() -> None:
    obj = {"metadata": dict(META), "spec": {"type": "ExternalName", "externalName": "db.example.com"}}
    assert errors(obj, "Service") == []
    obj["spec"]["externalName"] = "my_db"
    assert errors(obj, "Service") == [("spec.externalName", "FieldValueInvalid", f'Invalid value: "my_db": {SUBDOMAIN_MSG}')]
    obj["spec"]["externalName"] = ""
    assert errors(obj, "Service") == [("spec.externalName", "FieldValueRequired", "Required value")]
    obj["spec"].update(externalName="a.com", clusterIPs=["10.0.0.1"], clusterIP="10.0.0.1")
    assert errors(obj, "Service") == [("spec.clusterIPs", "FieldValueForbidden", "Forbidden: may not be set for ExternalName services")]


def test_service_ip_family_rules() -> None:
    assert errors(service(ipFamilies=["IPv4", "IPv4"], ipFamilyPolicy="Foo"), "Service") == [
        ("spec.ipFamilies[1]", "FieldValueDuplicate", 'Duplicate value: "IPv4"'),
        ("spec.ipFamilyPolicy", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"'),
    ]
    assert errors(service(clusterIPs=["10.0.0.5", "10.0.0.6"]), "Service") == [
        ("spec.clusterIPs", "FieldValueInvalid", 'Invalid value: []string{"10.0.0.5", "10.0.0.6"}: may specify no more than one IP for each IP family')
    ]


def test_service_selector_and_cluster_ip_format() -> None:
    found = errors(service(selector={"a/b/c": "x"}, clusterIP="bad", clusterIPs=["bad"]), "Service")
    assert [(f, t) for f, t, _ in found] == [("spec.selector", "FieldValueInvalid"), ("spec.clusterIPs[0]", "FieldValueInvalid")]
    assert found[1][2] == 'Invalid value: "bad": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'


def test_load_balancer_fields() -> None:
    obj = service(type="LoadBalancer", loadBalancerSourceRanges=["bad"], externalTrafficPolicy="Foo", sessionAffinity="Foo")
    assert errors(obj, "Service") == [
        ("spec.sessionAffinity", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "ClientIP", "None"'),
        (
            "spec.LoadBalancerSourceRanges[0]",
            "FieldValueInvalid",
            'Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        ),
        ("spec.externalTrafficPolicy", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "Cluster", "Local"'),
    ]


def test_service_cluster_ip_may_not_change() -> None:
    old = service()
    old["metadata"] = stored_meta()
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.0.0.6"
    new["spec"]["clusterIPs"] = ["10.0.0.6"]
    assert update_errors(new, old, "Service") == [
        ("spec.clusterIPs[0]", "FieldValueInvalid", 'Invalid value: []string{"10.0.0.6"}: may not change once set')
    ]


def test_service_update_of_ports_allowed() -> None:
    old = service()
    old["metadata"] = stored_meta()
    new = copy.deepcopy(old)
    new["spec"]["ports"] = [{"port": 8080, "name": "http"}, {"port": 8443, "name": "https"}]
    assert update_errors(new, old, "Service") == []


# --- ConfigMap / Secret ----------------------------------------------------------------------------------------


def test_config_map_keys() -> None:
    obj = {"metadata": dict(META), "data": {"a b": "x", "..": "y"}, "binaryData": {"a b": "eA=="}}
    assert errors(obj, "ConfigMap") == [
        ("data[..]", "FieldValueInvalid", "Invalid value: \"..\": must not be '..'"),
        ("data[a b]", "FieldValueInvalid", f'Invalid value: "a b": {CONFIG_KEY_MSG}'),
        ("data[a b]", "FieldValueInvalid", 'Invalid value: "a b": duplicate of key present in binaryData'),
        ("binaryData[a b]", "FieldValueInvalid", f'Invalid value: "a b": {CONFIG_KEY_MSG}'),
    ]


def test_config_map_total_size() -> None:
    assert errors({"metadata": dict(META), "data": {"a": "x" * (1024 * 1024)}}, "ConfigMap") == []
    assert errors({"metadata": dict(META), "data": {"a": "x" * (1024 * 1024 + 1)}}, "ConfigMap") == [
        ("", "FieldValueTooLong", "Too long: may not be more than 1048576 bytes")
    ]


def test_immutable_config_map() -> None:
    old = {"metadata": stored_meta(), "data": {"a": "x"}, "immutable": True}
    new = copy.deepcopy(old)
    new["data"] = {"a": "y"}
    assert update_errors(new, old, "ConfigMap") == [("data", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set")]
    new = copy.deepcopy(old)
    new["immutable"] = False
    assert update_errors(new, old, "ConfigMap") == [("immutable", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set")]
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"a": "b"}
    assert update_errors(new, old, "ConfigMap") == []


def test_secret_keys() -> None:
    assert errors({"metadata": dict(META), "data": {"a b": "YQ=="}}, "Secret") == [
        ("data[a b]", "FieldValueInvalid", f'Invalid value: "a b": {CONFIG_KEY_MSG}')
    ]


@pytest.mark.parametrize(
    ("secret_type", "data", "expected"),
    [
        ("kubernetes.io/tls", {"tls.crt": ""}, [("data[tls.key]", "FieldValueRequired", "Required value")]),
        ("kubernetes.io/tls", {}, [("data[tls.crt]", "FieldValueRequired", "Required value"), ("data[tls.key]", "FieldValueRequired", "Required value")]),
        ("kubernetes.io/dockerconfigjson", {}, [("data[.dockerconfigjson]", "FieldValueRequired", "Required value")]),
        ("kubernetes.io/dockercfg", {}, [("data[.dockercfg]", "FieldValueRequired", "Required value")]),
        (
            "kubernetes.io/service-account-token",
            {},
            [("metadata.annotations[kubernetes.io/service-account.name]", "FieldValueRequired", "Required value")],
        ),
        (
            "kubernetes.io/basic-auth",
            {"foo": "YQ=="},
            [("data[username]", "FieldValueRequired", "Required value"), ("data[password]", "FieldValueRequired", "Required value")],
        ),
        ("kubernetes.io/basic-auth", {"username": "YQ=="}, []),
        ("kubernetes.io/ssh-auth", {}, [("data[ssh-privatekey]", "FieldValueRequired", "Required value")]),
        ("bootstrap.kubernetes.io/token", {}, []),
        ("example.com/custom", {}, []),
    ],
)
def test_secret_type_required_keys(secret_type: str, data: dict, expected: list) -> None:
    assert errors({"metadata": dict(META), "type": secret_type, "data": data}, "Secret") == expected


def test_secret_string_data_counts_as_data() -> None:
    obj = {"metadata": dict(META), "type": "kubernetes.io/tls", "stringData": {"tls.crt": "x", "tls.key": "y"}}
    assert errors(obj, "Secret") == []


def test_docker_config_json_must_be_json() -> None:
    obj = {"metadata": dict(META), "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": "bm90IGpzb24="}}
    assert errors(obj, "Secret") == [
        (
            "data[.dockerconfigjson]",
            "FieldValueInvalid",
            "Invalid value: \"<secret contents redacted>\": invalid character 'o' in literal null (expecting 'u')",
        )
    ]
    obj["data"][".dockerconfigjson"] = "eyJhdXRocyI6e319"  # {"auths":{}}
    assert errors(obj, "Secret") == []


def test_secret_type_immutable_and_immutable_secret() -> None:
    old = {"metadata": stored_meta(), "type": "Opaque", "data": {"a": "YQ=="}}
    new = copy.deepcopy(old)
    new["type"] = "foo"
    assert update_errors(new, old, "Secret") == [("type", "FieldValueInvalid", 'Invalid value: "foo": field is immutable')]
    old["immutable"] = True
    new = copy.deepcopy(old)
    new["data"] = {"a": "Yg=="}
    assert update_errors(new, old, "Secret") == [("data", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "unexpected end of JSON input"),
        (b"{}", None),
        (b"null", None),
        (b"[1]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        (b"1", "json: cannot unmarshal number into Go value of type map[string]interface {}"),
        (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1 "b"}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b"{} x", "invalid character 'x' after top-level value"),
        (b"tru", "invalid character ' ' in literal true (expecting 'e')"),
        (b"1.x", "invalid character 'x' after decimal point in numeric literal"),
        (b'"a\nb"', "invalid character '\\n' in string literal"),
        (b"{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
        (b'{"a":[1,2', "unexpected end of JSON input"),
    ],
)
def test_go_json_errors(data: bytes, message: str | None) -> None:
    assert go_json_error(data) == message


# --- Namespace / ServiceAccount / Node ---------------------------------------------------------------------------


def test_namespace() -> None:
    assert errors({"metadata": {"name": "dev"}}, "Namespace") == []
    found = errors({"metadata": {"name": "dev"}, "spec": {"finalizers": ["foo", "example.com/x"]}}, "Namespace")
    assert found == [
        ("spec.finalizers", "FieldValueInvalid", 'Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified')
    ]


def test_service_account() -> None:
    assert errors({"metadata": dict(META), "secrets": [{"name": "x"}], "imagePullSecrets": [{"name": "y"}]}, "ServiceAccount") == []
    found = errors({"metadata": {"name": "Bad_", "namespace": "default"}}, "ServiceAccount")
    assert found == [("metadata.name", "FieldValueInvalid", f'Invalid value: "Bad_": {SUBDOMAIN_MSG}')]


def test_node_basic() -> None:
    assert errors({"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.0.0/24"}}, "Node") == []
    found = errors({"metadata": {"name": "n1"}, "spec": {"podCIDR": "bad", "taints": [{"key": "k", "effect": "Bad"}]}}, "Node")
    assert found == [
        # upstream reports node taints under metadata
        ("metadata.taints[0].effect", "FieldValueNotSupported", 'Unsupported value: "Bad": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'),
        ("spec.podCIDRs[0]", "FieldValueInvalid", 'Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'),
    ]


# --- PersistentVolumeClaim / PersistentVolume -----------------------------------------------------------------


def test_pvc_required_fields() -> None:
    assert errors({"metadata": dict(META), "spec": {"accessModes": [], "resources": {}}}, "PersistentVolumeClaim") == [
        ("spec.accessModes", "FieldValueRequired", "Required value: at least 1 access mode is required"),
        ("spec.resources[storage]", "FieldValueRequired", "Required value"),
    ]


def test_pvc_values() -> None:
    obj = {"metadata": dict(META), "spec": {"accessModes": ["ReadWriteMany", "Foo"], "resources": {"requests": {"storage": "0"}}}}
    assert errors(obj, "PersistentVolumeClaim") == [
        (
            "spec.accessModes",
            "FieldValueNotSupported",
            'Unsupported value: "Foo": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        ),
        ("spec.resources[storage]", "FieldValueInvalid", 'Invalid value: "0": must be greater than zero'),
    ]


def pvc() -> dict:
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "storageClassName": "std", "volumeName": "pv1"}
    return {"metadata": stored_meta(), "spec": spec}


def test_pvc_spec_immutable_except_requests() -> None:
    old = pvc()
    new = copy.deepcopy(old)
    new["spec"]["storageClassName"] = "other"
    found = update_errors(new, old, "PersistentVolumeClaim")
    assert [(f, t) for f, t, _ in found] == [("spec", "FieldValueForbidden")]
    assert found[0][2].startswith(
        "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"
    )
    assert 'storageClassName: "other"' in found[0][2]


def test_pvc_expansion_allowed_for_bound_claims_only() -> None:
    old = pvc()
    new = copy.deepcopy(old)
    new["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert [(f, t) for f, t, _ in update_errors(new, old, "PersistentVolumeClaim")] == [("spec", "FieldValueForbidden")]
    new["status"] = {"phase": "Bound"}
    assert update_errors(new, old, "PersistentVolumeClaim") == []


def test_persistent_volume() -> None:
    spec = {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp"}}
    assert errors({"metadata": {"name": "pv"}, "spec": spec}, "PersistentVolume") == []
    assert errors({"metadata": {"name": "pv"}, "spec": {"accessModes": ["ReadWriteOnce"]}}, "PersistentVolume") == [
        ("spec.capacity", "FieldValueRequired", "Required value"),
        ("spec.capacity", "FieldValueNotSupported", 'Unsupported value: core.ResourceList(nil): supported values: "storage"'),
        ("spec", "FieldValueRequired", "Required value: must specify a volume type"),
    ]


# --- Endpoints / ResourceQuota / LimitRange --------------------------------------------------------------------


def test_endpoints() -> None:
    subsets = [
        {"addresses": [{"ip": "10.1.2.3"}], "ports": [{"port": 80, "protocol": "TCP"}]},
        {"addresses": [{"ip": "127.0.0.1"}, {"ip": "bad"}], "ports": [{"port": 0, "protocol": "TCP"}]},
    ]
    assert errors({"metadata": dict(META), "subsets": subsets}, "Endpoints") == [
        ("subsets[1].addresses[0].ip", "FieldValueInvalid", 'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'),
        ("subsets[1].addresses[1].ip", "FieldValueInvalid", 'Invalid value: "bad": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'),
        ("subsets[1].addresses[1].ip", "FieldValueInvalid", 'Invalid value: "bad": must be a valid IP address'),
        ("subsets[1].ports[0].port", "FieldValueInvalid", "Invalid value: 0: must be between 1 and 65535, inclusive"),
    ]


def test_resource_quota() -> None:
    assert errors({"metadata": dict(META), "spec": {"hard": {"pods": "10", "requests.cpu": "4"}}}, "ResourceQuota") == []
    found = errors({"metadata": dict(META), "spec": {"hard": {"pods": "-1"}}}, "ResourceQuota")
    assert found == [("spec.hard[pods]", "FieldValueInvalid", 'Invalid value: "-1": must be greater than or equal to 0')]


def test_limit_range_min_above_max() -> None:
    obj = {"metadata": dict(META), "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "2"}}]}}
    found = errors(obj, "LimitRange")
    assert found[0][:2] == ("spec.limits[0].min[cpu]", "FieldValueInvalid")
    assert found[0][2].endswith(": min value 2 is greater than max value 1")


# --- Event --------------------------------------------------------------------------------------------------------


def test_core_event_namespace_must_match() -> None:
    obj = {"metadata": dict(META), "involvedObject": {"kind": "Pod", "namespace": "other", "name": "p"}, "reason": "R", "message": "m", "type": "Normal"}
    assert errors(obj, "Event") == [("involvedObject.namespace", "FieldValueInvalid", 'Invalid value: "other": does not match event.namespace')]
    obj["involvedObject"]["namespace"] = "default"
    assert errors(obj, "Event") == []


def test_events_v1_type() -> None:
    obj = {
        "metadata": dict(META),
        "regarding": {"kind": "Pod", "namespace": "default", "name": "p"},
        "reason": "R",
        "note": "m",
        "type": "Foo",
        "action": "A",
        "eventTime": "2024-01-01T00:00:00.000000Z",
        "reportingController": "example.com/c",
        "reportingInstance": "i",
    }
    assert errors(obj, "Event", "events.k8s.io") == [("type", "FieldValueInvalid", 'Invalid value: "": has invalid value: Foo')]
    obj["type"] = "Normal"
    assert errors(obj, "Event", "events.k8s.io") == []
