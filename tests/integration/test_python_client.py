"""Acceptance: the official `kubernetes` Python client, configured from the admin kubeconfig, works unchanged:
CRUD over several API groups, list paging, watch from a resourceVersion, delete propagation, optimistic locking.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.conftest import Cluster
from tests.integration.conftest import API


@pytest.fixture(scope="module")
def k8s(cluster: Cluster) -> client.ApiClient:
    c = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield c
    c.close()


@pytest.fixture
def core(k8s: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(k8s)


def meta(name: str, **labels: str) -> client.V1ObjectMeta:
    return client.V1ObjectMeta(name=name, labels=labels or None)


def k8s_dict(obj: Any) -> dict:
    return client.ApiClient().sanitize_for_serialization(obj)


def status_of(e: ApiException) -> dict:
    return json.loads(e.body)


def expect_404(fn, *args: Any, **kw: Any) -> None:
    with pytest.raises(ApiException) as ei:
        fn(*args, **kw)
    assert ei.value.status == 404
    assert status_of(ei.value)["reason"] == "NotFound"


# --------------------------------------------------------------------------------------------------- CRUD


def test_configmap_crud(core: client.CoreV1Api, ns: str) -> None:
    created = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("c1", app="x"),
                                                                        data={"a": "1"}))
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.creation_timestamp
    assert created.data == {"a": "1"}
    got = core.read_namespaced_config_map("c1", ns)
    assert got.metadata.uid == created.metadata.uid and got.metadata.namespace == ns
    got.data["b"] = "2"
    replaced = core.replace_namespaced_config_map("c1", ns, got)
    assert replaced.data == {"a": "1", "b": "2"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    patched = core.patch_namespaced_config_map("c1", ns, {"data": {"a": None, "c": "3"}})
    assert patched.data == {"b": "2", "c": "3"}
    items = core.list_namespaced_config_map(ns, label_selector="app=x").items
    assert [i.metadata.name for i in items] == ["c1"]
    st = core.delete_namespaced_config_map("c1", ns)  # this client version hands back the decoded JSON
    st = st if isinstance(st, dict) else k8s_dict(st)
    assert st["kind"] == "Status" and st["status"] == "Success"
    assert st["details"] == {"name": "c1", "kind": "configmaps", "uid": created.metadata.uid}
    expect_404(core.read_namespaced_config_map, "c1", ns)


def test_secret_crud_string_data(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_secret(ns, client.V1Secret(metadata=meta("s1"), string_data={"user": "admin"}))
    got = core.read_namespaced_secret("s1", ns)
    assert got.type == "Opaque"
    assert got.data == {"user": "YWRtaW4="}  # stringData is merged into data on write
    assert got.string_data is None
    core.patch_namespaced_secret("s1", ns, {"stringData": {"pw": "x"}})
    assert core.read_namespaced_secret("s1", ns).data == {"user": "YWRtaW4=", "pw": "eA=="}
    core.delete_namespaced_secret("s1", ns)
    expect_404(core.read_namespaced_secret, "s1", ns)


def test_service_crud_defaults_and_allocates(core: client.CoreV1Api, ns: str) -> None:
    svc = core.create_namespaced_service(ns, client.V1Service(
        metadata=meta("svc1"),
        spec=client.V1ServiceSpec(selector={"app": "x"}, ports=[client.V1ServicePort(port=80)])))
    assert svc.spec.type == "ClusterIP" and svc.spec.session_affinity == "None"
    assert svc.spec.ports[0].protocol == "TCP" and svc.spec.ports[0].target_port == 80
    assert svc.spec.cluster_ip and svc.spec.cluster_ips == [svc.spec.cluster_ip]
    assert svc.spec.ip_families == ["IPv4"] and svc.spec.ip_family_policy == "SingleStack"
    other = core.create_namespaced_service(ns, client.V1Service(
        metadata=meta("svc2"), spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=81)])))
    assert other.spec.cluster_ip != svc.spec.cluster_ip
    svc.spec.ports[0].port = 8080
    svc.spec.ports[0].target_port = 8080
    replaced = core.replace_namespaced_service("svc1", ns, svc)
    assert replaced.spec.ports[0].port == 8080 and replaced.spec.cluster_ip == svc.spec.cluster_ip
    core.delete_namespaced_service("svc1", ns)
    expect_404(core.read_namespaced_service, "svc1", ns)


def deployment_body(name: str, replicas: int = 1) -> client.V1Deployment:
    return client.V1Deployment(
        metadata=meta(name),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels={"app": name}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": name}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1.25")]))))


def test_deployment_crud(k8s: client.ApiClient, ns: str) -> None:
    apps = client.AppsV1Api(k8s)
    dep = apps.create_namespaced_deployment(ns, deployment_body("d1", 2))
    assert dep.metadata.generation == 1
    assert dep.spec.strategy.type == "RollingUpdate"
    assert dep.spec.revision_history_limit == 10 and dep.spec.progress_deadline_seconds == 600
    assert dep.spec.template.spec.restart_policy == "Always"
    assert dep.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"
    dep.spec.template.spec.containers[0].image = "nginx:1.27"
    dep2 = apps.replace_namespaced_deployment("d1", ns, dep)
    assert dep2.metadata.generation == 2
    scale = apps.read_namespaced_deployment_scale("d1", ns)
    assert scale.spec.replicas == 2
    apps.patch_namespaced_deployment_scale("d1", ns, {"spec": {"replicas": 4}})
    assert apps.read_namespaced_deployment("d1", ns).spec.replicas == 4
    # status is a subresource: writes to the main resource ignore status, /status ignores spec
    apps.patch_namespaced_deployment_status("d1", ns, {"status": {"replicas": 7}, "spec": {"replicas": 9}})
    d = apps.read_namespaced_deployment("d1", ns)
    assert d.status.replicas == 7 and d.spec.replicas == 4
    assert [x.metadata.name for x in apps.list_namespaced_deployment(ns).items] == ["d1"]
    apps.delete_namespaced_deployment("d1", ns)
    expect_404(apps.read_namespaced_deployment, "d1", ns)


def test_job_crud(k8s: client.ApiClient, ns: str) -> None:
    batch = client.BatchV1Api(k8s)
    job = batch.create_namespaced_job(ns, client.V1Job(
        metadata=meta("j1"),
        spec=client.V1JobSpec(template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
            restart_policy="Never", containers=[client.V1Container(name="c", image="busybox", command=["true"])])))))
    uid = job.metadata.uid
    # the server generates the selector and the pod template labels from the Job's uid
    assert job.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}
    assert job.spec.template.metadata.labels["batch.kubernetes.io/job-name"] == "j1"
    assert job.spec.backoff_limit == 6 and job.spec.completions == 1 and job.spec.parallelism == 1
    patched = batch.patch_namespaced_job("j1", ns, {"metadata": {"labels": {"x": "y"}}})
    assert patched.metadata.labels["x"] == "y"
    with pytest.raises(ApiException) as ei:  # the pod template of a Job is immutable
        batch.patch_namespaced_job("j1", ns, {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "busybox:2"}]}}}})
    assert ei.value.status == 422 and status_of(ei.value)["reason"] == "Invalid"
    batch.delete_namespaced_job("j1", ns, propagation_policy="Background")
    expect_404(batch.read_namespaced_job, "j1", ns)


def test_role_crud(k8s: client.ApiClient, ns: str) -> None:
    rbac = client.RbacAuthorizationV1Api(k8s)
    rbac.create_namespaced_role(ns, client.V1Role(metadata=meta("r1"), rules=[
        client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get"])]))
    role = rbac.read_namespaced_role("r1", ns)
    assert role.rules[0].verbs == ["get"]
    role.rules[0].verbs = ["get", "list"]
    assert rbac.replace_namespaced_role("r1", ns, role).rules[0].verbs == ["get", "list"]
    rbac.create_namespaced_role_binding(ns, client.V1RoleBinding(
        metadata=meta("rb1"), role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role",
                                                         name="r1"),
        subjects=[client.RbacV1Subject(kind="User", name="alice", api_group="rbac.authorization.k8s.io")]))
    with pytest.raises(ApiException) as ei:  # roleRef is immutable
        rbac.patch_namespaced_role_binding("rb1", ns, {"roleRef": {"name": "other"}})
    assert ei.value.status == 422
    rbac.delete_namespaced_role("r1", ns)
    expect_404(rbac.read_namespaced_role, "r1", ns)
    assert [r.metadata.name for r in rbac.list_namespaced_role_binding(ns).items] == ["rb1"]


# --------------------------------------------------------------------------------------------------- paging


def test_list_paging_sees_every_object_once(core: client.CoreV1Api, ns: str) -> None:
    names = {f"page-{i:02d}" for i in range(25)}
    for n in sorted(names):
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta(n, set="paging"), data={"n": n}))
    seen: list[str] = []
    pages = 0
    token = None
    rvs = set()
    while True:
        resp = core.list_namespaced_config_map(ns, label_selector="set=paging", limit=10, _continue=token)
        pages += 1
        assert len(resp.items) <= 10
        seen += [i.metadata.name for i in resp.items]
        rvs.add(resp.metadata.resource_version)
        token = resp.metadata._continue
        if pages == 1:
            # written after the first page: a paged list is one consistent snapshot, so it is not seen
            core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("page-99", set="paging")))
        if not token:
            break
        assert pages < 10
    assert pages == 3
    assert sorted(seen) == sorted(names) and len(seen) == 25
    assert seen == sorted(seen)  # upstream lists in key order
    assert len(rvs) == 1, rvs  # every page reports the snapshot's resourceVersion
    full = core.list_namespaced_config_map(ns, label_selector="set=paging")
    assert len(full.items) == 26 and full.metadata._continue is None


def test_list_paging_remaining_item_count(core: client.CoreV1Api, ns: str) -> None:
    for i in range(5):
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta(f"r-{i}")))
    resp = core.list_namespaced_config_map(ns, limit=2)
    assert resp.metadata._continue
    mine = [i for i in core.list_namespaced_config_map(ns).items]
    assert resp.metadata.remaining_item_count == len(mine) - 2


def test_bad_continue_token_is_rejected(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(ApiException) as ei:
        core.list_namespaced_config_map(ns, limit=2, _continue="not-a-token")
    assert ei.value.status == 400 and status_of(ei.value)["reason"] == "BadRequest"


# --------------------------------------------------------------------------------------------------- watch


def test_watch_from_resource_version(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("w1"), data={"v": "0"}))
    before = core.patch_namespaced_config_map("w1", ns, {"data": {"v": "1"}})
    rv = before.metadata.resource_version
    # the history after rv
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("w2"), data={"v": "a"}))
    core.patch_namespaced_config_map("w1", ns, {"data": {"v": "2"}})
    core.delete_namespaced_config_map("w2", ns)
    core.patch_namespaced_config_map("w1", ns, {"data": {"v": "3"}})

    w = watch.Watch()
    got = []
    timer = threading.Timer(15, w.stop)  # bound the test even if events never come
    timer.start()
    try:
        for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10,
                           _request_timeout=20):
            got.append((ev["type"], ev["object"].metadata.name, ev["object"].data.get("v"),
                        int(ev["object"].metadata.resource_version)))
            if len(got) == 4:
                w.stop()
    finally:
        timer.cancel()
    assert [g[:3] for g in got] == [("ADDED", "w2", "a"), ("MODIFIED", "w1", "2"), ("DELETED", "w2", "a"),
                                    ("MODIFIED", "w1", "3")], got
    rvs = [g[3] for g in got]
    assert rvs == sorted(rvs) and len(set(rvs)) == 4 and rvs[0] > int(rv), (rv, rvs)


def test_watch_with_label_selector_and_timeout(core: client.CoreV1Api, ns: str) -> None:
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("sel-a", pick="yes")))
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("sel-b", pick="no")))
    # a label change that makes an object leave the selection is seen as DELETED by that watcher
    core.patch_namespaced_config_map("sel-a", ns, {"metadata": {"labels": {"pick": "no"}}})
    w = watch.Watch()
    got = [(e["type"], e["object"].metadata.name)
           for e in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, label_selector="pick=yes",
                             timeout_seconds=2, _request_timeout=15)]
    assert got == [("ADDED", "sel-a"), ("DELETED", "sel-a")], got


# --------------------------------------------------------------------------------------------------- delete options


def test_delete_propagation_policies(k8s: client.ApiClient, api: API, ns: str) -> None:
    apps = client.AppsV1Api(k8s)
    path = f"/apis/apps/v1/namespaces/{ns}/deployments"

    # Background: gone at once; the answer is a success Status naming the object
    uid = apps.create_namespaced_deployment(ns, deployment_body("bg")).metadata.uid
    r = api.call("DELETE", f"{path}/bg", {"kind": "DeleteOptions", "apiVersion": "v1",
                                           "propagationPolicy": "Background"})
    assert r.status == 200
    body = r.json()
    assert body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"] == {"name": "bg", "group": "apps", "kind": "deployments", "uid": uid}
    assert api.call("GET", f"{path}/bg").status == 404

    # Orphan: the object stays, marked for deletion, with the orphan finalizer, until the GC removes it
    apps.create_namespaced_deployment(ns, deployment_body("orph"))
    r = api.call("DELETE", f"{path}/orph", {"propagationPolicy": "Orphan"})
    assert r.status == 200
    obj = r.json()
    assert obj["kind"] == "Deployment" and obj["metadata"]["name"] == "orph"
    assert obj["metadata"]["finalizers"] == ["orphan"] and obj["metadata"]["deletionTimestamp"]
    assert obj["metadata"]["deletionGracePeriodSeconds"] == 0
    assert obj["metadata"]["generation"] == 2  # marking an object as deleting bumps its generation
    live = apps.read_namespaced_deployment("orph", ns)
    assert live.metadata.deletion_timestamp is not None and live.metadata.finalizers == ["orphan"]

    # Foreground: the foregroundDeletion finalizer and a deletionTimestamp
    apps.create_namespaced_deployment(ns, deployment_body("fg"))
    resp = apps.delete_namespaced_deployment("fg", ns, propagation_policy="Foreground", _preload_content=False)
    assert resp.status == 200
    obj = json.loads(resp.data)
    assert obj["kind"] == "Deployment" and "foregroundDeletion" in obj["metadata"]["finalizers"]
    assert obj["metadata"]["deletionTimestamp"]
    live = apps.read_namespaced_deployment("fg", ns)
    assert "foregroundDeletion" in live.metadata.finalizers and live.metadata.deletion_timestamp

    # deleting again is fine and keeps the object; removing the last finalizer completes the deletion
    assert api.call("DELETE", f"{path}/fg").status == 200
    assert apps.read_namespaced_deployment("fg", ns).metadata.deletion_timestamp == live.metadata.deletion_timestamp
    for name in ("fg", "orph"):
        apps.patch_namespaced_deployment(name, ns, {"metadata": {"finalizers": None}})
        assert api.call("GET", f"{path}/{name}").status == 404


def test_graceful_pod_deletion(core: client.CoreV1Api, api: API, ns: str) -> None:
    """A bound pod deleted with a grace period stays (its status still writable) until deleted with grace period 0;
    a shorter period moves the deadline back from the first request; finalizers hold a pod deleted with 0."""
    path = f"/api/v1/namespaces/{ns}/pods"

    def bound_pod(name: str, **meta_kw: Any) -> dict:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **meta_kw},
                "spec": {"nodeName": "elsewhere", "containers": [{"name": "c", "image": "busybox"}]}}

    assert api.call("POST", path, bound_pod("slow")).status == 201
    first = api.call("DELETE", f"{path}/slow").json()
    assert first["metadata"]["deletionGracePeriodSeconds"] == 30
    # a terminal status written during the grace period (as a kubelet does) does not delete the pod
    r = api.call("PATCH", f"{path}/slow/status", {"status": {"phase": "Failed"}},
                 headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 200, r.json()
    assert api.call("GET", f"{path}/slow").json()["status"]["phase"] == "Failed"
    # deleting again without a period changes nothing; a shorter one moves the deadline
    assert api.call("DELETE", f"{path}/slow").json()["metadata"]["deletionTimestamp"] == \
        first["metadata"]["deletionTimestamp"]
    shorter = api.call("DELETE", f"{path}/slow", {"gracePeriodSeconds": 10}).json()["metadata"]
    when = dt.datetime.fromisoformat(first["metadata"]["deletionTimestamp"].replace("Z", "+00:00"))
    assert shorter["deletionGracePeriodSeconds"] == 10
    assert shorter["deletionTimestamp"] == (when - dt.timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert api.call("DELETE", f"{path}/slow", {"gracePeriodSeconds": 0}).status == 200
    assert api.call("GET", f"{path}/slow").status == 404

    # a finalizer holds a pod deleted with grace period 0; removing it completes the deletion
    assert api.call("POST", path, bound_pod("held", finalizers=["example.com/hold"])).status == 201
    assert api.call("DELETE", f"{path}/held").json()["metadata"]["deletionGracePeriodSeconds"] == 30
    r = api.call("DELETE", f"{path}/held", {"gracePeriodSeconds": 0})
    assert r.status == 200 and r.json()["metadata"]["deletionGracePeriodSeconds"] == 0
    assert api.call("GET", f"{path}/held").status == 200
    core.patch_namespaced_pod("held", ns, {"metadata": {"finalizers": None}})
    assert api.call("GET", f"{path}/held").status == 404


def test_delete_preconditions(core: client.CoreV1Api, ns: str) -> None:
    cm = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("pre")))
    with pytest.raises(ApiException) as ei:
        core.delete_namespaced_config_map("pre", ns, body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid="00000000-0000-0000-0000-000000000000")))
    assert ei.value.status == 409 and status_of(ei.value)["reason"] == "Conflict"
    core.delete_namespaced_config_map("pre", ns, body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=cm.metadata.uid, resource_version=cm.metadata.resource_version)))
    expect_404(core.read_namespaced_config_map, "pre", ns)


# --------------------------------------------------------------------------------------------------- conflicts


def test_concurrent_patches_of_one_object_all_land(api: API, ns: str) -> None:
    """Patches without a resourceVersion never fail on a concurrent change (the server retries from a fresh read,
    as upstream's GuaranteedUpdate): 40 writers at once on one ConfigMap all succeed and all their keys stay."""
    from concurrent.futures import ThreadPoolExecutor

    path = f"/api/v1/namespaces/{ns}/configmaps"
    assert api.call("POST", path, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "hot"}}).status == 201

    def patch(i: int) -> int:
        return api.call("PATCH", f"{path}/hot", {"data": {f"k{i}": str(i)}},
                        headers={"Content-Type": "application/merge-patch+json"}).status

    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(patch, range(40)))
    assert codes == [200] * 40
    assert api.call("GET", f"{path}/hot").json()["data"] == {f"k{i}": str(i) for i in range(40)}


def test_stale_resource_version_update_is_409(core: client.CoreV1Api, ns: str) -> None:
    stale = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("lock"), data={"v": "1"}))
    fresh = core.read_namespaced_config_map("lock", ns)
    fresh.data["v"] = "2"
    core.replace_namespaced_config_map("lock", ns, fresh)
    stale.data["v"] = "3"
    with pytest.raises(ApiException) as ei:
        core.replace_namespaced_config_map("lock", ns, stale)
    assert ei.value.status == 409
    st = status_of(ei.value)
    assert st["reason"] == "Conflict"
    assert st["message"] == ('Operation cannot be fulfilled on configmaps "lock": the object has been modified; '
                             "please apply your changes to the latest version and try again")
    assert core.read_namespaced_config_map("lock", ns).data == {"v": "2"}
    # an update without resourceVersion is unconditional
    stale.metadata.resource_version = None
    assert core.replace_namespaced_config_map("lock", ns, stale).data == {"v": "3"}


def test_names_and_generate_name(core: client.CoreV1Api, ns: str) -> None:
    cm = core.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(generate_name="gen-")))
    assert cm.metadata.name.startswith("gen-") and len(cm.metadata.name) == len("gen-") + 5
    assert cm.metadata.generate_name == "gen-"
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=meta("Bad_Name")))
    assert ei.value.status == 422 and status_of(ei.value)["reason"] == "Invalid"
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_config_map(f"missing-{uuid.uuid4().hex[:6]}",
                                          client.V1ConfigMap(metadata=meta("x")))
    assert ei.value.status == 404
