"""EndpointSlice and EndpointSlice mirroring controllers: the pure reconciler, and both controllers against a real
(dual-stack) API server."""

from __future__ import annotations

import signal

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers.endpointslice import (
    CONTROLLER_NAME,
    LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME,
    EndpointSliceController,
    reconcile_slices,
)
from kybernetes.controllers.endpointslicemirroring import (
    CONTROLLER_NAME as MIRROR_NAME,
    EndpointSliceMirroringController,
    mirror_plan,
)
from kybernetes.machinery.errors import StatusError
from tests.conftest import start_cluster
from tests.unit.controllers.conftest import running


@pytest.fixture(scope="module")
def kyb(tmp_path_factory):
    """A dual-stack API server (Services can get IPv4 and IPv6 cluster IPs)."""
    c = start_cluster(tmp_path_factory.mktemp("kyb-eps"),
                      extra=["--service-cluster-ip-range", "10.43.0.0/16,fd00:43::/108"])
    yield c
    c.stop()
    if c.proc.returncode not in (0, -signal.SIGTERM):
        print(c.log.read_text()[-4000:])


# -- builders ------------------------------------------------------------------------------------------------------

NODES = {"n1": {"metadata": {"name": "n1", "labels": {"topology.kubernetes.io/zone": "z1"}}},
         "n2": {"metadata": {"name": "n2", "labels": {}}}}


def svc(*, families: tuple = ("IPv4",), ports: list | None = None, publish: bool = False,
        labels: dict | None = None) -> dict:
    spec = {"selector": {"app": "web"}, "clusterIP": "10.0.0.1", "ipFamilies": list(families),
            "ports": ports if ports is not None else [{"name": "http", "port": 80, "targetPort": 8080,
                                                      "protocol": "TCP"}]}
    if publish:
        spec["publishNotReadyAddresses"] = True
    return {"metadata": {"name": "web", "namespace": "ns", "uid": "svc-uid", "labels": labels or {"team": "a"}},
            "spec": spec}


def pod(i: int, *, ready: bool = True, terminating: bool = False, node: str = "n1", v6: bool = False,
        port_name: str = "", port: int = 8080) -> dict:
    meta: dict = {"name": f"p{i:04d}", "namespace": "ns", "uid": f"uid-{i}", "labels": {"app": "web"}}
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    ips = [f"10.1.{i // 250}.{i % 250 + 1}"] + ([f"fd00::{i + 1:x}"] if v6 else [])
    containers = [{"name": "c", "ports": [{"name": port_name, "containerPort": port, "protocol": "TCP"}]
                   if port_name else []}]
    return {"metadata": meta, "spec": {"nodeName": node, "containers": containers},
            "status": {"phase": "Running", "podIP": ips[0], "podIPs": [{"ip": ip} for ip in ips],
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def materialize(plan, existing: list | None = None) -> list[dict]:
    """Apply a plan to a list of slices the way the API would (names for generateName, rv bumps)."""
    by_name = {s["metadata"]["name"]: s for s in existing or []}
    for s in plan.delete:
        by_name.pop(s["metadata"]["name"])
    for s in plan.update:
        by_name[s["metadata"]["name"]] = s
    for i, s in enumerate(plan.create):
        s = dict(s, metadata=dict(s["metadata"], name=f"web-{len(by_name) + i}-new"))
        by_name[s["metadata"]["name"]] = s
    return list(by_name.values())


# -- pure ----------------------------------------------------------------------------------------------------------


def test_250_endpoints_fill_three_slices_and_a_resync_writes_nothing():
    pods = [pod(i) for i in range(250)]
    plan = reconcile_slices(svc(), pods, NODES.get, [])
    assert sorted(len(s["endpoints"]) for s in plan.create) == [50, 100, 100]
    assert not plan.update and not plan.delete
    s = plan.create[0]
    assert s["metadata"]["generateName"] == "web-"
    assert s["metadata"]["labels"] == {"team": "a", LABEL_SERVICE_NAME: "web", LABEL_MANAGED_BY: CONTROLLER_NAME}
    assert s["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                                 "uid": "svc-uid", "controller": True, "blockOwnerDeletion": True}]
    assert s["addressType"] == "IPv4" and s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    ep = s["endpoints"][0]
    assert ep == {"addresses": ["10.1.0.1"], "conditions": {"ready": True, "serving": True, "terminating": False},
                  "targetRef": {"kind": "Pod", "namespace": "ns", "name": "p0000", "uid": "uid-0"},
                  "nodeName": "n1", "zone": "z1"}
    again = reconcile_slices(svc(), pods, NODES.get, materialize(plan))
    assert not again.create and not again.update and not again.delete


def test_changes_touch_as_few_slices_as_possible():
    pods = [pod(i) for i in range(250)]
    slices = materialize(reconcile_slices(svc(), pods, NODES.get, []))
    # One pod gone, one pod unready: only the slices holding them are rewritten.
    victim, changed = pods[3], pods[200]
    pods = [p for p in pods if p is not victim]
    pods[pods.index(changed)] = pod(200, ready=False)
    plan = reconcile_slices(svc(), pods, NODES.get, slices)
    assert not plan.create and not plan.delete
    touched = {s["metadata"]["name"] for s in plan.update}
    holding = {s["metadata"]["name"] for s in slices
               for e in s["endpoints"] if e["targetRef"]["name"] in ("p0003", "p0200")}
    assert touched == holding
    slices = materialize(plan, slices)
    # A new pod goes into a slice with room, not a new slice.
    plan = reconcile_slices(svc(), pods + [pod(300)], NODES.get, slices)
    assert not plan.create and len(plan.update) == 1


def test_conditions_of_terminating_and_unready_pods():
    plan = reconcile_slices(svc(), [pod(1, terminating=True), pod(2, ready=False),
                                    pod(3, terminating=True, ready=False)], NODES.get, [])
    conds = {e["targetRef"]["name"]: e["conditions"] for e in plan.create[0]["endpoints"]}
    assert conds == {"p0001": {"ready": False, "serving": True, "terminating": True},
                     "p0002": {"ready": False, "serving": False, "terminating": False},
                     "p0003": {"ready": False, "serving": False, "terminating": True}}
    published = reconcile_slices(svc(publish=True), [pod(2, ready=False)], NODES.get, [])
    assert published.create[0]["endpoints"][0]["conditions"]["ready"] is True


def test_dual_stack_gets_one_slice_per_address_type():
    plan = reconcile_slices(svc(families=("IPv4", "IPv6")), [pod(1, v6=True), pod(2, v6=True)], NODES.get, [])
    by_type = {s["addressType"]: [e["addresses"] for e in s["endpoints"]] for s in plan.create}
    assert by_type == {"IPv4": [["10.1.0.2"], ["10.1.0.3"]], "IPv6": [["fd00::2"], ["fd00::3"]]}
    # Dropping IPv6 from the Service deletes its slice.
    slices = materialize(plan)
    plan = reconcile_slices(svc(families=("IPv4",)), [pod(1, v6=True), pod(2, v6=True)], NODES.get, slices)
    assert [s["addressType"] for s in plan.delete] == ["IPv6"] and not plan.create and not plan.update


def test_named_ports_split_slices_and_unknown_nodes_are_errors():
    service = svc(ports=[{"name": "http", "port": 80, "targetPort": "web", "protocol": "TCP"}])
    pods = [pod(1, port_name="web", port=8080), pod(2, port_name="web", port=9090), pod(3, node="gone")]
    plan = reconcile_slices(service, pods, NODES.get, [])
    ports = sorted(tuple(p["port"] for p in s["ports"]) for s in plan.create)
    assert ports == [(8080,), (9090,)]  # pod 3 has no port named "web" and sits on an unknown node
    assert plan.errors == ["skipping Pod p0003 for Service ns/web: Node gone Not Found"]
    # Endpoints on a node without zone label carry no zone; a zone label adds it.
    plan = reconcile_slices(svc(), [pod(4, node="n2")], NODES.get, [])
    assert "zone" not in plan.create[0]["endpoints"][0]


def test_placeholder_slice_when_nothing_is_selected():
    plan = reconcile_slices(svc(), [], NODES.get, [])
    assert len(plan.create) == 1 and plan.create[0]["endpoints"] == [] and plan.create[0]["ports"] == []
    again = reconcile_slices(svc(), [], NODES.get, materialize(plan))
    assert not again.create and not again.update and not again.delete
    # The placeholder is reused (updated, not deleted and recreated) once endpoints appear.
    slices = materialize(plan)
    plan = reconcile_slices(svc(), [pod(1)], NODES.get, slices)
    assert not plan.create and not plan.delete and [s["metadata"]["name"] for s in plan.update] == \
        [slices[0]["metadata"]["name"]]


def test_mirror_plan():
    endpoints = {"metadata": {"name": "ext", "namespace": "ns", "uid": "ep-uid", "labels": {"a": "b"},
                              "annotations": {"x": "y", "endpoints.kubernetes.io/last-change-trigger-time": "t"}},
                 "subsets": [{"addresses": [{"ip": "192.0.2.1", "hostname": "h1"}, {"ip": "2001:db8::0001"},
                                            {"ip": "not-an-ip"}],
                              "notReadyAddresses": [{"ip": "192.0.2.2", "nodeName": "n1"}],
                              "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}]}
    plan, invalid, skipped = mirror_plan(endpoints, [])
    assert (invalid, skipped) == (1, 1)
    by_type = {s["addressType"]: s for s in plan.create}
    assert set(by_type) == {"IPv4", "IPv6"}
    v4 = by_type["IPv4"]
    assert v4["metadata"]["labels"] == {"a": "b", LABEL_SERVICE_NAME: "ext", LABEL_MANAGED_BY: MIRROR_NAME}
    assert v4["metadata"]["annotations"] == {"x": "y"}
    assert v4["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
    assert v4["endpoints"] == [{"addresses": ["192.0.2.1"], "conditions": {"ready": True}, "hostname": "h1"},
                               {"addresses": ["192.0.2.2"], "conditions": {"ready": False}, "nodeName": "n1"}]
    assert by_type["IPv6"]["endpoints"][0]["addresses"] == ["2001:db8::1"]  # canonical form
    _, _, skipped = mirror_plan(endpoints, [], limit=1)
    assert skipped == 3  # the first address is mirrored, the other three entries of the subset are not


# -- against the API server ----------------------------------------------------------------------------------------

SLICES = ("discovery.k8s.io", "v1", "endpointslices")


async def _slices(env, service: str, managed_by: str = CONTROLLER_NAME) -> list[dict]:
    sel = f"{LABEL_SERVICE_NAME}={service},{LABEL_MANAGED_BY}={managed_by}"
    return (await env.client.list(resource_path(*SLICES, env.ns), {"labelSelector": sel}))["items"]


def _pod_body(name: str, node: str = "") -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "nginx", "ports": [{"name": "http", "containerPort": 8080}]}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}}, "spec": spec}


def _svc_body(name: str = "web", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"team": "a"}},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                     **spec}}


async def test_slices_follow_pods_dual_stack(kyb):
    async with running(kyb, EndpointSliceController, nodes=2, sim_kw={"dual_stack": True}) as env:
        created = await env.client.create(resource_path("", "v1", "services", env.ns),
                                          _svc_body(ipFamilyPolicy="RequireDualStack"))
        assert created["spec"]["ipFamilies"] == ["IPv4", "IPv6"]
        for i in range(3):
            await env.client.create(resource_path("", "v1", "pods", env.ns), _pod_body(f"web-{i}"))

        async def ready_by_type():
            out: dict[str, list] = {}
            for s in await _slices(env, "web"):
                out.setdefault(s["addressType"], []).extend(
                    e["targetRef"]["name"] for e in s.get("endpoints") or [] if e["conditions"].get("ready"))
            return {k: sorted(v) for k, v in out.items()}

        want = ["web-0", "web-1", "web-2"]
        await env.until(lambda: _eq(ready_by_type(), {"IPv4": want, "IPv6": want}))
        slices = await _slices(env, "web")
        for s in slices:
            assert s["metadata"]["name"].startswith("web-")
            assert s["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
            assert s["metadata"]["labels"]["team"] == "a"
            assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
            for e in s["endpoints"]:
                ip = e["addresses"][0]
                assert (":" in ip) == (s["addressType"] == "IPv6")
                assert e["nodeName"] in env.sim.node_names and "zone" not in e
        names = {s["metadata"]["name"] for s in slices}

        await env.client.delete(resource_path("", "v1", "pods", env.ns, "web-1"))
        await env.until(lambda: _eq(ready_by_type(), {"IPv4": ["web-0", "web-2"], "IPv6": ["web-0", "web-2"]}))
        assert {s["metadata"]["name"] for s in await _slices(env, "web")} == names  # updated in place


async def test_250_pods_make_3_slices(kyb):
    async with running(kyb, EndpointSliceController, nodes=3, bind=False) as env:
        nodes = env.sim.node_names
        for i in range(250):
            await env.client.create(resource_path("", "v1", "pods", env.ns), _pod_body(f"p{i}", nodes[i % 3]))

        async def all_running():
            return sum(1 for p in await env.pods("app=web") if p["status"].get("podIP")) == 250

        await env.until(all_running, timeout=120, step=0.5)
        await env.client.create(resource_path("", "v1", "services", env.ns), _svc_body())

        async def sizes():
            return sorted(len(s.get("endpoints") or []) for s in await _slices(env, "web"))

        await env.until(lambda: _eq(sizes(), [50, 100, 100]), timeout=60)


async def test_mirroring_follows_user_endpoints(kyb):
    async with running(kyb, EndpointSliceMirroringController, EndpointSliceController) as env:
        await env.client.create(resource_path("", "v1", "services", env.ns), {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
            "spec": {"ports": [{"name": "http", "port": 80}]}})
        await env.client.create(resource_path("", "v1", "endpoints", env.ns), {
            "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext", "labels": {"k": "v"}},
            "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "notReadyAddresses": [{"ip": "192.0.2.11"}],
                         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]})

        async def mirrored():
            return {e["addresses"][0]: e["conditions"]["ready"]
                    for s in await _slices(env, "ext", MIRROR_NAME) for e in s.get("endpoints") or []}

        await env.until(lambda: _eq(mirrored(), {"192.0.2.10": True, "192.0.2.11": False}))
        (s,) = await _slices(env, "ext", MIRROR_NAME)
        assert s["metadata"]["labels"]["k"] == "v" and s["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
        assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
        assert await _slices(env, "ext") == []  # the selector controller leaves selector-less Services alone

        # Changing the Endpoints updates the slice in place.
        ep = await env.client.get(resource_path("", "v1", "endpoints", env.ns, "ext"))
        ep["subsets"][0]["addresses"].append({"ip": "192.0.2.12"})
        await env.client.update(resource_path("", "v1", "endpoints", env.ns, "ext"), ep)
        await env.until(lambda: _eq(mirrored(), {"192.0.2.10": True, "192.0.2.11": False, "192.0.2.12": True}))
        assert [x["metadata"]["name"] for x in await _slices(env, "ext", MIRROR_NAME)] == [s["metadata"]["name"]]

        # The Service gains a selector: the mirrored slices go, the EndpointSlice controller takes over.
        await env.client.patch(resource_path("", "v1", "services", env.ns, "ext"),
                               {"spec": {"selector": {"app": "ext"}}})
        await env.until(lambda: _eq(mirrored(), {}))
        await env.until(lambda: _slices(env, "ext"))


async def test_skip_mirror_label_is_honoured(kyb):
    async with running(kyb, EndpointSliceMirroringController) as env:
        for name, labels in (("skipped", {"endpointslice.kubernetes.io/skip-mirror": "true"}), ("kept", {})):
            await env.client.create(resource_path("", "v1", "services", env.ns), {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"ports": [{"port": 80}]}})
            await env.client.create(resource_path("", "v1", "endpoints", env.ns), {
                "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "labels": labels},
                "subsets": [{"addresses": [{"ip": "192.0.2.20"}], "ports": [{"port": 80}]}]})
        await env.until(lambda: _slices(env, "kept", MIRROR_NAME))
        assert await _slices(env, "skipped", MIRROR_NAME) == []


async def _eq(coro, want) -> bool:
    try:
        return (await coro) == want
    except StatusError:
        return False
