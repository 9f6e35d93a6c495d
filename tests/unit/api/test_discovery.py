"""Tests for kybernetes.api.discovery: aggregated and legacy discovery documents."""

from __future__ import annotations

import pytest

from kybernetes.api.catalogue import Catalogue, ResourceInfo, builtin_catalogue
from kybernetes.api.discovery import (
    AGGREGATED_CONTENT_TYPE,
    aggregated_discovery,
    api_group,
    api_group_list,
    api_resource_list,
    api_versions,
)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return builtin_catalogue()


def resource(items: list[dict], group: str, version: str, name: str) -> dict:
    for item in items:
        if item["metadata"].get("name", "") == group:
            for v in item["versions"]:
                if v["version"] == version:
                    for r in v["resources"]:
                        if r["resource"] == name:
                            return r
    raise AssertionError((group, version, name))


def test_content_type() -> None:
    assert AGGREGATED_CONTENT_TYPE == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def test_aggregated_core(cat: Catalogue) -> None:
    doc = aggregated_discovery(cat, legacy_core=True)
    assert doc["kind"] == "APIGroupDiscoveryList"
    assert doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    assert doc["metadata"] == {}
    assert len(doc["items"]) == 1
    core = doc["items"][0]
    assert core["metadata"] == {"creationTimestamp": None}
    assert [v["version"] for v in core["versions"]] == ["v1"]
    assert core["versions"][0]["freshness"] == "Current"
    pods = resource(doc["items"], "", "v1", "pods")
    assert pods["responseKind"] == {"group": "", "kind": "Pod", "version": ""}
    assert pods["scope"] == "Namespaced"
    assert pods["singularResource"] == "pod"
    assert pods["verbs"] == ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    assert pods["shortNames"] == ["po"]
    assert pods["categories"] == ["all"]
    subs = {s["subresource"]: s for s in pods["subresources"]}
    assert subs["eviction"] == {"responseKind": {"group": "policy", "kind": "Eviction", "version": "v1"},
                                "subresource": "eviction", "verbs": ["create"]}
    assert subs["exec"]["responseKind"] == {"group": "", "kind": "PodExecOptions", "version": ""}
    assert subs["status"]["verbs"] == ["get", "patch", "update"]
    nodes = resource(doc["items"], "", "v1", "nodes")
    assert nodes["scope"] == "Cluster"
    secrets = resource(doc["items"], "", "v1", "secrets")
    assert "shortNames" not in secrets and "categories" not in secrets and "subresources" not in secrets


def test_aggregated_named_groups(cat: Catalogue) -> None:
    doc = aggregated_discovery(cat, legacy_core=False)
    names = [item["metadata"]["name"] for item in doc["items"]]
    assert names[:3] == ["apiregistration.k8s.io", "apps", "events.k8s.io"]
    assert "" not in names and len(names) == 19
    autoscaling = next(i for i in doc["items"] if i["metadata"]["name"] == "autoscaling")
    assert [v["version"] for v in autoscaling["versions"]] == ["v2", "v1"]
    deploy = resource(doc["items"], "apps", "v1", "deployments")
    assert deploy["responseKind"] == {"group": "", "kind": "Deployment", "version": ""}
    assert deploy["subresources"][0] == {
        "responseKind": {"group": "autoscaling", "kind": "Scale", "version": "v1"},
        "subresource": "scale", "verbs": ["get", "patch", "update"]}
    crds = resource(doc["items"], "apiextensions.k8s.io", "v1", "customresourcedefinitions")
    assert crds["shortNames"] == ["crd", "crds"] and crds["categories"] == ["api-extensions"]
    assert resource(doc["items"], "authentication.k8s.io", "v1", "tokenreviews")["verbs"] == ["create"]


def test_api_versions() -> None:
    assert api_versions("10.0.0.1:6443") == {
        "kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}]}


def test_api_group_list(cat: Catalogue) -> None:
    doc = api_group_list(cat)
    assert doc["kind"] == "APIGroupList" and doc["apiVersion"] == "v1"
    assert doc["groups"][0] == {
        "name": "apiregistration.k8s.io",
        "versions": [{"groupVersion": "apiregistration.k8s.io/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apiregistration.k8s.io/v1", "version": "v1"},
    }
    autoscaling = next(g for g in doc["groups"] if g["name"] == "autoscaling")
    assert [v["version"] for v in autoscaling["versions"]] == ["v2", "v1"]
    assert autoscaling["preferredVersion"]["version"] == "v2"
    assert all(g["name"] for g in doc["groups"])


def test_api_group(cat: Catalogue) -> None:
    assert api_group(cat, "apps") == {
        "kind": "APIGroup", "apiVersion": "v1", "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}
    assert api_group(cat, "nope") is None
    assert api_group(cat, "") is None


def test_api_resource_list_core(cat: Catalogue) -> None:
    doc = api_resource_list(cat, "", "v1")
    assert list(doc) == ["kind", "groupVersion", "resources"]  # upstream's /api/v1 has no apiVersion
    assert doc["groupVersion"] == "v1"
    names = [r["name"] for r in doc["resources"]]
    assert names == sorted(names)
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["pods/eviction"] == {"name": "pods/eviction", "singularName": "", "namespaced": True,
                                        "group": "policy", "version": "v1", "kind": "Eviction",
                                        "verbs": ["create"]}
    assert by_name["pods/log"] == {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                                   "verbs": ["get"]}
    assert by_name["namespaces/finalize"]["verbs"] == ["update"]
    assert by_name["configmaps"] == {
        "name": "configmaps", "singularName": "configmap", "namespaced": True, "kind": "ConfigMap",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["cm"], "storageVersionHash": "qFsyl6wFWjQ="}
    assert "storageVersionHash" not in by_name["bindings"]
    assert "storageVersionHash" not in by_name["componentstatuses"]
    assert by_name["serviceaccounts/token"]["group"] == "authentication.k8s.io"
    assert {"pods/attach", "pods/exec", "pods/portforward", "pods/status", "pods/log"} <= set(by_name)


def test_api_resource_list_named(cat: Catalogue) -> None:
    doc = api_resource_list(cat, "apps", "v1")
    assert doc["apiVersion"] == "v1" and doc["groupVersion"] == "apps/v1"
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["deployments/scale"]["group"] == "autoscaling"
    assert by_name["deployments/scale"]["kind"] == "Scale"
    assert "group" not in by_name["deployments/status"]
    assert by_name["deployments"]["storageVersionHash"] == "8aSe+NMegvE="
    assert by_name["deployments"]["categories"] == ["all"]
    assert api_resource_list(cat, "apps", "v2") is None
    assert api_resource_list(cat, "nope", "v1") is None


def test_custom_resource_shows_up() -> None:
    cat = builtin_catalogue()
    cat.add(ResourceInfo(group="example.com", version="v1", kind="Widget", plural="widgets", singular="widget",
                         namespaced=True, verbs=("get", "list"), short_names=("wd",)))
    doc = aggregated_discovery(cat, legacy_core=False)
    assert doc["items"][-1]["metadata"]["name"] == "example.com"
    assert resource(doc["items"], "example.com", "v1", "widgets")["shortNames"] == ["wd"]
    assert api_group_list(cat)["groups"][-1]["name"] == "example.com"
