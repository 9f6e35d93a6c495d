"""Tests for object metadata validation (names per kind, namespace by scope, labels, annotations, owner
references, finalizers, immutable metadata on update) as done by ``kybernetes.api.validation``."""

from __future__ import annotations

import copy

import pytest

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation import validate, validate_update

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation "
    "is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)

RBAC = "rbac.authorization.k8s.io"


def errors(obj: dict, group: str = "", version: str = "v1", kind: str = "ConfigMap") -> list[tuple[str, str, str]]:
    obj = copy.deepcopy(obj)
    apply_defaults(obj, group, version, kind)
    return [(e.field, e.type, e.error_body()) for e in validate(obj, group, version, kind)]


def update_errors(new: dict, old: dict, group: str = "", version: str = "v1", kind: str = "ConfigMap") -> list[tuple[str, str, str]]:
    new, old = copy.deepcopy(new), copy.deepcopy(old)
    apply_defaults(new, group, version, kind)
    apply_defaults(old, group, version, kind)
    return [(e.field, e.type, e.error_body()) for e in validate_update(new, old, group, version, kind)]


def cm(**meta: object) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "default", **meta}}


def test_valid_config_map_has_no_errors() -> None:
    assert errors(cm(name="settings", labels={"app": "web", "example.com/tier": ""}, annotations={"a": "b"})) == []


def test_name_or_generate_name_required() -> None:
    assert errors(cm()) == [("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")]


def test_generate_name_is_turned_into_a_name_before_validation() -> None:
    # Upstream's BeforeCreate fills the name from generateName before validating; validation itself wants a name.
    assert errors(cm(generateName="settings-", name="settings-x7k2p")) == []
    assert errors(cm(generateName="settings-")) == [
        ("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")
    ]


@pytest.mark.parametrize(
    ("group", "kind", "name", "message"),
    [
        ("", "ConfigMap", "Bad_Name", SUBDOMAIN_MSG),
        ("", "Secret", "UPPER", SUBDOMAIN_MSG),
        ("apps", "Deployment", "a_b", SUBDOMAIN_MSG),
        ("", "Service", "a.b", DNS1035_MSG),
        ("", "Service", "1abc", DNS1035_MSG),
        ("", "Namespace", "a.b", LABEL_MSG),
    ],
)
def test_name_format_per_kind(group: str, kind: str, name: str, message: str) -> None:
    obj = {"metadata": {"name": name}}
    if kind != "Namespace":
        obj["metadata"]["namespace"] = "default"
    found = errors(obj, group, "v1", kind)
    assert found[0] == ("metadata.name", "FieldValueInvalid", f'Invalid value: "{name}": {message}')


@pytest.mark.parametrize("name", ["a.b.c", "web-1", "x"])
def test_deployment_and_config_map_accept_subdomain_names(name: str) -> None:
    assert errors(cm(name=name)) == []


def test_generate_name_is_checked_like_a_name_prefix() -> None:
    assert errors(cm(generateName="a_b")) == [
        ("metadata.generateName", "FieldValueInvalid", f'Invalid value: "a_b": {SUBDOMAIN_MSG}'),
        ("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"),
    ]


def test_namespace_required_for_namespaced_kinds() -> None:
    assert errors({"metadata": {"name": "ok"}}) == [("metadata.namespace", "FieldValueRequired", "Required value")]


def test_namespace_forbidden_for_cluster_scoped_kinds() -> None:
    assert errors({"metadata": {"name": "ok", "namespace": "x"}}, "", "v1", "Namespace") == [
        ("metadata.namespace", "FieldValueForbidden", "Forbidden: not allowed on this type")
    ]


def test_namespace_value_must_be_a_label() -> None:
    found = errors({"metadata": {"name": "ok", "namespace": "Bad.NS"}})
    assert found == [("metadata.namespace", "FieldValueInvalid", f'Invalid value: "Bad.NS": {LABEL_MSG}')]


def test_label_keys_and_values() -> None:
    found = errors(cm(name="ok", labels={"a/b/c": "x", "k": "-bad"}))
    assert [(f, t) for f, t, _ in found] == [("metadata.labels", "FieldValueInvalid")] * 2
    assert found[0][2].startswith('Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters')
    assert found[0][2].endswith("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")
    assert found[1][2] == (
        "Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, "
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
        "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    )


def test_label_value_too_long() -> None:
    found = errors(cm(name="ok", labels={"k": "v" * 64}))
    assert found == [("metadata.labels", "FieldValueInvalid", f'Invalid value: "{"v" * 64}": must be no more than 63 characters')]


def test_annotation_key_must_be_qualified_name() -> None:
    assert errors(cm(name="ok", annotations={"Bad Key": "v"})) == [
        ("metadata.annotations", "FieldValueInvalid", f'Invalid value: "Bad Key": {NAME_PART_MSG}')
    ]


def test_annotation_keys_are_checked_lowercase() -> None:
    # Upstream lower-cases annotation keys before checking them, so upper-case keys pass.
    assert errors(cm(name="ok", annotations={"Example.COM/Key": "v"})) == []


def test_total_annotation_size_limit() -> None:
    assert errors(cm(name="ok", annotations={"a": "x" * (256 * 1024)})) == [
        ("metadata.annotations", "FieldValueTooLong", "Too long: may not be more than 262144 bytes")
    ]
    assert errors(cm(name="ok", annotations={"a": "x" * (256 * 1024 - 1)})) == []


def test_finalizers() -> None:
    # The generic (qualified name) check reports on the list, the Kubernetes-specific one on the item.
    found = errors(cm(name="ok", finalizers=["foo", "example.com/ok", "kubernetes", "a b/c"]))
    assert found[0][:2] == ("metadata.finalizers", "FieldValueInvalid")
    assert found[0][2].startswith('Invalid value: "a b/c": prefix part a lowercase RFC 1123 subdomain must consist')
    assert found[1] == (
        "metadata.finalizers[0]",
        "FieldValueInvalid",
        'Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified',
    )
    assert len(found) == 2


def test_owner_references_fields_are_required() -> None:
    ref = {"apiVersion": "", "kind": "", "name": "", "uid": ""}
    assert errors(cm(name="ok", ownerReferences=[ref])) == [
        ("metadata.ownerReferences.apiVersion", "FieldValueInvalid", 'Invalid value: "": version must not be empty'),
        ("metadata.ownerReferences.kind", "FieldValueInvalid", 'Invalid value: "": must not be empty'),
        ("metadata.ownerReferences.name", "FieldValueInvalid", 'Invalid value: "": must not be empty'),
        ("metadata.ownerReferences.uid", "FieldValueInvalid", 'Invalid value: "": must not be empty'),
    ]


def test_owner_references_only_one_controller() -> None:
    refs = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"rs{i}", "uid": f"u{i}", "controller": True}
        for i in range(2)
    ]
    found = errors(cm(name="ok", ownerReferences=refs))
    assert len(found) == 1
    assert found[0][0] == "metadata.ownerReferences"
    assert found[0][1] == "FieldValueInvalid"
    assert "Only one reference can have Controller set to true. Found \"true\" in references for ReplicaSet/rs0 and ReplicaSet/rs1" in found[0][2]


def test_rbac_names_are_path_segments() -> None:
    assert errors({"metadata": {"name": "system:admin"}}, RBAC, "v1", "ClusterRole") == []
    assert errors({"metadata": {"name": "a/b"}}, RBAC, "v1", "ClusterRole") == [
        ("metadata.name", "FieldValueInvalid", "Invalid value: \"a/b\": may not contain '/'")
    ]
    assert errors({"metadata": {"name": ".."}}, RBAC, "v1", "ClusterRole") == [
        ("metadata.name", "FieldValueInvalid", "Invalid value: \"..\": may not be '..'")
    ]


def test_unknown_kinds_get_metadata_validation_only() -> None:
    obj = {"metadata": {"name": "Bad_Name"}, "spec": {"anything": 1}}
    found = errors(obj, "example.com", "v1", "Widget")
    assert found == [("metadata.name", "FieldValueInvalid", f'Invalid value: "Bad_Name": {SUBDOMAIN_MSG}')]
    found = validate({"metadata": {"name": "ok"}}, "example.com", "v1", "Widget", namespaced=True)
    assert [(e.field, e.type) for e in found] == [("metadata.namespace", "FieldValueRequired")]


def base_meta() -> dict:
    return {
        "name": "ok",
        "namespace": "default",
        "uid": "0a1b",
        "resourceVersion": "5",
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "generation": 2,
    }


def test_update_immutable_metadata() -> None:
    old = {"metadata": base_meta(), "data": {"a": "b"}}
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "other"
    new["metadata"]["creationTimestamp"] = "2025-01-01T00:00:00Z"
    found = update_errors(new, old)
    assert ("metadata.uid", "FieldValueInvalid", 'Invalid value: "other": field is immutable') in found
    assert (
        "metadata.creationTimestamp",
        "FieldValueInvalid",
        "Invalid value: 2025-01-01 00:00:00 +0000 UTC: field is immutable",  # a Stringer, printed unquoted
    ) in found


def test_update_name_and_namespace_immutable() -> None:
    old = {"metadata": base_meta()}
    new = copy.deepcopy(old)
    new["metadata"]["name"] = "other"
    new["metadata"]["namespace"] = "kube-system"
    found = update_errors(new, old)
    assert ("metadata.name", "FieldValueInvalid", 'Invalid value: "other": field is immutable') in found
    assert ("metadata.namespace", "FieldValueInvalid", 'Invalid value: "kube-system": field is immutable') in found


def test_update_with_unchanged_metadata_is_valid() -> None:
    old = {"metadata": base_meta(), "data": {"a": "b"}}
    new = copy.deepcopy(old)
    new["data"]["a"] = "c"
    new["metadata"]["labels"] = {"x": "y"}
    assert update_errors(new, old) == []


def test_update_generation_must_not_be_negative() -> None:
    old = {"metadata": base_meta()}
    new = copy.deepcopy(old)
    new["metadata"]["generation"] = -1
    assert ("metadata.generation", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0") in update_errors(new, old)


def test_validate_does_not_mutate_input() -> None:
    obj = cm(name="Bad_Name", labels={"a/b/c": "x"})
    snapshot = copy.deepcopy(obj)
    validate(obj, "", "v1", "ConfigMap")
    assert obj == snapshot
