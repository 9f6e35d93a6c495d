"""Tests for kybernetes.api.openapi: the /openapi/v3 index and documents."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qs, urlparse

import orjson
import pytest

from kybernetes.api import openapi
from kybernetes.api.catalogue import Catalogue, ResourceInfo, builtin_catalogue
from kybernetes.api.openapi import document_paths, openapi_v3_document, openapi_v3_document_hash, openapi_v3_index


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return builtin_catalogue()


def doc(cat: Catalogue, path: str) -> dict:
    data = openapi_v3_document(cat, path)
    assert data is not None, path
    return orjson.loads(data)


def walk(value, found: list) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):  # JSONSchemaProps has a *property* named $ref
                found.append(item)
            else:
                walk(item, found)
    elif isinstance(value, list):
        for item in value:
            walk(item, found)


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                yield path, method, op


def test_index_lists_every_document_with_its_hash(cat: Catalogue) -> None:
    index = openapi_v3_index(cat)
    assert set(index) == {"paths"}
    names = set(index["paths"])
    assert {"api", "api/v1", "apis", "apis/apps", "apis/apps/v1", "apis/autoscaling/v1", "apis/autoscaling/v2",
            "apis/flowcontrol.apiserver.k8s.io/v1", "version"} <= names
    assert not any(n.startswith(".well-known") for n in names)
    assert len(names) == len(document_paths(cat)) == 43
    for name, entry in index["paths"].items():
        url = urlparse(entry["serverRelativeURL"])
        assert url.path == f"/openapi/v3/{name}"
        digest = parse_qs(url.query)["hash"][0]
        data = openapi_v3_document(cat, name)
        assert digest == hashlib.sha512(data).hexdigest().upper()
        assert openapi_v3_document_hash(cat, name) == digest


def test_every_document_is_openapi_3_with_resolvable_refs(cat: Catalogue) -> None:
    for name in openapi_v3_index(cat)["paths"]:
        document = doc(cat, name)
        assert document["openapi"] == "3.0.0"
        assert document["info"] == {"title": "Kubernetes", "version": openapi.OPENAPI_INFO_VERSION}
        schemas = document["components"]["schemas"]
        refs: list[str] = []
        walk(document, refs)
        assert refs, name
        for ref in refs:
            assert ref.startswith("#/components/schemas/"), (name, ref)
            assert ref[len("#/components/schemas/"):] in schemas, (name, ref)
        ids = [op["operationId"] for _, _, op in operations(document)]
        assert len(ids) == len(set(ids)), name


def test_schemas_use_openapi_3_dialect(cat: Catalogue) -> None:
    schemas = doc(cat, "api/v1")["components"]["schemas"]
    text = orjson.dumps(schemas).decode()
    assert "$defs" not in text
    assert '"null"' not in text

    def check(schema: dict, where: str) -> None:
        if "type" in schema:
            assert isinstance(schema["type"], str), where
        if "$ref" in schema:
            assert set(schema) == {"$ref"}, where  # siblings go through allOf
        for key in ("properties",):
            for name, sub in schema.get(key, {}).items():
                check(sub, f"{where}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                check(schema[key], f"{where}.{key}")
        for sub in schema.get("allOf", []) + schema.get("oneOf", []):
            check(sub, where)

    for name, schema in schemas.items():
        check(schema, name)


def test_deployment_schema_shape(cat: Catalogue) -> None:
    schemas = doc(cat, "apis/apps/v1")["components"]["schemas"]
    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deployment["type"] == "object"
    assert deployment["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment",
                                                              "version": "v1"}]
    assert deployment["properties"]["apiVersion"] == {
        "description": deployment["properties"]["apiVersion"]["description"], "type": "string"}
    metadata = deployment["properties"]["metadata"]
    assert metadata["allOf"] == [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]
    assert "description" in metadata
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    assert "required" in schemas["io.k8s.api.core.v1.Container"]
    int_or_string = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert int_or_string["format"] == "int-or-string"
    assert int_or_string["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    # kubectl's server-side validation probe and explain read these.
    assert "io.k8s.api.autoscaling.v1.Scale" in schemas
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.Status" in schemas
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent" in schemas
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList" in schemas
    assert "io.k8s.api.batch.v1.Job" not in schemas


def test_deployment_patch_operation(cat: Catalogue) -> None:
    paths = doc(cat, "apis/apps/v1")["paths"]
    item = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    patch = item["patch"]
    assert patch["operationId"] == "patchAppsV1NamespacedDeployment"
    assert patch["x-kubernetes-action"] == "patch"
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment", "version": "v1"}
    assert [(p["name"], p["in"]) for p in patch["parameters"]] == [
        ("dryRun", "query"), ("fieldManager", "query"), ("fieldValidation", "query"), ("force", "query")]
    assert set(patch["requestBody"]["content"]) == {
        "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
        "application/strategic-merge-patch+json"}
    assert set(patch["responses"]) == {"200", "201", "401"}
    assert set(patch["responses"]["200"]["content"]) == {
        "application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
    assert [p["name"] for p in item["parameters"]] == ["name", "namespace", "pretty"]
    assert item["parameters"][0]["required"] is True
    assert set(item) == {"get", "put", "patch", "delete", "parameters"}
    scale = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
    assert scale["operationId"] == "patchAppsV1NamespacedDeploymentScale"
    assert scale["x-kubernetes-group-version-kind"] == {"group": "autoscaling", "kind": "Scale", "version": "v1"}


def test_collection_and_watch_paths(cat: Catalogue) -> None:
    paths = doc(cat, "apis/apps/v1")["paths"]
    collection = paths["/apis/apps/v1/namespaces/{namespace}/deployments"]
    assert collection["get"]["operationId"] == "listAppsV1NamespacedDeployment"
    assert set(collection["get"]["responses"]["200"]["content"]) == {
        "application/json", "application/json;stream=watch", "application/vnd.kubernetes.protobuf",
        "application/vnd.kubernetes.protobuf;stream=watch", "application/yaml"}
    assert {p["name"] for p in collection["get"]["parameters"]} == {
        "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
        "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"}
    assert collection["post"]["operationId"] == "createAppsV1NamespacedDeployment"
    assert set(collection["post"]["responses"]) == {"200", "201", "202", "401"}
    assert collection["delete"]["operationId"] == "deleteAppsV1CollectionNamespacedDeployment"
    assert collection["delete"]["x-kubernetes-action"] == "deletecollection"
    assert {"gracePeriodSeconds", "propagationPolicy", "orphanDependents", "labelSelector"} <= {
        p["name"] for p in collection["delete"]["parameters"]}
    every = paths["/apis/apps/v1/deployments"]["get"]
    assert every["operationId"] == "listAppsV1DeploymentForAllNamespaces"
    watch = paths["/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}"]["get"]
    assert (watch["operationId"], watch["x-kubernetes-action"]) == ("watchAppsV1NamespacedDeployment", "watch")
    assert watch["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"}
    assert paths["/apis/apps/v1/watch/deployments"]["get"]["operationId"] == \
        "watchAppsV1DeploymentListForAllNamespaces"
    assert paths["/apis/apps/v1/"]["get"]["operationId"] == "getAppsV1APIResources"


@pytest.mark.parametrize(
    "document,path,method,op_id,action,gvk",
    [
        ("api/v1", "/api/v1/namespaces/{namespace}/pods", "get", "listCoreV1NamespacedPod", "list",
         ("", "Pod", "v1")),
        ("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/exec", "get", "connectCoreV1GetNamespacedPodExec",
         "connect", ("", "PodExecOptions", "v1")),
        ("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/exec", "post",
         "connectCoreV1PostNamespacedPodExec", "connect", ("", "PodExecOptions", "v1")),
        ("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/log", "get", "readCoreV1NamespacedPodLog", "get",
         ("", "Pod", "v1")),
        ("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/eviction", "post",
         "createCoreV1NamespacedPodEviction", "post", ("policy", "Eviction", "v1")),
        ("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}", "head",
         "connectCoreV1HeadNamespacedPodProxyWithPath", "connect", ("", "PodProxyOptions", "v1")),
        ("api/v1", "/api/v1/nodes/{name}/proxy", "options", "connectCoreV1OptionsNodeProxy", "connect",
         ("", "NodeProxyOptions", "v1")),
        ("api/v1", "/api/v1/namespaces/{name}/finalize", "put", "replaceCoreV1NamespaceFinalize", "put",
         ("", "Namespace", "v1")),
        ("api/v1", "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", "post",
         "createCoreV1NamespacedServiceAccountToken", "post", ("authentication.k8s.io", "TokenRequest", "v1")),
        ("api/v1", "/api/v1/namespaces/{namespace}/bindings", "post", "createCoreV1NamespacedBinding", "post",
         ("", "Binding", "v1")),
        ("api/v1", "/api/v1/componentstatuses", "get", "listCoreV1ComponentStatus", "list",
         ("", "ComponentStatus", "v1")),
        ("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/ephemeralcontainers", "patch",
         "patchCoreV1NamespacedPodEphemeralcontainers", "patch", ("", "Pod", "v1")),
        ("apis/rbac.authorization.k8s.io/v1", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "delete",
         "deleteRbacAuthorizationV1CollectionClusterRole", "deletecollection",
         ("rbac.authorization.k8s.io", "ClusterRole", "v1")),
        ("apis/flowcontrol.apiserver.k8s.io/v1", "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/{name}/status",
         "get", "readFlowcontrolApiserverV1FlowSchemaStatus", "get",
         ("flowcontrol.apiserver.k8s.io", "FlowSchema", "v1")),
        ("apis/authentication.k8s.io/v1", "/apis/authentication.k8s.io/v1/tokenreviews", "post",
         "createAuthenticationV1TokenReview", "post", ("authentication.k8s.io", "TokenReview", "v1")),
        ("apis/authorization.k8s.io/v1",
         "/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews", "post",
         "createAuthorizationV1NamespacedLocalSubjectAccessReview", "post",
         ("authorization.k8s.io", "LocalSubjectAccessReview", "v1")),
        ("apis/autoscaling/v1", "/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers/{name}",
         "put", "replaceAutoscalingV1NamespacedHorizontalPodAutoscaler", "put",
         ("autoscaling", "HorizontalPodAutoscaler", "v1")),
        ("apis/certificates.k8s.io/v1",
         "/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/approval", "put",
         "replaceCertificatesV1CertificateSigningRequestApproval", "put",
         ("certificates.k8s.io", "CertificateSigningRequest", "v1")),
    ],
)
def test_operation_ids(cat, document, path, method, op_id, action, gvk) -> None:
    op = doc(cat, document)["paths"][path][method]
    assert op["operationId"] == op_id
    assert op["x-kubernetes-action"] == action
    assert op["x-kubernetes-group-version-kind"] == dict(zip(("group", "kind", "version"), gvk))


def test_core_specifics(cat: Catalogue) -> None:
    document = doc(cat, "api/v1")
    paths = document["paths"]
    # services: no deletecollection; their DELETE answers the Service itself.
    services = paths["/api/v1/namespaces/{namespace}/services"]
    assert set(services) == {"get", "post", "parameters"}
    deleted = paths["/api/v1/namespaces/{namespace}/services/{name}"]["delete"]["responses"]["200"]
    assert deleted["content"]["application/json"]["schema"]["$ref"].endswith("core.v1.Service")
    deleted = paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]["delete"]["responses"]["200"]
    assert deleted["content"]["application/json"]["schema"]["$ref"].endswith("meta.v1.Status")
    # bindings are create-only; componentstatuses have no watch paths.
    assert "/api/v1/namespaces/{namespace}/bindings/{name}" not in paths
    assert not any("componentstatuses" in p for p in paths if "/watch/" in p)
    exec_path = paths["/api/v1/namespaces/{namespace}/pods/{name}/exec"]
    assert [p["name"] for p in exec_path["parameters"]] == [
        "command", "container", "name", "namespace", "stderr", "stdin", "stdout", "tty"]
    assert exec_path["get"]["responses"]["200"]["content"] == {"*/*": {"schema": {"type": "string"}}}
    log = paths["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"]
    assert {"follow", "tailLines", "previous", "sinceSeconds", "timestamps", "container"} <= {
        p["name"] for p in log["parameters"]}
    assert "text/plain" in log["responses"]["200"]["content"]
    assert set(paths["/api/v1/namespaces/{namespace}/pods/{name}/proxy"]) == {
        "delete", "get", "head", "options", "patch", "post", "put", "parameters"}
    assert "io.k8s.api.policy.v1.Eviction" in document["components"]["schemas"]
    assert "io.k8s.api.authentication.v1.TokenRequest" in document["components"]["schemas"]


def test_small_documents(cat: Catalogue) -> None:
    assert list(doc(cat, "api")["paths"]) == ["/api/"]
    assert doc(cat, "api")["paths"]["/api/"]["get"]["operationId"] == "getCoreAPIVersions"
    assert doc(cat, "apis")["paths"]["/apis/"]["get"]["operationId"] == "getAPIVersions"
    group = doc(cat, "apis/rbac.authorization.k8s.io")["paths"]["/apis/rbac.authorization.k8s.io/"]["get"]
    assert group["operationId"] == "getRbacAuthorizationAPIGroup"
    assert group["tags"] == ["rbacAuthorization"]
    version = doc(cat, "version")
    assert version["paths"]["/version/"]["get"]["operationId"] == "getCodeVersion"
    assert "io.k8s.apimachinery.pkg.version.Info" in version["components"]["schemas"]


@pytest.mark.parametrize("path", ["apis/apps/v2", "apis/nope", "apis/nope/v1", "api/v2", "nope", "apis//v1", ""])
def test_unknown_documents(cat: Catalogue, path: str) -> None:
    assert openapi_v3_document(cat, path) is None
    assert openapi_v3_document_hash(cat, path) is None


def test_documents_are_stable_across_catalogues() -> None:
    a, b = builtin_catalogue(), builtin_catalogue()
    assert openapi_v3_index(a) == openapi_v3_index(b)
    assert openapi_v3_document(a, "apis/batch/v1") == openapi_v3_document(b, "apis/batch/v1")
    assert openapi_v3_document(a, "/apis/batch/v1/") == openapi_v3_document(a, "apis/batch/v1")


def test_custom_resources_get_a_document_and_other_hashes_stay() -> None:
    cat = builtin_catalogue()
    before = openapi_v3_index(cat)["paths"]
    cat.add(ResourceInfo(group="example.com", version="v1", kind="Widget", plural="widgets", singular="widget",
                         namespaced=True, verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
                         subresources=()))
    after = openapi_v3_index(cat)["paths"]
    assert set(after) - set(before) == {"apis/example.com", "apis/example.com/v1"}
    assert all(after[k] == v for k, v in before.items())
    document = doc(cat, "apis/example.com/v1")
    schemas = document["components"]["schemas"]
    assert schemas["com.example.v1.Widget"]["x-kubernetes-group-version-kind"] == [
        {"group": "example.com", "kind": "Widget", "version": "v1"}]
    refs: list[str] = []
    walk(document, refs)
    assert all(r[len("#/components/schemas/"):] in schemas for r in refs)
    patch = document["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "Widget"


def test_building_every_document_is_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # Cold caches: fresh conversion caches and a fresh catalogue.
    monkeypatch.setattr(openapi, "_converted", {})
    monkeypatch.setattr(openapi, "_direct_refs", {})
    cat = builtin_catalogue()
    start = time.perf_counter()
    index = openapi_v3_index(cat)
    elapsed = time.perf_counter() - start
    assert len(index["paths"]) == 43
    assert elapsed < 2.0, elapsed
    start = time.perf_counter()
    for name in index["paths"]:
        openapi_v3_document(cat, name)
    assert time.perf_counter() - start < 0.05
