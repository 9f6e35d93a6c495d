"""Server-side apply: merging, pruning, ownership and conflicts, table-driven over Deployment/ConfigMap shapes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kybernetes.machinery.apply import (
    ApplyConflict,
    ApplyError,
    Conflict,
    apply,
    build_last_applied,
    conflict_error_message,
    merge,
    remove_items,
)
from kybernetes.machinery.errors import StatusError
from kybernetes.machinery.fieldpath import FieldSet, PathElement, parse_fields_v1, path_string
from kybernetes.machinery.managedfields import LAST_APPLIED_ANNOTATION, manager_identifier, update_managed_fields
from tests.unit.machinery.test_fieldpath import configmap_schema, deployment_schema

T0, T1, T2 = "2024-05-01T10:00:00Z", "2024-05-01T10:05:00Z", "2024-05-01T10:10:00Z"
DEPLOY = deployment_schema()
CM = configmap_schema()


def deployment(replicas: int | None = 2, containers: list[dict] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers if containers is not None else [{"name": "nginx",
                                                                                   "image": "nginx:1.27"}]},
            },
            **spec,
        },
    }
    if replicas is not None:
        body["spec"]["replicas"] = replicas
    return body


def configmap(data: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default", **meta},
            "data": data if data is not None else {}}


def ssa(live: dict | None, applied: dict, manager: str, *, force: bool = False, now: str = T0,
        schema: Any = DEPLOY, **kw: Any) -> dict[str, Any]:
    version = applied["apiVersion"]
    return apply(live, applied, manager=manager, api_version=version, force=force, schema=schema, now=now, **kw)


def entries(obj: dict) -> dict[str, dict]:
    """managedFields by manager name (each test uses distinct names)."""
    return {e["manager"]: e for e in obj["metadata"].get("managedFields", [])}


def owned(obj: dict, manager: str) -> list[str]:
    return [path_string(p) for p in parse_fields_v1(entries(obj)[manager]["fieldsV1"]).paths()]


def containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


# ---------------------------------------------------------------------------------------------------------------
# Create, re-apply, prune
# ---------------------------------------------------------------------------------------------------------------


def test_apply_create_records_the_apply_entry() -> None:
    out = ssa(None, deployment(), "kubectl")
    assert out["spec"]["replicas"] == 2 and containers(out) == [{"name": "nginx", "image": "nginx:1.27"}]
    assert out["metadata"]["managedFields"] == [{
        "manager": "kubectl",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": T0,
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {'k:{"name":"nginx"}': {"f:image": {}, "f:name": {}, ".": {}}}},
                },
            },
        },
    }]
    # Metadata nobody owns (name, namespace) and apiVersion/kind are stripped.
    assert list(out["metadata"]["managedFields"][0]) == ["manager", "operation", "apiVersion", "time", "fieldsType",
                                                         "fieldsV1"]


def test_reapply_without_a_field_removes_it() -> None:
    first = deployment(containers=[{"name": "nginx", "image": "nginx:1.27"}, {"name": "sidecar", "image": "busybox"}],
                       paused=False)
    live = ssa(None, first, "kubectl")
    live["metadata"]["labels"] = {"team": "x"}  # something unrelated that nobody applied
    second = deployment(replicas=None, containers=[{"name": "nginx", "image": "nginx:1.27"}])
    out = ssa(live, second, "kubectl", now=T1)
    assert "replicas" not in out["spec"] and "paused" not in out["spec"]
    assert [c["name"] for c in containers(out)] == ["nginx"]
    assert out["metadata"]["labels"] == {"team": "x"}
    assert ".spec.replicas" not in owned(out, "kubectl")
    assert entries(out)["kubectl"]["time"] == T1


def test_reapply_keeps_fields_other_managers_own() -> None:
    live = ssa(None, configmap({"a": "1", "b": "2"}), "one", schema=CM)
    live = ssa(live, configmap({"b": "2"}), "two", schema=CM, now=T1)         # shares b
    live = update_managed_fields(live, {**live, "data": {**live["data"], "c": "3"}}, manager="editor",
                                 api_version="v1", schema=CM, now=T1)          # owns c via Update
    out = ssa(live, configmap({"c": "3"}), "one", schema=CM, now=T2)            # drops a and b, now claims c
    assert out["data"] == {"b": "2", "c": "3"}
    assert owned(out, "one") == [".data.c"] and owned(out, "two") == [".data.b"]


def test_removing_the_last_map_key_drops_the_map() -> None:
    live = ssa(None, configmap({"a": "1"}, labels={"app": "x"}), "one", schema=CM)
    out = ssa(live, configmap({"a": "1"}), "one", schema=CM, now=T1)
    assert "labels" not in out["metadata"]


def test_applying_the_same_config_changes_nothing() -> None:
    live = ssa(None, deployment(), "kubectl")
    out = ssa(live, deployment(), "kubectl", now=T1)
    assert out == live


# ---------------------------------------------------------------------------------------------------------------
# Conflicts, force, shared ownership
# ---------------------------------------------------------------------------------------------------------------


def test_two_appliers_conflict() -> None:
    live = ssa(None, deployment(replicas=1), "alice")
    with pytest.raises(ApplyConflict) as info:
        ssa(live, deployment(replicas=3), "bob", now=T1)
    err = info.value
    assert str(err) == 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas'
    assert err.conflicts == [("alice", ".spec.replicas")]
    assert err.status_error().status() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas',
        "reason": "Conflict",
        "details": {"causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "alice"',
                                "field": ".spec.replicas"}]},
        "code": 409,
    }


def test_conflict_with_an_update_manager_names_its_version() -> None:
    created = update_managed_fields(None, deployment(replicas=1), manager="kubectl-client-side-apply",
                                    api_version="apps/v1", schema=DEPLOY, now=T0)
    with pytest.raises(ApplyConflict) as info:
        ssa(created, deployment(replicas=3), "helm", now=T1)
    assert str(info.value) == ('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
                               ".spec.replicas")
    assert info.value.causes() == [{"reason": "FieldManagerConflict",
                                    "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
                                    "field": ".spec.replicas"}]


def test_several_conflicts_are_grouped_by_manager() -> None:
    live = ssa(None, deployment(replicas=1, paused=False), "alice")
    live = ssa(live, configmap_free_deployment_image("nginx:1.27"), "bob", now=T1)
    with pytest.raises(ApplyConflict) as info:
        ssa(live, deployment(replicas=3, paused=True, containers=[{"name": "nginx", "image": "nginx:2"}]), "carol",
            now=T2)
    assert str(info.value) == (
        "Apply failed with 4 conflicts: conflicts with \"alice\":\n"
        "- .spec.paused\n- .spec.replicas\n"
        "- .spec.template.spec.containers[name=\"nginx\"].image\n"
        "conflicts with \"bob\":\n- .spec.template.spec.containers[name=\"nginx\"].image")


def configmap_free_deployment_image(image: str) -> dict[str, Any]:
    """A minimal apply that only sets the nginx image."""
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}


def test_force_takes_ownership() -> None:
    live = ssa(None, deployment(replicas=1), "alice")
    live = ssa(live, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                      "spec": {"paused": True}}, "scaler-owner", now=T1)
    out = ssa(live, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                     "spec": {"replicas": 5, "paused": False}}, "bob", force=True, now=T2)
    assert out["spec"]["replicas"] == 5 and out["spec"]["paused"] is False
    assert ".spec.replicas" not in owned(out, "alice")
    assert "scaler-owner" not in entries(out)            # its only field was taken: the entry goes away
    assert owned(out, "bob") == [".spec.paused", ".spec.replicas"]


def test_same_value_is_shared_without_conflict() -> None:
    live = ssa(None, deployment(replicas=1), "alice")
    out = ssa(live, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                     "spec": {"replicas": 1}}, "bob", now=T1)
    assert ".spec.replicas" in owned(out, "alice") and owned(out, "bob") == [".spec.replicas"]
    # The object did not change, so (as upstream) bob's entry carries no time.
    assert "time" not in entries(out)["bob"]
    assert {k: v for k, v in out.items() if k != "metadata"} == {k: v for k, v in live.items() if k != "metadata"}


# ---------------------------------------------------------------------------------------------------------------
# Lists and maps per schema
# ---------------------------------------------------------------------------------------------------------------


def test_containers_merge_by_name() -> None:
    live = ssa(None, deployment(containers=[{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]), "one")
    out = ssa(live, configmap_free_deployment_image("2") | {
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "2"}, {"name": "a", "args": ["x"]}]}}}},
        "two", now=T1)
    # Items the config names follow the config's order; the others keep their place after them.
    assert containers(out) == [{"name": "c", "image": "2"}, {"name": "a", "image": "1", "args": ["x"]},
                               {"name": "b", "image": "1"}]
    assert owned(out, "two") == ['.spec.template.spec.containers[name="a"]', '.spec.template.spec.containers[name="c"]',
                                 '.spec.template.spec.containers[name="a"].args',
                                 '.spec.template.spec.containers[name="a"].name',
                                 '.spec.template.spec.containers[name="c"].image',
                                 '.spec.template.spec.containers[name="c"].name']


def test_ports_merge_by_container_port_and_protocol() -> None:
    ports = [{"containerPort": 80}, {"containerPort": 443, "protocol": "TCP"}]
    live = ssa(None, deployment(containers=[{"name": "web", "ports": ports}]), "one")
    applied = deployment(replicas=None, containers=[{"name": "web", "ports": [
        {"containerPort": 80, "protocol": "UDP"}, {"containerPort": 80, "name": "http"}]}])
    del applied["spec"]["selector"], applied["spec"]["template"]["metadata"]
    out = ssa(live, applied, "two", now=T1)
    # {containerPort: 80} without protocol is the TCP item (the key's default): it merges with the live one.
    assert containers(out)[0]["ports"] == [{"containerPort": 80, "protocol": "UDP"},
                                           {"containerPort": 80, "name": "http"},
                                           {"containerPort": 443, "protocol": "TCP"}]
    fields = entries(out)["two"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert list(fields["f:ports"]) == ['k:{"containerPort":80,"protocol":"TCP"}',
                                       'k:{"containerPort":80,"protocol":"UDP"}']


def test_set_lists_merge_by_value() -> None:
    live = ssa(None, configmap(finalizers=["a", "b"]), "one", schema=CM)
    out = ssa(live, configmap(finalizers=["c", "a"]), "two", schema=CM, now=T1)
    assert out["metadata"]["finalizers"] == ["c", "a", "b"]
    out = ssa(out, configmap(finalizers=["a"]), "one", schema=CM, now=T2)  # one drops b
    assert out["metadata"]["finalizers"] == ["c", "a"]
    assert owned(out, "one") == ['.metadata.finalizers[="a"]']


@pytest.mark.parametrize(("field", "live_value", "applied_value"), [
    ("nodeSelector", {"disk": "ssd"}, {"zone": "a"}),                 # x-kubernetes-map-type: atomic
    ("tolerations", [{"key": "a"}, {"key": "b"}], [{"key": "c"}]),    # x-kubernetes-list-type: atomic
])
def test_atomic_values_are_replaced_whole(field: str, live_value: Any, applied_value: Any) -> None:
    live = ssa(None, deployment(), "one")
    live["spec"]["template"]["spec"][field] = live_value
    applied = deployment()
    applied["spec"]["template"]["spec"][field] = applied_value
    out = ssa(live, applied, "one", now=T1)
    assert out["spec"]["template"]["spec"][field] == applied_value
    assert f".spec.template.spec.{field}" in owned(out, "one")


def test_atomic_list_in_item_is_replaced() -> None:
    live = ssa(None, deployment(containers=[{"name": "c", "args": ["a", "b"]}]), "one")
    out = ssa(live, deployment(containers=[{"name": "c", "args": ["z"]}]), "two", force=True, now=T1)
    assert containers(out) == [{"name": "c", "args": ["z"]}]


# ---------------------------------------------------------------------------------------------------------------
# Client-side apply compatibility (manager "kubectl")
# ---------------------------------------------------------------------------------------------------------------


def csa_created(config: dict[str, Any]) -> dict[str, Any]:
    """An object as ``kubectl apply`` (client-side) creates it: annotation + a kubectl-client-side-apply entry."""
    obj = copy.deepcopy(config)
    obj["metadata"]["annotations"] = {LAST_APPLIED_ANNOTATION: build_last_applied(config)}
    return update_managed_fields(None, obj, manager="kubectl-client-side-apply", api_version="apps/v1",
                                 schema=DEPLOY, now=T0)


def test_kubectl_server_side_over_client_side_apply_does_not_conflict() -> None:
    live = csa_created(deployment(replicas=1))
    applied = deployment(replicas=3)
    out = ssa(live, applied, "kubectl", now=T1)
    assert out["spec"]["replicas"] == 3
    assert ".spec.replicas" in owned(out, "kubectl")
    assert ".spec.replicas" not in owned(out, "kubectl-client-side-apply")
    # The annotation now tracks the server-side applied configuration.
    annotation = out["metadata"]["annotations"][LAST_APPLIED_ANNOTATION]
    assert annotation.endswith("\n") and json.loads(annotation) == applied


def test_client_side_fields_changed_since_do_conflict() -> None:
    live = csa_created(deployment(replicas=1))
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 5
    live = update_managed_fields(live, scaled, manager="kubectl", api_version="apps/v1", schema=DEPLOY, now=T1)
    with pytest.raises(ApplyConflict) as info:
        ssa(live, deployment(replicas=3), "kubectl", now=T2)
    assert str(info.value) == 'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas'


def test_other_managers_get_no_client_side_allowance() -> None:
    live = csa_created(deployment(replicas=1))
    with pytest.raises(ApplyConflict):
        ssa(live, deployment(replicas=3), "helm", now=T1)


def test_build_last_applied() -> None:
    applied = configmap({"b": "<1>"}, annotations={LAST_APPLIED_ANNOTATION: "old", "x": "y"})
    assert build_last_applied(applied) == (
        '{"apiVersion":"v1","data":{"b":"\\u003c1\\u003e"},"kind":"ConfigMap",'
        '"metadata":{"annotations":{"x":"y"},"name":"cfg","namespace":"default"}}\n')


# ---------------------------------------------------------------------------------------------------------------
# Errors and reset fields
# ---------------------------------------------------------------------------------------------------------------


def test_wrong_version_is_a_bad_request() -> None:
    with pytest.raises(StatusError) as info:
        apply(None, deployment(), manager="m", api_version="apps/v1beta2", force=False, schema=DEPLOY, now=T0)
    assert info.value.code == 400
    assert info.value.message == ("Incorrect version specified in apply patch. Specified patch version: apps/v1, "
                                  "expected: apps/v1beta2")


@pytest.mark.parametrize(("applied", "message"), [
    (deployment() | {"kind": "StatefulSet"}, "invalid object type: apps/v1, Kind=StatefulSet"),
    (deployment() | {"apiVersion": "v1"}, "invalid object type: /v1, Kind=Deployment"),
])
def test_wrong_kind_is_a_bad_request(applied: dict, message: str) -> None:
    with pytest.raises(StatusError) as info:
        apply(None, applied, manager="m", api_version="apps/v1", force=False, schema=DEPLOY, now=T0,
              kind="Deployment")
    assert (info.value.code, info.value.message) == (400, message)
    assert apply(None, deployment(), manager="m", api_version="apps/v1", force=False, schema=DEPLOY, now=T0,
                 kind="Deployment")["spec"]["replicas"] == 2


def test_managed_fields_in_the_patch_are_a_bad_request() -> None:
    body = configmap({"a": "1"}, managedFields=[])
    with pytest.raises(StatusError, match="^metadata.managedFields must be nil$"):
        ssa(None, body, "m", schema=CM)
    ssa(None, configmap({"a": "1"}, managedFields=None), "m", schema=CM)  # null is fine


@pytest.mark.parametrize(("live", "applied", "message"), [
    (None, deployment(containers=[{"image": "x"}]),
     "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: "
     "element 0: associative list with keys has an element that omits key field \"name\" "
     "(and doesn't have default value)"),
    (None, deployment(containers=[{"name": "a"}, {"name": "a"}]),
     'failed to merge config: .spec.template.spec.containers: duplicate entries for key [name="a"]'),
    (deployment(containers=[{"image": "x"}]), deployment(),
     "failed to create typed live object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: "
     "element 0: associative list with keys has an element that omits key field \"name\" "
     "(and doesn't have default value)"),
])
def test_objects_that_do_not_fit_the_schema(live: dict | None, applied: dict, message: str) -> None:
    with pytest.raises(ApplyError) as info:
        ssa(live, applied, "m")
    assert str(info.value) == message
    assert info.value.status_error().code == 500


def test_core_group_description() -> None:
    bad = configmap({"a": "1"}, finalizers=[{"x": 1}])
    with pytest.raises(ApplyError, match=r"^failed to create typed patch object \(default/cfg; /v1, Kind=ConfigMap\)"):
        ssa(None, bad, "m", schema=CM)


def test_ignored_fields_are_not_owned() -> None:
    status = FieldSet([(PathElement.field("status"),)])
    applied = deployment() | {"status": {"replicas": 9}}
    out = ssa(None, applied, "m", ignored=status)
    assert not any(p.startswith(".status") for p in owned(out, "m"))
    again = ssa(out, deployment() | {"status": {"replicas": 10}}, "m", ignored=status, now=T1)
    assert entries(again)["m"]["time"] == T0  # only an ignored field changed: nothing happened


# ---------------------------------------------------------------------------------------------------------------
# The building blocks
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("live", "config", "expected"), [
    (["a", "b", "c"], ["c", "b"], ["a", "c", "b"]),
    (["a", "b"], ["b", "a"], ["b", "a"]),
    (["a", "b"], ["c"], ["a", "b", "c"]),
    (["a", "x", "b"], ["b", "y", "a"], ["x", "b", "y", "a"]),
    ([], ["a"], ["a"]),
], ids=["reorder-tail", "swap", "append", "interleave", "from-empty"])
def test_merge_list_order(live: list[str], config: list[str], expected: list[str]) -> None:
    schema = deployment_schema()
    as_obj = lambda names: {"spec": {"template": {"spec": {"containers": [{"name": n} for n in names]}}}}  # noqa: E731
    merged = merge(as_obj(live), as_obj(config), schema)
    assert [c["name"] for c in containers(merged)] == expected


def test_merge_keeps_empty_and_null() -> None:
    assert merge({"data": {"a": "1"}}, {"data": {}, "binaryData": None}, CM) == {"data": {"a": "1"},
                                                                                 "binaryData": None}
    assert merge({"metadata": {"labels": {}}}, {"metadata": {"labels": {}}}, CM) == {"metadata": {"labels": {}}}
    assert merge(None, {"data": {"a": "1"}}, CM) == {"data": {"a": "1"}}


def test_remove_items() -> None:
    obj = {"metadata": {"labels": {"a": "1"}, "finalizers": ["x", "y"]}, "data": {"k": "v"}}
    fs = FieldSet([(PathElement.field("metadata"), PathElement.field("labels"), PathElement.field("a")),
                   (PathElement.field("metadata"), PathElement.field("finalizers"), PathElement.of_value("x"))])
    assert remove_items(obj, fs, CM) == {"metadata": {"finalizers": ["y"]}, "data": {"k": "v"}}
    assert obj["metadata"]["labels"] == {"a": "1"}  # input untouched


def test_conflict_error_message_accepts_tuples() -> None:
    ident = manager_identifier("kubectl-client-side-apply", "Update", "apps/v1")
    assert conflict_error_message("Deployment", "web", [(ident, ".spec.replicas")]) == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas')
    status = Conflict(manager_identifier("ctrl", "Update", "v1", "status"), ".status.x")
    assert status.describe_manager() == '"ctrl" with subresource "status" using v1'
    assert Conflict("plain", ".a").describe_manager() == '"plain"'
