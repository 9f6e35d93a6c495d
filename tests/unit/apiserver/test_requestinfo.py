import pytest

from kybernetes.apiserver.requestinfo import parse_request_info


@pytest.mark.parametrize(
    "method,path,watch,expect",
    [
        ("GET", "/api/v1/pods", False, dict(verb="list", resource="pods", namespace="", name="")),
        ("GET", "/api/v1/namespaces/default/pods", False, dict(verb="list", resource="pods", namespace="default")),
        ("GET", "/api/v1/namespaces/default/pods/web", False, dict(verb="get", name="web", namespace="default")),
        ("GET", "/api/v1/namespaces/default/pods", True, dict(verb="watch", resource="pods")),
        ("POST", "/api/v1/namespaces/default/pods", False, dict(verb="create")),
        ("PUT", "/api/v1/namespaces/default/pods/web/status", False,
         dict(verb="update", subresource="status", name="web")),
        ("PATCH", "/apis/apps/v1/namespaces/ns/deployments/d/scale", False,
         dict(verb="patch", group="apps", version="v1", resource="deployments", name="d", subresource="scale")),
        ("DELETE", "/api/v1/namespaces/default/configmaps", False, dict(verb="deletecollection")),
        ("DELETE", "/api/v1/namespaces/default/configmaps/x", False, dict(verb="delete", name="x")),
        ("GET", "/api/v1/namespaces", False, dict(verb="list", resource="namespaces", namespace="")),
        ("GET", "/api/v1/namespaces/kube-system", False,
         dict(verb="get", resource="namespaces", namespace="kube-system", name="kube-system")),
        ("PUT", "/api/v1/namespaces/x/finalize", False, dict(verb="update", resource="namespaces", namespace="x",
                                                            name="x", subresource="finalize")),
        ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", False,
         dict(verb="get", group="rbac.authorization.k8s.io", resource="clusterroles", name="admin")),
    ],
)
def test_resource_paths(method, path, watch, expect):
    ri = parse_request_info(method, path, watch)
    assert ri.is_resource
    for k, v in expect.items():
        assert getattr(ri, k) == v, (k, ri)


@pytest.mark.parametrize("path", ["/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1", "/version",
                                  "/openapi/v3", "/healthz"])
def test_non_resource_paths(path):
    assert not parse_request_info("GET", path, False).is_resource
