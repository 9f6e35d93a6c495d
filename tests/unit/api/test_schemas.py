"""Tests for kybernetes.api.schemas: lookups, PatchMeta, unknown fields and pruning."""

from __future__ import annotations

import copy
import time

import pytest

from kybernetes.api import schemas
from kybernetes.api.schemas import definition_for, patch_meta_for, prune, unknown_fields


def deployment(**spec_extra) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                         "resources": {"limits": {"cpu": "1"}}, "env": [{"name": "A", "value": "1"}]},
                    ],
                    "volumes": [{"name": "v", "emptyDir": {}}],
                },
            },
            **spec_extra,
        },
    }


def test_definition_for() -> None:
    name, schema = definition_for("apps", "v1", "Deployment")
    assert name == "io.k8s.api.apps.v1.Deployment"
    assert "spec" in schema["properties"]
    assert definition_for("", "v1", "Pod")[0] == "io.k8s.api.core.v1.Pod"
    assert definition_for("events.k8s.io", "v1", "Event")[0] == "io.k8s.api.events.v1.Event"
    assert definition_for("", "v1", "Event")[0] == "io.k8s.api.core.v1.Event"
    assert definition_for("apps", "v1", "DeploymentList")[0] == "io.k8s.api.apps.v1.DeploymentList"
    assert definition_for("example.com", "v1", "Widget") is None


def _meta(group, version, kind, *path):
    meta = patch_meta_for(group, version, kind)
    for step in path:
        meta = meta.items() if step == "[]" else meta.field(step)
    return meta


@pytest.mark.parametrize(
    "gvk,path,strategy,merge_key,list_type",
    [
        pytest.param(("apps", "v1", "Deployment"), ("spec", "template", "spec", "containers"), "merge", "name",
                     "map", id="containers"),
        pytest.param(("apps", "v1", "Deployment"), ("spec", "template", "spec", "volumes"), "merge,retainKeys",
                     "name", "map", id="volumes"),
        pytest.param(("apps", "v1", "Deployment"), ("metadata", "finalizers"), "merge", "", "set",
                     id="finalizers"),
        pytest.param(("apps", "v1", "Deployment"), ("spec", "template", "spec", "containers", "[]", "ports"),
                     "merge", "containerPort", "map", id="container-ports"),
        pytest.param(("apps", "v1", "Deployment"), ("spec", "template", "spec", "containers", "[]", "env"),
                     "merge", "name", "map", id="env"),
        pytest.param(("apps", "v1", "Deployment"),
                     ("spec", "template", "spec", "containers", "[]", "volumeMounts"), "merge", "mountPath", "map",
                     id="volumeMounts"),
        pytest.param(("apps", "v1", "Deployment"), ("spec", "strategy"), "retainKeys", "", "",
                     id="strategy-retainKeys"),
        pytest.param(("", "v1", "Service"), ("spec", "ports"), "merge", "port", "map", id="service-ports"),
        pytest.param(("", "v1", "Pod"), ("metadata", "ownerReferences"), "merge", "uid", "map",
                     id="ownerReferences"),
        pytest.param(("", "v1", "Node"), ("status", "conditions"), "merge", "type", "map", id="node-conditions"),
        pytest.param(("", "v1", "Pod"), ("spec", "tolerations"), "", "", "atomic", id="tolerations-atomic"),
        pytest.param(("", "v1", "Pod"), ("spec", "nodeName"), "", "", "", id="scalar"),
        pytest.param(("", "v1", "Pod"), ("spec", "nope"), "", "", "", id="unknown-field"),
        pytest.param(("example.com", "v1", "Widget"), ("spec",), "", "", "", id="unknown-kind"),
    ],
)
def test_patch_meta(gvk, path, strategy, merge_key, list_type) -> None:
    meta = _meta(*gvk, *path)
    assert (meta.patch_strategy, meta.patch_merge_key, meta.list_type) == (strategy, merge_key, list_type)


def test_patch_meta_shapes() -> None:
    containers = _meta("apps", "v1", "Deployment", "spec", "template", "spec", "containers")
    assert containers.kind == "array"
    assert containers.list_map_keys == ("name",)
    assert containers.items().kind == "struct"
    assert containers.items().field("image").kind == "scalar"
    labels = _meta("", "v1", "Pod", "metadata", "labels")
    assert labels.kind == "map"
    assert labels.field("anything").kind == "scalar"
    # Map of structs: CRD validation properties -> JSONSchemaProps (recursive).
    props = _meta("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "spec", "versions", "[]", "schema",
                  "openAPIV3Schema", "properties")
    assert props.kind == "map"
    assert props.field("spec").field("properties").field("x").field("type").kind == "scalar"
    # Free-form values know nothing.
    raw = _meta("apps", "v1", "ControllerRevision", "data")
    assert raw.kind == "free" and not raw.is_known
    assert raw.field("x").field("y").items().patch_strategy == ""
    # Non-list positions answer an empty items().
    assert _meta("", "v1", "Pod", "spec").items().kind == "free"


@pytest.mark.parametrize(
    "mutate,expected",
    [
        pytest.param(lambda d: d["spec"].update(foo=1), ["spec.foo"], id="spec"),
        pytest.param(lambda d: d["metadata"].update(bogus=1), ["metadata.bogus"], id="metadata"),
        pytest.param(lambda d: d.update(extra={"a": 1}), ["extra"], id="top-level"),
        pytest.param(lambda d: d["spec"]["template"]["spec"]["containers"][0].update(bar=2),
                     ["spec.template.spec.containers[0].bar"], id="in-list"),
        pytest.param(lambda d: d["spec"]["template"]["spec"]["containers"].append({"name": "x", "baz": 1}),
                     ["spec.template.spec.containers[1].baz"], id="second-item"),
        pytest.param(lambda d: d["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(hostIPx="a"),
                     ["spec.template.spec.containers[0].ports[0].hostIPx"], id="nested-list"),
        pytest.param(lambda d: d["spec"]["template"]["spec"]["volumes"][0]["emptyDir"].update(q=1),
                     ["spec.template.spec.volumes[0].emptyDir.q"], id="volume-source"),
        pytest.param(lambda d: d["metadata"].update(managedFields=[{"manager": "m", "fieldsV1": {"f:x": {}}}]),
                     [], id="fieldsV1-is-free-form"),
        pytest.param(lambda d: d["metadata"]["labels"].update(anything="x"), [], id="map-keys-are-data"),
        pytest.param(lambda d: d["spec"].update(replicas=None), [], id="null-known"),
        pytest.param(lambda d: None, [], id="clean"),
    ],
)
def test_unknown_fields_deployment(mutate, expected) -> None:
    obj = deployment()
    mutate(obj)
    before = copy.deepcopy(obj)
    assert unknown_fields(obj, "apps", "v1", "Deployment") == expected
    assert obj == before  # not mutated


def test_unknown_fields_several_in_document_order() -> None:
    obj = deployment(zzz=1)
    obj["aaa"] = 1
    obj["metadata"]["mmm"] = 1
    assert unknown_fields(obj, "apps", "v1", "Deployment") == ["metadata.mmm", "spec.zzz", "aaa"]


def test_unknown_fields_free_form_and_maps_of_structs() -> None:
    revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"}, "revision": 1,
                "data": {"spec": {"anything": {"goes": [1, 2]}}}}
    assert unknown_fields(revision, "apps", "v1", "ControllerRevision") == []
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "w"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "subresources": {"status": {"oops": 1}},
                               "schema": {"openAPIV3Schema": {
                                   "type": "object",
                                   "properties": {"spec": {"type": "object", "default": {"free": {"x": 1}},
                                                           "bogus": True}}}}}]},
    }
    assert unknown_fields(crd, "apiextensions.k8s.io", "v1", "CustomResourceDefinition") == [
        "spec.versions[0].subresources.status.oops",  # an empty struct is not free-form
        "spec.versions[0].schema.openAPIV3Schema.properties.spec.bogus",
    ]


def test_unknown_fields_of_unknown_kind_and_odd_values() -> None:
    assert unknown_fields({"spec": {"x": 1}}, "example.com", "v1", "Widget") == []
    # Type mismatches are validation's business, not this walker's.
    assert unknown_fields({"spec": "oops", "metadata": []}, "apps", "v1", "Deployment") == []


def test_prune_removes_exactly_the_unknown_fields() -> None:
    obj = deployment(foo=1)
    obj["spec"]["template"]["spec"]["containers"][0]["bar"] = 2
    obj["metadata"]["managedFields"] = [{"manager": "m", "fieldsV1": {"f:spec": {}}}]
    expected = deployment()
    expected["metadata"]["managedFields"] = [{"manager": "m", "fieldsV1": {"f:spec": {}}}]
    result = prune(obj, "apps", "v1", "Deployment")
    assert result is obj
    assert obj == expected
    assert unknown_fields(obj, "apps", "v1", "Deployment") == []
    widget = {"spec": {"x": 1}}
    assert prune(widget, "example.com", "v1", "Widget") == {"spec": {"x": 1}}


def test_lists_are_checked_too() -> None:
    lst = {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "1", "bad": 1},
           "items": [{"metadata": {"name": "a"}, "spec": {"containers": [], "nope": 1}}]}
    assert unknown_fields(lst, "", "v1", "PodList") == ["metadata.bad", "items[0].spec.nope"]


def test_unknown_fields_is_fast() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {f"l{i}": "v" for i in range(20)}},
           "spec": {"containers": [
               {"name": f"c{i}", "image": "busybox", "command": ["sh", "-c", "sleep 1"],
                "env": [{"name": f"E{j}", "value": "x"} for j in range(20)],
                "ports": [{"containerPort": 80 + j, "protocol": "TCP"} for j in range(5)],
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                "volumeMounts": [{"name": "v", "mountPath": f"/m{j}"} for j in range(5)],
                "securityContext": {"runAsUser": 1000, "capabilities": {"add": ["NET_ADMIN"]}}}
               for i in range(5)],
               "volumes": [{"name": "v", "configMap": {"name": "cm", "items": [{"key": "a", "path": "a"}]}}]},
           "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    unknown_fields(pod, "", "v1", "Pod")  # compile
    start = time.perf_counter()
    for _ in range(200):
        assert unknown_fields(pod, "", "v1", "Pod") == []
    per_call = (time.perf_counter() - start) / 200
    assert per_call < 0.002, per_call


def test_every_kind_compiles() -> None:
    for group, version, kind in schemas.iter_gvks():
        meta = patch_meta_for(group, version, kind)
        assert meta.kind in ("struct", "free"), (group, version, kind)
