"""The eviction subresource and PodDisruptionBudgets: unhealthy pods and unhealthyPodEvictionPolicy."""

from __future__ import annotations


def _pod(api, ns, name, ready: bool):
    api.ok("POST", f"/api/v1/namespaces/{ns}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "ev"}},
        "spec": {"nodeName": "nowhere", "containers": [{"name": "c", "image": "busybox"}]}})
    api.ok("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}/status",
           {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}},
           headers={"Content-Type": "application/merge-patch+json"})


def _pdb(api, ns, name, policy, current, desired, allowed):
    spec = {"minAvailable": desired, "selector": {"matchLabels": {"app": "ev"}}}
    if policy:
        spec["unhealthyPodEvictionPolicy"] = policy
    pdb = api.ok("POST", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
                 {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name}, "spec": spec})
    api.ok("PATCH", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{name}/status",
           {"status": {"observedGeneration": pdb["metadata"]["generation"], "currentHealthy": current,
                       "desiredHealthy": desired, "disruptionsAllowed": allowed, "expectedPods": 2}},
           headers={"Content-Type": "application/merge-patch+json"})


def _evict(api, ns, name):
    return api.call("POST", f"/api/v1/namespaces/{ns}/pods/{name}/eviction",
                    {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}})


def test_unhealthy_pod_eviction_policies(api):
    # IfHealthyBudget (default): an unready pod may go only while the budget is healthy
    ns = api.create_namespace("ev")
    _pod(api, ns, "ready", True)
    _pod(api, ns, "unready", False)
    _pdb(api, ns, "b", None, 1, 2, 0)
    r = _evict(api, ns, "unready")
    assert r.status == 429 and "needs 2 healthy pods and has 1 currently" in r.body.decode()
    assert _evict(api, ns, "ready").status == 429

    ns2 = api.create_namespace("ev")
    _pod(api, ns2, "ready", True)
    _pod(api, ns2, "unready", False)
    _pdb(api, ns2, "b", "AlwaysAllow", 1, 2, 0)
    assert _evict(api, ns2, "unready").status == 201
    assert _evict(api, ns2, "ready").status == 429
    pdb = api.ok("GET", f"/apis/policy/v1/namespaces/{ns2}/poddisruptionbudgets/b")
    assert pdb["status"]["disruptionsAllowed"] == 0 and not pdb["status"].get("disruptedPods")

    ns3 = api.create_namespace("ev")
    _pod(api, ns3, "unready", False)
    _pdb(api, ns3, "b", "IfHealthyBudget", 2, 2, 0)
    assert _evict(api, ns3, "unready").status == 201  # the budget is healthy without it
