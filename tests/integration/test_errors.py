"""Acceptance: error Status bodies, authentication, request limits and discovery/OpenAPI documents, checked on the
wire with raw HTTPS (admin client certificate, or none for anonymous requests) so the exact bodies are compared.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import API

AGG_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGG_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
KUBECTL_DISCOVERY_ACCEPT = f"{AGG_V2},{AGG_V2BETA1},application/json"


def failure(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """An upstream failure Status, field for field."""
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
          "reason": reason, "code": code}
    if details is not None:
        st["details"] = details
    return st


def cm(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


# --------------------------------------------------------------------------------------------------- Status errors


def test_not_found(api: API, ns: str) -> None:
    r = api.call("GET", f"/api/v1/namespaces/{ns}/configmaps/x")
    assert r.status == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json() == failure(404, "NotFound", 'configmaps "x" not found', {"name": "x", "kind": "configmaps"})

    r = api.call("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/x")
    assert r.json() == failure(404, "NotFound", 'deployments.apps "x" not found',
                               {"name": "x", "group": "apps", "kind": "deployments"})
    r = api.call("DELETE", f"/api/v1/namespaces/{ns}/configmaps/x")
    assert r.status == 404 and r.json()["message"] == 'configmaps "x" not found'
    r = api.call("PATCH", f"/api/v1/namespaces/{ns}/configmaps/x", {"data": {}},
                 headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 404 and r.json()["message"] == 'configmaps "x" not found'


def test_unknown_resource_is_404(api: API) -> None:
    r = api.call("GET", "/api/v1/namespaces/default/widgets")
    assert r.status == 404
    body = r.json()
    assert body["kind"] == "Status" and body["reason"] == "NotFound"
    assert body["message"] == "the server could not find the requested resource"
    assert api.call("GET", "/apis/nosuch.example.com/v1").status == 404


def test_already_exists(api: API, ns: str) -> None:
    api.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("x"))
    r = api.call("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("x"))
    assert r.status == 409
    assert r.json() == failure(409, "AlreadyExists", 'configmaps "x" already exists',
                               {"name": "x", "kind": "configmaps"})


def test_conflict_on_stale_resource_version(api: API, ns: str) -> None:
    created = api.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("x", v="1"))
    api.ok("PUT", f"/api/v1/namespaces/{ns}/configmaps/x", {**created, "data": {"v": "2"}})
    r = api.call("PUT", f"/api/v1/namespaces/{ns}/configmaps/x", {**created, "data": {"v": "3"}})
    assert r.status == 409
    assert r.json() == failure(
        409, "Conflict",
        'Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your '
        "changes to the latest version and try again",
        {"name": "x", "kind": "configmaps"})
    assert api.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/x")["data"] == {"v": "2"}


def test_invalid_object_is_422_with_causes(api: API, ns: str) -> None:
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replicas": -1, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    r = api.call("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", dep)
    assert r.status == 422
    assert r.json() == failure(
        422, "Invalid",
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
        {"name": "web", "group": "apps", "kind": "Deployment", "causes": [
            {"reason": "FieldValueInvalid", "message": "Invalid value: -1: must be greater than or equal to 0",
             "field": "spec.replicas"}]})


def test_request_body_over_3mib_is_413(api: API, ns: str) -> None:
    big = json.dumps(cm("big", blob="x" * (3 * 1024 * 1024))).encode()
    assert len(big) > 3 * 1024 * 1024
    r = api.call("POST", f"/api/v1/namespaces/{ns}/configmaps", big, timeout=60)
    assert r.status == 413
    assert r.json() == failure(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
    assert api.call("GET", f"/api/v1/namespaces/{ns}/configmaps/big").status == 404


def test_malformed_json_is_400(api: API, ns: str) -> None:
    r = api.call("POST", f"/api/v1/namespaces/{ns}/configmaps", b'{"apiVersion": "v1", "kind": "ConfigMap", "meta')
    assert r.status == 400
    body = r.json()
    assert body["kind"] == "Status" and body["status"] == "Failure"
    assert body["reason"] == "BadRequest" and body["code"] == 400 and body["message"]
    r = api.call("PATCH", f"/api/v1/namespaces/{ns}/configmaps/x", b"{nope",
                 headers={"Content-Type": "application/merge-patch+json"})
    assert r.status in (400, 404)  # upstream reads the object first for some patch types: either is a Status
    assert r.json()["kind"] == "Status"


def test_field_validation_of_patches(api: API, ns: str) -> None:
    """A patch's result is checked for unknown fields and wrong types like a create (only what the patch changed
    can be new): Strict refuses, Warn (the default) prunes with a Warning header, a wrong type is 400 either way."""
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fv"},
           "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
               "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/fv"
    api.ok("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", dep)
    merge = {"Content-Type": "application/merge-patch+json"}
    r = api.call("PATCH", path + "?fieldValidation=Strict", {"spec": {"replicas": 2, "foo": 1}}, headers=merge)
    assert r.status == 400, r.json()
    assert r.json()["message"] == ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding '
                                   'error: unknown field "spec.foo"')
    assert api.call("GET", path).json()["spec"]["replicas"] == 1  # nothing written
    r = api.call("PATCH", path, {"spec": {"replicas": 3, "foo": 1}, "bar": 2}, headers=merge)
    assert r.status == 200
    assert r.headers["warning"] == '299 - "unknown field \\"bar\\"", 299 - "unknown field \\"spec.foo\\""'
    stored = api.call("GET", path).json()
    assert stored["spec"]["replicas"] == 3 and "foo" not in stored["spec"] and "bar" not in stored
    r = api.call("PATCH", path, {"spec": {"replicas": "many"}}, headers=merge)
    assert r.status == 400 and r.json()["reason"] == "BadRequest", r.json()
    assert "replicas" in r.json()["message"]


def test_unsupported_patch_content_type_is_415(api: API, ns: str) -> None:
    api.ok("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("x"))
    r = api.call("PATCH", f"/api/v1/namespaces/{ns}/configmaps/x", {"data": {"a": "b"}},
                 headers={"Content-Type": "application/json"})
    assert r.status == 415
    body = r.json()
    assert body["reason"] == "UnsupportedMediaType" and body["code"] == 415
    assert "application/merge-patch+json" in body["message"]


def test_method_not_allowed_is_405(api: API, ns: str) -> None:
    r = api.call("POST", f"/api/v1/namespaces/{ns}/configmaps/x", cm("x"))
    assert r.status == 405
    assert r.json() == failure(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                                                        "resource", {})


# --------------------------------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_health_endpoints_answer_anonymous_requests(api: API, path: str) -> None:
    r = api.call("GET", path, anonymous=True, headers={"Accept": "*/*"})
    assert r.status == 200
    assert r.body == b"ok"
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("path", ["/api", "/apis", "/api/v1/namespaces", "/api/v1/namespaces/default/configmaps",
                                  "/apis/apps/v1/deployments", "/openapi/v3", "/metrics"])
def test_anonymous_requests_are_401(api: API, path: str) -> None:
    r = api.call("GET", path, anonymous=True)
    assert r.status == 401
    assert r.json() == failure(401, "Unauthorized", "Unauthorized")


def test_anonymous_write_is_401_and_has_no_effect(api: API, ns: str) -> None:
    r = api.call("POST", f"/api/v1/namespaces/{ns}/configmaps", cm("anon"), anonymous=True)
    assert r.status == 401
    assert api.call("GET", f"/api/v1/namespaces/{ns}/configmaps/anon").status == 404


def test_bad_bearer_token_is_401(api: API) -> None:
    r = api.call("GET", "/api/v1/namespaces", anonymous=True, headers={"Authorization": "Bearer not-a-token"})
    assert r.status == 401
    assert r.json()["reason"] == "Unauthorized"


def test_version_endpoint(api: API) -> None:
    v = api.ok("GET", "/version")
    assert v["major"] == "1" and v["minor"] == "32" and v["gitVersion"].startswith("v1.32.")
    assert set(v) >= {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"}


# --------------------------------------------------------------------------------------------------- discovery


def by_name(items: list[dict], key: str = "name") -> dict[str, dict]:
    return {i.get(key, ""): i for i in items}


def test_aggregated_discovery_core(api: API) -> None:
    r = api.call("GET", "/api", headers={"Accept": KUBECTL_DISCOVERY_ACCEPT})
    assert r.status == 200
    assert r.headers["content-type"] == AGG_V2
    doc = r.json()
    assert doc["kind"] == "APIGroupDiscoveryList" and doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    assert len(doc["items"]) == 1
    core = doc["items"][0]
    assert core.get("metadata", {}).get("name", "") == ""
    assert [v["version"] for v in core["versions"]] == ["v1"]
    v1 = core["versions"][0]
    assert v1["freshness"] == "Current"
    res = by_name(v1["resources"], "resource")
    pods = res["pods"]
    # upstream copies APIResource.group/version, which are empty unless they differ from the group-version
    assert pods["responseKind"] == {"group": "", "version": "", "kind": "Pod"}
    assert pods["scope"] == "Namespaced" and pods["singularResource"] == "pod"
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    assert set(pods["verbs"]) == {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
    subs = by_name(pods["subresources"], "subresource")
    assert subs["eviction"]["responseKind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}
    assert subs["eviction"]["verbs"] == ["create"]
    assert {"status", "log", "exec", "binding", "ephemeralcontainers"} <= set(subs)
    assert res["namespaces"]["scope"] == "Cluster"
    assert res["configmaps"]["shortNames"] == ["cm"]


def test_aggregated_discovery_groups(api: API) -> None:
    r = api.call("GET", "/apis", headers={"Accept": KUBECTL_DISCOVERY_ACCEPT})
    assert r.status == 200
    assert r.headers["content-type"] == AGG_V2
    doc = r.json()
    assert doc["kind"] == "APIGroupDiscoveryList"
    groups = {g["metadata"]["name"]: g for g in doc["items"]}
    assert {"apps", "batch", "rbac.authorization.k8s.io", "policy", "autoscaling", "networking.k8s.io",
            "coordination.k8s.io", "discovery.k8s.io", "storage.k8s.io"} <= set(groups)
    assert [v["version"] for v in groups["autoscaling"]["versions"]] == ["v2", "v1"]  # preferred first
    deployments = by_name(groups["apps"]["versions"][0]["resources"], "resource")["deployments"]
    assert deployments["responseKind"] == {"group": "", "version": "", "kind": "Deployment"}
    assert deployments["shortNames"] == ["deploy"] and deployments["categories"] == ["all"]
    subs = by_name(deployments["subresources"], "subresource")
    assert subs["scale"]["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert sorted(subs["scale"]["verbs"]) == ["get", "patch", "update"]
    assert "status" in subs


def test_aggregated_discovery_v2beta1_and_legacy_fallback(api: API) -> None:
    r = api.call("GET", "/apis", headers={"Accept": f"{AGG_V2BETA1},application/json"})
    assert r.status == 200 and r.headers["content-type"] == AGG_V2BETA1
    assert r.json()["apiVersion"] == "apidiscovery.k8s.io/v2beta1"

    r = api.call("GET", "/api", headers={"Accept": "application/json"})
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["kind"] == "APIVersions" and doc["versions"] == ["v1"]
    assert doc["serverAddressByClientCIDRs"][0]["clientCIDR"] == "0.0.0.0/0"

    r = api.call("GET", "/apis", headers={"Accept": "application/json"})
    assert r.headers["content-type"] == "application/json"
    doc = r.json()
    assert doc["kind"] == "APIGroupList"
    apps = by_name(doc["groups"])["apps"]
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert apps["versions"] == [{"groupVersion": "apps/v1", "version": "v1"}]
    autoscaling = by_name(doc["groups"])["autoscaling"]
    assert autoscaling["preferredVersion"]["version"] == "v2"


def test_legacy_resource_lists(api: API) -> None:
    doc = api.ok("GET", "/api/v1")
    assert doc["kind"] == "APIResourceList" and doc["groupVersion"] == "v1"
    res = by_name(doc["resources"])
    ev = res["pods/eviction"]
    assert (ev["group"], ev["version"], ev["kind"], ev["verbs"], ev["namespaced"]) == (
        "policy", "v1", "Eviction", ["create"], True)
    pods = res["pods"]
    assert (pods["singularName"], pods["namespaced"], pods["kind"], pods["shortNames"], pods["categories"]) == (
        "pod", True, "Pod", ["po"], ["all"])
    assert {"pods/log", "pods/exec", "pods/attach", "pods/portforward", "pods/status", "pods/binding"} <= set(res)
    assert res["pods/log"]["kind"] == "Pod" and res["pods/log"]["verbs"] == ["get"]
    assert res["namespaces"]["namespaced"] is False

    apps = by_name(api.ok("GET", "/apis/apps/v1")["resources"])
    scale = apps["deployments/scale"]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert sorted(scale["verbs"]) == ["get", "patch", "update"]
    assert apps["deployments"]["shortNames"] == ["deploy"]
    group = api.ok("GET", "/apis/apps")
    assert group["kind"] == "APIGroup" and group["name"] == "apps"


def test_openapi_v3_index_and_document(api: API) -> None:
    index = api.ok("GET", "/openapi/v3")
    paths = index["paths"]
    assert {"api/v1", "apis/apps/v1", "apis/batch/v1", "apis/rbac.authorization.k8s.io/v1"} <= set(paths)
    url = paths["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    r = api.call("GET", url)
    assert r.status == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    schema = doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert schema["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    op = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert op["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment", "version": "v1"}
    params = {p.get("name") for p in op.get("parameters", [])}
    params |= {p.get("name") for p in doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
               .get("parameters", [])}
    assert "fieldValidation" in params or any(
        "fieldValidation" in (p.get("$ref") or "") for p in op.get("parameters", []))
    containers = doc["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"

    core_url = paths["api/v1"]["serverRelativeURL"]
    assert urlsplit(core_url).path == "/openapi/v3/api/v1"
    core = api.ok("GET", core_url)
    assert "io.k8s.api.core.v1.ConfigMap" in core["components"]["schemas"]
    assert api.call("GET", "/openapi/v3/apis/nosuch.example.com/v1").status == 404


def test_uid_in_written_object_is_a_precondition(api, ns):
    api.create_configmap(ns, "uidpre", {"a": "1"})
    r = api.call("PATCH", f"/api/v1/namespaces/{ns}/configmaps/uidpre",
                 {"metadata": {"uid": "00000000-0000-0000-0000-000000000000"}, "data": {"a": "2"}},
                 headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 409, r.body
    assert "Precondition failed: UID in precondition: 00000000-" in r.json()["message"]
    cm = api.ok("GET", f"/api/v1/namespaces/{ns}/configmaps/uidpre")
    r = api.call("PATCH", f"/api/v1/namespaces/{ns}/configmaps/uidpre",
                 {"metadata": {"uid": cm["metadata"]["uid"]}, "data": {"a": "3"}},
                 headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 200 and r.json()["data"]["a"] == "3"


def test_pod_status_write_has_its_own_rules(api: API, ns: str) -> None:
    """pods/status: status rules apply (two IPv4 pod IPs are refused); the spec and owner references come from
    the stored pod whatever the write says."""
    owner = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "0f1e2d3c-0000-4000-8000-000000000001"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "ownerReferences": [owner]},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    assert api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod).status == 201
    url = f"/api/v1/namespaces/{ns}/pods/p/status"
    two = {"status": {"podIP": "10.244.0.6", "podIPs": [{"ip": "10.244.0.6"}, {"ip": "10.244.0.7"}]}}
    r = api.call("PATCH", url, two, headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 422, r.json()
    [cause] = r.json()["details"]["causes"]
    assert cause["field"] == "status.podIPs"
    assert cause["message"].endswith("may specify no more than one IP for each IP family")
    stale = api.call("GET", f"/api/v1/namespaces/{ns}/pods/p").json()
    stale["metadata"]["ownerReferences"] = []
    stale["spec"]["containers"][0]["image"] = "other"
    stale["status"] = {"phase": "Running", "podIP": "10.244.0.6"}
    r = api.call("PUT", url, stale)
    assert r.status == 200, r.json()
    got = r.json()
    assert got["metadata"]["ownerReferences"] == [owner]
    assert got["spec"]["containers"][0]["image"] == "busybox"
    assert got["status"]["podIPs"] == [{"ip": "10.244.0.6"}] and got["status"]["qosClass"] == "BestEffort"
