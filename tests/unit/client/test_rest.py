"""RESTClient against a real API server: verbs, Status errors, watch streams."""

import asyncio

import pytest

from kybernetes.client.rest import RESTClient, resource_path
from kybernetes.machinery.errors import StatusError


@pytest.mark.parametrize("args,path", [
    (("", "v1", "pods"), "/api/v1/pods"),
    (("", "v1", "pods", "ns"), "/api/v1/namespaces/ns/pods"),
    (("", "v1", "pods", "ns", "web", "status"), "/api/v1/namespaces/ns/pods/web/status"),
    (("apps", "v1", "deployments", "ns", "d", "scale"), "/apis/apps/v1/namespaces/ns/deployments/d/scale"),
    (("", "v1", "nodes", "", "n1"), "/api/v1/nodes/n1"),
    (("coordination.k8s.io", "v1", "leases", "kube-system"), "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"),
])
def test_resource_path(args, path):
    assert resource_path(*args) == path


def cm(name, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


async def test_verbs_and_status_errors(kyb):
    async with RESTClient.from_kubeconfig(kyb.kubeconfig) as c:
        coll = resource_path("", "v1", "configmaps", "default")
        one = resource_path("", "v1", "configmaps", "default", "rest-a")
        created = await c.create(coll, cm("rest-a", a="1"))
        assert created["metadata"]["uid"]
        got = await c.get(one)
        assert got["data"] == {"a": "1"}
        got["data"]["b"] = "2"
        updated = await c.update(one, got)
        assert updated["data"] == {"a": "1", "b": "2"}
        patched = await c.patch(one, {"data": {"c": "3"}}, "merge")
        assert patched["data"] == {"a": "1", "b": "2", "c": "3"}
        patched = await c.patch(one, [{"op": "remove", "path": "/data/a"}], "json")
        assert "a" not in patched["data"]
        with pytest.raises(StatusError) as e:
            await c.update(one, got)  # stale resourceVersion
        assert e.value.code == 409 and e.value.reason == "Conflict"
        with pytest.raises(StatusError) as e:
            await c.create(coll, cm("rest-a"))
        assert e.value.code == 409 and e.value.reason == "AlreadyExists"
        listed = await c.list(coll, {"labelSelector": "", "limit": 10})
        assert "rest-a" in [i["metadata"]["name"] for i in listed["items"]]
        await c.delete(one)
        with pytest.raises(StatusError) as e:
            await c.get(one)
        assert e.value.code == 404 and e.value.reason == "NotFound"
        assert e.value.message == 'configmaps "rest-a" not found'


async def test_watch_yields_events(kyb):
    async with RESTClient.from_kubeconfig(kyb.kubeconfig) as c:
        coll = resource_path("", "v1", "configmaps", "default")
        rv = (await c.list(coll))["metadata"]["resourceVersion"]
        events = []

        async def consume():
            async for ev in c.watch(coll, {"resourceVersion": rv, "timeoutSeconds": 5}):
                events.append(ev)
                if ev["type"] == "DELETED":
                    return

        task = asyncio.create_task(consume())
        await c.create(coll, cm("rest-w"))
        await c.delete(resource_path("", "v1", "configmaps", "default", "rest-w"))
        await asyncio.wait_for(task, 10)
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "rest-w"), ("DELETED", "rest-w")]


def test_bearer_token_kubeconfig(tmp_path):
    (tmp_path / "kc").write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\n"
        "users:\n- name: u\n  user:\n    token: abc\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
        "current-context: x\n")
    c = RESTClient.from_kubeconfig(tmp_path / "kc")
    assert c.server == "http://127.0.0.1:1" and c._headers["Authorization"] == "Bearer abc"
