"""Tests for the non-core API groups: networking (Ingress, IngressClass, NetworkPolicy), discovery
(EndpointSlice), RBAC, autoscaling (HPA), policy (PDB), scheduling (PriorityClass), coordination (Lease) and storage
(StorageClass), as validated by ``kybernetes.api.validation``."""

from __future__ import annotations

import copy
from typing import Any

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation import validate, validate_update

NET = "networking.k8s.io"
RBAC = "rbac.authorization.k8s.io"
META = {"name": "x", "namespace": "default"}
STORED = {**META, "uid": "u1", "resourceVersion": "9", "creationTimestamp": "2024-01-01T00:00:00Z"}


def errors(obj: dict, group: str, kind: str, version: str = "v1") -> list[tuple[str, str, str]]:
    obj = copy.deepcopy(obj)
    apply_defaults(obj, group, version, kind)
    return [(e.field, e.type, e.error_body()) for e in validate(obj, group, version, kind)]


def update_errors(new: dict, old: dict, group: str, kind: str, version: str = "v1") -> list[tuple[str, str, str]]:
    new, old = copy.deepcopy(new), copy.deepcopy(old)
    apply_defaults(new, group, version, kind)
    apply_defaults(old, group, version, kind)
    return [(e.field, e.type, e.error_body()) for e in validate_update(new, old, group, version, kind)]


# --- Ingress -----------------------------------------------------------------------------------------------------


def ingress_path(path: str = "/", path_type: str = "Prefix", **backend: Any) -> dict:
    return {"path": path, "pathType": path_type, "backend": backend or {"service": {"name": "web", "port": {"number": 80}}}}


def ingress(*paths: dict, host: str = "example.com") -> dict:
    return {"metadata": dict(META), "spec": {"rules": [{"host": host, "http": {"paths": list(paths) or [ingress_path()]}}]}}


def test_ingress_valid() -> None:
    assert errors(ingress(), NET, "Ingress") == []
    assert errors(ingress(host="*.example.com"), NET, "Ingress") == []


def test_ingress_needs_rules_or_default_backend() -> None:
    assert errors({"metadata": dict(META), "spec": {}}, NET, "Ingress") == [
        ("spec", "FieldValueInvalid", "Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified")
    ]
    obj = {"metadata": dict(META), "spec": {"defaultBackend": {"service": {"name": "web", "port": {"name": "http"}}}}}
    assert errors(obj, NET, "Ingress") == []


def test_ingress_paths_and_hosts() -> None:
    obj = ingress(ingress_path("foo"), ingress_path("/x", "Bad", service={"name": "s", "port": {}}), host="*.a.*.com")
    found = errors(obj, NET, "Ingress")
    assert [(f, t) for f, t, _ in found] == [
        ("spec.rules[0].host", "FieldValueInvalid"),
        ("spec.rules[0].http.paths[0].path", "FieldValueInvalid"),
        ("spec.rules[0].http.paths[1].pathType", "FieldValueNotSupported"),
        ("spec.rules[0].http.paths[1].backend", "FieldValueRequired"),
    ]
    assert found[0][2].startswith('Invalid value: "*.a.*.com": a wildcard DNS-1123 subdomain must start with \'*.\', followed by')
    assert found[1][2] == 'Invalid value: "foo": must be an absolute path'
    assert found[2][2] == 'Unsupported value: "Bad": supported values: "Exact", "ImplementationSpecific", "Prefix"'
    assert found[3][2] == "Required value: port name or number is required"


def test_ingress_host_ip_and_double_backend() -> None:
    both = {"service": {"name": "s", "port": {"number": 80}}, "resource": {"kind": "K", "name": "n"}}
    found = errors(ingress(ingress_path("/", "Exact", **both), host="1.2.3.4"), NET, "Ingress")
    assert found == [
        ("spec.rules[0].host", "FieldValueInvalid", 'Invalid value: "1.2.3.4": must be a DNS name, not an IP address'),
        ("spec.rules[0].http.paths[0].backend", "FieldValueInvalid", 'Invalid value: "": cannot set both resource and service backends'),
    ]


def test_ingress_port_name_and_number() -> None:
    found = errors(ingress(ingress_path(service={"name": "s", "port": {"number": 80, "name": "http"}})), NET, "Ingress")
    assert found == [("spec.rules[0].http.paths[0].backend", "FieldValueInvalid", 'Invalid value: "": cannot set both port name & port number')]


def test_ingress_class() -> None:
    assert errors({"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}, NET, "IngressClass") == []
    found = errors({"metadata": {"name": "nginx"}, "spec": {"controller": ""}}, NET, "IngressClass")
    assert found == [("spec.controller", "FieldValueRequired", "Required value")]


# --- NetworkPolicy -----------------------------------------------------------------------------------------------


def test_network_policy_valid() -> None:
    spec = {"podSelector": {"matchLabels": {"role": "db"}}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 6379}]}]}
    assert errors({"metadata": dict(META), "spec": spec}, NET, "NetworkPolicy") == []


def test_network_policy_errors() -> None:
    spec = {
        "podSelector": {},
        "policyTypes": ["Ingress", "Foo"],
        "ingress": [{"ports": [{"protocol": "TCP", "port": 80, "endPort": 70}], "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/24"]}}, {}]}],
    }
    assert errors({"metadata": dict(META), "spec": spec}, NET, "NetworkPolicy") == [
        ("spec.ingress[0].ports[0].endPort", "FieldValueInvalid", "Invalid value: 70: must be greater than or equal to `port`"),
        ("spec.ingress[0].from[0].ipBlock.except[0]", "FieldValueInvalid", 'Invalid value: "11.0.0.0/24": must be a strict subset of `cidr`'),
        ("spec.ingress[0].from[1]", "FieldValueRequired", "Required value: must specify a peer"),
        ("spec.policyTypes[1]", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "Ingress", "Egress"'),
    ]


# --- EndpointSlice -----------------------------------------------------------------------------------------------


def test_endpoint_slice() -> None:
    ok = {"metadata": dict(META), "addressType": "IPv4", "endpoints": [{"addresses": ["10.1.2.3"]}], "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}
    assert errors(ok, "discovery.k8s.io", "EndpointSlice") == []
    assert errors({"metadata": dict(META), "addressType": "Foo", "endpoints": []}, "discovery.k8s.io", "EndpointSlice") == [
        ("addressType", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "FQDN", "IPv4", "IPv6"')
    ]
    bad = {"metadata": dict(META), "addressType": "IPv4", "endpoints": [{"addresses": []}, {"addresses": ["1.2.3"]}]}
    assert errors(bad, "discovery.k8s.io", "EndpointSlice") == [
        ("endpoints[0].addresses", "FieldValueRequired", "Required value: must contain at least 1 address"),
        ("endpoints[1].addresses[0]", "FieldValueInvalid", 'Invalid value: "1.2.3": must be a valid IPv4 address'),
    ]


def test_endpoint_slice_address_type_immutable() -> None:
    old = {"metadata": dict(STORED), "addressType": "IPv4", "endpoints": []}
    new = copy.deepcopy(old)
    new["addressType"] = "IPv6"
    assert update_errors(new, old, "discovery.k8s.io", "EndpointSlice") == [
        ("addressType", "FieldValueInvalid", 'Invalid value: "IPv6": field is immutable')
    ]


# --- RBAC --------------------------------------------------------------------------------------------------------


def test_role_rules() -> None:
    rules = [{"apiGroups": [""], "resources": ["pods"]}, {"verbs": ["get"]}, {"verbs": ["get"], "nonResourceURLs": ["/x"]}]
    assert errors({"metadata": dict(META), "rules": rules}, RBAC, "Role") == [
        ("rules[0].verbs", "FieldValueRequired", "Required value: verbs must contain at least one value"),
        ("rules[1].apiGroups", "FieldValueRequired", "Required value: resource rules must supply at least one api group"),
        ("rules[1].resources", "FieldValueRequired", "Required value: resource rules must supply at least one resource"),
        ("rules[2].nonResourceURLs", "FieldValueInvalid", 'Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs'),
    ]


def test_cluster_role_rules() -> None:
    ok = {"metadata": {"name": "reader"}, "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}, {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]}
    assert errors(ok, RBAC, "ClusterRole") == []
    bad = {"metadata": {"name": "x"}, "rules": [{"verbs": ["get"], "nonResourceURLs": ["/x"], "resources": ["pods"]}]}
    assert errors(bad, RBAC, "ClusterRole") == [
        ("rules[0].nonResourceURLs", "FieldValueInvalid", 'Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs')
    ]


def test_role_binding_ref_and_subjects() -> None:
    obj = {
        "metadata": dict(META),
        "roleRef": {"apiGroup": "", "kind": "Foo", "name": ""},
        "subjects": [{"kind": "User", "name": ""}, {"kind": "ServiceAccount", "name": "a", "apiGroup": "x"}, {"kind": "Bad", "name": "z"}],
    }
    # an empty roleRef.apiGroup is defaulted to rbac.authorization.k8s.io
    assert errors(obj, RBAC, "RoleBinding") == [
        ("roleRef.kind", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "Role", "ClusterRole"'),
        ("roleRef.name", "FieldValueRequired", "Required value"),
        ("subjects[0].name", "FieldValueRequired", "Required value"),
        ("subjects[0].name", "FieldValueInvalid", 'Invalid value: "": user name cannot be empty'),
        ("subjects[1].apiGroup", "FieldValueNotSupported", 'Unsupported value: "x": supported values: ""'),
        ("subjects[2].kind", "FieldValueNotSupported", 'Unsupported value: "Bad": supported values: "ServiceAccount", "User", "Group"'),
    ]


def test_cluster_role_binding_service_account_needs_namespace() -> None:
    obj = {"metadata": {"name": "crb"}, "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "ServiceAccount", "name": "a"}]}
    assert errors(obj, RBAC, "ClusterRoleBinding") == [("subjects[0].namespace", "FieldValueRequired", "Required value")]


def test_role_ref_immutable() -> None:
    old = {"metadata": dict(STORED), "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": "a"}, "subjects": [{"kind": "ServiceAccount", "name": "a", "namespace": "default"}]}
    new = copy.deepcopy(old)
    new["roleRef"]["name"] = "b"
    assert update_errors(new, old, RBAC, "RoleBinding") == [
        ("roleRef", "FieldValueInvalid", 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"b"}: cannot change roleRef')
    ]
    new = copy.deepcopy(old)
    new["subjects"].append({"kind": "Group", "name": "devs", "apiGroup": RBAC})
    assert update_errors(new, old, RBAC, "RoleBinding") == []


# --- HPA / PDB ---------------------------------------------------------------------------------------------------


def test_hpa_v2() -> None:
    spec = {"scaleTargetRef": {"kind": "Deployment", "name": "d", "apiVersion": "apps/v1"}, "minReplicas": 1, "maxReplicas": 5}
    assert errors({"metadata": dict(META), "spec": spec}, "autoscaling", "HorizontalPodAutoscaler", "v2") == []
    spec.update(minReplicas=0, maxReplicas=0)
    assert errors({"metadata": dict(META), "spec": spec}, "autoscaling", "HorizontalPodAutoscaler", "v2") == [
        ("spec.minReplicas", "FieldValueInvalid", "Invalid value: 0: must be greater than or equal to 1"),
        ("spec.maxReplicas", "FieldValueInvalid", "Invalid value: 0: must be greater than 0"),
        ("spec.metrics", "FieldValueForbidden", "Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"),
    ]


def test_hpa_v1_reports_internal_paths() -> None:
    spec = {"scaleTargetRef": {"kind": "", "name": ""}, "minReplicas": 5, "maxReplicas": 3, "targetCPUUtilizationPercentage": 0}
    assert errors({"metadata": dict(META), "spec": spec}, "autoscaling", "HorizontalPodAutoscaler") == [
        ("spec.maxReplicas", "FieldValueInvalid", "Invalid value: 3: must be greater than or equal to `minReplicas`"),
        ("spec.scaleTargetRef.kind", "FieldValueRequired", "Required value"),
        ("spec.scaleTargetRef.name", "FieldValueRequired", "Required value"),
        ("spec.metrics[0].resource.target.averageUtilization", "FieldValueInvalid", "Invalid value: 0: must be greater than 0"),
    ]


def test_pdb() -> None:
    assert errors({"metadata": dict(META), "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"a": "b"}}}}, "policy", "PodDisruptionBudget") == []
    found = errors({"metadata": dict(META), "spec": {"minAvailable": 1, "maxUnavailable": 1}}, "policy", "PodDisruptionBudget")
    assert [(f, t) for f, t, _ in found] == [("spec", "FieldValueInvalid")]
    assert found[0][2].startswith("Invalid value: policy.PodDisruptionBudgetSpec{")
    assert found[0][2].endswith(": minAvailable and maxUnavailable cannot be both set")
    assert errors({"metadata": dict(META), "spec": {"minAvailable": "150%"}}, "policy", "PodDisruptionBudget") == [
        ("spec.minAvailable", "FieldValueInvalid", 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%')
    ]
    assert errors({"metadata": dict(META), "spec": {"minAvailable": -1}}, "policy", "PodDisruptionBudget") == [
        ("spec.minAvailable", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0")
    ]


def test_pdb_metadata_gets_only_the_generic_checks() -> None:
    # Upstream's PDB validation ignores metadata; only the generic path-segment name rules apply.
    assert errors({"metadata": {"name": "Bad_", "namespace": "default"}, "spec": {"minAvailable": 1}}, "policy", "PodDisruptionBudget") == []
    found = errors({"metadata": {"name": "a/b", "namespace": "default"}, "spec": {"minAvailable": 1}}, "policy", "PodDisruptionBudget")
    assert found == [("metadata.name", "FieldValueInvalid", "Invalid value: \"a/b\": may not contain '/'")]


# --- PriorityClass / Lease / StorageClass --------------------------------------------------------------------------


def test_priority_class() -> None:
    assert errors({"metadata": {"name": "high"}, "value": 1000}, "scheduling.k8s.io", "PriorityClass") == []
    assert errors({"metadata": {"name": "p"}, "value": 2000000000, "preemptionPolicy": "Foo"}, "scheduling.k8s.io", "PriorityClass") == [
        ("value", "FieldValueForbidden", "Forbidden: maximum allowed value of a user defined priority is 1000000000"),
        ("preemptionPolicy", "FieldValueNotSupported", 'Unsupported value: "Foo": supported values: "PreemptLowerPriority", "Never"'),
    ]
    assert errors({"metadata": {"name": "system-foo"}, "value": 1}, "scheduling.k8s.io", "PriorityClass") == [
        (
            "metadata.name",
            "FieldValueForbidden",
            "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-foo is not a known system priority class",
        )
    ]


def test_priority_class_value_immutable() -> None:
    old = {"metadata": {"name": "p", "uid": "u", "resourceVersion": "1"}, "value": 1}
    new = dict(old, value=2)
    assert update_errors(new, old, "scheduling.k8s.io", "PriorityClass") == [("value", "FieldValueForbidden", "Forbidden: may not be changed in an update.")]


def test_lease() -> None:
    assert errors({"metadata": dict(META), "spec": {"holderIdentity": "h", "leaseDurationSeconds": 15}}, "coordination.k8s.io", "Lease") == []
    assert errors({"metadata": dict(META), "spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}}, "coordination.k8s.io", "Lease") == [
        ("spec.leaseDurationSeconds", "FieldValueInvalid", "Invalid value: 0: must be greater than 0"),
        ("spec.leaseTransitions", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
    ]


def test_storage_class() -> None:
    ok = {"metadata": {"name": "std"}, "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"}
    assert errors(ok, "storage.k8s.io", "StorageClass") == []
    found = errors({"metadata": {"name": "std"}, "provisioner": "", "reclaimPolicy": "Keep"}, "storage.k8s.io", "StorageClass")
    assert ("provisioner", "FieldValueRequired", "Required value") in found
    assert ("reclaimPolicy", "FieldValueNotSupported", 'Unsupported value: "Keep": supported values: "Delete", "Retain"') in found
