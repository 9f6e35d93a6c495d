"""The endpoints controller: pure subset computation, and the controller against a real API server."""

from __future__ import annotations

import pytest

from kybernetes.client.rest import resource_path
from kybernetes.controllers.endpoints import (
    ANNOTATION_OVER_CAPACITY,
    ANNOTATION_TRIGGER_TIME,
    LABEL_HEADLESS,
    EndpointsController,
    TriggerTimeTracker,
    desired_subsets,
    repack_subsets,
    truncate_subsets,
)
from kybernetes.machinery.errors import StatusError
from tests.unit.controllers.conftest import running

# -- builders ------------------------------------------------------------------------------------------------------


def svc(name: str = "web", *, selector: dict | None = None, ports: list | None = None, cluster_ip: str = "10.0.0.1",
        families: tuple = ("IPv4",), publish: bool = False, created: str = "2024-01-01T00:00:00Z") -> dict:
    spec: dict = {"clusterIP": cluster_ip, "ipFamilies": list(families),
                  "ports": ports if ports is not None else [{"name": "http", "port": 80, "targetPort": 8080,
                                                             "protocol": "TCP"}]}
    if selector is not None:
        spec["selector"] = selector
    if publish:
        spec["publishNotReadyAddresses"] = True
    return {"metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "creationTimestamp": created},
            "spec": spec}


def pod(name: str, ip: str | None = "10.1.0.1", *, ready: bool = True, node: str = "n1", ips: list | None = None,
        ports: list | None = None, terminating: bool = False, phase: str = "Running", hostname: str = "",
        subdomain: str = "", ready_at: str = "2024-01-01T00:00:10Z") -> dict:
    meta: dict = {"name": name, "namespace": "ns", "uid": f"uid-{name}", "labels": {"app": "web"}}
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:01:00Z"
    spec: dict = {"nodeName": node, "containers": [{"name": "c", "ports": ports or []}]}
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    status: dict = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                                    "lastTransitionTime": ready_at}]}
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": i} for i in (ips or [ip])]
    return {"metadata": meta, "spec": spec, "status": status}


def ips_of(addresses: list | None) -> list[str]:
    return [a["ip"] for a in addresses or []]


# -- pure ----------------------------------------------------------------------------------------------------------


def test_ready_and_not_ready_addresses_share_a_subset():
    subsets = desired_subsets(svc(selector={"app": "web"}),
                              [pod("a", "10.1.0.2"), pod("b", "10.1.0.1"), pod("c", "10.1.0.3", ready=False)])
    assert len(subsets) == 1
    assert ips_of(subsets[0]["addresses"]) == ["10.1.0.1", "10.1.0.2"]  # sorted by IP
    assert ips_of(subsets[0]["notReadyAddresses"]) == ["10.1.0.3"]
    assert subsets[0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    a = subsets[0]["addresses"][1]
    assert a == {"ip": "10.1.0.2", "nodeName": "n1",
                 "targetRef": {"kind": "Pod", "namespace": "ns", "name": "a", "uid": "uid-a"}}


@pytest.mark.parametrize("case,p,publish,included", [
    ("no IP", pod("a", None), False, False),
    ("succeeded", pod("a", phase="Succeeded"), False, False),
    ("failed", pod("a", phase="Failed"), True, False),
    ("terminating", pod("a", terminating=True), False, False),
    ("terminating published", pod("a", terminating=True), True, True),
    ("not ready published is ready", pod("a", ready=False), True, True),
])
def test_which_pods_count(case, p, publish, included):
    subsets = desired_subsets(svc(selector={"app": "web"}, publish=publish), [p])
    assert bool(subsets and subsets[0].get("addresses")) == included, case


def test_named_target_port_is_resolved_per_pod():
    service = svc(selector={"app": "web"}, ports=[{"name": "http", "port": 80, "targetPort": "web",
                                                   "protocol": "TCP"}])
    pods = [pod("a", "10.1.0.1", ports=[{"name": "web", "containerPort": 8080, "protocol": "TCP"}]),
            pod("b", "10.1.0.2", ports=[{"name": "web", "containerPort": 9090, "protocol": "TCP"}]),
            pod("c", "10.1.0.3", ports=[{"name": "other", "containerPort": 7070, "protocol": "TCP"}]),
            pod("d", "10.1.0.4", ports=[{"name": "web", "containerPort": 8080, "protocol": "UDP"}])]
    subsets = desired_subsets(service, pods)
    by_port = {s["ports"][0]["port"]: ips_of(s["addresses"]) for s in subsets}
    assert by_port == {8080: ["10.1.0.1"], 9090: ["10.1.0.2"]}  # c lacks the name, d has it with another protocol


def test_repack_groups_ports_offered_by_the_same_addresses():
    a = {"ip": "10.0.0.1", "targetRef": {"uid": "a"}}
    b = {"ip": "10.0.0.2", "targetRef": {"uid": "b"}}
    p80 = {"name": "a", "port": 80, "protocol": "TCP"}
    p443 = {"name": "b", "port": 443, "protocol": "TCP"}
    p53 = {"name": "c", "port": 53, "protocol": "UDP"}
    out = repack_subsets([{"addresses": [a], "ports": [p80]}, {"addresses": [a], "ports": [p443]},
                          {"addresses": [b], "ports": [p80]}, {"addresses": [b], "ports": [p443]},
                          {"addresses": [a], "ports": [p53]}])
    assert sorted((tuple(p["port"] for p in s["ports"]), tuple(ips_of(s["addresses"]))) for s in out) == \
        [((53,), ("10.0.0.1",)), ((80, 443), ("10.0.0.1", "10.0.0.2"))]


def test_headless_without_ports_lists_bare_addresses_and_hostnames():
    service = svc("db", selector={"app": "web"}, ports=[], cluster_ip="None")
    subsets = desired_subsets(service, [pod("a", hostname="a-0", subdomain="db"),
                                        pod("b", "10.1.0.2", hostname="b-0", subdomain="other")])
    assert len(subsets) == 1 and "ports" not in subsets[0]
    assert [a.get("hostname") for a in subsets[0]["addresses"]] == ["a-0", None]
    # A non-headless service without ports gets nothing.
    assert desired_subsets(svc(selector={"app": "web"}, ports=[]), [pod("a")]) == []


def test_address_family_follows_the_service():
    p = pod("a", "10.1.0.1", ips=["10.1.0.1", "fd00::1"])
    assert ips_of(desired_subsets(svc(selector={"app": "web"}, families=("IPv6",)), [p])[0]["addresses"]) == \
        ["fd00::1"]
    assert ips_of(desired_subsets(svc(selector={"app": "web"}), [p])[0]["addresses"]) == ["10.1.0.1"]
    assert desired_subsets(svc(selector={"app": "web"}, families=("IPv6",)), [pod("b")]) == []


def _addresses(n: int, prefix: str) -> list[dict]:
    return [{"ip": f"10.{prefix}.{i // 250}.{i % 250}"} for i in range(n)]


def test_truncation_keeps_ready_addresses_first_in_proportion():
    subsets = [{"addresses": _addresses(900, "1")}, {"addresses": _addresses(300, "2"),
                                                     "notReadyAddresses": _addresses(50, "3")}]
    assert truncate_subsets(subsets)
    assert [len(s.get("addresses", [])) for s in subsets] == [750, 250]
    assert all("notReadyAddresses" not in s for s in subsets)
    subsets = [{"addresses": _addresses(600, "1"), "notReadyAddresses": _addresses(300, "2")},
               {"notReadyAddresses": _addresses(300, "3")}]
    assert truncate_subsets(subsets)
    assert [len(s.get("addresses", [])) for s in subsets] == [600, 0]
    assert [len(s.get("notReadyAddresses", [])) for s in subsets] == [200, 200]
    small = [{"addresses": _addresses(1000, "1")}]
    assert not truncate_subsets(small) and len(small[0]["addresses"]) == 1000


def test_trigger_time_tracker():
    t = TriggerTimeTracker()
    service = svc(selector={"app": "web"}, created="2024-01-01T00:00:00Z")
    p1 = pod("a", ready_at="2024-01-01T00:00:10Z")
    assert t.compute("ns/web", service, [p1]) == "2024-01-01T00:00:00Z"  # first sync: the Service's creation
    assert t.compute("ns/web", service, [p1]) == "2024-01-01T00:00:00Z"  # that sync failed: same answer
    t.commit("ns/web")
    assert t.compute("ns/web", service, [p1]) is None  # nothing changed
    t.commit("ns/web")
    p2 = pod("b", ready_at="2024-01-01T00:00:30Z")
    p1b = pod("a", ready_at="2024-01-01T00:00:20Z")
    assert t.compute("ns/web", service, [p1b, p2]) == "2024-01-01T00:00:20Z"  # earliest change
    t.commit("ns/web")
    t.delete("ns/web")
    assert t.compute("ns/web", service, [p1b, p2]) == "2024-01-01T00:00:00Z"


# -- against the API server ----------------------------------------------------------------------------------------


async def _create(env, plural: str, body: dict) -> dict:
    return await env.client.create(resource_path("", "v1", plural, env.ns), body)


async def _get_endpoints(env, name: str) -> dict | None:
    try:
        return await env.client.get(resource_path("", "v1", "endpoints", env.ns, name))
    except StatusError as e:
        if e.code == 404:
            return None
        raise


def _pod_body(name: str, labels: dict, port_name: str = "http", port: int = 8080) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx",
                                     "ports": [{"name": port_name, "containerPort": port}]}]}}


def _svc_body(name: str, selector: dict | None, labels: dict | None = None, target="http") -> dict:
    spec: dict = {"ports": [{"name": "web", "port": 80, "targetPort": target}]}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels or {}}, "spec": spec}


async def test_endpoints_follow_pods(kyb):
    async with running(kyb, EndpointsController, nodes=2) as env:
        await _create(env, "services", _svc_body("web", {"app": "web"}, labels={"team": "a"}))
        for i, port in enumerate((8080, 8080, 9090)):
            await _create(env, "pods", _pod_body(f"web-{i}", {"app": "web"}, port=port))
        await _create(env, "pods", _pod_body("other", {"app": "other"}))

        async def ready_ips():
            ep = await _get_endpoints(env, "web")
            return sorted(a["targetRef"]["name"] for s in (ep or {}).get("subsets") or []
                          for a in s.get("addresses") or [])

        await env.until(lambda: _eq(ready_ips(), ["web-0", "web-1", "web-2"]))
        ep = await _get_endpoints(env, "web")
        assert ep["metadata"]["labels"] == {"team": "a"}
        assert ANNOTATION_TRIGGER_TIME in ep["metadata"]["annotations"]
        ports = sorted(s["ports"][0]["port"] for s in ep["subsets"])
        assert ports == [8080, 9090]  # the named port resolves differently per pod: two subsets
        addr = next(a for s in ep["subsets"] for a in s["addresses"] if a["targetRef"]["name"] == "web-0")
        assert addr["nodeName"] in env.sim.node_names and addr["targetRef"]["kind"] == "Pod"

        # A pod turning unready moves to notReadyAddresses.
        p = await env.client.get(resource_path("", "v1", "pods", env.ns, "web-1"))
        conds = [dict(c, status="False") if c["type"] == "Ready" else c for c in p["status"]["conditions"]]
        await env.client.patch(resource_path("", "v1", "pods", env.ns, "web-1", "status"),
                               {"status": {"conditions": conds}})

        async def not_ready():
            ep = await _get_endpoints(env, "web")
            return [a["targetRef"]["name"] for s in ep.get("subsets") or [] for a in s.get("notReadyAddresses") or []]

        await env.until(lambda: _eq(not_ready(), ["web-1"]))

        # A deleted pod disappears.
        await env.client.delete(resource_path("", "v1", "pods", env.ns, "web-0"))
        await env.until(lambda: _eq(ready_ips(), ["web-2"]))

        # Deleting the Service deletes its Endpoints.
        await env.client.delete(resource_path("", "v1", "services", env.ns, "web"))
        await env.until(lambda: _is_none(_get_endpoints(env, "web")))


async def test_headless_label_and_selectorless_services(kyb):
    async with running(kyb, EndpointsController, nodes=1) as env:
        # A user's Endpoints for a selector-less Service is left alone.
        await _create(env, "services", _svc_body("manual", None))
        user = await _create(env, "endpoints", {
            "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "manual"},
            "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"name": "web", "port": 9999}]}]})
        body = _svc_body("db", {"app": "db"})
        body["spec"]["clusterIP"] = "None"
        await _create(env, "services", body)
        await _create(env, "pods", _pod_body("db-0", {"app": "db"}))

        async def db_ready():
            ep = await _get_endpoints(env, "db")
            return ep if ep and any(s.get("addresses") for s in ep.get("subsets") or []) else None

        ep = await env.until(db_ready)
        assert ep["metadata"]["labels"] == {LABEL_HEADLESS: ""}
        assert ANNOTATION_OVER_CAPACITY not in (ep["metadata"].get("annotations") or {})
        after = await _get_endpoints(env, "manual")
        assert after["metadata"]["resourceVersion"] == user["metadata"]["resourceVersion"]
        assert after["subsets"] == user["subsets"]


async def test_leftover_endpoints_are_deleted_at_start(kyb):
    async with running(kyb) as env:
        await _create(env, "endpoints", {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "orphan"},
                                         "subsets": [{"addresses": [{"ip": "192.0.2.1"}]}]})
        await _create(env, "endpoints", {
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "lock", "annotations": {"control-plane.alpha.kubernetes.io/leader": "{}"}}})
        ctrl = EndpointsController(env.ctx)
        env.ctx.informers.start()
        await env.ctx.informers.wait_for_cache_sync(15)
        await ctrl.start()
        try:
            await env.until(lambda: _is_none(_get_endpoints(env, "orphan")))
            assert await _get_endpoints(env, "lock") is not None
        finally:
            await ctrl.stop()


async def _eq(coro, want) -> bool:
    return (await coro) == want


async def _is_none(coro) -> bool:
    return (await coro) is None

