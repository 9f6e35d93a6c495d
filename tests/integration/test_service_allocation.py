"""Acceptance (objects as upstream, 4): concurrent Service creates get distinct ClusterIPs and NodePorts, deleting
releases them, and a taken ClusterIP or NodePort is refused with upstream's 422."""

from __future__ import annotations

import asyncio
import ipaddress

import aiohttp
import orjson


def _svc(name: str, **spec) -> bytes:
    return orjson.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                         "spec": {"type": "NodePort", "selector": {"app": name},
                                  "ports": [{"port": 80, "targetPort": 8080}], **spec}})


async def _run(cluster) -> None:
    ns = "alloc-test"
    base = f"{cluster.url}/api/v1/namespaces"
    conn = aiohttp.TCPConnector(ssl=cluster.ssl_context(), limit=50)
    async with aiohttp.ClientSession(connector=conn, headers={"Content-Type": "application/json"}) as s:
        async with s.post(base, data=orjson.dumps({"apiVersion": "v1", "kind": "Namespace",
                                                   "metadata": {"name": ns}})) as r:
            assert r.status in (201, 409)

        async def create(i: int) -> dict:
            async with s.post(f"{base}/{ns}/services", data=_svc(f"s{i}")) as r:
                body = await r.json()
                assert r.status == 201, body
                return body

        created = await asyncio.gather(*(create(i) for i in range(200)))
        ips = [c["spec"]["clusterIP"] for c in created]
        ports = [c["spec"]["ports"][0]["nodePort"] for c in created]
        assert len(set(ips)) == 200
        assert len(set(ports)) == 200
        net = ipaddress.ip_network("10.43.0.0/16")
        assert all(ipaddress.ip_address(ip) in net for ip in ips)
        assert all(30000 <= p <= 32767 for p in ports)

        # taken ClusterIP and NodePort: 422 Invalid naming the field
        async with s.post(f"{base}/{ns}/services", data=_svc("dup-ip", clusterIP=ips[0])) as r:
            body = await r.json()
            assert r.status == 422 and body["reason"] == "Invalid", body
            assert body["details"]["causes"][0]["field"] == "spec.clusterIPs"
            assert "provided IP is already allocated" in body["message"]
        async with s.post(f"{base}/{ns}/services",
                          data=_svc("dup-port", ports=[{"port": 80, "nodePort": ports[0]}])) as r:
            body = await r.json()
            assert r.status == 422, body
            assert body["details"]["causes"][0]["field"] == "spec.ports[0].nodePort"
            assert "provided port is already allocated" in body["message"]

        # deleting releases: the same IP and port can be requested again
        async with s.delete(f"{base}/{ns}/services/s0") as r:
            assert r.status == 200
        async with s.post(f"{base}/{ns}/services",
                          data=_svc("again", clusterIP=ips[0], ports=[{"port": 80, "nodePort": ports[0]}])) as r:
            body = await r.json()
            assert r.status == 201, body
            assert body["spec"]["clusterIP"] == ips[0]
            assert body["spec"]["ports"][0]["nodePort"] == ports[0]

        # headless and ExternalName services hold no ClusterIP
        async with s.post(f"{base}/{ns}/services", data=orjson.dumps({
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "headless"},
                "spec": {"clusterIP": "None", "selector": {"app": "x"}, "ports": [{"port": 80}]}})) as r:
            body = await r.json()
            assert r.status == 201, body
            assert body["spec"]["clusterIPs"] == ["None"]
        async with s.delete(f"{base}/{ns}/services") as r:
            assert r.status == 405  # Services have no deletecollection in 1.32
        for i in range(1, 200):
            async with s.delete(f"{base}/{ns}/services/s{i}") as r:
                assert r.status == 200


def test_concurrent_service_allocation(cluster) -> None:
    asyncio.run(_run(cluster))
