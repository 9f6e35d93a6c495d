"""Tests for kybernetes.api.catalogue: the built-in 1.32 resources and catalogue mechanics."""

from __future__ import annotations

import collections

import pytest

from kybernetes.api.catalogue import (
    Catalogue,
    ResourceInfo,
    SubresourceInfo,
    builtin_catalogue,
    version_priority_key,
)
from kybernetes.api.schemas import definition_for

FULL = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return builtin_catalogue()


EXPECTED_COUNTS = {
    ("", "v1"): 17,
    ("apiregistration.k8s.io", "v1"): 1,
    ("apps", "v1"): 5,
    ("events.k8s.io", "v1"): 1,
    ("authentication.k8s.io", "v1"): 2,
    ("authorization.k8s.io", "v1"): 4,
    ("autoscaling", "v2"): 1,
    ("autoscaling", "v1"): 1,
    ("batch", "v1"): 2,
    ("certificates.k8s.io", "v1"): 1,
    ("networking.k8s.io", "v1"): 3,
    ("policy", "v1"): 1,
    ("rbac.authorization.k8s.io", "v1"): 4,
    ("storage.k8s.io", "v1"): 5,
    ("admissionregistration.k8s.io", "v1"): 4,
    ("apiextensions.k8s.io", "v1"): 1,
    ("scheduling.k8s.io", "v1"): 1,
    ("coordination.k8s.io", "v1"): 1,
    ("node.k8s.io", "v1"): 1,
    ("discovery.k8s.io", "v1"): 1,
    ("flowcontrol.apiserver.k8s.io", "v1"): 2,
}


def test_counts_per_group_version(cat: Catalogue) -> None:
    counts = collections.Counter((r.group, r.version) for r in cat.resources())
    assert dict(counts) == EXPECTED_COUNTS
    assert len(cat.resources()) == 59


def test_core_resources_are_the_upstream_set(cat: Catalogue) -> None:
    plurals = [r.plural for r in cat.resources_for("", "v1")]
    assert plurals == [
        "bindings", "componentstatuses", "configmaps", "endpoints", "events", "limitranges", "namespaces",
        "nodes", "persistentvolumeclaims", "persistentvolumes", "pods", "podtemplates", "replicationcontrollers",
        "resourcequotas", "secrets", "serviceaccounts", "services",
    ]


def test_groups_in_upstream_order_with_preferred_version_first(cat: Catalogue) -> None:
    groups = cat.groups()
    assert groups[0] == ("", ["v1"])
    assert [g for g, _ in groups[1:4]] == ["apiregistration.k8s.io", "apps", "events.k8s.io"]
    assert dict(groups)["autoscaling"] == ["v2", "v1"]
    assert groups[-1][0] == "flowcontrol.apiserver.k8s.io"
    assert cat.preferred_version("autoscaling") == "v2"
    assert cat.preferred_version("nope") is None


@pytest.mark.parametrize(
    "group,version,plural,verbs,short,cats",
    [
        pytest.param("", "v1", "pods", FULL, ("po",), ("all",), id="pods"),
        pytest.param("", "v1", "services", ("create", "delete", "get", "list", "patch", "update", "watch"),
                     ("svc",), ("all",), id="services-no-deletecollection"),
        pytest.param("", "v1", "namespaces", ("create", "delete", "get", "list", "patch", "update", "watch"),
                     ("ns",), (), id="namespaces"),
        pytest.param("", "v1", "bindings", ("create",), (), (), id="bindings"),
        pytest.param("", "v1", "componentstatuses", ("get", "list"), ("cs",), (), id="componentstatuses"),
        pytest.param("", "v1", "events", FULL, ("ev",), (), id="core-events"),
        pytest.param("events.k8s.io", "v1", "events", FULL, ("ev",), (), id="events.k8s.io-events"),
        pytest.param("apps", "v1", "deployments", FULL, ("deploy",), ("all",), id="deployments"),
        pytest.param("batch", "v1", "jobs", FULL, (), ("all",), id="jobs"),
        pytest.param("apiextensions.k8s.io", "v1", "customresourcedefinitions", FULL, ("crd", "crds"),
                     ("api-extensions",), id="crds"),
        pytest.param("authentication.k8s.io", "v1", "tokenreviews", ("create",), (), (), id="tokenreviews"),
        pytest.param("authorization.k8s.io", "v1", "localsubjectaccessreviews", ("create",), (), (),
                     id="localsubjectaccessreviews"),
        pytest.param("networking.k8s.io", "v1", "networkpolicies", FULL, ("netpol",), (), id="netpol"),
        pytest.param("autoscaling", "v1", "horizontalpodautoscalers", FULL, ("hpa",), ("all",), id="hpa-v1"),
    ],
)
def test_spot_checks(cat: Catalogue, group, version, plural, verbs, short, cats) -> None:
    info = cat.lookup(group, version, plural)
    assert info is not None
    assert info.verbs == verbs
    assert info.short_names == short
    assert info.categories == cats


def test_pod_subresources(cat: Catalogue) -> None:
    pods = cat.lookup("", "v1", "pods")
    assert [s.name for s in pods.subresources] == [
        "attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "status"]
    assert pods.subresource("eviction") == SubresourceInfo("eviction", "policy", "v1", "Eviction", ("create",))
    assert pods.subresource("exec").kind == "PodExecOptions"
    assert pods.subresource("exec").verbs == ("create", "get")
    assert pods.subresource("log") == SubresourceInfo("log", "", "v1", "Pod", ("get",))
    assert pods.subresource("resize") is None  # alpha in 1.32


@pytest.mark.parametrize("group,plural", [("apps", "deployments"), ("apps", "replicasets"),
                                          ("apps", "statefulsets"), ("", "replicationcontrollers")])
def test_scale_subresources_answer_autoscaling_v1_scale(cat: Catalogue, group, plural) -> None:
    scale = cat.lookup(group, "v1", plural).subresource("scale")
    assert (scale.group, scale.version, scale.kind, scale.verbs) == ("autoscaling", "v1", "Scale",
                                                                     ("get", "patch", "update"))


def test_other_subresources(cat: Catalogue) -> None:
    token = cat.lookup("", "v1", "serviceaccounts").subresource("token")
    assert (token.group, token.kind, token.verbs) == ("authentication.k8s.io", "TokenRequest", ("create",))
    assert cat.lookup("", "v1", "namespaces").subresource("finalize").verbs == ("update",)
    assert [s.name for s in cat.lookup("certificates.k8s.io", "v1", "certificatesigningrequests").subresources] \
        == ["approval", "status"]
    assert cat.lookup("networking.k8s.io", "v1", "networkpolicies").subresources == ()
    assert cat.lookup("apps", "v1", "daemonsets").subresource("scale") is None


def test_shared_storage(cat: Catalogue) -> None:
    ev = cat.lookup("events.k8s.io", "v1", "events")
    assert (ev.storage_group, ev.storage_version, ev.storage_resource) == ("", "v1", "events")
    hpa1 = cat.lookup("autoscaling", "v1", "horizontalpodautoscalers")
    assert (hpa1.storage_group, hpa1.storage_version) == ("autoscaling", "v2")
    deploy = cat.lookup("apps", "v1", "deployments")
    assert (deploy.storage_group, deploy.storage_version, deploy.storage_resource) == ("apps", "v1", "deployments")


@pytest.mark.parametrize(
    "group,version,plural,expected",
    [
        # Values as upstream's discovery documents show them.
        ("", "v1", "configmaps", "qFsyl6wFWjQ="),
        ("", "v1", "pods", "xPOwRZ+Yhw8="),
        ("", "v1", "events", "r2yiGXH7wu8="),
        ("events.k8s.io", "v1", "events", "r2yiGXH7wu8="),
        ("apps", "v1", "deployments", "8aSe+NMegvE="),
        ("", "v1", "bindings", ""),
    ],
)
def test_storage_version_hash(cat: Catalogue, group, version, plural, expected) -> None:
    assert cat.lookup(group, version, plural).storage_version_hash == expected


def test_hpa_versions_share_hash(cat: Catalogue) -> None:
    v1 = cat.lookup("autoscaling", "v1", "horizontalpodautoscalers")
    v2 = cat.lookup("autoscaling", "v2", "horizontalpodautoscalers")
    assert v1.storage_version_hash == v2.storage_version_hash != ""


def test_api_version_and_list_kind(cat: Catalogue) -> None:
    assert cat.lookup("", "v1", "pods").api_version == "v1"
    assert cat.lookup("apps", "v1", "deployments").api_version == "apps/v1"
    assert cat.by_kind("apps", "v1", "Deployment").list_kind == "DeploymentList"
    assert cat.by_kind("apps", "v1", "Nope") is None


def test_delete_returns_object(cat: Catalogue) -> None:
    assert cat.lookup("", "v1", "pods").delete_returns_object
    assert cat.lookup("", "v1", "services").delete_returns_object
    assert not cat.lookup("apps", "v1", "deployments").delete_returns_object
    assert not cat.lookup("", "v1", "configmaps").delete_returns_object


def test_every_kind_has_a_schema(cat: Catalogue) -> None:
    missing = []
    for info in cat.resources():
        for kind in (info.kind, info.list_kind) if "list" in info.verbs else (info.kind,):
            if definition_for(info.group, info.version, kind) is None:
                missing.append((info.group, info.version, kind))
        for sub in info.subresources:
            if sub.kind.endswith("Options"):
                continue  # connect options (PodExecOptions, ...) have no object schema
            if definition_for(sub.group, sub.version, sub.kind) is None:
                missing.append((sub.group, sub.version, sub.kind))
    assert missing == []


def _crd(version: str, plural: str = "widgets") -> ResourceInfo:
    return ResourceInfo(group="example.com", version=version, kind="Widget", plural=plural, singular="widget",
                        namespaced=True, verbs=FULL)


def test_add_and_remove_custom_resources() -> None:
    cat = builtin_catalogue()
    gen = cat.generation
    cat.add(_crd("v1beta1"))
    cat.add(_crd("v1"))
    cat.add(_crd("v2alpha1"))
    assert cat.generation == gen + 3
    assert cat.groups()[-1] == ("example.com", ["v1", "v1beta1", "v2alpha1"])
    assert cat.lookup("example.com", "v1", "widgets").kind == "Widget"
    assert cat.by_kind("example.com", "v1beta1", "Widget").version == "v1beta1"
    assert cat.remove("example.com", "v1", "widgets") is not None
    assert cat.lookup("example.com", "v1", "widgets") is None
    assert dict(cat.groups())["example.com"] == ["v1beta1", "v2alpha1"]
    cat.remove("example.com", "v1beta1", "widgets")
    cat.remove("example.com", "v2alpha1", "widgets")
    assert "example.com" not in dict(cat.groups())
    assert cat.remove("example.com", "v1", "widgets") is None


def test_add_replaces_same_plural() -> None:
    cat = builtin_catalogue()
    cat.add(_crd("v1"))
    cat.add(ResourceInfo(group="example.com", version="v1", kind="Gadget", plural="widgets", singular="gadget",
                         namespaced=False, verbs=("get",)))
    assert cat.lookup("example.com", "v1", "widgets").kind == "Gadget"
    assert cat.by_kind("example.com", "v1", "Widget") is None
    assert len(cat.resources_for("example.com", "v1")) == 1


def test_builtin_catalogues_are_independent() -> None:
    a, b = builtin_catalogue(), builtin_catalogue()
    a.add(_crd("v1"))
    assert b.lookup("example.com", "v1", "widgets") is None


def test_version_priority() -> None:
    versions = ["v1beta1", "foo", "v2", "v1alpha1", "v1", "v10beta3", "v11alpha2", "v2beta1", "bar"]
    assert sorted(versions, key=version_priority_key) == [
        "v2", "v1", "v10beta3", "v2beta1", "v1beta1", "v11alpha2", "v1alpha1", "bar", "foo"]
