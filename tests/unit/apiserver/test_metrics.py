"""apiserver_request_total and apiserver_request_duration_seconds carry upstream's labels and verb values."""

from __future__ import annotations

from multidict import MultiDict

from kybernetes.apiserver.metrics import Metrics, request_labels
from kybernetes.apiserver.requestinfo import parse_request_info


def _labels(method: str, path: str, query: dict | None = None, ctype: str = "") -> dict[str, str]:
    q = MultiDict(query or {})
    ri = parse_request_info(method, path, q.get("watch", "").lower() in ("true", "1"))
    verb, dry_run, group, version, resource, subresource, scope = request_labels(method, ri, q, ctype)
    return {"verb": verb, "dry_run": dry_run, "group": group, "version": version, "resource": resource,
            "subresource": subresource, "scope": scope}


def test_verbs_and_scopes_as_upstream_reports_them():
    assert _labels("GET", "/api/v1/namespaces/a/pods/p") == {
        "verb": "GET", "dry_run": "", "group": "", "version": "v1", "resource": "pods", "subresource": "",
        "scope": "resource"}
    assert _labels("GET", "/api/v1/namespaces/a/pods")["verb"] == "LIST"
    lst = _labels("GET", "/api/v1/pods")
    assert (lst["verb"], lst["scope"]) == ("LIST", "cluster")
    watch = _labels("GET", "/apis/apps/v1/namespaces/a/deployments", {"watch": "true"})
    assert (watch["verb"], watch["group"], watch["scope"]) == ("WATCH", "apps", "namespace")
    create = _labels("POST", "/api/v1/namespaces/a/pods")
    assert (create["verb"], create["scope"]) == ("POST", "resource")  # a create's scope is "resource"
    binding = _labels("POST", "/api/v1/namespaces/a/pods/p/binding")
    assert (binding["verb"], binding["subresource"]) == ("POST", "binding")
    assert _labels("PATCH", "/api/v1/namespaces/a/pods/p/status",
                   ctype="application/strategic-merge-patch+json")["verb"] == "PATCH"
    assert _labels("PATCH", "/api/v1/namespaces/a/configmaps/c", {"fieldManager": "m", "dryRun": "All"},
                   ctype="application/apply-patch+yaml")["verb"] == "APPLY"
    assert _labels("PATCH", "/api/v1/namespaces/a/configmaps/c", {"dryRun": "All"})["dry_run"] == "All"
    assert _labels("POST", "/api/v1/namespaces/a/pods/p/exec")["verb"] == "CONNECT"
    assert _labels("DELETE", "/api/v1/namespaces/a/pods")["scope"] == "namespace"
    assert _labels("GET", "/version") == {"verb": "GET", "dry_run": "", "group": "", "version": "", "resource": "",
                                          "subresource": "", "scope": ""}


def test_rendered_series():
    m = Metrics()
    labels = ("PATCH", "", "coordination.k8s.io", "v1", "leases", "", "resource")
    m.observe(labels, 200, 0.003)
    m.observe(labels, 200, 0.2)
    text = m.render()
    assert ('apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",'
            'resource="leases",scope="resource",subresource="",verb="PATCH",version="v1"} 2') in text
    assert ('apiserver_request_duration_seconds_count{component="apiserver",dry_run="",group="coordination.k8s.io",'
            'resource="leases",scope="resource",subresource="",verb="PATCH",version="v1"} 2') in text
    assert ('apiserver_request_duration_seconds_bucket{component="apiserver",dry_run="",group="coordination.k8s.io",'
            'resource="leases",scope="resource",subresource="",verb="PATCH",version="v1",le="0.005"} 1') in text
